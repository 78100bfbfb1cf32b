"""`veriscene export` to each format: samples per second and memory.

    python benchmarks/export_throughput.py --size 10000 --to llava sharegpt parquet verl --repeats 3

Input: demo scene graphs with masks and depth (a base of `--base` distinct scenes tiled to `--size`
with fresh image ids, cached in `--cache`; see `_scenes.py`), generated once with every generator
(or `-g`) into zstd shards, 2 workers. Then `veriscene.io.export.export` writes each format in a
fresh process, formats alternated, `--repeats` times. Printed per format, medians: seconds,
samples/s, peak RSS, the output's size and a digest of its files (the same every time, or the
script stops). The demo scenes name image files that are not there (only their scene graphs are
made), so every export also counts them missing; the paths are written all the same.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from _scenes import add_run_options, alternated, base_scenes, made_run, tiled  # benchmarks/_scenes.py

_RUN = r"""
import hashlib, json, shutil, sys, time
from pathlib import Path
from veriscene.engine.summary import peak_memory_mb
from veriscene.io.export import export
run, out, fmt = sys.argv[1:4]
shutil.rmtree(out, ignore_errors=True)  # the previous repeat's
t = time.perf_counter()
summary = export(run, out, to=fmt)
seconds, peak = time.perf_counter() - t, peak_memory_mb()  # before the digest reads the output
digest, size = hashlib.sha256(), 0
files = sorted(p for p in Path(out).rglob("*") if p.is_file()) if Path(out).is_dir() else [Path(out)]
for path in files:
    digest.update(path.name.encode())
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
print(json.dumps({"seconds": seconds, "samples": summary.samples_written, "missing": summary.images_missing,
                  "mb": size / 1e6, "digest": digest.hexdigest()[:12], "peak_mb": peak}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--to", nargs="+", default=["llava", "sharegpt", "parquet", "verl"])
    add_run_options(parser)
    args = parser.parse_args()
    scenes = tiled(args.cache, base_scenes(args.cache, min(args.base, args.size)), args.size)
    with tempfile.TemporaryDirectory(prefix="export-bench-") as tmp:
        run = Path(tmp) / "run"
        made_run(scenes, run, args.generators)
        results = alternated(_RUN, {fmt: [str(run), str(Path(tmp) / fmt), fmt] for fmt in args.to}, args.repeats)
    print(f"{'format':>9} {'samples':>9} {'seconds':>8} {'samples/s':>10} {'peak MiB':>9} {'MB':>7} "
          f"{'missing':>8} {'output':>12}")
    for fmt, rows in results.items():
        if len({r["digest"] for r in rows}) != 1:
            sys.exit(f"{fmt}: the outputs differ between runs")
        seconds = statistics.median(r["seconds"] for r in rows)
        print(f"{fmt:>9} {rows[0]['samples']:>9} {seconds:>8.1f} {rows[0]['samples'] / seconds:>10,.0f} "
              f"{statistics.median(r['peak_mb'] for r in rows):>9.0f} {rows[0]['mb']:>7.1f} "
              f"{rows[0]['missing']:>8} {rows[0]['digest']:>12}")


if __name__ == "__main__":
    main()
