"""Noun phrases and referring expressions from a scene graph (dense captions: `caption`).

A referring expression is the shortest description that selects exactly one object: its name,
then name plus one attribute, plus two, ..., then name plus a relation to a uniquely described
anchor ("the circle to the left of the red square"). It comes with the program nodes that select
the object, so a question's wording and its program can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Any, Collection, Iterable, Sequence

from veriscene.program.context import SceneIndex, geometric_reading
from veriscene.scene.spellings import subjects_over_spellings
from veriscene.text import (
    agreeing_relation_modifier,
    join_words,
    takes_plural_verb,
)
from veriscene.vocab import UNTYPED, attribute_type, on_register_attribute_types

# English adjective order by attribute type; finishes like "shiny" go before colour, and words of
# age, length and state (untyped) after size, before shape and colour: "a large old white
# building", "a long yellow train", "an open glass window" (other untyped words, "leafy",
# "potted", "standing", go last, next to the noun: "a green leafy tree", "a tall standing man").
_ORDER = {"size": 0, "state": 1, "shape": 2, "finish": 3, "color": 4, "pattern": 5, "material": 6}
_FINISHES = {"shiny", "matte", "glossy", "metallic", "dull"}
_STATES = frozenset({
    "old", "new", "young", "long", "open", "closed", "empty", "full", "hot", "cold", "warm", "wet", "dry",
    "clean", "dirty", "clear", "cloudy", "calm", "fresh", "bright", "dark", "broken", "parked", "sleeping",
    "on", "off",
})
# Annotations' words that are no adjective before a noun (Visual Genome's lamp or television
# that is "on"): said as one that is ("an on light" is no English).
_BEFORE_NOUN = {"on": "switched-on", "off": "switched-off"}


def _adjective_kind(word: str) -> str:
    """The type a word is ordered by: `attribute_type`, "finish" for `_FINISHES`, "state" for
    untyped `_STATES`."""
    kind = "finish" if word in _FINISHES else attribute_type(word)
    return "state" if kind == UNTYPED and word in _STATES else kind


@lru_cache(maxsize=65536)
def _adjective_rank(word: str) -> tuple[int, str]:
    # cached: every object's attributes are ranked on every scene (`_ranked_attributes`)
    return (_ORDER.get(_adjective_kind(word), 7), word)


on_register_attribute_types(_adjective_rank.cache_clear)  # the rank depends on the types


def adjective_order(attributes: Iterable[str]) -> list[str]:
    """The attribute words as annotated, in English adjective order: ['red', 'large'] -> ['large', 'red']."""
    return sorted(attributes, key=_adjective_rank)


def noun_phrase(name: str, attributes: Sequence[str] = ()) -> str:
    """'circle', ['red', 'large'] -> 'large red circle'; 'net', ['white', 'black'] -> 'black and white
    net' (colours of one object joined: not "black white net", materials too: "metal and glass
    table"); other words of one type are coordinate adjectives, between commas: 'man', ['tall',
    'big'] -> 'big, tall man', 'cup', ['round', 'square'] -> 'round, square cup'."""
    return _noun_phrase(name, tuple(attributes))


# Types whose words, several on one object, say parts of it ("black and white", "metal and
# glass"): joined by "and". Other typed words are joined by commas; untyped words as they are.
_JOINED_TYPES = frozenset({"color", "material"})
# Words of unknown type, and the states (age, length, state: "a long old train"), are of several
# kinds: each said alone.
_UNJOINED = frozenset({UNTYPED, "state"})


@lru_cache(maxsize=65536)
def _noun_phrase(name: str, attributes: tuple[str, ...]) -> str:
    # cached: generators phrase the same few objects over and over
    ordered = sorted(attributes, key=_adjective_rank)
    words: list[str] = []
    run: list[str] = []  # words of one known type, adjacent in `ordered`
    for k, w in enumerate(ordered):
        run.append(_BEFORE_NOUN.get(w, w))
        kind = _adjective_kind(w)
        if k + 1 < len(ordered) and kind not in _UNJOINED and _adjective_kind(ordered[k + 1]) == kind:
            continue
        unique = list(dict.fromkeys(run))
        words.append(join_words(unique) if kind in _JOINED_TYPES else ", ".join(unique))
        run = []
    words.append(name)
    return " ".join(words)


on_register_attribute_types(_noun_phrase.cache_clear)  # the adjective order depends on the types


@dataclass(frozen=True)
class Referent:
    """A description selecting exactly one object, and the nodes that select it.

    `nodes` is a self-contained sub-program (inputs local to it) ending in an Objects set of one
    element; append it with ProgramBuilder.extend and add "unique".
    """

    index: int
    phrase: str  # without article: "red circle", "circle to the left of the blue square"
    nodes: tuple[dict[str, Any], ...]
    # whether "the <phrase>" takes a plural verb: its name is plural in form ("the jeans are")
    plural: bool = False

    @property
    def the(self) -> str:
        return f"the {self.phrase}"


def _attr_nodes(image: int, name: str, attrs: Sequence[str]) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = [
        {"op": "scene", "inputs": [], "args": [image]},
        {"op": "filter_name", "inputs": [0], "args": [name]},
    ]
    for a in attrs:
        nodes.append({"op": "filter_attribute", "inputs": [len(nodes) - 1], "args": [a]})
    return nodes


def _matching(index: SceneIndex, name: str, attrs: Sequence[str]) -> tuple[int, ...]:
    """The objects of `name` that have every attribute of `attrs`, sorted (one table per scene
    index: referring expressions ask the same few again for each object of a name)."""
    table: dict[tuple[str, ...], tuple[int, ...]] = index.memo(("matching",), dict)
    key = (name, *attrs)
    found = table.get(key)
    if found is None:
        found = table[key] = _matching_objects(index, name, attrs)
    return found


def _matching_objects(index: SceneIndex, name: str, attrs: Sequence[str]) -> tuple[int, ...]:
    found = index.by_name.get(name, ())
    for a in attrs:
        having: Collection[int] = index.having_attribute.get(a, ())
        if len(found) > 8 and len(having) > 8:  # a few objects: a tuple is faster than a set
            having = set(having)
        found = tuple(i for i in found if i in having)
    return found


def refer_by_attributes(
    index: SceneIndex, i: int, image: int = 0, max_attributes: int = 2, exclude_types: Collection[str] = ()
) -> Referent | None:
    """Shortest name + attributes description of object i, or None if none is unique. Where
    attributes are sparse (``meta["sparse"]``) only the name alone, when no other object has it.

    Attributes whose type is in `exclude_types` are not used (so "What color is the red cup?"
    cannot happen). Computed once per scene index (several generators ask for the same)."""
    if not exclude_types:  # most calls: one table of them, without a key or a closure per call
        table: dict[tuple[int, int, int], Referent | None] = index.memo(("refer_by_attributes",), dict)
        key = (i, image, max_attributes)
        try:
            return table[key]
        except KeyError:
            found = table[key] = _refer_by_attributes(index, i, image, max_attributes, _NO_TYPES)
            return found
    excluded = frozenset(exclude_types)
    return index.memo(("refer_by_attributes", i, image, max_attributes, excluded),
                      lambda: _refer_by_attributes(index, i, image, max_attributes, excluded))


_NO_TYPES: frozenset[str] = frozenset()


def _with_types(index: SceneIndex, i: int, image: int,
                max_attributes: int = 2) -> tuple[Referent | None, frozenset[str]]:
    """`refer_by_attributes(index, i, image, max_attributes)` and the attribute types it filters
    by (asked with every exclusion: one table of them per scene index)."""
    table: dict[tuple[int, int, int], tuple[Referent | None, frozenset[str]]]
    table = index.memo(("referents' types",), dict)
    key = (i, image, max_attributes)
    try:
        return table[key]
    except KeyError:
        plain = refer_by_attributes(index, i, image, max_attributes)
        types = _NO_TYPES if plain is None else frozenset(map(attribute_type, _filtered_attributes(plain)))
        found = table[key] = (plain, types)
        return found


def _refer_by_attributes(
    index: SceneIndex, i: int, image: int, max_attributes: int, exclude_types: frozenset[str]
) -> Referent | None:
    if exclude_types:
        # Leaving types out only removes subsets from the search below, keeping the order of the
        # rest: the description found without exclusions stands if it uses no excluded type, and
        # when there is none, there is none with exclusions either.
        plain, types = _with_types(index, i, image, max_attributes)
        if plain is None or types.isdisjoint(exclude_types):
            return plain
    scene = index.scene
    name = scene.names[i]
    if max_attributes < 0 or not index.nameable(name):
        return None
    # Subsets of i's own attributes, fewest first: one selects i alone when no other object of
    # that name has all of them (i always has them).
    if len(index.by_name[name]) == 1:
        return Referent(i, name, tuple(_attr_nodes(image, name, ())), takes_plural_verb(name))
    if index.sparse_attributes:  # "the red car": another car may be red, unannotated
        return None
    attrs = _all_ranked_attributes(index)[i]
    if exclude_types:
        attrs = tuple(a for a in attrs if attribute_type(a) not in exclude_types)
    # the objects of the name having all of a subset (by meaning: beside a "large" dog, "big"
    # picks no dog alone), i among them: one table per scene index, shared by the objects of
    # the name (each object's own sets of the others made a scene of thousands N x N work)
    for k in range(1, min(max_attributes, len(attrs)) + 1):
        for subset in combinations(attrs, k):
            if len(_matching(index, name, subset)) == 1:
                return Referent(i, noun_phrase(name, subset), tuple(_attr_nodes(image, name, subset)),
                                takes_plural_verb(name))
    return None


def shared_description(
    a: SceneIndex, i: int, b: SceneIndex, k: int, *, max_attributes: int = 2, exclude_types: Collection[str] = ()
) -> tuple[str, ...] | None:
    """The fewest attributes, in adjective order, that select object i of `a` alone among the
    objects of its name in `a` and object k of `b` alone among those in `b`: one description
    ("the red car") that picks the compared object in each of two images. Both objects have the
    attributes; () when the name alone does it in both; None when no such description of up to
    `max_attributes` attributes (none of a type in `exclude_types`) exists. Objects i and k must
    share their name."""
    name = a.scene.names[i]
    if len(a.by_name.get(name, ())) == 1 and len(b.by_name.get(name, ())) == 1:
        return ()
    if a.sparse_attributes or b.sparse_attributes:  # another of the name may have them, unannotated
        return None
    theirs = b.having_attribute
    common = [x for x in _ranked_attributes(a, i) if k in theirs.get(x, ()) and attribute_type(x) not in exclude_types]
    for size in range(1, min(max_attributes, len(common)) + 1):
        for subset in combinations(common, size):
            if _matching(a, name, subset) == (i,) and _matching(b, name, subset) == (k,):
                return subset
    return None


def _filtered_attributes(referent: Referent) -> list[str]:
    """The attributes a name + attributes referent (`_attr_nodes`) filters by."""
    return [n["args"][0] for n in referent.nodes if n["op"] == "filter_attribute"]


def _ranked_attributes(index: SceneIndex, i: int) -> tuple[str, ...]:
    """Object i's attributes in adjective order (computed once per scene index)."""
    return _all_ranked_attributes(index)[i]


