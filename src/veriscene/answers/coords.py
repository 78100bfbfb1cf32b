"""Coordinate conventions for boxes and points in questions and replies, in one place.

Internally (scene graphs, gold answers) boxes are ``[x0, y0, x1, y1]`` and points ``[x, y]`` in
absolute pixels of the image, x to the right, y down, x0 <= x1, y0 <= y1, 0 <= x <= width,
0 <= y <= height. A question shows them to the model in one of three conventions, named by the
sample's ``meta["box_format"]``:

    "norm1"     fractions of width / height in [0, 1], rendered with three decimals
                ``[0.124, 0.301, 0.552, 0.800]``  (the default)
    "norm1000"  integers in [0, 1000] of width / height (Qwen2-VL style) ``[120, 300, 550, 800]``
    "pixel"     integer absolute pixels ``[77, 144, 352, 384]``

Generators render with `format_box` / `format_point`; answer parsing converts back with
`to_pixels`. Rendering always orders the corners and clips to the image, so a rendered box read
back gives the same box up to rounding. norm1's three decimals step 0.001 of the image side, as
norm1000's integers: a box rendered in either is at most 0.0005 of the side off per coordinate
(two decimals, before, were up to 0.005 off: the rendered target of a box under 2% of the image
scored IoU down to 0.4; `benchmarks/box_precision.py`). Replies are read at any precision.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import cycle

import numpy as np

from veriscene.scene.geometry import box_iou as _box_iou_matrix

BOX_FORMATS = ("norm1", "norm1000", "pixel")
DEFAULT_BOX_FORMAT = "norm1"
NORM1_DECIMALS = 3  # decimals of a rendered norm1 value (0.001 of the side, as norm1000)

_ALIASES = {
    "norm1": "norm1", "norm": "norm1", "normalized": "norm1", "normalised": "norm1",
    "relative": "norm1", "rel": "norm1", "0-1": "norm1",
    "norm1000": "norm1000", "1000": "norm1000", "0-1000": "norm1000", "qwen": "norm1000",
    "pixel": "pixel", "pixels": "pixel", "px": "pixel", "abs": "pixel", "absolute": "pixel",
}
# Slack when deciding whether values fit a convention (models round, e.g. 1.003 or 1001).
_NORM1_SLACK = 0.01
_NORM1000_SLACK = 10.0
_PIXEL_SLACK = 0.01  # fraction of the image side


def parse_box_format(name: str | None) -> str:
    """Canonical convention name for `name` (aliases like "pixels", "normalized"); None -> "norm1"."""
    if name is None:
        return DEFAULT_BOX_FORMAT
    if isinstance(name, str) and name in _ALIASES:  # already lower-case and stripped
        return _ALIASES[name]
    key = str(name).strip().lower()
    if key not in _ALIASES:
        raise ValueError(f"unknown box_format {name!r}; expected one of {list(BOX_FORMATS)}")
    return _ALIASES[key]


def check_image_size(image_size: Sequence[int] | None, box_format: str = "pixel") -> tuple[int, int] | None:
    """Validate ``image_size = (width, height)``; it is required for the normalised conventions."""
    if image_size is None:
        if box_format != "pixel":
            raise ValueError(f"box_format {box_format!r} needs image_size (width, height), got None")
        return None
    if len(image_size) != 2:
        raise ValueError(f"image_size must be (width, height), got {image_size!r}")
    w, h = image_size
    w, h = round(float(w)), round(float(h))
    if w <= 0 or h <= 0:
        raise ValueError(f"image_size must be positive (width, height), got {image_size!r}")
    return w, h


def _scale(box_format: str, image_size: tuple[int, int] | None) -> tuple[float, float]:
    """Pixels per convention unit along x and y."""
    if box_format == "pixel":
        return 1.0, 1.0
    assert image_size is not None  # checked by check_image_size
    w, h = image_size
    if box_format == "norm1":
        return float(w), float(h)
    return w / 1000.0, h / 1000.0


def order_box(box: Sequence[float]) -> list[float]:
    """Reorder corners so that x0 <= x1 and y0 <= y1 (models sometimes invert them)."""
    x0, y0, x1, y1 = box
    x0, y0, x1, y1 = float(x0), float(y0), float(x1), float(y1)
    # min(x0, x1), ..., max(y0, y1) written out as the builtins compare (min(x, y): y if y < x
    # else x; no call of them: every box shown is ordered)
    return [x1 if x1 < x0 else x0, y1 if y1 < y0 else y0, x1 if x1 > x0 else x0, y1 if y1 > y0 else y0]


def clip_pixels(values: Sequence[float], image_size: tuple[int, int] | None) -> list[float]:
    """Clip a pixel box (4 values) or point (2 values) inside [0, width] x [0, height]."""
    if image_size is None:
        return [max(float(v), 0.0) for v in values]
    w, h = image_size
    out: list[float] = []
    for v, bound in zip(values, cycle((float(w), float(h)))):
        # min(max(v, 0.0), bound), written out as the builtins compare (min(x, y): y if y < x
        # else x; no calls of them: every box and point shown is clipped)
        v = float(v)
        v = 0.0 if 0.0 > v else v
        out.append(bound if bound < v else v)
    return out


def to_pixels(values: Sequence[float], box_format: str, image_size: Sequence[int] | None) -> list[float]:
    """Box (4 values) or point (2 values) in `box_format` -> absolute pixels, ordered and clipped."""
    fmt = parse_box_format(box_format)
    size = check_image_size(image_size, fmt)
    if len(values) not in (2, 4):
        raise ValueError(f"expected 2 (point) or 4 (box) coordinates, got {len(values)}")
    pixels = [float(v) * s for v, s in zip(values, cycle(_scale(fmt, size)))]
    if len(pixels) == 4:
        pixels = order_box(pixels)
    return clip_pixels(pixels, size)


def from_pixels(values: Sequence[float], box_format: str, image_size: Sequence[int] | None) -> list[float] | list[int]:
    """Pixels -> `box_format` values as rendered: norm1 rounded to `NORM1_DECIMALS`, others to integers."""
    fmt = parse_box_format(box_format)
    return _from_pixels(values, fmt, check_image_size(image_size, fmt))


def _from_pixels(values: Sequence[float], fmt: str, size: tuple[int, int] | None) -> list[float] | list[int]:
    """`from_pixels` for a canonical `fmt` and a checked `size`."""
    pixels = clip_pixels(order_box(values) if len(values) == 4 else values, size)
    scale = cycle(_scale(fmt, size))
    if fmt == "norm1":
        shown: list[float] = []
        for v, s in zip(pixels, scale):  # min(max(round(v / s, NORM1_DECIMALS), 0.0), 1.0), as `clip_pixels`
            v = round(v / s, NORM1_DECIMALS)
            v = 0.0 if 0.0 > v else v
            shown.append(1.0 if 1.0 < v else v)
        return shown
    scaled = [v / s for v, s in zip(pixels, scale)]
    upper = (1000, 1000) if fmt == "norm1000" else size if size else (None, None)
    out: list[int] = []
    for v, bound in zip(scaled, cycle(upper)):
        r = max(round(v), 0)
        out.append(r if bound is None else min(r, bound))
    return out


def _render(values: Sequence[float] | Sequence[int], box_format: str) -> str:
    if box_format == "norm1":
        return "[" + ", ".join([f"{v:.{NORM1_DECIMALS}f}" for v in values]) + "]"
    return "[" + ", ".join([str(int(v)) for v in values]) + "]"


def format_box(box_pixels: Sequence[float], image_size: Sequence[int] | None,
               box_format: str = DEFAULT_BOX_FORMAT) -> str:
    """Render a pixel box for a question: ``"[0.124, 0.301, 0.552, 0.800]"`` (norm1), integers otherwise."""
    if len(box_pixels) != 4:
        raise ValueError(f"a box has 4 coordinates [x0, y0, x1, y1], got {list(box_pixels)!r}")
    fmt = parse_box_format(box_format)
    return _render(_from_pixels(box_pixels, fmt, check_image_size(image_size, fmt)), fmt)


def format_point(point_pixels: Sequence[float], image_size: Sequence[int] | None,
                 box_format: str = DEFAULT_BOX_FORMAT) -> str:
    """Render a pixel point for a question: ``"[0.124, 0.301]"`` (norm1), integers otherwise."""
    if len(point_pixels) != 2:
        raise ValueError(f"a point has 2 coordinates [x, y], got {list(point_pixels)!r}")
    fmt = parse_box_format(box_format)
    return _render(_from_pixels(point_pixels, fmt, check_image_size(image_size, fmt)), fmt)


def fits_format(values: Sequence[float], box_format: str, image_size: tuple[int, int] | None) -> bool:
    """Whether `values` are plausible in `box_format` (range checks with a little slack).

    All values <= 1 with a fraction among them are implausible as pixels or norm1000 (a box
    smaller than one unit); values above 1 are impossible in norm1.
    """
    if any(v < 0 and abs(v) > _NORM1000_SLACK for v in values):
        return False
    small_fractional = all(abs(v) <= 1.0 + _NORM1_SLACK for v in values) and any(
        float(v) != int(v) for v in values)
    if box_format == "norm1":
        return all(-_NORM1_SLACK <= v <= 1.0 + _NORM1_SLACK for v in values)
    if box_format == "norm1000":
        return not small_fractional and all(-_NORM1000_SLACK <= v <= 1000 + _NORM1000_SLACK for v in values)
    if small_fractional:
        return False
    if image_size is None:
        return all(v >= 0 for v in values)
    w, h = image_size
    return all(
        -_PIXEL_SLACK * side <= v <= (1 + _PIXEL_SLACK) * side
        for v, side in zip(values, [w, h] * (len(values) // 2))
    )


def resolve_format(values: Sequence[float], stated: str, image_size: tuple[int, int] | None,
                   auto_detect: bool = True, prefer: str | None = None) -> str | None:
    """The convention to read `values` in: the stated one when the values fit it; otherwise, with
    `auto_detect`, the only other convention they fit, or `prefer` among several (the reply's
    own convention: Qwen2.5-VL's "bbox_2d" is in pixels); None when none (or several) fit."""
    if fits_format(values, stated, image_size):
        return stated
    if not auto_detect:
        return None
    fitting = [f for f in BOX_FORMATS if f != stated and (f == "pixel" or image_size is not None)
               and fits_format(values, f, image_size)]
    if len(fitting) > 1 and prefer in fitting:
        return prefer
    return fitting[0] if len(fitting) == 1 else None


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two xyxy boxes in the same units; 0 when both have zero area."""
    return float(_box_iou_matrix(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))[0, 0])


def point_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """Euclidean distance of two points in the same units."""
    return float(np.hypot(float(a[0]) - float(b[0]), float(a[1]) - float(b[1])))


def image_diagonal(image_size: tuple[int, int]) -> float:
    return float(np.hypot(*image_size))
