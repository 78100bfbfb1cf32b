"""Ops on points drawn on the image as labelled marks (BLINK-style questions: "Which point is
closer to the camera: A or B?", the points circled on the image and labelled "A", "B").

A marked point is a literal point that carries its label: `marked_point` ("A", x, y) is the
point (x, y) in pixels, as `point` gives it, and the ops on points take it as any point (they
return one of their inputs, so the label goes with it). `mark_label` answers with the label of
the marked point a program picks. The sample's image carries the same marks
(``images[0]["marks"]``: `veriscene.scene.marks`), which `verify` checks against the program's
`marked_point` nodes (`veriscene.scene.marks.program_marks`).
"""

from __future__ import annotations

from veriscene.program.context import ExecutionContext
from veriscene.program.ops import fail
from veriscene.program.ops_geometry import point
from veriscene.program.registry import op
from veriscene.program.types import POINT, STR


class MarkedPoint(tuple):  # type: ignore[type-arg]
    """(x, y) in pixels, with the `label` drawn beside it on the image; equal to the plain point."""

    label: str

    def __new__(cls, x: float, y: float, label: str) -> "MarkedPoint":
        made = super().__new__(cls, (x, y))
        made.label = label
        return made

    def __getnewargs__(self) -> tuple[float, float, str]:
        return self[0], self[1], self.label  # (pickled as made)


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
