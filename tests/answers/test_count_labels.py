"""Numbers that label rather than count ("1. a cup\n2. a cup", "Step 2", Molmo's point tags) are
not read as counts; lists and hedges of counts still fail."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer
from veriscene.answers.quantities import uncounted

QUESTION = "How many cups are there?"
MOLMO = ('Counting the <points x1="10.5" y1="21.0" x2="20.5" y2="22.0" x3="61.0" y3="40.5" alt="cups">cups'
         '</points> shows a total of {n}.')


@pytest.mark.parametrize(("reply", "gold"), [
    ("Let me count the cups:\n1. A cup at the top.\n2. A cup near the bottom.\n\nSo there are 2 cups.", 2),
    ("1) a red cup\n2) a blue cup\n3) a gray cup\nThere are three cups.", 3),
    ("Step 1: find the cups. Step 2: count them. There are 4 cups.", 4),
    (MOLMO.format(n=3), 3),
    ('<point x="61.0" y="40.5" alt="cup">cup</point> There is 1 cup.', 1),
    ("3. There are three cups.", 3),
])
def test_labels_are_not_counts(reply: str, gold: int) -> None:
    for question in (QUESTION, None):
        res = match_answer(reply, gold, "int", question=question)
        assert res.correct, (question, res.reason, res.parsed)


@pytest.mark.parametrize("reply", [
    "1. 3\n2. 4",
    "1. Maybe 3 cups\n2. Maybe 4 cups",
    "Let me count:\n1. A cup.\n2. A cup.\nSo there are 2 or 3 cups.",
    MOLMO.format(n="3 or 4"),
    "Step 1: there are 2 cups. Step 2: there are 3 cups.",
])
def test_counts_next_to_labels_still_compete(reply: str) -> None:
    res = match_answer(reply, 3, "int", question=QUESTION)
    assert res.score == 0.0 and res.parse_failed


def test_a_numbered_list_without_a_count_is_no_count() -> None:
    res = match_answer("1. a cup\n2. a cup\n3. a cup", 3, "int", question=QUESTION)
    assert res.parse_failed and res.score == 0.0


@pytest.mark.parametrize(("text", "kept"), [
    ("1. a\n3. b", "1. a\n3. b"),  # not a run 1, 2, ...: kept
    ("2. There are 2.", "2. There are 2."),
])
def test_uncounted_keeps_markers_that_do_not_run_from_one(text: str, kept: str) -> None:
    assert uncounted(text) == kept
