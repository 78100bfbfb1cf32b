"""Helpers shared by generators: program fragments for referents, distractor draws."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

# (`OpenAnswerNotes` moved to `base`, beside `Generator`; importable from here as before)
from veriscene.generators.base import OpenAnswerNotes  # noqa: F401
from veriscene.generators.draws import Draws
from veriscene.generators.vocabulary_draws import name_kind, overlapping_kinds
from veriscene.program.builder import ProgramBuilder
from veriscene.program.context import SceneIndex
from veriscene.scene.describe import Referent
from veriscene.text import is_action, is_spatial, is_uncountable
from veriscene.vocab import SUBKINDS, attribute_type


class Later(Sequence[Any]):
    """A list made by `make()` when first read: the options of a candidate that lists them by
    formatting every other object or swap (dozens), of which multiple choice reads a few and a
    "qa" question none. Reads as the list would (same items, same order, same length)."""

    __slots__ = ("_make", "_items")

    def __init__(self, make: Callable[[], list[Any]]) -> None:
        self._make: Callable[[], list[Any]] | None = make
        self._items: list[Any] | None = None

    def _list(self) -> list[Any]:
        if self._items is None:
            assert self._make is not None
            self._items, self._make = self._make(), None
        return self._items

    def __len__(self) -> int:
        return len(self._list())

    def __getitem__(self, index: Any) -> Any:
        return self._list()[index]

    def __eq__(self, other: object) -> bool:
        return self._list() == (other._list() if isinstance(other, Later) else other)

    def __repr__(self) -> str:
        return f"Later({self._list()!r})"


def uncountable_names(index: SceneIndex) -> frozenset[str]:
    """The names counting questions leave out: the scene's names of a substance
    (`text.is_uncountable`: 'grass', 'sky'), those it holds at most one object of by
    construction (`single_names`: 'How many livers?' asks whether there is one), and those that
    may name an object another of its names names (`naming_alike`: 'How many people?' beside two
    men, 'How many trees?' beside a row of trees); computed once per scene index (generators test
    every object's name)."""
    return index.memo(("uncountable names",),
                      lambda: (frozenset(n for n in index.by_name if is_uncountable(n)) | single_names(index)
                               | naming_alike(index)))


def naming_alike(index: SceneIndex) -> frozenset[str]:
    """The scene's names that may name an object another of its names names: 'man' and 'person'
    (`vocabulary_draws.overlapping_kinds`: a man is a person), 'tree' and 'trees' (a row of trees:
    `name_kind`). Their counts are not what the image shows (the people are more than the objects
    named "person"), nor are they listed as if apart. Computed once per scene index."""
    return index.memo(("names naming alike",), lambda: _naming_alike(index.by_name))


def _naming_alike(names: Iterable[str]) -> frozenset[str]:
    """The names of `names` (distinct) of which another name's kind is among the kinds that may
    name its objects (`overlapping_kinds` of its own kind). Linear in the names: each name asks
    the few kinds that overlap its own (one, for most) of a count of names per kind, its own
    kind's count less itself (a scene of 35 names made 1,225 pair tests)."""
    kinds = {n: name_kind(n) for n in names}
    held: dict[str, int] = {}  # kind -> how many of the names are of that kind
    for kind in kinds.values():
        held[kind] = held.get(kind, 0) + 1
    return frozenset(n for n, kind in kinds.items()
                     if any(held.get(k, 0) > (k == kind) for k in overlapping_kinds(kind)))


def alike_present(index: SceneIndex, name: str) -> bool:
    """Whether another of the scene's names may name an object named `name`: "people" beside
    men ("How many people?" is neither 0 nor the count of objects named "person"). Once per
    scene index and name (a partner's index is asked of each phrase counted over its groups)."""
    known: dict[str, bool] = index.memo(("alike present",), dict)
    found = known.get(name)
    if found is None:
        found = known[name] = _alike_present(index, name)
    return found


def _alike_present(index: SceneIndex, name: str) -> bool:
    by_kind = index.memo(("present names by kind",), lambda: grouped_by(index.by_name, name_kind))
    for kind in overlapping_kinds(name_kind(name)):
        for m in by_kind.get(kind, ()):
            if m != name:
                return True
    return False


def grouped_by(items: Iterable[str], key: Callable[[str], str]) -> dict[str, list[str]]:
    """key -> the items of that key, in their order (names by kind, predicates by spelling key)."""
    out: dict[str, list[str]] = {}
    for item in items:
        out.setdefault(key(item), []).append(item)
    return out


def single_names(index: SceneIndex) -> frozenset[str]:
    """The names, present or not, of which the scene holds at most one object by construction
    (``scene.meta["single"]``: a medical slice's structures, one object each however many pieces
    the slice cuts it into, `veriscene.io.readers._structures.structure_scene`); none on other
    data. A list of anything but names is ignored (read from a scene file: nothing checks it)."""
    listed = index.scene.meta.get("single")
    if not isinstance(listed, (list, tuple)):
        return frozenset()
    return frozenset(n for n in listed if isinstance(n, str))


def add_unique(builder: ProgramBuilder, referent: Referent) -> int:
    """Append the nodes selecting `referent` plus `unique`; return the Object node index."""
    return builder.add("unique", builder.extend(list(referent.nodes)))


def asked_kind(kind: str, value: str) -> str:
    """The word a question asks `value`'s type by: its sub-kind where it has one ("height" for
    "tall" and "short", `vocab.SUBKINDS`: "What is the height of the lamp?", not "What size is
    the lamp?" answered "tall"), else the type ("size", "color")."""
    return SUBKINDS.get(value, kind) if attribute_type(value) == kind else kind


def kind_group(kind: str, value: str, templates: dict[str, Any], default: str, suffix: str = "") -> str:
    """The template group that asks for `value`'s kind as English does where a generator has one
    ("height" + suffix: "Is the leftmost lamp tall or short?", "material": "What is ... made
    of?"), else `default` + suffix ("What color is ...?")."""
    group = asked_kind(kind, value) + suffix
    return group if group in templates else default + suffix


def name_set_nodes(builder: ProgramBuilder, name: str, attributes: Sequence[str] = (), image: int = 0) -> int:
    """Append scene -> filter_name -> filter_attribute*; return the Objects node index."""
    node = builder.add("scene", args=[image])
    node = builder.add("filter_name", node, args=[name])
    for a in attributes:
        node = builder.add("filter_attribute", node, args=[a])
    return node


def sample_up_to(rng: np.random.Generator, items: Sequence[Any], k: int) -> list[Any]:
    """Up to k items drawn without replacement, in a random order (deterministic given rng)."""
    if len(items) <= k:
        return shuffled(rng, items)
    if k == 1:
        # `rng.choice(n, 1, replace=False)` is one step of Floyd's algorithm: the same bounded
        # draw as `rng.integers(n)` (the same value and state after), at a fifth of the cost.
        return [items[int(rng.integers(len(items)))]]
    if isinstance(rng, Draws):  # the same draws as below, made faster
        return [items[i] for i in rng.distinct(len(items), k)]
    return [items[i] for i in rng.choice(len(items), size=k, replace=False).tolist()]


_SMALL = 64  # lists up to this long are shuffled whole; longer ones are read in chunks


def shuffled_indices(rng: np.random.Generator, n: int) -> Iterator[int]:
    """0..n-1 in the order of `shuffled(rng, range(n))`, from the same draws: a few shuffled at
    once (without a generator's cost), more made as they are read, so that for a long list
    (options drawn from a large vocabulary) no list of n ints is made."""
    if n <= _SMALL:
        return iter(shuffled(rng, range(n)))
    return _chunks_of_permutation(rng, n)


def _chunks_of_permutation(rng: np.random.Generator, n: int) -> Iterator[int]:
    order = rng.permutation(n)  # (drawn when first read)
    for start in range(0, n, _SMALL):
        yield from order[start:start + _SMALL].tolist()


def shuffled(rng: np.random.Generator, items: Sequence[Any]) -> list[Any]:
    """The items in a random order: the order of `[items[i] for i in rng.permutation(n)]`, from
    the same draws (numpy's permutation shuffles an arange with the same swaps), in a third of
    the time for a few items."""
    out = list(items)
    if len(out) > 1:  # numpy draws nothing for fewer (a fifth of the calls, ~4k instructions each)
        rng.shuffle(out)
    return out


# Objects a pairwise generator pairs up on one scene at most: 16 x 15 ordered pairs. Demo scenes
# (3-8 objects) are never cut; a dense scene (Visual Genome has about 35 objects) asks one or two
# questions per generator, so enumerating every pair of its objects would be wasted work.
MAX_PAIRED_OBJECTS = 16


def paired_objects(rng: np.random.Generator, objects: Sequence[int], limit: int = MAX_PAIRED_OBJECTS) -> list[int]:
    """The objects whose pairs a pairwise generator proposes, in ascending order: all of them
    up to `limit`, else `limit` drawn at random (every pair stays equally likely to be asked)."""
    return sorted_subset(rng, objects, limit)


def sorted_subset(rng: np.random.Generator, items: Iterable[Any], limit: int) -> list[Any]:
    """All the items, sorted, when there are at most `limit` (no draw is made); else `limit` of
    them drawn at random, sorted. A generator that combines items (pairs, lists) then asks about
    every combination with the same chance, at a cost bounded by `limit`."""
    items = sorted(items)
    if len(items) <= limit:
        return items
    return sorted(sample_up_to(rng, items, limit))


def wording(predicate: str, doing: bool = True) -> str:
    """Template group that asks for a predicate: "is" for where the subject is ("Where is A
    relative to B?": 'left of', 'on', `is_spatial`), "doing" for an action ("What is A doing with
    B?": 'holding', 'playing with', `is_action`; "verb" when `doing` is False), "verb" for any
    other ("How is A related to B?": 'made of', 'parked on', 'has', 'belonging to', 'sitting on';
    "Where is A relative to B?" answered "made of", or "What is the sign doing with the pole?"
    answered "hanging on", read wrong)."""
    if doing and is_action(predicate):
        return "doing"
    return "is" if is_spatial(predicate) else "verb"


def name_query(name: str, attributes: Sequence[str], final_op: str, image: int = 0) -> list[dict[str, Any]]:
    """Program: objects named `name` with `attributes`, then `final_op` ("count", "exists")."""
    b = ProgramBuilder()
    b.add(final_op, name_set_nodes(b, name, attributes, image))
    return b.program


def referent_query(referents: Sequence[Referent], final_op: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Program: `unique` of each referent, then `final_op` over those objects (in order)."""
    b = ProgramBuilder()
    objects = [add_unique(b, r) for r in referents]
    b.add(final_op, *objects, args=list(args))
    return b.program


def is_extreme_of_pair(a: Referent, b: Referent, which: str) -> list[dict[str, Any]]:
    """Program: whether `a` is the `which` ("largest", "closest", ... see the `extreme` op) of
    the two objects `a` and `b`."""
    builder = ProgramBuilder()
    na = add_unique(builder, a)
    pair = builder.add("union", builder.add("as_set", na), builder.add("as_set", add_unique(builder, b)))
    builder.add("same_object", builder.add("extreme", pair, args=[which]), na)
    return builder.program
