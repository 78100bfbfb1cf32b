"""Counting across images (family multi_aggregate).

- multi.count_total.v1: how many X are there in all the images together? (chained `add_int` over
  per-image counts)
- multi.count_attributed_total.v1: the same for an attributed object ("red stars").
- multi.count_images.v1: in how many of the images is there an X? The count m is chosen first
  (uniformly) and the group built to have it: m - [anchor has X] partners from `with_name(X)`,
  the rest accepted on their entry lacking X, so no parsing is needed to know the answer. On
  data sets that leave some absences open, "all of them" needs an image known to lack X in the
  pool (`missing`), or it would be the only answer given there.

Partners for the totals come from `with_name(X)` half of the time (so totals are not mostly the
anchor's count) and from the whole pool otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial

from veriscene.generators.base import Candidate, GroupContext
from veriscene.generators.common import sample_up_to, uncountable_names
from veriscene.generators.multi_image.common import (
    GroupGenerator,
    count_in,
    count_node,
    countable_names,
    counted,
    exists_node,
    folded,
    int_distractors,
    missing,
    shuffled,
)
from veriscene.generators.registry import register
from veriscene.generators.vocabulary import absent_sample
from veriscene.program.builder import ProgramBuilder
from veriscene.scene.describe import noun_phrase
from veriscene.scene.model import Scene
from veriscene.text import counted_plural, is_uncountable, number_word, with_article

_TOTAL_TEMPLATES = (
    "How many {objs} are there in the {n} images altogether?",
    "Counting the {n} images together, how many {objs} are there?",
    "What is the total number of {objs} across these images?",
    "How many {objs} do the images contain in total?",
)


class _Total(GroupGenerator):
    answer_type = "int"
    templates = {"default": _TOTAL_TEMPLATES}

    def _total(self, ctx: GroupContext, name: str, attributes: Sequence[str]) -> Candidate | None:
        n = self.group_size(ctx)
        among = ctx.pool.with_name(name) if ctx.rng.random() < 0.5 else None
        others = self.partners(ctx, n - 1, accept=counted(names=(name,)), among=among)
        if others is None:
            return None
        scenes: tuple[Scene, ...] = shuffled(ctx, [ctx.scene, *others])
        total = sum(count_in(ctx.index_of(s), name, attributes) for s in scenes)
        return Candidate(
            None, {"objs": counted_plural(noun_phrase(name, attributes)), "n": number_word(n)}, expected=total,
            distractors=int_distractors(total), scenes=scenes,
            build=partial(folded, n, partial(count_node, name=name, attributes=tuple(attributes)), "add_int"),
        )


@register("multi.count_total.v1", family="multi_aggregate")
class CountTotal(_Total):
    """How many X are there in the images altogether? X is one of the anchor's names or, once per
    anchor, a name it lacks (the other images may still have some)."""

    description = "Total number of objects of a name over 2-4 images."

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        names = sample_up_to(ctx.rng, countable_names(ctx.index), self.max_candidates - 1)
        absent = [n for n in absent_sample(ctx.rng, ctx.vocab, ctx.index, 1) if not is_uncountable(n)]
        for name in names + absent:
            cand = self._total(ctx, name, ())
            if cand is not None:
                yield cand


@register("multi.count_attributed_total.v1", family="multi_aggregate")
class CountAttributedTotal(_Total):
    """How many <attr> X are there in the images altogether? (attr, X) held by an anchor object."""

    # (where attributes are sparse the only partners a program accepts lack the name altogether,
    # so the question would come down to the name: not asked there)
    requires = ("attributes", "attributes_in_full")
    description = "Total number of objects with a given attribute and name over 2-4 images."

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        uncountable = uncountable_names(ctx.index)
        pairs = sorted({(a, name) for name, attrs in zip(ctx.scene.names, ctx.scene.attributes) for a in attrs
                        if ctx.index.complete(name) and name not in uncountable})
        for attr, name in sample_up_to(ctx.rng, pairs, self.max_candidates):
            cand = self._total(ctx, name, (attr,))
            if cand is not None:
                yield cand


@register("multi.count_images.v1", family="multi_aggregate")
class CountImagesWith(GroupGenerator):
    """In how many of the images is there an X? The answer m is drawn uniformly from what the
    anchor allows (1..n when it has X, 0..n-1 when not) and the group is built to match."""

    answer_type = "int"
    description = "Number of images, out of 2-4, that contain an object of a given name."
    templates = {
        "default": (
            "In how many of the {n} images is there {a_obj}?",
            "How many of these images contain {a_obj}?",
            "Of the {n} images, how many show {a_obj}?",
        )
    }

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        present = sorted(ctx.index.by_name)
        half = self.max_candidates // 2
        for name in sample_up_to(ctx.rng, present, half) + absent_sample(ctx.rng, ctx.vocab, ctx.index, half):
            n = self.group_size(ctx)
            has = name in ctx.index.by_name
            m = int(ctx.rng.integers(1, n + 1)) if has else int(ctx.rng.integers(0, n))
            holders = self.partners(ctx, m - int(has), among=ctx.pool.with_name(name))
            if holders is None:
                continue
            need = n - 1 - len(holders)
            # where absences are not all known, "all of them" is asked only if the pool holds an
            # image known to lack the name: otherwise it would be the only answer ever given
            probe = need == 0 and ctx.index.exhaustive is not None
            lacking = self.partners(ctx, 1 if probe else need, accept=missing(names=(name,)),
                                    exclude=[s.image_id for s in holders])
            if lacking is None:
                continue
            lacking = lacking[:need]
            scenes = shuffled(ctx, [ctx.scene, *holders, *lacking])
            yield Candidate(
                None, {"a_obj": with_article(name), "n": number_word(n)}, expected=m,
                distractors=[k for k in range(n + 1) if k != m], scenes=scenes,
                build=partial(folded, n, partial(_has_int, name=name), "add_int"),
            )


def _has_int(b: ProgramBuilder, image: int, name: str) -> int:
    """1 if image `image` has an object named `name`, else 0."""
    return b.add("bool_to_int", exists_node(b, image, name))