def _all_ranked_attributes(index: SceneIndex) -> list[tuple[str, ...]]:
    """Every object's `_ranked_attributes` (computed once per scene index)."""
    def compute() -> list[tuple[str, ...]]:
        return [tuple(sorted(attrs, key=_adjective_rank)) for attrs in index.scene.attributes]

    return index.memo(("ranked attributes",), compute)


def refer(
    index: SceneIndex, i: int, image: int = 0, *, allow_relations: bool = True, exclude_types: Collection[str] = ()
) -> Referent | None:
    """Referring expression for object i: by attributes, else by a relation to a unique anchor.
    Computed once per scene index."""
    if exclude_types:
        # the description without exclusions stands if it uses none of the excluded types (see
        # `_refer_by_attributes`): most do, and are found without a memo entry per exclusion
        plain, types = _with_types(index, i, image)
        if plain is not None and types.isdisjoint(exclude_types):
            return plain
    excluded = frozenset(exclude_types)
    key = ("refer", i, image, allow_relations, excluded)
    return index.memo(key, lambda: _refer(index, i, image, allow_relations, excluded))


def referents(
    index: SceneIndex, image: int = 0, *, allow_relations: bool = True, exclude_types: Collection[str] = ()
) -> dict[int, Referent]:
    """Object index -> referring expression (`refer`), for every object that has one; computed
    once per scene index. Treat the result as read-only: it is shared."""
    excluded = frozenset(exclude_types)
    key = ("referents", image, allow_relations, excluded)

    def compute() -> dict[int, Referent]:
        found = {}
        for i in range(index.n):
            ref = refer(index, i, image, allow_relations=allow_relations, exclude_types=excluded)
            if ref is not None:
                found[i] = ref
        return found

    return index.memo(key, compute)


