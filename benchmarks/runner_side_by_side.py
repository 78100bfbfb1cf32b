"""Time the generators of two (or more) checkouts or interpreters side by side, alternated.

    python benchmarks/runner_side_by_side.py --src /path/to/old/checkout --src . --pairs 4
    python benchmarks/runner_side_by_side.py --python /usr/bin/python3.11 --python .venv/bin/python
    python benchmarks/runner_side_by_side.py --data vg --scenes 500 --src ../old --src .
    python benchmarks/runner_side_by_side.py --src ../old --src . --together --pairs 3

Each side is a checkout whose `src/` is imported (`--src`, default: this one) run by an
interpreter (`--python`, default: this one; it must have veriscene's dependencies installed, e.g.
a virtual environment made with `python -m venv` and `pip install -e .`). Give one `--src` and
several `--python`, several `--src` and one `--python`, or as many of each (paired in order).

A round runs each side once, one after the other, in a child process over the same scene file
(every generator, as `veriscene.generate` runs them on a shard, without reading and writing): the
scenes are run once to warm up, then timed (CPU time). Rounds alternate the order of the sides,
since a shared machine drifts: a side always run first would be favoured or penalised by the
drift. The script prints each run's samples per second, each side's median, and for two sides in
how many rounds the second was faster and the median of the per-round changes. The children also
print a digest of the samples' ids: sides that make the same samples print the same digest.

Timings on a shared machine swing by 20% or more from one minute to the next; for small changes
count instructions instead (`instruction_count.py`), and use this script to confirm them in time.
`--together` runs a round's sides at the same time, one process each (give at most as many sides
as cores): a swing of the machine then slows every side alike. On the day sequential whole runs
of 0.14.0 and 0.14.1 (10,000 scenes) came out equal, with one release 20% apart from one run to
the next, three rounds of both run together (the generators over 3,000 of those scenes) gave
0.14.1 7-9% less CPU time in each, as its instruction counts said.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent


def timed(src: Path, python: str, path: Path, count: int) -> tuple[int, str, float]:
    """(samples, digest, CPU seconds) of one child run over the first `count` scenes of `path`."""
    env = dict(os.environ, PYTHONPATH=f"{src / 'src'}{os.pathsep}{HERE}", PYTHONHASHSEED="0")
    out = subprocess.run([python, str(Path(__file__).resolve()), "--child", str(path), str(count)],
                         env=env, capture_output=True, text=True)
    found = re.search(r"samples (\d+) digest (\w+) seconds ([\d.]+)", out.stdout)
    if out.returncode != 0 or found is None:
        raise RuntimeError(f"the child of {src} under {python} failed:\n{out.stdout}\n{out.stderr[-2000:]}")
    return int(found.group(1)), found.group(2), float(found.group(3))


def sides_of(sources: list[Path], pythons: list[str]) -> list[tuple[Path, str]]:
    """The (checkout, interpreter) pairs to compare, from the repeated options."""
    if len(sources) == 1 or len(pythons) == 1 or len(sources) == len(pythons):
        count = max(len(sources), len(pythons))
        return [(sources[min(i, len(sources) - 1)], pythons[min(i, len(pythons) - 1)]) for i in range(count)]
    raise SystemExit(f"give one --src, one --python, or as many of each ({len(sources)} --src, {len(pythons)} --python)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", type=Path, action="append", help="a checkout to time (repeatable; default: this one)")
    parser.add_argument("--python", action="append", help="an interpreter to run it (repeatable; default: this one)")
    parser.add_argument("--data", choices=["demo", "vg"], default="demo")
    parser.add_argument("--scenes", type=int, default=500)
    parser.add_argument("--pairs", type=int, default=4, help="rounds, each running every side once")
    parser.add_argument("--together", action="store_true", help="run a round's sides at the same time")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        from _runner import run_scenes  # benchmarks/_runner.py

        samples, digest, seconds = run_scenes(Path(args.child[0]), int(args.child[1]), warm=True)
        print(f"samples {samples} digest {digest} seconds {seconds:.6f}")
        return
    from _scenes import base_scenes, tiled, vg_shaped_scenes  # benchmarks/_scenes.py

    n = args.scenes
    path = vg_shaped_scenes(args.cache, n) if args.data == "vg" else tiled(args.cache, base_scenes(args.cache, n), n)
    sides = sides_of([s.resolve() for s in (args.src or [HERE.parent])], args.python or [sys.executable])
    for k, (src, python) in enumerate(sides, 1):
        print(f"side {k}: {src} under {python}")
    rates: list[list[float]] = [[] for _ in sides]
    digests: list[set[str]] = [set() for _ in sides]
    print(f"{n} {args.data} scenes, all generators, CPU time after a warm-up pass; {args.pairs} rounds, "
          + ("the sides of each at the same time" if args.together else "alternated"))
    for round_ in range(args.pairs):
        order = list(range(len(sides)))
        if round_ % 2:
            order.reverse()
        line = []
        with ThreadPoolExecutor(len(sides) if args.together else 1) as pool:
            results = list(pool.map(lambda k: timed(*sides[k], path, n), order))
        for k, (samples, digest, seconds) in zip(order, results):
            rates[k].append(samples / seconds)
            digests[k].add(f"{samples}:{digest}")
            line.append(f"side {k + 1} {samples / seconds:,.0f}")
        print(f"round {round_ + 1}: " + ", ".join(line) + " samples/s", flush=True)
    for k, side_rates in enumerate(rates):
        print(f"side {k + 1}: median {statistics.median(side_rates):,.0f} samples/s "
              f"({' / '.join(f'{r:,.0f}' for r in side_rates)}); samples:digest {', '.join(sorted(digests[k]))}")
    if len(sides) == 2:
        changes = [b / a - 1 for a, b in zip(*rates)]
        faster = sum(c > 0 for c in changes)
        print(f"side 2 faster in {faster} of {len(changes)} rounds, median change {statistics.median(changes):+.1%} "
              f"(range {min(changes):+.1%} to {max(changes):+.1%})")
    same = len({frozenset(d) for d in digests}) == 1
    print("every side made the same samples" if same else "the sides made different samples (digests above)")


if __name__ == "__main__":
    main()
