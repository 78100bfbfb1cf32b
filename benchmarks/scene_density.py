"""Throughput against scene density: samples per second as scenes hold more objects.

    python benchmarks/scene_density.py                         # 6, 15 and 30 objects per scene
    python benchmarks/scene_density.py --objects 6 30 --scenes 300 --repeats 3
    python benchmarks/scene_density.py --layout random --objects 200 1000 2000 --scenes 20

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

Columns: objects and relations per scene (as made: placement can drop an object), samples per
scene, milliseconds per scene, and samples per second.
"""

from __future__ import annotations

import argparse
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
    path = cache / (f"density-{objects}-{n}.jsonl" if layout == "demo" else f"density-random-{objects}-{n}.jsonl")
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        if layout == "demo":
            config = WorldConfig(width=1024, height=768, min_objects=objects, max_objects=objects, max_tries=200)
            scenes = iter_scene_graphs(n, seed=0, config=config)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, nargs="+", default=[6, 15, 30])
    parser.add_argument("--scenes", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--layout", choices=["demo", "random"], default="demo",
                        help="demo scene graphs (masks and depth), or freely overlapping random boxes")
    parser.add_argument("-g", "--generators", default=None, help="generator names/globs/families (default: all)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    inflect_engine()  # imported once per process (about 2 s), not a per-scene cost
    print(f"{'objects':>7} {'relations':>9} {'samples/scene':>13} {'ms/scene':>9} {'samples/s':>10}")
    for objects in args.objects:
        path = scene_file(args.cache, objects, args.scenes, args.layout)
        scenes = list(read_scenes(path))
        made = sum(len(s) for s in scenes) / len(scenes)
        relations = sum(len(s.relations) for s in scenes) / len(scenes)
        times, samples = [], 0
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory(dir=args.cache) as out:
                start = time.perf_counter()
                samples = generate(path, out, generators=args.generators, overwrite=True).samples
                times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
        print(f"{made:>7.1f} {relations:>9.1f} {samples / len(scenes):>13.1f} {seconds * 1e3 / len(scenes):>9.1f} "
              f"{samples / seconds:>10.0f}", flush=True)


if __name__ == "__main__":
    main()
