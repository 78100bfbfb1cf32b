"""Sampling demo scenes: exact scene graphs of 2-D shapes, fast enough for millions of scenes.

Objects are placed one at a time and drawn in that order, so object k is drawn over objects
0..k-1: index = draw order, and depth = (n - k) / n (smaller = closer, distinct). A candidate
placement is rejected and re-drawn when it would
- leave any object with less than `min_visible` of its full area visible,
- overlap or touch an object of the same colour (the two would read as one blob),
- create a pair of objects whose relations a human could read either way
  (`relations.ambiguous_pairs`).
An object that cannot be placed in `max_tries` attempts is dropped.

Masks come from a label map (H, W) int8 holding, per pixel, the index of the top object or -1;
render.py builds the same map from `scene.meta["demo"]`, so images and masks agree pixel for pixel.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from veriscene.demo import relations as rel
from veriscene.demo.config import WorldConfig
from veriscene.demo.shapes import Patch, extent, patch_box, spec_patch
from veriscene.scene.masks import encode_mask
from veriscene.scene.model import Scene

META_VERSION = 1  # version of the scene.meta["demo"] layout
DEFAULT_CONFIG = WorldConfig()
_T = TypeVar("_T")


@dataclass
class _Placed:
    """A placed object: its full-shape pixels and what is still visible of it."""

    spec: dict[str, Any]  # JSON-ready drawing parameters (stored in scene.meta["demo"])
    patch: Patch  # full shape, ignoring occlusion
    area: int  # full-shape area, pixels
    shape_box: tuple[int, int, int, int]  # tight box of the full shape, xyxy, x1/y1 exclusive
    visible: int  # visible pixel count
    box: tuple[int, int, int, int]  # tight box of the visible pixels


def _common_window(a: Patch, b: Patch) -> tuple[int, int, int, int] | None:
    """Intersection of two patches' pixel windows as image xyxy, or None."""
    ah, aw = a.mask.shape
    bh, bw = b.mask.shape
    x0, y0 = max(a.x0, b.x0), max(a.y0, b.y0)
    x1, y1 = min(a.x0 + aw, b.x0 + bw), min(a.y0 + ah, b.y0 + bh)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _crop(p: Patch, win: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = win
    return p.mask[y0 - p.y0 : y1 - p.y0, x0 - p.x0 : x1 - p.x0]


def _patch_overlap(a: Patch, b: Patch) -> int:
    """Number of pixels set in both patches."""
    win = _common_window(a, b)
    return 0 if win is None else int(np.count_nonzero(_crop(a, win) & _crop(b, win)))


def _seen_overlap(label: np.ndarray, back: Patch, front: Patch, front_index: int) -> int:
    """Pixels where object `front_index` is visible over the full shape of `back`."""
    win = _common_window(back, front)
    if win is None:
        return 0
    x0, y0, x1, y1 = win
    return int(np.count_nonzero((label[y0:y1, x0:x1] == front_index) & _crop(back, win)))


def overlap_matrix(patches: list[Patch]) -> np.ndarray:
    """(N, N) int64 full-shape intersection areas; the diagonal holds each shape's area."""
    n = len(patches)
    out = np.zeros((n, n), dtype=np.int64)
    for i in range(n):
        out[i, i] = int(np.count_nonzero(patches[i].mask))
        for j in range(i + 1, n):
            out[i, j] = out[j, i] = _patch_overlap(patches[i], patches[j])
    return out


def seen_overlap_matrix(label: np.ndarray, patches: list[Patch], overlap: np.ndarray) -> np.ndarray:
    """(N, N) symmetric: for i < j (j drawn later, nearer), the pixels where j is SEEN covering
    i's full shape, i.e. the visible evidence that j is in front of i. Diagonal: full areas."""
    seen = np.diag(np.diag(overlap)).astype(np.int64)
    for i, j in zip(*np.nonzero(np.triu(overlap, 1))):
        seen[i, j] = seen[j, i] = _seen_overlap(label, patches[i], patches[j], int(j))
    return seen


def label_from_patches(patches: list[Patch], height: int, width: int) -> np.ndarray:
    """(H, W) int8 index of the top object per pixel (-1 background), patches drawn in order."""
    label = np.full((height, width), -1, dtype=np.int8, order="F")
    for k, p in enumerate(patches):
        h, w = p.mask.shape
        label[p.y0 : p.y0 + h, p.x0 : p.x0 + w][p.mask] = k
    return label


def _visible_box(label: np.ndarray, k: int, window: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = window
    box = patch_box(Patch(x0, y0, label[y0:y1, x0:x1] == k))
    assert box is not None, "a placed object always keeps visible pixels"
    return box


class _Composer:
    """Mutable state of one scene being composed (label map and placed objects)."""

    def __init__(self, config: WorldConfig) -> None:
        self.cfg = config
        # Fortran order so that `label == k` is already the column-major layout COCO RLE encodes.
        self.label = np.full((config.height, config.width), -1, dtype=np.int8, order="F")
        self.placed: list[_Placed] = []
        self.overlap = np.zeros((0, 0), dtype=np.int64)  # full-shape overlaps of placed objects
        self.seen = np.zeros((0, 0), dtype=np.int64)  # visible occlusion (seen_overlap_matrix)

    def try_place(self, spec: dict[str, Any]) -> bool:
        """Place `spec` on top of everything if it passes every check; True if placed."""
        cfg, k = self.cfg, len(self.placed)
        patch = spec_patch(spec, cfg.width, cfg.height)
        area = int(np.count_nonzero(patch.mask))
        shape_box = patch_box(patch)
        if shape_box is None:
            return False
        ov = np.array([_patch_overlap(patch, p.patch) for p in self.placed], dtype=np.int64)
        for j, p in enumerate(self.placed):  # same colour: keep apart by a clear gap
            if p.spec["color"] == spec["color"]:
                gap = rel.box_gap(np.array([p.shape_box, shape_box], dtype=np.float64))[0, 1]
                if ov[j] > 0 or gap < cfg.relations.margin_px:
                    return False
        h, w = patch.mask.shape
        region = self.label[patch.y0 : patch.y0 + h, patch.x0 : patch.x0 + w]
        covered = np.bincount(region[patch.mask].astype(np.int64) + 1, minlength=k + 1)[1:]
        visible = np.array([p.visible for p in self.placed], dtype=np.int64) - covered
        areas = np.array([p.area for p in self.placed] + [area], dtype=np.int64)
        if np.any(visible < cfg.min_visible * areas[:k]):
            return False

        saved = region.copy()
        region[patch.mask] = k
        boxes = [p.box for p in self.placed] + [shape_box]
        for j in np.flatnonzero(covered).tolist():
            boxes[j] = _visible_box(self.label, j, self.placed[j].shape_box)
        overlap = np.zeros((k + 1, k + 1), dtype=np.int64)
        overlap[:k, :k] = self.overlap
        overlap[k, :k] = overlap[:k, k] = ov
        overlap[k, k] = area
        seen = overlap.copy()  # the candidate is on top: all its overlaps are seen
        seen[:k, :k] = self.seen
        for j in np.flatnonzero(covered).tolist():  # j lost pixels: re-count what j is seen covering
            for i in np.flatnonzero(self.overlap[:j, j]):
                seen[i, j] = seen[j, i] = _seen_overlap(self.label, self.placed[i].patch, self.placed[j].patch, j)
        if rel.ambiguous_pairs(np.array(boxes, dtype=np.float64), seen, areas, cfg.relations).any():
            region[...] = saved
            return False

        for j, p in enumerate(self.placed):
            p.visible, p.box = int(visible[j]), boxes[j]
        self.placed.append(_Placed(spec, patch, area, shape_box, area, shape_box))
        self.overlap, self.seen = overlap, seen
        return True


def _pick(options: Sequence[_T], u: float) -> _T:
    """The option at fraction u in [0, 1) of the sequence."""
    return options[min(int(u * len(options)), len(options) - 1)]


def _random_spec(
    rng: np.random.Generator, cfg: WorldConfig, size: str | None = None,
    on: _Placed | None = None, avoid_color: str | None = None,
) -> dict[str, Any]:
    """Draw attributes and a pose. With `on`, put the shape on the upper part of that object."""
    u = rng.random(9)  # one call: a Generator call costs more than the arithmetic below
    shape = _pick(cfg.shapes, u[0])
    color = _pick([c for c in cfg.colors if c != avoid_color] or list(cfg.colors), u[1])
    size = size if size is not None else _pick(list(cfg.sizes), u[2])
    material = _pick(cfg.materials, u[3])
    lo, hi = cfg.sizes[size]
    radius = round(lo + (hi - lo) * float(u[4]), 2)
    rotation = 0.0 if shape == "circle" else round((2 * float(u[5]) - 1) * cfg.max_rotation, 2)
    ex0, ey0, ex1, ey1 = extent(shape, 0.0, 0.0, radius, rotation)  # extent around the centre
    b = cfg.border_px
    if on is None:  # anywhere the full shape fits inside the image
        cx = (b - ex0) + (cfg.width - b - ex1 - (b - ex0)) * float(u[6])
        cy = (b - ey0) + (cfg.height - b - ey1 - (b - ey0)) * float(u[7])
    else:  # centre x over the base's middle, bottom 15-35% down the base's box
        bx0, by0, bx1, by1 = on.shape_box
        cx = (bx0 + bx1) / 2 + (0.24 * float(u[6]) - 0.12) * (bx1 - bx0)
        cy = by0 + (0.15 + 0.20 * float(u[7])) * (by1 - by0) - ey1
        cx = min(max(cx, b - ex0), cfg.width - b - ex1)
        cy = min(max(cy, b - ey0), cfg.height - b - ey1)
    return {
        "shape": shape, "color": color, "size": size, "material": material,
        "center": [round(float(cx), 2), round(float(cy), 2)], "radius": radius,
        "rotation": rotation, "rgb": list(cfg.colors[color]),
    }


def sample_scene(rng: np.random.Generator, image_id: str, config: WorldConfig = DEFAULT_CONFIG) -> Scene:
    """One scene graph (no image): objects with exact visible boxes, masks, depth and relations."""
    cfg = config
    n_target = int(rng.integers(cfg.min_objects, cfg.max_objects + 1))
    stack_at = int(rng.integers(1, n_target)) if n_target > 1 and rng.random() < cfg.stack_prob else -1
    comp = _Composer(cfg)
    for k in range(n_target):
        bases = [p for p in comp.placed if p.spec["size"] == cfg.largest_size]
        for attempt in range(cfg.max_tries):
            if k == 0 and stack_at > 0:  # a stack needs a large base drawn first
                spec = _random_spec(rng, cfg, size=cfg.largest_size)
            elif k == stack_at and bases and attempt < cfg.max_tries // 2:
                base = bases[attempt % len(bases)]
                spec = _random_spec(rng, cfg, cfg.smallest_size, on=base, avoid_color=base.spec["color"])
            else:
                spec = _random_spec(rng, cfg)
            if comp.try_place(spec):
                break
    return _build_scene(comp, image_id, cfg)


def _build_scene(comp: _Composer, image_id: str, cfg: WorldConfig) -> Scene:
    placed = comp.placed
    n = len(placed)
    masks = tuple(encode_mask(comp.label == k) for k in range(n))
    boxes = np.array([p.box for p in placed], dtype=np.float32).reshape(-1, 4)
    depth = np.array([(n - k) / n for k in range(n)], dtype=np.float32)
    shape_boxes = np.array([p.shape_box for p in placed], dtype=np.float64).reshape(-1, 4)
    areas = np.array([p.area for p in placed], dtype=np.int64)
    relations = rel.compute_relations(boxes, depth, shape_boxes, comp.seen, areas, cfg.relations)
    objects = []
    for k, p in enumerate(placed):
        spec = {key: p.spec[key] for key in ("shape", "center", "radius", "rotation", "rgb", "material")}
        objects.append({**spec, "order": k})
    meta = {"demo": {"version": META_VERSION, "background": list(cfg.background), "objects": objects}}
    return Scene(
        image_id=image_id,
        width=cfg.width,
        height=cfg.height,
        boxes=boxes,
        names=tuple(p.spec["shape"] for p in placed),
        attributes=tuple((p.spec["color"], p.spec["size"], p.spec["material"]) for p in placed),
        relations=tuple(relations),
        image=f"images/{image_id}.png",
        masks=masks,
        depth=depth,
        depth_map=None,
        meta=meta,
    )


def scene_relations(scene: Scene, config: WorldConfig = DEFAULT_CONFIG) -> list[tuple[int, str, int]]:
    """Recompute a demo scene's relations from its boxes, depth and `meta["demo"]` (for checks)."""
    specs = sorted(scene.meta["demo"]["objects"], key=lambda s: s["order"])
    patches = [spec_patch(s, scene.width, scene.height) for s in specs]
    overlap = overlap_matrix(patches)
    seen = seen_overlap_matrix(label_from_patches(patches, scene.height, scene.width), patches, overlap)
    shape_boxes = np.array([patch_box(p) for p in patches], dtype=np.float64).reshape(-1, 4)
    depth = scene.depth if scene.depth is not None else np.zeros(len(scene), dtype=np.float32)
    return rel.compute_relations(
        scene.boxes, depth, shape_boxes, seen, np.diag(overlap).copy(), config.relations
    )


def scene_rng(seed: int, index: int) -> np.random.Generator:
    """The random generator of scene `index` in a world made with `seed` (independent streams)."""
    return np.random.default_rng([seed, index])


def iter_scene_graphs(
    n: int, seed: int = 0, config: WorldConfig = DEFAULT_CONFIG, start: int = 0
) -> Iterator[Scene]:
    """Yield scenes start..start+n-1 of the world `seed` one at a time, without rendering."""
    for i in range(start, start + n):
        yield sample_scene(scene_rng(seed, i), f"demo-{i:06d}", config)


def make_world(
    out_dir: str | os.PathLike[str],
    n: int = 200,
    seed: int = 0,
    config: WorldConfig = DEFAULT_CONFIG,
    render: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> list[Scene]:
    """Sample scenes 0..n-1 of world `seed`; with `render`, write `out_dir/images/<image_id>.png`.

    `progress(done, total)` is called after each scene. Same arguments -> identical scenes and
    byte-identical PNGs. The scenes are returned (write them with `veriscene.scene.write_scenes`).
    """
    from veriscene.demo.render import render_scene  # rendering needs PIL; sampling does not

    images = Path(out_dir) / "images"
    if render:
        images.mkdir(parents=True, exist_ok=True)
    scenes = []
    for i, scene in enumerate(iter_scene_graphs(n, seed, config)):
        if render:
            render_scene(scene).save(images / f"{scene.image_id}.png", format="PNG")
        scenes.append(scene)
        if progress is not None:
            progress(i + 1, n)
    return scenes
