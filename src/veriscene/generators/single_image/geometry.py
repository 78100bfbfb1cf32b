"""Questions answered from geometry alone (boxes and mask areas), not from annotated relations.

- spatial.relation.v1: Is the A to the left or to the right of the B? (above or below?) Asked
  only when the two boxes are apart along that axis by at least `position_margin` of the image
  side, so the answer is plain to see (the `relative_position` op fails when boxes overlap).
- size.compare.v1: Is the A larger (smaller) than the B? Areas are visible mask areas when masks
  exist, else box areas, and must differ by a factor of at least `area_ratio`. Objects are never
  described by their size attribute here ("Is the large circle larger than ...?"), nor compared
  when named as a substance or a surface (`sized_thing`: "Is the road smaller than the traffic
  light?" is answered by the names alone).

Both pair up at most `common.MAX_PAIRED_OBJECTS` objects of a scene (drawn at random on denser
scenes), so their cost per scene stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Iterable, Sequence

import numpy as np
from mypy_extensions import mypyc_attr

from veriscene.generators.agreement import plural_slots
from veriscene.generators.base import Batch, Candidate, GenContext, Generator, GeneratorConfig
from veriscene.generators.common import is_extreme_of_pair, paired_objects, referent_query
from veriscene.generators.registry import register
from veriscene.generators.single_image.spatial import box_areas
from veriscene.scene.describe import Referent, referents
from veriscene.text import is_mass, is_uncountable

_OPPOSITE = {"left": "right", "right": "left", "above": "below", "below": "above"}


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class GeometryConfig(GeneratorConfig):
    position_margin: float = 0.02  # min gap between the boxes along the axis, share of the image side
    area_ratio: float = 1.5  # min ratio of the larger to the smaller area


@mypyc_attr(allow_interpreted_subclasses=True)
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


register("spatial.relation.v1", family="spatial")(GeometricRelation)


def _position_candidate(a: Referent, o: Referent, axis: str, answer: str) -> Candidate:
    # {it}: the B again ("them" for a name plural in form: "Relative to the pants, ... above them")
    it = "them" if o.plural else "it"
    return Candidate(None, {"the_a": a.the, "the_b": o.the, "it": it}, group=axis, expected=answer,
                     distractors=[_OPPOSITE[answer]], sides=axis == "horizontal", vertical=axis == "vertical",
                     plural=plural_slots(the_a=a),
                     build=partial(referent_query, (a, o), "relative_position", (axis,)))


@mypyc_attr(allow_interpreted_subclasses=True)
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
        names = ctx.scene.names
        objects = paired_objects(ctx.rng, [i for i in refs if sized_thing(names[i])])
        truths: list[bool] = []
        asked: list[tuple[Referent, Referent, str, bool]] = []
        for a, o, is_larger, is_smaller in clear_size_pairs(objects, areas, box_areas(ctx), ratio):
            ref_a, ref_o = refs[a], refs[o]
            truths += (is_larger, is_smaller)
            asked += ((ref_a, ref_o, "largest", is_larger), (ref_a, ref_o, "smallest", is_smaller))
        # many per scene, one or two used: phrased only if picked
        yield Batch.of(truths, asked, _size_candidate)


register("size.compare.v1", family="size")(CompareSize)


# Grounds and backdrops a scene stands on or against, not among `MASS_NOUNS` (`is_mass`): larger in
# the image than any thing on them, as a prior knows ("Is the bicycle smaller than the street?").
_GROUNDS = frozenset(["street", "sidewalk", "ocean", "lake", "beach", "shore", "hill", "hillside", "mountain",
                      "mountains", "background"])


@lru_cache(maxsize=65536)
def sized_thing(name: str) -> bool:
    """Whether objects of `name` are compared by size: not a substance (`is_uncountable`: 'sand',
    'grass'), nor a name of an area as much as of a thing (`is_mass`: 'road', 'wall', 'field',
    'tile'), nor a ground or backdrop (`_GROUNDS`: 'street', 'ocean'). Their boxes are patches or
    spans of the view, not objects, and the names alone answer a comparison with a thing ("Is
    the road smaller than the traffic light?"), as counting leaves substances out
    (`common.uncountable_names`)."""
    return not (is_uncountable(name) or is_mass(name) or name.rsplit(" ", 1)[-1] in _GROUNDS)


# Up to this many objects, `clear_size_pairs` compares them in plain Python (numpy's calls cost
# more than the demo's 3-8 objects' pairs), beyond it in numpy (up to 16 x 15 pairs).
_FEW_SIZED = 8


def clear_size_pairs(objects: Sequence[int], areas: Sequence[float], boxed: Sequence[float],
                     ratio: float) -> list[tuple[int, int, bool, bool]]:
    """(a, o, a is larger, a is smaller) for every ordered pair of distinct `objects` (a first,
    in their order) whose `areas` differ by a factor of `ratio` and whose box areas `boxed` rank
    them the same way: a star's mask fills about half its box, a square's all of it, so by area
    alone a star looking as large is "smaller" (spatial.box_areas)."""
    if len(objects) <= _FEW_SIZED:
        found = []
        for a in objects:
            area_a, box_a = areas[a], boxed[a]
            for o in objects:
                area_o, box_o = areas[o], boxed[o]
                if area_a > area_o:
                    if area_o > 0 and area_a / area_o >= ratio and box_a > box_o:
                        found.append((a, o, True, False))
                elif area_o > area_a:
                    if area_a > 0 and area_o / area_a >= ratio and box_o > box_a:
                        found.append((a, o, False, True))
                elif a != o and area_a > 0 and ratio <= 1 and box_a == box_o:  # equal, where ratio allows
                    found.append((a, o, False, False))
        return found
    mine = np.array([areas[i] for i in objects], dtype=np.float64)
    lower = np.minimum(mine[:, None], mine[None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        clear = (lower > 0) & (np.maximum(mine[:, None], mine[None, :]) / lower >= ratio)
    box = np.array([boxed[i] for i in objects], dtype=np.float64)
    clear &= np.sign(mine[:, None] - mine[None, :]) == np.sign(box[:, None] - box[None, :])
    clear[np.diag_indices(len(objects))] = False
    at_a, at_o = np.nonzero(clear)
    larger, smaller = (mine[at_a] > mine[at_o]).tolist(), (mine[at_a] < mine[at_o]).tolist()
    return [(objects[a], objects[o], is_larger, is_smaller)
            for a, o, is_larger, is_smaller in zip(at_a.tolist(), at_o.tolist(), larger, smaller)]


def _size_candidate(a: Referent, o: Referent, which: str, truth: bool) -> Candidate:
    return Candidate(None, {"the_a": a.the, "the_b": o.the}, group=which, expected=truth, distractors=[not truth],
                     plural=plural_slots(the_a=a), build=partial(is_extreme_of_pair, a, o, which))
