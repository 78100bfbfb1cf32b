"""Reading a compressed scene file: seconds and decompressed MB/s, per compression.

    python benchmarks/compressed_read.py                                  # 100k demo scenes, all four, 3 runs
    python benchmarks/compressed_read.py --compression gzip zstd --repeats 5
    python benchmarks/compressed_read.py --src /tmp/old/src               # another tree's code, same files

Every reader of a compressed scene file (the scan of `generate`, `read_scenes`, `verify`, `split`,
`convert`) goes through `veriscene.scene.compressed.open_scene_file`, which decompresses it as a
stream. This benchmark reads a file of `--scenes` demo scenes (`--base` distinct ones repeated:
`_scenes.py`, cached in `--cache` with its compressed copies) in a fresh process per run, two ways: line by line (`lines`: as
`read_scenes` and `verify` do) and in 1 MiB reads (`blocks`: as the scan copies its chunks), and
prints per compression and way the CPU seconds of each of `--repeats` runs, their median (CPU
time: on a machine shared with other work, wall time measures the others), the wall seconds'
median, the decompressed MB/s of the CPU median and a hash of the bytes read (the same for every compression, and for the plain file). `--src` runs the
code of another source tree (its `src` folder) on the same files, to compare two versions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _scenes import base_scenes, compressed_copy, tiled  # benchmarks/_scenes.py

_RUN = r"""
import hashlib, json, sys, time
from veriscene.scene.compressed import open_scene_file
path, way = sys.argv[1], sys.argv[2]
digest, size, lines = hashlib.blake2b(digest_size=8), 0, 0
t, cpu = time.perf_counter(), time.process_time()
with open_scene_file(path) as fh:
    if way == "lines":
        for line in fh:
            lines += 1
            size += len(line)
    else:
        while block := fh.read(1 << 20):
            size += len(block)
seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
with open_scene_file(path) as fh:  # (not timed) the bytes read, to compare
    while block := fh.read(1 << 20):
        digest.update(block)
print(json.dumps({"seconds": seconds, "cpu": cpu, "bytes": size, "lines": lines, "hash": digest.hexdigest()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=100_000)
    parser.add_argument("--base", type=int, default=5000, help="distinct demo scenes the file repeats")
    parser.add_argument("--compression", nargs="+", default=["gzip", "zstd", "bz2", "xz"],
                        choices=("none", "gzip", "zstd", "bz2", "xz"))
    parser.add_argument("--ways", nargs="+", default=["lines", "blocks"], choices=("lines", "blocks"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--src", type=Path, help="a source tree's src folder to import veriscene from")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    path = tiled(args.cache, base_scenes(args.cache, args.base), args.scenes)
    env = dict(os.environ)
    if args.src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(args.src.resolve()), env.get("PYTHONPATH", "")])
    print(f"{path.name}: {path.stat().st_size / 1e6:,.0f} MB; code: {args.src or 'this tree'}")
    print(f"{'file':>6} {'MB':>6} {'way':>6} {'CPU s of each run':>24} {'median':>7} {'wall':>6} {'MB/s':>6} {'hash':>16}")
    for kind in args.compression:
        read = path if kind == "none" else compressed_copy(path, kind)
        for way in args.ways:
            runs = []
            for _ in range(args.repeats):
                done = subprocess.run([sys.executable, "-c", _RUN, str(read), way], check=True, capture_output=True,
                                      text=True, env=env)
                runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            assert len({r["hash"] for r in runs}) == 1, "the bytes read changed between runs"
            cpu, wall = statistics.median(r["cpu"] for r in runs), statistics.median(r["seconds"] for r in runs)
            said = " ".join(f"{r['cpu']:.2f}" for r in runs)
            print(f"{kind:>6} {read.stat().st_size / 1e6:>6.1f} {way:>6} {said:>24} {cpu:>7.2f} {wall:>6.2f} "
                  f"{runs[0]['bytes'] / 1e6 / cpu:>6.0f} {runs[0]['hash']:>16}", flush=True)


if __name__ == "__main__":
    main()
