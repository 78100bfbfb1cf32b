"""Describe a group of images: what they have in common and how they differ (family multi_caption).

The answer is the text the `describe_images` op writes from the scene graphs (per object kind:
in every image, in some, or only in one, with counts per image), so it is verifiable like any
other answer and scored by free-form matching in evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mypy_extensions import mypyc_attr

from veriscene.generators.base import Candidate, GroupContext
from veriscene.generators.multi_image.common import Accept, GroupGenerator, all_of, counted_in, shuffled
from veriscene.generators.registry import register
from veriscene.generators.vocabulary_draws import closed_names
from veriscene.scene.model import Scene
from veriscene.text import number_word


@mypyc_attr(allow_interpreted_subclasses=True)
class CompareCaption(GroupGenerator):
    """Describe what the images have in common and how they differ. Partners are drawn uniformly
    among pooled scenes sharing at least one object kind with the anchor (else there is little to
    compare). A group with a scene of a closed category list (COCO: ``meta["category_set"]``)
    holds no name outside its set: "Only Image 2 contains a window." would say that a COCO Image
    1 has none (`_told_in_full`); such an anchor's partners are of its categories alone, and
    partners annotate the anchor's names in full (a COCO partner: they are its categories)."""

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
        shares: Accept = lambda e: not mine.isdisjoint(e.names)  # noqa: E731
        closed = closed_names(ctx.vocab, ctx.index)
        of_set: Accept | None = None if closed is None else (lambda e: closed.issuperset(e.names))
        # (counted_in: None where every pooled scene annotates every name in full)
        accept = all_of([shares, counted_in(ctx.pool, sorted(mine)), of_set])
        others = self.partners(ctx, n - 1, accept=accept)
        if others is None:
            return
        scenes = shuffled(ctx, [ctx.scene, *others])
        if not _told_in_full(ctx, scenes):
            return
        yield Candidate([{"op": "describe_images", "inputs": [], "args": []}], {"n": number_word(n)}, scenes=scenes)


register("multi.compare_caption.v1", family="multi_caption")(CompareCaption)


def _told_in_full(ctx: GroupContext, scenes: Sequence[Scene]) -> bool:
    """Whether every image of the group of a closed category list annotates every name of the
    group in full (`Vocabulary.closed_names`; always so in a run without such images or of one
    such set alone)."""
    names = frozenset(n for scene in scenes for n in scene.names)
    for scene in scenes:
        set_id = scene.meta.get("category_set")
        if set_id is not None:
            closed = ctx.vocab.closed_names(set_id)
            if closed is not None and not closed.issuperset(names):
                return False
    return True
