"""How one object, or one pair of objects, differs between two images (family multi_compare).

The object is named by its kind ("the star in Image 2") when it is the only object of that name in
both images, else by its kind and the fewest attributes that both objects have and that pick each
alone in its image ("the wooden chair in Image 2"; `describe.shared_description`), so dense scenes
(Visual Genome repeats "man", "window") still get questions. The program selects it the same way
(`filter_attribute` nodes, then `unique`). The partner is drawn from `with_name(X)` and checked on
its parsed scene; the remaining images of a 3-4 image group are fillers drawn from the whole pool
(the question says which two images it compares).

- multi.attribute_diff.v1: which property (color, size, ...) differs between the star in Image i
  and the star in Image j? Exactly one typed property may differ, values compared up to synonyms
  as `differing_attribute_type` compares them (a "big red" car and a "large blue" one differ in
  colour alone), and the differing values must differ to the eye (`clearly_differ`). The
  description never uses the differing property, and the properties it uses are not offered;
  nor are those for which no object of another image differs alone (they could not be the
  answer: offered, they told the guess "color", the property most often found to differ).
- multi.attribute_same.v1: does the star in Image i have the same color as the one in Image j?
  Proposed only when the anchor yields both a yes and a no, so yes/no stays balanced. The
  description never uses the property asked about. Synonyms are one value ("big" in Image i and
  "large" in Image j: "yes", compared by `same_attribute`); an object annotated with two of a
  class has one value of that kind; values that may both hold ("big", "huge") are not asked.

multi.relation_diff.v1, a pair of objects arranged differently in two images, is in
`relation_diff` (it names and pairs its objects with the helpers here).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from mypy_extensions import mypyc_attr

from veriscene.generators.agreement import plural_slots
from veriscene.generators.base import Candidate, GroupContext
from veriscene.generators.common import sample_up_to
from veriscene.generators.multi_image.common import (
    GroupGenerator,
    holding,
    image_label,
    images_phrase,
    objects_node,
    position,
    shuffled,
)
from veriscene.generators.registry import register
from veriscene.program.builder import ProgramBuilder
from veriscene.program.context import SceneIndex
from veriscene.program.ops import one_value
from veriscene.scene.describe import noun_phrase, refer_by_attributes, shared_description
from veriscene.scene.model import Scene
from veriscene.text import counted_plural, join_words, unit_phrase
from veriscene.vocab import UNTYPED, attribute_class, attribute_type, exclusive


def typed(scene: Scene, i: int) -> dict[str, frozenset[str]]:
    """kind -> values of object i (untyped attributes ignored)."""
    out: dict[str, set[str]] = {}
    for a in scene.attributes[i]:
        kind = attribute_type(a)
        if kind != UNTYPED:
            out.setdefault(kind, set()).add(a)
    return {k: frozenset(v) for k, v in out.items()}


def clearly_differ(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two objects' values of one attribute type differ to the eye: some value of one
    cannot hold with some value of the other (`vocab.exclusive`: "big" and "small", not "big"
    and "large" or "big" and "tall")."""
    return any(exclusive(x, y) for x in a for y in b)


def typed_of(index: SceneIndex, i: int) -> dict[str, frozenset[str]]:
    """`typed` of object i of the index's scene, kept in the index (shared: read only)."""
    return index.memo(("multi.typed", i), partial(typed, index.scene, i))


def classes(scene: Scene, i: int) -> dict[str, frozenset[str]]:
    """kind -> the synonym classes of object i's values of that kind ("large" is "big":
    `vocab.attribute_class`), untyped attributes ignored: the values as `differing_attribute_type`
    compares them."""
    return _classes_of_values(typed(scene, i))


