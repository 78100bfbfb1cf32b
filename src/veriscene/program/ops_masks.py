"""Ops on instance masks: the object at a point, which of two points lies on an object, and
which of two points is closer to the camera.

The object at a point is the one whose visible mask (COCO RLE, see `veriscene.scene.masks`) holds
the point's pixel: `BACKGROUND` (-1) where none does and `CONTESTED` (-2) where several overlapping
masks do (a point there has no single object). Pixels are looked up through `SceneMasks`, built
once per scene index, which decodes only the masks (with the masks sharing their frame) whose box
holds a pixel looked up; scenes are never written to.

Depth at a point is the depth of the object whose visible mask holds the point (per-object
depth, smaller = closer). Dense depth maps (`Scene.depth_map`) are read by `ops_depth_map`.
"""

from __future__ import annotations

from veriscene.program.context import ExecutionContext
from veriscene.program.ops import fail, no_region
from veriscene.program.ops_geometry import point_inside
from veriscene.program.registry import op
from veriscene.program.types import OBJECT, OBJECTS, POINT, Obj, Objs, Point
from veriscene.scene.masks import BACKGROUND, CONTESTED, SceneMasks

SIDES = ("same", "different")
DEPTH_ORDER = ("closer", "farther")


def scene_masks(ctx: ExecutionContext, image: int) -> SceneMasks:
    """Pixel lookups on the masks of image `image` (built once per scene index)."""

    def compute() -> SceneMasks:
        scene = ctx.scene(image)
        if scene.masks is None:
            fail("the scene has no masks")
        return SceneMasks(scene.masks, scene.width, scene.height)

    return ctx.index(image).memo("scene masks", compute)


def object_index_at(ctx: ExecutionContext, image: int, p: Point) -> int:
    """Index of the object under point p, or BACKGROUND / CONTESTED."""
    col, row = point_inside(ctx, image, p)
    found = scene_masks(ctx, image).at(col, row)
    if not found:
        return BACKGROUND
    return found[0] if len(found) == 1 else CONTESTED


@op("object_at_point", inputs=[OBJECTS, POINT], out=OBJECT, requires=("masks",))
def object_at_point(ctx: ExecutionContext, objs: Objs, p: Point) -> Obj:
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
def point_on(ctx: ExecutionContext, obj: Obj, p1: Point, p2: Point, side: str) -> Point:
    """Of two points, the one on the object ("same") or on another object ("different"; the
    background does not count). Fails unless exactly one of the two points qualifies, and on a
    crowd region (whether two of its points lie on one instance is unknown)."""
    if ctx.has_regions:
        no_region(ctx, obj.image, (obj.index,), "which points lie on one object")
    under = [object_index_at(ctx, obj.image, p) for p in (p1, p2)]
    if side == "same":
        ok = [u == obj.index for u in under]
    else:
        ok = [u >= 0 and u != obj.index for u in under]
    if sum(ok) != 1:
        fail(f"{sum(ok)} of the two points lie on {'the' if side == 'same' else 'another'} object")
    return p1 if ok[0] else p2


@op("closer_point", inputs=[POINT, POINT], args=[DEPTH_ORDER], out=POINT, requires=("masks", "depth"))
def closer_point(ctx: ExecutionContext, p1: Point, p2: Point, which: str) -> Point:
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
        if ctx.has_regions:
            no_region(ctx, 0, (found,), "the depth at a point")
        values.append(float(depth[found]))
    if values[0] == values[1]:
        fail("the two points have the same depth")
    first = values[0] < values[1] if which == "closer" else values[0] > values[1]
    return p1 if first else p2
