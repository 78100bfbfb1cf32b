"""A set of attributes said as one noun phrase with its noun ("It is a small gray matte star.");
a phrase naming more or other attributes stays wrong."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer

GOLD = ["gray", "matte", "small"]


@pytest.mark.parametrize("reply", [
    "It is a small gray matte star.",
    "The object in the region is a small gray matte star.",
    "The object is a small, gray, matte star.",
    "A small gray matte object.",
    "small gray matte",
])
def test_attributes_before_their_noun_are_the_set(reply: str) -> None:
    res = match_answer(reply, GOLD, "str_set")
    assert res.correct and res.score == 1.0, (res.reason, res.parsed)


@pytest.mark.parametrize("reply", [
    "It is a small red blue matte star.",
    "It is a small gray shiny matte star.",
    "small gray matte star or large red",
    "It is a large gray matte star.",
])
def test_other_or_extra_attributes_are_not_the_set(reply: str) -> None:
    res = match_answer(reply, GOLD, "str_set")
    assert not res.correct and res.score < 1.0
