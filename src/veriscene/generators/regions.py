"""Coordinates in questions: render boxes and points, and sample points on visible object pixels.

A question shows a box or point in the generator's `box_format` (see `veriscene.answers.coords`:
"norm1" 0-1 with three decimals by default, "norm1000", "pixel"). Its program holds the coordinates
*as shown*, read back to pixels (`shown_box`, `shown_point`), so that rounding can never make the
wording and the program disagree. Rendered coordinates are clipped to the image and ordered.
Samples that show coordinates carry `box_format` and `image_size` in their meta (`coord_meta`).

Points are drawn from the *interior* of an object's visible mask (pixels at least `margin_px`
from its edge), so a point is clearly on the object for a person looking at the image. They are
drawn among the points the question can show exactly (the `box_format` grid: 0.001 of the image
side for norm1 and norm1000), so nothing is lost to rounding, and the shown point is checked to lie on that
interior again.
"""

from __future__ import annotations

import bisect
import math
from typing import Any, Sequence

import numpy as np

from veriscene.answers.coords import (
    NORM1_DECIMALS,
    format_box,
    format_point,
    order_box,
    parse_box_format,
    to_pixels,
)
from veriscene.generators.draws import Draws
from veriscene.program.builder import ProgramBuilder
from veriscene.program.context import ExecutionContext
from veriscene.program.ops_masks import scene_masks
from veriscene.scene.box_grid import nearby_blocks
from veriscene.scene.geometry import box_area, box_intersection_area, iou_of, pair_intersection_area
from veriscene.scene.marks import (
    LABEL_CORNERS, MIN_SIDE_REACHES, boxes_meet, fits_mark, inside_image, label_boxes, labelled, mark_reach, marks_apart, ring_box,
)
from veriscene.scene.model import Scene


def coord_meta(scene: Scene, box_format: str) -> dict[str, Any]:
    """Meta entries of a sample whose question shows coordinates."""
    return {"box_format": box_format, "image_size": [scene.width, scene.height]}


# --- points drawn on the image as labelled marks (a generator's ``marks: true``) ------------------
# The question names labels ("A", "B": `scene.marks.LABELS`, in the order it lists the points), the
# program holds each as a `marked_point` (label, x, y) and answers with `mark_label` of the point it
# picks, and the sample's images[0]["marks"] holds the same points to draw (`Candidate.marks`).


def add_point(builder: ProgramBuilder, p: Sequence[float], label: str | None = None) -> int:
    """A program node of the point p (pixels, as shown): `point`, or `marked_point` with `label`."""
    if label is None:
        return builder.add("point", args=list(p))
    return builder.add("marked_point", args=[label, *p])


# what a generator counts (`GenContext.count`: ``marks_clash:<generator>`` in the run's counts) for
# each candidate it does not ask because marks drawn at its points would touch or overlap
MARKS_CLASH = "marks_clash"


def clear_marks(scene: Scene, points: Sequence[Sequence[float]]) -> list[dict[str, Any]] | None:
    """The marks of `points` (pixels, as shown) labelled "A", "B", ... in order (`scene.marks.labelled`),
    or None when marks drawn there would touch (`scene.marks.marks_apart`): the question is not asked
    (the generator counts it: `MARKS_CLASH`)."""
    return labelled(points) if marks_apart(points, scene.width, scene.height) else None


# what a generator counts (``marks_unplaced:<generator>``) for each candidate it does not ask
# because a mark cannot be placed where a viewer reads it: its object too small for a mark
# (`scene.marks.fits_mark`), or no corner for its label clear of the other marks (`label_corners`)
MARKS_UNPLACED = "marks_unplaced"
OWN_SHARE = 0.1  # a label box hides no more than this share of a marked object's visible pixels, where it can
NEIGHBOUR_SHARE = 0.1  # ... nor this share of another object's (its visible pixels; its box without masks), where it can


def fit_for_marks(scene: Scene, objects: Sequence[int], min_side_reaches: float = MIN_SIDE_REACHES) -> bool:
    """Whether marks may be drawn on each of `objects` (`scene.marks.fits_mark`: its box's
    shorter side `min_side_reaches` marks' reaches or more): a ring on a smaller one covers most
    of it, and the shape a question asks about is not seen."""
    width, height, boxes = scene.width, scene.height, scene.boxes
    return all(fits_mark(boxes[i].tolist(), width, height, min_side_reaches) for i in objects)


