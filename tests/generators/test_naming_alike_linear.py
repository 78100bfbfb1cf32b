"""`common._naming_alike` counts the names per kind once (linear in the names) instead of testing
every pair of names: the same names, in the same set order, as the pairwise definition, on
people and their broader name, group forms, synonyms, repeats of one kind and none."""

from __future__ import annotations

import random
from typing import Iterable

import pytest

from veriscene.generators.common import _naming_alike
from veriscene.generators.vocabulary_draws import name_kind, overlapping_kinds

POOL = ("man", "men", "group of men", "person", "people", "crowd", "woman", "women", "boy", "player",
        "tennis player", "tree", "trees", "row of trees", "plane", "airplane", "bike", "bicycle", "tv",
        "television", "couch", "sofa", "cup", "window", "windows", "car", "dog", "sky", "grass",
        "bunch of bananas", "banana", "jeans", "pair of jeans", "name01234", "attr")


def _pairwise(names: Iterable[str]) -> frozenset[str]:
    """The definition before: every name against every other."""
    kinds = {n: name_kind(n) for n in names}
    return frozenset(n for n, kind in kinds.items()
                     if any(m != n and k in overlapping_kinds(kind) for m, k in kinds.items()))


@pytest.mark.parametrize("names", [
    (), ("man",), ("person",), ("man", "men"), ("man", "person"), ("person", "woman", "cup"),
    ("plane", "airplane"), ("tree", "trees", "row of trees"), ("cup", "window", "car"), ("men", "crowd"),
    ("tennis player", "person"), ("player", "boy"), ("tv", "sofa"),
])
def test_chosen_lists_as_pairwise(names: tuple[str, ...]) -> None:
    assert _naming_alike(names) == _pairwise(names)
    assert list(_naming_alike(names)) == list(_pairwise(names))  # (the same set order)


def test_random_lists_as_pairwise() -> None:
    rng = random.Random(5)
    found = 0
    for _ in range(2000):
        names = rng.sample(POOL, rng.randint(0, len(POOL)))
        assert list(_naming_alike(names)) == list(_pairwise(names)), names
        found += len(_pairwise(names))
    assert found > 1000  # lists of names naming alike, not only lists of none


def test_a_kind_held_once_is_not_alike_by_itself() -> None:
    assert _naming_alike(("man", "cup")) == frozenset()
    assert _naming_alike(("man", "men", "cup")) == {"man", "men"}
    assert _naming_alike(("person", "man", "cup")) == {"person", "man"}
