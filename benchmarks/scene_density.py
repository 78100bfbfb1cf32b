"""Throughput against scene density: samples per second as scenes hold more objects.

    python benchmarks/scene_density.py                         # 6, 15 and 30 objects per scene
    python benchmarks/scene_density.py --objects 6 30 --scenes 300 --repeats 3
    python benchmarks/scene_density.py --layout random --objects 200 1000 2000 --scenes 20
    python benchmarks/scene_density.py --layout grid --objects 2000 20000 50000 --scenes 2 --repeats 3

The other benchmarks use the demo world's scenes (3-8 objects, about 6). Annotated data sets are
denser: COCO has about 7 objects per image, GQA about 16 and Visual Genome about 35. Each row here
is `--scenes` demo scene graphs (masks and depth, no images rendered) with exactly that many
objects on a 1024x768 image (the same image size in every row, so only the density changes),
cached in `--cache`. Each row runs `veriscene.generate` in-process with one worker, every
generator by default, `--repeats` times; the median is printed. The English inflection library
is imported before the first row (a one-off cost of about 2 s per process).

`--layout random` makes scenes the demo world cannot place (hundreds or thousands of objects,
as from an automatic mask generator, or Visual Genome's densest images): boxes of 2-200 pixels
anywhere on the image, overlapping freely, 46 names drawn by a Zipf law (so a few names have
hundreds of objects), 0-2 attributes each and as many random relations as objects. No masks or
depth, so the generators of those families skip these scenes.

`--layout grid` makes what an automatic mask generator gives: masks (12-pixel squares, as RLE)
with depth, on a grid of 14-pixel cells 120 to a row (the image as tall as the rows need), 3
names, no attributes or relations; the depth and segmentation generators run on them.

Each row runs in a process of its own (forked), so its peak memory is its own: the peak resident
memory of that process (the imports it shares with the parent included). `--max-scene-objects`
is the runs' limit (default 0: none, so that every size is measured; `veriscene.generate`'s
default rejects scenes of more than 20,000 objects).

Columns: objects and relations per scene (as made: placement can drop an object), samples per
scene, milliseconds per scene (median of `--repeats`), samples per second and peak MiB.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from veriscene import generate
from veriscene.demo.config import WorldConfig
from veriscene.demo.world import iter_scene_graphs
from veriscene.scene import Scene, read_scenes, write_scenes
from veriscene.text import inflect_engine


def scene_file(cache: Path, objects: int, n: int, layout: str = "demo") -> Path:
    """n scene graphs with `objects` objects each on a 1024x768 image (cached): demo scene graphs,
    or `random_scenes`."""
    path = cache / (f"density-{objects}-{n}.jsonl" if layout == "demo" else f"density-{layout}-{objects}-{n}.jsonl")
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        if layout == "demo":
            config = WorldConfig(width=1024, height=768, min_objects=objects, max_objects=objects, max_tries=200)
            scenes: Iterator[Scene] = iter_scene_graphs(n, seed=0, config=config)
        elif layout == "grid":
            scenes = grid_scenes(objects, n)
        else:
            scenes = random_scenes(objects, n)
        tmp = path.with_suffix(".tmp")
        write_scenes(scenes, tmp)
        tmp.rename(path)
    return path


_RANDOM_NAMES = ["man", "car", "tree", "window", "person", "shirt", "building", "sign", "plate", "chair"] + [
    f"thing{k}" for k in range(36)]
_RANDOM_ATTRIBUTES = ["red", "blue", "green", "white", "black", "big", "small", "tall", "wooden", "metal",
                      "shiny", "striped"]
_RANDOM_PREDICATES = ["on", "near", "left of", "right of", "has", "wearing", "behind", "above", "holding",
                      "next to"]


def random_scenes(objects: int, n: int, width: int = 1024, height: int = 768) -> Iterator[Scene]:
    """n scene graphs of exactly `objects` freely overlapping objects (`--layout random`)."""
    rng = np.random.default_rng(objects)
    for k in range(n):
        rows = []
        for _ in range(objects):
            x0, y0 = rng.uniform(0, width - 2), rng.uniform(0, height - 2)
            rows.append({"name": _RANDOM_NAMES[int(rng.zipf(1.5)) % len(_RANDOM_NAMES)],
                         "box": [x0, y0, min(width, x0 + rng.uniform(2, 200)), min(height, y0 + rng.uniform(2, 200))],
                         "attributes": sorted(rng.choice(_RANDOM_ATTRIBUTES, size=int(rng.integers(0, 3)), replace=False))})
        pairs = rng.integers(0, objects, size=(objects, 2))
        relations = sorted({(int(a), _RANDOM_PREDICATES[int(rng.integers(len(_RANDOM_PREDICATES)))], int(b))
                            for a, b in pairs if a != b})
        yield Scene.from_objects(f"dense{objects}-{k}", width, height, rows, relations)


def _square_rle(x0: int, y0: int, side: int, height: int, width: int) -> dict[str, object]:
    """COCO RLE of the square [x0, x0 + side) x [y0, y0 + side) of a (height, width) image, from its
    runs (column by column, as COCO lays them), without a mask of the whole image."""
    from pycocotools import mask as mask_utils

    x1, y1 = min(width, x0 + side), min(height, y0 + side)
    counts = [x0 * height + y0]
    for _ in range(x0, x1 - 1):
        counts += [y1 - y0, height - (y1 - y0)]
    counts.append(y1 - y0)
    counts.append(height * width - sum(counts))
    rle = mask_utils.frPyObjects({"counts": counts, "size": [height, width]}, height, width)
    return {"size": [height, width], "counts": rle["counts"].decode("ascii")}


def grid_scenes(objects: int, n: int, cell: int = 14, side: int = 12, per_row: int = 120) -> Iterator[Scene]:
    """n scene graphs of `objects` masked squares with depth on a grid (`--layout grid`)."""
    rng = np.random.default_rng(objects)
    width, height = per_row * cell, -(-objects // per_row) * cell
    for k in range(n):
        rows = []
        for j in range(objects):
            x0, y0 = (j % per_row) * cell, (j // per_row) * cell
            rows.append({"name": f"thing{j % 3}", "box": [x0, y0, x0 + side, y0 + side],
                         "mask": _square_rle(x0, y0, side, height, width), "depth": float(rng.uniform(1, 10))})
        yield Scene.from_objects(f"grid{objects}-{k}", width, height, rows)


def _row(path: Path, args: argparse.Namespace, out: "multiprocessing.connection.Connection") -> None:
    """One row, in a process of its own: (samples, seconds of each repeat, peak MiB) to `out`."""
    times, samples = [], 0
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory(dir=args.cache) as folder:
            start = time.perf_counter()
            samples = generate(path, folder, generators=args.generators, overwrite=True,
                               max_scene_objects=args.max_scene_objects).samples
            times.append(time.perf_counter() - start)
    out.send((samples, times, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, nargs="+", default=[6, 15, 30])
    parser.add_argument("--scenes", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--layout", choices=["demo", "random", "grid"], default="demo",
                        help="demo scene graphs (masks and depth), freely overlapping random boxes, or masked "
                             "squares with depth on a grid")
    parser.add_argument("--max-scene-objects", type=int, default=0, help="the runs' limit (default 0: none)")
    parser.add_argument("-g", "--generators", default=None, help="generator names/globs/families (default: all)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    inflect_engine()  # imported once per process (about 2 s), not a per-scene cost
    print(f"{'objects':>7} {'relations':>9} {'samples/scene':>13} {'ms/scene':>9} {'samples/s':>10} {'peak MiB':>9}")
    fork = multiprocessing.get_context("fork")
    for objects in args.objects:
        path = scene_file(args.cache, objects, args.scenes, args.layout)
        counted = [(len(s), len(s.relations)) for s in read_scenes(path)]
        made = sum(n for n, _ in counted) / len(counted)
        relations = sum(r for _, r in counted) / len(counted)
        receive, send = fork.Pipe(duplex=False)
        child = fork.Process(target=_row, args=(path, args, send))
        child.start()
        samples, times, peak = receive.recv()
        child.join()
        seconds = statistics.median(times)
        print(f"{made:>7.1f} {relations:>9.1f} {samples / len(counted):>13.1f} {seconds * 1e3 / len(counted):>9.1f} "
              f"{samples / seconds:>10.0f} {peak:>9.0f}", flush=True)


if __name__ == "__main__":
    main()
