"""`stats` and `card` on 1 and N processes: samples per second and speed-up, the same report each time.

    python benchmarks/stats_throughput.py --size 10000 --workers 1 2 --repeats 3

Input: demo scene graphs with masks and depth (a base of `--base` distinct scenes tiled to `--size`
with fresh image ids, cached in `--cache`; see `_scenes.py`), generated once with every generator
(or `-g`) into zstd shards, 2 workers. Then `veriscene.stats.stats(run, workers=w)` and
`veriscene.card.card_facts(run, workers=w)` (the card without `--verify`) run in a fresh process
per command and worker count, alternated, `--repeats` times. Printed per command and worker
count, medians: seconds, samples/s, speed-up over the first count, peak RSS, and a digest of the
report, which must be the same for every count (the script stops otherwise).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from _scenes import add_run_options, alternated, base_scenes, made_run, tiled  # benchmarks/_scenes.py

_RUN = r"""
import hashlib, json, sys, time
import orjson
from veriscene.card import card_facts
from veriscene.card_text import render_card
from veriscene.engine.summary import peak_memory_mb
from veriscene.stats import stats
run, workers, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
t = time.perf_counter()
if what == "stats":
    report = stats(run, workers=workers)
    samples, state = report.samples, report.to_dict()
else:
    facts = card_facts(run, workers=workers)
seconds = time.perf_counter() - t
if what == "card":  # the card's text (rendered after the timing)
    samples, state = facts.report.samples, render_card(facts)
digest = hashlib.sha256(orjson.dumps(state, option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]
print(json.dumps({"seconds": seconds, "samples": samples, "digest": digest, "peak_mb": peak_memory_mb()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--commands", nargs="+", choices=["stats", "card"], default=["stats", "card"])
    add_run_options(parser)
    args = parser.parse_args()
    scenes = tiled(args.cache, base_scenes(args.cache, min(args.base, args.size)), args.size)
    with tempfile.TemporaryDirectory(prefix="stats-bench-") as tmp:
        run = Path(tmp) / "run"
        made_run(scenes, run, args.generators)
        configs = {(c, w): [str(run), str(w), c] for c in args.commands for w in args.workers}
        results = alternated(_RUN, configs, args.repeats)
    for command in args.commands:
        digests = {r["digest"] for (c, _), rows in results.items() if c == command for r in rows}
        if len(digests) != 1:
            sys.exit(f"the {command} reports differ between runs: {sorted(digests)}")
    print(f"{'command':>7} {'workers':>7} {'samples':>9} {'seconds':>8} {'samples/s':>10} {'speed-up':>8} "
          f"{'peak MiB':>9} {'report':>12}")
    first: dict[str, float] = {}
    for (command, workers), rows in results.items():
        seconds = statistics.median(r["seconds"] for r in rows)
        first.setdefault(command, seconds)
        print(f"{command:>7} {workers:>7} {rows[0]['samples']:>9} {seconds:>8.2f} "
              f"{rows[0]['samples'] / seconds:>10,.0f} {first[command] / seconds:>8.2f} "
              f"{statistics.median(r['peak_mb'] for r in rows):>9.0f} {rows[0]['digest']:>12}")


if __name__ == "__main__":
    main()
