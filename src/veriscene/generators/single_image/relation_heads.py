"""Relation questions that ask for an object, or name objects by region.

- relation.subject.v1: Which object is to the left of the large square? (subject query) and
  What is the small star on top of? (object/head query). Answer: the object's name.
- relation.region.v1: What is the relation of the object in [box 1] to the object in [box 2]?

Both need the answer to be the only visually plausible one: the asked object must be the only one
a viewer could read the relation into (`visual.GenerousReader`), and a region pair is asked about
only when exactly one predicate is annotated and no other reading answers as well, as
relation.query asks (`open_rivals`: a direction as clear, a depth order the image shows); its
options leave out every predicate a viewer may read of the pair ("near" beside "left of").
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterable, Sequence

from mypy_extensions import mypyc_attr

from veriscene.generators.agreement import plural_slots
from veriscene.generators.base import Batch, Candidate, GenContext, Generator
from veriscene.generators.common import add_unique, wording
from veriscene.generators.registry import register
from veriscene.generators.regions import coord_meta
from veriscene.generators.relation_options import scene_values, wrong_options
from veriscene.generators.single_image.attribute_regions import ClearRegions, clear_regions, region_object_nodes
from veriscene.generators.single_image.relations import (
    _kind,
    forced_answer,
    may_hold,
    open_rivals,
    options_like,
    options_read,
    sure_wrong,
)
from veriscene.generators.visual import GenerousReader, direction_shown, readable_predicates, sole_direction
from veriscene.generators.vocabulary import Vocabulary, Without
from veriscene.generators.vocabulary_draws import name_kind, option_names, overlapping_kinds
from veriscene.program.builder import ProgramBuilder
from veriscene.scene.describe import Referent, referents
from veriscene.scene.geometry import READABLE
from veriscene.scene.spellings import objects_over_spellings, subjects_over_spellings
from veriscene.text import has_subject_free_phrase, relation_phrase
from veriscene.vocab import predicate_class


@mypyc_attr(allow_interpreted_subclasses=True)
class RelatedObject(Generator):
    """Which object is <predicate> the <anchor>? / What is the <anchor> <predicate>? Asked only
    when exactly one object stands in the relation, in any of its spellings ('holding', 'holds')
    and also under a generous visual reading."""

    answer_type = "str"
    requires = ("relations", "relations_in_full")
    description = "Which object stands in a given relation to another (subject or head query)."
    templates = {
        "subject": ("Which object {rel} {the_anchor}?", "What {rel} {the_anchor}?",
                    "Name the object that {rel} {the_anchor}."),
        "object": ("What is {the_anchor} {rel_short}?", "{the_anchor} is {rel_short} which object?",
                   "Which object is {the_anchor} {rel_short}?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        refs = referents(ctx.index, allow_relations=False)
        reader = GenerousReader.of(ctx.index)
        names_of = ctx.scene.names
        answers: list[str] = []
        asked: list[tuple[GenContext, Referent, str, int, str, list[str]]] = []
        # the one object over every spelling of the predicate (`subjects_over_spellings`): not
        # "What is holding the cup?" answered "man" while the woman "holds" it
        for (anchor, predicate), _ in sorted(ctx.index.incoming.items()):
            if not has_subject_free_phrase(predicate):
                continue  # "What is of the man?": 'of' is said with its subject's noun
            subjects = subjects_over_spellings(ctx.index, anchor, predicate)
            if anchor not in refs or len(subjects) != 1 or not reader.only_subject(subjects[0], predicate, anchor):
                continue
            if not direction_shown(ctx.index, subjects[0], predicate, anchor):
                continue  # "Which object is left of the lamp?" of an object the boxes do not show so
            answers.append(names_of[subjects[0]])
            asked.append((ctx, refs[anchor], predicate, subjects[0], "subject", answers))
        for (anchor, predicate), _ in sorted(ctx.index.outgoing.items()):
            if _kind(predicate) != "is" or anchor not in refs:
                continue
            objects = objects_over_spellings(ctx.index, anchor, predicate)
            if len(objects) != 1:
                continue
            if not reader.only_object(objects[0], predicate, anchor) or not direction_shown(ctx.index, anchor, predicate, objects[0]):
                continue
            answers.append(names_of[objects[0]])
            asked.append((ctx, refs[anchor], predicate, objects[0], "object", answers))
        # many per scene, one or two used: phrased only if picked
        yield Batch.of(answers, asked, self._candidate)

    def _candidate(self, ctx: GenContext, anchor: Referent, predicate: str, target: int, group: str,
                   answers: list[str]) -> Candidate:
        side = "object" if group == "subject" else "subject"  # relate(anchor, p, side) finds the target
        rel = relation_phrase(predicate)
        answer = ctx.scene.names[target]
        slots = {"rel": rel, "rel_short": rel.removeprefix("is "), "the_anchor": anchor.the}
        # "What are the jeans on?": the anchor is the subject of the "object" questions
        plural = plural_slots(the_anchor=anchor) if group == "object" else ()
        return Candidate(None, slots, group=group, expected=answer, plural=plural,
                         distractors=self._wrong_names(ctx, anchor.index, answer, answers),
                         build=partial(_related_name_program, anchor, predicate, side))


    def _wrong_names(self, ctx: GenContext, anchor: int, answer: str, answers: list[str]) -> list[str]:
        """Names of the scene's other answers first, then by the data set's object counts
        (`relation_options`); none of the answer's kind ('men' and 'group of men' beside 'man':
        `name_kind`) nor of one that may name its object ("person" beside "man":
        `overlapping_kinds`), one of each kind; none that may name only the anchor
        (`_naming_only`); on a scene of a closed category list, its set's names alone (`option_names`)."""
        right = overlapping_kinds(name_kind(answer)) | _naming_only(ctx.scene.names, anchor)
        names, key = option_names(ctx.vocab, ctx.index)
        return wrong_options(ctx.rng, self.config.num_choices - 1, Without(names, (answer,)),
                             lambda name: name_kind(name) not in right, ctx.vocab.names, vocab=ctx.vocab, key=key,
                             scene=scene_values(answers), kind=name_kind)


