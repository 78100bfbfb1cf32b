"""Box geometry on xyxy float arrays (absolute pixels). Pure numpy functions, no scene state."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def box_area(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) xyxy -> (N,) areas in square pixels."""
    boxes = np.asarray(boxes, dtype=np.float64)
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def box_center(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) xyxy -> (N, 2) centres (x, y)."""
    boxes = np.asarray(boxes, dtype=np.float64)
    return np.stack([(boxes[..., 0] + boxes[..., 2]) / 2, (boxes[..., 1] + boxes[..., 3]) / 2], axis=-1)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU: (N, 4) x (M, 4) -> (N, M). Boxes of zero area give IoU 0."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    return iou_of(box_intersection_area(a, b), box_area(a), box_area(b))


def iou_of(inter: np.ndarray, area_a: np.ndarray, area_b: np.ndarray) -> np.ndarray:
    """`box_iou` from pairwise intersection areas (N, M) and each side's areas (N,) and (M,),
    for callers that need the intersections too."""
    union = area_a[:, None] + area_b[None, :] - inter
    positive = union > 0
    return np.where(positive, inter / np.where(positive, union, 1), 0.0)


def box_intersection_area(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection areas: (N, 4) x (M, 4) -> (N, M)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.maximum(rb - lt, 0)  # what np.clip(rb - lt, 0, None) computes, without its dispatch
    return wh[..., 0] * wh[..., 1]


def pair_intersection_area(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection areas of row-aligned pairs: (K, 4) x (K, 4) -> (K,), row k of `a` with row k
    of `b` (the arithmetic of `box_intersection_area`, for chosen pairs instead of all of them)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    wh = np.maximum(np.minimum(a[:, 2:], b[:, 2:]) - np.maximum(a[:, :2], b[:, :2]), 0)
    return wh[:, 0] * wh[:, 1]


def normalise_box(box: np.ndarray, width: int, height: int) -> np.ndarray:
    """xyxy pixels -> xyxy in [0, 1] of the image size."""
    return np.asarray(box, dtype=np.float64) / np.array([width, height, width, height], dtype=np.float64)


def denormalise_box(box: np.ndarray, width: int, height: int) -> np.ndarray:
    """xyxy in [0, 1] -> xyxy pixels."""
    return np.asarray(box, dtype=np.float64) * np.array([width, height, width, height], dtype=np.float64)


# ---- generous readings of spatial predicates ----------------------------------------------------
# Whether a viewer might say "a <predicate> b" of two boxes (xyxy, y down): a lies mostly left of
# b for "left of" (its right edge at most `slack` of the narrower width past b's left edge), and
# likewise for the other directions; "near": the boxes' gap is at most `near_frac` of the image's
# longer side; `may_read` also reads a box shifted a direction's way. A reading that fails rules the
# predicate out; one that holds only allows it.

# predicate -> (low, high) box coordinates along its axis, and whether b comes first on it
DIRECTIONS = {"left of": (0, 2, False), "right of": (0, 2, True), "above": (1, 3, False), "below": (1, 3, True)}
READING_SLACK = 0.25  # directional: overlap along the axis allowed, share of the narrower side
NEAR_FRACTION = 0.08  # "near": gap <= this * longer image side
READABLE = (*DIRECTIONS, "near")  # the predicates with a geometric reading


def could_read(a: Sequence[float], b: Sequence[float], predicate: str, longer_side: float,
               slack: float = READING_SLACK, near_fraction: float = NEAR_FRACTION) -> bool:
    """Whether a viewer might say "a <predicate> b" of boxes a and b, for a `READABLE` predicate
    (`longer_side`: the image's longer side, for "near")."""
    direction = DIRECTIONS.get(predicate)
    if direction is not None:
        lo, hi, flip = direction
        side = min(a[hi] - a[lo], b[hi] - b[lo])
        first, second = (b, a) if flip else (a, b)
        return first[hi] <= second[lo] + slack * side
    if predicate != "near":
        raise ValueError(f"{predicate!r} has no geometric reading (see READABLE)")
    # max(b[0] - a[2], a[0] - b[2], 0.0), ... written out as the builtin compares (max(x, y): y
    # if y > x else x; no calls: "near" is read of most pairs asked)
    gx, other = b[0] - a[2], a[0] - b[2]
    gx = other if other > gx else gx
    gx = 0.0 if 0.0 > gx else gx
    gy, other = b[1] - a[3], a[1] - b[3]
    gy = other if other > gy else gy
    gy = 0.0 if 0.0 > gy else gy
    return math.hypot(gx, gy) <= near_fraction * longer_side


# A box shifted a direction's way from another may be read in that direction where its centre
# lies that way by this share of the narrower side or more (`may_read`; both edges that way too)
SHIFTED = 0.25


def may_read(a: Sequence[float], b: Sequence[float], predicate: str, longer_side: float,
             slack: float = READING_SLACK, near_fraction: float = NEAR_FRACTION) -> bool:
    """Whether a viewer might say "a <predicate> b" of boxes a and b, for a `READABLE` predicate:
    `could_read` (a mostly left of b, near), or for a direction a box shifted that way: both its
    edges further that way and its centre by `SHIFTED` of the narrower side or more (a plant
    overlapping 40% of a mug's width, its centre 35 px left of the mug's). A "no" needs neither;
    a "yes" of a direction needs `could_read` (between them either answer may be disputed)."""
    direction = DIRECTIONS.get(predicate)
    if direction is None:  # "near" (a ValueError for a predicate without a reading)
        return could_read(a, b, predicate, longer_side, slack, near_fraction)
    lo, hi, flip = direction
    first, second = (b, a) if flip else (a, b)
    side, other = a[hi] - a[lo], b[hi] - b[lo]
    side = other if other < side else side  # min(side, other), without a call of the builtin
    # `could_read` of a direction written out (read for most pairs asked), then the shift
    return first[hi] <= second[lo] + slack * side or (
        first[lo] < second[lo] and first[hi] < second[hi]
        and (second[lo] + second[hi]) - (first[lo] + first[hi]) >= 2 * SHIFTED * side)
