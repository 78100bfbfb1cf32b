"""Ops on instance masks: the object at a point, which of two points lies on an object, and
which of two points is closer to the camera.

Masks (COCO RLE, see `veriscene.scene.masks`) are decoded once per scene into a *label map*: an
(H, W) int16 array holding, per pixel, the index of the object whose visible mask covers it,
`BACKGROUND` (-1) where none does and `CONTESTED` (-2) where several masks overlap (a point there
has no single object). The map is kept in a cache keyed by the ExecutionContext (weakly, so it
dies with the context); scenes are never written to.

Depth at a point is the depth of the object whose visible mask holds the point (per-object
depth, smaller = closer). Dense depth maps (`Scene.depth_map`) are not read yet.
"""

from __future__ import annotations

import weakref

import numpy as np

from veriscene.program.context import ExecutionContext
from veriscene.program.ops import fail
from veriscene.program.ops_geometry import point_inside
from veriscene.program.registry import op
from veriscene.program.types import OBJECT, OBJECTS, POINT, Obj, Objs
from veriscene.scene.masks import decode_mask_box

BACKGROUND = -1
CONTESTED = -2
SIDES = ("same", "different")
DEPTH_ORDER = ("closer", "farther")

_LABELS: "weakref.WeakKeyDictionary[ExecutionContext, dict[int, np.ndarray]]" = weakref.WeakKeyDictionary()


def label_map(ctx: ExecutionContext, image: int) -> np.ndarray:
    """(H, W) int16 object index per pixel of image `image` (decoded once per context)."""
    per_image = _LABELS.setdefault(ctx, {})
    found = per_image.get(image)
    if found is None:
        scene = ctx.scene(image)
        if scene.masks is None:
            fail("the scene has no masks")
        found = np.full((scene.height, scene.width), BACKGROUND, dtype=np.int16)
        for i, rle in enumerate(scene.masks):
            x0, y0, pixels = decode_mask_box(rle)  # work inside the mask's tight box
            labels = found[y0 : y0 + pixels.shape[0], x0 : x0 + pixels.shape[1]]  # a view: writes go to `found`
            labels[pixels & (labels != BACKGROUND)] = CONTESTED
            labels[pixels & (labels == BACKGROUND)] = i
        per_image[image] = found
    return found


def object_index_at(ctx: ExecutionContext, image: int, p: tuple[float, float]) -> int:
    """Index of the object under point p, or BACKGROUND / CONTESTED."""
    col, row = point_inside(ctx, image, p)
    return int(label_map(ctx, image)[row, col])


@op("object_at_point", inputs=[OBJECTS, POINT], out=OBJECT, requires=("masks",))
def object_at_point(ctx: ExecutionContext, objs: Objs, p: tuple[float, float]) -> Obj:
    """The object of the set whose visible mask holds the point; fails on background, on pixels
    covered by several masks, and on objects outside the set."""
    found = object_index_at(ctx, objs.image, p)
    if found == BACKGROUND:
        fail(f"point {list(p)} lies on the background")
    if found == CONTESTED:
        fail(f"point {list(p)} lies on several overlapping masks")
    if found not in objs.idx:
        fail(f"point {list(p)} lies on object {found}, which is not in the set")
    return Obj(objs.image, found)


@op("point_on", inputs=[OBJECT, POINT, POINT], args=[SIDES], out=POINT, requires=("masks",))
def point_on(ctx: ExecutionContext, obj: Obj, p1: tuple[float, float], p2: tuple[float, float],
             side: str) -> tuple[float, float]:
    """Of two points, the one on the object ("same") or on another object ("different"; the
    background does not count). Fails unless exactly one of the two points qualifies."""
    under = [object_index_at(ctx, obj.image, p) for p in (p1, p2)]
    if side == "same":
        ok = [u == obj.index for u in under]
    else:
        ok = [u >= 0 and u != obj.index for u in under]
    if sum(ok) != 1:
        fail(f"{sum(ok)} of the two points lie on {'the' if side == 'same' else 'another'} object")
    return p1 if ok[0] else p2


@op("closer_point", inputs=[POINT, POINT], args=[DEPTH_ORDER], out=POINT, requires=("masks", "depth"))
def closer_point(ctx: ExecutionContext, p1: tuple[float, float], p2: tuple[float, float],
                 which: str) -> tuple[float, float]:
    """Of two points of image 0, the one closer to (farther from) the camera: depth of the object
    under each point, smaller = closer. Fails on background, contested pixels and equal depth."""
    depth = ctx.scene(0).depth
    if depth is None:
        fail("the scene has no depth")
    values = []
    for p in (p1, p2):
        found = object_index_at(ctx, 0, p)
        if found < 0:
            fail(f"point {list(p)} lies on no single object")
        values.append(float(depth[found]))
    if values[0] == values[1]:
        fail("the two points have the same depth")
    first = values[0] < values[1] if which == "closer" else values[0] > values[1]
    return p1 if first else p2