def placed_marks(exec_ctx: ExecutionContext, points: Sequence[Sequence[float]],
                 owners: Sequence[int | None]) -> list[dict[str, Any]] | None:
    """The marks of `points` labelled "A", "B", ... in order (`scene.marks.labelled`), each with
    its label's corner (``label_at``: `label_corners`, `owners[k]` the object point k lies on, None
    for none known); None when some label finds no corner (counted: `MARKS_UNPLACED`)."""
    corners = label_corners(exec_ctx, points, owners)
    if corners is None:
        return None
    return [{**mark, "label_at": corner} for mark, corner in zip(labelled(points), corners)]


def label_corners(exec_ctx: ExecutionContext, points: Sequence[Sequence[float]],
                  owners: Sequence[int | None]) -> list[str] | None:
    """Where each mark's label goes (`scene.marks.LABEL_CORNERS`), marks labelled in order: among
    the corners whose label box (`scene.marks.label_box`) lies inside image 0 and meets no other
    mark's ring and no label placed before it, the one that (1) hides `OWN_SHARE` or more of the
    visible pixels (of the box, on a scene without masks) of the fewest objects the marks lie on
    (`owners`: what the question is about),
    then (2) covers `NEIGHBOUR_SHARE` or more of the fewest other objects (a neighbour, or a part
    of the marked object annotated as one, that a question may be about: its visible pixels, its
    box on a scene without masks), then (3) covers the fewest pixels of the marked objects,
    then the first in `LABEL_CORNERS`' order. Deterministic (no draw). None when a label has no
    corner inside the image clear of the other marks. (0.32.0 avoided in (2) only the objects it
    covered half the box of: on 300 demo and 400 VG-shaped scenes, all marked generators on,
    152 of 4,417 and 386 of 2,336 labels covered 10 % or more of some object.)"""
    scene = exec_ctx.scene(0)
    width, height = scene.width, scene.height
    rings = [ring_box(p, width, height) for p in points]
    asked = sorted({i for i in owners if i is not None})
    regions = {i: _interior(exec_ctx, i, 0) for i in asked} if asked and scene.masks is not None else {}
    boxes = np.asarray(scene.boxes, dtype=np.float64).reshape(-1, 4)
    others = np.ones(len(boxes), dtype=bool)
    others[asked] = False
    areas = np.maximum((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), 1.0)
    totals = ({i: max(1, int(crop.sum())) for i, (_, _, crop) in regions.items()} if regions
              else {i: float(areas[i]) for i in asked})  # (no masks: their boxes)
    placed: list[tuple[int, int, int, int]] = []
    corners: list[str] = []
    visible: dict[int, int] = {}  # other objects' visible pixels (`_neighbours_hidden`)
    for k, p in enumerate(points):
        best: tuple[tuple[int, int, int, int], str, tuple[int, int, int, int]] | None = None
        free = [(order, corner, box) for order, (corner, box) in enumerate(zip(LABEL_CORNERS, label_boxes(p, width, height)))
                if inside_image(box, width, height) and not any(
                    boxes_meet(box, r) for j, r in enumerate(rings) if j != k) and not any(boxes_meet(box, q) for q in placed)]
        hides = _neighbours_hidden(exec_ctx, boxes, areas, others, [b for _, _, b in free], visible)
        # without masks, a marked object is its box: the pixels of it each free corner's box covers
        own = (box_intersection_area(np.asarray([b for _, _, b in free], dtype=np.float64), boxes[asked]).tolist() if free and asked and not regions
               else [[]] * len(free))
        for (order, corner, box), hidden, in_boxes in zip(free, hides, own):
            covered = ({i: _pixels_in(regions[i], box) for i in regions} if regions
                       else {i: int(v) for i, v in zip(asked, in_boxes)})
            cost = (sum(covered[i] >= OWN_SHARE * totals[i] for i in covered), hidden, sum(covered.values()), order)
            if best is None or cost < best[0]:
                best = (cost, corner, box)
        if best is None:
            return None
        placed.append(best[2])
        corners.append(best[1])
    return corners


