"""Relation questions that ask for an object, or name objects by region.

- relation.subject.v1: Which object is to the left of the large square? (subject query) and
  What is the small star on top of? (object/head query). Answer: the object's name.
- relation.region.v1: What is the relation of the object in [box 1] to the object in [box 2]?

Both need the answer to be the only visually plausible one: the asked object must be the only one
a viewer could read the relation into (`visual.GenerousReader`), and a region pair is asked about
only when exactly one predicate is annotated and no other predicate could be read into the image.
"""

from __future__ import annotations

from typing import Iterable

from veriscene.generators.base import Candidate, GenContext, Generator
from veriscene.generators.common import add_unique
from veriscene.generators.registry import register
from veriscene.generators.regions import coord_meta
from veriscene.generators.single_image.attribute_regions import clear_regions, region_object_nodes
from veriscene.generators.single_image.relations import _kind, _referents
from veriscene.generators.visual import GenerousReader
from veriscene.program.builder import ProgramBuilder
from veriscene.text import relation_phrase


@register("relation.subject.v1", family="relation")
class RelatedObject(Generator):
    """Which object is <predicate> the <anchor>? / What is the <anchor> <predicate>? Asked only
    when exactly one object stands in the relation, also under a generous visual reading."""

    answer_type = "str"
    requires = ("relations",)
    description = "Which object stands in a given relation to another (subject or head query)."
    templates = {
        "subject": ("Which object {rel} {the_anchor}?", "What {rel} {the_anchor}?",
                    "Name the object that {rel} {the_anchor}."),
        "object": ("What is {the_anchor} {rel_short}?", "{the_anchor} is {rel_short} which object?",
                   "Which object is {the_anchor} {rel_short}?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Candidate]:
        refs = _referents(ctx)
        reader = GenerousReader(ctx.index)
        names = ctx.vocab.name_list()
        for (anchor, predicate), subjects in sorted(ctx.index.incoming.items()):
            if anchor not in refs or len(subjects) != 1 or not reader.only_subject(subjects[0], predicate, anchor):
                continue
            yield self._candidate(ctx, refs[anchor], predicate, subjects[0], "subject", names)
        for (anchor, predicate), objects in sorted(ctx.index.outgoing.items()):
            if _kind(predicate) != "is" or anchor not in refs or len(objects) != 1:
                continue
            if not reader.only_object(objects[0], predicate, anchor):
                continue
            yield self._candidate(ctx, refs[anchor], predicate, objects[0], "object", names)

    def _candidate(self, ctx: GenContext, anchor, predicate: str, target: int, group: str,
                   names: list[str]) -> Candidate:
        b = ProgramBuilder()
        side = "object" if group == "subject" else "subject"  # relate(anchor, p, side) finds the target
        found = b.add("relate", add_unique(b, anchor), args=[predicate, side])
        b.add("query_name", b.add("unique", found))
        rel = relation_phrase(predicate)
        answer = ctx.scene.names[target]
        slots = {"rel": rel, "rel_short": rel.removeprefix("is "), "the_anchor": anchor.the}
        return Candidate(b.program, slots, group=group, expected=answer,
                         distractors=[n for n in names if n != answer])


@register("relation.region.v1", family="relation")
class RegionRelation(Generator):
    """What is the relation of the object in [box 1] to the object in [box 2]? Only pairs with
    one annotated predicate and no other predicate a viewer could read; options never hold."""

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

    def propose(self, ctx: GenContext) -> Iterable[Candidate]:
        regions = clear_regions(ctx, self.config.box_format)
        reader = GenerousReader(ctx.index)
        vocab_predicates = ctx.vocab.predicate_list()
        for (s, o), held in sorted(ctx.index.predicates_between.items()):
            if len(held) != 1 or s not in regions or o not in regions:
                continue
            predicate = held[0]
            readable = reader.readable_predicates(s, o, sorted(set(vocab_predicates) | {predicate}))
            if readable != {predicate}:
                continue  # another relation could be read into the image: ambiguous
            b = ProgramBuilder()
            b.add("query_relation", region_object_nodes(b, regions[s][1]), region_object_nodes(b, regions[o][1]))
            distractors = [p for p in vocab_predicates if p not in readable and _kind(p) == _kind(predicate)]
            yield Candidate(b.program, {"r1": regions[s][0], "r2": regions[o][0]}, group=_kind(predicate),
                            expected=predicate, distractors=distractors,
                            meta=coord_meta(ctx.scene, self.config.box_format))
