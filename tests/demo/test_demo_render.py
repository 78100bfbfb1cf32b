"""Rendering: pixel-consistent with the masks, and byte-for-byte deterministic."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from veriscene.demo import WorldConfig, make_world, render_scene, sample_scene
from veriscene.demo.render import OUTLINE_PX, label_map
from veriscene.demo.render import erode as _erode_patch
from veriscene.demo.shapes import Patch
from veriscene.scene.masks import decode_mask

CONFIG = WorldConfig()
PALETTE = np.array(list(CONFIG.colors.values()), dtype=np.float64)


def _erode(patch: Patch, height: int, width: int) -> np.ndarray:
    """Full-image mask of the patch minus its outline band."""
    out = np.zeros((height, width), dtype=bool)
    h, w = patch.mask.shape
    out[patch.y0 : patch.y0 + h, patch.x0 : patch.x0 + w] = _erode_patch(patch.mask, OUTLINE_PX)
    return out


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("seed", range(10))
def test_each_mask_pixel_shows_its_object(seed: int) -> None:
    scene = sample_scene(np.random.default_rng([seed, 0]), "demo-000000")
    pixels = np.asarray(render_scene(scene, CONFIG), dtype=np.int64)
    assert pixels.shape == (scene.height, scene.width, 3)
    label, patches = label_map(scene)
    specs = sorted(scene.meta["demo"]["objects"], key=lambda s: s["order"])
    assert scene.masks is not None
    for k, spec in enumerate(specs):
        mask = decode_mask(scene.masks[k])
        np.testing.assert_array_equal(mask, label == k)
        rgb = np.array(spec["rgb"])
        shown = pixels[mask]
        if spec["material"] == "matte":
            assert (shown == rgb).all()
        else:  # shiny: inside the outline, most pixels are nearest (of all colours) to their own
            inner = pixels[mask & _erode(patches[k], scene.height, scene.width)]
            nearest = np.argmin(((inner[:, None, :] - PALETTE[None]) ** 2).sum(-1), axis=1)
            own = int(np.flatnonzero((PALETTE == rgb).all(axis=1))[0])
            assert (nearest == own).mean() > 0.6
        cy, cx = np.argwhere(mask)[len(shown) // 2]  # one pixel inside the visible mask
        assert tuple(pixels[cy, cx]) != tuple(scene.meta["demo"]["background"])
    assert (pixels[label < 0] == np.array(scene.meta["demo"]["background"])).all()


def test_render_is_deterministic_and_checks_size() -> None:
    scene = sample_scene(np.random.default_rng([1, 2]), "demo-000002")
    assert _png(render_scene(scene)) == _png(render_scene(scene))
    with pytest.raises(ValueError, match="480x360"):
        render_scene(scene, WorldConfig(width=300, height=200))


def test_make_world_is_byte_identical_across_runs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    calls: list[tuple[int, int]] = []
    a = make_world(tmp_path / "a", n=4, seed=3, progress=lambda done, total: calls.append((done, total)))
    make_world(tmp_path / "b", n=4, seed=3)
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert [s.image_id for s in a] == [f"demo-{i:06d}" for i in range(4)]
    for scene in a:
        name = f"{scene.image_id}.png"
        assert scene.image == f"images/{name}"
        assert (tmp_path / "a" / "images" / name).read_bytes() == (tmp_path / "b" / "images" / name).read_bytes()
    assert not (tmp_path / "c").exists()
    make_world(tmp_path / "c", n=2, seed=3, render=False)
    assert not (tmp_path / "c" / "images").exists()
