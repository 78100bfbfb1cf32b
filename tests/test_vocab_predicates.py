"""Predicates that may both hold of one pair (`vocab.predicates_compatible`): near-synonyms,
one implied by another, spellings; and those that may hold the other way round."""

from __future__ import annotations

import pytest

from veriscene.vocab import (
    converse_predicate_senses,
    predicate_class,
    predicate_senses,
    predicates_compatible,
    says_place,
)


@pytest.mark.parametrize(("a", "b"), [
    ("on", "on top of"), ("on", "atop"), ("near", "next to"), ("beside", "near"), ("by", "next to"),
    ("wears", "wearing"), ("wearing a", "has on"), ("holding", "has"), ("with", "holding"), ("has", "wearing"),
    ("standing on", "on"), ("parked on", "on top of"), ("is sitting on", "above"), ("standing next to", "beside"),
    ("under", "beneath"), ("below", "underneath"), ("over", "above"), ("watching", "looking at"),
    ("part of", "of"), ("belonging to", "of"), ("grazing on", "eating"), ("riding", "on"), ("riding", "above"),
    ("in", "inside"), ("dressed in", "wearing"), ("holds", "carrying"),
    # both say "on": Visual Genome says either of a thing resting on another
    ("standing on", "lying on"), ("sitting on", "hanging on"), ("parked on", "sitting on"),
])
def test_near_synonyms_and_implied_predicates_may_both_hold(a: str, b: str) -> None:
    assert predicates_compatible(a, b) and predicates_compatible(b, a)


@pytest.mark.parametrize(("a", "b"), [
    ("left of", "right of"), ("on", "under"), ("above", "below"), ("in front of", "behind"),
    ("holding", "wearing"), ("near", "on"), ("eating", "holding"), ("looking at", "riding"),
    ("sitting on", "under"), ("made of", "on"),
])
def test_exclusive_predicates_are_not_compatible(a: str, b: str) -> None:
    assert not predicates_compatible(a, b) and not predicates_compatible(b, a)


@pytest.mark.parametrize(("predicate", "klass", "senses"), [
    ("next to", "near", {"near"}),
    ("on top of", "on", {"on"}),
    ("is standing on the", "standing on", {"standing on", "on"}),  # copula and article dropped first
    ("wearing a", "wearing", {"wearing"}),
    ("grazing on", "eating", {"eating", "on"}),
    ("made of", "made of", {"made of"}),  # unlisted: its own class
])
def test_classes_and_senses(predicate: str, klass: str, senses: set[str]) -> None:
    assert predicate_class(predicate) == klass
    assert predicate_senses(predicate) == senses


def test_converse_senses_say_what_holds_the_other_way() -> None:
    # a hat on a man: the man has it, wears it; is not on it
    assert {"under", "below", "has", "wearing"} <= converse_predicate_senses("on")
    assert converse_predicate_senses("left of") == {"right of"}
    assert "on" not in converse_predicate_senses("on")


@pytest.mark.parametrize(("predicate", "place"), [
    ("on", True), ("next to", True), ("left of", True), ("behind", True), ("over", True), ("standing on", True),
    ("parked in", True), ("grazing on", True), ("dressed in", True),
    ("holding", False), ("wearing", False), ("has", False), ("with", False), ("of", False), ("riding", False),
    ("attached to", False), ("looking at", False), ("eating", False),
])
def test_says_place(predicate: str, place: bool) -> None:
    """A place, or a posture or state at one, says where its subject is; an act or a possession does not."""
    assert says_place(predicate) is place
