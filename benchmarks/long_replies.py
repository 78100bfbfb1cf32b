"""Scoring long, degenerate replies: the time grows with the reply's length, not its square.

    python benchmarks/long_replies.py                    # replies of 500 and 2,000 repeats
    python benchmarks/long_replies.py --repeats 1000 4000 --scenes 20

A policy being trained with RL can write thousands of tokens that repeat one phrase ("yes no yes
no ...", "two two two ...", "the red circle the red circle ..."), and a reward function scores
each reply (`veriscene.answers.score_sample`, which `eval`, the rewards and the environment all
call). A parser that reads the text before each word again, or each word's phrase again, is
quadratic in such a reply; release 0.15.1 took 54 s to score "yes no " repeated 6,666 times,
and 0.6 s for "two " repeated 1,600 times, and the release after it 349 s for "\\boxed{" repeated
14,000 times (boxes nested in boxes, each read to its closing brace).

Input: one sample of each generator and mode on `--scenes` demo scene graphs (made in this
process). Each phrase below is repeated `--repeats` times (the first count, then the last) and
scored against every sample. Printed per phrase: the reply's length at the last count, the
largest time for one reply at each count (ms, `time.perf_counter`, one run each), and their
ratio against the ratio of the lengths (linear growth: about the same; quadratic: its square).
Replies that raise are counted as errors (none is expected: a reply is scored, never fatal).
"""

from __future__ import annotations

import argparse
import time

from veriscene.answers import score_sample
from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.pool import ScenePool
from veriscene.generators import SceneRunner, select_generators
from veriscene.generators.vocabulary import Vocabulary

PHRASES = (
    "yes no ", "yes, ", "I think yes ", "is it true ", "not correct ", "true that ", "There is no ",
    "two ", "dozen ", "12 circles ", "the red circle ", "circle, ", "(A) ", "option C ",
    "[0.1, 0.2, 0.3, ", "[0.5, 0.5] ", "Image 1 ", "<think>", "<answer>", "\n", "((((", "\\boxed{",
)


def one_per_task(scenes: int) -> list[dict]:
    graphs = list(iter_scene_graphs(scenes, seed=0))
    runner = SceneRunner([cls() for cls in select_generators()], Vocabulary.from_scenes(graphs), seed=0,
                         pool=ScenePool.from_scenes(graphs))
    kept: dict[tuple[str, str], dict] = {}
    for scene in graphs:
        for sample in runner.run(scene):
            kept.setdefault((sample.task, sample.mode), sample.to_dict())
    return [kept[key] for key in sorted(kept)]


def slowest(reply: str, samples: list[dict]) -> tuple[float, int]:
    """The longest time to score `reply` against one of `samples` (seconds), and the errors."""
    worst, errors = 0.0, 0
    for sample in samples:
        start = time.perf_counter()
        try:
            score_sample(reply, sample)
        except Exception:  # noqa: BLE001 - counted: a reply must never raise
            errors += 1
        worst = max(worst, time.perf_counter() - start)
    return worst, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, nargs=2, default=(500, 2000), metavar=("SHORT", "LONG"))
    parser.add_argument("--scenes", type=int, default=20)
    args = parser.parse_args()
    short, long = args.repeats
    samples = one_per_task(args.scenes)
    slowest("yes", samples)  # first calls: imports and caches
    print(f"{len(samples)} samples (one per generator and mode), each phrase repeated {short} and {long} times")
    print(f"{'phrase':22s} {'chars':>8s} {'ms at ' + str(short):>12s} {'ms at ' + str(long):>12s} "
          f"{'ratio':>7s} {'linear':>7s} {'errors':>7s}")
    total_errors = 0
    for phrase in PHRASES:
        t_short, e_short = slowest(phrase * short, samples)
        t_long, e_long = slowest(phrase * long, samples)
        total_errors += e_short + e_long
        print(f"{phrase!r:22s} {len(phrase) * long:8d} {t_short * 1000:12.1f} {t_long * 1000:12.1f} "
              f"{t_long / max(t_short, 1e-6):7.1f} {long / short:7.1f} {e_short + e_long:7d}")
    print(f"errors: {total_errors}")


if __name__ == "__main__":
    main()
