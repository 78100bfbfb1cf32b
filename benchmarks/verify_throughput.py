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
import statistics
import sys
import tempfile
from pathlib import Path

from _scenes import add_run_options, alternated, base_scenes, made_run, tiled  # benchmarks/_scenes.py

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
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    add_run_options(parser)
    args = parser.parse_args()
    scenes = tiled(args.cache, base_scenes(args.cache, min(args.base, args.size)), args.size)
    with tempfile.TemporaryDirectory(prefix="verify-bench-") as tmp:
        run = Path(tmp) / "run"
        made_run(scenes, run, args.generators)
        results = alternated(_RUN, {w: [str(run), str(w)] for w in args.workers}, args.repeats)
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
