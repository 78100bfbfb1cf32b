"""Engine at scale: throughput per worker, speed-up and peak memory over 10k / 100k / 1M scenes.

    python benchmarks/engine_scale.py --sizes 10000 --workers 1 2
    python benchmarks/engine_scale.py --sizes 10000 100000 1000000 --workers 1 -g object.count.v1
    python benchmarks/engine_scale.py --sizes 10000 --workers 1 2 --per-scene 3
    python benchmarks/engine_scale.py --sizes 2500 --workers 1 --per-scene 1 3   # fixed vs per-sample cost
    python benchmarks/engine_scale.py --sizes 10000 --workers 1 2 --scene-graphs coco.jsonl --base 0

Input: demo scene graphs with masks and depth: a base of `--base` distinct scenes (default 5,000,
cached in `--cache`) tiled to each size with fresh image ids (see `_scenes.py`). With
`--scene-graphs FILE`, the first `--base` scene graphs of a veriscene JSONL file instead (for
example real annotations converted with `veriscene convert`; `--base 0`: all of them). Each
configuration runs `veriscene.generate` in a fresh process (so peak memory is that run's),
`--repeats` times; the median is printed.

Columns: scenes, workers, samples, seconds (median), samples/s, samples/s per worker, scenes/s,
peak RSS of the driver and of the largest worker (MiB), speed-up over the first worker count, and
`--per-scene`. With several `--per-scene` values, a last line per size and worker count fits the
whole runs' cost per scene (worker seconds) as a fixed part plus a part per sample.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _scenes import base_scenes, file_scenes, tiled  # benchmarks/_scenes.py

_RUN = r"""
import json, sys, time
from veriscene import generate
from veriscene.engine.summary import peak_memory_mb
scenes, out, workers, gens = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] or None
per_scene = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[5] else None
t = time.perf_counter()
s = generate(scenes, out, workers=workers, generators=gens, per_scene=per_scene, overwrite=True)
print(json.dumps({"samples": s.samples, "scenes": s.scenes, "seconds": time.perf_counter() - t,
                  "driver_mb": peak_memory_mb(include_children=False), "peak_mb": peak_memory_mb()}))
"""


def fresh_runs(scenes: Path, workers: int, generators: str, cache: Path, repeats: int,
               per_scene: int | None = None) -> list[dict]:
    """`repeats` runs of `veriscene.generate` on `scenes`, each in a fresh process (its figures)."""
    runs = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(dir=cache) as out:
            done = subprocess.run([sys.executable, "-c", _RUN, str(scenes), out, str(workers), generators,
                                   str(per_scene or "")],
                                  check=True, capture_output=True, text=True)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--base", type=int, default=5000, help="distinct scenes tiled to each size")
    parser.add_argument("--scene-graphs", type=Path,
                        help="tile the first --base scene graphs of this veriscene JSONL file (0: all) instead of demo ones")
    parser.add_argument("-g", "--generators", default="", help="generator names/globs/families (default: all)")
    parser.add_argument("--per-scene", type=int, nargs="+", default=[None],
                        help="samples per scene, generator and mode (default: each generator's, 1); with "
                             "several values, also the fit of fixed cost per scene and cost per sample")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    if args.scene_graphs is not None:
        name, base = file_scenes(args.scene_graphs, args.base)
        print(f"input: {len(base)} scene graphs of {args.scene_graphs}, tiled")
    else:
        name, base = "demo", base_scenes(args.cache, args.base)
    print(f"{'scenes':>8} {'workers':>7} {'samples':>9} {'seconds':>8} {'samples/s':>10} {'per worker':>10} "
          f"{'scenes/s':>9} {'driver MiB':>10} {'peak MiB':>9} {'speed-up':>8} {'per scene':>9}")
    fits_of: dict[tuple[int, int], list[tuple[float, float]]] = {}  # (size, workers) -> cost points
    for size in args.sizes:
        scenes = tiled(args.cache, base, size, name)
        for per_scene in args.per_scene:
            single = None
            for workers in args.workers:
                runs = fresh_runs(scenes, workers, args.generators, args.cache, args.repeats, per_scene)
                seconds = statistics.median(r["seconds"] for r in runs)
                r = runs[0]
                rate = r["samples"] / seconds
                single = rate if workers == args.workers[0] else single
                speedup = rate / single if single else 1.0
                print(f"{size:>8} {workers:>7} {r['samples']:>9} {seconds:>8.1f} {rate:>10.0f} "
                      f"{rate / workers:>10.0f} {r['scenes'] / seconds:>9.0f} "
                      f"{max(x['driver_mb'] for x in runs):>10.0f} {max(x['peak_mb'] for x in runs):>9.0f} "
                      f"{speedup:>8.2f} {per_scene or 'default':>9}", flush=True)
                point = (r["samples"] / r["scenes"], seconds * workers / r["scenes"])
                fits_of.setdefault((size, workers), []).append(point)
    for (size, workers), points in fits_of.items():
        if len({samples for samples, _ in points}) > 1:
            print(cost_fit(size, workers, points))


def cost_fit(size: int, workers: int, points: list[tuple[float, float]]) -> str:
    """The least-squares line through (samples per scene, worker seconds per scene) of the runs at
    several `--per-scene`: what a scene costs whatever it asks, and what each sample adds."""
    slope, intercept = statistics.linear_regression([p[0] for p in points], [p[1] for p in points])
    samples = min(p[0] for p in points)
    share = intercept / (intercept + slope * samples)
    return (f"fit, {size} scenes, {workers} worker(s): {intercept * 1e3:.2f} ms per scene fixed, "
            f"{slope * 1e6:.1f} us per sample ({share:.0%} fixed at {samples:.1f} samples per scene; "
            f"worker seconds = seconds x workers)")


if __name__ == "__main__":
    main()
