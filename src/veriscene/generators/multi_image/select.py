"""Which image has (or lacks) an object, an attributed object or a relation? (family multi_select)

Every question has exactly one right image: the group is drawn so that the target image alone
has (lacks) the thing asked about, and the program (`select_image{n}` over per-image `exists`)
fails otherwise. Partners are drawn through the pool's postings: a partner "with a star" comes from
`with_name("star")`, a partner "without" is accepted on its entry's name set; for attributed
objects and relations, whose absence the entry cannot tell, hard negatives (a partner with stars,
but no red one) are parsed and checked, and topped up with partners whose entry rules it out.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from mypy_extensions import mypyc_attr

from veriscene.generators.base import Candidate, GroupContext
from veriscene.generators.common import sample_up_to, shuffled as shuffled_list
from veriscene.generators.multi_image.common import (
    Accept,
    GroupGenerator,
    alike_names,
    count_in,
    exists_node,
    holding,
    missing,
    shuffled,
    triple_node,
    which_image,
)
from veriscene.generators.registry import register
from veriscene.generators.visual import GenerousReader
from veriscene.generators.vocabulary import absent_sample
from veriscene.program.builder import ProgramBuilder
from veriscene.program.context import SceneIndex
from veriscene.scene.describe import noun_phrase
from veriscene.scene.model import Scene
from veriscene.text import is_uncountable, relation_modifier, unit_phrase, with_article
from veriscene.vocab import CONVERSE_PREDICATES


def clearly_not(index: SceneIndex, subject: str, predicate: str, obj: str) -> bool:
    """Whether no `subject` is `predicate` any `obj` in a way nobody would dispute: every
    (subject, object) pair stands in the converse predicate ("every circle is right of every
    square" rules out "a circle left of a square"). A missing relation alone is not enough: scene
    graphs record "left of" only for clear cases, and a circle diagonally to the left of a square
    reads as "left of" to many people. Nor may a viewer read the predicate into any pair
    (`GenerousReader.could_hold`: a circle annotated right of a square but shifted left of it)."""
    converse = CONVERSE_PREDICATES.get(predicate)
    subjects, objects = index.by_name.get(subject, ()), index.by_name.get(obj, ())
    if converse is None or converse == predicate or not subjects or not objects:
        return False
    rel = index.relation_set
    if not all((s, converse, o) in rel and (s, predicate, o) not in rel for s in subjects for o in objects if s != o):
        return False
    could_hold = GenerousReader.of(index).could_hold
    return not any(could_hold(s, predicate, o) for s in subjects for o in objects)


def present_or_absent(ctx: GroupContext, half: int) -> list[tuple[bool, str]]:
    """Up to `half` names the anchor has and `half` it lacks, as (anchor has it, name), in a
    random order (the runner takes them in order until it has what it needs)."""
    present = sorted(ctx.index.by_name)
    tasks = [(True, n) for n in sample_up_to(ctx.rng, present, half)]
    tasks += [(False, n) for n in absent_sample(ctx.rng, ctx.vocab, ctx.index, half)]
    return shuffled_list(ctx.rng, tasks)


def _lacks(ctx: GroupContext, name: str) -> Accept:
    """Entry test: no object of this name, nor of one that may name it (`alike_names`)."""
    return missing(names=(name,), alike=alike_names(ctx, (name,)))


def _none(index: SceneIndex, name: str, attributes: tuple[str, ...]) -> bool:
    """Whether the scene has no `name` with these attributes."""
    return count_in(index, name, attributes) == 0


@mypyc_attr(allow_interpreted_subclasses=True)
class WhichHasObject(GroupGenerator):
    """Which image contains an X? The target is the anchor (X drawn from its objects, partners
    without X) or a partner (X absent from the anchor, one partner from `with_name(X)`)."""

    answer_type = "image_index"
    in_order = True  # the group is shuffled: the answer position is uniform by construction
    description = "Which of 2-4 images is the only one containing an object of a given name."
    templates = {
        "default": (
            "Which image contains {a_obj}?",
            "In which of the {n} images is there {a_obj}?",
            "Only one of these images shows {a_obj}. Which one?",
            "Which of the images has {a_obj} in it?",
        )
    }

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        for anchor_has, name in present_or_absent(ctx, self.max_candidates // 2):
            if anchor_has:  # the anchor is the only image with X
                others = self.partners(ctx, self.group_size(ctx) - 1, accept=_lacks(ctx, name))
                if others is not None:
                    yield self._candidate(shuffled(ctx, [ctx.scene, *others]), ctx.scene, name)
                continue
            target = self.partners(ctx, 1, among=ctx.pool.with_name(name))
            if target is None:
                continue
            others = self.partners(ctx, self.group_size(ctx) - 2, accept=_lacks(ctx, name), exclude=[target[0].image_id])
            if others is not None:
                yield self._candidate(shuffled(ctx, [ctx.scene, target[0], *others]), target[0], name)

    def _candidate(self, scenes: tuple[Scene, ...], target: Scene, name: str) -> Candidate:
        return which_image(scenes, target, partial(exists_node, name=name), "select_image",
                           {"a_obj": with_article(name)})


register("multi.has_object.v1", family="multi_select")(WhichHasObject)


@mypyc_attr(allow_interpreted_subclasses=True)
class WhichLacksObject(GroupGenerator):
    """Which image has no X? Either the anchor lacks X and every partner has one, or the anchor has
    X, one partner lacks it and the others have it."""

    answer_type = "image_index"
    in_order = True  # the group is shuffled: the answer position is uniform by construction
    description = "Which of 2-4 images is the only one without an object of a given name."
    # `obj` follows "no" as one object: "no pair of glasses" ("is there no glasses" is no
    # English), but "no sky" (a substance: `is_uncountable`)
    templates = {
        "default": (
            "Which image does not contain {a_obj}?",
            "In which of the {n} images is there no {obj}?",
            "{all_but_one} {a_obj}. Which image does not?",
            "Which of the images has no {obj} in it?",
        )
    }

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        for anchor_has, name in present_or_absent(ctx, self.max_candidates // 2):
            if not anchor_has:  # the anchor is the only image without X
                others = self.partners(ctx, self.group_size(ctx) - 1, among=ctx.pool.with_name(name))
                if others is not None:
                    yield self._candidate(shuffled(ctx, [ctx.scene, *others]), ctx.scene, name)
                continue
            target = self.partners(ctx, 1, accept=_lacks(ctx, name))
            if target is None:
                continue
            others = self.partners(ctx, self.group_size(ctx) - 2, among=ctx.pool.with_name(name),
                                   exclude=[target[0].image_id])
            if others is not None:
                yield self._candidate(shuffled(ctx, [ctx.scene, target[0], *others]), target[0], name)

    def _candidate(self, scenes: tuple[Scene, ...], target: Scene, name: str) -> Candidate:
        def lacks(b: ProgramBuilder, i: int) -> int:  # not(exists(X in image i))
            return b.add("not", exists_node(b, i, name))

        one = name if is_uncountable(name) else unit_phrase(name)
        # "All images but one show" speaks of three or more: of two, only one shows it
        all_but_one = "Only one of the two images shows" if len(scenes) == 2 else "All images but one show"
        return which_image(scenes, target, lacks, "select_image",
                           {"a_obj": with_article(name), "obj": one, "all_but_one": all_but_one})


register("multi.lacks_object.v1", family="multi_select")(WhichLacksObject)


@mypyc_attr(allow_interpreted_subclasses=True)
class WhichHasAttributed(GroupGenerator):
    """Which image contains an <attr> X? The anchor holds the only <attr> X; partners are hard
    negatives where possible (they have an X, but not an <attr> one)."""

    answer_type = "image_index"
    in_order = True  # the group is shuffled: the answer position is uniform by construction
    # (where attributes are sparse the only partners a program accepts lack the name altogether,
    # so the question would come down to the name: not asked there)
    requires = ("attributes", "attributes_in_full")
    description = "Which of 2-4 images is the only one containing an object with a given attribute."
    templates = {
        "default": (
            "Which image contains {a_phrase}?",
            "In which of the {n} images is there {a_phrase}?",
            "Only one image shows {a_phrase}. Which one is it?",
            "Which of these images has {a_phrase} in it?",
        )
    }

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        pairs = sorted({(a, name) for name, attrs in zip(ctx.scene.names, ctx.scene.attributes) for a in attrs})
        for attr, name in sample_up_to(ctx.rng, pairs, self.max_candidates):
            others = self.negatives(
                ctx, self.group_size(ctx) - 1, partial(_none, name=name, attributes=(attr,)),
                hard=ctx.pool.with_name(name),
                easy_accept=missing(names=(name,), attributes=(attr,), alike=alike_names(ctx, (name,))),
            )
            if others is None:
                continue
            yield which_image(shuffled(ctx, [ctx.scene, *others]), ctx.scene,
                              partial(exists_node, name=name, attributes=(attr,)), "select_image",
                              {"a_phrase": with_article(noun_phrase(name, (attr,)))})


register("multi.has_attributed.v1", family="multi_select")(WhichHasAttributed)


@mypyc_attr(allow_interpreted_subclasses=True)
class WhichHasRelation(GroupGenerator):
    """In which image is there an A <predicate> a B? Only the anchor has such a pair, a direction
    one the boxes show (`SceneIndex.shows`). Partners lack A or B, or (hard negatives, for
    predicates with a converse) have A and B with every pair in the converse relation and none a
    viewer may read in the predicate (see `clearly_not`)."""

    answer_type = "image_index"
    in_order = True  # the group is shuffled: the answer position is uniform by construction
    requires = ("relations",)
    description = "Which of 2-4 images is the only one where a relation holds between two kinds of object."
    # `rel` is the predicate as a noun modifier (`relation_modifier`): "a man holding a cup", "a
    # man with a hat" ("has"), "a window that is part of a house", never "a window part of a house"
    templates = {
        "is": (
            "In which image is there {a_subj} {rel} {a_obj}?",
            "Which image shows {a_subj} {rel} {a_obj}?",
            "In which of the {n} images can you see {a_subj} {rel} {a_obj}?",
        ),
    }

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        names = ctx.scene.names
        # a direction only as the boxes show it (`SceneIndex.shows`: not "a man above a dog" of
        # the one man annotated above a dog but merely shifted up from it)
        shows = ctx.index.shows
        triples = sorted({(names[s], p, names[o]) for s, p, o in ctx.scene.relations
                          if names[s] != names[o] and shows(s, p, o)})
        for subj, pred, obj in sample_up_to(ctx.rng, triples, self.max_candidates):
            converse = CONVERSE_PREDICATES.get(pred)
            hard = ctx.pool.with_name(subj) if converse not in (None, pred) else None
            others = self.negatives(
                ctx, self.group_size(ctx) - 1, partial(clearly_not, subject=subj, predicate=pred, obj=obj),
                hard=hard, hard_accept=holding(names=(obj,)),
                easy_accept=missing(names=(subj, obj), alike=alike_names(ctx, (subj, obj))),
            )
            if others is None:
                continue
            slots = {"a_subj": with_article(subj), "a_obj": with_article(obj), "rel": relation_modifier(pred)}
            yield which_image(shuffled(ctx, [ctx.scene, *others]), ctx.scene,
                              partial(triple_node, subject=subj, predicate=pred, obj=obj), "select_image",
                              slots, group="is")


register("multi.has_relation.v1", family="multi_select")(WhichHasRelation)
