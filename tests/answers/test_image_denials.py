"""Image indices: images named only to be denied, and alternatives offered."""

from __future__ import annotations

import pytest

from veriscene.answers import parse_answer
from veriscene.answers.image_refs import asks_absence


@pytest.mark.parametrize(("reply", "index"), [
    ("It is in Image 2, not Image 1.", 1),
    ("Image 2 has it; Image 1 doesn't.", 1),
    ("In Image 2, there is a matte triangle, while Image 1 and Image 3 don't have one.", 1),
    ("The second image, not the first image.", 1),
    ("Image 3 does not contain a diamond.", 2),  # the answer to "Which image does not ...?"
    ("Not Image 1 but Image 3.", 2),
])
def test_denied_images_do_not_count(reply: str, index: int) -> None:
    result = parse_answer(reply, "image_index", num_images=3)
    assert result.ok and result.value == index, result.reason


@pytest.mark.parametrize(("reply", "reason"), [
    ("Not Image 1.", "rules out"),
    ("Image 2 and Image 3 do not have it.", "several images"),
    ("It is Image 2, or maybe 3.", "another image"),
    ("Image 2 (or possibly Image 3)", "several images"),
    ("Image 1 or 2", "several images"),
])
def test_denials_and_alternatives_that_fail(reply: str, reason: str) -> None:
    result = parse_answer(reply, "image_index", num_images=3)
    assert not result.ok and reason in (result.reason or ""), result


ABSENT = "Which image does not contain a diamond?"


@pytest.mark.parametrize(("reply", "index"), [
    ("Image 3 does not contain a diamond, while Image 1 does.", 2),
    ("Image 1 does not contain a diamond, while Image 3 does.", 0),
    ("Image 1 contains a diamond, but Image 3 does not.", 2),
    ("Images 1 and 2 contain a diamond, but Image 3 does not.", 2),
    ("Image 1 has no diamond; Image 3 has one.", 0),
    ("Image 3.", 2),
    ("Not Image 1 but Image 3.", 2),
])
def test_a_question_about_absence_reads_the_denied_image(reply: str, index: int) -> None:
    result = parse_answer(reply, "image_index", num_images=3, question=ABSENT)
    assert result.ok and result.value == index, result.reason


@pytest.mark.parametrize("question", [
    "Which image does not contain a diamond?", "In which of the three images is there no square?",
    "Which image lacks a star?", "Which image doesn't show a circle?",
])
def test_asks_absence(question: str) -> None:
    assert asks_absence(question)


@pytest.mark.parametrize("question", [
    "Which image contains a diamond?", "Only one image shows a small star. Which one is it?",
    "There is no star in two images. Which image has a circle?", None,
])
def test_asks_no_absence(question: str | None) -> None:
    assert not asks_absence(question)


def test_a_positive_question_keeps_the_asserted_image() -> None:
    result = parse_answer("Image 3 does not contain a diamond, while Image 1 does.", "image_index",
                          num_images=3, question="Which image contains a diamond?")
    assert result.ok and result.value == 0, result.reason


def test_neither_nor_rules_both_out() -> None:
    result = parse_answer("Neither Image 1 nor Image 2 contains a matte triangle, so it is Image 3.", "image_index",
                          num_images=3, question="In which of the three images is there a matte triangle?")
    assert result.ok and result.value == 2, result.reason


@pytest.mark.parametrize(("reply", "question", "index"), [
    ("Every image except Image 3 contains a diamond.", ABSENT, 2),
    ("All images except Image 2 lack a diamond.", "Which image contains a diamond?", 1),
])
def test_the_image_excepted_from_the_opposite_answers(reply: str, question: str, index: int) -> None:
    result = parse_answer(reply, "image_index", num_images=3, question=question)
    assert result.ok and result.value == index, result.reason


@pytest.mark.parametrize(("reply", "question"), [
    ("Every image except Image 3 contains a diamond.", "Which image contains a diamond?"),
    ("All images except Image 2 lack a diamond.", ABSENT),
])
def test_the_image_excepted_from_the_answer_is_ruled_out(reply: str, question: str) -> None:
    result = parse_answer(reply, "image_index", num_images=3, question=question)
    assert not result.ok and "rules out" in (result.reason or ""), result
