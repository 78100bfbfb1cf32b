"""Speed of the free-form RL reward (`veriscene.rewards.freeform`): rewards per second of CPU time.

    python benchmarks/freeform_reward_speed.py                     # a new 200-scene demo run
    python benchmarks/freeform_reward_speed.py --run demo_out --rounds 5

Input: the free-form samples of a demo run (`--run`, or a new `veriscene demo` run of `--scenes`
scenes): captions, region descriptions and comparison captions. Replies: each sample's gold
description and a reply that is half wrong (every other sentence's name swapped), each made unique
per round (a sentence number appended) so the scorer's memo of (sample, reply) never answers.
Measured, each `--rounds` times (the median printed, with the spread), in this process's CPU time
(`time.process_time`: other load on the machine matters less):

  load        FreeformScorer(run): the run's samples and scene files read, the lexicon built
  one         one reply a call (`FreeformScorer.score`: the environment's step)
  trl         TRL's `make_freeform_reward` called with GRPO groups of `--group` completions of one
              prompt (the rows' ground_truth and sample_id columns, as an export writes them)
  verl        verl's `compute_score(..., run_dir=RUN)` one row a call

Also printed: the mean reward of each reply kind (gold near 1, half wrong lower), the machine's
load (`uptime`) and the time of day.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from veriscene.io.writers.common import ground_truth  # noqa: E402
from veriscene.rewards.freeform import FreeformScorer, is_freeform, make_freeform_reward  # noqa: E402
from veriscene.rewards.verl import compute_score  # noqa: E402


def half_wrong(text: str, names: list[str]) -> str:
    """Every other sentence with its first object name swapped for the next name of the run."""
    following = {n: names[(k + 1) % len(names)] for k, n in enumerate(names)}
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")\b")
    out = []
    for k, sentence in enumerate(re.split(r"(?<=\.)\s+", text)):
        out.append(pattern.sub(lambda m: following[m.group(1)], sentence, count=1) if k % 2 else sentence)
    return " ".join(out)


def timed(fn: Callable[[], Any]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", help="a run folder (samples.jsonl, manifest naming its scenes); else a new demo run")
    ap.add_argument("--scenes", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--group", type=int, default=8, help="completions of one prompt in a TRL call (GRPO's group)")
    ap.add_argument("--matcher", default="lexical")
    args = ap.parse_args(argv)
    if args.run:
        return report(Path(args.run), args)
    from veriscene.demo.pipeline import run_demo

    with tempfile.TemporaryDirectory(prefix="freeform_reward_") as tmp:
        run_demo(tmp, scenes=args.scenes, seed=0)
        return report(Path(tmp), args)


def report(run: Path, args: argparse.Namespace) -> int:
    samples = [s for s in (orjson.loads(line) for line in open(run / "samples.jsonl", "rb")) if is_freeform(s)]
    load = [timed(lambda: FreeformScorer(run, matcher=args.matcher)) for _ in range(args.rounds)]
    scorer = FreeformScorer(run, matcher=args.matcher)
    names = sorted(scorer.lexicon.names)
    kinds = {"gold": [str(s["answer"]) for s in samples], "half_wrong": [half_wrong(str(s["answer"]), names)
                                                                          for s in samples]}
    truths = [ground_truth(s) for s in samples]
    ids = [s["id"] for s in samples]
    trl = make_freeform_reward(scorer)
    print(f"run {run}: {len(samples)} free-form samples "
          f"({', '.join(sorted({s['task'] for s in samples}))}), matcher {scorer.matcher}; "
          f"{time.strftime('%H:%M UTC', time.gmtime())}, load {os.getloadavg()[0]:.2f} (1 min)")
    print(f"load the run: median {statistics.median(load):.3f} s CPU over {args.rounds} rounds")
    print(f"{'entry':6} {'replies':>8} {'kind':>11} {'mean reward':>12} {'rewards/s (median)':>19} {'min-max':>15}")
    for kind, texts in kinds.items():
        rates: dict[str, list[float]] = {"one": [], "trl": [], "verl": []}
        rewards: list[float] = []
        for r in range(args.rounds):
            unique = [f"{t} ({r}.{k})" for k, t in enumerate(texts)]  # (never in the memo)
            rates["one"].append(len(unique) / timed(lambda: rewards.extend(
                scorer.score(t, sample_id=i).reward for t, i in zip(unique, ids))))
            unique = [f"{t} [{r}.{k}]" for k, t in enumerate(texts)]
            groups = [(unique[k:k + 1] * args.group, k) for k in range(len(unique))]
            groups = [([f"{t} {{{g}}}" for g, t in enumerate(batch)], k) for batch, k in groups]
            rates["trl"].append(len(unique) * args.group / timed(lambda: [
                trl(prompts=["q"] * args.group, completions=batch, ground_truth=[truths[k]] * args.group,
                    sample_id=[ids[k]] * args.group) for batch, k in groups]))
            unique = [f"{t} <{r}.{k}>" for k, t in enumerate(texts)]
            rates["verl"].append(len(unique) / timed(lambda: [
                compute_score(f"veriscene/{s['task']}", t, g, {"sample_id": s["id"]}, run_dir=str(run),
                              freeform_matcher=args.matcher) for s, t, g in zip(samples, unique, truths)]))
        mean = sum(rewards) / max(1, len(rewards))
        for entry, values in rates.items():
            print(f"{entry:6} {len(texts) * (args.group if entry == 'trl' else 1):>8} {kind:>11} {mean:>12.3f} "
                  f"{statistics.median(values):>19.0f} {min(values):>7.0f}-{max(values):<7.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
