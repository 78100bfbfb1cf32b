"""yes/no replies read with the question: a clause restating it word for word answers it, and a
yes/no word that the restating clause contradicts fails ("No, there is a brown circle.")."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer, parse_answer
from veriscene.answers.yes_no import restated

EXISTS = "Is there a brown circle in the image?"
SMALLER = "Is the shiny star smaller than the triangle?"
CONTAINS = "Does the image contain a diamond?"
SAME = "Do Image 1 and Image 3 contain the same number of squares?"
ABSENT = "Is there no square in the image?"


@pytest.mark.parametrize(("reply", "question", "value"), [
    ("The shiny star is smaller than the triangle.", SMALLER, True),
    ("The image contains a diamond.", CONTAINS, True),
    ("Image 1 and Image 3 contain the same number of squares.", SAME, True),
    ("Yes, the shiny star is smaller than the triangle.", SMALLER, True),
    ("No, the triangle is smaller than the shiny star.", SMALLER, False),  # not the question's words
    ("No, the shiny star is not smaller than the triangle.", SMALLER, False),
    ("Yes, there is no square in the image.", ABSENT, True),
    ("Is the shiny star smaller than the triangle? Yes.", SMALLER, True),
    ("Looking carefully: is there a circle? Yes, there is a circle.", "Look carefully: is there a circle?", True),
])
def test_a_restatement_answers_the_question(reply: str, question: str, value: bool) -> None:
    res = match_answer(reply, value, "bool", question=question)
    assert res.correct, (res.reason, res.parsed)


@pytest.mark.parametrize(("reply", "question"), [
    ("No, there is a brown circle in the image.", EXISTS),
    ("Yes, there is no brown circle in the image.", EXISTS),
    ("No, the shiny star is smaller than the triangle.", SMALLER),
    ("Yes, it is. The shiny star isn't smaller than the triangle.", SMALLER),
    ("The shiny star is smaller than the triangle. The shiny star is not smaller than the triangle.", SMALLER),
    ("No, there is no square in the image.", ABSENT),
])
@pytest.mark.parametrize("gold", [True, False])
def test_a_yes_no_word_contradicted_by_its_restatement_fails(reply: str, question: str, gold: bool) -> None:
    res = match_answer(reply, gold, "bool", question=question)
    assert res.parse_failed and res.score == 0.0


def test_without_the_question_the_yes_no_word_decides() -> None:
    assert match_answer("No, there is a brown circle in the image.", False, "bool").correct
    assert restated("There is a brown circle.", None) == set()


BROWN = "Is there a brown circle in the image?"


@pytest.mark.parametrize("reply", [
    "The answer is no. There is a brown circle in the image.",
    "**No**. There is a brown circle in the image.",
    "No\n\nExplanation: there is a brown circle in the image.",
])
def test_a_marked_answer_contradicted_by_a_restatement_fails(reply: str) -> None:
    result = parse_answer(reply, "bool", question=BROWN)
    assert not result.ok and "opposite" in (result.reason or ""), result


@pytest.mark.parametrize(("reply", "value"), [
    ("The answer is no. There is no brown circle in the image.", False),
    ("Yes\n\nExplanation: there is a brown circle in the image.", True),
])
def test_a_marked_answer_its_restatement_agrees_with(reply: str, value: bool) -> None:
    result = parse_answer(reply, "bool", question=BROWN)
    assert result.ok and result.value is value, result.reason
