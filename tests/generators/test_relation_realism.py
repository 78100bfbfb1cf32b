"""Relation questions on Visual Genome-shaped scenes have one right answer and no answer given
away by the words: no option that may hold with the answer ("on top of" beside "on", "next to"
beside "near", "has" beside "wearing"), no "no" in a predicate that may hold ("Is the cup above
the table?" beside "on") nor one no such pair could have ("Is the sky wearing the shirt?")."""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import pytest

from tests.conftest import make_scene
from tests.generators.helpers import candidates, qa
from tests.generators.query_options import query_options
from veriscene.generators import Vocabulary

PREDICATES = ["on", "on top of", "atop", "above", "under", "behind", "in front of", "near", "next to", "beside",
              "by", "wearing", "wears", "has on", "has", "with", "holding", "holds", "eating", "riding",
              "looking at", "standing on", "lying on", "left of", "right of"]


def _vocab(names: Sequence[str], predicates: Sequence[str] = PREDICATES) -> Vocabulary:
    return Vocabulary(names=Counter(names), attributes=Counter(), predicates=Counter(predicates))


def _pair(subject: str, target: str, predicate: str, sparse: bool = False):
    """subject 40 px above target (400 x 300 image), within its columns: no direction but
    "above" reads clearly, and not "near"; overlapping it for "near" and its synonyms (apart,
    the direction the boxes show would answer "where is it?" as well: `open_rivals`)."""
    box = [320, 180, 370, 230] if predicate in ("near", "next to") and not sparse else [320, 110, 370, 160]
    rows = [{"name": subject, "box": box}, {"name": target, "box": [300, 200, 390, 290]}]
    return make_scene(rows, [(0, predicate, 1)], width=400, height=300,
                      meta={"sparse": ["relations"]} if sparse else {})


@pytest.mark.parametrize(("predicate", "never"), [
    ("on", {"on top of", "atop", "above", "standing on", "riding"}),
    ("near", {"next to", "beside", "by"}),
    ("next to", {"near", "beside", "by"}),
    ("wearing", {"wears", "has on", "has", "with"}),
    ("holding", {"holds", "has", "with"}),
    ("standing on", {"on", "on top of", "atop", "above", "lying on"}),
])
def test_relation_query_never_offers_what_may_hold_with_the_answer(predicate: str, never: set[str]) -> None:
    scene = _pair("man", "table", predicate)
    (cand, answer), = [(c, a) for c, a in candidates(scene, "relation.query.v1", _vocab(["man", "table"]))
                        if c.slots["the_a"] == "the man"]
    assert answer == predicate
    wrong = query_options(scene, _vocab(["man", "table"]))  # (asked open: the scene's one answer)
    assert wrong and not never & wrong


def test_relation_query_options_still_include_exclusive_predicates() -> None:
    wrong = query_options(_pair("man", "table", "on"), _vocab(["man", "table"]))
    assert {"under", "behind", "in front of"} <= wrong
    # one wording of "near": two would tell a careful reader that neither is right
    assert len({"near", "next to", "beside", "by"} & wrong) == 1


def test_relation_query_offers_the_commonest_wording_of_a_class() -> None:
    # (a data set without directions: "above" read clearly is no second answer to "behind")
    vocab = Vocabulary(names=Counter(["man", "table"]), attributes=Counter(),
                       predicates=Counter([p for p in PREDICATES if p not in ("above", "left of", "right of")])
                       + Counter({"next to": 5, "atop": 3}))
    scene = _pair("man", "table", "behind")
    wrong = query_options(scene, vocab)
    assert {"next to", "atop"} <= wrong
    assert not {"near", "beside", "by", "on", "on top of"} & wrong


def test_sparse_relation_query_never_offers_a_synonym_the_boxes_rule_out() -> None:
    # far apart, "near" is ruled out by the boxes; annotated "next to", it is the same relation
    scene = _pair("man", "table", "next to", sparse=True)
    got = [(c, a) for c, a in candidates(scene, "relation.query.v1", _vocab(["man", "table"]))
           if c.slots["the_a"] == "the man"]
    for cand, answer in got:
        assert answer == "next to" and "near" not in cand.distractors


