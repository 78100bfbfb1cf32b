"""Grounding: the bounding box of a uniquely described object (answer checked by IoU)."""

from __future__ import annotations

from functools import partial
from typing import Any, Iterable

from mypy_extensions import mypyc_attr

from veriscene.generators.agreement import plural_slots
from veriscene.generators.base import Batch, Candidate, GenContext, Generator
from veriscene.generators.common import referent_query
from veriscene.generators.regions import box_text, rounded_boxes
from veriscene.generators.registry import register
from veriscene.scene.describe import Referent, referents
from veriscene.scene.model import Scene

# How each coordinate convention is stated in the question.
FORMAT_NOTES = {
    "norm1": "Answer with [x0, y0, x1, y1], coordinates normalised to 0-1 with three decimals.",
    "norm1000": "Answer with [x0, y0, x1, y1], coordinates as integers from 0 to 1000.",
    "pixel": "Answer with [x0, y0, x1, y1] in pixels.",
}
# ... and where options follow, which are answered by their letter (the note said "Answer with
# [x0, y0, x1, y1]" and the options' line "Answer with the option's letter")
MC_FORMAT_NOTES = {
    "norm1": "Boxes are [x0, y0, x1, y1], coordinates normalised to 0-1 with three decimals.",
    "norm1000": "Boxes are [x0, y0, x1, y1], coordinates as integers from 0 to 1000.",
    "pixel": "Boxes are [x0, y0, x1, y1] in pixels.",
}


@mypyc_attr(allow_interpreted_subclasses=True)
class BoxFormatNote:
    """For a generator whose questions end with the box convention in their "fmt" slot: said as
    an instruction in open questions, as a description of the options in multiple choice."""

    config: Any

    def mode_slots(self, slots: dict[str, Any], mode: str) -> dict[str, Any]:
        if mode == "mc":
            return {**slots, "fmt": MC_FORMAT_NOTES[self.config.box_format]}
        return slots


@mypyc_attr(allow_interpreted_subclasses=True)
class GroundObject(BoxFormatNote, Generator):
    """Give the bounding box of the <referring expression>."""

    answer_type = "box"
    description = "Bounding box of a uniquely described object."
    templates = {
        "default": (
            "Give the bounding box of {the_ref}. {fmt}",
            "Where is {the_ref}? {fmt}",
            "Locate {the_ref} in the image. {fmt}",
            "Output the bounding box of {the_ref}. {fmt}",
        )
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        boxes = rounded_boxes(ctx.scene)
        refs = referents(ctx.index)
        # one per object, one or two used: phrased only if picked
        yield Batch.of([boxes[i] for i in refs], [(ref, boxes) for ref in refs.values()], self._make)

    def _make(self, ref: Referent, boxes: list[list[float]]) -> Candidate:
        others = [box for j, box in enumerate(boxes) if j != ref.index]
        slots = {"the_ref": ref.the, "fmt": FORMAT_NOTES[self.config.box_format]}
        return Candidate(None, slots, distractors=others, expected=boxes[ref.index], plural=plural_slots(the_ref=ref),
                         build=partial(referent_query, (ref,), "query_box"))

    def choice_text(self, value: Any, scene: Scene) -> str:
        return box_text(scene, value, self.config.box_format)


register("grounding.box.v1", family="grounding")(GroundObject)
