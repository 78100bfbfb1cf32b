"""Multi-image generation speed as the data set grows: 10k vs 100k (and 1M) demo scene graphs.

    python benchmarks/multi_image_scaling.py                      # 10k and 100k scenes
    python benchmarks/multi_image_scaling.py --million            # also 1M (scene file ~2.5 GB)
    python benchmarks/multi_image_scaling.py --anchors 500 --repeats 5

Scene files are synthesised once (about 2 ms per scene: 100k take ~4 minutes, 1M ~40 minutes)
and CACHED under --cache-dir (default /tmp/veriscene_bench/demo_<N>.jsonl); delete them to
rebuild. For each size N the script
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
from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.pool import ScenePool
from veriscene.engine.scan import DEFAULT_POOL_SIZE, scan_scenes
from veriscene.engine.summary import peak_memory_mb
from veriscene.generators import SceneRunner, select_generators
from veriscene.scene.jsonl import scene_from_dict

FULL_POOL_LIMIT = 100_000  # larger "whole data set" pools would hold GBs of raw lines in memory


def scene_file(n: int, cache_dir: Path) -> Path:
    """The cached JSONL of n demo scenes (seed 0), written on first use."""
    path = cache_dir / f"demo_{n}.jsonl"
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        print(f"  synthesising {n} demo scene graphs into {path} (cached for later runs) ...", flush=True)
        veriscene.write_scenes(iter_scene_graphs(n, seed=0), path)
        print(f"  ... {time.perf_counter() - start:.0f} s", flush=True)
    return path


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
        counts.append(sum(len(runner.run(scene)) for scene in anchors))
        times.append(time.perf_counter() - start)
    return int(statistics.median(counts)), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also run 1,000,000 scenes")
    parser.add_argument("--anchors", type=int, default=1000, help="anchor scenes timed per row")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pool-size", type=int, default=DEFAULT_POOL_SIZE)
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/veriscene_bench"))
    parser.add_argument("--end-to-end", action="store_true", help="also time veriscene.generate on the 10k file")
    args = parser.parse_args()
    sizes = sorted(set(args.sizes + ([1_000_000] if args.million else [])))

    print(f"multi-image generators: {len(select_generators('multi*'))}; anchors per row: {args.anchors}; "
          f"median of {args.repeats}")
    print(f"{'scenes':>9} {'scan s':>7} {'pool':>8} {'samples':>8} {'gen s':>7} {'samples/s':>10} {'peak MiB':>9}")
    for n in sizes:
        path = scene_file(n, args.cache_dir)
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
        path = scene_file(10_000, args.cache_dir)
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            summary = veriscene.generate(path, out, seed=0, generators="multi*", mode="both", overwrite=True)
            seconds = time.perf_counter() - start
        print(f"end to end, veriscene.generate on 10,000 scenes: {summary.samples} samples in {seconds:.0f} s "
              f"({summary.samples / seconds:.0f} samples/s, scan and writing included)")


if __name__ == "__main__":
    main()
