"""Compare the cost of generation in two checkouts by instructions executed, not by time.

    python benchmarks/instruction_count.py --src /path/to/old/checkout --src .
    python benchmarks/instruction_count.py --data vg --scenes 40

On a shared machine the same run can take 1.8x longer from one minute to the next, so a 3% gain
is invisible in timings. This script runs the generators (as `veriscene.generate` runs them on a
shard, without reading and writing) under valgrind's callgrind, which counts the machine
instructions executed: the count changes by about 0.1% between runs of the same code, whatever
else the machine does. Instructions are not time (memory stalls and branch misses are left out),
but for this interpreter-bound code they move with it; confirm a gain with timed runs side by side.

For each `--src` (a checkout whose `src/` is imported; default: this one), two child processes
run under callgrind at once: one over the first `--scenes` scenes and one over twice as many.
The difference is the cost of `--scenes` scenes, without start-up, imports and the scan. The
children also print a digest of the samples' ids: checkouts that make the same samples print
the same digest. Needs `valgrind` (Debian: `apt-get install valgrind`); each child runs about
50 times slower than natively (about a minute for 40 demo scenes).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(path: Path, count: int) -> None:
    """Run every generator over the first `count` scenes of `path`; print samples and digest."""
    from _runner import run_scenes  # benchmarks/_runner.py

    samples, digest, _ = run_scenes(path, count)
    print(f"samples {samples} digest {digest}")


def counted(src: Path, path: Path, count: int) -> tuple[int, int, str]:
    """(instructions, samples, digest) of a child over `count` scenes, with `src/` imported."""
    env = dict(os.environ, PYTHONPATH=f"{src / 'src'}{os.pathsep}{HERE}", PYTHONHASHSEED="0")
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, str(Path(__file__).resolve()),
         "--child", str(path), str(count)],
        env=env, capture_output=True, text=True, check=True)
    instructions = re.search(r"Collected : (\d+)", out.stderr)
    found = re.search(r"samples (\d+) digest (\w+)", out.stdout)
    if instructions is None or found is None:
        raise RuntimeError(f"unexpected output from the child of {src}:\n{out.stdout}\n{out.stderr[-2000:]}")
    return int(instructions.group(1)), int(found.group(1)), found.group(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", type=Path, action="append", help="a checkout to measure (repeatable; default: this one)")
    parser.add_argument("--data", choices=["demo", "vg"], default="demo")
    parser.add_argument("--scenes", type=int, default=40, help="scenes measured (the children run this many and twice as many)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), int(args.child[1]))
        return
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (Debian: apt-get install valgrind)")
    from _scenes import base_scenes, tiled, vg_shaped_scenes  # benchmarks/_scenes.py

    n = args.scenes
    if args.data == "vg":
        path = vg_shaped_scenes(args.cache, 2 * n)
    else:
        path = tiled(args.cache, base_scenes(args.cache, 2 * n), 2 * n)
    sources = [s.resolve() for s in (args.src or [HERE.parent])]
    print(f"{args.data} scenes {n + 1}-{2 * n}: the instructions of a run over {2 * n} scenes minus those "
          f"of a run over {n} (callgrind), all generators")
    first = None
    for src in sources:
        with ThreadPoolExecutor(2) as pool:
            small, large = pool.map(lambda k: counted(src, path, k), (n, 2 * n))
        per_scene = (large[0] - small[0]) / n
        samples = large[1] - small[1]
        first = first or per_scene
        print(f"{str(src):50s} {per_scene / 1e6:8.2f} M instructions per scene, {samples / n:.1f} samples "
              f"per scene, {(large[0] - small[0]) / max(samples, 1) / 1e3:7.1f} k per sample, "
              f"{per_scene / first:.4f} of the first; samples digest {large[2]}", flush=True)


if __name__ == "__main__":
    main()
