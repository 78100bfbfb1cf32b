"""`multi.relation_diff` never offers as a wrong option a predicate a viewer might read of the
asked image's boxes (`visual.readable_predicates`): "near" for objects that overlap."""

from __future__ import annotations

from collections import Counter

import numpy as np

from tests.generators.test_multi_ops import WORLD
from veriscene.engine.pool import ScenePool
from veriscene.generators import Vocabulary, get_generator
from veriscene.generators.base import GroupContext
from veriscene.generators.visual import readable_predicates
from veriscene.program import ExecutionContext, SceneIndex
from veriscene.scene.model import Scene

# the circle is behind the square, the boxes overlap: "near" may be read too, no direction
TOUCHING = Scene.from_objects("T", 200, 100, [
    {"name": "circle", "box": [95, 10, 125, 40], "attributes": []},
    {"name": "square", "box": [90, 12, 130, 42], "attributes": []},
], [(0, "behind", 1), (1, "in front of", 0)])
VOCAB = Vocabulary(names=Counter({"circle": 2, "square": 2}), attributes=Counter({"red": 1}),
                   predicates=Counter({"left of": 2, "right of": 2, "behind": 1, "in front of": 1, "near": 3,
                                       "above": 1, "below": 1, "on top of": 1}))


def test_overlapping_pair_reads_near() -> None:
    readings = set(readable_predicates(SceneIndex(TOUCHING), 0, 1))
    assert "near" in readings and not readings & {"left of", "right of", "above", "below"}


def test_options_are_never_readable_in_the_asked_image() -> None:
    gen = get_generator("multi.relation_diff.v1")()
    gen.group_sizes = (2,)  # type: ignore[misc]
    asked = 0
    for seed in range(12):
        ctx = GroupContext(WORLD["A"], SceneIndex(WORLD["A"]), ExecutionContext(WORLD["A"]),
                           np.random.default_rng(seed), VOCAB, ScenePool.from_scenes([TOUCHING]))
        for cand in gen.propose(ctx):
            if cand.expected != "behind":
                continue  # asked of image A, whose boxes are far apart
            asked += 1
            assert "behind" not in cand.distractors
            assert "near" not in cand.distractors, cand.distractors
    assert asked


# where the data set says "next to" and "beside" for "near": the asked image's overlapping pair
# reads "near", so neither is a wrong option (the other image's "next to" is the answer there)
APART_NEXT_TO = Scene.from_objects("N", 200, 100, [
    {"name": "circle", "box": [10, 10, 40, 40], "attributes": []},
    {"name": "square", "box": [60, 10, 100, 40], "attributes": []},
], [(0, "next to", 1)])
SYNONYM_VOCAB = Vocabulary(names=Counter({"circle": 2, "square": 2}), attributes=Counter({"red": 1}),
                           predicates=Counter({"next to": 5, "beside": 4, "behind": 1, "in front of": 1,
                                               "above": 1, "below": 1}))


def test_options_leave_out_synonyms_of_a_reading() -> None:
    gen = get_generator("multi.relation_diff.v1")()
    gen.group_sizes = (2,)  # type: ignore[misc]
    asked = 0
    for seed in range(12):
        ctx = GroupContext(APART_NEXT_TO, SceneIndex(APART_NEXT_TO), ExecutionContext(APART_NEXT_TO),
                           np.random.default_rng(seed), SYNONYM_VOCAB, ScenePool.from_scenes([TOUCHING]))
        for cand in gen.propose(ctx):
            if cand.expected != "behind":
                continue  # asked of the image where the boxes are apart
            asked += 1
            assert not {"next to", "beside"} & set(cand.distractors), cand.distractors
    assert asked
