"""Counting across images (family multi_aggregate).

- multi.count_total.v1: how many X are there in all the images together? (chained `add_int` over
  per-image counts)
- multi.count_attributed_total.v1: the same for an attributed object ("red stars").
- multi.count_images.v1: in how many of the images is there an X? The count m is chosen first
  (uniformly over 0..n), then X (one of the anchor's names for m = n, one it lacks for m = 0,
  either otherwise), and the group built to have it: m - [anchor has X] partners from
  `with_name(X)`, the rest accepted on their entry lacking X, so no parsing is needed to know
  the answer. On data sets that leave some absences open, "all of them" needs an image known
  to lack X in the pool (`missing`), or it would be the only answer given there.

For the totals a group is drawn per phrase asked, with partners that have some of it half of the
time (so totals are not mostly the anchor's count; an attributed phrase's partners are parsed to
find its attribute on its name), and every phrase is counted over every group. Options of all
three are the answers the anchor's candidates have (`count_options`): no count is offered more
often, for its value, than it is right.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import partial

import numpy as np
from mypy_extensions import mypyc_attr

from veriscene.generators.base import Batch, Candidate, GroupContext
from veriscene.generators.common import Later, alike_present, sample_up_to, uncountable_names
from veriscene.generators.count_options import count_choices, wrong_counts
from veriscene.generators.multi_image.common import (
    GroupGenerator,
    SPARE,
    alike_names,
    all_of,
    count_in,
    count_node,
    countable_names,
    counted_in,
    exists_node,
    folded,
    holding,
    missing,
    shuffled,
)
from veriscene.generators.registry import register
from veriscene.generators.vocabulary import absent_sample
from veriscene.generators.vocabulary_draws import count_known
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


@mypyc_attr(allow_interpreted_subclasses=True)
class _Total(GroupGenerator):
    """Totals over groups of images. A group is drawn for each phrase asked (its name, or its
    attribute on its name, in the partners half of the time) and every phrase is then counted
    over every group: more totals to balance answers over, and to offer as options
    (`count_options`), at the cost of counting, not of drawing more groups."""

    answer_type = "int"
    templates = {"default": _TOTAL_TEMPLATES}

    def _group(self, ctx: GroupContext, name: str, attributes: Sequence[str]) -> tuple[Scene, ...] | None:
        """The anchor and n - 1 partners, shuffled: partners that have objects of `name` (with
        `attributes`) half of the time, so that totals are not mostly the anchor's count."""
        n = self.group_size(ctx)
        accept = counted_in(ctx.pool, (name,), alike_names(ctx, (name,)))
        if ctx.rng.random() >= 0.5:
            others = self.partners(ctx, n - 1, accept=accept)
        elif not attributes:
            others = self.partners(ctx, n - 1, accept=accept, among=ctx.pool.with_name(name))
        else:  # the attribute on the name, which an entry cannot tell: up to SPARE more parsed
            drawn = self.partners_upto(ctx, n - 1 + SPARE, accept=all_of([accept, holding(names=(name,))]),
                                       among=ctx.pool.with_attribute(attributes[0]))
            having = [count_in(ctx.index_of(s), name, attributes) > 0 for s in drawn]
            ordered = [s for s, has in zip(drawn, having) if has] + [s for s, has in zip(drawn, having) if not has]
            others = ordered[:n - 1] if len(ordered) >= n - 1 else None
        return None if others is None else shuffled(ctx, [ctx.scene, *others])

    def _totals(self, ctx: GroupContext, asked: Sequence[tuple[str, tuple[str, ...]]]) -> Iterator[Batch]:
        """A candidate per phrase of `asked` and group (one drawn per phrase) where it can be
        counted; their totals are the options of each. One batch of them: each is made only if
        picked (one or two of up to 16), grouped by its answer."""
        groups = [g for g in (self._group(ctx, name, attributes) for name, attributes in asked) if g is not None]
        totals: list[int] = []
        args: list[tuple[tuple[Scene, ...], str, tuple[str, ...], int, Sequence[int]]] = []  # `_candidate`'s, per total
        choices = Later(lambda: count_choices(totals))  # read once every candidate is made
        # the anchor, in every group: its count of each phrase (None where it is unknown)
        own = [count_in(ctx.index, name, attributes) if ctx.index.nameable(name) else None
               for name, attributes in asked]
        for scenes in groups:
            indexes = [ctx.index_of(s) for s in scenes if s is not ctx.scene]
            for (name, attributes), total in zip(asked, own):
                if total is None:
                    continue
                for index in indexes:  # (a plain loop: 16 phrases and groups per anchor)
                    if not (index.nameable(name) and count_known(ctx.vocab, index, name)) or alike_present(index, name):
                        break  # a crowd of the name ("people" boxed as one), or not all annotated;
                        # or a name that may name its objects (a group drawn for another phrase);
                        # or one a COCO image does not annotate (a group drawn for another phrase)
                    total += count_in(index, name, attributes)
                else:
                    totals.append(total)
                    args.append((scenes, name, attributes, total, choices))
        if totals:
            yield Batch.of(totals, args, self._candidate)

    def _candidate(self, scenes: tuple[Scene, ...], name: str, attributes: tuple[str, ...], total: int,
                   choices: Sequence[int]) -> Candidate:
        """The question counting `name` with `attributes` ("red stars") over `scenes`, whose
        answer is `total`."""
        n = len(scenes)
        return Candidate(
            None, {"objs": counted_plural(noun_phrase(name, attributes)), "n": number_word(n)},
            expected=total, distractors=Later(partial(wrong_counts, choices, total)), scenes=scenes,
            build=partial(folded, n, partial(count_node, name=name, attributes=attributes), "add_int"),
        )


