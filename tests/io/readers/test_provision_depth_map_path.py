"""ProVision's reader keeps the dense depth map it reads as the scene's `depth_map` (absolute,
read as "relative_inverse": 0-255, larger = closer, up to a scale and a shift; 0 the farthest
pixel, not missing), so depth.map_points asks about it; a map it had
to transpose is not the file's layout, and is only recorded in ``meta["source_depth_map"]``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from veriscene.generators import SceneRunner, Vocabulary, select_generators
from veriscene.scene.depth_maps import load_depth_map

from .reader_helpers import read_all
from .test_read_provision import H, W, depth_map, masks, write_set


def test_the_depth_map_read_is_kept_as_the_scenes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    root = write_set(Path("set"))  # a relative folder: the path kept is absolute all the same
    np.save(root / "seg_masks" / "img1_mask.npy", masks())
    (scene,), _ = read_all(root, "provision")
    assert scene.depth_map == os.path.abspath(root / "depth_masks" / "img1_depth.npy")
    assert scene.meta["depth_map_encoding"] == "relative_inverse"
    depth = load_depth_map(scene)
    assert depth[2, 2] == -255 and depth[7, 9] == -51  # the nearer object: smaller depth
    assert depth[0, 0] == 0  # 0 in the file: the farthest, a depth like any other
    runner = SceneRunner([g() for g in select_generators("depth.map_points.v1")], Vocabulary.from_scenes([scene]),
                         raise_errors=False)
    runner.run(scene)  # (the objects are too small for two points 5x5 inside them: no question, no failure)
    assert runner.stats["no_candidates:depth.map_points.v1"] == 1 and runner.failures == []


def test_a_transposed_map_is_not_kept_as_the_scenes(tmp_path: Path) -> None:
    root = write_set(tmp_path)
    np.save(root / "seg_masks" / "img1_mask.npy", masks())
    np.save(root / "depth_masks" / "img1_depth.npy", depth_map().T)  # ProVision's documented [w, h]
    (scene,), report = read_all(root, "provision")
    assert report.repairs["maps_transposed"] == 1 and scene.depth is not None
    assert scene.depth_map is None and "depth_map_encoding" not in scene.meta
    assert scene.meta["source_depth_map"]["path"].endswith("img1_depth.npy")
    assert (H, W) == (12, 16)


@pytest.mark.parametrize("named", ["img1_depth.pkl", "img1_depth"])
def test_the_path_kept_is_the_file_read(tmp_path: Path, named: str) -> None:
    """An annotation naming x.pkl or x is read from x.npy when only that is there (as masks are):
    the scene named the annotation's file, which does not exist, so depth.map_points failed on it."""
    from .test_read_provision import stage, write_json

    root = write_set(tmp_path)
    np.save(root / "seg_masks" / "img1_mask.npy", masks())
    write_json(root / "depth-estimation-annotations.json", stage("img1", {"depth_mask_id": named}))
    (scene,), _ = read_all(root, "provision")
    read = str(root / "depth_masks" / "img1_depth.npy")
    assert scene.depth_map == read and scene.meta["source_depth_map"]["path"] == read
    assert load_depth_map(scene)[2, 2] == -255
