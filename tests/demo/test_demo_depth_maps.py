"""Synthetic depth maps of demo scenes (`veriscene.demo.depth_maps`): what `veriscene generators`
shows depth.map_points.v1's example on, the demo world having no maps."""

from pathlib import Path

import numpy as np

from veriscene.demo.depth_maps import synthetic_depth_map, with_synthetic_depth_maps
from veriscene.demo.world import iter_scene_graphs
from veriscene.program.context import ExecutionContext
from veriscene.program.ops_depth_map import depth_map_of
from veriscene.scene.masks import decode_mask


def test_each_object_lies_at_its_depth_before_a_receding_floor() -> None:
    scene = next(iter(iter_scene_graphs(1, seed=0)))
    depth = synthetic_depth_map(scene)
    assert depth.shape == (scene.height, scene.width) and depth.dtype == np.float32
    covered = np.zeros(depth.shape, dtype=bool)
    assert scene.masks is not None and scene.depth is not None
    for i, rle in enumerate(scene.masks):
        mask = decode_mask(rle)
        covered |= mask
        assert np.unique(depth[mask]).size == 1  # one depth an object: a flat surface facing the camera
    order = np.argsort(scene.depth)  # closer objects (smaller depth) nearer in the map too
    seen = [float(depth[decode_mask(scene.masks[i])][0]) for i in order]
    assert seen == sorted(seen)
    floor = depth[~covered]
    assert floor.min() > max(seen)  # the floor behind every object
    column = depth[:, ~covered.any(axis=0)][:, 0] if (~covered.any(axis=0)).any() else depth[:, 0]
    assert (np.diff(column[~covered[:, 0]]) <= 0).all()  # receding towards the top of the image


def test_scenes_get_maps_their_programs_read(tmp_path: Path) -> None:
    scenes = list(iter_scene_graphs(2, seed=0))
    mapped = with_synthetic_depth_maps(scenes, tmp_path)
    for scene, with_map in zip(scenes, mapped):
        assert with_map.depth_map is not None and Path(with_map.depth_map).parent == tmp_path
        assert np.array_equal(depth_map_of(ExecutionContext(with_map), 0), synthetic_depth_map(scene))
        assert scene.depth_map is None  # (the scenes given are left as they are)
