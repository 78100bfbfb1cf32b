"""Ops on points drawn on the image as labelled marks (BLINK-style questions: "Which point is
closer to the camera: A or B?", the points circled on the image and labelled "A", "B").

A marked point is a literal point that carries its label: `marked_point` ("A", x, y) is the
point (x, y) in pixels, as `point` gives it, and the ops on points take it as any point (they
return one of their inputs, so the label goes with it). `mark_label` answers with the label of
the marked point a program picks. The sample's image carries the same marks
(``images[0]["marks"]``: `veriscene.scene.marks`), which `verify` checks against the program's
`marked_point` nodes (`veriscene.scene.marks.program_marks`).

On a sample of several images each image may carry its own marks: `image_marked_point` (k, "B",
x, y) is a marked point drawn on image k (images[k]["marks"]), and `marked_on` says whether a
marked point lies on one of a set of objects of its image ("In which image does the marked point
lie on a dog?": `marked_on` per image, then `select_image{n}` picks the one image where it does).
On scenes annotated with boxes alone, `marked_in_box` says instead whether the marked point lies
inside one of the objects' boxes ("In which image does the marked point lie inside the bounding
box of a dog?"): a box is not its object's outline, so no point inside it is known to lie on the
object (between a man's legs, in a ring's hole), while inside or outside the box is known.
"""

from __future__ import annotations

from veriscene.program.context import ExecutionContext
from veriscene.program.ops import fail, incomplete
from veriscene.program.ops_geometry import point, point_inside
from veriscene.program.ops_masks import scene_masks
from veriscene.program.registry import op
from veriscene.program.types import BOOL, OBJECTS, POINT, STR, Objs, Point


class MarkedPoint(tuple):  # type: ignore[type-arg]
    """(x, y) in pixels, with the `label` drawn beside it on image `image` (0: the first);
    equal to the plain point."""

    label: str
    image: int

    def __new__(cls, x: float, y: float, label: str, image: int = 0) -> "MarkedPoint":
        made = super().__new__(cls, (x, y))
        made.label = label
        made.image = image
        return made

    def __getnewargs__(self) -> tuple[float, float, str, int]:
        return self[0], self[1], self.label, self.image  # (pickled as made)


@op("marked_point", inputs=[], args=[str, float, float], out=POINT)
def marked_point(ctx: ExecutionContext, label: str, x: float, y: float) -> MarkedPoint:
    """A literal point (x, y) in pixels drawn on the image with the mark `label` ("A"); fails as
    `point` does, and on an empty label."""
    if not label.strip():
        fail("a marked point needs a label")
    x, y = point(ctx, x, y)
    return MarkedPoint(x, y, label)


@op("mark_label", inputs=[POINT], out=STR)
def mark_label(ctx: ExecutionContext, p: tuple[float, float]) -> str:
    """The label of a marked point ("A"); fails on a point that is not marked."""
    if not isinstance(p, MarkedPoint):
        fail(f"point {list(p)} is not a marked point (it has no label)")
    return p.label


@op("image_marked_point", inputs=[], args=[int, str, float, float], out=POINT)
def image_marked_point(ctx: ExecutionContext, image: int, label: str, x: float, y: float) -> MarkedPoint:
    """A literal point (x, y) in pixels drawn on image `image` (0-based) with the mark `label`
    (images[image]["marks"]); fails as `marked_point` does, on an image the sample does not
    have, and on a point outside that image."""
    if not 0 <= image < len(ctx.scenes):
        fail(f"image {image} is not one of the sample's {len(ctx.scenes)} images")
    p = marked_point(ctx, label, x, y)
    point_inside(ctx, image, p)
    return MarkedPoint(p[0], p[1], label, image)


@op("marked_on", inputs=[OBJECTS, POINT], out=BOOL, requires=("masks",))
def marked_on(ctx: ExecutionContext, objs: Objs, p: Point) -> bool:
    """Whether a marked point lies on one of the objects (its pixel in one of their visible
    masks, crowd and stuff regions of theirs included). Fails on a point that is not marked, or
    marked on another image than the objects'; and, where it lies on none of them, when the set
    may miss objects (`Objs.complete`: an unannotated one might lie there)."""
    if not isinstance(p, MarkedPoint):
        fail(f"point {list(p)} is not a marked point (it has no label)")
    if p.image != objs.image:
        fail(f"mark {p.label} is drawn on image {p.image}, the objects are of image {objs.image}")
    col, row = point_inside(ctx, objs.image, p)
    under = scene_masks(ctx, objs.image).at(col, row)
    if any(i in objs.idx for i in under):
        return True
    if not objs.complete:
        incomplete(objs, f"whether mark {p.label} lies on one of them")
    return False


@op("marked_in_box", inputs=[OBJECTS, POINT], out=BOOL)
def marked_in_box(ctx: ExecutionContext, objs: Objs, p: Point) -> bool:
    """Whether a marked point lies inside one of the objects' boxes (x0 <= x <= x1, y0 <= y <=
    y1, pixels; edges included). Fails as `marked_on` does: on a point that is not marked, or
    marked on another image than the objects'; and, where it lies inside none of them, when the
    set may miss objects (`Objs.complete`)."""
    if not isinstance(p, MarkedPoint):
        fail(f"point {list(p)} is not a marked point (it has no label)")
    if p.image != objs.image:
        fail(f"mark {p.label} is drawn on image {p.image}, the objects are of image {objs.image}")
    point_inside(ctx, objs.image, p)
    x, y = p[0], p[1]
    boxes = ctx.index(objs.image).box_list
    for i in objs.idx:
        x0, y0, x1, y1 = boxes[i]
        if x0 <= x <= x1 and y0 <= y <= y1:
            return True
    if not objs.complete:
        incomplete(objs, f"whether mark {p.label} lies inside the box of one of them")
    return False
