"""`str` replies with a clause after the answer ("It is red, and it is made of metal.") and
relations denied through "to" ("not to the right of"); the hedges next to them stay failures."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer

VOCAB = ["cat", "dog"]


@pytest.mark.parametrize(("reply", "gold"), [
    ("The object is large, and it is matte.", "large"),
    ("The star is large and made of metal.", "large"),
    ("It is red, and it is shiny.", "red"),
    ("The hexagon is green, and it is made of metal.", "green"),
    ("red and shiny", "red"),
    ("It is small, and it is red.", "small"),
])
def test_a_clause_of_another_kind_after_the_answer_is_read(reply: str, gold: str) -> None:
    res = match_answer(reply, gold, "str")
    assert res.correct and res.score == 1.0, (res.reason, res.parsed)


@pytest.mark.parametrize(("reply", "gold"), [
    ("It is red, and it is blue.", "red"),
    ("red, it is blue", "red"),
    ("red and blue", "red"),
    ("The object is large, and it is small.", "large"),
    ("The object is small, and it is large.", "large"),
    ("It is a cat, it's dog", "cat"),
    ("a circle, and it is a star", "star"),
])
def test_a_clause_naming_a_rival_still_fails(reply: str, gold: str) -> None:
    res = match_answer(reply, gold, "str", vocabulary=VOCAB)
    assert res.score == 0.0 and not res.correct


@pytest.mark.parametrize(("reply", "gold", "correct"), [
    ("The square is not to the right of the hexagon; it is above the hexagon.", "above", True),
    ("It is not located to the left of the cup, it is right of it.", "right of", True),
    ("The square is not to the right of the hexagon; it is above the hexagon.", "right of", False),
])
def test_a_relation_denied_through_to_is_not_the_answer(reply: str, gold: str, correct: bool) -> None:
    res = match_answer(reply, gold, "str")
    assert res.correct is correct, (res.reason, res.parsed)


@pytest.mark.parametrize("reply", ["It is not to the left of it.", "The cup is not located to the left of the plate."])
def test_only_a_denied_relation_fails(reply: str) -> None:
    res = match_answer(reply, "left of", "str")
    assert res.parse_failed and "not" in (res.reason or "")
