"""Shown coordinates: the norm1 fast path gives what the general formatting and parsing give."""

from __future__ import annotations

import random

import numpy as np
import pytest

from tests.conftest import make_scene
from veriscene.answers.coords import format_box, format_point, to_pixels
from veriscene.generators.regions import box_text, point_text, shown_box, shown_point


def _general_box(scene, box, box_format):  # the steps shown_box took before its norm1 path
    size = (scene.width, scene.height)
    text = format_box(box, size, box_format)
    return text, [round(v, 2) for v in to_pixels([float(v) for v in text.strip("[]").split(",")], box_format, size)]


def _general_point(scene, p, box_format):
    size = (scene.width, scene.height)
    text = format_point(p, size, box_format)
    x, y = to_pixels([float(v) for v in text.strip("[]").split(",")], box_format, size)
    return text, [round(min(x, scene.width - 0.01), 2), round(min(y, scene.height - 0.01), 2)]


def _value(r: random.Random, side: int) -> float:
    kind = r.random()
    if kind < 0.1:
        return r.choice([0.0, -0.0, float(side), side - 0.005, side + 3.0, -2.5, side / 2])
    if kind < 0.5:  # on the grid of shown points, as the point sampler draws them
        return r.randrange(0, 1001) * side / 1000
    return r.uniform(-5, side + 5)


@pytest.mark.parametrize("size", [(200, 100), (640, 480), (1024, 768), (333, 999), (1, 1), (4000, 3)])
def test_norm1_fast_path_matches_the_general_steps(size: tuple[int, int]) -> None:
    w, h = size
    scene = make_scene([{"name": "a", "box": [0, 0, 1, 1]}], width=w, height=h)
    r = random.Random(w * 7919 + h)
    for _ in range(3000):
        p = [_value(r, w), _value(r, h)]
        assert shown_point(scene, p, "norm1") == _general_point(scene, p, "norm1")
        box = [_value(r, w), _value(r, h), _value(r, w), _value(r, h)]  # corners in any order
        assert shown_box(scene, box, "norm1") == _general_box(scene, box, "norm1")


@pytest.mark.parametrize("size", [(200, 100), (640, 480), (1024, 768), (333, 999), (1, 1), (4000, 3)])
def test_option_texts_are_format_box_and_format_point(size: tuple[int, int]) -> None:
    # box_text / point_text: the options of grounding and point questions, written in norm1 by
    # the steps of shown_box; in any format the text format_box / format_point give
    w, h = size
    scene = make_scene([{"name": "a", "box": [0, 0, 1, 1]}], width=w, height=h)
    r = random.Random(w * 31 + h)
    specials = [float("inf"), float("-inf"), float("nan"), 1e300, -1e300]
    for _ in range(3000):
        box = [_value(r, w), _value(r, h), _value(r, w), _value(r, h)]  # corners in any order
        for fmt in ("norm1", "norm1000", "pixel"):
            assert box_text(scene, box, fmt) == format_box(box, (w, h), fmt)
            assert point_text(scene, box[:2], fmt) == format_point(box[:2], (w, h), fmt)
        odd = [r.choice(specials), *box[1:]]  # past the image or no number: clipped alike
        assert box_text(scene, odd, "norm1") == format_box(odd, (w, h), "norm1")
        assert point_text(scene, odd[:2], "norm1") == format_point(odd[:2], (w, h), "norm1")
    with pytest.raises(ValueError, match="4 coordinates"):
        box_text(scene, [1, 2], "norm1")
    with pytest.raises(ValueError, match="2 coordinates"):
        point_text(scene, [1, 2, 3], "norm1")


def test_other_formats_and_bad_lengths_take_the_general_path() -> None:
    scene = make_scene([{"name": "a", "box": [0, 0, 1, 1]}], width=640, height=480)
    assert shown_box(scene, [10.4, 20, 300.6, 479.9], "pixel") == _general_box(scene, [10.4, 20, 300.6, 479.9], "pixel")
    assert shown_point(scene, [639.9, 0.2], "norm1000") == _general_point(scene, [639.9, 0.2], "norm1000")
    with pytest.raises(ValueError, match="4 coordinates"):
        shown_box(scene, [1, 2], "norm1")
    with pytest.raises(ValueError, match="2 coordinates"):
        shown_point(scene, [1, 2, 3, 4], "norm1")


