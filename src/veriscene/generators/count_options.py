"""Wrong options for count questions that do not give the count away.

A guesser shown only the options (not the image, not the question) cannot beat chance when,
given the set of options offered, the answer is equally likely to be any of them. The runner's
answer balancing makes the answer of a scene's question uniform over the distinct answers of its
candidates (`candidate_pool.CandidatePool.pick`). So the options of a count question are drawn
from those same counts, the answers the generator could give on this scene: with m distinct
counts and k options, the runner offers the answer and k - 1 of the other m - 1 at random, so
each count is offered k / m of the time and right 1 / m of it, whatever its value, and the
answer's rank among the options is uniform too. Wrong counts drawn from anything else (0..the
scene's size, neighbours of the answer) are offered where answers never are: large counts as
distractors only, a 0 offered only when it is right.

A scene with fewer distinct counts than options gets fewer options, not filler. No filler can
help: where 0 is the answer of 35% of 4-option questions (COCO-shaped scenes with two or three
names), a guesser choosing 0 whenever offered is right at least 35% of the time, whatever else
is offered; and a count added only as a wrong option is never right on its scene ("the largest
is wrong").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def count_choices(counts: Iterable[int]) -> list[int]:
    """The counts a generator asks on one scene (`counts`, its candidates' answers), distinct and
    ascending: the options its count questions on the scene share (`wrong_counts`)."""
    return sorted(set(counts))


def wrong_counts(choices: Sequence[int], answer: int) -> list[int]:
    """The wrong options of a question answered `answer`: the scene's other counts (`choices`)."""
    return [c for c in choices if c != answer]
