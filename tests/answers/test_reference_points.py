"""Points the question shows apart from its options (its reference point), echoed in a reply."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer
from veriscene.answers.spatial import question_references

SIZE = [480, 360]
QUESTION = ("The point [0.83, 0.44] is on an object. Which point is on another object: "
            "[0.48, 0.83] or [0.89, 0.49]?")
GOLD = [230.4, 298.8]  # [0.48, 0.83]
SHOWN = [[398.4, 158.4], [230.4, 298.8], [427.2, 176.4]]


@pytest.mark.parametrize(("question", "references"), [
    (QUESTION, [[0.83, 0.44]]),
    ("Which of the points [0.95, 0.86] and [0.59, 0.83] lies on the same object as the point [0.91, 0.93]?",
     [[0.91, 0.93]]),
    ("Does [0.15, 0.64] or [0.94, 0.22] belong to the same object as [0.13, 0.75]?", [[0.13, 0.75]]),
    ("Which point is farther from the camera: [0.20, 0.63] or [0.12, 0.70]?", []),
    ("Two points are marked, [0.48, 0.30] and [0.55, 0.33]. Which is closer?", []),
])
def test_question_references(question: str, references: list[list[float]]) -> None:
    assert question_references(question) == references


@pytest.mark.parametrize(("reply", "correct"), [
    ("The point [0.83, 0.44] is on a circle, and [0.48, 0.83] is on another object.", True),
    ("[0.48, 0.83] is on a different object than the one at [0.83, 0.44].", True),
    ("The point [0.83, 0.44] is on a circle, and [0.89, 0.49] is on another object.", False),
    ("[0.89, 0.49] is on the same object as [0.83, 0.44].", False),
])
def test_an_echoed_reference_point_does_not_count(reply: str, correct: bool) -> None:
    res = match_answer(reply, GOLD, "point", image_size=SIZE, question=QUESTION, point_options=SHOWN)
    assert not res.parse_failed and res.correct is correct, (res.reason, res.parsed)


@pytest.mark.parametrize("reply", [
    "[0.83, 0.44] or [0.48, 0.83]",  # offered together: a hedge
    "Both [0.83, 0.44] and [0.48, 0.83].",
])
def test_a_reference_offered_with_the_answer_still_fails(reply: str) -> None:
    res = match_answer(reply, GOLD, "point", image_size=SIZE, question=QUESTION, point_options=SHOWN)
    assert res.parse_failed and "several" in (res.reason or ""), res


def test_the_reference_alone_is_read_and_wrong() -> None:
    res = match_answer("[0.83, 0.44]", GOLD, "point", image_size=SIZE, question=QUESTION, point_options=SHOWN)
    assert not res.parse_failed and not res.correct