@pytest.mark.parametrize("size", [(200, 100), (640, 480), (1024, 768), (333, 999), (1, 1), (4000, 3)])
def test_shown_boxes_at_once_match_shown_box(size: tuple[int, int]) -> None:
    from veriscene.generators.regions import shown_boxes_norm1

    w, h = size
    scene = make_scene([{"name": "a", "box": [0, 0, 1, 1]}], width=w, height=h)
    r = random.Random(w * 31 + h)
    boxes = [[_value(r, w), _value(r, h), _value(r, w), _value(r, h)] for _ in range(3000)]
    # values a rounding error away from a half-unit (0.0005) of the side, where numpy's own rounding errs
    boxes += [[(k + 0.5) * w / 1000 + d, (k + 0.5) * h / 1000, w * 0.125, h * 0.375]
              for k in range(1000) for d in (0.0, 1e-12, -1e-12)]
    got = shown_boxes_norm1(scene, np.array(boxes)).tolist()
    assert got == [shown_box(scene, box, "norm1")[1] for box in boxes]


@pytest.mark.parametrize("decimals", [2, 3])
def test_round_is_pythons_round(decimals: int) -> None:
    from veriscene.generators.regions import _round

    r = random.Random(2)
    values = [k / 10000 for k in range(-30000, 30000)] + [r.uniform(0, 5000) for _ in range(5000)]
    values += [k / 10**decimals + 0.5 / 10**decimals for k in range(2000)]
    values += [0.125, 0.375, 2.675, 1.005, 0.0005, 0.1235, 0.0, -0.0]
    assert _round(np.array(values), decimals).tolist() == [round(v, decimals) for v in values]


def test_norm1_shows_three_decimals() -> None:
    scene = make_scene([{"name": "a", "box": [0, 0, 1, 1]}], width=640, height=480)
    text, back = shown_box(scene, [10.4, 20.0, 300.6, 479.9], "norm1")
    assert text == "[0.016, 0.042, 0.470, 1.000]"
    assert back == [10.24, 20.16, 300.8, 480.0]
    text, p = shown_point(scene, [639.9, 0.2], "norm1")
    assert text == "[1.000, 0.000]"
    assert p == [639.99, 0.0]


def test_rounded_boxes_are_pythons_round_of_each_coordinate() -> None:
    from veriscene.generators.regions import rounded_boxes

    r = random.Random(4)
    boxes = [[0.0, 0.125, 2.675, 1.005]] + [sorted(r.uniform(0, 5000) for _ in range(2)) * 2 for _ in range(300)]
    scene = make_scene([{"name": "a", "box": [b[0], b[1], b[2] + 1, b[3] + 1]} for b in boxes], width=6000, height=6000)
    assert rounded_boxes(scene) == [[round(v, 2) for v in box] for box in scene.boxes.tolist()]


@pytest.mark.parametrize("side", [415, 1000, 1333, 4000])
def test_grid_points_are_the_shown_grid_on_the_crop_in_row_major_order(side: int) -> None:
    """_GridPoints reads as the list of every grid point (k * step pixels, on the crop's pixels)
    whose pixel the crop holds, row by row: each point as that list holds it."""
    from veriscene.generators.regions import _GridPoints, _ShownAxis

    r, rng = random.Random(side), np.random.default_rng(side)
    step = side / 1000
    for _ in range(40):
        w, h = r.randrange(1, 41), r.randrange(1, 41)
        x0, y0 = r.randrange(0, side - w + 1), r.randrange(0, side - h + 1)
        crop = rng.random((h, w)) < r.random()
        xs = [k * step for k in range(1002) if x0 <= int(k * step) < x0 + w]  # the grid: 0.001 of the side
        ys = [k * step for k in range(1002) if y0 <= int(k * step) < y0 + h]
        every = [[x, y] for y in ys for x in xs if crop[int(y) - y0, int(x) - x0]]
        points = _GridPoints(x0, y0, crop, _ShownAxis(step, side), _ShownAxis(step, side))
        assert len(points) == len(every)
        assert [points[k] for k in range(len(every))] == every


@pytest.mark.parametrize("side", [415, 1000, 1333])
def test_shown_axis_gives_the_grid_on_any_window(side: int) -> None:
    """_ShownAxis.on(lo, n): the first k and the pixels (less lo) of the coordinates k * step on
    pixels lo .. lo+n-1, for windows inside the side and past its end (read without the table)."""
    from veriscene.generators.regions import _ShownAxis

    step = side / 1000
    axis = _ShownAxis(step, side)
    r = random.Random(side)
    for lo, n in [(0, 0), (0, side), (side - 3, 3), (side - 2, 9), (side + 4, 5)] + [
            (r.randrange(0, side), r.randrange(0, 60)) for _ in range(200)]:
        ks = [k for k in range(int((lo + n) / step) + 3) if lo <= int(k * step) < lo + n]
        first, offsets = axis.on(lo, n)
        assert offsets.tolist() == [int(k * step) - lo for k in ks]
        if ks:
            assert first == ks[0]


