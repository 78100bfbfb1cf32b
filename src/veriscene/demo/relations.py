"""Spatial relations of the demo world, from geometry only. Pure numpy functions, no scene state.

Inputs (N objects, pixels, y down, xyxy boxes with x1/y1 exclusive as returned by masks.mask_to_box):
- `boxes` (N, 4): tight boxes of the VISIBLE masks (what `Scene.boxes` holds).
- `shape_boxes` (N, 4): tight boxes of the FULL shapes, occlusion ignored.
- `areas` (N,): full-shape areas (pixels).
- `overlap` (N, N), symmetric: SEEN occlusion, the pixels where the nearer shape of the pair is
  visible on top of the farther one's full shape (an overlap hidden by a third object does not
  count: a reader could not see it).
- `depth` (N,): relative depth, smaller = closer (in the demo: later drawn = closer).

Every predicate is a boolean (N, N) matrix M with M[a, b] = "a <predicate> b"; the diagonal is
False. Thresholds are `RelationThresholds` fields; the rules, exactly:

- left of:  box_a.x1 + margin_px <= box_b.x0  and  |cy_a - cy_b| <= max(h_a, h_b)  (same row).
- right of: the transpose of left of.
- above:    box_a.y1 + margin_px <= box_b.y0  and  |cx_a - cx_b| <= max(w_a, w_b)  (same column).
- below:    the transpose of above.
- in front of: depth_a < depth_b  and  overlap[a, b] >= min_overlap_frac * min(area_a, area_b).
- behind:   the transpose of in front of.
- on top of: a in front of b, area_a <= area_b, a's shape-box centre x lies within b's shape box
  inset by `top_inset` * width_b on each side, and a's shape-box bottom lies in the upper
  `top_band` of b's shape box: b.y0 <= a.y1 <= b.y0 + top_band * h_b. (No converse is emitted.)
- near: the boxes are disjoint with Euclidean gap 1 <= gap <= near_px, where
  gap = hypot(max(gap_x, 0), max(gap_y, 0)) and gap_x = max(b.x0 - a.x1, a.x0 - b.x1).

`ambiguous_pairs` marks configurations a human could read either way (boxes that almost touch in
the same row, a gap just beyond `near_px`, a sliver of overlap); the world sampler rejects them,
so in demo scenes a missing relation of these kinds means it clearly does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Emission order of predicates for one (subject, object) pair.
PREDICATES: tuple[str, ...] = (
    "left of", "right of", "above", "below", "on top of", "in front of", "behind", "near",
)
CONVERSES: dict[str, str] = {
    "left of": "right of", "right of": "left of", "above": "below", "below": "above",
    "in front of": "behind", "behind": "in front of", "near": "near",
}


@dataclass(frozen=True)
class RelationThresholds:
    margin_px: float = 4.0  # min clear gap (pixels) between boxes for left/right/above/below
    overlap_tol: float = 0.25  # boxes overlapping along x (y) by less than this * narrower width
    # (height) while in the same row (column), or gapping less than margin_px, are ambiguous
    near_px: float = 20.0  # max gap (pixels) between disjoint boxes for "near"
    near_dead_zone: float = 1.8  # gaps in (near_px, near_dead_zone * near_px) are ambiguous
    min_overlap_frac: float = 0.10  # full-shape overlap / smaller full area for "in front of"
    top_inset: float = 0.10  # "on top of": a's centre x at least this * width_b inside b's box
    top_band: float = 0.50  # "on top of": a's bottom within the top `top_band` of b's height


def _sizes(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    return w, h, (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2


def _no_diagonal(m: np.ndarray) -> np.ndarray:
    np.fill_diagonal(m, False)
    return m


def axis_gaps(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Signed gaps (N, N) along x and y: > 0 apart by that many pixels, <= 0 overlapping."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    gx = np.maximum(b[None, :, 0] - b[:, None, 2], b[:, None, 0] - b[None, :, 2])
    gy = np.maximum(b[None, :, 1] - b[:, None, 3], b[:, None, 1] - b[None, :, 3])
    return gx, gy


def box_gap(boxes: np.ndarray) -> np.ndarray:
    """(N, N) Euclidean distance between boxes (0 when they touch or overlap)."""
    gx, gy = axis_gaps(boxes)
    return np.hypot(np.maximum(gx, 0.0), np.maximum(gy, 0.0))


def same_row(boxes: np.ndarray) -> np.ndarray:
    """(N, N): vertical centre distance <= the taller of the two heights."""
    _, h, _, cy = _sizes(boxes)
    return np.abs(cy[:, None] - cy[None, :]) <= np.maximum(h[:, None], h[None, :])


def same_column(boxes: np.ndarray) -> np.ndarray:
    """(N, N): horizontal centre distance <= the wider of the two widths."""
    w, _, cx, _ = _sizes(boxes)
    return np.abs(cx[:, None] - cx[None, :]) <= np.maximum(w[:, None], w[None, :])


def left_of(boxes: np.ndarray, t: RelationThresholds = RelationThresholds()) -> np.ndarray:
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    clear = b[:, None, 2] + t.margin_px <= b[None, :, 0]
    return _no_diagonal(clear & same_row(b))


def above(boxes: np.ndarray, t: RelationThresholds = RelationThresholds()) -> np.ndarray:
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    clear = b[:, None, 3] + t.margin_px <= b[None, :, 1]
    return _no_diagonal(clear & same_column(b))


def near(boxes: np.ndarray, t: RelationThresholds = RelationThresholds()) -> np.ndarray:
    gap = box_gap(boxes)
    return _no_diagonal((gap >= 1.0) & (gap <= t.near_px))


def in_front_of(
    depth: np.ndarray, overlap: np.ndarray, areas: np.ndarray,
    t: RelationThresholds = RelationThresholds(),
) -> np.ndarray:
    d = np.asarray(depth, dtype=np.float64)
    a = np.asarray(areas, dtype=np.float64)
    enough = np.asarray(overlap) >= t.min_overlap_frac * np.minimum(a[:, None], a[None, :])
    return _no_diagonal((d[:, None] < d[None, :]) & enough & (np.asarray(overlap) > 0))


def on_top_of(
    shape_boxes: np.ndarray, front: np.ndarray, areas: np.ndarray,
    t: RelationThresholds = RelationThresholds(),
) -> np.ndarray:
    """`front` is the `in_front_of` matrix; see the module docstring for the rule."""
    s = np.asarray(shape_boxes, dtype=np.float64).reshape(-1, 4)
    w, h, cx, _ = _sizes(s)
    a = np.asarray(areas, dtype=np.float64)
    over = (cx[:, None] >= s[None, :, 0] + t.top_inset * w[None, :]) & (
        cx[:, None] <= s[None, :, 2] - t.top_inset * w[None, :]
    )
    bottom = s[:, None, 3]
    upper = (bottom >= s[None, :, 1]) & (bottom <= s[None, :, 1] + t.top_band * h[None, :])
    return _no_diagonal(front & over & upper & (a[:, None] <= a[None, :]))


def ambiguous_pairs(
    boxes: np.ndarray, overlap: np.ndarray, areas: np.ndarray,
    t: RelationThresholds = RelationThresholds(),
) -> np.ndarray:
    """(N, N) symmetric: pairs whose relations a human could read either way.

    - same row and the boxes overlap along x by less than `overlap_tol` * the narrower width or
      gap by less than `margin_px` (is it "left of" or not?); same for columns and y;
    - the gap between the boxes is in (near_px, near_dead_zone * near_px) (near or not?);
    - the full shapes overlap, but by less than `min_overlap_frac` of the smaller (in front?);
    - the boxes touch or overlap but the shapes do not (near, or overlapping?).
    """
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    w, h, cx, cy = _sizes(b)
    gx, gy = axis_gaps(b)
    row = np.abs(cy[:, None] - cy[None, :]) <= np.maximum(h[:, None], h[None, :])
    col = np.abs(cx[:, None] - cx[None, :]) <= np.maximum(w[:, None], w[None, :])
    narrow = np.minimum(w[:, None], w[None, :])
    low = np.minimum(h[:, None], h[None, :])
    bad = row & (gx > -t.overlap_tol * narrow) & (gx < t.margin_px)
    bad |= col & (gy > -t.overlap_tol * low) & (gy < t.margin_px)
    gap = np.hypot(np.maximum(gx, 0.0), np.maximum(gy, 0.0))
    bad |= (gap > t.near_px) & (gap < t.near_dead_zone * t.near_px)
    a = np.asarray(areas, dtype=np.float64)
    ov = np.asarray(overlap, dtype=np.float64)
    bad |= (ov > 0) & (ov < t.min_overlap_frac * np.minimum(a[:, None], a[None, :]))
    bad |= (gap < 1.0) & (ov == 0)
    return _no_diagonal(bad)


def relation_matrices(
    boxes: np.ndarray, depth: np.ndarray, shape_boxes: np.ndarray, overlap: np.ndarray,
    areas: np.ndarray, t: RelationThresholds = RelationThresholds(),
) -> dict[str, np.ndarray]:
    """All predicates as (N, N) matrices, keyed in `PREDICATES` order."""
    left = left_of(boxes, t)
    up = above(boxes, t)
    front = in_front_of(depth, overlap, areas, t)
    return {
        "left of": left,
        "right of": left.T.copy(),
        "above": up,
        "below": up.T.copy(),
        "on top of": on_top_of(shape_boxes, front, areas, t),
        "in front of": front,
        "behind": front.T.copy(),
        "near": near(boxes, t),
    }


def compute_relations(
    boxes: np.ndarray, depth: np.ndarray, shape_boxes: np.ndarray, overlap: np.ndarray,
    areas: np.ndarray, t: RelationThresholds = RelationThresholds(),
) -> list[tuple[int, str, int]]:
    """Relation triples sorted by (subject, object, position of the predicate in PREDICATES)."""
    mats = relation_matrices(boxes, depth, shape_boxes, overlap, areas, t)
    found = []
    for rank, name in enumerate(PREDICATES):
        for s, o in zip(*np.nonzero(mats[name])):
            found.append((int(s), int(o), rank))
    found.sort()
    return [(s, PREDICATES[rank], o) for s, o, rank in found]
