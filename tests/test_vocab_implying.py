"""Vocabulary lookups by meaning: `annotations_implying` (the annotated words that make an attribute
hold; moved here from `engine.pool`, still importable from there) and `synonyms_of` (the words of
one synonym class: the same value to `differing_attribute_type`)."""

from __future__ import annotations

import pytest

from veriscene import vocab
from veriscene.engine import pool
from veriscene.vocab import ATTRIBUTE_TYPES, annotations_implying, attribute_class, implied_attributes, synonyms_of


def test_the_old_import_path_is_the_same_function() -> None:
    assert pool.annotations_implying is vocab.annotations_implying


@pytest.mark.parametrize("word, expected", [
    ("big", ("big", "giant", "huge", "large")),
    ("large", ("large", "big", "giant", "huge")),
    ("huge", ("huge", "giant")),
    ("brown", ("brown", "beige", "tan")),
    ("beige", ("beige",)),      # tan and beige overlap; neither implies the other
    ("red", ("red",)),
    ("sparkly", ("sparkly",)),  # not in the vocabulary: itself
])
def test_annotations_implying(word, expected) -> None:
    assert annotations_implying(word) == expected


@pytest.mark.parametrize("word", sorted(ATTRIBUTE_TYPES))
def test_annotations_implying_reverses_implied_attributes(word) -> None:
    assert set(annotations_implying(word)) == {w for w in ATTRIBUTE_TYPES if word in implied_attributes(w)} | {word}


@pytest.mark.parametrize("word, expected", [
    ("big", {"big", "large"}), ("large", {"big", "large"}), ("huge", {"huge", "giant"}),
    ("grey", {"gray", "grey"}), ("wooden", {"wood", "wooden"}), ("red", {"red"}), ("sparkly", {"sparkly"}),
])
def test_synonyms_of(word, expected) -> None:
    assert synonyms_of(word) == expected
    assert {attribute_class(w) for w in expected} == {attribute_class(word)}
