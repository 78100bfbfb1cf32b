"""The partner pool: cached parsed scenes share their lookup tables with every program."""

from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.pool import ScenePool
from veriscene.generators.base import GroupContext
from veriscene.generators.vocabulary import Vocabulary
from veriscene.program.context import ExecutionContext, SceneIndex
from veriscene.scene.model import Scene

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


def _numbered_pool(n: int) -> ScenePool:
    scene = next(iter_scene_graphs(1, seed=4))
    entries = ScenePool.from_scenes([scene]).entries
    e = entries[0]
    from veriscene.engine.scan import PoolEntry
    return ScenePool([PoolEntry(e.line.replace(f'"{e.image_id}"'.encode(), f'"p{k}"'.encode(), 1), f"p{k}",
                                e.names, e.attributes, e.predicates) for k in range(n)])


def test_a_rare_partner_among_few_positions_is_always_found() -> None:
    # 1 acceptable scene of 60: rejection with 64 tries would miss it about a third of the time
    pool = _numbered_pool(60)
    among = np.arange(60, dtype=np.int32)
    for seed in range(40):
        got = pool.draw(np.random.default_rng(seed), 1, accept=lambda e: e.image_id == "p17", among=among)
        assert [s.image_id for s in got] == ["p17"]
    assert pool.draw(np.random.default_rng(0), 1, accept=lambda e: False, among=among) == []


def test_few_positions_are_drawn_uniformly_without_repeats() -> None:
    pool = _numbered_pool(40)
    rng = np.random.default_rng(1)
    among = np.arange(0, 40, 2, dtype=np.int32)  # 20 positions, p0 excluded, p30.. rejected
    seen: dict[str, int] = {}
    for _ in range(800):
        got = [s.image_id for s in pool.draw(rng, 3, among=among, exclude_ids=["p0"],
                                             accept=lambda e: int(e.image_id[1:]) < 30)]
        assert len(got) == len(set(got)) == 3
        for image_id in got:
            seen[image_id] = seen.get(image_id, 0) + 1
    assert sorted(seen, key=lambda i: int(i[1:])) == [f"p{k}" for k in range(2, 30, 2)]
    assert min(seen.values()) > 0.7 * 2400 / 14 and max(seen.values()) < 1.3 * 2400 / 14


def _volume_pool(n: int, volumes: int) -> ScenePool:
    """n scenes p0.. of `volumes` volumes (p_k a slice of volume k % volumes)."""
    from dataclasses import replace

    pool = _numbered_pool(n)
    return ScenePool([replace(e, group=f"label_map:v{k % volumes}.nii.gz") for k, e in enumerate(pool.entries)])


@pytest.mark.parametrize("n", [30, 200])  # every position tested / rejection sampling
def test_a_group_holds_one_slice_of_each_volume(n: int) -> None:
    """Four slices of one CT are one liver, not four: partners come from distinct volumes, none
    the anchor's."""
    pool = _volume_pool(n, 5)
    assert pool.group_of("p7") == "label_map:v2.nii.gz" and pool.group_of("nope") is None
    for seed in range(30):
        got = pool.draw(np.random.default_rng(seed), 4, exclude_groups=["label_map:v0.nii.gz"])
        volumes = [int(s.image_id[1:]) % 5 for s in got]
        assert len(volumes) == len(set(volumes)) and 0 not in volumes
    assert len(pool.draw(np.random.default_rng(0), 4, exclude_groups=["label_map:v0.nii.gz"])) == 4
    assert pool.draw(np.random.default_rng(0), 5, exclude_groups=["label_map:v0.nii.gz"], max_tries=500)[4:] == []


def test_scene_group() -> None:
    from veriscene.engine.scan_result import scene_group

    assert scene_group({"label_map": "/d/case_001.nii.gz", "slice": 4}) == "label_map:/d/case_001.nii.gz"
    assert scene_group({"dicom_seg": "seg.dcm"}) == "dicom_seg:seg.dcm"
    assert scene_group({"source_format": "coco"}) is None and scene_group(None) is None


def test_multi_image_groups_take_one_slice_of_each_volume(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Slices of six CT volumes: no multi-image sample shows two slices of one volume (a run of
    them had 419 of 1,020 so, 'How many left kidneys do the images contain in total?' 4 for four
    slices of one patient)."""
    from veriscene.generators import SceneRunner, select_generators
    from veriscene.scene.model import Scene

    boxes = np.array([[2, 2, 8, 8], [12, 2, 18, 8]], dtype=np.float32)
    scenes = [Scene(f"v{v}_z{k}", 20, 20, boxes, ("liver", "left kidney" if k % 2 else "spleen"), ((), ()),
                    meta={"label_map": f"v{v}.nii.gz", "slice": k}) for v in range(6) for k in range(4)]
    pool = ScenePool.from_scenes(scenes)
    runner = SceneRunner([g() for g in select_generators("multi.*")], Vocabulary.from_scenes(scenes), pool=pool)
    samples = [s for scene in scenes for s in runner.run(scene)]
    groups = [[i["id"].split("_")[0] for i in s.images] for s in samples if len(s.images) > 1]
    assert len(groups) > 50 and all(len(set(g)) == len(g) for g in groups)


def test_a_pool_from_scenes_holds_each_image_once_from_its_first_scene() -> None:
    """As the engine's pool (`engine.scan`) and `Vocabulary.from_scenes`: a later scene of an
    image id given before is the record generation rejects as a duplicate, never a partner."""
    scenes = list(iter_scene_graphs(3, seed=3))
    again = Scene.from_objects(scenes[0].image_id, 100, 100, [{"name": "zebra", "box": [1, 1, 50, 50]}])
    pool = ScenePool.from_scenes([*scenes, again, *scenes[:2]])
    assert [e.image_id for e in pool.entries] == [s.image_id for s in scenes]
    assert pool.entries == ScenePool.from_scenes(scenes).entries
