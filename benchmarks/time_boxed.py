"""A run on a large input stopped after a fixed time: rate and peak memory at that input size.

    python benchmarks/time_boxed.py --size 1000000 --workers 2 --seconds 900
    python benchmarks/time_boxed.py --size 1000000 -g object.count.v1 --seconds 160 --trace 10
    python benchmarks/time_boxed.py --size 1000000 --seconds 10000 --shard-format zstd  # to the end
    python benchmarks/time_boxed.py --size 1000000 --seconds 420 --shard-format zstd --compression zstd
    python benchmarks/time_boxed.py --size 1000000 --seconds 420 --shard-format zstd --compression zstd --files 100

A full run of every generator on 1M demo scenes makes about 82M samples (72 minutes on 2 cores).
Memory that grows with the input shows early (the driver's scan and shard plan cover the whole
input before the first shard starts, and each worker's pool and vocabulary are built on its first
shard), so this script starts `veriscene.generate` on the tiled input of `--size` scenes (see
`_scenes.py`), polls the peak resident memory (Linux `VmHWM`) of the driver and of each worker
every half second (a driver that finishes also writes its own peak, so a run shorter than a poll
still has one), and stops the run (SIGKILL, as a crash would) after `--seconds`. The run can be
completed later with `generate(..., resume=True)`. A run that ends within `--seconds` is a full run:
`--shard-format zstd` keeps its output compressed (about 77 GB as JSONL for every generator at 1M).
`--compression` reads the input compressed, `--files N` cut into N files read as one input (a
folder of them, cached beside it; `veriscene.scene.inputs`).

Printed: shards finished and their scenes and samples (from the shard sidecars), the steady rate
(shards finished after the first one, over the time from the first to the last finish), and the
peak memory of the driver and of the largest worker. `--trace S` also prints the driver's current
memory and the shards finished every S seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _scenes import base_scenes, compressed_copy, split_copy, tiled  # benchmarks/_scenes.py

_RUN = r"""
import resource, sys
from pathlib import Path
from veriscene import generate
generate(sys.argv[1], sys.argv[2], workers=int(sys.argv[3]), generators=sys.argv[4] or None,
         shard_format=sys.argv[5], overwrite=True)
# a run that ends between two polls still reports its peak (finished runs only)
Path(sys.argv[2], "driver_peak_mib").write_text(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
"""


def _status_mib(pid: int, field: str) -> float:
    """A memory figure of a live process from /proc (VmHWM: peak resident, VmRSS: current), in
    MiB; 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(c) for c in text.split()]


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=900)
    parser.add_argument("--base", type=int, default=5000)
    parser.add_argument("-g", "--generators", default="", help="generator names/globs/families (default: all)")
    parser.add_argument("--trace", type=float, default=0,
                        help="also print the driver's resident memory and the shards finished every this many seconds")
    parser.add_argument("--shard-format", default="jsonl", choices=["jsonl", "zstd", "parquet"])
    parser.add_argument("--compression", default="none", choices=["none", "gzip", "zstd", "bz2", "xz"],
                        help="read the input compressed so (a copy cached beside it)")
    parser.add_argument("--files", type=int, default=1, help="read the input cut into this many files")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    if not Path("/proc/self/status").exists():
        sys.exit("time_boxed.py reads peak memory from /proc (Linux only)")
    scenes = tiled(args.cache, base_scenes(args.cache, args.base), args.size)
    if args.files > 1:
        scenes = split_copy(scenes, args.files, args.compression)
    elif args.compression != "none":
        scenes = compressed_copy(scenes, args.compression)
    with tempfile.TemporaryDirectory(dir=args.cache) as out:
        start = time.time()
        proc = subprocess.Popen([sys.executable, "-c", _RUN, str(scenes), out, str(args.workers), args.generators,
                                 args.shard_format])
        driver = 0.0
        workers: dict[int, float] = {}
        next_trace = args.trace
        while time.time() - start < args.seconds and proc.poll() is None:
            if args.trace and time.time() - start >= next_trace:
                shards = len(list(Path(out, "shards").glob("shard-*.json"))) if Path(out, "shards").exists() else 0
                print(f"{next_trace:7.0f} s: {shards:6d} shards finished, driver RSS {_status_mib(proc.pid, 'VmRSS'):.0f} MiB",
                      flush=True)
                next_trace += args.trace
            driver = max(driver, _status_mib(proc.pid, "VmHWM"))
            for child in _children(proc.pid):
                workers[child] = max(workers.get(child, 0.0), _status_mib(child, "VmHWM"))
            time.sleep(0.5)
        finished = proc.poll() is not None
        if not finished:
            for child in _children(proc.pid):
                _kill(child)
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        elapsed = time.time() - start
        # (finish time, sidecar) of each finished shard, in finishing order
        done = sorted(((p.stat().st_mtime, json.loads(p.read_text()))
                       for p in Path(out, "shards").glob("shard-*.json")), key=lambda pair: pair[0])
        manifest = Path(out, "manifest.json")
        own_peak = Path(out, "driver_peak_mib")
        if own_peak.exists():
            driver = max(driver, float(own_peak.read_text()))
        counts = json.loads(manifest.read_text()).get("counts") if finished and manifest.exists() else None
    print(f"input: {args.size} scenes; {'finished' if finished else f'stopped after {elapsed:.0f} s'}")
    if done:
        print(f"shards finished: {len(done)} ({sum(e['scenes'] for _, e in done)} scenes, "
              f"{sum(e['samples'] for _, e in done)} samples); the first finished {done[0][0] - start:.0f} s "
              "after the start")
    if counts:  # a finished run removes its JSONL shards: its manifest has the totals
        print(f"run finished: {counts['scenes']} scenes, {counts['samples']} samples in {elapsed:.0f} s")
    if len(done) > 1:
        # steady rate: shards finished after the first one, over the time between the two ends
        span = done[-1][0] - done[0][0]
        samples = sum(e["samples"] for _, e in done[1:])
        scenes_done = sum(e["scenes"] for _, e in done[1:])
        print(f"rate: {samples / span:.0f} samples/s ({samples / span / args.workers:.0f} per worker), "
              f"{scenes_done / span:.0f} scenes/s, over the {span:.0f} s after the first shard finished")
    print(f"peak memory: driver {driver:.0f} MiB, largest worker {max(workers.values(), default=0):.0f} MiB "
          f"({len(workers)} worker processes seen)")


if __name__ == "__main__":
    main()
