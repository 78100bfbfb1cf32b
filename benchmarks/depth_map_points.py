"""depth.map_points.v1 per scene: a synthetic map (a floor receding, a box nearer) of each size,
sharp (a sensor's) and with its steps blurred over 1/30 of the shorter side in inverse depth (a
monocular model's: 16 px of 480), 20 scenes naming it, the generator run 3 times over them
(median), and the map's load, steady-pixel pass and surface test of the whole map alone.
``--figures``: per blur (sharp; Gaussian sigma 1-10; linear ramps 2-30 px) of a 640x480 room and of
the room with 27 small square faces (6-64 px), and of that as a relative map (0.9 - 2 / depth), the
pixels accepted (steady and on a surface) more than 10 % (5 %) off the unblurred depth (of the map's
range, on the relative map), by 0.30.0's test (corner squares of 32 px, 3 on a sharp map) and
by this one (`surface_scales`: squares set by the blur's measured width, the centred square, no point
in a box narrower than it), and the share of the sound points 0.30.0 accepted kept (the figures of
`scene.depth_surfaces`' notes); then the faces, by side, with a sound pixel and with a sound point.
Usage: python benchmarks/depth_map_points.py [WxH ...] [--figures]"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from veriscene.generators import SceneRunner, Vocabulary, select_generators
from veriscene.scene.depth_maps import load_depth_map, steady_pixels, value_range
from veriscene.scene.depth_surfaces import in_small_boxes, on_surfaces, surface_radius, surface_scales
from veriscene.scene.model import Scene


def floor_and_box(w: int, h: int) -> np.ndarray:
    depth = np.repeat((6.0 - 4.0 * np.arange(h) / (h - 1))[:, None], w, axis=1).astype(np.float32)
    depth[h // 4:h // 2, w // 3:w // 2] = 1.0
    return depth


def _along(values: np.ndarray, weights: np.ndarray, axis: int) -> np.ndarray:
    """`values` convolved with `weights` along `axis`, edges repeated."""
    k, lo = len(weights), len(weights) // 2
    padded = np.pad(values, [(lo, k - 1 - lo) if a == axis else (0, 0) for a in range(2)], mode="edge")
    out = np.zeros(values.shape, dtype=np.float64)
    for i, weight in enumerate(weights):
        out += weight * (padded[i:i + values.shape[0]] if axis == 0 else padded[:, i:i + values.shape[1]])
    return out


def blurred(depth: np.ndarray, kind: str, size: float) -> np.ndarray:
    """float32 depth: 1 / depth blurred both ways by a linear ramp of `size` px (a box filter) or a
    Gaussian of sigma `size` (monocular models predict inverse depth, and blur it)."""
    if kind == "ramp":
        weights = np.full(int(size), 1.0 / int(size))
    else:
        r = int(np.ceil(3 * size))
        weights = np.exp(-0.5 * (np.arange(-r, r + 1) / size) ** 2)
        weights /= weights.sum()
    return (1.0 / _along(_along(1.0 / depth, weights, 0), weights, 1)).astype(np.float32)


def room(w: int = 640, h: int = 480) -> tuple[np.ndarray, np.ndarray]:
    """(depth (H, W) in metres, labels: 0 floor, 1 wall, 2 box, 3 ball): a floor 1.5 m below the
    camera (focal 500 px at 640) receding to a wall at 8 m, a side wall 2.5 m to the left, a box's
    face at 3 m, a ball of 0.5 m at 4 m."""
    rows, cols = np.arange(h)[:, None] + 0.5, np.arange(w)[None, :] + 0.5
    f, horizon, cx = 500.0 * w / 640, 0.40 * h, w / 2
    floor = np.where(rows > horizon + 1, 1.5 * f / np.maximum(rows - horizon, 1e-6), np.inf) * np.ones((1, w))
    depth, labels = np.minimum(floor, 8.0), np.where(floor < 8.0, 0, 1)
    side = np.where(cols < cx - 1, 2.5 * f / np.maximum(cx - cols, 1e-6), np.inf) * np.ones((h, 1))
    depth, labels = np.where(side < depth, side, depth), np.where(side < depth, 1, labels)
    depth[int(0.30 * h):int(0.65 * h), int(0.55 * w):int(0.80 * w)] = 3.0
    labels[int(0.30 * h):int(0.65 * h), int(0.55 * w):int(0.80 * w)] = 2
    x, y = (cols - 0.38 * w) / f * 4.0, (rows - 0.55 * h) / f * 4.0
    ball = 4.0 - np.sqrt(np.maximum(0.25 - x ** 2 - y ** 2, 0.0))
    on = (x ** 2 + y ** 2 < 0.25) & (ball < depth)
    return np.where(on, ball, depth), np.where(on, 3, labels)


def figures() -> None:
    """0.30.0's test (the corner squares of 32 px, 3 px on a sharp map) and this one (`surface_scales`:
    squares set by the blur's measured width, the centred square, no point in a box narrower than
    it), per blur of `room`, then of `room_with_objects`: pixels accepted (steady and on a surface)
    whose map depth is more than 10 % (5 %) off the unblurred depth there, and the share kept of
    the sound ones (<= 10 % off) 0.30.0 accepted; per part of `room`."""
    print("blur      | scales (corner, centre) | accepted >10 % off | >5 % off        | sound kept  | "
          "kept of 0.30.0's by part (floor, wall, box, ball)")
    faces = room_with_objects()
    for name, (depth, labels, objects) in (("room", (*room(), [])), ("room + 27", faces), ("relative", faces)):
        boxes = boxes_of(labels)
        for kind, size in BLURS:
            blurry = blurred(depth, kind, size) if size else depth.astype(np.float32)
            off = np.abs(blurry - depth) / depth
            spread = None
            if name == "relative":  # (a model's disparity flipped and shifted, annotate's "relative": off by a share of its range)
                blurry = (0.9 - 2.0 / blurry).astype(np.float32)
                spread = value_range(blurry)
                off = np.abs(blurry - (0.9 - 2.0 / depth)) / spread
            old, new, scales = accepted(blurry, boxes, spread=spread)
            sound = old & (off <= 0.10)
            line = (f"{name:<9} {kind} {size:>2} | {str(scales):<23} | {(old & (off > 0.10)).sum():>7,} -> "
                    f"{(new & (off > 0.10)).sum():>5,}    | {(old & (off > 0.05)).sum():>6,} -> {(new & (off > 0.05)).sum():>5,} | "
                    f"{(new & sound).sum() / max(sound.sum(), 1):6.1%}")
            if not objects:
                floor = (labels == 0) & (off < 0.01)
                line += "      | " + "  ".join(
                    f"{(new & old & part).sum() / max((old & part).sum(), 1):.1%}"
                    for part in (floor, labels == 1, labels == 2, labels == 3))
            print(line)


BLURS = [("sharp", 0)] + [("gauss", s) for s in (1, 2, 3, 4, 5, 7, 10)] + [("ramp", s) for s in (2, 3, 4, 8, 15, 22, 30)]


def boxes_of(labels: np.ndarray) -> np.ndarray:
    """(N, 4) xyxy: the boxes of the objects of `labels` (2 and up: the box's face, the ball, the
    small faces), as a scene lists them."""
    boxes = []
    for label in np.unique(labels[labels >= 2]).tolist():
        rows, cols = np.nonzero(labels == label)
        boxes.append([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1])
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 4)


def accepted(blurry: np.ndarray, boxes: np.ndarray, radius: int = 32,
             spread: float | None = None) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """(H, W) bool each: the steady pixels on a surface by 0.30.0's test and by this one (what
    depth.map_points draws among), and this one's squares (corner radius, centre radius)."""
    steady = steady_pixels(blurry, spread=spread)
    old = steady & on_surfaces(blurry, surface_radius(blurry, radius, spread), spread=spread)
    corner, centre = surface_scales(blurry, radius, spread)
    new = steady & on_surfaces(blurry, corner, spread=spread, centre=centre)
    if centre > 0:
        rows, cols = np.nonzero(new)
        new[rows, cols] = ~in_small_boxes(boxes, rows, cols, centre)
    return old, new, (corner, centre)


