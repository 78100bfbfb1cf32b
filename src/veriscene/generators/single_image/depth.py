"""Depth: is A closer to (farther from) the camera than B? Needs per-object depth (smaller = closer).

By default only pairs whose boxes overlap are asked about: there the occlusion shows the order to
a viewer; for depth-annotated photos set `require_overlap=False`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from veriscene.generators.base import Candidate, GenContext, Generator, GeneratorConfig
from veriscene.generators.common import add_unique
from veriscene.generators.registry import register
from veriscene.program.builder import ProgramBuilder
from veriscene.scene.describe import refer
from veriscene.scene.geometry import box_intersection_area


@dataclass(frozen=True)
class DepthConfig(GeneratorConfig):
    require_overlap: bool = True  # ask only about pairs whose boxes overlap (occlusion visible)
    min_depth_gap: float = 0.05  # min relative depth difference between the two objects


@register("depth.closer.v1", family="depth")
class CloserObject(Generator):
    """Is the A closer to the camera than the B? (and the "farther" phrasing)"""

    answer_type = "bool"
    requires = ("depth",)
    Config = DepthConfig
    description = "Which of two objects is closer to the camera."
    templates = {
        "closest": ("Is {the_a} closer to the camera than {the_b}?", "Is {the_a} nearer to the viewer than {the_b}?",
                    "Is {the_a} in front of {the_b} from the camera's point of view?"),
        "farthest": ("Is {the_a} farther from the camera than {the_b}?",
                     "Is {the_a} further away from the viewer than {the_b}?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Candidate]:
        config: DepthConfig = self.config  # type: ignore[assignment]
        depth = ctx.scene.depth
        assert depth is not None  # guaranteed by `requires`
        refs = {i: r for i in range(len(ctx.scene)) if (r := refer(ctx.index, i, allow_relations=False))}
        overlap = box_intersection_area(ctx.scene.boxes, ctx.scene.boxes)
        spread = float(depth.max() - depth.min()) or 1.0
        for a in sorted(refs):
            for b_i in sorted(refs):
                if a == b_i or abs(float(depth[a] - depth[b_i])) < config.min_depth_gap * spread:
                    continue
                if config.require_overlap and overlap[a, b_i] <= 0:
                    continue
                for which in ("closest", "farthest"):
                    b = ProgramBuilder()
                    na = add_unique(b, refs[a])
                    nb = add_unique(b, refs[b_i])
                    pair = b.add("union", b.add("as_set", na), b.add("as_set", nb))
                    b.add("same_object", b.add("extreme", pair, args=[which]), na)
                    truth = bool(depth[a] < depth[b_i]) if which == "closest" else bool(depth[a] > depth[b_i])
                    yield Candidate(b.program, {"the_a": refs[a].the, "the_b": refs[b_i].the}, group=which,
                                    expected=truth, distractors=[not truth])
