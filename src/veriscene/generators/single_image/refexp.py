"""Relational referring-expression grounding: the box of "the red circle to the left of the star".

The target shares its name (and the attributes used) with at least one other object, so the
relation is what singles it out. Among the objects matching the name and attributes, the target
must be the only one annotated with the relation to the anchor *and* the only one a viewer could
read it into (`visual.GenerousReader`), and a direction must be one the boxes show clearly
(`SceneIndex.shows`: not "the man above the dog" of a man merely shifted up from it). The anchor
is described by name and attributes. The
answer is the target's box (absolute pixels), scored by IoU; options are other objects' boxes,
those sharing the target's name first (the hardest confusions).
"""

from __future__ import annotations

from functools import partial
from itertools import combinations, islice
from typing import Any, Iterable

from mypy_extensions import mypyc_attr

from veriscene.generators.agreement import plural_slots
from veriscene.generators.base import Candidate, Deferred, GenContext, Generator
from veriscene.generators.common import referent_query
from veriscene.generators.regions import box_text
from veriscene.generators.registry import register
from veriscene.generators.single_image.grounding import FORMAT_NOTES, BoxFormatNote
from veriscene.generators.visual import GenerousReader
from veriscene.scene.describe import (
    Referent, _attr_nodes, _matching, _relations_from, noun_phrase, refer_by_attributes,
)
from veriscene.program.context import geometric_reading
from veriscene.scene.model import Scene
from veriscene.scene.spellings import subjects_over_spellings
from veriscene.text import agreeing_relation_modifier, takes_plural_verb


def relational_referent(ctx: GenContext, reader: GenerousReader, i: int, max_attributes: int = 1) -> Referent | None:
    """Shortest "name [+ attributes] <relation> the <anchor>" description selecting object i when
    its name (+ attributes) alone is ambiguous; None if there is none."""
    scene = ctx.scene
    name = scene.names[i]
    if len(ctx.index.by_name[name]) < 2:
        return None  # the name alone is unambiguous (each base below is a subset of its objects)
    relations = _relations_from(ctx.index, i)
    if not relations:
        return None
    # where relations are sparse (``meta["sparse"]``), only predicates read from the boxes ("left
    # of", "next to": `geometric_reading`): the reader's check that no other object could hold
    # one then makes the expression sure
    sparse = ctx.index.sparse_relations
    # (no attributes where they are sparse: "the red cup" may not be the only red cup)
    most = 0 if ctx.index.sparse_attributes else min(max_attributes, len(scene.attributes[i]))
    for k in range(0, most + 1):
        for subset in combinations(scene.attributes[i], k):
            base = _matching(ctx.index, name, subset)
            if len(base) < 2:
                continue  # not ambiguous without the relation: plain grounding covers it
            for o, predicates in relations:
                if o in base:
                    continue
                anchor = refer_by_attributes(ctx.index, o)
                if anchor is None:
                    continue
                for p in predicates:
                    if sparse and not geometric_reading(p):  # another may hold it, unannotated
                        continue
                    if not ctx.index.shows(i, p, o):  # a direction the boxes do not show clearly
                        continue
                    # annotated in any spelling of p (`annotated_over_spellings`): i alone of the base
                    subjects = subjects_over_spellings(ctx.index, o, p)
                    if [j for j in base if j in subjects] != [i] or not reader.only_subject(i, p, o, among=base):
                        continue
                    nodes = _attr_nodes(0, name, subset)
                    offset = len(nodes)
                    nodes += [{"op": n["op"], "inputs": [j + offset for j in n["inputs"]], "args": list(n["args"])}
                              for n in anchor.nodes]
                    nodes.append({"op": "filter_relation", "inputs": [offset - 1, len(nodes) - 1],
                                  "args": [p, "subject"]})
                    # a noun modifier: "the man holding the cup", not "the man holds the cup"
                    phrase = f"{noun_phrase(name, subset)} {agreeing_relation_modifier(name, p)} {anchor.the}"
                    return Referent(i, phrase, tuple(nodes), takes_plural_verb(name))
    return None


@mypyc_attr(allow_interpreted_subclasses=True)
class GroundRelationalExpression(BoxFormatNote, Generator):
    """Give the bounding box of <the X related to the Y>, where the relation disambiguates."""

    answer_type = "box"
    requires = ("relations",)
    description = "Bounding box of an object named by a relational referring expression."
    templates = {
        "default": (
            "Give the bounding box of {the_ref}. {fmt}",
            "Locate {the_ref}. {fmt}",
            "Find {the_ref} and output its bounding box. {fmt}",
            "Where exactly is {the_ref}? {fmt}",
        )
    }

    def propose(self, ctx: GenContext) -> Iterable[Deferred]:
        reader = GenerousReader.of(ctx.index)
        boxes = ctx.index.box_list
        for i in range(len(ctx.scene)):
            ref = relational_referent(ctx, reader, i)
            if ref is not None:
                # phrased only if picked
                yield Deferred([round(v, 2) for v in boxes[i]], partial(self._make, ctx, ref))

    def _make(self, ctx: GenContext, ref: Referent) -> Candidate:
        boxes = ctx.index.box_list
        i = ref.index
        wanted = max(self.config.num_choices - 1, 1)
        same = ctx.index.by_name[ctx.scene.names[i]]  # sorted
        order = [j for j in same if j != i][:wanted]  # objects of the same name first, then the rest
        if len(order) < wanted:  # then the first others (a set: not every object against every one of the name)
            named = set(same)
            order += list(islice((j for j in range(len(boxes)) if j not in named), wanted - len(order)))
        others = [[round(v, 2) for v in boxes[j]] for j in order]
        slots = {"the_ref": ref.the, "fmt": FORMAT_NOTES[self.config.box_format]}
        return Candidate(None, slots, expected=[round(v, 2) for v in boxes[i]], distractors=others,
                         plural=plural_slots(the_ref=ref),
                         build=partial(referent_query, (ref,), "query_box"))

    def choice_text(self, value: Any, scene: Scene) -> str:
        return box_text(scene, value, self.config.box_format)


register("grounding.refexp.v1", family="grounding")(GroundRelationalExpression)
