"""How one pair of objects is related differently in two images (family multi_compare).

- multi.relation_diff.v1: the circle and the square are arranged differently in Image i and
  Image j; where is the circle relative to the square in Image j? (`differ_str` fails unless the
  relation really differs; each pair must stand in exactly one relation, and two spellings of one
  relation, "holding" and "holds", are not a difference: `one_relation`.) The objects are named
  and the partner is paired as in `differences` (shared descriptions, fillers up to 2-4 images).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from mypy_extensions import mypyc_attr

from veriscene.generators.agreement import plural_slots
from veriscene.generators.base import Candidate, GroupContext
from veriscene.generators.common import sample_up_to, wording
from veriscene.generators.multi_image.common import GroupGenerator, holding, image_label, images_phrase
from veriscene.generators.multi_image.differences import _described_node, _pair, _phrase
from veriscene.generators.registry import register
from veriscene.generators.relation_options import wrong_options
from veriscene.generators.single_image.relations import _kind, may_hold, options_like, options_read
from veriscene.generators.visual import readable, readable_predicates, sole_direction
from veriscene.generators.vocabulary import Without
from veriscene.program.builder import ProgramBuilder
from veriscene.program.context import SceneIndex
from veriscene.scene.describe import refer_by_attributes, shared_description
from veriscene.text import predicate_key
from veriscene.vocab import predicate_class


def one_relation(a: str, b: str) -> bool:
    """Whether two predicates are spellings of one relation: said the same after a noun ("holds",
    "hold" and "holding" are "the man holding the cup"; "has" and "with" "the man with the hat":
    `text.predicate_key`). Readers keep such spellings apart (Visual Genome writes all of them), so
    a pair "holding" in one image and "holds" in another is annotated differently, not related
    differently."""
    return a == b or predicate_key(a) == predicate_key(b)


def relation_match(anchor: SceneIndex, s: int, o: int, predicate: str,
                   partner: SceneIndex) -> tuple[tuple[str, ...], tuple[str, ...], str, int, int] | None:
    """For the anchor's pair (s, o), the first pair of objects of the same names in the partner
    that stand in exactly one relation, not `predicate` nor a spelling or synonym of it
    (`one_relation`; `vocab.predicate_class`: "next to" and "beside" say one place), with
    shared descriptions of both: (description of s, description of o, the partner's predicate, its
    two objects), or None. A direction must be the only one a viewer reads in its image
    (`sole_direction`), and neither image's direction may be read in the other (a pair "left of"
    in one image and diagonally "above" and left in the other is not arranged differently to the
    eye)."""
    names = anchor.scene.names
    for s2 in partner.by_name.get(names[s], ()):
        for o2 in partner.by_name.get(names[o], ()):
            found = partner.predicates_between.get((s2, o2), ())
            if len(found) != 1 or one_relation(found[0], predicate):
                continue
            if predicate_class(found[0]) == predicate_class(predicate):
                continue  # two words for one relation ("next to", "beside"; "on", "on top of")
            if (not sole_direction(partner, s2, found[0], o2) or readable(partner, s2, predicate, o2)
                    or readable(anchor, s, found[0], o)):
                continue
            subject = shared_description(anchor, s, partner, s2)
            if subject is None:
                continue
            target = shared_description(anchor, o, partner, o2)
            if target is not None:
                return subject, target, found[0], s2, o2
    return None


@mypyc_attr(allow_interpreted_subclasses=True)
class RelationDifference(GroupGenerator):
    """The A and the B are arranged differently in Image i and Image j: how are they in Image j?
    A and B are picked alone by their names (or shared descriptions) in both images and stand in
    exactly one relation; a direction is the only one a viewer reads there, and not one read in
    the other image (`relation_match`). Options never hold a direction read in the asked image."""

    answer_type = "str"
    # (where relations are sparse, a pair annotated "left of" in one image and "above" in the
    # other may stand in both in each: "arranged differently" would not be sure)
    requires = ("relations", "relations_in_full")
    description = "The relation of a pair of objects in one image, where it differs from another of 2-4 images."
    templates = {
        "is": (
            ("The {a} and the {b} are arranged differently in {both}. "
             "Where is the {a} relative to the {b} in {img_b}?"),
            "In {img_b}, where is the {a} relative to the {b}? (The answer differs from {img_a}'s.)",
            "Unlike in {img_a}, how is the {a} positioned with respect to the {b} in {img_b}?",
        ),
        "verb": (
            ("The {a} and the {b} are related differently in {both}. "
             "How is the {a} related to the {b} in {img_b}?"),
            "Unlike in {img_a}, what is the relationship between the {a} and the {b} in {img_b}?",
        ),
    }

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        names = ctx.scene.names
        pairs = []
        for (s, o), preds in sorted(ctx.index.predicates_between.items()):
            if (names[s] != names[o] and len(preds) == 1 and sole_direction(ctx.index, s, preds[0], o)
                    and refer_by_attributes(ctx.index, s) is not None
                    and refer_by_attributes(ctx.index, o) is not None):
                pairs.append((s, o, preds[0]))
        for s, o, pred in sample_up_to(ctx.rng, pairs, 2):

            matched = self.matched_partner(ctx, partial(relation_match, ctx.index, s, o, pred),
                                           among=ctx.pool.with_name(names[s]), accept=holding(names=(names[o],)))
            if matched is None:
                continue
            partner, (subject, target, theirs, s2, o2) = matched
            scenes, i, j = _pair(ctx, self, partner)
            if scenes[i] is ctx.scene:
                before, after, seen = pred, theirs, readable_predicates(ctx.index_of(partner), s2, o2)
            else:
                before, after, seen = theirs, pred, readable_predicates(ctx.index, s, o)
            # "Where is ...?" only where both images' relations are places ('left of'): worded by
            # the answer, a place against an action ("holding") would say which option is right
            group = wording(after, doing=False)
            if wording(before, doing=False) != group:
                group = "verb"
            # options answer the question asked (places for "Where ...?"), never one that may hold
            # with the answer (a spelling or a near-synonym: `may_hold`) nor one a viewer may read
            # in the asked image, in any wording ("next to" where "near" is read: compared by
            # `predicate_class`, as relation.query does)
            options = options_like(ctx.vocab, after, doing=False)
            classes = {predicate_class(p) for p in seen}
            read = options_read(ctx.vocab, after, seen, classes)
            wrong = Without(options, (*may_hold(ctx.vocab, (after,)), *read))
            # the other image's predicate, alone: which of the two images is asked is drawn at
            # random (`_pair`), so each of the two is the answer half the time, whatever they are.
            # More options would tell: "left of" and "right of" are each over a quarter of the
            # answers (`relation_options`). One drawn by the data set's counts only where a viewer
            # might read the other image's predicate here too
            first = [before] if predicate_class(before) not in classes else []
            distractors = wrong_options(ctx.rng, self.config.num_choices - 1, wrong, after.__ne__,
                                        ctx.vocab.predicates, vocab=ctx.vocab,
                                        key=("predicates answering", _kind(after), wording(after, doing=False), False),
                                        first=first, fill_to=1)
            slots = {"a": _phrase(names[s], subject), "b": _phrase(names[o], target),
                     "img_a": image_label(i), "img_b": image_label(j), "both": images_phrase(sorted((i, j)))}
            yield Candidate(None, slots, group=group, expected=after, distractors=distractors, scenes=scenes,
                            plural=plural_slots(a=names[s]),
                            build=partial(_relation_program, (names[s], subject), (names[o], target), i, j))


register("multi.relation_diff.v1", family="multi_compare")(RelationDifference)


def _relation_program(a: tuple[str, tuple[str, ...]], b: tuple[str, tuple[str, ...]], i: int,
                      j: int) -> list[dict[str, Any]]:
    prog = ProgramBuilder()
    before = prog.add("query_relation", _described_node(prog, i, *a), _described_node(prog, i, *b))
    after = prog.add("query_relation", _described_node(prog, j, *a), _described_node(prog, j, *b))
    prog.add("differ_str", before, after)
    return prog.program
