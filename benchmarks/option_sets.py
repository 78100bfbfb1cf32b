"""How much a multiple choice's whole set of options tells its answer, and how many options it has.

`option_bias.py` reads each option alone (is "below" right more often than chance where it is
offered?). A guess that sees the whole set reads more: where "behind", "left of" and "right of"
are offered together the answer may always be "behind" while each value, over all sets, is right
as often as chance. This script generates one task (default `relation.query.v1`) over a scene
file, or reads a run folder, and prints

- the share of multiple choices of 2, 3 and 4 options (a binary choice is right half the time by
  chance: a weaker benchmark item);
- the per-value guess of `veriscene.stats` (`options_alone`) beside its chance;
- a guess by the whole option set, cross-fitted: each question is answered with the answer most
  often right for the same set (as a set, in any order) in the other half of the questions (halves
  by a hash of the sample id; ties shared; 1/k where the set is not seen there), beside chance
  (mean 1/k) and its z (standard errors of a guess at chance);
- the option sets whose answers are furthest from even (at least `--min` questions, chi-square
  over the set's values), with the answers' counts.

    python benchmarks/option_sets.py --data demo --scenes 1000
    python benchmarks/option_sets.py --file /tmp/veriscene-bench/vg-shaped-1000-0.jsonl
    python benchmarks/option_sets.py --run RUN_FOLDER        # a run already made
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import zlib
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterable

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scenes import base_scenes  # noqa: E402


def read_samples(run: Path) -> list[dict[str, Any]]:
    """The samples of a run folder (its sample shards, any depth)."""
    out = []
    for path in sorted(run.rglob("samples*.jsonl")):
        with open(path, "rb") as fh:
            out += [orjson.loads(line) for line in fh if line.strip()]
    return out


def option_counts(mc: list[dict[str, Any]]) -> Counter[int]:
    """Multiple choices by their number of options."""
    return Counter(len(s["choices"]) for s in mc)


def _half(sample: dict[str, Any]) -> int:
    return zlib.crc32(sample["id"].encode("utf-8")) & 1


def set_guess(mc: list[dict[str, Any]]) -> tuple[float, float, float]:
    """(share right, chance, z) of the cross-fitted guess by the whole option set."""
    table: list[defaultdict[frozenset[str], Counter[str]]] = [defaultdict(Counter), defaultdict(Counter)]
    for s in mc:
        table[_half(s)][frozenset(s["choices"])][s["answer"]] += 1
    right = chance = variance = 0.0
    for s in mc:
        k = len(s["choices"])
        chance += 1 / k
        variance += (1 / k) * (1 - 1 / k)
        seen = table[1 - _half(s)].get(frozenset(s["choices"]))
        if not seen:
            right += 1 / k
            continue
        best = max(seen.values())
        tops = [a for a, n in seen.items() if n == best]
        right += (s["answer"] in tops) / len(tops)
    z = (right - chance) / math.sqrt(variance) if variance else 0.0
    return right / len(mc), chance / len(mc), z


def uneven_sets(mc: list[dict[str, Any]], least: int) -> list[tuple[float, tuple[str, ...], Counter[str]]]:
    """(chi-square per degree of freedom, set, answers) of the option sets asked `least` times or
    more, most uneven first: a set whose answers are even is right 1/k of the time for each."""
    by_set: defaultdict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for s in mc:
        by_set[tuple(sorted(s["choices"]))][s["answer"]] += 1
    out = []
    for options, answers in by_set.items():
        n = sum(answers.values())
        if n < least:
            continue
        expected = n / len(options)
        chi = sum((answers[o] - expected) ** 2 / expected for o in options)
        out.append((chi / (len(options) - 1), options, answers))
    return sorted(out, key=lambda t: -t[0])


def report(samples: Iterable[dict[str, Any]], task: str, least: int, top: int) -> None:
    mc = [s for s in samples if s["task"] == task and s.get("choices")]
    if not mc:
        print(f"{task}: no multiple choice")
        return
    counts = option_counts(mc)
    shares = ", ".join(f"{k} options {n} ({n / len(mc):.0%})" for k, n in sorted(counts.items()))
    print(f"{task}: {len(mc)} multiple choices: {shares}")
    right, chance, z = set_guess(mc)
    print(f"  guess by the whole option set, cross-fitted: {right:.1%} (chance {chance:.1%}, z {z:.1f})")
    uneven = uneven_sets(mc, least)
    if uneven:
        print(f"  option sets asked {least}+ times, least even first (chi-square per degree of freedom):")
        for chi, options, answers in uneven[:top]:
            told = ", ".join(f"{o!r} {answers[o]}" for o in options)
            print(f"    {chi:6.1f}  {told}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", choices=("demo",), default="demo", help="demo scenes (cached)")
    source.add_argument("--file", type=Path, help="a scene file (JSONL scene graphs)")
    source.add_argument("--run", type=Path, help="a run folder already made")
    parser.add_argument("--scenes", type=int, default=1000, help="demo scenes")
    parser.add_argument("--generators", "-g", default="relation.query.v1")
    parser.add_argument("--min", type=int, default=30, help="list option sets asked at least this often")
    parser.add_argument("--top", type=int, default=8, help="option sets listed")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    if args.run is not None:
        analyse(args.run, args.min, args.top)
        return
    from veriscene import generate

    if args.file is not None:
        path = args.file
    else:
        base_scenes(args.cache, args.scenes)
        path = args.cache / f"demo-base-{args.scenes}.jsonl"
    print(path)
    with tempfile.TemporaryDirectory() as tmp:
        generate(path, Path(tmp) / "run", generators=args.generators, workers=1, overwrite=True)
        analyse(Path(tmp) / "run", args.min, args.top)


def analyse(run: Path, least: int, top: int) -> None:
    """`report` of each task of a run folder, after its per-value guess (`veriscene.stats`)."""
    from veriscene.stats import stats

    samples = read_samples(run)
    rows = {r["task"]: r for r in stats(run).task_rows() if r["options_alone"] is not None}
    for task in sorted({s["task"] for s in samples}):
        row = rows.get(task)
        if row is not None:
            print(f"{task}: per-value guess {row['options_alone']:.1%} (chance {row['options_chance']:.1%})")
        report(samples, task, least, top)

if __name__ == "__main__":
    main()
