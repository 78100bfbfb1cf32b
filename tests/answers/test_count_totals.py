"""Counts given per image (or per part) and then in total; image numbers are labels, not counts."""

from __future__ import annotations

import pytest

from veriscene.answers import parse_answer

QUESTION = "How many circles do the images contain in total?"


@pytest.mark.parametrize(("reply", "value"), [
    ("2 in Image 1 and 3 in Image 2, so 5", 5),
    ("There are 2 circles in Image 1, 3 in Image 2, 0 in Image 3, for a total of 5.", 5),
    ("Image 1: 2\nImage 2: 3\nTotal: 5", 5),
    ("Image 1 has 2. Image 2 has 3. 2 + 3 = 5.", 5),
    ("There are 5 circles in total: 2 in Image 1 and 3 in Image 2.", 5),
    ("0 in Image 1, 1 in Image 2, 1 in Image 3 and 0 in Image 4, so 2", 2),
    ("There are two red circles and three blue circles, so five circles altogether.", 5),
    ("Images 1 and 3 show a circle, so 2 images.", 2),
    ("In the image 3 circles are visible.", 3),  # "image 3 circles": a count, not a label
])
def test_a_total_of_its_parts_is_the_count(reply: str, value: int) -> None:
    result = parse_answer(reply, "int", question=QUESTION)
    assert result.ok and result.value == value, result.reason


@pytest.mark.parametrize("reply", [
    "2 in Image 1 and 3 in Image 2, so 6",  # the parts do not add up
    "2 in Image 1 and 3 in Image 2.",  # no total
    "2 in Image 1 and 3 in Image 2, so 5 or 6.",
    "There are 5 circles in total: 2 in Image 1 and 2 in Image 2.",
    "2 in Image 1, 3 in Image 2, so 5... or maybe 6",
])
def test_no_total_or_a_wrong_sum_fails(reply: str) -> None:
    result = parse_answer(reply, "int", question=QUESTION)
    assert not result.ok, result


def test_in_total_after_a_comma() -> None:
    reply = "- Image 1: 2 circles\n- Image 2: 3 circles\n\nIn total, there are 5 circles."
    result = parse_answer(reply, "int", question=QUESTION)
    assert result.ok and result.value == 5, result.reason


@pytest.mark.parametrize(("reply", "value", "question"), [
    ("Of the four images, three show a hexagon.", 3, "Of the four images, how many show a hexagon?"),
    ("All four images show a hexagon.", 4, "Of the four images, how many show a hexagon?"),
    ("2 of the 4 circles are red.", 2, "How many of the 4 circles are red?"),
])
def test_numbers_echoed_from_the_question_do_not_count(reply: str, value: int, question: str) -> None:
    result = parse_answer(reply, "int", question=question)
    assert result.ok and result.value == value, result.reason


@pytest.mark.parametrize("reply", ["Answer: 0 / 1", "4/2", "3/4"])
def test_a_slash_in_a_count_is_no_fraction(reply: str) -> None:
    result = parse_answer(reply, "int", question=QUESTION)
    assert not result.ok and "fraction" in (result.reason or ""), result
