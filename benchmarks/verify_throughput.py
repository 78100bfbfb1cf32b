"""`verify` on 1 and N workers: samples per second, speed-up and memory, the same report each time.

    python benchmarks/verify_throughput.py --size 10000 --workers 1 2 --repeats 3

Input: demo scene graphs with masks and depth (a base of `--base` distinct scenes tiled to `--size`
with fresh image ids, cached in `--cache`; see `_scenes.py`), generated once with every generator
(or `-g`) into zstd shards, 2 workers. Then `veriscene.verify` runs on the run in a fresh process
per worker count, alternated, `--repeats` times. Printed per worker count, medians: seconds,
samples/s, speed-up over the first count, the driver's and the largest worker's peak RSS, and a
digest of the report (samples, verified, per task, problems), which must be the same for every
count (the script stops otherwise).
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

_GENERATE = r"""
import sys
from veriscene import generate
scenes, run, gens = sys.argv[1:4]
made = generate(scenes, run, shard_format="zstd", workers=2, generators=gens or None)
print(f"{made.samples:,} samples in {made.seconds:.1f} s (zstd shards, 2 workers)")
"""

_RUN = r"""
import hashlib, json, sys, time
import orjson
from veriscene import verify
from veriscene.engine.summary import peak_memory_mb
run, workers = sys.argv[1], int(sys.argv[2])
t = time.perf_counter()
r = verify(run, workers=workers)
seconds = time.perf_counter() - t
state = [r.samples, r.verified, sorted(r.per_task.items()), [(p.line, p.kind, p.sample_id) for p in r.problems]]
print(json.dumps({"seconds": seconds, "samples": r.samples, "problems": len(r.problems),
                  "digest": hashlib.sha256(orjson.dumps(state)).hexdigest()[:12],
                  "driver_mb": peak_memory_mb(include_children=False), "peak_mb": peak_memory_mb()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--base", type=int, default=5000, help="distinct scenes, tiled to --size")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("-g", "--generators", default=None, help="generators of the run (default: all)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    scenes = tiled(args.cache, base_scenes(args.cache, min(args.base, args.size)), args.size)
    with tempfile.TemporaryDirectory(prefix="verify-bench-") as tmp:
        run = Path(tmp) / "run"
        # in a process of its own: a process started later inherits the peak RSS of the one that
        # forked it (Linux keeps ru_maxrss across fork and exec), so this script must stay small
        subprocess.run([sys.executable, "-c", _GENERATE, str(scenes), str(run), args.generators or ""], check=True)
        results: dict[int, list[dict[str, float]]] = {w: [] for w in args.workers}
        for _ in range(args.repeats):
            for workers in args.workers:
                done = subprocess.run([sys.executable, "-c", _RUN, str(run), str(workers)], capture_output=True,
                                      text=True, check=False)
                if done.returncode != 0:
                    sys.exit(f"verify with {workers} worker(s) failed:\n{done.stderr}")
                results[workers].append(json.loads(done.stdout.strip().splitlines()[-1]))
    digests = {r["digest"] for rows in results.values() for r in rows}
    if len(digests) != 1:
        sys.exit(f"the reports differ between runs: {sorted(digests)}")
    print(f"{'workers':>7} {'samples':>9} {'seconds':>8} {'samples/s':>10} {'speed-up':>8} {'driver MiB':>10} "
          f"{'peak MiB':>9} {'problems':>8} {'report':>12}")
    first = None
    for workers, rows in results.items():
        seconds = statistics.median(r["seconds"] for r in rows)
        first = first or seconds
        print(f"{workers:>7} {rows[0]['samples']:>9} {seconds:>8.1f} {rows[0]['samples'] / seconds:>10,.0f} "
              f"{first / seconds:>8.2f} {statistics.median(r['driver_mb'] for r in rows):>10.0f} "
              f"{statistics.median(r['peak_mb'] for r in rows):>9.0f} {rows[0]['problems']:>8} {rows[0]['digest']:>12}")


if __name__ == "__main__":
    main()