def _neighbours_hidden(exec_ctx: ExecutionContext, boxes: np.ndarray, areas: np.ndarray, others: np.ndarray,
                       labels: Sequence[Sequence[int]], visible: dict[int, int]) -> list[int]:
    """How many of the objects `others` (N bool) each label box of `labels` covers `NEIGHBOUR_SHARE`
    or more of: of its visible pixels (`_interior`, margin 0) when image 0 has masks and the
    object one, else of its box (`boxes` N x 4, `areas` theirs). One numpy pass over the boxes
    finds those a label meets; only their masks are read (`visible`: object -> its visible
    pixels, filled as they are counted)."""
    if not labels:
        return []
    shared = box_intersection_area(np.asarray(labels, dtype=np.float64), boxes)  # (K, N)
    masks = exec_ctx.scene(0).masks
    if masks is None:
        return np.count_nonzero(others & (shared >= NEIGHBOUR_SHARE * areas), axis=1).tolist()
    hidden = []
    for k, box in enumerate(labels):
        count = 0
        for i in np.flatnonzero(others & (shared[k] > 0)).tolist():
            if not masks[i]:
                count += bool(shared[k, i] >= NEIGHBOUR_SHARE * areas[i])
                continue
            region = _interior(exec_ctx, i, 0)
            total = visible[i] if i in visible else visible.setdefault(i, int(region[2].sum()))
            count += bool(total) and _pixels_in(region, box) >= NEIGHBOUR_SHARE * total
        hidden.append(count)
    return hidden


def _pixels_in(region: tuple[int, int, np.ndarray], box: Sequence[int]) -> int:
    """How many pixels of a region (x0, y0, crop: `_interior`) lie in box (x0, y0, x1, y1; exclusive)."""
    x0, y0, crop = region
    r0, r1 = max(box[1] - y0, 0), min(box[3] - y0, crop.shape[0])
    c0, c1 = max(box[0] - x0, 0), min(box[2] - x0, crop.shape[1])
    return int(crop[r0:r1, c0:c1].sum()) if r0 < r1 and c0 < c1 else 0


def mark_meta(scene: Scene, labels: Sequence[str], answered: bool) -> dict[str, Any]:
    """Meta entries of a sample whose question names marks: `image_size`, and `mark_labels` when
    the answer is one of `labels`, the labels it may be (in order: "A", "B"; not a reference
    point's "C", which a reply names to say what it compares with). Scoring reads a reply's "A"
    or "point A" as that option (`answers.match.score_sample`), and a label outside them, as
    "C" in "Point B lies on a different object than point C.", as no option."""
    meta: dict[str, Any] = {"image_size": [scene.width, scene.height]}
    if answered:
        meta["mark_labels"] = list(labels)
    return meta


def mark_text(label: str) -> str:
    """How a multiple-choice option names a mark: "point A"."""
    return f"point {label}"


def shown_box(scene: Scene, box: Sequence[float], box_format: str) -> tuple[str, list[float]]:
    """(text shown in the question, the same box back in pixels rounded to 0.01)."""
    if box_format == "norm1" and len(box) == 4:
        return _shown_norm1(scene, box)
    size = (scene.width, scene.height)
    text = format_box(box, size, box_format)
    values = [float(v) for v in text.strip("[]").split(",")]
    return text, [round(v, 2) for v in to_pixels(values, box_format, size)]


def shown_point(scene: Scene, p: Sequence[float], box_format: str) -> tuple[str, list[float]]:
    """(text shown in the question, the same point back in pixels rounded to 0.01)."""
    if box_format == "norm1" and len(p) == 2:
        return _shown_point_norm1(scene, p)
    size = (scene.width, scene.height)
    text = format_point(p, size, box_format)
    x, y = to_pixels([float(v) for v in text.strip("[]").split(",")], box_format, size)
    # a point on the right/bottom edge would fall off the image's last pixel
    return text, [round(min(x, scene.width - 0.01), 2), round(min(y, scene.height - 0.01), 2)]


def box_text(scene: Scene, box: Sequence[float], box_format: str) -> str:
    """`format_box(box, (scene.width, scene.height), box_format)`: in "norm1" the text of
    `_shown_norm1` (the same arithmetic, a third of the instructions: the options of every
    grounding question are boxes)."""
    if box_format == "norm1" and len(box) == 4:
        return "[" + ", ".join(_norm1_box_texts(scene, box)[1]) + "]"
    return format_box(box, (scene.width, scene.height), box_format)


