"""Depth: is A closer to (farther from) the camera than B? Needs per-object depth (smaller = closer).

By default only pairs whose boxes overlap are asked about: there the occlusion shows the order to
a viewer; for depth-annotated photos set `require_overlap=False`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Iterable

from mypy_extensions import mypyc_attr

from veriscene.generators.agreement import plural_slots
from veriscene.generators.base import Batch, Candidate, GenContext, Generator, GeneratorConfig
from veriscene.generators.common import is_extreme_of_pair
from veriscene.generators.registry import register
from veriscene.generators.single_image.depth_points import depth_pairs
from veriscene.scene.describe import Referent, referents


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class DepthConfig(GeneratorConfig):
    require_overlap: bool = True  # ask only about pairs whose boxes overlap (occlusion visible)
    min_depth_gap: float = 0.05  # min relative depth difference between the two objects


@mypyc_attr(allow_interpreted_subclasses=True)
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

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        config: DepthConfig = self.config  # type: ignore[assignment]
        depth = ctx.scene.depth
        assert depth is not None  # guaranteed by `requires`
        refs = referents(ctx.index, allow_relations=False)
        values = depth.tolist()
        pairs = depth_pairs(ctx, config.min_depth_gap, config.require_overlap)  # per object, those b shown
        truths: list[bool] = []
        asked: list[tuple[Referent, Referent, str, bool]] = []
        for a in sorted(refs):
            for b_i in pairs[a]:
                if b_i not in refs:
                    continue
                closer = values[a] < values[b_i]
                truths += (closer, values[a] > values[b_i])
                asked += ((refs[a], refs[b_i], "closest", closer), (refs[a], refs[b_i], "farthest", truths[-1]))
        # phrased only if picked
        yield Batch.of(truths, asked, _candidate)


register("depth.closer.v1", family="depth")(CloserObject)


def _candidate(a: Referent, b: Referent, which: str, truth: bool) -> Candidate:
    return Candidate(None, {"the_a": a.the, "the_b": b.the}, group=which, expected=truth, distractors=[not truth],
                     plural=plural_slots(the_a=a), build=partial(is_extreme_of_pair, a, b, which))
