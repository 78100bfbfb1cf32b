"""Questions about raw Visual Genome predicates read as English and offer options of their kind.

An audit of questions on Visual Genome-shaped scenes found "Is it true that the leg is belonging
to the bag?", "What is belonging to the tall sheep?", "What is of the mouth?", "Is the man with
the hat?", "What is the building doing with the man?" answered "laying on", and "doing" options
such as "right of"; each case below is one of them on a tiny hand-built scene.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Sequence

import pytest

from tests.conftest import make_scene
from tests.generators.helpers import candidates, qa
from tests.generators.query_options import query_options
from veriscene.generators import Vocabulary
from veriscene.scene import Scene
from veriscene.scene.caption import scene_caption


def _scene(names: Sequence[str], relations: Sequence[tuple[int, str, int]], **kw: Any) -> Scene:
    """Objects in a row, left to right, 20 px wide with 10 px between them."""
    rows = [{"name": n, "box": [30 * k, 20, 30 * k + 20, 40]} for k, n in enumerate(names)]
    return make_scene(rows, list(relations), width=30 * len(names) + 10, height=60, **kw)


def _vocab(names: Sequence[str], predicates: Sequence[str]) -> Vocabulary:
    return Vocabulary(names=Counter(names), attributes=Counter(), predicates=Counter(predicates))


def _all_questions(scene: Scene, generator: str, vocab: Vocabulary) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for template in range(3):
        out.update(qa(scene, generator, vocab, template=template))
    return out


@pytest.mark.parametrize(("predicate", "question"), [
    ("belonging to", "Is it true that the leg belongs to the bag?"),
    ("containing", "Is it true that the leg contains the bag?"),
    ("with", "Is it true that the leg has the bag?"),
    ("of", "Is the leg a leg of the bag?"),
    ("holding", "Is the leg holding the bag?"),
])
def test_relation_exists_says_states_in_the_present(predicate: str, question: str) -> None:
    scene = _scene(["leg", "bag"], [(0, predicate, 1)])
    got = qa(scene, "relation.exists.v1", _vocab(["leg", "bag"], [predicate]))
    assert got == {question: True}


def test_relation_subject_asks_for_a_stative_subject_in_the_present() -> None:
    scene = _scene(["leg", "sheep"], [(0, "belonging to", 1)])
    got = _all_questions(scene, "relation.subject.v1", _vocab(["leg", "sheep", "cat"], ["belonging to"]))
    assert got == {"Which object belongs to the sheep?": "leg", "What belongs to the sheep?": "leg",
                   "Name the object that belongs to the sheep.": "leg"}


def test_relation_subject_never_asks_what_is_of() -> None:
    scene = _scene(["mouth", "man"], [(0, "of", 1)])
    got = _all_questions(scene, "relation.subject.v1", _vocab(["mouth", "man", "cat"], ["of"]))
    # only the object side: "What is the mouth of?"; never "What is of the man?"
    assert "What is of the man?" not in got and "What is the mouth of?" in got
    assert not [q for q in got if re.search(r"\bis of the\b", q)]


@pytest.mark.parametrize(("predicate", "question"), [
    ("holding", "What is the man doing to the cup?"),
    ("playing with", "What is the man doing with the cup?"),  # "doing to ... playing with" said two
    # a state or a placement is no action: it read "What is the man doing to the cup?"
    ("belonging to", "What is the relationship between the man and the cup?"),
    ("hanging on", "What is the relationship between the man and the cup?"),
    ("laying on", "What is the relationship between the man and the cup?"),
    ("covering", "What is the relationship between the man and the cup?"),
    ("walking on", "What is the relationship between the man and the cup?"),
])
def test_relation_query_asks_doing_only_for_an_action(predicate: str, question: str) -> None:
    scene = _scene(["man", "cup"], [(0, predicate, 1)])
    got = qa(scene, "relation.query.v1", _vocab(["man", "cup"], [predicate]))
    assert got == {question: predicate}


_MIXED = ["holding", "eating", "playing with", "right of", "left of", "above", "belonging to", "hanging on",
          "laying on", "made of", "sitting on", "has", "wears"]


@pytest.mark.parametrize(("predicate", "options"), [
    # "What is the man doing to the cup?": actions only, never "right of" or "belonging to"
    ("holding", {"eating", "playing with"}),
    ("playing with", {"holding", "eating"}),
    # "Where is the man relative to the cup?": places only, never "holding" or "made of"
    ("above", {"left of", "right of"}),
    # "How is the man related to the cup?": predicates said after "is" that are no place nor action
    # (and do not say "on" as it does, `vocab.predicates_compatible`: not "laying on", "sitting on")
    ("hanging on", {"made of"}),
    # a verb: verbs
    ("belonging to", {"has", "wears"}),
])
def test_relation_query_options_answer_the_same_question(predicate: str, options: set[str]) -> None:
    # the cup is far right of the man: "left of" and "right of" are not seen between them only
    # when the man is above it; place them apart vertically for "above"
    rows = [{"name": "man", "box": [40, 0, 60, 10]}, {"name": "cup", "box": [40, 50, 60, 60]}]
    scene = make_scene(rows, [(0, predicate, 1)], width=100, height=60)
    vocab = _vocab(["man", "cup"], _MIXED)
    assert {answer for _, answer in candidates(scene, "relation.query.v1", vocab)} == {predicate}
    assert query_options(scene, vocab) == options  # (asked open: the scene's one answer)


def test_options_where_relations_are_sparse_answer_the_same_question() -> None:
    """Only places are ruled out by the boxes: an action or a state has no sure wrong option
    (it had "right of", "above", wrong by their grammar alone)."""
    from veriscene.generators.single_image.relations import sure_wrong
    from veriscene.program import ExecutionContext

    rows = [{"name": "man", "box": [0, 40, 30, 99]}, {"name": "table", "box": [100, 40, 180, 90]}]
    scene = make_scene(rows, [(0, "holding", 1)], meta={"sparse": ["relations"]})
    vocab = _vocab(["man", "table"], ["left of", "right of", "above", "below", "near", "holding", "made of"])
    index = ExecutionContext(scene).index(0)
    assert sure_wrong(index, 0, 1, "holding", vocab) == []
    assert sure_wrong(index, 0, 1, "made of", vocab) == []
    assert sure_wrong(index, 0, 1, "left of", vocab) == ["right of", "above", "below", "near"]


def test_region_relation_options_answer_the_same_question() -> None:
    rows = [{"name": "man", "box": [40, 0, 60, 10]}, {"name": "cup", "box": [40, 50, 60, 60]}]
    scene = make_scene(rows, [(0, "hanging on", 1)], width=100, height=60)
    # no place in the vocabulary: the boxes (the man above the cup) read no other predicate
    vocab = _vocab(["man", "cup"], [p for p in _MIXED if p not in ("left of", "right of", "above")])
    offered = set()
    for seed in range(24):  # the scene's one answer: one wrong option, drawn (`relation_options`)
        got = candidates(scene, "relation.region.v1", vocab, seed=seed, num_choices=20)
        assert got, "the pair is asked about"
        for cand, answer in got:
            assert answer == "hanging on" and cand.group == "verb" and len(cand.distractors) == 1
            offered.update(cand.distractors)
    # not "laying on" nor "sitting on": they say "on" as it does (`vocab.predicates_compatible`)
    assert offered == {"made of", "holding", "eating", "playing with"}


@pytest.mark.parametrize(("predicate", "sentence"), [
    ("belonging to", "The leg belongs to the bag."),
    ("with", "The leg has the bag."),
    ("having", "The leg has the bag."),
    ("containing", "The leg contains the bag."),
])
def test_captions_say_states_and_possessions_in_the_present(predicate: str, sentence: str) -> None:
    caption = scene_caption(_scene(["leg", "bag"], [(0, predicate, 1)]))
    assert sentence in caption, caption


def test_a_spelling_of_a_held_predicate_is_never_its_no() -> None:
    """'with' says "has": with both in the vocabulary, "Is it true that the man has the hat?"
    was asked twice of a man with a hat, answered yes ('has') and no ('with')."""
    scene = _scene(["man", "hat"], [(0, "has", 1)])
    vocab = _vocab(["man", "hat"], ["has", "with"])
    for seed in range(8):  # the "no" is drawn among the predicates the pair lacks
        got = [(cand.slots["rel"], answer) for cand, answer in candidates(scene, "relation.exists.v1", vocab, seed=seed)]
        assert got == [("has", True)]


@pytest.mark.parametrize(("predicate", "vocabulary"), [
    ("holds", ["holds", "hold", "wears"]),  # "holds" offered "hold" as a wrong option
    # "has" offered "with"; "wears" may hold with it too (`vocab.PREDICATE_OVERLAPS`)
    ("has", ["has", "with", "having", "wears", "eats"]),
])
def test_a_spelling_of_the_answer_is_never_a_wrong_option(predicate: str, vocabulary: list[str]) -> None:
    rows = [{"name": "man", "box": [40, 0, 60, 10]}, {"name": "hat", "box": [40, 50, 60, 60]}]
    scene = make_scene(rows, [(0, predicate, 1)], width=100, height=60)
    vocab = _vocab(["man", "hat"], vocabulary)
    (cand, answer), = candidates(scene, "relation.query.v1", vocab)
    assert answer == predicate and query_options(scene, vocab) == {vocabulary[-1]}
