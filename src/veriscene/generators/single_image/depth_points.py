"""Depth questions about points and about objects relative to an anchor object.

Depth convention, everywhere: per-object relative depth, **smaller = closer** to the camera; a
point's depth is the depth of the object whose visible mask holds it.

- depth.points.v1 (depth + masks): Which point is closer to the camera: [x, y] or [x, y]?
  Answer: the point. Points are drawn on the interior of two objects' visible masks.
- depth.anchor.v1 (depth): Which object overlaps the <anchor> and is closer to the camera? Which
  is closer to the camera than the <anchor>: the A or the B? (one in front of it, one behind).

As in depth.closer, by default only objects whose boxes overlap are compared, because there the
occlusion shows the order to a viewer (`require_overlap=False` for depth-annotated photos), and
depths must differ by at least `min_depth_gap` of the scene's depth range.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from veriscene.answers.coords import format_point
from veriscene.generators.base import Candidate, GenContext, Generator, GeneratorConfig
from veriscene.generators.common import add_unique
from veriscene.generators.registry import register
from veriscene.generators.regions import PointSampler, coord_meta
from veriscene.program.builder import ProgramBuilder
from veriscene.scene.describe import refer
from veriscene.scene.geometry import box_intersection_area
from veriscene.scene.model import Scene


@dataclass(frozen=True)
class DepthPairConfig(GeneratorConfig):
    require_overlap: bool = True  # compare only objects whose boxes overlap (occlusion visible)
    min_depth_gap: float = 0.05  # min depth difference, share of the scene's depth range
    margin_px: int = 4  # points lie at least this far inside an object's visible mask


def ordered_pairs(ctx: GenContext, config: DepthPairConfig) -> np.ndarray:
    """(N, N) bool: pairs whose depth order a viewer can see (distinct objects, clear depth gap,
    overlapping boxes unless `require_overlap` is off)."""
    depth = ctx.scene.depth.astype(np.float64)  # type: ignore[union-attr]  (required)
    spread = float(depth.max() - depth.min()) or 1.0
    ok = np.abs(depth[:, None] - depth[None, :]) >= config.min_depth_gap * spread
    if config.require_overlap:
        ok &= box_intersection_area(ctx.scene.boxes, ctx.scene.boxes) > 0
    np.fill_diagonal(ok, False)
    return ok


@register("depth.points.v1", family="depth")
class CloserPoint(Generator):
    """Which of two points is closer to (farther from) the camera? Each pair is asked in both
    orders, so the answer is the first or the second point equally often."""

    answer_type = "point"
    requires = ("depth", "masks")
    Config = DepthPairConfig
    description = "Which of two points is closer to or farther from the camera."
    templates = {
        "closer": ("Which point is closer to the camera: {p1} or {p2}?",
                   "Of the points {p1} and {p2}, which one is nearer to the viewer?",
                   "Two points are marked by their coordinates, {p1} and {p2}. Which lies on something closer to the camera?"),
        "farther": ("Which point is farther from the camera: {p1} or {p2}?",
                    "Of the points {p1} and {p2}, which one is further away from the viewer?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Candidate]:
        config: DepthPairConfig = self.config  # type: ignore[assignment]
        depth = ctx.scene.depth
        assert depth is not None  # guaranteed by `requires`
        ok = ordered_pairs(ctx, config)
        sampler = PointSampler(ctx.exec_ctx, config.box_format, config.margin_px)
        meta = coord_meta(ctx.scene, config.box_format)
        for a, b_i in zip(*np.nonzero(np.triu(ok))):
            pa, pb = sampler.sample(ctx.rng, int(a)), sampler.sample(ctx.rng, int(b_i))
            if pa is None or pb is None:
                continue
            (ta, xa), (tb, xb) = pa[0], pb[0]
            for which in ("closer", "farther"):
                a_wins = bool(depth[a] < depth[b_i]) if which == "closer" else bool(depth[a] > depth[b_i])
                answer, other = (xa, xb) if a_wins else (xb, xa)
                for (t1, x1), (t2, x2) in (((ta, xa), (tb, xb)), ((tb, xb), (ta, xa))):
                    b = ProgramBuilder()
                    b.add("closer_point", b.add("point", args=x1), b.add("point", args=x2), args=[which])
                    yield Candidate(b.program, {"p1": t1, "p2": t2}, group=which, expected=answer,
                                    distractors=[other], meta=dict(meta))

    def choice_text(self, value: Any, scene: Scene) -> str:
        return format_point(value, (scene.width, scene.height), self.config.box_format)


@register("depth.anchor.v1", family="depth")
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
        "cover_closer": ("Which object overlaps {the_anchor} and is closer to the camera than it?",
                         "Which object is in front of {the_anchor}, partly covering it?",
                         "What object partly hides {the_anchor} by being nearer to the viewer?"),
        "cover_farther": ("Which object overlaps {the_anchor} and is farther from the camera than it?",
                          "Which object is behind {the_anchor}, partly hidden by it?",
                          "What object is partly covered by {the_anchor} because it is further away?"),
        "pair_closer": ("Which is closer to the camera than {the_anchor}: {the_1} or {the_2}?",
                        "Which of {the_1} and {the_2} is in front of {the_anchor}?"),
        "pair_farther": ("Which is farther from the camera than {the_anchor}: {the_1} or {the_2}?",
                         "Which of {the_1} and {the_2} is behind {the_anchor}?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Candidate]:
        config: DepthPairConfig = self.config  # type: ignore[assignment]
        depth = ctx.scene.depth
        assert depth is not None  # guaranteed by `requires`
        ok = ordered_pairs(ctx, config)
        overlap = box_intersection_area(ctx.scene.boxes, ctx.scene.boxes) > 0
        refs = {i: r for i in range(len(ctx.scene)) if (r := refer(ctx.index, i, allow_relations=False))}
        names = ctx.scene.names
        vocab_names = ctx.vocab.name_list()
        for anchor in sorted(refs):
            near = [i for i in range(len(ctx.scene)) if i != anchor and overlap[anchor, i]]
            for which in ("closer", "farther"):
                side = [i for i in near if (depth[i] < depth[anchor]) == (which == "closer")]
                if len(side) == 1 and ok[anchor, side[0]]:
                    b = ProgramBuilder()
                    node = add_unique(b, refs[anchor])
                    found = b.add("filter_overlap", b.add("scene", args=[0]), node)
                    found = b.add("filter_depth", found, node, args=[which])
                    b.add("query_name", b.add("unique", found))
                    answer = names[side[0]]
                    yield Candidate(b.program, {"the_anchor": refs[anchor].the}, group=f"cover_{which}",
                                    expected=answer, distractors=[n for n in vocab_names if n != answer])
            front = [i for i in np.flatnonzero(ok[anchor]) if depth[i] < depth[anchor] and i in refs]
            back = [i for i in np.flatnonzero(ok[anchor]) if depth[i] > depth[anchor] and i in refs]
            for f, k in ((f, k) for f in front for k in back if names[f] != names[k]):
                yield from self._pairs(refs, anchor, f, k, names)

    def _pairs(self, refs: dict, anchor: int, f: int, k: int, names: tuple[str, ...]) -> Iterable[Candidate]:
        for which in ("closer", "farther"):
            answer, other = (names[f], names[k]) if which == "closer" else (names[k], names[f])
            for first, second in ((f, k), (k, f)):
                b = ProgramBuilder()
                pair = b.add("union", b.add("as_set", add_unique(b, refs[first])),
                             b.add("as_set", add_unique(b, refs[second])))
                found = b.add("filter_depth", pair, add_unique(b, refs[anchor]), args=[which])
                b.add("query_name", b.add("unique", found))
                slots = {"the_anchor": refs[anchor].the, "the_1": refs[first].the, "the_2": refs[second].the}
                yield Candidate(b.program, slots, group=f"pair_{which}", expected=answer, distractors=[other])
