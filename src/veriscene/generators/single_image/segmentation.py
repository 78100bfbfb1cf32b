"""Segmentation questions about points (need instance masks).

- segmentation.same_object.v1: Which of the points P and Q lies on the same object as point A?
- segmentation.different_object.v1: Which of P and Q lies on a different object than A?
- segmentation.point_object.v1: What object (what color, ...) is at point P?

Points are drawn on the interior of an object's *visible* mask (at least `margin_px` from its
edge, see `regions.PointSampler`), rendered in `box_format` and read back, so the program holds
exactly the point the question shows. Two points on the same object are at least
`min_distance_frac` of its box diagonal apart (otherwise "same object" is trivial proximity).

With ``marks: true`` the points are drawn on the image as labelled marks (`veriscene.scene.marks`)
and the question names their labels: "Which of the points A and B lies on the same object as the
point C?" (A and B: the options, in the order listed; C: the reference point), answered with the
label ("str": `mark_label` of the point `point_on` picks); "What object is at the point A?". Three
points whose marks would touch are not asked about (`scene.marks.marks_apart`). A marked point lies
a mark's reach or more inside its object's visible mask (`regions.point_margin`), so its ring lies
on the object: a ring its edge crosses encloses two surfaces, and which one the label names is a
guess for the viewer. Marks go only on objects they leave seen (`regions.fit_for_marks`: the box's
shorter side four reaches or more, as multi.marked_point's; a ring on a smaller one covers most of
it), and each label at the corner of its ring where it hides the least of the marked objects and
of small other objects, never another mark (`regions.label_corners`, ``label_at``). Candidates so
left out are counted (``marks_unplaced:<generator>``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Sequence

from mypy_extensions import mypyc_attr

from veriscene.generators.base import Batch, Candidate, GenContext, Generator, GeneratorConfig
from veriscene.generators.common import sample_up_to
from veriscene.generators.registry import register
from veriscene.generators.regions import (
    MARKS_CLASH, MARKS_UNPLACED, PointSampler, add_point, clear_marks, coord_meta, fit_for_marks, label_corners,
    mark_meta, mark_text, placed_marks, point_margin, point_text,
)
from veriscene.generators.single_image.attributes import asked_values
from veriscene.generators.vocabulary_draws import likely_wrong_attributes, likely_wrong_names
from veriscene.program.builder import ProgramBuilder
from veriscene.scene.model import Scene


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class SegmentationConfig(GeneratorConfig):
    margin_px: int = 4  # points lie at least this far inside the visible mask (marked: a mark's reach or more)
    min_distance_frac: float = 0.3  # two points on one object: apart by this share of its box diagonal
    max_others: int = 3  # objects tried for the point that lies elsewhere, per target object
    marks: bool = False  # draw the points on the image, labelled "A", "B", ..., and ask about the labels


@mypyc_attr(allow_interpreted_subclasses=True)
class _PointPair(Generator):
    """Shared construction: point A and P on object i, Q on another object j; both orders.

    Points are drawn only for the candidates picked (a `Batch`): one per target object i and
    order, grouped by i for balancing (the answer is a point still to be drawn)."""

    side: ClassVar[str] = "same"  # "same": the answer is P; "different": the answer is Q
    answer_type = "point"
    requires = ("masks",)
    Config = SegmentationConfig

    def __init__(self, config: SegmentationConfig | None = None) -> None:
        super().__init__(config)
        # marked points are answered by their label
        self.answer_type = "str" if self.config.marks else "point"  # type: ignore[attr-defined,misc]

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        config: SegmentationConfig = self.config  # type: ignore[assignment]
        sampler = PointSampler(ctx.exec_ctx, config.box_format, point_margin(config.margin_px, config.marks, ctx.scene))
        # candidate 2i: P listed first, 2i + 1: second; both keyed by object i
        if config.marks:  # only objects a mark leaves seen (`regions.fit_for_marks`)
            fit = [i for i in range(len(ctx.scene)) if fit_for_marks(ctx.scene, (i,))]
            ctx.count(MARKS_UNPLACED, 2 * (len(ctx.scene) - len(fit)))
            keys = [["points on", i] for i in fit for _ in range(2)]
            yield Batch(keys, lambda k: self._make(ctx, sampler, fit[k // 2], k % 2 == 0, fit))
            return
        keys = [["points on", i] for i in range(len(ctx.scene)) for _ in range(2)]
        yield Batch(keys, lambda k: self._make(ctx, sampler, k // 2, k % 2 == 0))

    def _make(self, ctx: GenContext, sampler: PointSampler, i: int, p_first: bool,
              fit: Sequence[int] | None = None) -> Candidate | None:
        """A on i and P on i, apart; Q on one of up to `max_others` other objects tried (marked:
        of `fit`, those a mark leaves seen); P listed first or second. None when i or every object
        tried has too little interior."""
        config: SegmentationConfig = self.config  # type: ignore[assignment]
        x0, y0, x1, y1 = ctx.scene.boxes[i].tolist()
        pair = sampler.sample(ctx.rng, i, 2, min_distance=config.min_distance_frac * math.hypot(x1 - x0, y1 - y0))
        if pair is None:
            return None
        (ta, xa), (tp, xp) = pair
        # the other objects, drawn as positions t in 0..n-2 standing for t (before i) or t + 1: the
        # same draws as from a list of them, which was made per candidate tried (N x N on a scene
        # whose objects mostly have too little interior)
        # (marked: of the objects `fit` but i, at positions t of the same list)
        others = range(len(ctx.scene) - 1) if fit is None else [j for j in fit if j != i]
        for t in sample_up_to(ctx.rng, range(len(others)), config.max_others):
            q = t + (t >= i) if fit is None else others[t]
            found = sampler.sample(ctx.rng, q)
            if found is not None:
                break
        else:
            return None
        tq, xq = found[0]
        answer, other = (xp, xq) if self.side == "same" else (xq, xp)
        (t1, x1_), (t2, x2_) = ((tp, xp), (tq, xq)) if p_first else ((tq, xq), (tp, xp))
        b = ProgramBuilder()
        if config.marks:  # the options "A" and "B" in the order listed, the reference point "C"
            marks = clear_marks(ctx.scene, [x1_, x2_, xa])
            if marks is None:  # marks that would touch: not asked (counted, and as rejected_unmade)
                ctx.count(MARKS_CLASH)
                return None
            corners = label_corners(ctx.exec_ctx, [x1_, x2_, xa], [i, q, i] if p_first else [q, i, i])
            if corners is None:  # no place for a label clear of the other marks: not asked (counted)
                ctx.count(MARKS_UNPLACED)
                return None
            marks = [{**m, "label_at": corner} for m, corner in zip(marks, corners)]
            la, lb, lc = (m["label"] for m in marks)
            nodes = add_point(b, x1_, la), add_point(b, x2_, lb), add_point(b, xa, lc)
            anchor = b.add("object_at_point", b.add("scene", args=[0]), nodes[2])
            b.add("mark_label", b.add("point_on", anchor, nodes[0], nodes[1], args=[self.side]))
            first_wins = (self.side == "same") == p_first
            return Candidate(b.program, {"pa": lc, "p1": la, "p2": lb}, expected=la if first_wins else lb,
                             distractors=[lb if first_wins else la], marks=marks,
                             meta=mark_meta(ctx.scene, [la, lb], answered=True))  # (C: no answer)
        anchor = b.add("object_at_point", b.add("scene", args=[0]), b.add("point", args=xa))
        b.add("point_on", anchor, b.add("point", args=x1_), b.add("point", args=x2_), args=[self.side])
        return Candidate(b.program, {"pa": ta, "p1": t1, "p2": t2}, expected=answer, distractors=[other],
                         meta=coord_meta(ctx.scene, config.box_format))

    def choice_text(self, value: Any, scene: Scene) -> str:
        if self.config.marks:  # type: ignore[attr-defined]
            return mark_text(value)
        return point_text(scene, value, self.config.box_format)


@mypyc_attr(allow_interpreted_subclasses=True)
class SameObjectPoint(_PointPair):
    """Which of two points lies on the same object as a third?"""

    side = "same"
    description = "Which of two points lies on the same object as a given point."
    templates = {
        "default": ("Which of the points {p1} and {p2} lies on the same object as the point {pa}?",
                    "The point {pa} is on an object. Which point is on that same object: {p1} or {p2}?",
                    "Does {p1} or {p2} belong to the same object as {pa}?"),
    }


register("segmentation.same_object.v1", family="segmentation")(SameObjectPoint)


@mypyc_attr(allow_interpreted_subclasses=True)
class DifferentObjectPoint(_PointPair):
    """Which of two points lies on a different object than a third?"""

    side = "different"
    description = "Which of two points lies on a different object than a given point."
    templates = {
        "default": ("Which of the points {p1} and {p2} lies on a different object than the point {pa}?",
                    "The point {pa} is on an object. Which point is on another object: {p1} or {p2}?",
                    "Does {p1} or {p2} belong to a different object than {pa}?"),
    }


register("segmentation.different_object.v1", family="segmentation")(DifferentObjectPoint)


@mypyc_attr(allow_interpreted_subclasses=True)
class PointObject(Generator):
    """What object is at point P? What is the <kind> of the object at point P?"""

    answer_type = "str"
    requires = ("masks",)
    Config = SegmentationConfig
    description = "Which object (its name or an attribute) contains a given point."
    templates = {
        "name": ("What object is at the point {p}?", "Which object contains the point {p}?",
                 "Name the object located at {p}."),
        "attribute": ("What is the {kind} of the object at the point {p}?",
                      "The point {p} lies on an object. What {kind} is it?"),
        # ``marks: true``: the point drawn on the image, labelled {p} ("A")
        "name_marks": ("What object is at the point {p}?", "Which object does the marked point {p} lie on?",
                       "Name the object under the point marked {p}."),
        "attribute_marks": ("What is the {kind} of the object at the point {p}?",
                            "The marked point {p} lies on an object. What {kind} is it?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        # Grouped by the answer (known up front); the point is drawn only if picked.
        config: SegmentationConfig = self.config  # type: ignore[assignment]
        sampler = PointSampler(ctx.exec_ctx, config.box_format, point_margin(config.margin_px, config.marks, ctx.scene))
        answers: list[str] = []
        asked: list[tuple[GenContext, PointSampler, int, str | None, str | None]] = []
        for i, (name, values) in enumerate(zip(ctx.scene.names, asked_values(ctx.index))):
            if config.marks and not fit_for_marks(ctx.scene, (i,)):  # a mark would hide it (counted)
                ctx.count(MARKS_UNPLACED, 1 + len(values))
                continue
            answers.append(name)
            asked.append((ctx, sampler, i, None, None))
            # each type once, in the order of its first word, answered as `query_attribute` does
            for kind, value in values:
                answers.append(value)
                asked.append((ctx, sampler, i, kind, value))
        yield Batch.of(answers, asked, self._make)

    def _make(self, ctx: GenContext, sampler: PointSampler, i: int, kind: str | None,
              attr: str | None) -> Candidate | None:
        """What is at (the <kind> of the object at, `attr`) a point drawn on object i; None when
        i has too little interior."""
        config: SegmentationConfig = self.config  # type: ignore[assignment]
        found = sampler.sample(ctx.rng, i)
        if found is None:
            return None
        text, p = found[0]
        b = ProgramBuilder()
        # the point drawn on the image, "A", its label where it hides the least of object i
        marks = placed_marks(ctx.exec_ctx, [p], [i]) if config.marks else None
        if config.marks and marks is None:  # no corner for its label inside the image (counted)
            ctx.count(MARKS_UNPLACED)
            return None
        if marks is not None:
            text = marks[0]["label"]
        obj = b.add("object_at_point", b.add("scene", args=[0]), add_point(b, p, text if marks else None))
        meta = mark_meta(ctx.scene, [text], answered=False) if marks else coord_meta(ctx.scene, config.box_format)
        if kind is None:
            b.add("query_name", obj)
            name = ctx.scene.names[i]
            return Candidate(b.program, {"p": text}, group="name_marks" if marks else "name", expected=name,
                             distractors=likely_wrong_names(ctx.rng, ctx.vocab, name, config.num_choices - 1,
                                                            ctx.index), meta=meta, marks=marks)
        assert attr is not None, "an attribute question has its answer"
        b.add("query_attribute", obj, args=[kind])
        wrong = likely_wrong_attributes(ctx.rng, ctx.vocab, kind, attr, config.num_choices - 1)
        return Candidate(b.program, {"p": text, "kind": kind}, group="attribute_marks" if marks else "attribute",
                         expected=attr,
                         distractors=wrong, meta=meta, marks=marks)


register("segmentation.point_object.v1", family="segmentation")(PointObject)
