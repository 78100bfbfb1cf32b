"""Ops over object sets: name frequency, depth relative to an anchor, short object descriptions.

Depth convention: per-object relative depth, **smaller = closer** to the camera, everywhere.
"""

from __future__ import annotations

from collections import Counter

from veriscene.program.context import ExecutionContext
from veriscene.program.ops import fail, incomplete, no_region
from veriscene.program.registry import op
from veriscene.program.types import OBJECT, OBJECTS, STR, TEXT, Obj, Objs
from veriscene.text import with_article

FREQUENCIES = ("most", "least")
DEPTH_SIDES = ("closer", "farther")


@op("frequent_name", inputs=[OBJECTS], args=[FREQUENCIES], out=STR)
def frequent_name(ctx: ExecutionContext, objs: Objs, which: str) -> str:
    """The name occurring most (least) often in the set; fails on an empty set or a tie."""
    if not objs.complete:
        incomplete(objs, "how often each name occurs")
    if ctx.has_regions:
        no_region(ctx, objs.image, objs.idx, "how often each name occurs")
    counts = Counter(ctx.scene(objs.image).names[i] for i in objs.idx)
    if not counts:
        fail("no objects to count")
    ranked = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=which == "most")
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        fail(f"'{ranked[0][0]}' and '{ranked[1][0]}' tie for the {which} frequent name")
    return ranked[0][0]


@op("filter_depth", inputs=[OBJECTS, OBJECT], args=[DEPTH_SIDES], out=OBJECTS, requires=("depth",))
def filter_depth(ctx: ExecutionContext, objs: Objs, anchor: Obj, side: str) -> Objs:
    """Objects of the set closer to (farther from) the camera than the anchor (smaller depth =
    closer); the anchor itself is never included."""
    if objs.image != anchor.image:
        fail("objects come from different images")
    depth = ctx.scene(objs.image).depth
    if depth is None:
        fail("the scene has no depth")
    ref = float(depth[anchor.index])
    if side == "closer":
        keep = tuple(i for i in objs.idx if float(depth[i]) < ref)
    else:
        keep = tuple(i for i in objs.idx if float(depth[i]) > ref)
    return Objs(objs.image, keep, objs.complete)


@op("describe_object", inputs=[OBJECT], out=TEXT)
def describe_object(ctx: ExecutionContext, obj: Obj) -> str:
    """The object's name with all its attributes in English adjective order, with an article:
    "a large shiny red circle"."""
    if ctx.has_regions:
        no_region(ctx, obj.image, (obj.index,), "the description of one object")
    from veriscene.scene.describe import noun_phrase  # (here: scene.describe imports program.context)

    scene = ctx.scene(obj.image)
    return with_article(noun_phrase(scene.names[obj.index], scene.attributes[obj.index]))