def point_text(scene: Scene, p: Sequence[float], box_format: str) -> str:
    """`format_point(p, (scene.width, scene.height), box_format)`: in "norm1" the text of
    `_shown_point_norm1` (the same arithmetic: the options of point questions)."""
    if box_format == "norm1" and len(p) == 2:
        return "[" + _norm1_text(float(p[0]), float(round(float(scene.width)))) + ", " + _norm1_text(
            float(p[1]), float(round(float(scene.height)))) + "]"
    return format_point(p, (scene.width, scene.height), box_format)


def _norm1_box_texts(scene: Scene, box: Sequence[float]) -> tuple[tuple[float, ...], list[str]]:
    """(the image sides as check_image_size gives them, x y x y; each of the box's values as
    norm1 shows it): `format_box`'s steps for "norm1" (corners ordered, clipped to the image,
    divided by its side, rounded to `NORM1_DECIMALS` and clipped to [0, 1])."""
    sides = (float(round(float(scene.width))), float(round(float(scene.height)))) * 2
    return sides, [_norm1_text(v, side) for v, side in zip(order_box([float(v) for v in box]), sides)]


def _shown_norm1(scene: Scene, box: Sequence[float]) -> tuple[str, list[float]]:
    """`shown_box` in the default "norm1" format (the hot path of questions that show regions):
    the steps of `format_box` and `to_pixels` written out for it, the same arithmetic in the same
    order (`_norm1_box_texts`; the text read back, multiplied, ordered, clipped, rounded to 0.01)."""
    sides, shown = _norm1_box_texts(scene, box)
    back = order_box([float(text) * side for text, side in zip(shown, sides)])
    clipped: list[float] = []
    for v, side in zip(back, sides):  # round(min(max(v, 0.0), side), 2), as `_norm1_text`
        v = 0.0 if 0.0 > v else v
        clipped.append(round(side if side < v else v, 2))
    return "[" + ", ".join(shown) + "]", clipped


_NORM1_SPEC = f".{NORM1_DECIMALS}f"


def _norm1_text(v: float, side: float) -> str:
    """One pixel coordinate as norm1 shows it (`side`: the image side, as check_image_size gives it):
    the text of ``min(max(round(min(max(v, 0.0), side) / side, NORM1_DECIMALS), 0.0), 1.0)``,
    without calls of the builtins (for every coordinate shown). min and max are written out as
    they compare (`max(x, y)`: y if y > x else x); the share clipped to [0, side] / side is in
    [0, 1] already, where its rounding stays; and `format` rounds it to NORM1_DECIMALS as `round`
    does (both correctly rounded from the same double, exact ties to even): the same text."""
    v = 0.0 if 0.0 > v else v
    return format((side if side < v else v) / side, _NORM1_SPEC)


def _shown_point_norm1(scene: Scene, p: Sequence[float]) -> tuple[str, list[float]]:
    """`shown_point` in "norm1" (every point drawn on a mask is shown so): as `_shown_norm1` for
    a point's two values, then kept off the image's far edge."""
    width, height = scene.width, scene.height
    side_x, side_y = float(round(float(width))), float(round(float(height)))  # as check_image_size
    text_x, text_y = _norm1_text(float(p[0]), side_x), _norm1_text(float(p[1]), side_y)
    # min(max(x, 0.0), side) and min(x, side - 0.01), written out as in `_norm1_text`
    x, y = float(text_x) * side_x, float(text_y) * side_y
    x, y = 0.0 if 0.0 > x else x, 0.0 if 0.0 > y else y
    x, y = side_x if side_x < x else x, side_y if side_y < y else y
    edge_x, edge_y = width - 0.01, height - 0.01
    return f"[{text_x}, {text_y}]", [round(edge_x if edge_x < x else x, 2), round(edge_y if edge_y < y else y, 2)]


def _round(values: np.ndarray, decimals: int) -> np.ndarray:
    """Python's `round(v, decimals)` of each value. numpy's `np.round` scales by 10**decimals and
    rounds that, which can send a value within a rounding error of a half-unit the other way; such
    values (rare) are rounded here by Python, the others by numpy (k / 10**decimals for the same
    nearest k)."""
    unit = 10.0**decimals
    scaled = values * unit
    out = np.rint(scaled) / unit
    near = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    if near.any():
        at = np.flatnonzero(near)
        out.flat[at] = [round(v, decimals) for v in values.flat[at].tolist()]
    return out


