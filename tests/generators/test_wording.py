"""Questions read as a careful English speaker writes them, and say what their programs compute.

Each case is a wording an audit on Visual Genome-shaped data found ("How many jeans", "the woman
wears the tall man", "the object the object the zebra is lying on is hanging on", "the one
tiniest") on a tiny hand-built scene, with the wording that replaced it.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Sequence

import numpy as np
import pytest

from tests.conftest import make_scene
from tests.generators.helpers import candidates, qa
from tests.generators.query_options import query_options
from veriscene.engine.pool import ScenePool
from veriscene.generators import Vocabulary, get_generator
from veriscene.generators.base import GroupContext
from veriscene.program import ExecutionContext, SceneIndex, execute
from veriscene.scene import Scene


def _row(name: str, k: int, *attributes: str) -> dict[str, Any]:
    """Object k of a row, left to right (boxes apart: each is clearly left of the next)."""
    return {"name": name, "box": [30 * k, 20, 30 * k + 20, 40], "attributes": list(attributes)}


def _scene(names: Sequence[str], relations: Sequence[tuple[int, str, int]] = (), image_id: str = "s0",
           attributes: dict[int, tuple[str, ...]] | None = None) -> Scene:
    attributes = attributes or {}
    rows = [_row(n, k, *attributes.get(k, ())) for k, n in enumerate(names)]
    return make_scene(rows, list(relations), image_id=image_id, width=30 * len(names) + 10, height=60)


def _vocab(*scenes: Scene) -> Vocabulary:
    names: Counter[str] = Counter(n for s in scenes for n in s.names)
    attributes: Counter[str] = Counter(a for s in scenes for attrs in s.attributes for a in attrs)
    predicates: Counter[str] = Counter(p for s in scenes for _, p, _ in s.relations)
    return Vocabulary(names=names + Counter({"cat": 1}), attributes=attributes + Counter({"red": 1, "blue": 1}),
                      predicates=predicates + Counter({"near": 1}))


def _questions(scene: Scene, generator: str) -> dict[str, Any]:
    """{question: answer} over every template of every candidate."""
    vocab = _vocab(scene)
    out: dict[str, Any] = {}
    for template in range(4):
        out.update(qa(scene, generator, vocab, template=template))
    return out


# ---- multihop: no clause nested in another -----------------------------------------------------

def test_multihop_second_hop_from_the_subject_side_says_the_first_on_its_own() -> None:
    # zebra lying on a rock; the rock is under a tree; a bird holds the rock
    scene = _scene(["zebra", "rock", "tree", "bird"], [(0, "laying on", 1), (1, "under", 2), (3, "holds", 1)],
                   attributes={2: ("green",)})
    got = _questions(scene, "scene_graph.multihop.v1")
    # subject, subject: it read "What kind of object is the object the object the zebra is laying
    # on is under?"
    assert got["The zebra is laying on an object, and that object is under another object. What kind of object is the other object?"] == "tree"
    assert got["The zebra is laying on an object, and that object is under another object. What color is the other object?"] == "green"
    assert got["The bird holds an object, and that object is under another object. What kind of object is the other object?"] == "tree"
    # a second hop from the object's side nests to the right, and stays one phrase
    assert got["What kind of object is the object that holds the object the zebra is laying on?"] == "bird"
    assert not any(q.count("the object the object") or "is laying on is" in q for q in got), sorted(got)


def test_multihop_first_hop_from_the_object_side_said_on_its_own() -> None:
    # a girl holds the kite (the girl's only relation); the kite is on a house (not "above": the
    # row's boxes do not show it, and a hop by a direction needs them to: `SceneIndex.shows`)
    scene = _scene(["girl", "kite", "house"], [(0, "holds", 1), (1, "on", 2)])
    got = _questions(scene, "scene_graph.multihop.v1")
    # from the house: the object on it (the kite), then the object holding that: right-nested
    assert got["What kind of object is the object that holds the object that is on the house?"] == "girl"
    # from the girl: what she holds, then what that is on: said in two sentences
    assert got["The girl holds an object, and that object is on another object. What kind of object is the other object?"] == "house"


def test_multihop_verbs_agree_with_names_plural_in_form() -> None:
    scene = _scene(["jeans", "chair", "man"], [(0, "on", 1), (2, "near", 1)], attributes={1: ("red",)})
    got = _questions(scene, "scene_graph.multihop.v1")
    assert got["What color is the object the jeans are on?"] == "red"
    assert not any("the jeans is" in q for q in got)


# ---- referring expressions: the predicate as a noun modifier ------------------------------------

@pytest.mark.parametrize(("predicate", "phrase"), [
    ("holds", "the man holding the cup"), ("has", "the man with the cup"), ("wears", "the man wearing the cup"),
    ("part of", "the man that is part of the cup"), ("near", "the man near the cup"),
])
def test_relational_referring_expressions_are_noun_phrases(predicate: str, phrase: str) -> None:
    # it read "Locate the woman wears the tall man", "Find the man part of the cheese"
    scene = _scene(["man", "man", "cup"], [(0, predicate, 2)])
    got = qa(scene, "grounding.refexp.v1", _vocab(scene), template=1)
    assert list(got) == [f"Locate {phrase}. Answer with [x0, y0, x1, y1], coordinates normalised to 0-1 with three decimals."]


@pytest.mark.parametrize(("predicate", "phrase"), [
    ("holds", "a man holding a cup"), ("has", "a man with a cup"), ("part of", "a man that is part of a cup"),
    ("on", "a man on a cup"),
])
def test_which_image_has_a_relation_phrases_it_as_a_noun_modifier(predicate: str, phrase: str) -> None:
    # it read "Which image shows a man part of a cup?", "Which image shows a man that holds a cup?"
    anchor = _scene(["man", "cup"], [(0, predicate, 1)], image_id="A")
    partner = _scene(["man", "plate"], [(1, "near", 0)], image_id="B")  # (a partner needs relations)
    gen = get_generator("multi.has_relation.v1")()
    gen.group_sizes = (2,)  # type: ignore[misc]
    ctx = GroupContext(anchor, SceneIndex(anchor), ExecutionContext(anchor), np.random.default_rng(0),
                       _vocab(anchor, partner), ScenePool.from_scenes([partner]))
    (cand,) = list(gen.propose(ctx))
    assert execute(cand.get_program(), ExecutionContext(cand.scenes)) == cand.expected
    assert [t.format(**cand.slots) for t in gen.templates[cand.group]][1] == f"Which image shows {phrase}?"


# ---- counts in units ---------------------------------------------------------------------------

def test_counts_of_things_plural_in_form_are_counted_in_pairs() -> None:
    # it read "How many jeans are there?" (`counted` says "two pairs of jeans"); a substance is
    # not counted at all ("How many patches of grass?" counts how its boxes were drawn)
    scene = _scene(["jeans", "jeans", "cup", "grass"], attributes={0: ("blue",), 1: ("blue",)})
    counts = qa(scene, "object.count.v1", _vocab(scene))
    assert counts["How many pairs of jeans are there?"] == 2 and counts["How many pairs of blue jeans are there?"] == 2
    assert not any(q.startswith(("How many jeans", "How many grass", "How many patches")) for q in counts)
    compared = qa(scene, "counting.compare.v1", _vocab(scene))
    assert compared["Are there more pairs of jeans than cups?"] is True
    assert not any("grass" in q for q in compared)


def test_any_of_a_thing_plural_in_form_is_one_pair() -> None:
    # it read "Is any jeans in the image white?"
    scene = _scene(["jeans", "grass"], attributes={0: ("blue",), 1: ("green",)})
    got = qa(scene, "attribute.exists.v1", _vocab(scene), template=1)
    assert got["Is any pair of jeans in the image blue?"] is True
    assert got["Is any grass in the image green?"] is True  # a substance as it is


# ---- extremes and relations --------------------------------------------------------------------

def test_extreme_size_after_the_one() -> None:
    # it read "Among the circles, what color is the one tiniest?", then "... the one that is the tiniest?"
    scene = make_scene([
        {"name": "circle", "box": [10, 10, 20, 20], "attributes": ["red"]},
        {"name": "circle", "box": [100, 10, 190, 90], "attributes": ["blue"]},
    ])
    got = qa(scene, "spatial.extreme.v1", _vocab(scene), template=1)
    assert got["Among the circles, what color is the one that is the smallest?"] == "red"
    assert got["Among the circles, what color is the one that is the biggest?"] == "blue"
    assert got["Among the circles, what color is the one furthest to the left?"] == "red"
    # an image of one kind is not asked which object is the biggest: "circle" answers it unseen
    assert not any(q.startswith("Which object is") for q in got), sorted(got)
    scene = make_scene([*[{"name": "circle", "box": b} for b in ([10, 10, 20, 20], [100, 10, 190, 90])],
                        {"name": "square", "box": [150, 80, 160, 90]}])
    got = qa(scene, "spatial.extreme.v1", _vocab(scene), template=1)
    assert got["Which object is the biggest?"] == "circle"  # it said "Which object is biggest?"


@pytest.mark.parametrize(("predicate", "question"), [
    ("left of", "Where is the man relative to the cup?"),
    ("holding", "What is the man doing to the cup?"),
    # not a place: it read "Where is the man relative to the cup?" answered "made of"
    ("made of", "What is the relationship between the man and the cup?"),
    ("parked on", "What is the relationship between the man and the cup?"),
    ("has", "What is the relationship between the man and the cup?"),
])
def test_relation_questions_ask_where_only_for_a_place(predicate: str, question: str) -> None:
    scene = _scene(["man", "cup"], [(0, predicate, 1)])
    got = {q: a for q, a in qa(scene, "relation.query.v1", _vocab(scene)).items()}
    assert got == {question: predicate}


def test_relation_query_options_keep_the_phrasing_kind() -> None:
    scene = _scene(["man", "cup"], [(0, "made of", 1)])
    vocab = Vocabulary(names=Counter({"man": 1, "cup": 1}), attributes=Counter(),
                       predicates=Counter({"made of": 1, "left of": 1, "parked on": 1, "holds": 1}))
    (cand, answer), = candidates(scene, "relation.query.v1", vocab)
    wrong = query_options(scene, vocab)  # (asked open: the scene's one answer)
    assert answer == "made of" and cand.group == "verb" and "parked on" in wrong
    assert "holds" not in wrong  # not said after "is": another kind


# ---- verbs agree with names plural in form ("the jeans are") -----------------------------------

def _plural_scene() -> Scene:
    # jeans on a chair (left of it), a cup right of the chair; the jeans are the largest
    return make_scene([
        {"name": "jeans", "box": [10, 10, 90, 90], "attributes": ["blue"]},
        {"name": "chair", "box": [100, 40, 130, 70], "attributes": ["red"]},
        {"name": "cup", "box": [150, 40, 170, 60], "attributes": []},
    ], [(0, "on", 1), (0, "left of", 2), (2, "right of", 0), (0, "has", 2)])


@pytest.mark.parametrize(("generator", "question"), [
    ("attribute.query.v1", "What color are the jeans?"),
    ("attribute.query.v1", "Which color do the jeans have?"),
    ("grounding.box.v1", "Where are the jeans? Answer with [x0, y0, x1, y1], coordinates normalised to 0-1 with three decimals."),
    ("relation.exists.v1", "Are the jeans on the chair?"),
    ("relation.exists.v1", "Is it true that the jeans have the cup?"),
    ("relation.subject.v1", "What are the jeans on?"),
    ("spatial.relation.v1", "Are the jeans to the left or to the right of the cup?"),
    ("spatial.relation.v1", "On which side of the cup are the jeans: left or right?"),
    ("spatial.relation.v1", "On which side of the jeans is the cup: left or right?"),  # the cup's verb
    ("size.compare.v1", "Do the jeans take up more space in the image than the cup?"),
])
def test_verbs_agree_with_a_name_plural_in_form(generator: str, question: str) -> None:
    # it read "What color is the jeans?", "Is it true that the jeans has the cup?"
    got = _questions(_plural_scene(), generator)
    assert question in got, sorted(got)
    singular = re.compile(r"\b(is|does|Is|Does) the jeans\b|\bthe jeans (is|has|does)\b(?! the)")
    assert not [q for q in got if singular.search(q)]


def test_agree_turns_only_the_verbs_of_plural_slots() -> None:
    from veriscene.generators.agreement import agree

    assert agree("What is {the_ref} made of?", ["the_ref"]) == "What are {the_ref} made of?"
    assert agree("How big is {the_ref}: what is its size?", ["the_ref"]) == "How big are {the_ref}: what is their size?"
    assert agree("What {kind} is the {ext} {name}?", ["name"]) == "What {kind} are the {ext} {name}?"
    assert agree("Is it true that {the_a} is {rel} {the_b}?", ["the_b"]) == "Is it true that {the_a} is {rel} {the_b}?"
    assert agree("Is {the_a} {rel} {the_b}?", ["the_b"]) == "Is {the_a} {rel} {the_b}?"
    assert agree("On which side of {the_b} is {the_a}?", ["the_b"]) == "On which side of {the_b} is {the_a}?"
    assert agree("This is {x}.", []) == "This is {x}."


def test_relation_referent_of_a_plural_name_agrees() -> None:
    scene = _scene(["jeans", "jeans", "outfit"], [(0, "part of", 2)])
    got = qa(scene, "grounding.refexp.v1", _vocab(scene), template=3)
    assert list(got) == ["Where exactly are the jeans that are part of the outfit? "
                         "Answer with [x0, y0, x1, y1], coordinates normalised to 0-1 with three decimals."]


def _lamps() -> Scene:
    return make_scene([
        {"name": "lamp", "box": [10, 10, 30, 90], "attributes": ["tall", "white"]},
        # (apart from the couch: 10 px off, it was next to it too, as "near" reads: `visual.read_as`)
        {"name": "lamp", "box": [175, 10, 195, 50], "attributes": ["short", "black"]},
        {"name": "couch", "box": [40, 50, 140, 90], "attributes": ["large"]},
    ], [(0, "next to", 2)])


@pytest.mark.parametrize(("generator", "question", "answer"), [
    # it asked "What size is the white lamp?" (and "How big is the grass?") answered "tall"
    ("attribute.query.v1", "Is the white lamp tall or short?", "tall"),
    ("attribute.query.v1", "What size is the couch?", "large"),  # a size is still a size
    # then "What height is the leftmost lamp?" (`kind_group`: the "height" templates)
    ("spatial.extreme.v1", "Is the leftmost lamp tall or short?", "tall"),
    ("scene_graph.multihop.v1", "Is the object that is next to the couch tall or short?", "tall"),
])
def test_a_height_is_asked_as_a_height(generator: str, question: str, answer: str) -> None:
    got = qa(_lamps(), generator)
    if question.startswith("Is the white lamp"):  # either wording of the "height" templates
        question = next(q for q in got if "white lamp" in q and "tall or short" in q)
    assert got[question] == answer
    assert not any(a in ("tall", "short") and ("size" in q or "height" in q) for q, a in got.items()), got


def test_multihop_names_the_object_without_asking_which_object_is_the_object() -> None:
    # it read "Which object is the object the square is near? Answer with its name."
    scene = _scene(["square", "diamond"], [(0, "near", 1)])
    got = _questions(scene, "scene_graph.multihop.v1")
    assert got["Name the object the square is near."] == "diamond"
    assert got["Name the object that is near the diamond."] == "square"
    assert not any(q.startswith("Which object is the object") for q in got), sorted(got)


def _chairs() -> Scene:
    return make_scene([
        {"name": "chair", "box": [10, 10, 30, 90], "attributes": ["wooden", "shiny", "striped"]},
        {"name": "chair", "box": [175, 10, 195, 50], "attributes": ["metal", "matte", "plain"]},  # (as `_lamps`)
        {"name": "table", "box": [40, 50, 140, 90], "attributes": ["large"]},
    ], [(0, "next to", 2)])


@pytest.mark.parametrize(("generator", "question", "answer"), [
    # it asked "What material is the leftmost chair?", "What finish is ...?", "What pattern is ...?"
    ("spatial.extreme.v1", "What is the leftmost chair made of?", "wooden"),
    ("spatial.extreme.v1", "What kind of surface does the leftmost chair have?", "shiny"),
    ("spatial.extreme.v1", "What pattern does the leftmost chair have?", "striped"),
    ("scene_graph.multihop.v1", "What is the material of the object that is next to the table?", "wooden"),
    ("scene_graph.multihop.v1", "What kind of surface does the object that is next to the table have?", "shiny"),
    ("scene_graph.multihop.v1", "What pattern does the object that is next to the table have?", "striped"),
])
def test_attribute_kinds_are_asked_as_english_asks_them(generator: str, question: str, answer: str) -> None:
    got = qa(_chairs(), generator)
    assert got[question] == answer
    assert not any(re.match(r"What (material|finish|pattern) is\b", q) and "made of" not in q for q in got), got
