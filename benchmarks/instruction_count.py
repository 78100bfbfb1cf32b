"""Compare the cost of generation in two checkouts by instructions executed, not by time.

    python benchmarks/instruction_count.py --src /path/to/old/checkout --src .
    python benchmarks/instruction_count.py --data vg --scenes 40
    python benchmarks/instruction_count.py --whole --scenes 40
    python benchmarks/instruction_count.py -g "segmentation*" --src /path/to/old/checkout --src .
    python benchmarks/instruction_count.py --scenes 20 --pool 5000

On a shared machine the same run can take 1.8x longer from one minute to the next, so a 3% gain
is invisible in timings. This script runs the generators (as `veriscene.generate` runs them on a
shard, without reading and writing) under valgrind's callgrind, which counts the machine
instructions executed: the count changes by about 0.05% between runs of the same code (one BLAS
thread, set for the children below), whatever
else the machine does. Instructions are not time (memory stalls and branch misses are left out),
but for this interpreter-bound code they move with it; confirm a gain with timed runs side by side.

For each `--src` (a checkout whose `src/` is imported; default: this one), two child processes
run under callgrind at once: one over the first `--scenes` scenes and one over twice as many.
The difference is the cost of `--scenes` scenes, without start-up, imports and the scan. The
children also print a digest of the samples' ids: checkouts that make the same samples print
the same digest. Needs `valgrind` (Debian: `apt-get install valgrind`); each child runs about
50 times slower than natively (about a minute for 40 demo scenes).

Partners of multi-image generators come from the scan of the scene file, which holds twice
`--scenes` scenes: a small pool, whose scenes are soon parsed and indexed (cached, as in a long run,
whose pool of at most 4,096 scenes is soon all cached). `--pool N` draws them from a file of N
scenes instead: most partners are then parsed and indexed for the first time, the cost of a run
too short to warm its pool (with `--pool 5000 --scenes 20`, about 1.4 times the cost per demo
scene of the default).

`--whole` counts a whole `veriscene.generate` run instead (one worker, in process): the scan,
reading and checking each scene record, the shard loop, the run summary, writing the shards and
merging them. The children run on files of the first `--scenes` scenes and of twice as many, so
the difference is the cost of `--scenes` more scenes through the engine (their partner pools are
drawn from files of different sizes: compare checkouts on the same `--scenes`). The digest is
then that of `samples.jsonl` (sha256, taken outside valgrind): checkouts writing the same bytes
print the same digest.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(path: Path, count: int, generators: str = "*") -> None:
    """Run the generators over the first `count` scenes of `path`; print samples and digest."""
    from _runner import run_scenes  # benchmarks/_runner.py

    samples, digest, _ = run_scenes(path, count, generators=generators)
    print(f"samples {samples} digest {digest}")


def counted(src: Path, path: Path, count: int, child_args: list[str] | None = None,
            generators: str = "*") -> tuple[int, int, str]:
    """(instructions, samples, digest) of a child running `generators` over `count` scenes, with
    `src/` imported (`child_args`: the child's arguments in place of the generators' loop's)."""
    # one BLAS thread: OpenBLAS's threads spin for a time-dependent while, which moved the count
    # of one tree by up to 0.7% between runs (with one thread, 0.05%)
    env = dict(os.environ, PYTHONPATH=f"{src / 'src'}{os.pathsep}{HERE}", PYTHONHASHSEED="0",
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, str(Path(__file__).resolve()),
         *(child_args or ["--child", str(path), str(count), generators])],
        env=env, capture_output=True, text=True, check=True)
    instructions = re.search(r"Collected : (\d+)", out.stderr)
    found = re.search(r"samples (\d+)(?: digest (\w+))?", out.stdout)
    if instructions is None or found is None:
        raise RuntimeError(f"unexpected output from the child of {src}:\n{out.stdout}\n{out.stderr[-2000:]}")
    return int(instructions.group(1)), int(found.group(1)), found.group(2) or ""


