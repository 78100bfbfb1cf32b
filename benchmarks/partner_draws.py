"""What drawing multi-image partners costs: random draws per `ScenePool.draw` call, and how often
a call finds fewer partners than asked, on Visual Genome-shaped scene graphs.

    python benchmarks/partner_draws.py                  # 300 anchors of 300 scenes
    python benchmarks/partner_draws.py --scenes 2000 --anchors 500

The multi-image generators ask the pool for partners holding a name, attribute or predicate
(its posting list), often with a further test; rare words have short posting lists, and Visual
Genome's vocabulary is mostly rare words. Runs the 18 multi-image generators (or `-g`) in one
process on the first `--anchors` scenes, with the pool of all `--scenes`, and counts every
random draw `draw` makes.

Columns: anchors, draw calls, random draws per call, share of calls short of partners, samples,
ms per anchor.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _scenes import vg_shaped_scenes  # benchmarks/_scenes.py

from veriscene.engine import shards
from veriscene.engine.generate import generate
from veriscene.engine.pool import ScenePool
from veriscene.engine.shards import _parse_scene


class _CountingRng:
    """A random generator that counts `integers` calls (the only draws `ScenePool.draw` makes)."""

    def __init__(self, rng: Any, counts: Counter[str]) -> None:
        self.rng, self.counts = rng, counts

    def integers(self, *args: Any, **kwargs: Any) -> Any:
        self.counts["draws"] += 1
        return self.rng.integers(*args, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=300, help="scenes in the input (and pool)")
    parser.add_argument("--anchors", type=int, default=300)
    parser.add_argument("-g", "--generators", default="multi.*")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    scenes = vg_shaped_scenes(args.cache, args.scenes, 0)
    with tempfile.TemporaryDirectory(dir=args.cache) as out:
        # a whole run first: it builds the vocabulary and pool the worker then keeps
        generate(scenes, Path(out) / "run", generators=args.generators, overwrite=True)
    worker = next(iter(shards._WORKERS.values()))
    counts: Counter[str] = Counter()
    original = ScenePool.draw

    def counted(self: ScenePool, rng: Any, k: int, **kwargs: Any) -> Any:
        got = original(self, _CountingRng(rng, counts), k, **kwargs)
        counts["calls"] += 1
        counts["short"] += len(got) < k
        return got

    ScenePool.draw = counted  # type: ignore[method-assign]
    samples = 0
    with open(scenes, "rb") as fh:
        lines = [line for _, line in zip(range(args.anchors), fh)]
    start = time.perf_counter()
    for line in lines:
        scene = _parse_scene(line)
        samples += len(worker.runner.run(scene, worker.image_path(scene)))
    seconds = time.perf_counter() - start
    calls = max(counts["calls"], 1)
    print(f"{'anchors':>7} {'calls':>7} {'draws/call':>10} {'short':>6} {'samples':>8} {'ms/anchor':>9}")
    print(f"{len(lines):>7} {counts['calls']:>7} {counts['draws'] / calls:>10.1f} {counts['short'] / calls:>6.0%} "
          f"{samples:>8} {seconds * 1e3 / len(lines):>9.2f}")


if __name__ == "__main__":
    main()
