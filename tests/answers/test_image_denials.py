"""Image indices: images named only to be denied, and alternatives offered."""

from __future__ import annotations

import pytest

from veriscene.answers import parse_answer


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