@pytest.mark.parametrize("r", [0, 1, 4])
def test_eroded_is_the_square_erosion_of_the_mask_inside_its_edge(r: int) -> None:
    """_eroded holds, from row and column r on, the pixels whose (2r+1)^2 neighbourhood lies
    wholly in the mask (pixels beyond the array count as outside); none when the mask is too
    small for a pixel to be r from its edge."""
    from veriscene.generators.regions import _eroded

    rng = np.random.default_rng(r)
    for _ in range(60):
        h, w = (int(v) for v in rng.integers(1, 25, 2))
        mask = rng.random((h, w)) < rng.random() ** 0.3
        expected = [[bool(mask[y - r : y + r + 1, x - r : x + r + 1].all()) for x in range(r, w - r)]
                    for y in range(r, h - r)]
        got = _eroded(mask, r)
        if h <= 2 * r or w <= 2 * r:
            assert got.shape == (0, 0)
        else:
            assert got.tolist() == expected


def _plain_clear_regions(scene, regions, max_other_iou=0.3, max_inside=0.5):  # the whole (N, N) table at once
    from veriscene.scene.geometry import box_area, box_intersection_area, iou_of

    inter = box_intersection_area(scene.boxes, regions)
    areas = box_area(scene.boxes)
    ious = iou_of(inter, areas, box_area(regions))
    inside = inter / np.maximum(areas, 1e-9)[:, None]
    others = ~np.eye(len(scene), dtype=bool)
    ambiguous = (others & ((ious >= max_other_iou) | (inside >= max_inside))).any(axis=0)
    return (np.diagonal(ious) >= 0.5) & ~ambiguous


@pytest.mark.parametrize("n", [1, 5, 255, 256, 257, 700])
def test_clear_regions_in_blocks_match_the_whole_table(n: int) -> None:
    """`clear_regions_mask` works a block of regions at a time on dense scenes: the same answer
    as the whole table, over block edges, with regions shifted off their boxes."""
    from veriscene.generators.regions import clear_regions_mask

    r = np.random.default_rng(n)
    x0, y0 = r.uniform(0, 900, n), r.uniform(0, 700, n)
    boxes = np.stack([x0, y0, np.minimum(x0 + r.uniform(1, 150, n), 1000), np.minimum(y0 + r.uniform(1, 150, n), 800)], 1)
    scene = make_scene([{"name": "a", "box": b} for b in boxes.tolist()], width=1000, height=800)
    regions = scene.boxes.astype(np.float64) + r.choice([0.0, 0.0, 3.0, 40.0], size=(n, 1))
    expected = _plain_clear_regions(scene, regions)
    found = clear_regions_mask(scene, regions)
    assert found.dtype == bool and found.shape == (n,)
    assert np.array_equal(found, expected)
    if n > 200:
        assert 0 < found.sum() < n  # both kinds occur


@pytest.mark.parametrize(("max_other_iou", "max_inside"), [(0.3, 0.5), (0.0, 0.5), (0.3, 0.0), (0.05, 0.1)])
@pytest.mark.parametrize("layout", ["clusters", "grid", "huge"])
def test_clear_regions_of_nearby_blocks_match_the_whole_table(layout: str, max_other_iou: float,
                                                               max_inside: float) -> None:
    """Regions tested against the objects near their block alone (`nearby_blocks`) give the
    whole table's answer on layouts far from uniform: clusters far apart, a grid of small boxes
    with touching edges, a few boxes over the whole image; thresholds of 0 count every object."""
    from veriscene.generators.regions import clear_regions_mask

    r = np.random.default_rng(7)
    n = 600
    if layout == "grid":
        k = np.arange(n)
        x0, y0 = (k % 40) * 20.0, (k // 40) * 20.0
        boxes = np.stack([x0, y0, x0 + r.choice([18.0, 20.0, 26.0], n), y0 + 20.0], 1)
    else:
        centre = r.choice([100.0, 500.0, 900.0], size=(n, 2)) * [1.0, 0.7]
        x0, y0 = centre[:, 0] + r.uniform(-60, 60, n), centre[:, 1] + r.uniform(-60, 60, n)
        side = r.uniform(2, 40, n)
        if layout == "huge":
            side[::100] = 2000.0
        boxes = np.stack([x0, y0, x0 + side, y0 + side], 1)
    boxes = np.minimum(boxes, [1000, 800, 1000, 800])
    scene = make_scene([{"name": "a", "box": b} for b in boxes.tolist()], width=1000, height=800)
    regions = scene.boxes.astype(np.float64) + r.choice([0.0, 0.0, 2.0, 15.0], size=(n, 1))
    expected = _plain_clear_regions(scene, regions, max_other_iou, max_inside)
    assert np.array_equal(clear_regions_mask(scene, regions, max_other_iou, max_inside), expected)
    if (max_other_iou, max_inside) == (0.3, 0.5):
        assert 0 < expected.sum() < n  # both kinds occur