def first_scenes(path: Path, count: int) -> Path:
    """A scene file of the first `count` lines of `path`, beside it (made once)."""
    part = path.with_name(f"{path.stem}-first-{count}.jsonl")
    if not part.exists():
        with open(path, "rb") as fh:
            lines = [line for line in fh if line.strip()][:count]
        tmp = part.with_suffix(".tmp")
        tmp.write_bytes(b"".join(lines))
        tmp.rename(part)
    return part


def whole_child(path: Path, out: Path) -> None:
    """Run `veriscene.generate` over the scene file `path` into `out` with one worker; print the
    samples (image paths absolute, so the samples are the same bytes in any folder)."""
    from veriscene import generate

    summary = generate(path, out, workers=1, absolute_paths=True, overwrite=True)
    print(f"samples {summary.samples}")


def whole_counted(src: Path, path: Path, count: int) -> tuple[int, int, str]:
    """(instructions, samples, digest) of a child running `veriscene.generate` on a file of the
    first `count` scenes of `path`. The digest (sha256 of samples.jsonl) is taken here, outside
    valgrind: hashing is per byte, and would count as the engine's cost per scene."""
    with tempfile.TemporaryDirectory() as out:
        instructions, samples, _ = counted(src, path, count, ["--whole-child", str(first_scenes(path, count)), out])
        digest = hashlib.sha256(Path(out, "samples.jsonl").read_bytes()).hexdigest()[:16]
    return instructions, samples, digest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", type=Path, action="append", help="a checkout to measure (repeatable; default: this one)")
    parser.add_argument("--data", choices=["demo", "vg"], default="demo")
    parser.add_argument("--scenes", type=int, default=40, help="scenes measured (the children run this many and twice as many)")
    parser.add_argument("--pool", type=int, default=0,
                        help="scenes in the file whose scan gives the partner pool (default and at least: twice --scenes; "
                             "not with --whole)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    parser.add_argument("--whole", action="store_true",
                        help="count whole `veriscene.generate` runs (scan, parsing, shards, writing), not the generators alone")
    parser.add_argument("-g", "--generators", default="*",
                        help="generator names/globs/families to run (default: all; not with --whole)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--whole-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), int(args.child[1]), args.child[2])
        return
    if args.whole_child:
        whole_child(*args.whole_child)
        return
    if args.whole and args.generators != "*":
        parser.error("--generators counts the generators' loop; --whole runs them all")
    if args.whole and args.pool:
        parser.error("--pool sets the generators' partner pool; --whole draws partners from the scenes it runs")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (Debian: apt-get install valgrind)")
    from _scenes import base_scenes, tiled, vg_shaped_scenes  # benchmarks/_scenes.py

    n = args.scenes
    size = 2 * n if args.whole else max(2 * n, args.pool)
    if args.data == "vg":
        path = vg_shaped_scenes(args.cache, size)
    else:
        path = tiled(args.cache, base_scenes(args.cache, size), size)
    sources = [s.resolve() for s in (args.src or [HERE.parent])]
    what = ("whole veriscene.generate runs (1 worker), samples.jsonl sha256" if args.whole
            else "all generators" if args.generators == "*" else f"generators {args.generators}")
    print(f"{args.data} scenes {n + 1}-{2 * n}: the instructions of a run over {2 * n} scenes minus those "
          f"of a run over {n} (callgrind), {what}"
          + ("" if args.whole else f", partners drawn from a pool of {size} scenes"))
    first = None
    for src in sources:
        with ThreadPoolExecutor(2) as pool:
            if args.whole:
                small, large = pool.map(lambda k: whole_counted(src, path, k), (n, 2 * n))
            else:
                small, large = pool.map(lambda k: counted(src, path, k, generators=args.generators), (n, 2 * n))
        per_scene = (large[0] - small[0]) / n
        samples = large[1] - small[1]
        first = first or per_scene
        print(f"{str(src):50s} {per_scene / 1e6:8.2f} M instructions per scene, {samples / n:.1f} samples "
              f"per scene, {(large[0] - small[0]) / max(samples, 1) / 1e3:7.1f} k per sample, "
              f"{per_scene / first:.4f} of the first; samples digest {large[2]}", flush=True)


if __name__ == "__main__":
    main()
