"""The first pass (scan) of a run: seconds, scenes/s and memory for 1 and N workers.

    python benchmarks/scan_throughput.py                                 # 100k VG-shaped scenes, 1 and 2 workers
    python benchmarks/scan_throughput.py --data demo --scenes 1000000 --workers 1 2 --repeats 3
    python benchmarks/scan_throughput.py --data demo --compression none gzip zstd --repeats 3
    python benchmarks/scan_throughput.py --data demo --compression none zstd --files 1 100

Before any shard is generated, `veriscene.generate` scans the input once for line offsets, the
vocabulary (with name co-occurrence), repeated image ids and the multi-image pool. On Visual
Genome-shaped scene graphs (about 35 objects of 20-40 names from 50,000) the co-occurrence
counting makes it cost about 0.3-0.5 ms per scene, so on a large cluster it would hold every
worker up. It runs in chunks of `--chunk-mb` of the file on the run's workers; this benchmark
runs `veriscene.engine.scan.scan_scenes` in a fresh process per configuration (`--repeats` times,
median) on a file made by `_scenes.py` (cached in `--cache`), and prints: chunks, seconds,
scenes/s, MB/s, speed-up over the first worker count, the peak RSS of the driver and of the
largest worker (MiB), and a hash of the whole scan result (the same for every worker count).

With `--compression`, the same file is also scanned compressed (gzip, zstd, bz2 or xz; the
copies are cached beside it): the driver decompresses it and sends each chunk's bytes to the
workers (`veriscene.scene.compressed`). The result hash must be the same as the plain file's;
MB/s counts the decompressed megabytes.

With `--files`, the file is also cut into that many files (a folder of them, cached beside it;
compressed as above), scanned as one input (`veriscene.scene.inputs`): the result hash must again
be the same.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _scenes import base_scenes, compressed_copy, split_copy, tiled, vg_shaped_scenes  # benchmarks/_scenes.py

_RUN = r"""
import hashlib, json, sys, time
import orjson
from veriscene.engine.scan import chunk_bounds, scan_scenes
from veriscene.engine.summary import peak_memory_mb
from veriscene.scene.inputs import scene_paths
path, workers, chunk, plain = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
t = time.perf_counter()
scan = scan_scenes(scene_paths(path), workers=workers, chunk_bytes=chunk)  # a folder: its files as one input
seconds = time.perf_counter() - t
driver_mb, peak_mb = peak_memory_mb(include_children=False), peak_memory_mb()  # before the hash's copies
state = [scan.scenes, list(scan.checkpoints), list(scan.blank_after), list(scan.id_hashes), scan.vocab.to_dict(),
         [e.image_id for e in scan.pool], scan.undecodable]
print(json.dumps({"seconds": seconds, "scenes": scan.scenes, "chunks": len(chunk_bounds(plain, chunk)),
                  "hash": hashlib.sha256(orjson.dumps(state)).hexdigest()[:12],
                  "driver_mb": driver_mb, "peak_mb": peak_mb}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", choices=("vg", "demo"), default="vg")
    parser.add_argument("--scenes", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--chunk-mb", type=float, default=64.0, help="scan chunk size in MiB (the engine's default: 64)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--compression", nargs="+", default=["none"], choices=("none", "gzip", "zstd", "bz2", "xz"),
                        help="scan the file as it is (none) and/or compressed so")
    parser.add_argument("--files", type=int, nargs="+", default=[1],
                        help="scan the file as it is (1) and/or cut into this many files read as one input")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    if args.data == "vg":
        path = vg_shaped_scenes(args.cache, args.scenes)
    else:
        path = tiled(args.cache, base_scenes(args.cache, 5000), args.scenes)
    megabytes = path.stat().st_size / 1e6
    chunk = int(args.chunk_mb * (1 << 20))
    print(f"{path.name}: {megabytes:,.0f} MB")
    print(f"{'file':>10} {'scenes':>8} {'workers':>7} {'chunks':>6} {'seconds':>8} {'scenes/s':>9} {'MB/s':>6} "
          f"{'speed-up':>8} {'driver MiB':>10} {'peak MiB':>9} {'result':>12}")
    for kind, files in ((kind, files) for kind in args.compression for files in args.files):
        if files > 1:
            scanned = split_copy(path, files, kind)
            stored = sum(p.stat().st_size for p in scanned.iterdir())
            print(f"{kind}: {files} files in {scanned.name}, {stored / 1e6:,.1f} MB")
        else:
            scanned = path if kind == "none" else compressed_copy(path, kind)
            if kind != "none":
                print(f"{kind}: {scanned.name}, {scanned.stat().st_size / 1e6:,.1f} MB")
        label = ("plain" if kind == "none" else kind) + (f"x{files}" if files > 1 else "")
        first = None
        for workers in args.workers:
            runs = []
            for _ in range(args.repeats):
                done = subprocess.run([sys.executable, "-c", _RUN, str(scanned), str(workers), str(chunk), str(path)],
                                      check=True, capture_output=True, text=True)
                runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            seconds = statistics.median(r["seconds"] for r in runs)
            first = first or seconds
            r = runs[0]
            assert len({x["hash"] for x in runs}) == 1, "the scan result changed between repeats"
            print(f"{label:>10} {r['scenes']:>8} {workers:>7} {r['chunks']:>6} {seconds:>8.1f} "
                  f"{r['scenes'] / seconds:>9.0f} {megabytes / seconds:>6.1f} {first / seconds:>8.2f} "
                  f"{max(x['driver_mb'] for x in runs):>10.0f} {max(x['peak_mb'] for x in runs):>9.0f} "
                  f"{r['hash']:>12}", flush=True)


if __name__ == "__main__":
    main()
