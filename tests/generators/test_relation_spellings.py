"""Spellings of one predicate ("holding", "holds", "hold") are one relation to the relation
generators: never the "no" of each other, and an object asked for must be the only one in the
relation in any spelling (relations in full: no ``meta["sparse"]``)."""

from __future__ import annotations

from collections import Counter

import pytest

from veriscene.generators import Vocabulary
from tests.conftest import make_scene
from tests.generators.helpers import qa

VOCAB = Vocabulary(
    names=Counter({"man": 2, "woman": 1, "cup": 2, "plate": 1}),
    attributes=Counter({"red": 1, "tall": 1}),
    predicates=Counter({"holding": 3, "holds": 2, "hold": 1, "wearing": 2}),
)
MAN, WOMAN, CUP, PLATE = (
    {"name": "man", "box": [10, 10, 60, 90], "attributes": ["tall"]},
    {"name": "woman", "box": [140, 10, 190, 90], "attributes": []},
    {"name": "cup", "box": [90, 40, 110, 60], "attributes": ["red"]},
    {"name": "plate", "box": [80, 70, 120, 80], "attributes": []},
)
# the man "is holding" the cup, the woman "holds" it: one relation, two holders
TWO_HOLDERS = make_scene([MAN, WOMAN, CUP], [(0, "holding", 2), (1, "holds", 2)])


@pytest.mark.parametrize("seed", range(6))
def test_relation_exists_never_says_no_in_another_spelling(seed: int) -> None:
    scene = make_scene([MAN, CUP], [(0, "holding", 1)])
    vocab = Vocabulary(names=VOCAB.names, attributes=VOCAB.attributes, predicates=VOCAB.predicates + Counter({"behind": 1}))
    # the "no" is no spelling of "holding" (not "holds", "hold"), nor drawn blind ("wearing" the
    # cup: a man wears nothing in the scene): a place any two objects may have
    assert qa(scene, "relation.exists.v1", vocab, seed=seed) == {
        "Is the man holding the cup?": True,
        "Is the man behind the cup?": False,
    }


def test_relation_subject_not_asked_of_two_holders_in_two_spellings() -> None:
    # "What is holding the cup?" -> man, "What holds the cup?" -> woman: both wrong; only the
    # man's own relation, which has one object, is asked
    assert qa(TWO_HOLDERS, "relation.subject.v1", VOCAB) == {"What is the man holding?": "cup"}


def test_relation_subject_not_asked_of_two_objects_in_two_spellings() -> None:
    scene = make_scene([MAN, CUP, PLATE], [(0, "holding", 1), (0, "holds", 2)])
    # "What is the man holding?" -> cup, while he also holds the plate: not asked
    assert qa(scene, "relation.subject.v1", VOCAB) == {
        "Which object is holding the cup?": "man",
        "Which object holds the plate?": "man",
    }


def test_multihop_never_hops_to_one_of_two_holders_in_two_spellings() -> None:
    assert qa(TWO_HOLDERS, "scene_graph.multihop.v1", VOCAB) == {
        "What kind of object is the object the man is holding?": "cup",
        "What color is the object the man is holding?": "red",
        "What kind of object is the object the woman holds?": "cup",
        "What color is the object the woman holds?": "red",
    }  # never "the object that is holding the cup" (the man) nor "the object that holds the cup"


def test_multihop_never_hops_to_one_of_two_objects_in_two_spellings() -> None:
    scene = make_scene([MAN, CUP, PLATE], [(0, "holding", 1), (0, "holds", 2)])
    got = qa(scene, "scene_graph.multihop.v1", VOCAB)
    assert not any("the man is holding" in q or "the man holds" in q for q in got)
    assert got["What kind of object is the object that is holding the cup?"] == "man"


def test_refexp_never_names_one_of_two_holders_in_two_spellings() -> None:
    """Two tall men, one "holding" the cup and one that "holds" it: "the tall man holding the cup"
    is either of them (it was asked, answered with each man's box in turn)."""
    other = {**MAN, "box": [150, 10, 195, 90]}
    scene = make_scene([MAN, other, CUP], [(0, "holding", 2), (1, "holds", 2)])
    asked = qa(scene, "grounding.refexp.v1", VOCAB)
    assert not any("man" in question for question in asked), asked
    # one spelling alone: the man holding the cup is one man
    single = make_scene([MAN, other, CUP], [(0, "holding", 2)])
    assert any("holding the cup" in question for question in qa(single, "grounding.refexp.v1", VOCAB))
