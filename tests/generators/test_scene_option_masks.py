"""The masks of `relation.query`'s option sets (`_SceneOptions.masks`, written out for speed) are
those of each pair's `wrong_option_test`, value by value."""

from __future__ import annotations

import numpy as np
import pytest

from veriscene.demo.world import iter_scene_graphs
from veriscene.generators import GenContext, Vocabulary
from veriscene.generators.single_image.relations import _SceneOptions, wrong_option_test
from veriscene.program import ExecutionContext, SceneIndex

DEMO = list(iter_scene_graphs(60, seed=11))
DEMO_VOCAB = Vocabulary.from_scenes(DEMO)


@pytest.mark.parametrize("start", range(0, 60, 20))
def test_masks_are_those_of_the_wrong_option_test(start: int) -> None:
    checked = 0
    for scene in DEMO[start:start + 20]:
        index = SceneIndex(scene)
        ctx = GenContext(scene, index, ExecutionContext(scene), np.random.default_rng(0), DEMO_VOCAB)
        # every pair of one predicate (the masks do not depend on which of them are asked)
        pairs = [(s, o, held[0]) for (s, o), held in sorted(index.predicates_between.items()) if len(held) == 1]
        values, where, safe = _SceneOptions(ctx, pairs, 4).masks()
        assert values == sorted({p for _, _, p in pairs})
        for (s, o, predicate), (x, j) in zip(pairs, where):
            assert values[x] == predicate
            fits = wrong_option_test(DEMO_VOCAB, index, s, o, predicate)
            expected = sum(1 << y for y, v in enumerate(values) if fits(v)) if len(values) > 1 else 0
            assert safe[x][j] == expected, (scene.image_id, s, o, predicate)
            checked += 1 + bin(expected).count("1")
    assert checked > 100  # pairs and wrong options both tested