@pytest.mark.parametrize("seed", range(8))
def test_relation_exists_no_is_plausible(seed: int) -> None:
    # the sky is over the man, who wears a shirt: the "no" about the sky and the man is a place
    # any two objects may have, never what only a person does ("Is the sky wearing the man?");
    # the man and the shirt he wears get none ("Is the man behind the shirt?" is answered by the
    # words alone)
    rows = [{"name": "man", "box": [100, 100, 160, 280]}, {"name": "shirt", "box": [105, 140, 155, 200]},
            {"name": "sky", "box": [0, 0, 400, 90]}]
    scene = make_scene(rows, [(2, "over", 0), (0, "wearing", 1)], width=400, height=300)
    got = qa(scene, "relation.exists.v1", _vocab(["man", "shirt", "sky"]), seed=seed)
    noes = [q for q, a in got.items() if a is False]
    assert sorted(q for q, a in got.items() if a is True) == ["Is the man wearing the shirt?", "Is the sky over the man?"]
    sky = [q for q in noes if q.startswith("Is the sky")]
    assert len(noes) == 1 and len(sky) == 1
    # not "over" in another word ("above", "on top of"), nor an act of a person
    assert sky[0].split("Is the sky ")[1].split(" the man")[0] in {
        "behind", "in front of", "near", "next to", "beside", "by", "under", "to the left of", "to the right of"}


@pytest.mark.parametrize("seed", range(8))
def test_relation_exists_no_is_never_a_predicate_that_may_hold(seed: int) -> None:
    # the man has the hat (and a hat is on him): "Is the man wearing the hat?" may be "yes"
    rows = [{"name": "man", "box": [100, 100, 160, 280]}, {"name": "hat", "box": [110, 80, 150, 110]},
            {"name": "shirt", "box": [105, 140, 155, 200]}]
    scene = make_scene(rows, [(0, "has", 1), (1, "on", 0), (0, "wearing", 2)], width=400, height=300)
    got = qa(scene, "relation.exists.v1", _vocab(["man", "hat", "shirt"]), seed=seed)
    for question, answer in got.items():
        if answer is False and "the man" in question and "the hat" in question:
            assert not any(w in question for w in ("wear", "has", "have", "holding", "holds", "on top"))
        if answer is False and question.startswith(("Is the hat", "Is it true that the hat", "Would you say the hat")):
            assert not any(f" {w} the man" in question for w in ("on", "on top of", "atop", "above"))


@pytest.mark.parametrize(("relations", "sparse"), [
    ([(0, "wearing", 1)], False), ([(0, "has", 1)], False), ([(1, "of", 0)], False), ([(1, "part of", 0)], False),
    ([(0, "wearing", 1)], True), ([(1, "belonging to", 0)], True),
])
def test_relation_exists_asks_no_place_between_an_owner_and_what_it_has(relations, sparse: bool) -> None:
    """The skier wears the coat, has the hand; the hand is part of the skier: "Is the skier above
    the coat?" or "Is the hand near the skier?" is a "no" the words give away (or one that holds:
    he is near the coat he wears), so the pair is asked "yes" only, also where relations are
    sparse and the boxes rule the place out."""
    rows = [{"name": "skier", "box": [10, 10, 60, 60]}, {"name": "coat", "box": [300, 200, 390, 290]}]
    scene = make_scene(rows, relations, width=400, height=300,
                       meta={"sparse": ["relations"]} if sparse else {})
    got = qa(scene, "relation.exists.v1", _vocab(["skier", "coat"]))
    assert list(got.values()) == [True] * len(relations)


def test_relation_exists_no_of_two_names_is_a_place_only_where_any_pair_has_it() -> None:
    """A player is on a skateboard and a cup on a pizza: "on" is said of a player and of what is on
    a pizza, never of the pair ("Is the player on the pizza?" is answered by the words alone): the
    "no" is a place any two objects may have that the scene uses ("near")."""
    rows = [{"name": "player", "box": [10, 10, 60, 200]}, {"name": "skateboard", "box": [10, 200, 60, 220]},
            {"name": "cup", "box": [300, 100, 320, 120]}, {"name": "pizza", "box": [280, 110, 390, 150]},
            {"name": "sign", "box": [200, 10, 250, 50]}]
    relations = [(0, "on", 1), (2, "on", 3), (0, "looking at", 3), (0, "holding", 4), (4, "near", 3)]
    scene = make_scene(rows, relations, width=400, height=300)
    got = qa(scene, "relation.exists.v1", _vocab(["player", "skateboard", "cup", "pizza", "sign"]))
    about_pizza = sorted(q for q, a in got.items() if a is False and q.startswith("Is the player")
                         and q.endswith("the pizza?"))
    assert about_pizza == ["Is the player near the pizza?"]
