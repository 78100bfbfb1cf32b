"""The partner pool: cached parsed scenes share their lookup tables with every program."""

from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.pool import ScenePool
from veriscene.generators.base import GroupContext
from veriscene.generators.vocabulary import Vocabulary
from veriscene.program.context import ExecutionContext, SceneIndex

import numpy as np
import pytest


def test_cached_scene_keeps_one_index() -> None:
    scenes = list(iter_scene_graphs(3, seed=1))
    pool = ScenePool.from_scenes(scenes)
    first = pool.scene(1)
    assert first is not None and first.image_id == scenes[1].image_id
    assert pool.scene(1) is first  # parsed once
    index = pool.index(first)
    assert index.scene is first and pool.index(first) is index
    # a scene equal in content but not the pooled object gets its own tables
    assert pool.index(scenes[1]) is not index


def test_group_context_reuses_anchor_and_partner_indexes() -> None:
    scenes = list(iter_scene_graphs(3, seed=2))
    pool = ScenePool.from_scenes(scenes[1:])
    anchor = scenes[0]
    exec_ctx = ExecutionContext(anchor)
    ctx = GroupContext(anchor, exec_ctx.index(0), exec_ctx, np.random.default_rng(0), Vocabulary(), pool)
    partner = pool.scene(0)
    assert partner is not None
    group = ctx.group_context([partner, anchor])
    assert group.index(1) is ctx.index
    assert group.index(0) is pool.index(partner)


def test_execution_context_rejects_indexes_of_other_scenes() -> None:
    a, b = iter_scene_graphs(2, seed=3)
    with pytest.raises(ValueError, match="one per scene"):
        ExecutionContext([a, b], [SceneIndex(b), None])
    with pytest.raises(ValueError, match="one per scene"):
        ExecutionContext([a, b], [None])
