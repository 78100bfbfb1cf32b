"""`stats` and `card` on 1 and N processes: samples per second and speed-up, the same report each time.

    python benchmarks/stats_throughput.py --size 10000 --workers 1 2 --repeats 3
    python benchmarks/stats_throughput.py --size 600 --workers 1 --repeats 5 --commands stats --before OLD/src

Input: demo scene graphs with masks and depth (a base of `--base` distinct scenes tiled to `--size`
with fresh image ids, cached in `--cache`; see `_scenes.py`), generated once with every generator
(or `-g`) into zstd shards, 2 workers. Then `veriscene.stats.stats(run, workers=w)` and
`veriscene.card.card_facts(run, workers=w)` (the card without `--verify`) run in a fresh process
per command and worker count, alternated, `--repeats` times. Printed per command and worker
count, medians: seconds, samples/s, speed-up over the first count, peak RSS, and a digest of the
report, which must be the same for every count (the script stops otherwise). `--before SRC`: the
package's source folder of another version (`git archive COMMIT src | tar -x -C OLD`), run
alternated with this one on the same run (rows "before"), for the cost of a change.
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
if sys.argv[4]:  # another version's source folder (--before)
    sys.path.insert(0, sys.argv[4])
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
    parser.add_argument("--before", default="", help="another version's src folder, run alternated with this one")
    add_run_options(parser)
    args = parser.parse_args()
    scenes = tiled(args.cache, base_scenes(args.cache, min(args.base, args.size)), args.size)
    with tempfile.TemporaryDirectory(prefix="stats-bench-") as tmp:
        run = Path(tmp) / "run"
        made_run(scenes, run, args.generators)
        versions = {"this": ""} | ({"before": args.before} if args.before else {})
        configs = {(c, w, v): [str(run), str(w), c, src] for c in args.commands for w in args.workers
                   for v, src in versions.items()}
        results = alternated(_RUN, configs, args.repeats)
    for command in args.commands:
        for version in versions:
            digests = {r["digest"] for (c, _, v), rows in results.items() if (c, v) == (command, version) for r in rows}
            if len(digests) != 1:
                sys.exit(f"the {command} reports ({version}) differ between runs: {sorted(digests)}")
    print(f"{'command':>7} {'version':>7} {'workers':>7} {'samples':>9} {'seconds':>8} {'samples/s':>10} "
          f"{'speed-up':>8} {'peak MiB':>9} {'report':>12}")
    first: dict[tuple[str, str], float] = {}
    for (command, workers, version), rows in results.items():
        seconds = statistics.median(r["seconds"] for r in rows)
        first.setdefault((command, version), seconds)
        print(f"{command:>7} {version:>7} {workers:>7} {rows[0]['samples']:>9} {seconds:>8.2f} "
              f"{rows[0]['samples'] / seconds:>10,.0f} {first[command, version] / seconds:>8.2f} "
              f"{statistics.median(r['peak_mb'] for r in rows):>9.0f} {rows[0]['digest']:>12}")


if __name__ == "__main__":
    main()