SMALL_SIZES = (6, 8, 12, 16, 24, 32, 40, 48, 64)


def room_with_objects(w: int = 640, h: int = 480) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """`room` with 27 square faces of 6 to 64 px (fronto-parallel: a plane of constant depth) in three
    rows: before the wall at 2 m, on the floor at 1.5 m and at 2.2 m; labels 10, 11, ... and their
    (label, side in px)."""
    depth, labels = room(w, h)
    objects, label = [], 10
    for top, z in ((int(0.08 * h), 2.0), (int(0.70 * h), 1.5), (int(0.86 * h), 2.2)):
        x = 8
        for side in SMALL_SIZES:
            depth[top:top + side, x:x + side], labels[top:top + side, x:x + side] = z, label
            objects.append((label, side))
            label, x = label + 1, x + side + 14
    return depth, labels, objects


def small_objects() -> None:
    """Per blur of `room_with_objects`: of its 27 faces (by side), those with a sound pixel to draw
    (steady, <= 5 % off), and those with a point accepted <= 10 % off by 0.30.0's test and by this one."""
    depth, labels, objects = room_with_objects()
    boxes = boxes_of(labels)
    print(f"objects by side {SMALL_SIZES} (3 each): with a sound pixel / with a sound point accepted, 0.30.0 -> now")
    for kind, size in BLURS:
        blurry = blurred(depth, kind, size) if size else depth.astype(np.float32)
        off = np.abs(blurry - depth) / depth
        old, new, scales = accepted(blurry, boxes)
        steady = steady_pixels(blurry)

        def per_side(pixels: np.ndarray) -> list[int]:
            return [sum(bool((pixels & (labels == label)).any()) for label, s in objects if s == side)
                    for side in SMALL_SIZES]

        could, was, now = per_side(steady & (off <= 0.05)), per_side(old & (off <= 0.10)), per_side(new & (off <= 0.10))
        print(f"objects {kind} {size:>2} {str(scales):<8}: sound pixel {sum(could):>2} {could}; point "
              f"{sum(was):>2} -> {sum(now):>2} {now}; none before {len(objects) - sum(was):>2}, now {len(objects) - sum(now):>2}")


