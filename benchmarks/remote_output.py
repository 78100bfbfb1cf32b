"""A run written to object storage against the same run written to a local folder: what the
uploads cost the driver and the run.

    python benchmarks/remote_output.py --size 10000 --workers 2 --format zstd --repeats 3

Input: demo scene graphs with masks and depth (a base of `--base` distinct scenes tiled to `--size`
with fresh image ids, cached in `--cache`; see `_scenes.py`). The store is an S3 server on this
machine (moto's, in a process of its own, `python -m moto.server`; needs the test extra: moto,
flask, flask-cors, s3fs), so the figures are the client's cost, not a network's. Each run is
`veriscene.generate` in a fresh process with `--workers` local workers, alternating the local folder
(with `absolute_paths=True`, so both make the same bytes) and `s3://bench/run-N` (staging in the
temporary folder). Printed per format and output, medians over `--repeats`: wall seconds,
samples/s, the driver's CPU seconds (user + system, its own process: the uploads' threads are
counted there), its peak RSS, and the MB uploaded. Both outputs must hold the same samples: the
script checks their digest (for s3, read back from the bucket).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _s3 import s3_server  # benchmarks/_s3.py
from _scenes import base_scenes, tiled  # benchmarks/_scenes.py

_RUN = r"""
import hashlib, json, resource, sys, time
from veriscene import generate
from veriscene.engine.summary import peak_memory_mb
scenes, out, staging, workers, fmt, gens = sys.argv[1:7]
t = time.perf_counter()
if out.startswith("s3://"):
    s = generate(scenes, out, staging=staging, workers=int(workers), shard_format=fmt, generators=gens or None)
else:
    s = generate(scenes, out, workers=int(workers), shard_format=fmt, generators=gens or None, overwrite=True,
                 absolute_paths=True)
seconds = time.perf_counter() - t
me = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"samples": s.samples, "seconds": seconds, "driver_cpu": me.ru_utime + me.ru_stime,
                  "driver_mb": peak_memory_mb(include_children=False)}))
"""

# In a process of its own, which downloads a run from the bucket first: a process started later
# inherits the peak RSS of the one that forked it (Linux keeps ru_maxrss across fork and exec), so
# this script itself must stay small.
_DIGEST = r"""
import hashlib, sys
from veriscene.engine.runfiles import iter_sample_lines
folder, url = sys.argv[1], sys.argv[2]
if url:
    import fsspec
    fsspec.filesystem("s3").get(url.removeprefix("s3://") + "/", folder, recursive=True)
digest = hashlib.blake2b(digest_size=8)
for line in iter_sample_lines(folder):
    digest.update(line)
print(digest.hexdigest())
"""


def _digest(folder: Path, url: str = "", env: dict[str, str] | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", _DIGEST, str(folder), url], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"reading {url or folder} back failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip()


def _mb(values: list[float | None]) -> str:
    return "-" if values[0] is None else f"{statistics.median(v for v in values if v is not None):.3f}"


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

    import fsspec

    with s3_server() as (env, _client):
        s3 = fsspec.filesystem("s3")
        print(f"{args.size} demo scenes, {args.workers} local workers, an S3 server on this machine, "
              f"median of {args.repeats}")
        print(f"{'format':>7} {'output':>7} {'samples':>9} {'seconds':>8} {'samples/s':>10} {'driver CPU s':>12} "
              f"{'driver MiB':>10} {'MB sent':>8}")
        for fmt in args.format:
            runs: dict[str, list[dict]] = {"local": [], "s3": []}
            digests: set[str] = set()
            with tempfile.TemporaryDirectory(dir=args.cache) as tmp:
                for i in range(args.repeats):
                    for where in ("local", "s3"):
                        out = str(Path(tmp) / "local") if where == "local" else f"s3://bench/{fmt}-{i}"
                        staging = str(Path(tmp) / f"staging-{i}")
                        done = subprocess.run([sys.executable, "-c", _RUN, str(scenes), out, staging,
                                               str(args.workers), fmt, args.generators],
                                              capture_output=True, text=True, env=env)
                        if done.returncode != 0:
                            raise SystemExit(f"the {where} run ({fmt}) failed:\n{done.stderr[-3000:]}")
                        result = json.loads(done.stdout.strip().splitlines()[-1])
                        if where == "s3":
                            result["mb"] = s3.du(f"bench/{fmt}-{i}") / 1e6
                            digests.add(_digest(Path(tmp) / f"back-{i}", out, env))
                        else:
                            result["mb"] = None
                            digests.add(_digest(Path(out)))
                        runs[where].append(result)
            if len(digests) != 1:
                raise SystemExit(f"the local and s3 runs made different samples: {sorted(digests)}")
            for where, done_runs in runs.items():
                seconds = statistics.median(r["seconds"] for r in done_runs)
                print(f"{fmt:>7} {where:>7} {done_runs[0]['samples']:>9} {seconds:>8.1f} "
                      f"{done_runs[0]['samples'] / seconds:>10.0f} "
                      f"{statistics.median(r['driver_cpu'] for r in done_runs):>12.1f} "
                      f"{max(r['driver_mb'] for r in done_runs):>10.0f} "
                      f"{_mb([r['mb'] for r in done_runs]):>8}", flush=True)


if __name__ == "__main__":
    main()