def rounded_boxes(scene: Scene) -> list[list[float]]:
    """The scene's boxes as nested lists, each coordinate `round(v, 2)` (pixels to 0.01), all
    rounded at once."""
    return _round(scene.boxes.astype(np.float64), 2).tolist()


def _ordered(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) boxes with their corners ordered (x0 <= x1, y0 <= y1), as `order_box` each."""
    return np.concatenate([np.minimum(boxes[:, :2], boxes[:, 2:]), np.maximum(boxes[:, :2], boxes[:, 2:])], axis=1)


def shown_boxes_norm1(scene: Scene, boxes: np.ndarray) -> np.ndarray:
    """(N, 4) pixel boxes -> (N, 4): each box as `shown_box(scene, box, "norm1")` reads it back
    (its second value), for all boxes at once with the same arithmetic."""
    sides = np.array([float(round(float(scene.width))), float(round(float(scene.height)))] * 2)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    fractions = np.minimum(np.maximum(_ordered(boxes), 0.0), sides) / sides
    shown = np.minimum(np.maximum(_round(fractions, NORM1_DECIMALS), 0.0), 1.0)
    back = shown * sides  # the text read back: the shown value is the double nearest its decimals
    return _round(np.minimum(np.maximum(_ordered(back), 0.0), sides), 2)


# Smallest step of a shown coordinate in its own units (`answers.coords` renders norm1 with
# `NORM1_DECIMALS` decimals, norm1000 and pixel as integers).
_SHOWN_UNIT = {"norm1": 10.0**-NORM1_DECIMALS, "norm1000": 1.0, "pixel": 1.0}


class _ShownAxis:
    """The shown coordinates k * step (pixels) along an image side of `side` pixels: the pixel
    of each, int(k * step) for k = 0 .. side / step + 1, made once per scene and box format
    (each object's grid is a slice of it)."""

    def __init__(self, step: float, side: int) -> None:
        self.step = step
        self.pixels = (np.arange(math.floor(side / step) + 2) * step).astype(np.int64)

    def on(self, lo: int, n: int) -> tuple[int, np.ndarray]:
        """(first, offsets): the coordinates k * step that lie on pixels lo .. lo+n-1 are those
        of k = first, first + 1, ...; offsets holds their pixels minus lo, in that order."""
        step = self.step
        first, last = math.ceil(lo / step), math.floor((lo + n) / step)
        # the pixels grow with k: values that float rounding puts off the pixels are at the ends
        while first <= last and not 0 <= int(first * step) - lo < n:
            first += 1
        while last >= first and not 0 <= int(last * step) - lo < n:
            last -= 1
        if 0 <= first and last < self.pixels.size:
            return first, self.pixels[first : last + 1] - lo
        return first, (np.arange(first, last + 1) * step).astype(np.int64) - lo  # (the same values)


def clear_regions_mask(scene: Scene, regions: np.ndarray, max_other_iou: float = 0.3,
                       max_inside: float = 0.5) -> np.ndarray:
    """(N,) bool: whether "the object in region i" can only mean object i, for (N, 4) pixel
    regions, one per object: region i matches i's box (IoU >= 0.5) and no other object's box
    matches it (IoU < `max_other_iou`) or lies mostly inside it (share of its box area inside <
    `max_inside`, e.g. a small object on a large one).

    (objects, regions) tables a block of regions at a time: the whole table is hundreds of
    megabytes of temporaries on a scene of thousands of objects. Past one block, a block of
    nearby regions is tested against the objects that may meet one of them alone
    (`scene.box_grid.nearby_blocks`): with thresholds above 0, an object that meets no region
    matches none and lies inside none, and most pairs of a scene of thousands are such."""
    if len(scene) <= _REGION_BLOCK or not (max_other_iou > 0 and max_inside > 0):
        return _clear_regions_dense(scene, regions, max_other_iou, max_inside)
    boxes = scene.boxes
    regions = np.asarray(regions, dtype=np.float64).reshape(-1, 4)
    areas = box_area(boxes)
    region_areas = box_area(regions)
    # object k with its own region k (the whole table's diagonal)
    own = pair_intersection_area(boxes, regions)
    union = areas + region_areas - own
    positive = union > 0
    clear = np.where(positive, own / np.where(positive, union, 1), 0.0) >= 0.5
    for block, near in nearby_blocks(regions, boxes, _REGION_BLOCK):
        if not clear[block].any():
            continue
        inter = box_intersection_area(boxes[near], regions[block])
        ious = iou_of(inter, areas[near], region_areas[block])
        inside = inter / np.maximum(areas, 1e-9)[near][:, None]
        hit = (ious >= max_other_iou) | (inside >= max_inside)
        hit &= near[:, None] != block[None, :]  # only other objects make a region ambiguous
        clear[block] &= ~hit.any(axis=0)
    return clear


def _clear_regions_dense(scene: Scene, regions: np.ndarray, max_other_iou: float,
                         max_inside: float) -> np.ndarray:
    """`clear_regions_mask` over every (object, region) pair, a block of regions at a time (a
    scene of one block, or thresholds of 0 or less, under which objects meeting no region count)."""
    boxes = scene.boxes
    areas = box_area(boxes)
    region_areas = box_area(regions)
    clear = np.zeros(len(scene), dtype=bool)
    for start in range(0, len(scene), _REGION_BLOCK):
        stop = min(start + _REGION_BLOCK, len(scene))
        inter = box_intersection_area(boxes, regions[start:stop])
        ious = iou_of(inter, areas, region_areas[start:stop])
        inside = inter / np.maximum(areas, 1e-9)[:, None]
        own = (np.arange(start, stop), np.arange(stop - start))  # object k, its region k
        matched = ious[own] >= 0.5
        hit = (ious >= max_other_iou) | (inside >= max_inside)
        hit[own] = False  # only other objects make a region ambiguous
        clear[start:stop] = matched & ~hit.any(axis=0)
    return clear


_REGION_BLOCK = 256  # regions per block of `clear_regions_mask`


def _all_in_windows(a: np.ndarray, length: int) -> np.ndarray:
    """Row i of the result: whether rows i .. i+length-1 of `a` are all True (for length <= the
    rows of `a`). Windows doubled in length (AND of two shifted copies) until two overlapping
    ones cover `length`."""
    n = a.shape[0] - length + 1
    span = 1
    while span * 2 <= length:  # row i of `a` becomes the AND of rows i .. i+2*span-1
        a = a[:-span] & a[span:]
        span *= 2
    rest = length - span
    return a[:n] & a[rest : rest + n]


def _eroded(mask: np.ndarray, r: int) -> np.ndarray:
    """Binary erosion by a (2r+1)^2 square, pixels beyond the array's edge counting as outside:
    the (h - 2r, w - 2r) pixels of (h, w) `mask` at least r from its edge (from row and column r
    on; those nearer the edge are never in it), each True where its whole neighbourhood is in
    the mask; (0, 0) when no pixel is r from the edge. Separable: down the columns, then along
    the rows."""
    h, w = mask.shape
    size = 2 * r + 1
    if h < size or w < size:
        return np.zeros((0, 0), dtype=bool)
    rows = _all_in_windows(mask, size)  # (h - 2r, w)
    # along the rows laid end to end ((h - 2r) * w - 2r,): contiguous, where the rows of a
    # transposed view are not (three times the instructions); a window that crosses the end of
    # a row is left out of the view of the (h - 2r, w - 2r) windows, whose row i starts at i * w
    flat = _all_in_windows(rows.reshape(-1), size)
    return np.ndarray((h - 2 * r, w - 2 * r), dtype=bool, buffer=flat, strides=(w, 1))


def _interior(exec_ctx: ExecutionContext, i: int, margin_px: int) -> tuple[int, int, np.ndarray]:
    """(x0, y0, interior crop (h, w) bool) of object i of image 0: pixels at least `margin_px`
    inside its visible mask, within its box (the crop's pixel (0, 0) is pixel (x0, y0); pixels
    outside the crop are not on the interior). Computed once per scene index."""

    def compute() -> tuple[int, int, np.ndarray]:
        scene = exec_ctx.scene(0)
        masks = scene_masks(exec_ctx, 0)
        x0, y0, x1, y1 = (int(v) for v in scene.boxes[i].tolist())  # (float32 -> float exactly)
        a, b, c, d = masks.boxes[i]
        # outside the box = not i, outside its mask's own box too: the crop is where both meet
        # (the same interior, framed by fewer pixels); it starts margin_px in from their corner.
        # max(x0, a), max(min(x1 + 1, width, c), x0) and the same for y, written out as the
        # builtins compare (ints; a call of min or max costs more than the crop's arithmetic)
        x0, y0 = a if a > x0 else x0, b if b > y0 else y0
        x1, width = x1 + 1, scene.width
        x1 = width if width < x1 else x1
        x1 = c if c < x1 else x1
        x1 = x0 if x0 > x1 else x1
        y1, height = y1 + 1, scene.height
        y1 = height if height < y1 else y1
        y1 = d if d < y1 else y1
        y1 = y0 if y0 > y1 else y1
        crop = _eroded(masks.alone(i, x0, y0, x1, y1), margin_px)
        return x0 + margin_px, y0 + margin_px, crop

    return exec_ctx.index(0).memo(("interior", i, margin_px), compute)


class _GridPoints:
    """The (M, 2) points of `_interior_points` without the array: the points of the grid of the
    shown coordinates (`_ShownAxis` x and y) on the interior crop (x0, y0, crop) of `_interior`,
    counted per grid row, the k-th (row-major, as np.nonzero orders them) made when read, as
    [x, y] (floats, pixels: (first + j) * step, the value numpy's arange(...) * step holds).

    A row's points are found in the crop's bytes (`held`: its pixels row-major, one 0/1 byte
    each) by `bytes.find` of its runs of held pixels: the grid columns on crop columns c0 ..
    c1-1 are grid columns before[c0] .. before[c1]-1 (the grid's columns grow with the crop's).
    numpy calls per row drawn (a row's pixels of the grid columns, their nonzero) cost ten times
    as many instructions, and most rows are drawn once."""

    def __init__(self, x0: int, y0: int, crop: np.ndarray, x_axis: _ShownAxis, y_axis: _ShownAxis) -> None:
        self.x0, self.y0, self.crop = x0, y0, crop
        self.width = crop.shape[1]
        self.held = crop.tobytes()  # (rows * width,) 0/1 bytes, row-major (the crop may be a view)
        self.step_x, self.step_y = x_axis.step, y_axis.step
        self.first_x, cols = x_axis.on(x0, crop.shape[1])  # the crop column of each grid column
        self.first_y, rows = y_axis.on(y0, crop.shape[0])
        per_col = np.bincount(cols, minlength=crop.shape[1])  # grid columns on each crop column
        # grid columns on crop columns before c, for c = 0 .. width
        self.before = [0, *per_col.cumsum().tolist()]
        # points on each grid row: a float product goes to BLAS (exact: sums of small integers),
        # an integer one to numpy's own loop, five times slower on a demo object
        per_row = (crop @ per_col.astype(np.float64)).astype(np.int64)[rows]
        self.ends = per_row.cumsum().tolist()
        self.n = self.ends[-1] if self.ends else 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, k: int) -> list[float]:
        ends = self.ends
        g = bisect.bisect_right(ends, k)
        y = (self.first_y + g) * self.step_y
        if g:
            k -= ends[g - 1]  # the k-th point of grid row g (it has more than k)
        held, before = self.held, self.before
        start = (int(y) - self.y0) * self.width  # the crop row, as `_ShownAxis.on` gives it
        at, stop = start, start + self.width
        while True:  # the row's runs of held pixels, left to right
            c0 = held.find(1, at, stop)
            at = held.find(0, c0, stop)
            if at < 0:
                at = stop
            first = before[c0 - start]
            if k < before[at - start] - first:
                return [(self.first_x + first + k) * self.step_x, y]
            k -= before[at - start] - first


