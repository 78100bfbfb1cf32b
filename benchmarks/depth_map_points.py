"""depth.map_points.v1 per scene: a synthetic map (a floor receding, a box nearer) of each size,
20 scenes naming it, the generator run 3 times over them (median), and the map's load and
steady-pixel pass alone. Usage: python benchmarks/depth_map_points.py [WxH ...]"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from veriscene.generators import SceneRunner, Vocabulary, select_generators
from veriscene.scene.depth_maps import load_depth_map, steady_pixels
from veriscene.scene.model import Scene


def floor_and_box(w: int, h: int) -> np.ndarray:
    depth = np.repeat((6.0 - 4.0 * np.arange(h) / (h - 1))[:, None], w, axis=1).astype(np.float32)
    depth[h // 4:h // 2, w // 3:w // 2] = 1.0
    return depth


def main(sizes: list[tuple[int, int]]) -> None:
    folder = Path(tempfile.mkdtemp())
    for w, h in sizes:
        np.save(folder / f"{w}x{h}.npy", floor_and_box(w, h))
        scenes = [Scene.from_objects(f"s{k}", w, h, [{"name": "box", "box": [1, 1, 10, 10]}],
                                     depth_map=str(folder / f"{w}x{h}.npy")) for k in range(20)]
        runner = SceneRunner([g() for g in select_generators("depth.map_points.v1")], Vocabulary.from_scenes(scenes[:1]))
        per_scene, made = [], 0
        for _ in range(3):
            start = time.perf_counter()
            made = sum(len(runner.run(s)) for s in scenes)
            per_scene.append((time.perf_counter() - start) / len(scenes))
        start = time.perf_counter()
        steady_pixels(load_depth_map(scenes[0]))
        alone = time.perf_counter() - start
        print(f"{w}x{h}: {statistics.median(per_scene) * 1000:.1f} ms a scene (median of 3 runs of 20 scenes, "
              f"{made} samples a run); load and steady pixels {alone * 1000:.1f} ms")


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
    main(parser.parse_args().sizes)
