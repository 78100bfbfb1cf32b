"""Hedges that name another answer and grant it ("B is also plausible"), uncertainty with an
adverb ("not entirely sure"), "possibly" items, replies picking no option, and "No, X." said
back to a question."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer

CHOICES = ["red", "blue", "green"]


@pytest.mark.parametrize("reply", [
    "The answer is A, although B is also plausible.",
    "A, but C is also correct.",
])
def test_choice_hedges_fail(reply: str) -> None:
    result = match_answer(reply, "red", "str", choices=CHOICES, answer_letter="A")
    assert not result.correct, (result.parsed, result.reason)


@pytest.mark.parametrize(("reply", "gold", "answer_type", "choices"), [
    ("None of the above.", 0, "int", ["0", "1", "2"]),  # was read as the count 0
    ("None of the above.", False, "bool", ["no", "yes"]),  # was read as no
    ("All of the above.", "above", "str", ["above", "below", "left of"]),  # was read as the option "above"
    ("Neither option fits.", False, "bool", ["no", "yes"]),
])
def test_a_reply_picking_no_option_fails(reply: str, gold: object, answer_type: str, choices: list[str]) -> None:
    result = match_answer(reply, gold, answer_type, choices=choices, answer_letter="A")
    assert result.parse_failed and "no single option" in (result.reason or ""), result


def test_none_of_the_above_picks_an_option_saying_so() -> None:
    result = match_answer("None of the above.", "none of the above", "str",
                          choices=["red", "blue", "none of the above"], answer_letter="C")
    assert result.correct, result.reason


@pytest.mark.parametrize(("reply", "gold", "answer_type", "question"), [
    ("I'm not entirely sure, but no.", False, "bool", "Is there a brown circle?"),
    ("My best guess is no, but yes is also possible.", False, "bool", "Is there a brown circle?"),
    ("Probably large, though it could be small.", "large", "str",
     "Tell me the size of the object the small star is behind."),
    ("In front of? No, below.", "in front of", "str", "How is the star positioned with respect to the hexagon?"),
    ("It is possibly red.", "red", "str", "What color is the star?"),
    ("gray, matte, and possibly small", ["gray", "matte", "small"], "str_set", None),
    ("My best guess is hexagon, but star is also possible.", "hexagon", "str", "Which object is behind the star?"),
])
def test_hedged_replies_fail(reply: str, gold: object, answer_type: str, question: str | None) -> None:
    result = match_answer(reply, gold, answer_type, question=question)
    assert not result.correct, (result.parsed, result.reason)


@pytest.mark.parametrize(("reply", "gold", "answer_type", "question"), [
    ("It could be red.", "red", "str", "What color is the star?"),
    ("No, it is blue.", "blue", "str", "Is the star red or blue?"),
    ("My best guess is no.", False, "bool", "Is there a brown circle?"),
    ("The answer is 3; 3 is also what the first count gave.", 3, "int", "How many stars are there?"),
])
def test_plain_answers_still_read(reply: str, gold: object, answer_type: str, question: str | None) -> None:
    result = match_answer(reply, gold, answer_type, question=question)
    assert result.correct, (result.parsed, result.reason)


@pytest.mark.parametrize(("reply", "gold", "answer_type"), [
    ("The answer is 4 (possibly 5).", 4, "int"),
    ("The answer is 4, perhaps 5.", 4, "int"),
    ("The answer is 4, with 5 as a close second.", 4, "int"),
    ("The answer is no, with yes as a close second.", False, "bool"),
    ("The answer is hexagon, with star as a close second.", "hexagon", "str"),
])
def test_alternatives_added_in_passing_fail(reply: str, gold: object, answer_type: str) -> None:
    result = match_answer(reply, gold, answer_type)
    assert not result.correct, (result.parsed, result.reason)


POINT_QUESTION = ("Which of the points [0.38, 0.15] and [0.71, 0.62] lies on a different object than the "
                  "point [0.69, 0.58]?")


@pytest.mark.parametrize("reply", [
    "The answer is [0.38, 0.15] (possibly [0.69, 0.58]).",
    "[0.38, 0.15], though [0.69, 0.58] is also possible.",
    "The answer is [0.38, 0.15], with [0.69, 0.58] as a close second.",
])
def test_a_reference_point_offered_as_an_alternative_fails(reply: str) -> None:
    result = match_answer(reply, [182.4, 54.0], "point", image_size=[480, 360], question=POINT_QUESTION)
    assert not result.correct, (result.parsed, result.reason)
