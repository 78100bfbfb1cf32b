"""Referring expressions on dense scenes: the shortcuts that keep hundreds of objects of a name
cheap (a table of `_matching` per scene, `_only_holder` stopping at the first other holder) give
what their plain definitions give."""

from __future__ import annotations

import random

import pytest

from tests.conftest import make_scene
from veriscene.program import SceneIndex
from veriscene.program.context import ExecutionContext
from veriscene.program.executor import run_nodes
from veriscene.scene.describe import _matching, _only_holder, refer
from veriscene.scene.geometry import READABLE
from veriscene.scene.model import Scene
from veriscene.scene.spellings import annotated_over_spellings

NAMES = ("man", "man", "man", "cup", "car", "tree")
ATTRIBUTES = ("red", "big", "large", "huge", "small", "wooden", "striped")
PREDICATES = ("holding", "holds", "left of", "near", "above", "on", "wearing")


def _dense_scene(seed: int, n: int, sparse: bool) -> Scene:
    r = random.Random(seed)
    objects = []
    for _ in range(n):
        x0, y0 = r.randrange(0, 780), r.randrange(0, 580)
        objects.append({"name": r.choice(NAMES), "box": [x0, y0, min(800, x0 + r.randrange(2, 120)), min(600, y0 + r.randrange(2, 120))],
                        "attributes": r.sample(ATTRIBUTES, r.randrange(0, 3))})
    relations = {(r.randrange(n), r.choice(PREDICATES), r.randrange(n)) for _ in range(2 * n)}
    meta = {"sparse": ["relations"]} if sparse else {}
    return make_scene(objects, sorted((a, p, b) for a, p, b in relations if a != b), width=800, height=600, meta=meta)


def _plain_matching(index: SceneIndex, name: str, attrs: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(i for i in range(index.n) if index.scene.names[i] == name
                 and all(i in index.having_attribute.get(a, ()) for a in attrs))


@pytest.mark.parametrize("seed", [0, 1])
def test_matching_is_its_plain_definition(seed: int) -> None:
    index = SceneIndex(_dense_scene(seed, 300, sparse=False))
    r = random.Random(seed)
    for _ in range(300):
        name = r.choice(NAMES)
        attrs = tuple(r.sample(ATTRIBUTES, r.randrange(0, 3)))
        assert _matching(index, name, attrs) == _plain_matching(index, name, attrs)
        assert _matching(index, name, attrs) == _plain_matching(index, name, attrs)  # from the table


@pytest.mark.parametrize("sparse", [False, True])
def test_only_holder_is_i_alone_among_the_holders(sparse: bool) -> None:
    index = SceneIndex(_dense_scene(2, 250, sparse))
    names = index.scene.names
    agreed = held = 0
    for i, p, o in index.scene.relations:
        same_name = index.by_name[names[i]]
        generous = sparse or p in READABLE
        holders = [j for j in same_name if (generous and index.could_hold(j, p, o))
                   or annotated_over_spellings(index, j, p, o)]
        assert _only_holder(index, i, same_name, p, o, generous) == (holders == [i])
        agreed += 1
        held += holders == [i]
    assert agreed > 400 and 0 < held < agreed  # both answers occur


def test_references_on_a_dense_scene_select_their_object() -> None:
    scene = _dense_scene(3, 400, sparse=False)
    index = SceneIndex(scene)
    found = relational = 0
    for i in range(len(scene)):
        ref = refer(index, i)
        if ref is None:
            continue
        program = [*ref.nodes, {"op": "unique", "inputs": [len(ref.nodes) - 1], "args": []}]
        assert run_nodes(program, ExecutionContext(scene))[-1].index == i, ref.phrase
        found += 1
        relational += " the " in ref.phrase  # "man holding the red cup"
    assert found > 20 and relational > 5


def _plain_refer_by_attributes(index: SceneIndex, i: int, exclude_types: frozenset[str]) -> tuple[str, ...] | None:
    """The attributes of the shortest name + attributes description of object i (() for the
    name alone), by its definition: the first subset of its own attributes, fewest first, that no
    other object of its name has all of."""
    from itertools import combinations

    from veriscene.scene.describe import _all_ranked_attributes
    from veriscene.vocab import attribute_type

    name = index.scene.names[i]
    if not index.nameable(name):
        return None
    others = [j for j in index.by_name[name] if j != i]
    if not others:
        return ()
    if index.sparse_attributes:
        return None
    attrs = [a for a in _all_ranked_attributes(index)[i] if attribute_type(a) not in exclude_types]
    for k in range(1, min(2, len(attrs)) + 1):
        for subset in combinations(attrs, k):
            if not any(all(j in index.having_attribute[a] for a in subset) for j in others):
                return subset
    return None


@pytest.mark.parametrize("exclude", [(), ("color",)])
@pytest.mark.parametrize("seed", [0, 4])
def test_refer_by_attributes_is_its_plain_definition(seed: int, exclude: tuple[str, ...]) -> None:
    """Object by object, each subset of its attributes tested through the scene's shared table
    (`_matching`): the description its definition gives, on a scene of hundreds of objects of a
    name ("big" beside "large" selects no object alone)."""
    from veriscene.scene.describe import _filtered_attributes, refer_by_attributes

    index = SceneIndex(_dense_scene(seed, 400, sparse=False))
    found = 0
    for i in range(index.n):
        ref = refer_by_attributes(index, i, exclude_types=exclude)
        expected = _plain_refer_by_attributes(index, i, frozenset(exclude))
        assert (None if ref is None else tuple(_filtered_attributes(ref))) == expected, i
        found += ref is not None
    assert 0 < found < index.n
