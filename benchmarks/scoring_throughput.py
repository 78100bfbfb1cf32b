"""Scoring replies by program: replies per second of CPU time, by reply style.

    python benchmarks/scoring_throughput.py --scenes 100 --repeats 3

Input: samples of every generator on `--scenes` demo scene graphs (made in this process, no
images). Each sample gets replies in the styles models write: the answer alone, "The answer is
X.", a reasoning block then the answer in tags, a wrong answer (another sample's of the same task),
and, for multiple choice, the option's letter. Each style is scored with
`veriscene.answers.score_sample` (as `eval`, the rewards and the environment score) `--repeats`
times; printed per style: replies, mean score, and the median of replies per second of this
process's CPU time (`time.process_time`, so other load on the machine matters less).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from veriscene.answers import score_sample
from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.pool import ScenePool
from veriscene.generators import SceneRunner, select_generators
from veriscene.generators.vocabulary import Vocabulary
from veriscene.io.writers.text import answer_text
from veriscene.sample import Sample


def demo_samples(n: int) -> list[Sample]:
    scenes = list(iter_scene_graphs(n, seed=0))
    runner = SceneRunner([cls() for cls in select_generators()], Vocabulary.from_scenes(scenes), seed=0,
                         pool=ScenePool.from_scenes(scenes))
    return [s for scene in scenes for s in runner.run(scene)]


def styles(samples: list[Sample]) -> dict[str, Callable[[Sample, int], str]]:
    """Reply makers by style; the target text is the one the exports train on (`answer_text`:
    the letter for multiple choice)."""
    target = {s.id: answer_text(s.to_dict()) for s in samples}
    wrong: dict[str, list[str]] = {}
    for s in samples:
        wrong.setdefault(s.task, []).append(target[s.id])

    def other(s: Sample, i: int) -> str:
        pool = wrong[s.task]
        return next((a for a in pool[i % len(pool):] + pool if a != target[s.id]), "nothing")

    return {
        "answer alone": lambda s, i: target[s.id],
        "The answer is X.": lambda s, i: f"The answer is {target[s.id]}.",
        "<think> then <answer>": lambda s, i: f"<think>Looking at the image.</think><answer>{target[s.id]}</answer>",
        "a wrong answer": other,
    }


def timed(samples: list[Sample], reply: Callable[[Sample, int], str], repeats: int) -> tuple[float, float]:
    rates, mean = [], 0.0
    replies = [reply(s, i) for i, s in enumerate(samples)]
    for _ in range(repeats):
        start = time.process_time()
        scores = [score_sample(r, s).score for r, s in zip(replies, samples)]
        rates.append(len(samples) / max(time.process_time() - start, 1e-9))
        finite = [x for x in scores if x == x]  # captions score nan (not applicable)
        mean = sum(finite) / max(len(finite), 1)
    return statistics.median(rates), mean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenes", type=int, default=100, help="demo scene graphs (default 100)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per style; the median is printed")
    args = parser.parse_args()
    samples = demo_samples(args.scenes)
    print(f"{len(samples)} samples of {len({s.task for s in samples})} generators on {args.scenes} demo scenes, "
          f"median of {args.repeats}")
    print(f"{'reply style':<24}{'mean score':>11}{'replies/s CPU':>15}")
    table: dict[str, Any] = styles(samples)
    for name, reply in table.items():
        rate, mean = timed(samples, reply, args.repeats)
        print(f"{name:<24}{mean:>11.3f}{rate:>15,.0f}")


if __name__ == "__main__":
    main()
