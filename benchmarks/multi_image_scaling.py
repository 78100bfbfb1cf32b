"""Multi-image generation speed as the data set grows: 10k vs 100k (and 1M) demo scene graphs.

    python benchmarks/multi_image_scaling.py                      # 10k and 100k scenes
    python benchmarks/multi_image_scaling.py --million            # also 1M (scene file ~2.6 GB)
    python benchmarks/multi_image_scaling.py --anchors 500 --repeats 5

Scene files: a base of `--base` distinct demo scenes tiled to each size with fresh image ids
(`_scenes.py`), cached under `--cache` (delete them to rebuild). For each size N the script
1. runs the engine's scan pass over the whole file (`scan_scenes`: offsets, vocabulary and the
   bottom-k partner pool; linear in N, shared with single-image generation), and
2. times every `multi*` generator (qa + mc) on the same fixed `--anchors` scenes (the first ones
   of the file), with partners drawn from
   - the pool `veriscene.generate` uses (at most 4096 scenes, `--pool-size`), and
   - for N <= 100k, a pool holding the WHOLE data set (every scene a possible partner), which is
     the case where a scan-per-sample design slows down with N and this one must not.
The median over `--repeats` runs of multi-image samples per second is printed per row; peak
memory is that of the whole process so far. `--end-to-end` also times `veriscene.generate(...,
generators="multi*")` on the 10k file (all 10k anchors; a few minutes).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import statistics
import tempfile
import time
from pathlib import Path

import orjson

import veriscene
from _scenes import base_scenes, tiled  # benchmarks/_scenes.py
from veriscene.engine import collector
from veriscene.engine.pool import ScenePool
from veriscene.engine.scan import DEFAULT_POOL_SIZE, scan_scenes
from veriscene.engine.summary import peak_memory_mb
from veriscene.generators import SceneRunner, select_generators
from veriscene.scene.jsonl import scene_from_dict

FULL_POOL_LIMIT = 100_000  # larger "whole data set" pools would hold GBs of raw lines in memory


def read_anchors(path: Path, k: int) -> list:
    with open(path, "rb") as fh:
        return [scene_from_dict(orjson.loads(line)) for line in itertools.islice(fh, k)]


def time_generation(anchors: list, pool: ScenePool, vocab, repeats: int) -> tuple[int, float]:
    """(samples, median seconds) of all multi-image generators over the anchors."""
    generators = [g() for g in select_generators("multi*")]
    times, counts = [], []
    for r in range(repeats):
        runner = SceneRunner(generators, vocab, seed=r, modes=("qa", "mc"), pool=pool)
        start = time.perf_counter()
        with collector.paused():  # as the engine runs shards
            counts.append(sum(len(runner.run(scene)) for scene in anchors))
        times.append(time.perf_counter() - start)
    collector.release()
    return int(statistics.median(counts)), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also run 1,000,000 scenes")
    parser.add_argument("--anchors", type=int, default=1000, help="anchor scenes timed per row")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pool-size", type=int, default=DEFAULT_POOL_SIZE)
    parser.add_argument("--base", type=int, default=5000, help="distinct demo scenes tiled to each size")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    parser.add_argument("--end-to-end", action="store_true", help="also time veriscene.generate on the 10k file")
    args = parser.parse_args()
    sizes = sorted(set(args.sizes + ([1_000_000] if args.million else [])))

    print(f"multi-image generators: {len(select_generators('multi*'))}; anchors per row: {args.anchors}; "
          f"median of {args.repeats}")
    print(f"{'scenes':>9} {'scan s':>7} {'pool':>8} {'samples':>8} {'gen s':>7} {'samples/s':>10} {'peak MiB':>9}")
    base = base_scenes(args.cache, args.base)
    for n in sizes:
        path = tiled(args.cache, base, n)
        start = time.perf_counter()
        scan = scan_scenes(path, seed=0, pool_size=args.pool_size)
        scan_s = time.perf_counter() - start
        anchors = read_anchors(path, args.anchors)
        rows = [(str(len(scan.pool)), args.pool_size)]
        if args.pool_size < n <= FULL_POOL_LIMIT:
            rows.append(("all", n))
        for label, pool_size in rows:
            # Built per row and freed after it: a live 100k-entry pool would slow the other row
            # through Python's garbage collector, not through any access.
            entries = scan.pool if pool_size == args.pool_size else scan_scenes(path, seed=0, pool_size=pool_size).pool
            pool = ScenePool(entries)
            samples, seconds = time_generation(anchors, pool, scan.vocab, args.repeats)
            print(f"{n:>9} {scan_s:>7.1f} {label:>8} {samples:>8} {seconds:>7.2f} {samples / seconds:>10.0f} "
                  f"{peak_memory_mb():>9.0f}", flush=True)
            del pool, entries
            gc.collect()

    if args.end_to_end:
        path = tiled(args.cache, base, 10_000)
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            summary = veriscene.generate(path, out, seed=0, generators="multi*", mode="both", overwrite=True)
            seconds = time.perf_counter() - start
        print(f"end to end, veriscene.generate on 10,000 scenes: {summary.samples} samples in {seconds:.0f} s "
              f"({summary.samples / seconds:.0f} samples/s, scan and writing included)")


if __name__ == "__main__":
    main()
