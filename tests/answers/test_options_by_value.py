"""A multiple-choice reply that names no letter or option text is read as its answer type and
matched to the one option of that value ("zero" for "0", "the second image" for "Image 2")."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer

COUNTS = ["2", "1", "0", "3"]
IMAGES = ["Image 1", "Image 2", "Image 3"]


@pytest.mark.parametrize(("reply", "gold", "choices", "letter", "kind"), [
    ("zero", 0, COUNTS, "C", "int"),
    ("There are no purple objects.", 0, COUNTS, "C", "int"),
    ("The answer is three.", 3, COUNTS, "D", "int"),
    ("The second image", 1, IMAGES, "B", "image_index"),
    ("It is the last image.", 2, IMAGES, "C", "image_index"),
])
def test_a_value_picks_its_option(reply: str, gold: object, choices: list[str], letter: str, kind: str) -> None:
    result = match_answer(reply, gold, kind, choices=choices, answer_letter=letter, num_images=3)
    assert result.correct and result.parsed == gold, result.reason


@pytest.mark.parametrize(("reply", "choices", "kind"), [
    ("two or three", COUNTS, "int"),          # alternatives: no value
    ("0 1 2 3", COUNTS, "int"),               # every option
    ("five", COUNTS, "int"),                  # no option of that value
    ("The first or the second image", IMAGES, "image_index"),
])
def test_no_single_value_picks_nothing(reply: str, choices: list[str], kind: str) -> None:
    assert match_answer(reply, 0, kind, choices=choices, answer_letter="A", num_images=3).parse_failed


@pytest.mark.parametrize(("reply", "named"), [
    ("The first or the second image", "1, 2"),
    ("the first or second image", "1, 2"),
    ("first and third images", "1, 3"),
    ("the first, second or third image", "1, 2, 3"),
])
def test_ordinals_joined_to_an_ordinal_image_are_all_named(reply: str, named: str) -> None:
    """"the first or the second image" read as the second image alone (a free second guess)."""
    result = match_answer(reply, 1, "image_index", num_images=3)
    assert result.parse_failed and f"several images ({named})" in (result.reason or "")
