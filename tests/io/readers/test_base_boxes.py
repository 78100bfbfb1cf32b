"""`ReadContext` box values: the quick check of the usual box agrees with checking each value."""

from __future__ import annotations

import math

import pytest

from veriscene.errors import SceneValidationError
from veriscene.io.readers._base import ReadContext
from veriscene.io.readers._fields import is_number


@pytest.mark.parametrize("box", [
    [1, 2, 3, 4], (1.5, 2, 3.25, 4), [True, 2, 3, 4], [1, "2", 3, 4], [1, None, 3, 4], [1, math.nan, 3, 4],
    [math.inf, 2, 3, 4], [math.inf, -math.inf, 3, 4], [1e308, 1e308, 1, 1], [1, 2, 3], [1, 2, 3, 4, 5],
    "1,2,3,4", {"x": 1}, [[1], 2, 3, 4],
])
def test_numbers_accepts_exactly_four_finite_numbers(box: object) -> None:
    fine = isinstance(box, (list, tuple)) and len(box) == 4 and all(is_number(v) for v in box)
    if fine:
        got = ReadContext._numbers(box, "bbox")
        assert got == tuple(float(v) for v in box) and all(type(v) is float for v in got)
    else:
        with pytest.raises(SceneValidationError) as caught:
            ReadContext._numbers(box, "bbox")
        assert caught.value.field == "bbox" and "box must be 4" in caught.value.reason


@pytest.mark.parametrize(("xywh", "reason"), [
    ([1e308, 0, 1e308, 5], "box must be 4 finite numbers"),  # x + w overflows: no box, not a clipped one
    ([-5, -5, 3, 3], "lies outside the 10x10 image"),
    ([2, 2, -1, 3], "negative width or height"),
])
def test_box_xywh_refuses_what_no_image_holds(xywh: list, reason: str) -> None:
    ctx = ReadContext("a.json", "coco")
    with pytest.raises(SceneValidationError) as caught:
        ctx.box_xywh(xywh, 10, 10, "bbox")
    assert reason in caught.value.reason
