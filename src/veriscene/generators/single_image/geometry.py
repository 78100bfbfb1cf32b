"""Questions answered from geometry alone (boxes and mask areas), not from annotated relations.

- spatial.relation.v1: Is the A to the left or to the right of the B? (above or below?) Asked
  only when the two boxes are apart along that axis by at least `position_margin` of the image
  side, so the answer is plain to see (the `relative_position` op fails when boxes overlap).
- size.compare.v1: Is the A larger (smaller) than the B? Areas are visible mask areas when masks
  exist, else box areas, and must differ by a factor of at least `area_ratio`. Objects are never
  described by their size attribute here ("Is the large circle larger than ...?").

Both pair up at most `common.MAX_PAIRED_OBJECTS` objects of a scene (drawn at random on denser
scenes), so their cost per scene stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Iterable

import numpy as np

from veriscene.generators.agreement import plural_slots
from veriscene.generators.base import Batch, Candidate, GenContext, Generator, GeneratorConfig
from veriscene.generators.common import is_extreme_of_pair, paired_objects, referent_query
from veriscene.generators.registry import register
from veriscene.generators.single_image.spatial import box_areas
from veriscene.scene.describe import Referent, referents

_OPPOSITE = {"left": "right", "right": "left", "above": "below", "below": "above"}


@dataclass(frozen=True)
class GeometryConfig(GeneratorConfig):
    position_margin: float = 0.02  # min gap between the boxes along the axis, share of the image side
    area_ratio: float = 1.5  # min ratio of the larger to the smaller area


@register("spatial.relation.v1", family="spatial")
class GeometricRelation(Generator):
    """Is the A to the left or to the right of the B? Is the A above or below the B?"""

    answer_type = "str"
    Config = GeometryConfig
    description = "Left/right or above/below between two objects, from their boxes."
    templates = {
        "horizontal": ("Is {the_a} to the left or to the right of {the_b}?",
                       "On which side of {the_b} is {the_a}: left or right?",
                       "Relative to {the_b}, is {the_a} on the left or on the right?"),
        "vertical": ("Is {the_a} above or below {the_b}?",
                     "Relative to {the_b}, is {the_a} above {it} or below {it}?",
                     "Is {the_a} located above or below {the_b} in the image?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        config: GeometryConfig = self.config  # type: ignore[assignment]
        refs = referents(ctx.index, allow_relations=False)
        boxes = ctx.index.box_list
        axes = (("horizontal", 0, 2, config.position_margin * ctx.scene.width),
                ("vertical", 1, 3, config.position_margin * ctx.scene.height))
        objects = paired_objects(ctx.rng, list(refs))
        answers: list[str] = []
        asked: list[tuple[Referent, Referent, str, str]] = []
        for a in objects:
            box_a = boxes[a]
            for o in objects:
                if a == o:
                    continue
                box_o = boxes[o]
                for axis, lo, hi, margin in axes:
                    if box_a[hi] + margin <= box_o[lo]:
                        answer = "left" if axis == "horizontal" else "above"
                    elif box_o[hi] + margin <= box_a[lo]:
                        answer = "right" if axis == "horizontal" else "below"
                    else:
                        continue
                    answers.append(answer)
                    asked.append((refs[a], refs[o], axis, answer))
        # many per scene, one or two used: phrased only if picked
        yield Batch.of(answers, asked, _position_candidate)


def _position_candidate(a: Referent, o: Referent, axis: str, answer: str) -> Candidate:
    # {it}: the B again ("them" for a name plural in form: "Relative to the pants, ... above them")
    it = "them" if o.plural else "it"
    return Candidate(None, {"the_a": a.the, "the_b": o.the, "it": it}, group=axis, expected=answer,
                     distractors=[_OPPOSITE[answer]], sides=axis == "horizontal", vertical=axis == "vertical",
                     plural=plural_slots(the_a=a),
                     build=partial(referent_query, (a, o), "relative_position", (axis,)))


@register("size.compare.v1", family="size")
class CompareSize(Generator):
    """Is the A larger (smaller) than the B? (visible area, clear ratio)"""

    answer_type = "bool"
    Config = GeometryConfig
    description = "Which of two objects is larger in the image (mask or box area)."
    templates = {
        "largest": ("Is {the_a} larger than {the_b}?", "Does {the_a} take up more space in the image than {the_b}?",
                    "Is {the_a} bigger than {the_b} in this picture?"),
        "smallest": ("Is {the_a} smaller than {the_b}?", "Does {the_a} take up less space in the image than {the_b}?",
                     "Is {the_a} smaller than {the_b} in this picture?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        config: GeometryConfig = self.config  # type: ignore[assignment]
        refs = referents(ctx.index, allow_relations=False, exclude_types=("size",))
        areas = ctx.index.area_list
        ratio = config.area_ratio
        objects = paired_objects(ctx.rng, list(refs))
        # every ordered pair (a, o) of distinct objects whose areas differ by `ratio`, a first
        mine = np.array([areas[i] for i in objects], dtype=np.float64)
        lower = np.minimum(mine[:, None], mine[None, :])
        with np.errstate(divide="ignore", invalid="ignore"):
            clear = (lower > 0) & (np.maximum(mine[:, None], mine[None, :]) / lower >= ratio)
        # ... and whose boxes rank them the same way: a star's mask fills about half its box, a
        # square's all of it, so by area alone a star looking as large is "smaller" (spatial.box_areas)
        boxed = np.array([box_areas(ctx)[i] for i in objects], dtype=np.float64)
        clear &= np.sign(mine[:, None] - mine[None, :]) == np.sign(boxed[:, None] - boxed[None, :])
        clear[np.diag_indices(len(objects))] = False
        at_a, at_o = np.nonzero(clear)
        truths: list[bool] = []
        asked: list[tuple[Referent, Referent, str, bool]] = []
        larger, smaller = (mine[at_a] > mine[at_o]).tolist(), (mine[at_a] < mine[at_o]).tolist()
        for a, o, is_larger, is_smaller in zip(at_a.tolist(), at_o.tolist(), larger, smaller):
            ref_a, ref_o = refs[objects[a]], refs[objects[o]]
            truths += (is_larger, is_smaller)
            asked += ((ref_a, ref_o, "largest", is_larger), (ref_a, ref_o, "smallest", is_smaller))
        # many per scene, one or two used: phrased only if picked
        yield Batch.of(truths, asked, _size_candidate)


def _size_candidate(a: Referent, o: Referent, which: str, truth: bool) -> Candidate:
    return Candidate(None, {"the_a": a.the, "the_b": o.the}, group=which, expected=truth, distractors=[not truth],
                     plural=plural_slots(the_a=a), build=partial(is_extreme_of_pair, a, o, which))