def _shown_axes(exec_ctx: ExecutionContext, box_format: str) -> tuple[_ShownAxis, _ShownAxis]:
    """The shown coordinates along the x and y sides of image 0 (computed once per scene index)."""

    def compute() -> tuple[_ShownAxis, _ShownAxis]:
        scene = exec_ctx.scene(0)
        unit = _SHOWN_UNIT[parse_box_format(box_format)]
        step_x, step_y = to_pixels([unit, unit], box_format, (scene.width, scene.height))
        return _ShownAxis(step_x, scene.width), _ShownAxis(step_y, scene.height)

    return exec_ctx.index(0).memo(("shown axes", box_format), compute)


def _interior_points(exec_ctx: ExecutionContext, i: int, margin_px: int, box_format: str) -> _GridPoints:
    """The pixel points (x, y) a question can show exactly (on the `box_format` grid) that lie
    on object i's interior. Computed once per scene index."""

    def compute() -> _GridPoints:
        x0, y0, crop = _interior(exec_ctx, i, margin_px)
        return _GridPoints(x0, y0, crop, *_shown_axes(exec_ctx, box_format))

    return exec_ctx.index(0).memo(("interior points", i, margin_px, box_format), compute)


def point_margin(margin_px: int, marks: bool, scene: Scene) -> int:
    """How far inside its object's visible mask a question's point lies, in pixels: `margin_px`,
    and with `marks` drawn a mark's reach or more (`scene.marks.mark_reach`: the ring and its
    edge lie on the object, as multi.marked_point's). A ring that an edge crosses encloses two
    surfaces, and which one its label names is for the viewer to guess: with 4 px on the demo's
    480x360 images (ring 9 px), 56-62 % of the single-image marks were so."""
    return max(margin_px, mark_reach(scene.width, scene.height)) if marks else margin_px


