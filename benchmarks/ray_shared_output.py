"""On Ray: the driver's work when the workers send their samples back to be written, against
`--shared-output`, where they write (and compress) their shards themselves.

    python benchmarks/ray_shared_output.py --size 10000 --workers 2 --format zstd --repeats 3
    python benchmarks/ray_shared_output.py --size 10000 --workers 2 --format parquet jsonl

Input: demo scene graphs with masks and depth (a base of `--base` distinct scenes tiled to `--size`
with fresh image ids, cached in `--cache`; see `_scenes.py`). Each run is `veriscene.generate`
with `backend="ray"` on a local Ray of `--workers` CPUs, in a fresh process, alternating the two
modes. Printed per format and mode, medians over `--repeats`: wall seconds, samples/s, the
driver's CPU seconds (user + system, its own process only: what a cluster's driver must keep up
with as workers are added) and its peak RSS. Both modes must make the same samples: the
script checks their digest.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _scenes import base_scenes, tiled  # benchmarks/_scenes.py

_RUN = r"""
import hashlib, json, resource, sys, time
from veriscene import generate
from veriscene.engine.runfiles import iter_sample_lines
from veriscene.engine.summary import peak_memory_mb
scenes, out, workers, fmt, shared = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5] == "1"
gens = sys.argv[6] or None
t = time.perf_counter()
s = generate(scenes, out, workers=workers, backend="ray", shard_format=fmt, shared_output=shared, generators=gens,
             overwrite=True)
seconds = time.perf_counter() - t
me = resource.getrusage(resource.RUSAGE_SELF)
digest = hashlib.blake2b(digest_size=8)
for line in iter_sample_lines(out):
    digest.update(line)
print(json.dumps({"samples": s.samples, "seconds": seconds, "driver_cpu": me.ru_utime + me.ru_stime,
                  "driver_mb": peak_memory_mb(include_children=False), "digest": digest.hexdigest()}))
"""


def run(scenes: Path, out: str, workers: int, fmt: str, shared: bool, generators: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _RUN, str(scenes), out, str(workers), fmt, "1" if shared else "0",
                           generators],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--format", nargs="+", default=["zstd"], choices=["jsonl", "zstd", "parquet"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--base", type=int, default=5000, help="distinct scenes tiled to the size")
    parser.add_argument("-g", "--generators", default="", help="generator names/globs/families (default: all)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    scenes = tiled(args.cache, base_scenes(args.cache, args.base), args.size)
    print(f"{args.size} demo scenes, {args.workers} Ray workers, median of {args.repeats}")
    print(f"{'format':>7} {'mode':>14} {'samples':>9} {'seconds':>8} {'samples/s':>10} {'driver CPU s':>12} "
          f"{'driver MiB':>10}")
    for fmt in args.format:
        runs: dict[bool, list[dict]] = {False: [], True: []}
        with tempfile.TemporaryDirectory(dir=args.cache) as out:
            for _ in range(args.repeats):
                for shared in (False, True):
                    runs[shared].append(run(scenes, out, args.workers, fmt, shared, args.generators))
        digests = {r["digest"] for both in runs.values() for r in both}
        if len(digests) != 1:
            raise SystemExit(f"the two modes made different samples: {sorted(digests)}")
        for shared, done in runs.items():
            seconds = statistics.median(r["seconds"] for r in done)
            print(f"{fmt:>7} {'shared output' if shared else 'sent back':>14} {done[0]['samples']:>9} "
                  f"{seconds:>8.1f} {done[0]['samples'] / seconds:>10.0f} "
                  f"{statistics.median(r['driver_cpu'] for r in done):>12.1f} "
                  f"{max(r['driver_mb'] for r in done):>10.0f}", flush=True)


if __name__ == "__main__":
    main()
