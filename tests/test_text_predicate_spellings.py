"""Spellings of one predicate share a key (`predicate_key`) that never joins two predicates, and
predicates that are participles, adjectives or misspellings are phrased without garbling."""

from __future__ import annotations

import pytest

from veriscene.text import relation_modifier, relation_phrase, relation_phrase_plural
from veriscene.text_predicates import predicate_key


@pytest.mark.parametrize("spellings, key", [
    (("holding", "holds", "hold", "is holding", "are holding"), "holding"),
    (("has", "have", "having", "with", "has a", "with a"), "with"),
    (("wearing", "wears", "wear", "wearing a", "is wearing"), "wearing"),
    (("belonging to", "belongs to", "belong to"), "belonging to"),
    (("covering", "covers"), "covering"),
    (("riding", "rides"), "riding"),
    (("lying on", "lies on"), "lying on"),
    (("left of", "to the left of"), "to the left of"),
    (("on", "is on", "are on"), "on"),
])
def test_spellings_of_one_predicate_share_a_key(spellings: tuple[str, ...], key: str) -> None:
    assert {predicate_key(p) for p in spellings} == {key}


@pytest.mark.parametrize("a, b", [
    ("on", "on top of"),
    ("in", "inside"),
    ("on", "ontop of"),
    ("parked on", "parks on"),  # the state and the act
    ("covered in", "covers"),  # passive and active: the converse
    ("held by", "holds"),
    ("owned by", "owns"),
    ("worn by", "wears"),
    ("has", "has on"),
    ("of", "part of"),
    ("lying on", "laying on"),
    ("tied to", "tie to"),
    ("put on", "putting on"),  # where a thing was put, and the act of putting on (a hat)
])
def test_different_predicates_keep_different_keys(a: str, b: str) -> None:
    assert predicate_key(a) != predicate_key(b)


# Visual Genome predicates that are participles, adjectives or misspellings, not verbs:
# (predicate, one subject, several subjects, after a noun)
GARBLE_PRONE = [
    ("tied to", "is tied to", "are tied to", "tied to"),
    ("ontop of", "is ontop of", "are ontop of", "ontop of"),
    ("parked on", "is parked on", "are parked on", "parked on"),
    ("attached to", "is attached to", "are attached to", "attached to"),
    ("covered in", "is covered in", "are covered in", "covered in"),
    ("made of", "is made of", "are made of", "made of"),
    ("tied", "is tied", "are tied", "tied"),
    ("used for", "is used for", "are used for", "used for"),
    ("led by", "is led by", "are led by", "led by"),
    ("laid on", "is laid on", "are laid on", "laid on"),
    ("taken by", "is taken by", "are taken by", "taken by"),
    ("ridden by", "is ridden by", "are ridden by", "ridden by"),
    ("cast by", "is cast by", "are cast by", "cast by"),
    ("lit by", "is lit by", "are lit by", "lit by"),
    ("stuck in", "is stuck in", "are stuck in", "stuck in"),
    ("left on", "is left on", "are left on", "left on"),
    ("visible in", "is visible in", "are visible in", "visible in"),
    # a base form that is its own participle, before a preposition of place: where a thing was put
    ("put on", "is put on", "are put on", "put on"),
    ("set on", "is set on", "are set on", "set on"),
    ("cast on", "is cast on", "are cast on", "cast on"),
    ("spread on", "is spread on", "are spread on", "spread on"),
    ("set into", "is set into", "are set into", "set into"),
    ("lies on", "lies on", "lie on", "lying on"),
    ("ties", "ties", "tie", "tying"),
    # verbs stay verbs
    ("cuts", "cuts", "cut", "cutting"),
    ("feeds on", "feeds on", "feed on", "feeding on"),
    ("casts", "casts", "cast", "casting"),
    ("puts on", "puts on", "put on", "putting on"),
    ("set", "sets", "set", "setting"),
    ("cut", "cuts", "cut", "cutting"),
    ("hit on", "hits on", "hit on", "hitting on"),
]


@pytest.mark.parametrize("predicate, one, many, after_noun", GARBLE_PRONE)
def test_participles_and_adjectives_are_phrased_after_is(predicate: str, one: str, many: str,
                                                         after_noun: str) -> None:
    assert (relation_phrase(predicate), relation_phrase_plural(predicate), relation_modifier(predicate)) == (
        one, many, after_noun)


@pytest.mark.parametrize(("raw", "kept"), [
    ("and", ""), ("between", ""), ("is between", ""),  # "between" one object: no relation to ask
    ("next to", "next to"), ("sitting between", "sitting between"),
])
def test_predicates_that_relate_nothing_are_dropped(raw: str, kept: str) -> None:
    from veriscene.io.normalize import Normalizer

    assert Normalizer().predicate(raw) == kept


def test_between_in_a_scene_file_is_still_phrased_as_a_place() -> None:
    """Scene files converted before keep their "between" relations: still "is between"."""
    assert relation_phrase("between") == "is between" and relation_modifier("between") == "between"
