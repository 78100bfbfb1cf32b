"""What `generate`'s check of every input file's format costs before a run
(`engine.run_inputs._refuse_other_formats`: each file's first line read; detection only for a
file that is no scene): `--files` files of one demo scene each (about 2.5 KB) in a folder, plain
and compressed, listed (`scene.inputs.input_files`, as the run lists them) then checked; the
median of `--rounds` rounds of each, wall seconds (the check reads files: CPU time would leave
out the reads). The run itself opens every file too; this is the time the check adds before it.

    python benchmarks/input_format_check.py                      # 1,000 files, plain and zstd, 7 rounds
    python benchmarks/input_format_check.py --files 10000 --kinds none gzip
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from _scenes import base_scenes, split_copy  # benchmarks/_scenes.py


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000, help="files of one scene each")
    parser.add_argument("--kinds", nargs="+", default=["none", "zstd"], help="none, gzip, zstd, bz2, xz")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/veriscene-bench"))
    args = parser.parse_args()

    from veriscene.engine.run_inputs import _refuse_other_formats
    from veriscene.scene.inputs import input_files

    lines = base_scenes(args.cache, args.files)
    whole = args.cache / f"demo-base-{args.files}.jsonl"
    assert len(lines) == args.files
    for kind in args.kinds:
        folder = split_copy(whole, args.files, kind)
        listed, checked = [], []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            paths = input_files([folder]).paths
            t1 = time.perf_counter()
            _refuse_other_formats(paths)
            t2 = time.perf_counter()
            listed.append(t1 - t0)
            checked.append(t2 - t1)
        check = statistics.median(checked)
        print(f"{kind:>5}: {len(paths):,} files listed in {statistics.median(listed) * 1e3:.1f} ms, checked in "
              f"{check * 1e3:.1f} ms ({check / len(paths) * 1e6:.0f} us a file; median of {args.rounds})")


if __name__ == "__main__":
    main()
