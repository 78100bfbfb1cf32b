"""A set of attributes said on both sides of the verb: "The small star is gray and matte."
(`candidates.set_items` reads a clause that only describes one object)."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer

LOOKS = ["gray", "matte", "small"]


@pytest.mark.parametrize("reply", [
    "The small star is gray and matte.",
    "The gray star is small and matte.",
    "It is a small star that is gray and matte.",
    "The small gray star is matte.",
    "The small gray object is matte.",
])
def test_attributes_on_both_sides_of_the_verb(reply: str) -> None:
    result = match_answer(reply, LOOKS, "str_set")
    assert result.correct, (reply, result.parsed, result.reason)


@pytest.mark.parametrize("reply", [
    "The large star is gray and matte.",
    "The small star is gray and shiny.",
    "The object next to the small star is gray and matte.",  # another object is small
    "The small star is not gray and matte.",
    "The small star is gray or blue, and matte.",
    "The small star is gray, blue and matte.",
])
def test_other_objects_denials_and_extra_words_stay_wrong(reply: str) -> None:
    result = match_answer(reply, LOOKS, "str_set")
    assert not result.correct, (reply, result.parsed)
