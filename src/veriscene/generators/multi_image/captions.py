"""Describe a group of images: what they have in common and how they differ (family multi_caption).

The answer is the text the `describe_images` op writes from the scene graphs (per object kind:
in every image, in some, or only in one, with counts per image), so it is verifiable like any
other answer and scored by free-form matching in evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable

from veriscene.generators.base import Candidate, GroupContext
from veriscene.generators.multi_image.common import GroupGenerator, shuffled
from veriscene.generators.registry import register
from veriscene.text import number_word


@register("multi.compare_caption.v1", family="multi_caption")
class CompareCaption(GroupGenerator):
    """Describe what the images have in common and how they differ. Partners are drawn uniformly
    among pooled scenes sharing at least one object kind with the anchor (else there is little to
    compare)."""

    answer_type = "text"
    modes = ("caption",)
    requires = ("objects",)
    description = "A description of what 2-4 images have in common and how they differ."
    templates = {
        "default": (
            "Compare these {n} images: which kinds of objects do they have in common, and how do they differ?",
            "Describe what the {n} images have in common and what sets each of them apart, object type by object type.",
            "For each kind of object, say in which of the {n} images it appears and how many there are.",
        )
    }

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        n = self.group_size(ctx)
        mine = set(ctx.scene.names)
        others = self.partners(ctx, n - 1, accept=lambda e: not mine.isdisjoint(e.names))
        if others is None:
            return
        scenes = shuffled(ctx, [ctx.scene, *others])
        yield Candidate([{"op": "describe_images", "inputs": [], "args": []}], {"n": number_word(n)}, scenes=scenes)
