"""Boxes and points in replies, in the three coordinate conventions, plus property tests."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriscene.answers import format_box, format_point, match_answer, parse_answer
from veriscene.answers.coords import box_iou

SIZE = (640, 480)
GOLD = [64.0, 96.0, 320.0, 288.0]  # pixels; norm1 [0.1, 0.2, 0.5, 0.6]; norm1000 [100, 200, 500, 600]
VALUES = {"norm1": ["0.1", "0.2", "0.5", "0.6"], "norm1000": ["100", "200", "500", "600"],
          "pixel": ["64", "96", "320", "288"]}
BOX_TEMPLATES = [
    "[{0}, {1}, {2}, {3}]", "[{0},{1},{2},{3}]", "({0}, {1}, {2}, {3})", "({0}, {1}), ({2}, {3})",
    "[{0}, {1}], [{2}, {3}]", "<box>{0} {1} {2} {3}</box>", "<box>({0},{1}),({2},{3})</box>",
    "<|box_start|>({0},{1}),({2},{3})<|box_end|>", "{0}, {1}, {2}, {3}", "The box is [{0}, {1}, {2}, {3}].",
    '{{"bbox_2d": [{0}, {1}, {2}, {3}], "label": "dog"}}', "x1={0}, y1={1}, x2={2}, y2={3}",
    '{{"xmin": {0}, "ymin": {1}, "xmax": {2}, "ymax": {3}}}', "[{2}, {3}, {0}, {1}]", "[{2}, {1}, {0}, {3}]",
    "The dog is at [{0}, {1}, {2}, {3}] in the image.", "from ({0}, {1}) to ({2}, {3})",
]
WRAP = ["{x}", "Answer: {x}", "<answer>{x}</answer>", "<think>maybe [1, 2, 3, 4]</think>{x}",
        "The answer is {x}."]
BOX_VARIANTS = [(w.format(x=t.format(*VALUES[fmt])), fmt) for fmt in VALUES for t in BOX_TEMPLATES for w in WRAP]


@pytest.mark.parametrize(("reply", "box_format"), BOX_VARIANTS)
def test_box_variants(reply: str, box_format: str) -> None:
    res = match_answer(reply, GOLD, "box", box_format=box_format, image_size=SIZE)
    assert not res.parse_failed, res.reason
    assert res.score == pytest.approx(1.0) and res.correct
    assert res.parsed == pytest.approx(GOLD)


@pytest.mark.parametrize(("reply", "stated", "parsed"), [
    ("[0.1, 0.2, 0.5, 0.6]", "pixel", GOLD),              # 0-1 floats when pixels were asked
    ("[100, 200, 500, 600]", "norm1", GOLD),              # y=600 > 480 rules out pixels
    ("[64, 96, 320, 288]", "norm1000", [40.96, 46.08, 204.8, 138.24]),  # stated convention wins
    ("[-3, -2, 645, 484]", "pixel", [0.0, 0.0, 640.0, 480.0]),          # slight overshoot clipped
    ("[-5, -5, 700, 500]", "pixel", [0.0, 0.0, 448.0, 240.0]),          # far outside: norm1000
    ("[0.5, 0.6, 0.1, 0.2]", "norm1", GOLD),              # inverted corners reordered
])
def test_box_conventions(reply: str, stated: str, parsed: list[float]) -> None:
    res = parse_answer(reply, "box", box_format=stated, image_size=SIZE)
    assert res.ok, res.reason
    assert res.value == pytest.approx(parsed)


@pytest.mark.parametrize(("reply", "reason", "kw"), [
    ("[64, 96, 320, 288]", "do not fit", {}),  # norm1 stated; pixel or norm1000: ambiguous
    ("[0.1, 0.2, 0.5, 0.6]", "do not fit", {"auto_detect_box_format": False, "box_format": "pixel"}),
    ("[1, 2, 3, 4] or [5, 6, 7, 8]", "several different boxes", {"box_format": "pixel"}),
    ("I cannot find it.", "no box", {}), ("[0.1, 0.2]", "no box", {}),
])
def test_box_failures(reply: str, reason: str, kw: dict) -> None:
    res = parse_answer(reply, "box", image_size=SIZE, **{"box_format": "norm1", **kw})
    assert not res.ok and reason in (res.reason or "")


def test_box_score_is_iou() -> None:
    res = match_answer("[0.1, 0.2, 0.3, 0.6]", GOLD, "box", image_size=SIZE)
    assert res.score == pytest.approx(0.5) and res.correct
    assert not match_answer("[0.1, 0.2, 0.3, 0.6]", GOLD, "box", image_size=SIZE, iou_threshold=0.7).correct
    assert match_answer("[0.6, 0.7, 0.9, 0.9]", GOLD, "box", image_size=SIZE).score == 0.0


def test_norm_needs_image_size() -> None:
    with pytest.raises(ValueError, match="image_size"):
        parse_answer("[0.1, 0.2, 0.3, 0.4]", "box")
    assert parse_answer("[1, 2, 3, 4]", "box", box_format="pixel").value == [1, 2, 3, 4]


POINT_TEMPLATES = ["[{0}, {1}]", "({0}, {1})", "<point>{0}, {1}</point>", '<point x="{0}" y="{1}" alt="dog">dog</point>',
                   "x={0}, y={1}", "{0}, {1}", "The point is ({0}, {1}).", "[{0},{1}]"]
POINT_VALUES = {"norm1": ["0.5", "0.25"], "norm1000": ["500", "250"], "pixel": ["320", "120"]}
POINT_VARIANTS = [(w.format(x=t.format(*POINT_VALUES[f])), f) for f in POINT_VALUES for t in POINT_TEMPLATES for w in WRAP]


@pytest.mark.parametrize(("reply", "box_format"), POINT_VARIANTS)
def test_point_variants(reply: str, box_format: str) -> None:
    res = match_answer(reply, [320, 120], "point", box_format=box_format, image_size=SIZE)
    assert res.correct and res.score == 1.0, res.reason
    assert res.parsed == pytest.approx([320, 120])


def test_point_tolerance_and_failures() -> None:
    # diagonal 800 px: 5% = 40 px
    assert match_answer("[350, 120]", [320, 120], "point", box_format="pixel", image_size=SIZE).correct
    assert not match_answer("[370, 120]", [320, 120], "point", box_format="pixel", image_size=SIZE).correct
    assert match_answer("[370, 120]", [320, 120], "point", box_format="pixel", image_size=SIZE,
                        point_tolerance=0.1).correct
    res = match_answer("[1, 2, 3, 4]", [320, 120], "point", box_format="pixel", image_size=SIZE)
    assert res.parse_failed and "box" in (res.reason or "")
    assert match_answer("(1, 2) or (30, 40)", [1, 2], "point", box_format="pixel", image_size=SIZE).parse_failed


# --- properties ---------------------------------------------------------------------------

sizes = st.tuples(st.integers(200, 4000), st.integers(200, 4000))


@st.composite
def boxes_in_image(draw: st.DrawFn) -> tuple[tuple[int, int], list[float]]:
    w, h = draw(sizes)
    fx = sorted(draw(st.lists(st.floats(0, 1), min_size=2, max_size=2)))
    fy = sorted(draw(st.lists(st.floats(0, 1), min_size=2, max_size=2)))
    # at least 20% of each side, so the two-decimal norm1 rounding stays small against the box
    x0, x1 = fx[0] * 0.8 * w, fx[0] * 0.8 * w + max(fx[1] - fx[0], 0.2) * 0.2 * w + 0.2 * w
    y0, y1 = fy[0] * 0.8 * h, fy[0] * 0.8 * h + max(fy[1] - fy[0], 0.2) * 0.2 * h + 0.2 * h
    return (w, h), [x0, y0, min(x1, w), min(y1, h)]


@settings(max_examples=150, deadline=None)
@given(boxes_in_image(), st.sampled_from(["norm1", "norm1000", "pixel"]), st.sampled_from(WRAP))
def test_box_round_trip(data: tuple[tuple[int, int], list[float]], box_format: str, wrapper: str) -> None:
    size, box = data
    reply = wrapper.format(x=format_box(box, size, box_format))
    res = match_answer(reply, box, "box", box_format=box_format, image_size=size, auto_detect_box_format=False)
    assert not res.parse_failed, res.reason
    assert res.score >= (0.9 if box_format == "norm1" else 0.95)
    # rendering what was parsed gives the same text: rendering is idempotent
    assert format_box(res.parsed, size, box_format) == format_box(box, size, box_format)


@settings(max_examples=150, deadline=None)
@given(sizes, st.lists(st.floats(-0.5, 1.5, allow_nan=False), min_size=4, max_size=4),
       st.sampled_from(["norm1", "norm1000", "pixel"]))
def test_format_box_orders_and_clips(size: tuple[int, int], fractions: list[float], box_format: str) -> None:
    w, h = size
    box = [fractions[0] * w, fractions[1] * h, fractions[2] * w, fractions[3] * h]
    values = [float(v) for v in format_box(box, size, box_format).strip("[]").split(",")]
    upper = {"norm1": (1, 1), "norm1000": (1000, 1000), "pixel": (w, h)}[box_format]
    assert values[0] <= values[2] and values[1] <= values[3]
    assert all(0 <= v <= upper[i % 2] for i, v in enumerate(values))


@settings(max_examples=100, deadline=None)
@given(sizes, st.floats(0, 1), st.floats(0, 1), st.sampled_from(["norm1", "norm1000", "pixel"]))
def test_point_round_trip(size: tuple[int, int], fx: float, fy: float, box_format: str) -> None:
    point = [fx * size[0], fy * size[1]]
    res = match_answer(format_point(point, size, box_format), point, "point", box_format=box_format,
                       image_size=size, auto_detect_box_format=False)
    assert res.correct, res.reason


def test_box_iou_basics() -> None:
    rng = random.Random(0)
    for _ in range(50):
        x0, y0 = rng.uniform(0, 100), rng.uniform(0, 100)
        b = [x0, y0, x0 + rng.uniform(1, 50), y0 + rng.uniform(1, 50)]
        assert box_iou(b, b) == pytest.approx(1.0)
    assert box_iou([0, 0, 0, 0], [0, 0, 0, 0]) == 0.0
