"""The worst case of `veriscene stats` / `card` memory: every task past every bound of its tallies.

    python benchmarks/stats_worst_case.py --tasks 46

Each of `--tasks` tasks gets 60,000 samples (`tests/test_stats_bottomk.py`'s `past_the_bound`:
30,000 questions over 25,000 texts, 30,000 multiple choices of 4 options from 30,000 values), so
each keeps 20,000 question texts, option values and option sets (2.76 M entries for 46 tasks).
The samples are serialised once and each parsed as it is read, the tasks interleaved by blocks of
1,000 (as a run interleaves them scene by scene). Printed: the resident memory before reading,
after (the peak), and once the tallies are let go (`malloc_trim`, so freed pages go back): what
they held; and the CPU seconds of the reading. No figure is checked.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import resource
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_stats_bottomk import past_the_bound  # noqa: E402

from veriscene.stats import StatsReport  # noqa: E402
from veriscene.stats_options import OptionGuess  # noqa: E402


def rss_mib() -> float:
    """Resident memory now, MiB (/proc/self/statm: pages)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=46)
    args = parser.parse_args()
    lines = b"\n".join(past_the_bound()).split(b"\n")  # (orjson's own bytes are over-allocated: 4 KiB each)
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    before = rss_mib()
    report, cpu = StatsReport(), time.process_time()
    for start in range(0, len(lines), 1000):
        for task in range(args.tasks):
            name = f'"task":"t{task:02d}.v1"'.encode()
            for line in lines[start:start + 1000]:
                report.add(orjson.loads(line.replace(b'"task":"t.v1"', name)))
    report.done()
    cpu = time.process_time() - cpu
    peak, held = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, rss_mib()
    entries = 3 * 20_000 * args.tasks
    report.by_question, report.options = {}, OptionGuess()
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    tallies = held - rss_mib()
    print(f"{report.samples:,} samples, {entries:,} entries kept: resident {before:.0f} MiB before reading, "
          f"{held:.0f} after (peak {peak:.0f}); the tallies held {tallies:.0f} MiB "
          f"({tallies * 2**20 / entries:.0f} bytes an entry); {cpu:.1f} s CPU")


if __name__ == "__main__":
    main()