@mypyc_attr(allow_interpreted_subclasses=True)
class CountTotal(_Total):
    """How many X are there in the images altogether? X is one of the anchor's names or, once per
    anchor, a name it lacks (the other images may still have some)."""

    description = "Total number of objects of a name over 2-4 images."

    def propose(self, ctx: GroupContext) -> Iterable[Batch]:  # type: ignore[override]
        names = sample_up_to(ctx.rng, countable_names(ctx.index), self.max_candidates - 1)
        uncountable = uncountable_names(ctx.index)  # (an absent name held once at most: a presence count)
        absent = [n for n in absent_sample(ctx.rng, ctx.vocab, ctx.index, 1)
                  if not is_uncountable(n) and n not in uncountable and not alike_present(ctx.index, n)]
        return self._totals(ctx, [(name, ()) for name in names + absent])


register("multi.count_total.v1", family="multi_aggregate")(CountTotal)


@mypyc_attr(allow_interpreted_subclasses=True)
class CountAttributedTotal(_Total):
    """How many <attr> X are there in the images altogether? (attr, X) held by an anchor object."""

    # (where attributes are sparse the only partners a program accepts lack the name altogether,
    # so the question would come down to the name: not asked there)
    requires = ("attributes", "attributes_in_full")
    description = "Total number of objects with a given attribute and name over 2-4 images."

    def propose(self, ctx: GroupContext) -> Iterable[Batch]:  # type: ignore[override]
        uncountable = uncountable_names(ctx.index)
        pairs = sorted({(a, name) for name, attrs in zip(ctx.scene.names, ctx.scene.attributes) for a in attrs
                        if ctx.index.complete(name) and name not in uncountable})
        return self._totals(ctx, [(name, (attr,)) for attr, name in _pairs_to_count(ctx, pairs, self.max_candidates)])


register("multi.count_attributed_total.v1", family="multi_aggregate")(CountAttributedTotal)


def _pairs_to_count(ctx: GroupContext, pairs: list[tuple[str, str]], k: int) -> list[tuple[str, str]]:
    """Up to k of the anchor's (attribute, name) pairs, drawn with weights: 1 + the number of
    pooled images that have the name, or the attribute if fewer (at most that many have the pair;
    1 for the anchor, which a pool may not hold). Where attributes are many and names follow a
    long tail (Visual Genome), a pair drawn uniformly is nearly always held by the anchor's object
    alone: every total would be 1, and the answer balancing would have one answer to balance."""
    if len(pairs) <= k:
        return sample_up_to(ctx.rng, pairs, k)
    pool = ctx.pool
    weights = 1.0 + np.array([min(len(pool.with_name(name)), len(pool.with_attribute(attr))) for attr, name in pairs],
                             dtype=np.float64)
    # k drawn without replacement with these weights: the k largest u ** (1 / w), u uniform
    # (Efraimidis and Spirakis), one draw per pair and no loop
    keys = ctx.rng.random(len(pairs)) ** (1.0 / weights)
    return [pairs[i] for i in np.argsort(-keys, kind="stable")[:k].tolist()]


@mypyc_attr(allow_interpreted_subclasses=True)
class CountImagesWith(GroupGenerator):
    """In how many of the images is there an X? The answer m is drawn uniformly from 0..n, X
    then among the anchor's names (m = n), the names it lacks (m = 0) or either, and the group
    is built to match."""

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
        k = self.max_candidates
        names = {True: sample_up_to(ctx.rng, sorted(ctx.index.by_name), k),
                 False: absent_sample(ctx.rng, ctx.vocab, ctx.index, k)}
        for _ in range(k):
            # m uniform over 0..n, the name then one the anchor has or lacks as m allows (either
            # for 0 < m < n, the other side if the one drawn has no name left): every m is as
            # likely, so no count is right more often than it is offered
            n = self.group_size(ctx)
            m = int(ctx.rng.integers(0, n + 1))
            has = m == n or (m > 0 and ctx.rng.random() < 0.5)
            found = _name_held(ctx, names[has], m - int(has))
            if found is None and 0 < m < n:
                has = not has
                found = _name_held(ctx, names[has], m - int(has))
            if found is None:
                continue
            name = found
            names[has].remove(name)
            holders = self.partners(ctx, m - int(has), among=ctx.pool.with_name(name))
            if holders is None:
                continue
            need = n - 1 - len(holders)
            # where absences are not all known, "all of them" is asked only if the pool holds an
            # image known to lack the name: otherwise it would be the only answer ever given
            probe = need == 0 and ctx.index.exhaustive is not None
            lacking = self.partners(ctx, 1 if probe else need, accept=missing(names=(name,), alike=alike_names(ctx, (name,))),
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


register("multi.count_images.v1", family="multi_aggregate")(CountImagesWith)


def _name_held(ctx: GroupContext, names: list[str], partners: int) -> str | None:
    """The last of `names` that at least `partners` pooled images have (else None): a rare name
    would fail more often the larger m is, and large counts would be offered more than right."""
    for name in reversed(names):
        if len(ctx.pool.with_name(name)) >= partners:
            return name
    return None


def _has_int(b: ProgramBuilder, image: int, name: str) -> int:
    """1 if image `image` has an object named `name`, else 0."""
    return b.add("bool_to_int", exists_node(b, image, name))