class PointSampler:
    """Draws points on the interior of objects' visible masks of one scene, uniformly among the
    points a question can show there. Each object's interior and its shown points are computed
    once per scene index, whichever generator asks first, from the pixels of its box that its
    mask alone holds (only the masks meeting the box are decoded, see `SceneMasks.alone`)."""

    def __init__(self, exec_ctx: ExecutionContext, box_format: str, margin_px: int = 4) -> None:
        self.exec_ctx = exec_ctx
        self.scene = exec_ctx.scene(0)
        self.box_format = box_format
        self.margin_px = margin_px

    def inside(self, i: int, p: Sequence[float]) -> bool:
        """Whether point p (pixels) lies on object i's interior."""
        x0, y0, crop = _interior(self.exec_ctx, i, self.margin_px)
        r, c = int(p[1]) - y0, int(p[0]) - x0
        return bool(0 <= r < crop.shape[0] and 0 <= c < crop.shape[1] and crop[r, c])

    def sample(self, rng: np.random.Generator, i: int, k: int = 1,
               min_distance: float = 0.0) -> list[tuple[str, list[float]]] | None:
        """k shown points on object i, pairwise at least `min_distance` pixels apart, each on
        i's interior as shown (checked again after rounding); None when the object has too
        little interior."""
        points = _interior_points(self.exec_ctx, i, self.margin_px, self.box_format)
        n = len(points)
        if n == 0:
            return None
        # `inside`, looked up once: in the crop's bytes (a numpy item costs ten times as much)
        x0, y0, held = points.x0, points.y0, points.held
        rows, cols = points.crop.shape
        # (the runner's rng is a `Draws`: its `below` makes the same draw for less, an int)
        draw = rng.below if isinstance(rng, Draws) else lambda n: int(rng.integers(n))
        scene, box_format, point_at = self.scene, self.box_format, points.__getitem__
        found: list[tuple[str, list[float]]] = []
        apart = max(min_distance, 1.0)
        hypot = math.hypot
        for _ in range(8 * k):  # one draw per try, whatever the try finds (the draws stay the same)
            x, y = point_at(draw(n))
            if found and _near(x, y, found, apart, hypot):
                continue  # cheap test before formatting (the shown point differs by rounding)
            text, p = shown_point(scene, (x, y), box_format)
            r, c = int(p[1]) - y0, int(p[0]) - x0
            if not (0 <= r < rows and 0 <= c < cols and held[r * cols + c]) or (
                    found and _near(p[0], p[1], found, apart, hypot)):
                continue  # off the interior once shown (as `inside`), or too close once shown
            found.append((text, p))
            if len(found) == k:
                return found
        return None


def _near(x: float, y: float, found: list[tuple[str, list[float]]], apart: float, hypot: Any) -> bool:
    """Whether (x, y) lies less than `apart` pixels from a point already found."""
    for _, q in found:
        if hypot(x - q[0], y - q[1]) < apart:
            return True
    return False