register("relation.subject.v1", family="relation")(RelatedObject)


def _naming_only(names: Sequence[str], anchor: int) -> frozenset[str]:
    """The name kinds (`name_kind`) that may name the anchor and no other object of the scene:
    never the answer of a question about the anchor (an object is not related to itself), so a
    wrong option of them is eliminated from the question alone ("What is near the triangle?
    triangle": 191 of 475 demo multiple choices offered the anchor's name). Where the scene holds
    another object the name may name ("the small star" beside a large one), it may be right and
    stays: the reader must look whether that other one is the one related."""
    others = {name_kind(n) for i, n in enumerate(names) if i != anchor}
    return frozenset(k for k in overlapping_kinds(name_kind(names[anchor])) if not overlapping_kinds(k) & others)


def _readable_only(vocab: Vocabulary) -> bool:
    """Whether a region question's answer is mostly one of `READABLE` ("near" and the
    directions): where the data set says all of them, any two boxes read as one (apart along an
    axis: a direction; else near), so a pair annotated otherwise ("behind") is asked only where
    what the boxes show says less (`open_rivals`). Options drawn by the data set's counts fill
    from `READABLE` alone (drawn from the others, "on" was never right); the scene's other
    answers are offered whatever they are."""
    return vocab.view("region answers readable only", lambda: all(p in vocab.predicates for p in READABLE))


def _related_name_program(anchor: Referent, predicate: str, side: str) -> list[dict[str, Any]]:
    """Program: the name of the one object `relate(anchor, predicate, side)` finds."""
    b = ProgramBuilder()
    found = b.add("relate", add_unique(b, anchor), args=[predicate, side])
    b.add("query_name", b.add("unique", found))
    return b.program


def _region_relation_program(box_s: list[float], box_o: list[float]) -> list[dict[str, Any]]:
    """Program: the relation from the object in region `box_s` to the object in region `box_o`."""
    b = ProgramBuilder()
    b.add("query_relation", region_object_nodes(b, box_s), region_object_nodes(b, box_o))
    return b.program


