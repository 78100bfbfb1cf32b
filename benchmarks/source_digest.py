"""What hashing the code that decides samples costs a run at its start (`engine.source_digest`).

    python benchmarks/source_digest.py [--repeats 20]

Prints the files and bytes hashed, the first digest of fresh processes (what `generate` pays once,
files not in the page cache aside) and a digest recomputed in one process (`tree_digest`, no
cache), each as the median and the slowest of `--repeats`, and the cached call
(`veriscene_digest`, once per process).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

FIRST = ("import time; from veriscene.engine import source_digest as s; t = time.perf_counter(); "
         "s.veriscene_digest(); print(time.perf_counter() - t)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    from veriscene.engine.source_digest import source_files, tree_digest, veriscene_digest

    files = source_files()
    print(f"{len(files)} files, {sum(p.stat().st_size for p in files) / 1e3:,.0f} kB hashed; digest {tree_digest()}")
    first = [float(subprocess.run([sys.executable, "-c", FIRST], check=True, capture_output=True, text=True).stdout)
             for _ in range(args.repeats)]
    again = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        tree_digest()
        again.append(time.perf_counter() - t)
    veriscene_digest()
    t = time.perf_counter()
    veriscene_digest()
    cached = time.perf_counter() - t
    for label, times in (("first in a fresh process", first), ("recomputed in one process", again)):
        print(f"{label:<26} median {statistics.median(times) * 1e3:6.2f} ms, slowest {max(times) * 1e3:6.2f} ms")
    print(f"{'cached':<26} {cached * 1e6:6.2f} us")


if __name__ == "__main__":
    main()