def main(sizes: list[tuple[int, int]]) -> None:
    folder = Path(tempfile.mkdtemp())
    for w, h in sizes:
        sharp = floor_and_box(w, h)
        for name, depth in (("sharp", sharp), ("blurred", blurred(sharp, "ramp", max(2, min(w, h) // 30)))):
            path = folder / f"{w}x{h}-{name}.npy"
            np.save(path, depth)
            scenes = [Scene.from_objects(f"s{k}", w, h, [{"name": "box", "box": [1, 1, 10, 10]}], depth_map=str(path))
                      for k in range(20)]
            runner = SceneRunner([g() for g in select_generators("depth.map_points.v1")],
                                 Vocabulary.from_scenes(scenes[:1]))
            per_scene, made = [], 0
            for _ in range(3):
                start = time.perf_counter()
                made = sum(len(runner.run(s)) for s in scenes)
                per_scene.append((time.perf_counter() - start) / len(scenes))
            start = time.perf_counter()
            steady_pixels(load_depth_map(scenes[0]))
            alone = time.perf_counter() - start
            start = time.perf_counter()
            on_surfaces(load_depth_map(scenes[0]))
            whole = time.perf_counter() - start
            print(f"{w}x{h} {name}: {statistics.median(per_scene) * 1000:.1f} ms a scene (median of 3 runs of 20 "
                  f"scenes, {made} samples a run); load and steady pixels {alone * 1000:.1f} ms; load and the surface "
                  f"test of every pixel {whole * 1000:.1f} ms (the generator tests its drawn points only)")


def _size(text: str) -> tuple[int, int]:
    w, _, h = text.lower().partition("x")
    if not (w.isdigit() and h.isdigit() and int(w) > 0 and int(h) > 0):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 640x480, got {text!r}")
    return int(w), int(h)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=_size, default=[(640, 480), (1920, 1080)],
                        help="map sizes, WIDTHxHEIGHT (default 640x480 1920x1080)")
    parser.add_argument("--figures", action="store_true",
                        help="print the points accepted off their surface and the sound ones kept, by 0.30.0's surface test and this one, "
                             "and the small faces with a sound point")
    args = parser.parse_args()
    if args.figures:
        figures()
        small_objects()
    else:
        main(args.sizes)