@mypyc_attr(allow_interpreted_subclasses=True)
class RegionRelation(Generator):
    """What is the relation of the object in [box 1] to the object in [box 2]? Only pairs with
    one annotated predicate, a direction only as the boxes show it alone (`direction_shown`,
    `sole_direction`), and no other reading that answers as well (`open_rivals`; "near" says
    less than any answer); options never hold nor may be read (`readable_predicates`)."""

    answer_type = "str"
    requires = ("relations",)
    description = "The relation between the objects in two given regions."
    templates = {
        "is": ("Where is the object in the region {r1} relative to the object in the region {r2}?",
               "What is the spatial relation of the object at {r1} to the object at {r2}?",
               "How is the object inside {r1} positioned with respect to the object inside {r2}?"),
        "verb": ("What is the relationship between the object in the region {r1} and the object in the region {r2}?",
                 "How is the object at {r1} related to the object at {r2}?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        regions = clear_regions(ctx, self.config.box_format)
        answers: list[str] = []
        asked: list[tuple[GenContext, ClearRegions, int, int, str, list[str]]] = []
        for (s, o), held in sorted(ctx.index.predicates_between.items()):
            if len(held) != 1 or s not in regions or o not in regions or forced_answer(ctx.vocab, held[0]):
                continue  # (a forced answer: "touching" beside "surrounded by", which never holds alone)
            predicate = held[0]
            if not direction_shown(ctx.index, s, predicate, o) or not sole_direction(ctx.index, s, predicate, o):
                continue  # a direction the boxes do not show clearly, or another as clear across it
            if open_rivals(ctx.index, ctx.vocab, s, o, predicate):
                continue  # another reading answers as well ("behind" too, as the image shows): ambiguous
            answers.append(predicate)
            asked.append((ctx, regions, s, o, predicate, answers))
        # phrased only if picked
        yield Batch.of(answers, asked, self._make)

    def _make(self, ctx: GenContext, regions: ClearRegions, s: int, o: int, predicate: str,
              answers: list[str]) -> Candidate:
        region_s, region_o = regions[s], regions[o]
        allowed: Sequence[str]
        key: tuple[Any, ...] | None = None
        fits: Callable[[str], bool] | None = None  # (default: a scene's answer in `allowed`)
        # never a predicate a viewer may read of the pair, in any wording ("near", "next to" of
        # boxes close by beside the answer "left of": `readable_predicates`, `options_read`)
        seen = readable_predicates(ctx.index, s, o)
        read = options_read(ctx.vocab, predicate, seen, {predicate_class(p) for p in seen})
        if ctx.index.sparse_relations:  # any unannotated predicate may hold: only sure wrong ones
            allowed = [p for p in sure_wrong(ctx.index, s, o, predicate, ctx.vocab, doing=False) if p not in read]
        else:  # every other predicate answering its question is wrong, unless read or held with it
            allowed = Without(options_like(ctx.vocab, predicate, doing=False), (*may_hold(ctx.vocab, (predicate,)), *read))
            key = ("predicates answering", _kind(predicate), wording(predicate, doing=False), False)
            if _readable_only(ctx.vocab):  # fill only with predicates most often an answer here
                # (the scene's other answers stay offered: "behind", asked beside a "near" that
                # says less, is a wrong option of a pair clearly left of another)
                fits, allowed, key = allowed.__contains__, [p for p in READABLE if p in allowed], None
        # the scene's other answers, each as often right as any (the runner draws one uniformly);
        # a wrong option drawn by the data set's counts only where the scene has no other: filled
        # to 4 options, "left of" (a third of the answers) would be right where offered far more
        # often than a quarter of the time (`relation_options`)
        distractors = wrong_options(ctx.rng, self.config.num_choices - 1, allowed, predicate.__ne__,
                                    ctx.vocab.predicates, vocab=ctx.vocab, key=key, scene=scene_values(answers),
                                    fill_to=1, scene_fits=fits)
        return Candidate(None, {"r1": region_s[0], "r2": region_o[0]}, group=wording(predicate, doing=False),
                         expected=predicate, distractors=distractors,
                         meta=coord_meta(ctx.scene, self.config.box_format),
                         build=partial(_region_relation_program, region_s[1], region_o[1]))


register("relation.region.v1", family="relation")(RegionRelation)
