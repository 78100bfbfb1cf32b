"""`multi.relation_diff` never takes two spellings of one relation for a difference: a man
"holding" a cup in one image and one that "holds" it in another are related the same way, so
"How is the man related to the cup in Image 2?" (answer "holds", option "holding") is not asked.
Readers keep the spellings apart (Visual Genome writes "holding", "holds" and "hold"), so the
generator compares predicates as they are said after a noun (`relation_modifier`)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from veriscene.engine.pool import ScenePool
from veriscene.generators import Vocabulary, get_generator
from veriscene.generators.base import GroupContext
from veriscene.generators.multi_image.relation_diff import one_relation
from veriscene.program import ExecutionContext, SceneIndex, execute
from veriscene.scene import Scene

VOCAB = Vocabulary(
    names=Counter({"man": 2, "cup": 2}), attributes=Counter(),
    predicates=Counter({"holding": 3, "holds": 2, "hold": 1, "wearing": 2, "has": 2, "with": 1,
                        "left of": 1, "right of": 1}),
)


def _scene(image_id: str, predicate: str) -> Scene:
    """A man and a cup he stands in `predicate` to (relations annotated in full)."""
    return Scene.from_objects(image_id, 400, 300, [
        {"name": "man", "box": [10, 10, 120, 290], "attributes": []},
        {"name": "cup", "box": [100, 100, 140, 140], "attributes": []},
    ], relations=[(0, predicate, 1)])


def _asked(mine: str, theirs: str, seeds: int = 6) -> set[tuple[str, tuple[str, ...], str]]:
    """(expected, options, program answer) of every relation_diff candidate over seeds."""
    anchor = _scene("a", mine)
    found = set()
    for seed in range(seeds):
        gen = get_generator("multi.relation_diff.v1")()
        gen.group_sizes = (2,)  # type: ignore[misc]
        ctx = GroupContext(anchor, SceneIndex(anchor), ExecutionContext(anchor), np.random.default_rng(seed), VOCAB,
                           ScenePool.from_scenes([_scene("b", theirs)]))
        for cand in gen.propose(ctx):
            answer = execute(cand.get_program(), ExecutionContext(cand.scenes))
            found.add((cand.expected, tuple(cand.distractors), answer))
    return found


@pytest.mark.parametrize("mine, theirs", [
    ("holding", "holds"),  # "is holding" and "holds": one relation (the old test compared words)
    ("holds", "hold"),     # one verb, two forms
    ("hold", "holding"),
    ("has", "with"),       # "the man with the cup" either way
])
def test_spellings_of_one_relation_are_not_a_difference(mine, theirs) -> None:
    assert _asked(mine, theirs) == set()
    assert _asked(theirs, mine) == set()


def test_a_different_relation_is_still_asked() -> None:
    # the answer is the relation in the image asked about, the other one its option
    assert _asked("holding", "wearing") == {("wearing", ("holding",), "wearing"), ("holding", ("wearing",), "holding")}


@pytest.mark.parametrize("a, b, same", [
    ("holding", "holds", True), ("hold", "holds", True), ("belonging to", "belongs to", True),
    ("belong to", "belonging to", True), ("with", "has", True), ("having", "have", True),
    ("holding", "wearing", False), ("left of", "right of", False), ("on", "on top of", False),
    ("next to", "beside", False),  # two words for one place: synonyms, not spellings
])
def test_one_relation(a, b, same) -> None:
    assert one_relation(a, b) is same
    assert one_relation(b, a) is same


@pytest.mark.parametrize("mine, theirs", [("next to", "beside"), ("on", "on top of"), ("wearing", "wears")])
def test_synonyms_of_one_relation_are_not_a_difference(mine, theirs) -> None:
    # two words for one relation (`vocab.predicate_class`): the pair is arranged alike to the eye
    assert _asked(mine, theirs) == set()
    assert _asked(theirs, mine) == set()
