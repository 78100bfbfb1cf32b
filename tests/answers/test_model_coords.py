"""Coordinates in the conventions of two model families: Molmo's point tags are percentages of
the image; Qwen2.5-VL's "bbox_2d" / "point_2d" JSON is in pixels when 0-1000 would fit too."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer

SIZE = [480, 360]
BOX = [384.0, 15.0, 449.0, 80.0]
POINT = [57.6, 252.0]


@pytest.mark.parametrize("reply", [
    '```json\n[\n\t{"bbox_2d": [384, 15, 449, 80], "label": "square"}\n]\n```',
    '{"bbox_2d": [384, 15, 449, 80]}',
])
def test_qwen25_bbox_2d_is_in_pixels(reply: str) -> None:
    res = match_answer(reply, BOX, "box", image_size=SIZE)
    assert res.correct, (res.reason, res.parsed)


def test_the_same_values_without_the_key_stay_ambiguous() -> None:
    res = match_answer("[384, 15, 449, 80]", BOX, "box", image_size=SIZE)
    assert res.parse_failed and "unambiguously" in (res.reason or "")


@pytest.mark.parametrize(("reply", "correct"), [
    ('<point x="12.0" y="70.0" alt="point">point</point>', True),
    ("<point x=12 y=70>", True),
    ('<point x="0.12" y="0.70">', True),  # fractions already
    ('<point x="70.0" y="12.0" alt="point">point</point>', False),
    ('{"point_2d": [58, 252]}', True),
])
def test_molmo_point_tags_are_percentages(reply: str, correct: bool) -> None:
    res = match_answer(reply, POINT, "point", image_size=SIZE)
    assert res.correct is correct, (res.reason, res.parsed)


def test_several_molmo_points_still_fail() -> None:
    res = match_answer('<points x1="12.0" y1="70.0" x2="50" y2="50">p</points>', POINT, "point", image_size=SIZE)
    assert res.parse_failed and "several" in (res.reason or "")


@pytest.mark.parametrize(("reply", "correct"), [
    ('<point x="58" y="252" alt="point">point</point>', True),  # 252 > 100: no percentage
    ('<point x="57.6" y="252.0">', True),
    ('<point x="252" y="58">', False),
    ('<point x="600" y="252">', None),  # fits neither percentages nor the 480x360 image's pixels
])
def test_molmo_point_tags_above_100_are_pixels(reply: str, correct: bool | None) -> None:
    res = match_answer(reply, POINT, "point", image_size=SIZE)
    if correct is None:
        assert res.parse_failed, res
    else:
        assert res.correct is correct, (res.reason, res.parsed)


def test_molmo_tags_above_100_follow_a_pixel_or_0_1000_question() -> None:
    # a norm1000 question: the model answered in the question's own convention
    res = match_answer('<point x="120" y="700">', POINT, "point", image_size=SIZE, box_format="norm1000")
    assert res.correct, (res.reason, res.parsed)


SMALL_BOX = [48.0, 36.0, 120.0, 108.0]  # 0-1000: [100, 100, 250, 300]; fits pixels of 480x360 too


@pytest.mark.parametrize(("reply", "correct"), [
    ("<ref>square</ref><box>[[100, 100, 250, 300]]</box>", True),  # InternVL
    ("<|object_ref_start|>square<|object_ref_end|><|box_start|>(100,100),(250,300)<|box_end|>", True),  # Qwen2-VL
    ("<box>[[48, 36, 120, 108]]</box>", False),  # pixels in a 0-1000 tag: read as 0-1000
])
def test_box_tags_are_0_1000_when_pixels_would_fit_too(reply: str, correct: bool) -> None:
    res = match_answer(reply, SMALL_BOX, "box", image_size=SIZE)
    assert not res.parse_failed and res.correct is correct, (res.reason, res.parsed)
