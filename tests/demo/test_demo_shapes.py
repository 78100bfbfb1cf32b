"""The rasteriser shared by sampling and rendering."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriscene.demo import shapes


def _shoelace(pts: np.ndarray) -> float:
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


@settings(max_examples=60, deadline=None)
@given(
    shape=st.sampled_from(shapes.SHAPES),
    cx=st.floats(60, 420),
    cy=st.floats(60, 300),
    r=st.floats(8, 45),
    rotation=st.floats(-30, 30),
)
def test_raster_area_matches_the_continuous_shape(
    shape: str, cx: float, cy: float, r: float, rotation: float
) -> None:
    patch = shapes.rasterise(shape, cx, cy, r, rotation, 480, 360)
    area = int(patch.mask.sum())
    if shape == "circle":
        exact = math.pi * (0.92 * r) ** 2
        perimeter = 2 * math.pi * 0.92 * r
    else:
        pts = shapes.outline(shape, cx, cy, r, rotation)
        exact = _shoelace(pts)
        perimeter = float(np.linalg.norm(pts - np.roll(pts, -1, axis=0), axis=1).sum())
    assert abs(area - exact) <= perimeter  # at most ~one pixel row of error along the edge
    x0, y0, x1, y1 = shapes.patch_box(patch)  # type: ignore[misc]
    ex0, ey0, ex1, ey1 = shapes.extent(shape, cx, cy, r, rotation)
    assert ex0 - 0.5 <= x0 and x1 <= ex1 + 0.5 and ey0 - 0.5 <= y0 and y1 <= ey1 + 0.5


def test_shapes_are_clipped_to_the_image() -> None:
    patch = shapes.rasterise("square", 5.0, 5.0, 20.0, 0.0, 100, 80)
    assert patch.x0 == 0 and patch.y0 == 0
    assert shapes.patch_box(patch) == (0, 0, 21, 21)  # half side 16.4: centres up to 21.4


def test_star_is_not_convex() -> None:
    patch = shapes.rasterise("star", 50.0, 50.0, 40.0, 0.0, 100, 100)
    # straight up from the centre is the top point; straight down is the notch between the legs
    assert patch.mask[50 - patch.y0, 50 - patch.x0]
    assert patch.mask[50 - 30 - patch.y0, 50 - patch.x0]
    assert not patch.mask[50 + 30 - patch.y0, 50 - patch.x0]


def test_unknown_shape_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown shape"):
        shapes.rasterise("blob", 10.0, 10.0, 5.0, 0.0, 50, 50)
