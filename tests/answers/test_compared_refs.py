"""An image or a point named after "than" / "compared to" is what the answer is compared with,
not a second answer; a reply naming only such a one, or two answers, still fails."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer, parse_answer

SIZE = [480, 360]
GOLD = [57.6, 252.0]  # [0.12, 0.70]
OPTIONS = [[96.0, 226.8], GOLD]  # [0.20, 0.63] or [0.12, 0.70]


@pytest.mark.parametrize("reply", [
    "Image 1 has fewer stars than Image 3.",
    "Image 1 contains more hexagons than the second image.",
    "Image 1 has more circles compared to Image 2.",
    "Image 1 has more hexagons than Image 2 and Image 3.",
])
def test_an_image_compared_with_is_not_named(reply: str) -> None:
    res = match_answer(reply, 0, "image_index")
    assert res.correct, (res.reason, res.parsed)


@pytest.mark.parametrize(("reply", "reason"), [
    ("It has more stars than Image 3.", "rules out"),
    ("Image 1 or Image 2 has more stars than Image 3.", "several images"),
    ("Image 2 has fewer stars than Image 1.", None),
])
def test_compared_images_do_not_help_a_wrong_or_hedged_reply(reply: str, reason: str | None) -> None:
    res = match_answer(reply, 0, "image_index")
    assert res.score == 0.0 and (reason is None or reason in (res.reason or ""))


@pytest.mark.parametrize("reply", [
    "[0.12, 0.70] is farther from the camera than [0.20, 0.63].",
    "The point [0.12, 0.70] is farther away compared to the point [0.20, 0.63].",
])
def test_a_point_compared_with_is_not_named(reply: str) -> None:
    res = match_answer(reply, GOLD, "point", image_size=SIZE, point_options=OPTIONS)
    assert res.correct, (res.reason, res.parsed)


@pytest.mark.parametrize(("reply", "failed"), [
    ("It is farther than [0.20, 0.63].", True),
    ("Farther than [0.12, 0.70].", True),
    ("[0.12, 0.70] or [0.20, 0.63] is farther than [0.5, 0.5].", True),
    ("[0.20, 0.63] is farther than [0.12, 0.70].", False),
])
def test_compared_points_do_not_help_a_wrong_or_hedged_reply(reply: str, failed: bool) -> None:
    res = match_answer(reply, GOLD, "point", image_size=SIZE, point_options=OPTIONS)
    assert res.score == 0.0 and res.parse_failed is failed


@pytest.mark.parametrize(("reply", "index"), [
    ("Image 2 has the most circles, with 4 circles compared to 2 in Image 1.", 1),
    ("Image 1 has the fewest stars: 1, compared with the 3 in Image 2.", 0),
])
def test_an_image_after_compared_to_a_count_is_ruled_out(reply: str, index: int) -> None:
    result = parse_answer(reply, "image_index", num_images=3)
    assert result.ok and result.value == index, result.reason
