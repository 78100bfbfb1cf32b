"""A count reply with several numbers and none marked is read by the question's noun: the one
number counting it, when every other number counts something else or is denied
(`quantities.read_number`); a bare extra number is a hedge or a count and still fails."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer
from veriscene.answers.quantities import asked_noun

CUPS = "How many cups are there?"


@pytest.mark.parametrize(("question", "noun"), [
    (CUPS, "cup"), ("How many red circles are in the image?", "circle"), ("How many glasses?", "glass"),
    ("How many boxes does Image 2 contain?", "box"), ("Is there a cup?", None), (None, None),
])
def test_asked_noun(question: str | None, noun: str | None) -> None:
    assert asked_noun(question) == noun


@pytest.mark.parametrize(("reply", "value"), [
    ("There are two cups and one plate.", 2),
    ("No, there are 3 cups, not 2.", 3),
    ("two cups, three plates, and four bowls", 2),
])
def test_the_number_counting_the_asked_noun(reply: str, value: int) -> None:
    result = match_answer(reply, value, "int", question=CUPS)
    assert result.correct and result.parsed == value, result.reason


@pytest.mark.parametrize("reply", [
    "There are 3 cups or 4.",            # a bare number: a hedge
    "3 cups (maybe 4 cups)",             # two counts of cups
    "3 cups and 2 red cups",
    "Let me count: 1, 2, 3. So there are 3 cups.",  # bare numbers of a count: not read
    "I see 3 cups; 2 are red.",
])
def test_other_numbers_still_fail(reply: str) -> None:
    result = match_answer(reply, 3, "int", question=CUPS)
    assert result.parse_failed, result.parsed


def test_without_the_question_several_numbers_fail() -> None:
    assert match_answer("There are two cups and one plate.", 2, "int").parse_failed


@pytest.mark.parametrize(("question", "noun"), [
    ("What is the number of shiny objects?", "object"),
    ("Count the purple objects in this picture.", "object"),
    ("What is the total number of triangles across these images?", "triangle"),
])
def test_asked_noun_of_other_count_questions(question: str, noun: str) -> None:
    assert asked_noun(question) == noun


@pytest.mark.parametrize(("reply", "value", "question"), [
    ("There are 4 shiny objects, 3 of which are large.", 4, "How many shiny objects are there?"),
    ("There are 4 shiny objects, 3 of them large.", 4, "What is the number of shiny objects?"),
])
def test_a_part_counted_with_of_which_is_no_rival(reply: str, value: int, question: str) -> None:
    result = match_answer(reply, value, "int", question=question)
    assert result.correct, result.reason


def test_a_part_of_another_noun_still_fails() -> None:
    result = match_answer("There are 5 shapes, 3 of which are circles.", 3, "int", question="How many circles?")
    assert result.parse_failed, result
