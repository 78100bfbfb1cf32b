"""Attribute words: synonym classes, overlapping classes and sub-kinds (what is exclusive)."""

from __future__ import annotations

import pytest

from veriscene import vocab
from veriscene.vocab import (
    ATTRIBUTE_TYPES,
    attribute_class,
    attribute_type,
    compatible_attributes,
    exclusive,
    related_attributes,
)


@pytest.mark.parametrize("word, cls", [("large", "big"), ("big", "big"), ("grey", "gray"), ("wooden", "wood"),
                                       ("metallic", "metallic"), ("circular", "round"), ("red", "red"),
                                       ("crimson", "crimson")])
def test_attribute_class(word: str, cls: str) -> None:
    assert attribute_class(word) == cls


def test_classes_stay_within_one_type() -> None:
    for words in vocab.SYNONYM_CLASSES:
        assert len({attribute_type(w) for w in words}) == 1, words
    for a, b in vocab.OVERLAPPING:
        assert attribute_type(a) == attribute_type(b) != vocab.UNTYPED, (a, b)
    for word in vocab.SUBKINDS:
        assert word in ATTRIBUTE_TYPES


def test_answer_matching_synonyms_agree_with_the_classes() -> None:
    # answer matching reads a word as its synonym: it must be the same class, but for the words
    # a reply may use across types (ACROSS_TYPES: "metallic" said of a material)
    from veriscene.answers.normalize import ACROSS_TYPES, DEFAULT_SYNONYMS

    for word, canonical in DEFAULT_SYNONYMS.items():
        if word in ATTRIBUTE_TYPES and word not in ACROSS_TYPES:
            assert attribute_class(word) == attribute_class(canonical), (word, canonical)
    assert all(attribute_type(w) != attribute_type(c) for w, c in ACROSS_TYPES.items())  # else a class


@pytest.mark.parametrize("a, b, expected", [
    ("big", "small", True),
    ("red", "blue", True),
    ("tall", "short", True),
    ("big", "large", False),   # synonyms
    ("big", "huge", False),    # a huge thing is big
    ("tiny", "small", False),
    ("big", "tall", False),    # size and height: a tall thing may be small
    ("short", "huge", False),
    ("wood", "wooden", False),
    ("grey", "gray", False),
    ("round", "circular", False),
    ("square", "rectangular", False),
    ("navy", "blue", False),
    ("striped", "patterned", False),
    ("plain", "striped", True),
    ("red", "big", False),     # another type: both may hold
    ("red", "attr0001", False),
])
def test_exclusive(a: str, b: str, expected: bool) -> None:
    assert exclusive(a, b) is expected
    assert exclusive(b, a) is expected


def test_related_and_compatible() -> None:
    assert related_attributes("large") == {"big", "large", "huge", "giant"}
    assert compatible_attributes("large") == {"big", "large", "huge", "giant", "tall", "short"}
    assert compatible_attributes("red") == {"red"}
    assert compatible_attributes("attr0001") == {"attr0001"}


def test_registered_types_join_the_sub_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ATTRIBUTE_TYPES, "medium", "size")
    vocab._COMPATIBLE.clear()
    try:
        assert "medium" in compatible_attributes("tall")  # a size, not a height
        vocab.register_attribute_types({"crimson": "color"})
        assert exclusive("crimson", "blue") and compatible_attributes("crimson") == {"crimson"}
    finally:
        ATTRIBUTE_TYPES.pop("crimson", None)
        monkeypatch.undo()
        vocab._COMPATIBLE.clear()
        vocab._RELATED.clear()


@pytest.mark.parametrize("word, implying", [
    ("big", {"big", "large", "huge", "giant"}),
    ("huge", {"huge", "giant"}),
    ("tiny", {"tiny"}),
    ("rectangular", {"rectangular", "square"}),
    ("tan", {"tan", "beige"}),
    ("red", {"red"}),
])
def test_implying_attributes(word: str, implying: set[str]) -> None:
    from veriscene.vocab import implying_attributes

    assert implying_attributes(word) == implying


@pytest.mark.parametrize("word, implied", [
    ("large", {"large", "big"}),
    ("huge", {"huge", "giant", "big", "large"}),   # a huge thing is big
    ("big", {"big", "large"}),                      # a big thing need not be huge
    ("tiny", {"tiny", "small", "little"}),
    ("plaid", {"plaid", "checkered", "patterned"}),
    ("tan", {"tan", "brown"}),                      # tan and beige overlap: neither implies the other
    ("red", {"red"}),
    ("attr0001", {"attr0001"}),
])
def test_implied_attributes(word: str, implied: set[str]) -> None:
    from veriscene.vocab import implied_attributes

    assert implied_attributes(word) == implied


def test_implied_attributes_invert_implying_but_for_pairs_listed_both_ways() -> None:
    from veriscene.vocab import implied_attributes, implying_attributes

    both_ways = {(a, b) for a, b in vocab.OVERLAPPING if (b, a) in vocab.OVERLAPPING}
    words = {w for c in vocab.SYNONYM_CLASSES for w in c} | {w for pair in vocab.OVERLAPPING for w in pair}
    for a in words:
        for w in words:
            said = w in implied_attributes(a)
            assert said == (a in implying_attributes(w) and (attribute_class(w), attribute_class(a)) not in both_ways), (a, w)


@pytest.mark.parametrize("word, kind", [
    ("metal", "material"), ("rubber", "material"), ("wooden", "material"),  # CLEVR's are metal and rubber
    ("metallic", "finish"), ("shiny", "finish"), ("matte", "finish"),  # how a surface looks
])
def test_materials_and_finishes(word: str, kind: str) -> None:
    assert attribute_type(word) == kind


def test_metallic_is_neither_shiny_nor_matte_nor_a_wrong_option_beside_them() -> None:
    from veriscene.vocab import implied_attributes

    assert exclusive("metal", "rubber") and not exclusive("metallic", "shiny") and not exclusive("metallic", "matte")
    assert exclusive("shiny", "matte")
    assert implied_attributes("metallic") == {"metallic"} and "metallic" not in implied_attributes("metal")


def test_metallic_is_asked_as_a_surface_and_metal_as_a_material() -> None:
    from tests.conftest import make_scene
    from tests.generators.helpers import qa

    scene = make_scene([{"name": "car", "box": [0, 0, 50, 50], "attributes": ["metallic", "red"]},
                        {"name": "cube", "box": [60, 0, 100, 40], "attributes": ["metal", "large"]},
                        {"name": "sphere", "box": [120, 0, 150, 30], "attributes": ["rubber", "small"]}])
    asked = qa(scene, "attribute.query.v1")
    assert asked["What kind of surface does the car have?"] == "metallic"  # was "What material ...? metallic"
    assert asked["What material is the cube made of?"] == "metal"
    assert asked["What material is the sphere made of?"] == "rubber"
    assert not any("material" in q for q in asked if "car" in q)
