"""Shared generator helpers: random draws that must stay the same as numpy's."""

from __future__ import annotations

from itertools import islice

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriscene.generators.common import Later, sample_up_to, shuffled, shuffled_indices, uncountable_names
from veriscene.generators.vocabulary import Without


def _rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


@pytest.mark.parametrize("n", [0, 1, 2, 5, 17])
def test_shuffled_is_the_permutation_order_from_the_same_draws(n: int) -> None:
    items = [f"item{i}" for i in range(n)]
    for seed in range(50):
        a, b = _rng(seed), _rng(seed)
        assert shuffled(a, items) == [items[i] for i in b.permutation(n).tolist()]
        assert a.integers(1 << 40) == b.integers(1 << 40)  # the streams stay in step


def test_shuffled_leaves_its_input_alone() -> None:
    items = (3, 1, 2)
    out = shuffled(_rng(0), items)
    assert items == (3, 1, 2) and sorted(out) == [1, 2, 3]


def test_sample_up_to_draws_distinct_items() -> None:
    items = list(range(10))
    for seed in range(20):
        picked = sample_up_to(_rng(seed), items, 4)
        assert len(picked) == 4 and len(set(picked)) == 4 and set(picked) <= set(items)
    assert sorted(sample_up_to(_rng(1), items[:3], 4)) == [0, 1, 2]


@pytest.mark.parametrize("n", [2, 3, 17, 999, 10_001, 50_000, 2**32 + 5])
def test_sample_up_to_one_is_numpys_choice_from_the_same_draws(n: int) -> None:
    items = range(n)
    for seed in range(30):
        a, b = _rng(seed), _rng(seed)
        assert sample_up_to(a, items, 1) == b.choice(n, size=1, replace=False).tolist()
        assert a.bit_generator.state == b.bit_generator.state  # the streams stay in step


def test_vocabulary_views_are_made_again_after_names_are_added() -> None:
    from veriscene.generators import Vocabulary

    vocab = Vocabulary()
    vocab.add_names(["dog", "cat"], ["red"], ["near"])
    assert vocab.name_list() == ["cat", "dog"] and vocab.name_list() is vocab.name_list()
    vocab.add_names(["ant"], ["blue"], ["above"])
    assert vocab.name_list() == ["ant", "cat", "dog"]
    assert vocab.predicate_list() == ["above", "near"] and vocab.name_set() == {"ant", "cat", "dog"}


def test_vocabulary_type_views_follow_registered_attribute_types() -> None:
    from veriscene import vocab as words
    from veriscene.generators import Vocabulary

    vocab = Vocabulary()
    vocab.add_names(["dog"], ["zorblue", "red"], [])
    assert "zorblue" not in vocab.attributes_of_type("color")
    saved = dict(words.ATTRIBUTE_TYPES)
    try:
        words.register_attribute_types({"zorblue": "color"})
        assert vocab.attributes_of_type("color") == ["red", "zorblue"]
    finally:
        words.ATTRIBUTE_TYPES.clear()
        words.ATTRIBUTE_TYPES.update(saved)
        words.register_attribute_types({})



@pytest.mark.parametrize("n", [0, 1, 5, 64, 65, 200, 5000])
def test_shuffled_indices_is_the_shuffled_order_from_the_same_draws(n: int) -> None:
    for seed in range(10):
        a, b = _rng(seed), _rng(seed)
        expected = shuffled(b, range(n))
        lazy = shuffled_indices(a, n)
        first = list(islice(lazy, 3))  # the runner reads only a few
        assert first == expected[:3]
        assert a.integers(1 << 40) == b.integers(1 << 40)  # every draw made by the first read
        assert first + list(lazy) == expected


words = st.lists(st.text("abcde", max_size=4), unique=True).map(sorted)


@given(words, st.lists(st.text("abcdef", max_size=4), max_size=6))
def test_without_is_the_filtered_list(items: list[str], excluded: list[str]) -> None:
    view = Without(items, excluded)
    filtered = [w for w in items if w not in excluded]
    assert len(view) == len(filtered) and list(view) == filtered
    assert [view[i] for i in range(len(view))] == filtered
    assert [view[-i] for i in range(1, len(view) + 1)] == [filtered[-i] for i in range(1, len(filtered) + 1)]
    assert view[1:4] == filtered[1:4] and view[::-2] == filtered[::-2]
    for word in items + excluded + ["zz"]:
        assert (word in view) == (word in filtered)
    with pytest.raises(IndexError):
        view[len(filtered)]


def test_without_draws_the_same_items_as_the_filtered_list() -> None:
    names = sorted(f"thing{i:05d}" for i in range(3000))
    present = ["thing00000", "thing01500", "thing02999", "not a word"]
    filtered = [n for n in names if n not in present]
    for seed in range(20):
        assert sample_up_to(_rng(seed), Without(names, present), 4) == sample_up_to(_rng(seed), filtered, 4)


def test_sorted_subset_draws_only_above_the_limit() -> None:
    from veriscene.generators.common import sorted_subset

    rng = _rng(3)
    state = rng.bit_generator.state
    assert sorted_subset(rng, {"b": 1, "a": 2}, 2) == ["a", "b"] and rng.bit_generator.state == state
    picked = sorted_subset(rng, range(40), 16)
    assert len(set(picked)) == 16 and picked == sorted(picked) and set(picked) <= set(range(40))


def test_absent_names_are_the_vocabulary_minus_the_scene_shared_per_index(street) -> None:
    from veriscene.generators.vocabulary import Vocabulary, absent_names
    from veriscene.program.context import SceneIndex

    vocab = Vocabulary.from_scenes([street])
    vocab.names.update(["dog", "apple", "zebra"])
    index = SceneIndex(street)
    absent = absent_names(vocab, index)
    assert list(absent) == [n for n in vocab.name_list() if n not in set(street.names)] == ["apple", "dog", "zebra"]
    assert absent_names(vocab, index) is absent  # made once per scene index


def test_later_makes_its_list_once_when_first_read() -> None:
    made: list[int] = []

    def make() -> list[str]:
        made.append(1)
        return ["b", "c", "d"]

    later = Later(make)
    assert made == []  # nothing made until read
    assert len(later) == 3 and later[1] == "c" and later[-1] == "d" and later[:2] == ["b", "c"]
    assert list(later) == ["b", "c", "d"] and "c" in later and later == ["b", "c", "d"]
    assert made == [1]  # made once


def test_uncountable_names_are_the_scenes_substances() -> None:
    from veriscene.program.context import SceneIndex
    from veriscene.scene.model import Scene

    scene = Scene.from_objects("img", 100, 100, [
        {"name": "grass", "box": [0, 0, 50, 50]}, {"name": "cup", "box": [10, 10, 20, 20]},
        {"name": "sky", "box": [0, 0, 100, 30]},
    ])
    index = SceneIndex(scene)
    assert uncountable_names(index) == frozenset({"grass", "sky"})
    assert uncountable_names(index) is uncountable_names(index)  # once per scene index