def _classes_of_values(values: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    return {kind: frozenset(map(attribute_class, words)) for kind, words in values.items()}


def classes_of(index: SceneIndex, i: int) -> dict[str, frozenset[str]]:
    """`classes` of object i of the index's scene (from its `typed_of`), kept in the index
    (shared: read only)."""
    return index.memo(("multi.classes", i), lambda: _classes_of_values(typed_of(index, i)))


Values = dict[str, frozenset[str]]  # kind -> an object's words (`typed`) or classes (`classes`)


def named_values(index: SceneIndex, name: str) -> list[tuple[int, Values, Values, dict[str, str]]]:
    """(object, `typed_of`, `classes_of`, `one_values` of its `typed_of`) of each object of
    `name` in the index's scene, kept in the index (read only): what a partner's objects are
    compared by, in one lookup per partner."""

    def compute() -> list[tuple[int, Values, Values, dict[str, str]]]:
        found = []
        for k in index.by_name.get(name, ()):
            words = typed_of(index, k)
            found.append((k, words, classes_of(index, k), one_values(words)))
        return found

    return index.memo(("multi.named values", name), compute)


def one_values(values: dict[str, frozenset[str]]) -> dict[str, str]:
    """kind -> the one value of an object of that kind (`typed` gives `values`) as `query_attribute`
    answers it: the word, or the first of synonyms ("big" of "big" and "large"; `ops.one_value`),
    for the kinds in which it has one value."""
    out: dict[str, str] = {}
    for kind, words in values.items():
        if len(words) == 1:  # the common case
            (out[kind],) = words
        else:
            first = one_value(sorted(words), kind)
            if first is not None:
                out[kind] = first
    return out


def describable(ctx: GroupContext) -> list[str]:
    """The anchor's names, sorted, of which some object is picked alone in the anchor image by a
    name + attributes description (a shared description must at least do that); which ones is
    `described_objects`. Kept in the anchor's index (attribute_diff and attribute_same ask):
    read only."""
    index = ctx.index

    def compute() -> list[str]:
        return [name for name, objects in sorted(index.by_name.items())
                if any(refer_by_attributes(index, i) is not None for i in objects)]

    return index.memo(("multi.describable",), compute)


def described_objects(ctx: GroupContext, name: str) -> list[int]:
    """The anchor's objects of `name` that a name + attributes description picks alone in the
    anchor image (made only for the names asked: `describable` stops at the first)."""
    index = ctx.index
    return [i for i in index.by_name[name] if refer_by_attributes(index, i) is not None]


def _one_of(ctx: GroupContext, objects: list[int]) -> int:
    """The only object, or one drawn at random."""
    return objects[0] if len(objects) == 1 else objects[int(ctx.rng.integers(len(objects)))]


def _phrase(name: str, description: tuple[str, ...]) -> str:
    return noun_phrase(name, description)


def _described_node(b: ProgramBuilder, image: int, name: str, description: tuple[str, ...]) -> int:
    return b.add("unique", objects_node(b, image, name, description))


def _pair(ctx: GroupContext, gen: GroupGenerator, partner: Scene) -> tuple[tuple[Scene, ...], int, int]:
    """Group of anchor + partner + fillers; (scenes, i, j) where i, j are the compared images in
    the order the question names them (anchor first or second at random)."""
    n = gen.group_size(ctx)
    fillers = gen.partners_upto(ctx, n - 2, exclude=[partner.image_id])
    scenes = shuffled(ctx, [ctx.scene, partner, *fillers])
    i, j = position(scenes, ctx.scene), position(scenes, partner)
    return (scenes, i, j) if ctx.rng.random() < 0.5 else (scenes, j, i)


def differing_match(anchor: SceneIndex, i: int, partner: SceneIndex,
                    kind: str) -> tuple[tuple[str, ...], list[str]] | None:
    """For object i of the anchor, the first object of its name in the partner that has the same
    attribute kinds and differs in `kind` alone, up to synonyms (`classes`: a "big red" car and a
    "large blue" one differ in colour alone, as the program's `differing_attribute_type` reads
    them), and a shared description not using `kind`: (description, kinds to offer), the kinds
    being i's minus those the description names (at least 2 are left). None when there is no
    such object."""
    name = anchor.scene.names[i]
    mine = typed_of(anchor, i)
    my_classes = classes_of(anchor, i)
    my_kinds = mine.keys()
    others = [t for t in my_kinds if t != kind]  # the kinds that must not differ
    for k, theirs, their_classes, _ in named_values(partner, name):
        if theirs.keys() != my_kinds or kind not in theirs:
            continue
        if their_classes[kind] == my_classes[kind] or any(their_classes[t] != my_classes[t] for t in others):
            continue
        if not clearly_differ(mine[kind], theirs[kind]):
            continue  # "big" and "large": the words differ, the sizes need not
        description = shared_description(anchor, i, partner, k, exclude_types=(kind,))
        if description is None:
            continue
        named = {attribute_type(a) for a in description}
        kinds = [t for t in sorted(mine) if t not in named]
        if len(kinds) >= 2:
            return description, kinds
    return None


@mypyc_attr(allow_interpreted_subclasses=True)
class AttributeDifference(GroupGenerator):
    """Which property differs between the X of Image i and the X of Image j?"""

    answer_type = "str"
    requires = ("attributes",)
    description = "The one attribute type in which an object differs between two of 2-4 images."
    templates = {
        "default": (
            "{both} each show one {one_obj}. In which property do the two {objs} differ: {kinds}?",
            "Compare the {obj} in {img_a} with the {obj} in {img_b}. Which of these differs: {kinds}?",
            "What is different about the {obj} in {img_b} compared with the {obj} in {img_a}: its {kinds}?",
        )
    }

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        for name in sample_up_to(ctx.rng, describable(ctx), 2):
            i = _one_of(ctx, described_objects(ctx, name))
            mine = typed_of(ctx.index, i)
            if len(mine) < 2:
                continue

            # The differing kind is chosen first, uniformly, so colour (many values) does not
            # dominate; the entry test keeps partners holding the anchor object's other values.
            answer = sorted(mine)[int(ctx.rng.integers(len(mine)))]
            matched = self._partner(ctx, name, i, mine, answer)
            if matched is None:
                continue
            partner, (description, kinds) = matched
            # Options: the kinds that could have been the answer, each found to differ alone
            # between the object and one in another image. A partner differing in colour alone
            # is found far more often than one differing in size alone (the other values must
            # match, and colours are many), so with every kind offered the options told "color";
            # offered only where it might have been the answer, a kind is right about one time
            # in as many as are offered (none left: asked in open questions only).
            wrong = [k for k in kinds if k != answer and self._partner(ctx, name, i, mine, k) is not None]
            scenes, a, b = _pair(ctx, self, partner)
            obj = _phrase(name, description)
            # "one pair of jeans", "the two pairs of jeans" (`unit_phrase`, `counted_plural`)
            # "Image 1 and Image 2 each show ...": in order where the two are said together
            slots = {"img_a": image_label(a), "img_b": image_label(b), "obj": obj, "one_obj": unit_phrase(obj),
                     "both": images_phrase(sorted((a, b))),
                     "objs": counted_plural(obj),
                     "kinds": join_words(kinds, "or")}
            yield Candidate(None, slots, expected=answer, distractors=wrong,
                            plural=plural_slots(obj=name),
                            scenes=scenes, build=partial(_diff_program, name, description, a, b))

    def _partner(self, ctx: GroupContext, name: str, i: int, mine: dict[str, frozenset[str]],
                 kind: str) -> tuple[Scene, tuple[tuple[str, ...], list[str]]] | None:
        """A partner whose object of `name` differs from object i in `kind` alone
        (`differing_match`), drawn among scenes holding i's other values up to synonyms (a
        partner whose car is "large" where the anchor's is "big" is drawn too)."""
        keep = [v for k, vs in mine.items() if k != kind for v in vs]
        return self.matched_partner(ctx, partial(differing_match, ctx.index, i, kind=kind),
                                    among=ctx.pool.with_name(name), accept=holding(synonyms=keep))


register("multi.attribute_diff.v1", family="multi_compare")(AttributeDifference)


def _diff_program(name: str, description: tuple[str, ...], i: int, j: int) -> list[dict[str, Any]]:
    b = ProgramBuilder()
    b.add("differing_attribute_type", _described_node(b, i, name, description),
          _described_node(b, j, name, description))
    return b.program


@mypyc_attr(allow_interpreted_subclasses=True)
class AttributeSame(GroupGenerator):
    """Does the X in Image i have the same <kind> as the X in Image j?"""

    answer_type = "bool"
    requires = ("attributes",)
    description = "Whether an object has the same color (size, ...) in two of 2-4 images."
    templates = {
        "default": (
            "Does the {obj} in {img_a} have the same {kind} as the {obj} in {img_b}?",
            "Is the {obj} in {img_a} the same {kind} as the {obj} in {img_b}?",
            "Do the {obj} in {img_a} and the {obj} in {img_b} share their {kind}?",
        )
    }

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        found: dict[bool, list[Candidate]] = {True: [], False: []}
        for name in sample_up_to(ctx.rng, describable(ctx), 2):
            i = _one_of(ctx, described_objects(ctx, name))
            my_words = typed_of(ctx.index, i)
            mine = one_values(my_words)
            partners = self.partners_upto(ctx, 3, among=ctx.pool.with_name(name))
            for partner in partners:
                if len(found[True]) >= 2 and len(found[False]) >= 2:
                    break  # (nothing more is kept: the next name's draws follow)
                index = ctx.index_of(partner)
                for k, their_words, _, theirs in named_values(index, name):
                    for kind in sorted(mine.keys() & theirs.keys()):
                        # one value in both up to synonyms ("big" and "large" are one size: "yes")
                        word, their_word = mine[kind], theirs[kind]
                        same = word == their_word or attribute_class(word) == attribute_class(their_word)
                        if len(found[same]) >= 2 or not (same or clearly_differ(my_words[kind], their_words[kind])):
                            continue
                        description = shared_description(ctx.index, i, index, k, exclude_types=(kind,))
                        if description is None:
                            continue
                        scenes, a, b = _pair(ctx, self, partner)
                        slots = {"img_a": image_label(a), "img_b": image_label(b), "obj": _phrase(name, description),
                                 "kind": kind}
                        # `equal` of the two answers where they are one word or differ in meaning
                        # (the program of earlier releases), `same_attribute` where they are synonyms
                        compare = "equal" if word == their_word or not same else "same_attribute"
                        found[same].append(Candidate(None, slots, expected=same, distractors=[not same], scenes=scenes,
                                                     plural=plural_slots(obj=name),
                                                     build=partial(_same_program, name, description, kind, a, b,
                                                                   compare)))
        if found[True] and found[False]:
            yield from found[True] + found[False]


register("multi.attribute_same.v1", family="multi_compare")(AttributeSame)


def _same_program(name: str, description: tuple[str, ...], kind: str, i: int, j: int,
                  compare: str = "equal") -> list[dict[str, Any]]:
    """The two objects' `kind` values (`query_attribute`) compared by `compare` ("equal" or
    "same_attribute", which reads synonyms as one value)."""
    b = ProgramBuilder()
    a = b.add("query_attribute", _described_node(b, i, name, description), args=[kind])
    c = b.add("query_attribute", _described_node(b, j, name, description), args=[kind])
    b.add(compare, a, c)
    return b.program
