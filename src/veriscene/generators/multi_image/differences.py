"""How one object, or one pair of objects, differs between two images (family multi_compare).

The object is named only by its kind ("the star in Image 2"), so it must be the only object of
that name in both images (`unique` fails otherwise). The partner is drawn from `with_name(X)` and
checked on its parsed scene; the remaining images of a 3-4 image group are fillers drawn from the
whole pool (the question says which two images it compares).

- multi.attribute_diff.v1: which property (color, size, ...) differs between the star in Image i
  and the star in Image j? Exactly one typed property may differ (`differing_attribute_type`).
- multi.attribute_same.v1: does the star in Image i have the same color as the one in Image j?
  Proposed only when the anchor yields both a yes and a no, so yes/no stays balanced.
- multi.relation_diff.v1: the circle and the square are arranged differently in Image i and
  Image j; where is the circle relative to the square in Image j? (`differ_str` fails unless the
  relation really differs; each pair must stand in exactly one relation.)
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from veriscene.generators.base import Candidate, GroupContext
from veriscene.generators.common import sample_up_to
from veriscene.generators.multi_image.common import (
    GroupGenerator,
    holding,
    image_label,
    objects_node,
    position,
    shuffled,
)
from veriscene.generators.registry import register
from veriscene.generators.vocabulary import Without
from veriscene.program.builder import ProgramBuilder
from veriscene.program.context import SceneIndex
from veriscene.scene.model import Scene
from veriscene.text import join_words, plural, relation_phrase
from veriscene.vocab import UNTYPED, attribute_type


def only_one(index: SceneIndex, name: str) -> int | None:
    """The index of the only object named `name`, or None."""
    found = index.by_name.get(name, ())
    return found[0] if len(found) == 1 else None


def typed(scene: Scene, i: int) -> dict[str, frozenset[str]]:
    """kind -> values of object i (untyped attributes ignored)."""
    out: dict[str, set[str]] = {}
    for a in scene.attributes[i]:
        if attribute_type(a) != UNTYPED:
            out.setdefault(attribute_type(a), set()).add(a)
    return {k: frozenset(v) for k, v in out.items()}


def typed_of(index: SceneIndex, i: int) -> dict[str, frozenset[str]]:
    """`typed` of object i of the index's scene, kept in the index (shared: read only)."""
    return index.memo(("multi.typed", i), partial(typed, index.scene, i))


def _unique_node(b: ProgramBuilder, image: int, name: str) -> int:
    return b.add("unique", objects_node(b, image, name))


def _pair(ctx: GroupContext, gen: GroupGenerator, partner: Scene) -> tuple[tuple[Scene, ...], int, int]:
    """Group of anchor + partner + fillers; (scenes, i, j) where i, j are the compared images in
    the order the question names them (anchor first or second at random)."""
    n = gen.group_size(ctx)
    fillers = gen.partners_upto(ctx, n - 2, exclude=[partner.image_id])
    scenes = shuffled(ctx, [ctx.scene, partner, *fillers])
    i, j = position(scenes, ctx.scene), position(scenes, partner)
    return (scenes, i, j) if ctx.rng.random() < 0.5 else (scenes, j, i)


@register("multi.attribute_diff.v1", family="multi_compare")
class AttributeDifference(GroupGenerator):
    """Which property differs between the X of Image i and the X of Image j?"""

    answer_type = "str"
    requires = ("attributes",)
    description = "The one attribute type in which an object differs between two of 2-4 images."
    templates = {
        "default": (
            "{img_a} and {img_b} each show one {obj}. In which property do the two {objs} differ: {kinds}?",
            "Compare the {obj} in {img_a} with the {obj} in {img_b}. Which of these differs: {kinds}?",
            "What is different about the {obj} in {img_b} compared with the {obj} in {img_a}: its {kinds}?",
        )
    }

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        names = [x for x in sorted(ctx.index.by_name) if only_one(ctx.index, x) is not None]
        for name in sample_up_to(ctx.rng, names, 2):
            mine = typed_of(ctx.index, only_one(ctx.index, name))  # type: ignore[arg-type]
            if len(mine) < 2:
                continue

            # The differing kind is chosen first, uniformly, so colour (many values) does not
            # dominate; the entry test keeps partners holding the anchor object's other values.
            answer = sorted(mine)[int(ctx.rng.integers(len(mine)))]
            keep = [v for k, vs in mine.items() if k != answer for v in vs]

            def differs_in(idx: SceneIndex, x: str = name, mine: dict = mine, kind: str = answer) -> bool:
                k = only_one(idx, x)
                if k is None:
                    return False
                theirs = typed_of(idx, k)
                return set(theirs) == set(mine) and [t for t in sorted(mine) if theirs[t] != mine[t]] == [kind]

            partner = self.checked_partners(ctx, 1, differs_in, among=ctx.pool.with_name(name),
                                            accept=holding(attributes=keep))
            if partner is None:
                continue
            scenes, i, j = _pair(ctx, self, partner[0])
            kinds = sorted(mine)
            slots = {"img_a": image_label(i), "img_b": image_label(j), "obj": name, "objs": plural(name),
                     "kinds": join_words(kinds, "or")}
            yield Candidate(None, slots, expected=answer, distractors=[k for k in kinds if k != answer],
                            scenes=scenes, build=partial(_diff_program, name, i, j))


def _diff_program(name: str, i: int, j: int) -> list[dict[str, Any]]:
    b = ProgramBuilder()
    b.add("differing_attribute_type", _unique_node(b, i, name), _unique_node(b, j, name))
    return b.program


