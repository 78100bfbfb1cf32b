"""Throughput on scene graphs shaped like real annotations (Visual Genome), all generators.

    python benchmarks/vg_shaped.py                         # 2,000 scenes, 1 worker
    python benchmarks/vg_shaped.py --scenes 10000 --workers 1 2 --repeats 3

The demo scene graphs have 3-8 objects of 6 names; Visual Genome's have about 35 objects of
20-40 distinct names, drawn from tens of thousands of names, with thousands of predicates, and no
masks or depth. Costs that grow with the objects, the names of a scene or the vocabulary only
show on such input. `_scenes.vg_shaped_scenes` makes (and caches in `--cache`) scene graphs with
those shapes from Zipf laws (it describes them); each configuration runs `veriscene.generate` in
a fresh process, `--repeats` times, and prints the median.

Columns: scenes, workers, samples, samples per scene, seconds (median), samples/s, samples/s per
worker, ms per scene per worker, peak RSS of the driver and of the largest worker (MiB).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from _scenes import vg_shaped_scenes  # benchmarks/_scenes.py
from engine_scale import fresh_runs  # benchmarks/engine_scale.py


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0, help="seed of the scene graphs")
    parser.add_argument("-g", "--generators", default="", help="generator names/globs/families (default: all)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    scenes = vg_shaped_scenes(args.cache, args.scenes, args.seed)
    print(f"{'scenes':>7} {'workers':>7} {'samples':>8} {'per scene':>9} {'seconds':>8} {'samples/s':>10} "
          f"{'per worker':>10} {'ms/scene':>8} {'driver MiB':>10} {'peak MiB':>9}")
    for workers in args.workers:
        runs = fresh_runs(scenes, workers, args.generators, args.cache, args.repeats)
        seconds = statistics.median(r["seconds"] for r in runs)
        r = runs[0]
        rate = r["samples"] / seconds
        print(f"{r['scenes']:>7} {workers:>7} {r['samples']:>8} {r['samples'] / r['scenes']:>9.1f} {seconds:>8.1f} "
              f"{rate:>10.0f} {rate / workers:>10.0f} {seconds * workers * 1e3 / r['scenes']:>8.1f} "
              f"{max(x['driver_mb'] for x in runs):>10.0f} {max(x['peak_mb'] for x in runs):>9.0f}", flush=True)


if __name__ == "__main__":
    main()
