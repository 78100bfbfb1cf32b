"""ProVision's reader keeps the dense depth map it reads as the scene's `depth_map` (absolute,
read as "relative_inverse": 0-255, larger = closer, up to a scale and a shift; 0 the farthest
pixel, not missing), so depth.map_points asks about it; a map it had
to transpose is not the file's layout, and is only recorded in ``meta["source_depth_map"]``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from veriscene.generators import SceneRunner, Vocabulary, select_generators
from veriscene.scene.depth_maps import load_depth_map

from .reader_helpers import read_all
from .test_read_provision import H, W, depth_map, masks, write_set


def test_the_depth_map_read_is_kept_as_the_scenes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    root = write_set(Path("set"))  # a relative folder: the path kept is absolute all the same
    np.save(root / "seg_masks" / "img1_mask.npy", masks())
    (scene,), _ = read_all(root, "provision")
    assert scene.depth_map == os.path.abspath(root / "depth_masks" / "img1_depth.npy")
    assert scene.meta["depth_map_encoding"] == "relative_inverse"
    depth = load_depth_map(scene)
    assert depth[2, 2] == -255 and depth[7, 9] == -51  # the nearer object: smaller depth
    assert depth[0, 0] == 0  # 0 in the file: the farthest, a depth like any other
    runner = SceneRunner([g() for g in select_generators("depth.map_points.v1")], Vocabulary.from_scenes([scene]),
                         raise_errors=False)
    runner.run(scene)  # (the objects are too small for two points 5x5 inside them: no question, no failure)
    assert runner.stats["no_candidates:depth.map_points.v1"] == 1 and runner.failures == []


def test_a_transposed_map_is_not_kept_as_the_scenes(tmp_path: Path) -> None:
    root = write_set(tmp_path)
    np.save(root / "seg_masks" / "img1_mask.npy", masks())
    np.save(root / "depth_masks" / "img1_depth.npy", depth_map().T)  # ProVision's documented [w, h]
    (scene,), report = read_all(root, "provision")
    assert report.repairs["maps_transposed"] == 1 and scene.depth is not None
    assert scene.depth_map is None and "depth_map_encoding" not in scene.meta
    assert scene.meta["source_depth_map"]["path"].endswith("img1_depth.npy")
    assert (H, W) == (12, 16)


@pytest.mark.parametrize("named", ["img1_depth.pkl", "img1_depth"])
def test_the_path_kept_is_the_file_read(tmp_path: Path, named: str) -> None:
    """An annotation naming x.pkl or x is read from x.npy when only that is there (as masks are):
    the scene named the annotation's file, which does not exist, so depth.map_points failed on it."""
    from .test_read_provision import stage, write_json

    root = write_set(tmp_path)
    np.save(root / "seg_masks" / "img1_mask.npy", masks())
    write_json(root / "depth-estimation-annotations.json", stage("img1", {"depth_mask_id": named}))
    (scene,), _ = read_all(root, "provision")
    read = str(root / "depth_masks" / "img1_depth.npy")
    assert scene.depth_map == read and scene.meta["source_depth_map"]["path"] == read
    assert load_depth_map(scene)[2, 2] == -255


def _converted(root: Path, out: Path) -> dict[str, Any]:
    import orjson

    from veriscene.io.convert import convert

    convert(root, out, "provision")
    (line,) = out.read_bytes().splitlines()
    return orjson.loads(line)


def _map_of(scene_file: Path) -> np.ndarray:
    """The depth map of the scene file's one scene, found as generate's workers find it."""
    from veriscene.scene.depth_maps import anchored
    from veriscene.scene.jsonl import read_scenes

    (scene,) = list(read_scenes(scene_file))
    return load_depth_map(anchored(scene, scene_file.parent))


def test_a_conversion_names_the_map_relative_to_the_scene_file_so_the_folder_moves(tmp_path: Path) -> None:
    root = write_set(tmp_path / "set")
    np.save(root / "seg_masks" / "img1_mask.npy", masks())
    written = _converted(root, root / "scenes.jsonl")  # the scenes beside their maps
    assert written["depth_map"] == "depth_masks/img1_depth.npy"
    assert written["meta"]["source_depth_map"]["path"] == str(root / "depth_masks" / "img1_depth.npy")  # the note
    moved = root.rename(tmp_path / "moved")  # the folder copied to another machine, or renamed
    assert _map_of(moved / "scenes.jsonl")[2, 2] == -255
    # converted again elsewhere, the moved scenes' map is named from there (`placed_depth_map`)
    from veriscene.io.convert import convert

    convert(moved / "scenes.jsonl", tmp_path / "elsewhere" / "scenes.jsonl")
    assert _map_of(tmp_path / "elsewhere" / "scenes.jsonl")[7, 9] == -51


def test_scenes_written_in_another_folder_name_the_map_from_there(tmp_path: Path) -> None:
    root = write_set(tmp_path / "set")
    np.save(root / "seg_masks" / "img1_mask.npy", masks())
    out = tmp_path / "converted" / "scenes.jsonl"
    assert _converted(root, out)["depth_map"] == "../set/depth_masks/img1_depth.npy"
    assert _map_of(out)[2, 2] == -255


def test_scenes_converted_before_with_absolute_maps_are_read_as_they_are(tmp_path: Path) -> None:
    import orjson

    from veriscene.io.convert import convert

    root = write_set(tmp_path / "set")
    np.save(root / "seg_masks" / "img1_mask.npy", masks())
    written = _converted(root, tmp_path / "new.jsonl")
    old = tmp_path / "old" / "scenes.jsonl"  # as 0.31.0 wrote it: the map's absolute path
    old.parent.mkdir()
    absolute = str((root / "depth_masks" / "img1_depth.npy").resolve())
    old.write_bytes(orjson.dumps({**written, "depth_map": absolute}) + b"\n")
    assert _map_of(old)[2, 2] == -255
    convert(old, tmp_path / "again" / "scenes.jsonl")  # a veriscene JSONL file's absolute map is kept
    (line,) = (tmp_path / "again" / "scenes.jsonl").read_bytes().splitlines()
    assert orjson.loads(line)["depth_map"] == absolute


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="symbolic links")
def test_scenes_written_through_a_symbolic_link_find_their_map(tmp_path: Path) -> None:
    # out/ is a link to a folder elsewhere: '..' from it is the folder's parent there, not tmp_path
    root = write_set(tmp_path / "set")
    np.save(root / "seg_masks" / "img1_mask.npy", masks())
    (tmp_path / "disk" / "converted").mkdir(parents=True)
    os.symlink(tmp_path / "disk" / "converted", tmp_path / "out")
    out = tmp_path / "out" / "scenes.jsonl"
    written = _converted(root, out)["depth_map"]
    assert not os.path.isabs(written)
    assert _map_of(out)[2, 2] == -255
    assert _map_of(tmp_path / "disk" / "converted" / "scenes.jsonl")[2, 2] == -255  # (the same file)