@register("multi.attribute_same.v1", family="multi_compare")
class AttributeSame(GroupGenerator):
    """Does the X in Image i have the same <kind> as the X in Image j?"""

    answer_type = "bool"
    requires = ("attributes",)
    description = "Whether an object has the same color (size, ...) in two of 2-4 images."
    templates = {
        "default": (
            "Does the {obj} in {img_a} have the same {kind} as the {obj} in {img_b}?",
            "Is the {obj} in {img_a} the same {kind} as the {obj} in {img_b}?",
            "Do the {obj} of {img_a} and the {obj} of {img_b} share their {kind}?",
        )
    }

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        names = [x for x in sorted(ctx.index.by_name) if only_one(ctx.index, x) is not None]
        found: dict[bool, list[Candidate]] = {True: [], False: []}
        for name in sample_up_to(ctx.rng, names, 2):
            mine = typed_of(ctx.index, only_one(ctx.index, name))  # type: ignore[arg-type]
            mine = {k: v for k, v in mine.items() if len(v) == 1}
            partners = self.partners_upto(ctx, 3, among=ctx.pool.with_name(name))
            for partner in partners:
                k = only_one(ctx.index_of(partner), name)
                if k is None:
                    continue
                theirs = typed_of(ctx.index_of(partner), k)
                for kind in sorted(set(mine) & {t for t, v in theirs.items() if len(v) == 1}):
                    same = mine[kind] == theirs[kind]
                    if len(found[same]) >= 2:
                        continue
                    scenes, i, j = _pair(ctx, self, partner)
                    slots = {"img_a": image_label(i), "img_b": image_label(j), "obj": name, "kind": kind}
                    found[same].append(Candidate(None, slots, expected=same, distractors=[not same], scenes=scenes,
                                                 build=partial(_same_program, name, kind, i, j)))
        if found[True] and found[False]:
            yield from found[True] + found[False]


def _same_program(name: str, kind: str, i: int, j: int) -> list[dict[str, Any]]:
    b = ProgramBuilder()
    a = b.add("query_attribute", _unique_node(b, i, name), args=[kind])
    c = b.add("query_attribute", _unique_node(b, j, name), args=[kind])
    b.add("equal", a, c)
    return b.program


@register("multi.relation_diff.v1", family="multi_compare")
class RelationDifference(GroupGenerator):
    """The A and the B are arranged differently in Image i and Image j: how are they in Image j?
    A and B are the only objects of their names in both images and stand in exactly one relation."""

    answer_type = "str"
    requires = ("relations",)
    description = "The relation of a pair of objects in one image, where it differs from another of 2-4 images."
    templates = {
        "is": (
            ("The {a} and the {b} are arranged differently in {img_a} and {img_b}. "
             "Where is the {a} relative to the {b} in {img_b}?"),
            "In {img_b}, where is the {a} relative to the {b}? (It is not where it is in {img_a}.)",
            "Unlike in {img_a}, how is the {a} positioned with respect to the {b} in {img_b}?",
        ),
        "verb": (
            ("The {a} and the {b} are related differently in {img_a} and {img_b}. "
             "How is the {a} related to the {b} in {img_b}?"),
            "Unlike in {img_a}, what is the relationship between the {a} and the {b} in {img_b}?",
        ),
    }

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        pairs = []
        for (s, o), preds in sorted(ctx.index.predicates_between.items()):
            a, b = ctx.scene.names[s], ctx.scene.names[o]
            if a != b and len(preds) == 1 and only_one(ctx.index, a) == s and only_one(ctx.index, b) == o:
                pairs.append((a, b, preds[0]))
        for a, b, pred in sample_up_to(ctx.rng, pairs, 2):

            def other_relation(idx: SceneIndex, a: str = a, b: str = b, pred: str = pred) -> bool:
                return _relation(idx, a, b) not in (None, pred)

            partner = self.checked_partners(ctx, 1, other_relation, among=ctx.pool.with_name(a),
                                            accept=holding(names=(b,)))
            if partner is None:
                continue
            scenes, i, j = _pair(ctx, self, partner[0])
            theirs = _relation(ctx.index_of(partner[0]), a, b)
            assert theirs is not None  # checked by other_relation
            before, after = (pred, theirs) if scenes[i] is ctx.scene else (theirs, pred)
            group = "is" if relation_phrase(after).startswith("is ") else "verb"
            wrong = Without(ctx.vocab.predicate_list(), (after,))
            distractors = [before] + [p for p in sample_up_to(ctx.rng, wrong, 5) if p != before]
            yield Candidate(None, {"a": a, "b": b, "img_a": image_label(i), "img_b": image_label(j)}, group=group,
                            expected=after, distractors=distractors, scenes=scenes,
                            build=partial(_relation_program, a, b, i, j))


def _relation(index: SceneIndex, a: str, b: str) -> str | None:
    """The one predicate from the only A to the only B, or None."""
    s, o = only_one(index, a), only_one(index, b)
    if s is None or o is None:
        return None
    preds = index.predicates_between.get((s, o), ())
    return preds[0] if len(preds) == 1 else None


def _relation_program(a: str, b: str, i: int, j: int) -> list[dict[str, Any]]:
    prog = ProgramBuilder()
    before = prog.add("query_relation", _unique_node(prog, i, a), _unique_node(prog, i, b))
    after = prog.add("query_relation", _unique_node(prog, j, a), _unique_node(prog, j, b))
    prog.add("differ_str", before, after)
    return prog.program
