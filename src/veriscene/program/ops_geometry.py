"""Ops on coordinates: literal points and regions, the object at a region, positions from boxes.

Conventions (the same as `veriscene.answers.coords`): a point is ``(x, y)`` and a box (region)
``(x0, y0, x1, y1)`` in absolute pixels of the image, x to the right, y down, x0 < x1, y0 < y1.
A program holds coordinates exactly as its question shows them, converted back to pixels, so the
wording and the program can never disagree. A point lies on pixel ``(floor(x), floor(y))``.
"""

from __future__ import annotations

import math
from typing import Sequence

from veriscene.program.context import ExecutionContext
from veriscene.program.ops import fail, no_region
from veriscene.program.registry import op
from veriscene.program.types import BOX, OBJECT, OBJECTS, POINT, STR, Obj, Objs, Point

AXES = ("horizontal", "vertical")
# Objects whose box overlaps a region by at least this IoU are "the object in the region".
REGION_MIN_IOU = 0.5


@op("point", inputs=[], args=[float, float], out=POINT)
def point(ctx: ExecutionContext, x: float, y: float) -> tuple[float, float]:
    """A literal point (x, y) in pixels; fails on negative or non-finite coordinates."""
    if not (math.isfinite(x) and math.isfinite(y)) or x < 0 or y < 0:
        fail(f"point ({x}, {y}) is not a point of an image")
    return (float(x), float(y))


@op("region", inputs=[], args=[float, float, float, float], out=BOX)
def region(ctx: ExecutionContext, x0: float, y0: float, x1: float, y1: float) -> tuple[float, ...]:
    """A literal region (x0, y0, x1, y1) in pixels; fails unless 0 <= x0 < x1 and 0 <= y0 < y1."""
    values = (x0, y0, x1, y1)
    if not all(math.isfinite(v) for v in values) or x0 < 0 or y0 < 0 or x1 <= x0 or y1 <= y0:
        fail(f"region {list(values)} is not an ordered box inside an image")
    return tuple(float(v) for v in values)


def point_inside(ctx: ExecutionContext, image: int, p: Point) -> tuple[int, int]:
    """The pixel (column, row) a point lies on; fails when it is outside image `image`."""
    scene = ctx.scene(image)
    if not (0 <= p[0] < scene.width and 0 <= p[1] < scene.height):
        fail(f"point {list(p)} lies outside the {scene.width}x{scene.height} image")
    return int(p[0]), int(p[1])


@op("object_in_region", inputs=[OBJECTS, BOX], out=OBJECT)
def object_in_region(ctx: ExecutionContext, objs: Objs, box: tuple[float, ...]) -> Obj:
    """The object of the set whose box has IoU >= 0.5 with the region; fails unless exactly one."""
    scene = ctx.scene(objs.image)
    if box[2] > scene.width + 1e-3 or box[3] > scene.height + 1e-3:
        fail(f"region {list(box)} lies outside the {scene.width}x{scene.height} image")
    if not objs.idx:
        fail("no objects to look for in the region")
    boxes = ctx.index(objs.image).box_list
    hits = [i for i in objs.idx if _iou(boxes[i], box) >= REGION_MIN_IOU]
    if len(hits) != 1:
        fail(f"{len(hits)} objects fill the region (IoU >= {REGION_MIN_IOU})")
    if ctx.has_regions:
        index = ctx.index(objs.image)
        # a crowd region meeting the box may hold an instance that fills it, annotated with none
        # (stuff regions hold no such instance of a thing: an area of sky or grass behind it)
        met = [i for i in index.crowd if _iou(boxes[i], box) > 0.0]
        if met:
            fail(f"a crowd region (object {min(met)}) meets the region: what fills it is unknown")
    return Obj(objs.image, hits[0])


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two xyxy boxes (the arithmetic of `scene.geometry.box_iou`, for one pair: plain
    Python is faster than numpy on a few boxes); 0 when the union is empty. min and max of two
    written out as they compare (`min(x, y)`: y if y < x else x), without a call of the builtins
    (asked of every object a region question's program meets)."""
    ax0, ay0, ax1, ay1 = a
    bx0, by0, bx1, by1 = b
    w = (bx1 if bx1 < ax1 else ax1) - (bx0 if bx0 > ax0 else ax0)  # min(x1s) - max(x0s)
    h = (by1 if by1 < ay1 else ay1) - (by0 if by0 > ay0 else ay0)
    w = 0.0 if 0.0 > w else w  # max(w, 0.0)
    h = 0.0 if 0.0 > h else h
    inter = w * h
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union if union > 0 else 0.0


@op("relative_position", inputs=[OBJECT, OBJECT], args=[AXES], out=STR)
def relative_position(ctx: ExecutionContext, a: Obj, b: Obj, axis: str) -> str:
    """Where a's box lies relative to b's along an axis: "left"/"right" (horizontal) or
    "above"/"below" (vertical). Fails unless the two boxes are disjoint along that axis, so the
    answer never depends on a threshold."""
    if a.image != b.image:
        fail("objects come from different images")
    if ctx.has_regions:
        no_region(ctx, a.image, (a.index, b.index), "the position of one object")
    boxes = ctx.scene(a.image).boxes
    lo, hi = (0, 2) if axis == "horizontal" else (1, 3)
    box_a, box_b = boxes[a.index], boxes[b.index]
    if box_a[hi] <= box_b[lo]:
        return "left" if axis == "horizontal" else "above"
    if box_b[hi] <= box_a[lo]:
        return "right" if axis == "horizontal" else "below"
    fail(f"the boxes overlap along the {axis} axis")


@op("filter_overlap", inputs=[OBJECTS, OBJECT], out=OBJECTS)
def filter_overlap(ctx: ExecutionContext, objs: Objs, anchor: Obj) -> Objs:
    """Objects of the set whose box overlaps the anchor's box (positive intersection area); the
    anchor itself is never included."""
    if objs.image != anchor.image:
        fail("objects come from different images")
    boxes = ctx.scene(objs.image).boxes
    a = boxes[anchor.index]
    keep = []
    for i in objs.idx:
        b = boxes[i]
        if i != anchor.index and min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1]):
            keep.append(i)
    return Objs(objs.image, tuple(keep), objs.complete)
