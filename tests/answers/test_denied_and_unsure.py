"""Answers denied ("Not 3.", "3, not 4"), said unsure ("Possibly Image 2.") and boxes given by
labelled corners, in every answer type: the cases `benchmarks/reply_styles.py` found misread."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer, parse_answer

SIZE = [480, 360]
COUNT_QUESTION = "How many large stars are there?"


@pytest.mark.parametrize(("reply", "value"), [
    ("Not 2, but 3.", 3),
    ("3, not 4.", 3),
    ("There are not 2 but 3 large stars.", 3),
    ("There are 3 large stars: two on the left and one on the right.", 3),
    ("3 large stars: 1 red and 2 blue.", 3),
    ("Large stars: 3", 3),
    ("There are 3 cups, not 2.", 3),
])
def test_numbers_read(reply: str, value: int) -> None:
    result = parse_answer(reply, "int", question=COUNT_QUESTION)
    assert result.ok and result.value == value, result


@pytest.mark.parametrize(("reply", "reason"), [
    ("Not 3.", "says what the answer is not"),
    ("It isn't 3.", "says what the answer is not"),
    ("There aren't 3 large stars.", "says what the answer is not"),
    ("It is not exactly 3.", "says what the answer is not"),
    ("Possibly 3.", "uncertain"),
    ("I'm not sure, but I think 3.", "uncertain"),
    ("There are 3 large stars: two on the left and two on the right.", "several different numbers"),
])
def test_numbers_denied_or_unsure_fail(reply: str, reason: str) -> None:
    result = parse_answer(reply, "int", question=COUNT_QUESTION)
    assert not result.ok and reason in (result.reason or ""), result


def test_a_float_said_unsure_fails() -> None:
    result = parse_answer("Possibly 0.5.", "float")
    assert not result.ok and "uncertain" in (result.reason or ""), result


@pytest.mark.parametrize(("reply", "items"), [
    ("gray, matte and small, not blue.", ["gray", "matte", "small"]),
    ("The object is gray and matte, and it is small, not red.", ["gray", "matte", "small"]),
    ("- gray\n- matte\n- small\n- not red", ["gray", "matte", "small"]),
    ("gray, matte, but not red", ["gray", "matte"]),
])
def test_denied_set_items_are_left_out(reply: str, items: list[str]) -> None:
    result = parse_answer(reply, "str_set", gold_items=["gray", "matte", "small"])
    assert result.ok and result.value == items, result


def test_a_set_denied_as_a_whole_fails() -> None:
    result = match_answer("Not gray, matte and small.", ["gray", "matte", "small"], "str_set")
    assert result.parse_failed and "says what the answer is not" in (result.reason or ""), result


# the gold box [0.100, 0.200, 0.500, 0.600] of a 480 x 360 image, in pixels
BOX = [48.0, 72.0, 240.0, 216.0]


@pytest.mark.parametrize("reply", [
    "Top-left: (0.1, 0.2), bottom-right: (0.5, 0.6)",
    "The top-left corner is at (0.100, 0.200) and the bottom-right corner is at (0.500, 0.600).",
    "upper-left (0.1, 0.2); lower-right (0.5, 0.6)",
    "[0.1, 0.2, 0.5, 0.6], not [0.3, 0.2, 0.7, 0.6].",
    "It is not [0.3, 0.2, 0.7, 0.6], it is [0.1, 0.2, 0.5, 0.6].",
])
def test_boxes_read(reply: str) -> None:
    result = parse_answer(reply, "box", image_size=SIZE)
    assert result.ok and result.value == pytest.approx(BOX), result


@pytest.mark.parametrize(("reply", "reason"), [
    ("Not [0.1, 0.2, 0.5, 0.6].", "only a box it denies"),
    ("It isn't [0.1, 0.2, 0.5, 0.6].", "only a box it denies"),
    ("Possibly [0.1, 0.2, 0.5, 0.6].", "uncertain"),
    ("I'm not sure, maybe [0.1, 0.2, 0.5, 0.6].", "uncertain"),
])
def test_boxes_denied_or_unsure_fail(reply: str, reason: str) -> None:
    result = parse_answer(reply, "box", image_size=SIZE)
    assert not result.ok and reason in (result.reason or ""), result


def test_a_point_reply_with_labelled_corners_is_a_box() -> None:
    result = parse_answer("Top-left: (0.1, 0.2), bottom-right: (0.5, 0.6)", "point", image_size=SIZE)
    assert not result.ok and "gives a box" in (result.reason or ""), result


POINT_QUESTION = ("Which of the points [0.380, 0.150] and [0.710, 0.620] lies on a different object than "
                  "the point [0.690, 0.580]?")


@pytest.mark.parametrize(("reply", "point"), [
    ("It is not [0.710, 0.620], it is [0.380, 0.150].", [182.4, 54.0]),
    ("[0.380, 0.150], not [0.710, 0.620].", [182.4, 54.0]),
    ("The point [0.380, 0.150] rather than [0.710, 0.620].", [182.4, 54.0]),
    # the reference point, given as the answer, and the gold denied: the reference is read
    ("[0.690, 0.580], not [0.380, 0.150].", [331.2, 208.8]),
])
def test_denied_points_are_left_out(reply: str, point: list[float]) -> None:
    result = parse_answer(reply, "point", image_size=SIZE, question=POINT_QUESTION)
    assert result.ok and result.value == pytest.approx(point), result


@pytest.mark.parametrize(("reply", "reason"), [
    ("Not [0.380, 0.150].", "only points it denies"),
    ("Perhaps [0.380, 0.150].", "uncertain"),
])
def test_points_denied_or_unsure_fail(reply: str, reason: str) -> None:
    result = match_answer(reply, [182.4, 54.0], "point", image_size=SIZE, question=POINT_QUESTION)
    assert result.parse_failed and reason in (result.reason or ""), result


@pytest.mark.parametrize("reply", [
    "Possibly Image 2.",
    "I'm not sure, maybe Image 2.",
    "I'm not sure, but I think the second image.",
])
def test_images_said_unsure_fail(reply: str) -> None:
    result = parse_answer(reply, "image_index", num_images=3)
    assert not result.ok and "uncertain" in (result.reason or ""), result


def test_an_image_offered_with_maybe_keeps_its_reason() -> None:
    result = parse_answer("It is Image 2, or maybe 3.", "image_index", num_images=3)
    assert not result.ok and "another image" in (result.reason or ""), result


@pytest.mark.parametrize(("reply", "value", "answer_type"), [
    ("Image 2, I think.", 1, "image_index"),
    ("I think it is [0.1, 0.2, 0.5, 0.6].", BOX, "box"),
    ("I count 3 large stars.", 3, "int"),
])
def test_confident_hedges_still_read(reply: str, value: object, answer_type: str) -> None:
    result = parse_answer(reply, answer_type, image_size=SIZE, num_images=3, question=COUNT_QUESTION)
    assert result.ok and result.value == (pytest.approx(value) if answer_type == "box" else value), result


@pytest.mark.parametrize("reply", ["Possibly B.", "I'm not sure, maybe (B).", "Perhaps option B."])
def test_a_choice_said_unsure_fails(reply: str) -> None:
    result = match_answer(reply, "blue", "str", choices=["red", "blue"], answer_letter="B")
    assert result.parse_failed and "uncertain" in (result.reason or ""), result


def test_a_choice_whose_option_holds_the_word_is_read() -> None:
    result = match_answer("B. Unknown", "unknown", "str", choices=["red", "unknown"], answer_letter="B")
    assert result.correct, result
