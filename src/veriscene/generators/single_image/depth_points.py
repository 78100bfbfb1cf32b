"""Depth questions about points and about objects relative to an anchor object.

Depth convention, everywhere: per-object relative depth, **smaller = closer** to the camera; a
point's depth is the depth of the object whose visible mask holds it.

- depth.points.v1 (depth + masks): Which point is closer to the camera: [x, y] or [x, y]?
  Answer: the point. Points are drawn on the interior of two objects' visible masks. With
  ``marks: true`` the points are drawn on the image, labelled "A" and "B" (`veriscene.scene.marks`),
  the question names the labels and the answer is one ("str"; `mark_label` of the point picked);
  two points whose marks would touch are not asked about (`scene.marks.marks_apart`), and a marked
  point lies a mark's reach or more inside its object's visible mask, its ring on the object
  (`regions.point_margin`), on an object a mark leaves seen (`regions.fit_for_marks`, as
  multi.marked_point's), its label where it hides neither point's object (`regions.label_corners`);
  pairs it cannot so mark are counted (``marks_unplaced:depth.points.v1``).
- depth.anchor.v1 (depth): Which object overlaps the <anchor> and is closer to the camera? Which
  is closer to the camera than the <anchor>: the A or the B? (one in front of it, one behind).

As in depth.closer, by default only objects whose boxes overlap are compared, because there the
occlusion shows the order to a viewer (`require_overlap=False` for depth-annotated photos), and
depths must differ by at least `min_depth_gap` of the scene's depth range.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Iterable

import numpy as np
from mypy_extensions import mypyc_attr

from veriscene.generators.base import Batch, Candidate, GenContext, Generator, GeneratorConfig
from veriscene.generators.common import add_unique
from veriscene.generators.registry import register
from veriscene.generators.regions import (
    MARKS_CLASH, MARKS_UNPLACED, PointSampler, add_point, clear_marks, coord_meta, fit_for_marks, label_corners,
    mark_meta, mark_text, point_margin, point_text,
)
from veriscene.generators.vocabulary import Without
from veriscene.generators.vocabulary_draws import naming_same, option_names
from veriscene.program.builder import ProgramBuilder
from veriscene.program.context import rows_of_pairs, true_rows
from veriscene.scene.describe import Referent, referents
from veriscene.scene.model import Scene


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class DepthPairConfig(GeneratorConfig):
    require_overlap: bool = True  # compare only objects whose boxes overlap (occlusion visible)
    min_depth_gap: float = 0.05  # min depth difference, share of the scene's depth range
    margin_px: int = 4  # points lie at least this far inside an object's visible mask (marked: a mark's reach or more)


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class DepthPointsConfig(DepthPairConfig):
    marks: bool = False  # draw the points on the image, labelled "A", "B", and ask about the labels


def depth_pairs(ctx: GenContext, min_depth_gap: float, require_overlap: bool) -> list[list[int]]:
    """Per object a, in index order, the objects b whose depth order with a a viewer can see: b is
    not a, their depths differ by `min_depth_gap` of the scene's depth range or more, and their
    boxes meet (occlusion shows the order) unless `require_overlap` is off. Computed once per
    scene index, in numpy (N x N tests in Python took a second at 2,000 objects); with
    `require_overlap`, over the pairs whose boxes meet (`SceneIndex.overlap_pairs`) alone."""

    def compute() -> list[list[int]]:
        values = ctx.scene.depth.tolist()  # type: ignore[union-attr]  # (required)
        gap = min_depth_gap * ((max(values) - min(values)) or 1.0)
        depth = np.asarray(values, dtype=np.float64)  # finite: checked where scenes enter
        if require_overlap:
            i, j = ctx.index.overlap_pairs  # (different objects)
            ok = np.abs(depth[i] - depth[j]) >= gap
            return rows_of_pairs(len(values), i[ok], j[ok])
        table = np.abs(depth[:, None] - depth[None, :]) >= gap
        np.fill_diagonal(table, False)
        return true_rows(table)

    return ctx.index.memo(("depth pairs", min_depth_gap, require_overlap), compute)


@mypyc_attr(allow_interpreted_subclasses=True)
class CloserPoint(Generator):
    """Which of two points is closer to (farther from) the camera? Each pair is asked in both
    orders, so the answer is the first or the second point equally often."""

    answer_type = "point"
    requires = ("depth", "masks")
    Config = DepthPointsConfig
    description = "Which of two points is closer to or farther from the camera."
    templates = {
        "closer": ("Which point is closer to the camera: {p1} or {p2}?",
                   "Of the points {p1} and {p2}, which one is nearer to the viewer?",
                   "Two points are marked by their coordinates, {p1} and {p2}. Which lies on something closer to the camera?"),
        "farther": ("Which point is farther from the camera: {p1} or {p2}?",
                    "Of the points {p1} and {p2}, which one is further away from the viewer?"),
        # ``marks: true``: the points drawn on the image, labelled {p1} ("A") and {p2} ("B")
        "closer_marks": ("Which point is closer to the camera: {p1} or {p2}?",
                         "Of the marked points {p1} and {p2}, which one is nearer to the viewer?",
                         "Two points are marked on the image, {p1} and {p2}. Which lies on something closer to the camera?"),
        "farther_marks": ("Which point is farther from the camera: {p1} or {p2}?",
                          "Of the marked points {p1} and {p2}, which one is further away from the viewer?"),
    }

    def __init__(self, config: DepthPointsConfig | None = None) -> None:
        super().__init__(config)
        # marked points are answered by their label
        self.answer_type = "str" if self.config.marks else "point"  # type: ignore[attr-defined,misc]

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        # Points are drawn only for the candidates picked: grouped by (pair, closer/farther),
        # both orders in a group, as the answer is a point still to be drawn.
        config: DepthPointsConfig = self.config  # type: ignore[assignment]
        sampler = PointSampler(ctx.exec_ctx, config.box_format, point_margin(config.margin_px, config.marks, ctx.scene))
        pairs = depth_pairs(ctx, config.min_depth_gap, config.require_overlap)
        keys: list[list[Any]] = []
        asked: list[tuple[GenContext, PointSampler, int, int, str, bool]] = []
        for a, b_i in ((a, b_i) for a, row in enumerate(pairs) for b_i in row if b_i > a):
            if config.marks and not fit_for_marks(ctx.scene, (a, b_i)):  # a mark would hide one of them
                ctx.count(MARKS_UNPLACED, 4)  # (the pair's candidates: 2 orders, 2 ways)
                continue
            for which in ("closer", "farther"):
                for a_first in (True, False):
                    keys.append([a, b_i, which])
                    asked.append((ctx, sampler, a, b_i, which, a_first))
        yield Batch.of(keys, asked, self._make)

    def _make(self, ctx: GenContext, sampler: PointSampler, a: int, b_i: int, which: str,
              a_first: bool) -> Candidate | None:
        """Points on objects a and b_i, a's listed first or second; None when either object has
        too little interior."""
        depth = ctx.scene.depth
        assert depth is not None  # guaranteed by `requires`
        pa, pb = sampler.sample(ctx.rng, a), sampler.sample(ctx.rng, b_i)
        if pa is None or pb is None:
            return None
        (ta, xa), (tb, xb) = pa[0], pb[0]
        a_wins = bool(depth[a] < depth[b_i]) if which == "closer" else bool(depth[a] > depth[b_i])
        answer, other = (xa, xb) if a_wins else (xb, xa)
        (t1, x1), (t2, x2) = ((ta, xa), (tb, xb)) if a_first else ((tb, xb), (ta, xa))
        b = ProgramBuilder()
        if self.config.marks:  # type: ignore[attr-defined]
            marks = clear_marks(ctx.scene, [x1, x2])  # "A": the point listed first
            if marks is None:  # marks that would touch: not asked (counted, and as rejected_unmade)
                ctx.count(MARKS_CLASH)
                return None
            corners = label_corners(ctx.exec_ctx, [x1, x2], [a, b_i] if a_first else [b_i, a])
            if corners is None:  # no place for a label clear of the other mark: not asked (counted)
                ctx.count(MARKS_UNPLACED)
                return None
            marks = [{**m, "label_at": corner} for m, corner in zip(marks, corners)]
            la, lb = marks[0]["label"], marks[1]["label"]
            picked = b.add("closer_point", add_point(b, x1, la), add_point(b, x2, lb), args=[which])
            b.add("mark_label", picked)
            first_wins = a_wins == a_first
            return Candidate(b.program, {"p1": la, "p2": lb}, group=f"{which}_marks",
                             expected=la if first_wins else lb, distractors=[lb if first_wins else la],
                             meta=mark_meta(ctx.scene, [la, lb], answered=True), marks=marks)
        b.add("closer_point", b.add("point", args=x1), b.add("point", args=x2), args=[which])
        return Candidate(b.program, {"p1": t1, "p2": t2}, group=which, expected=answer, distractors=[other],
                         meta=coord_meta(ctx.scene, self.config.box_format))

    def choice_text(self, value: Any, scene: Scene) -> str:
        if self.config.marks:  # type: ignore[attr-defined]
            return mark_text(value)
        return point_text(scene, value, self.config.box_format)


register("depth.points.v1", family="depth")(CloserPoint)


@mypyc_attr(allow_interpreted_subclasses=True)
class DepthAnchor(Generator):
    """Depth relative to an anchor object; the answer is an object's name.

    - "cover": Which object overlaps the <anchor> and is closer to (farther from) the camera?
      Exactly one object overlapping the anchor's box lies on that side of it.
    - "pair": Which is closer to the camera than the <anchor>: the A or the B? One of A and B is
      in front of the anchor, the other behind it (they have different names).
    """

    answer_type = "str"
    requires = ("depth",)
    Config = DepthPairConfig
    description = "Which object is closer to or farther from the camera than an anchor object."
    templates = {
        "cover_closer": ("Which object overlaps {the_anchor} and is closer to the camera than {it}?",
                         "Which object is in front of {the_anchor}, partly covering {it}?",
                         "What object partly hides {the_anchor} by being nearer to the viewer?"),
        "cover_farther": ("Which object overlaps {the_anchor} and is farther from the camera than {it}?",
                          "Which object is behind {the_anchor}, partly hidden by {it}?",
                          "What object is partly covered by {the_anchor} because it is further away?"),
        "pair_closer": ("Which is closer to the camera than {the_anchor}: {the_1} or {the_2}?",
                        "Which of {the_1} and {the_2} is in front of {the_anchor}?"),
        "pair_farther": ("Which is farther from the camera than {the_anchor}: {the_1} or {the_2}?",
                         "Which of {the_1} and {the_2} is behind {the_anchor}?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        config: DepthPairConfig = self.config  # type: ignore[assignment]
        depth = ctx.scene.depth
        assert depth is not None  # guaranteed by `requires`
        pairs = depth_pairs(ctx, config.min_depth_gap, config.require_overlap)
        overlapping = ctx.index.overlapping
        values = depth.tolist()
        refs = referents(ctx.index, allow_relations=False)
        names = ctx.scene.names
        answers: list[str] = []
        asked: list[tuple[Any, ...]] = []  # (`_cover` or `_pair`, its arguments)
        for anchor in sorted(refs):
            near = overlapping[anchor]
            seen = set(pairs[anchor])  # the objects whose order with the anchor shows
            for which in ("closer", "farther"):
                side = [i for i in near if (values[i] < values[anchor]) == (which == "closer")]
                if len(side) == 1 and side[0] in seen:
                    answers.append(names[side[0]])
                    asked.append((self._cover, ctx, refs[anchor], which, names[side[0]]))
            # (from the anchor's partners, not from every object described: a scene of
            # thousands of objects made this a loop over all of them per anchor)
            front = [i for i in pairs[anchor] if i in refs and values[i] < values[anchor]]
            back = [i for i in pairs[anchor] if i in refs and values[i] > values[anchor]]
            for f, k in ((f, k) for f in sorted(front) for k in sorted(back) if names[f] != names[k]):
                for which in ("closer", "farther"):
                    answer, other = (names[f], names[k]) if which == "closer" else (names[k], names[f])
                    for first, second in ((f, k), (k, f)):
                        answers.append(answer)
                        asked.append((self._pair, refs[anchor], refs[first], refs[second], which, answer, other))
        # phrased only if picked
        yield Batch.of(answers, asked, _call)

    def _cover(self, ctx: GenContext, anchor: Referent, which: str, answer: str) -> Candidate:
        """The one object overlapping `anchor` on the `which` side of it; options never a name
        that may name it ("person" beside "man": `naming_same`), and on a scene of a closed
        category list only its set's names (`option_names`: a COCO image may show a window)."""
        # {it}: the anchor again ("them" for a name plural in form: "the jeans")
        it = "them" if anchor.plural else "it"
        wrong = Without(option_names(ctx.vocab, ctx.index)[0], naming_same(ctx.vocab, answer))
        return Candidate(None, {"the_anchor": anchor.the, "it": it}, group=f"cover_{which}",
                         expected=answer, distractors=wrong,
                         build=partial(_cover_program, anchor, which))

    def _pair(self, anchor: Referent, first: Referent, second: Referent, which: str, answer: str,
              other: str) -> Candidate:
        """Whichever of `first` and `second` is on the `which` side of `anchor`."""
        slots = {"the_anchor": anchor.the, "the_1": first.the, "the_2": second.the}
        return Candidate(None, slots, group=f"pair_{which}", expected=answer, distractors=[other],
                         build=partial(_pair_program, first, second, anchor, which))


register("depth.anchor.v1", family="depth")(DepthAnchor)


def _call(make: Callable[..., Candidate], *args: Any) -> Candidate:
    return make(*args)


def _cover_program(anchor: Referent, which: str) -> list[dict[str, Any]]:
    """Program: the name of the one object overlapping `anchor` on the `which` side of it."""
    b = ProgramBuilder()
    node = add_unique(b, anchor)
    found = b.add("filter_overlap", b.add("scene", args=[0]), node)
    found = b.add("filter_depth", found, node, args=[which])
    b.add("query_name", b.add("unique", found))
    return b.program


def _pair_program(first: Referent, second: Referent, anchor: Referent, which: str) -> list[dict[str, Any]]:
    """Program: the name of whichever of `first` and `second` is on the `which` side of `anchor`."""
    b = ProgramBuilder()
    pair = b.add("union", b.add("as_set", add_unique(b, first)), b.add("as_set", add_unique(b, second)))
    found = b.add("filter_depth", pair, add_unique(b, anchor), args=[which])
    b.add("query_name", b.add("unique", found))
    return b.program