def _relations_from(index: SceneIndex, i: int) -> list[tuple[int, tuple[str, ...]]]:
    """(object, sorted predicates) of the relations from subject i, by object."""
    def compute() -> dict[int, list[tuple[int, tuple[str, ...]]]]:
        table: dict[int, list[tuple[int, tuple[str, ...]]]] = {}
        for (s, o), predicates in sorted(index.predicates_between.items()):
            table.setdefault(s, []).append((o, predicates))
        return table

    return index.memo(("relations by subject",), compute).get(i, [])


def _refer(
    index: SceneIndex, i: int, image: int, allow_relations: bool, exclude_types: frozenset[str]
) -> Referent | None:
    found = refer_by_attributes(index, i, image, exclude_types=exclude_types)
    if found is not None or not allow_relations:
        return found
    # does not depend on the excluded types: shared by all of them
    return index.memo(("refer by relation", i, image), lambda: _refer_by_relation(index, i, image))


def _refer_by_relation(index: SceneIndex, i: int, image: int) -> Referent | None:
    """Object i as its name, a relation phrased as a noun modifier (`relation_modifier`) and an
    anchor described by name and attributes ("circle to the left of the red square", "man holding
    the cup"), or None if no such description selects it alone: no other object of the name
    stands in the predicate to the anchor, annotated or, for a predicate with a geometric reading
    ("left of", "to the left of", "near", "next to": `geometric_reading`), as a viewer might read
    the boxes (`SceneIndex.could_hold`: "the circle to the left of the square" beside a second
    circle left of it or shifted left of it, unannotated, is either); where relations are sparse,
    any other predicate may hold of any of them. A direction names i only where the boxes show
    it (`SceneIndex.shows`). Another spelling of the predicate is the same relation
    (`spellings.spelled_alike`)."""
    scene = index.scene
    name = scene.names[i]
    if not index.nameable(name):
        return None
    same_name = index.by_name.get(name, ())
    sparse = index.sparse_relations
    for o, predicates in _relations_from(index, i):
        anchor = refer_by_attributes(index, o, image)
        if anchor is None:
            continue
        for p in predicates:
            # a direction only as the boxes show it (`SceneIndex.shows`: not "the circle to the
            # left of the square" of a circle merely shifted left of it, or annotated from the
            # circle's own left)
            if not index.shows(i, p, o):
                continue
            # subjects named like i that may be read to stand in p to the anchor: must be i alone;
            # annotated in any spelling of p ("the man holding the cup" beside a man that "holds" it)
            if not _only_holder(index, i, same_name, p, o, generous=sparse or bool(geometric_reading(p))):
                continue
            base = _attr_nodes(image, name, ())
            offset = len(base)
            anchor_nodes = [
                {"op": n["op"], "inputs": [j + offset for j in n["inputs"]], "args": list(n["args"])}
                for n in anchor.nodes
            ]
            rel = {"op": "filter_relation", "inputs": [1, len(base) + len(anchor_nodes) - 1], "args": [p, "subject"]}
            # a noun modifier, not a verb: "the man holding the cup", "the window that is part of
            # the house" (a verb phrase, "the man holds the cup", is a sentence)
            phrase = f"{name} {agreeing_relation_modifier(name, p)} the {anchor.phrase}"
            return Referent(i, phrase, tuple(base + anchor_nodes + [rel]), takes_plural_verb(name))
    return None


def _only_holder(index: SceneIndex, i: int, same_name: tuple[int, ...], p: str, o: int, generous: bool) -> bool:
    """Whether i alone of `same_name` (its name's objects) may be read to stand in p to o:
    annotated in any spelling of p (`subjects_over_spellings`), or, when `generous` (a predicate
    with a geometric reading, or sparse relations), as `SceneIndex.could_hold` allows. Looks up
    the annotated subjects, and stops at the first other holder: dense scenes hold hundreds of
    objects of a name."""
    subjects = subjects_over_spellings(index, o, p)
    if i not in subjects and not (generous and index.could_hold(i, p, o)):
        return False
    names = index.scene.names
    if any(j != i and names[j] == names[i] for j in subjects):
        return False
    return not generous or not any(j != i and index.could_hold(j, p, o) for j in same_name)

