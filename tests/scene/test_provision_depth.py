"""ProVision scenes converted before 0.29.0 (`scene.provision_depth`): their maps, stated "inverse",
are refused naming the file and the fix, counted in the run; `convert` rewrites the scene file
("relative_inverse", nothing else); scenes of other sources are never touched."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import orjson
import pytest

from veriscene import generate
from veriscene.io.convert import convert
from veriscene.scene import provision_depth
from veriscene.scene.depth_maps import DepthMapError, encoding_of, load_depth_map
from veriscene.scene.jsonl import read_scenes
from veriscene.scene.model import Scene

W, H = 64, 48
NAME = "depth.map_points.v1"


def _map(k: int) -> np.ndarray:
    """ProVision's 0-255 disparity (larger = closer): a floor coming closer downwards, a near box."""
    values = np.repeat((40 + 150 * np.arange(H) / (H - 1))[:, None], W, axis=1)
    values[10:30, 5 + 5 * k:25 + 5 * k] = 250
    return values.astype(np.uint8)


@pytest.fixture
def provision(tmp_path: Path) -> Path:
    """A ProVision folder of three images with their depth maps."""
    folder = tmp_path / "provision"
    (folder / "depth_masks").mkdir(parents=True)
    entries = {}
    for k in range(3):
        np.save(folder / "depth_masks" / f"p{k}_depth.npy", _map(k))
        entries[f"p{k}"] = {"data_path": f"/data/p{k}.jpg", "annotation": {
            "width": W, "height": H, "labels": ["box", "floor"], "depth_mask_id": f"p{k}_depth.npy",
            "bboxes": [[5 + 5 * k, 10, 25 + 5 * k, 30], [0, 35, W, H]]}}
    (folder / "object-detection-annotations.json").write_text(json.dumps(entries))
    return folder


def _as_before(new: Path, old: Path) -> None:
    """`new`'s scenes as 0.28.x converted them: their maps stated "inverse"."""
    lines = []
    for line in new.read_bytes().splitlines():
        record = orjson.loads(line)
        assert record["meta"]["depth_map_encoding"] == "relative_inverse"
        record["meta"]["depth_map_encoding"] = "inverse"
        lines.append(orjson.dumps(record))
    old.write_bytes(b"\n".join(lines) + b"\n")


def test_an_old_provision_scene_is_refused_naming_the_file_and_the_fix_then_rewritten(tmp_path: Path,
                                                                                       provision: Path) -> None:
    convert(provision, tmp_path / "new.jsonl", "provision")
    _as_before(tmp_path / "new.jsonl", tmp_path / "old.jsonl")
    old = list(read_scenes(tmp_path / "old.jsonl"))
    assert all(provision_depth.misread(scene) for scene in old)
    with pytest.raises(DepthMapError, match=r"depth map .+p0_depth\.npy of scene 'p0': stated 'inverse' by veriscene "
                                            r"before 0\.29\.0.*veriscene convert SCENES\.jsonl --out FIXED\.jsonl$"):
        load_depth_map(old[0])
    # a run: the generator fails on those scenes, counted and reported; the others run
    summary = generate(tmp_path / "old.jsonl", tmp_path / "run-old", seed=1, generators=f"{NAME},object.count")
    assert summary.generator_stats.get(f"failed:{NAME}") == 3 and summary.samples > 0
    rejects = [orjson.loads(x) for x in (tmp_path / "run-old" / "rejects.jsonl").read_bytes().splitlines()]
    said = [r["reason"] for r in rejects if "before 0.29.0" in r["reason"]]
    assert len(said) == 3 and all("depth_masks" in reason and "--out FIXED.jsonl" in reason for reason in said), said
    # the fix: convert rewrites the encoding, nothing else, and says how many
    fixed = convert(tmp_path / "old.jsonl", tmp_path / "fixed.jsonl")
    assert fixed.repairs.get(provision_depth.REWRITTEN) == 3 and fixed.scenes_written == 3
    assert [s.meta for s in read_scenes(tmp_path / "fixed.jsonl")] == [s.meta for s in read_scenes(tmp_path / "new.jsonl")]
    assert (tmp_path / "fixed.jsonl").read_bytes() == (tmp_path / "new.jsonl").read_bytes()
    a = generate(tmp_path / "fixed.jsonl", tmp_path / "run-fixed", seed=1, generators=NAME)
    b = generate(tmp_path / "new.jsonl", tmp_path / "run-new", seed=1, generators=NAME)
    assert a.samples == b.samples > 0 and f"failed:{NAME}" not in a.generator_stats
    assert (tmp_path / "run-fixed" / "samples.jsonl").read_bytes() == (tmp_path / "run-new" / "samples.jsonl").read_bytes()


def test_scenes_written_since_are_left_as_they_are(tmp_path: Path, provision: Path) -> None:
    convert(provision, tmp_path / "new.jsonl", "provision")
    again = convert(tmp_path / "new.jsonl", tmp_path / "again.jsonl")
    assert again.repairs.get(provision_depth.REWRITTEN, 0) == 0
    assert (tmp_path / "again.jsonl").read_bytes() == (tmp_path / "new.jsonl").read_bytes()


@pytest.mark.parametrize("meta", [
    {"depth_map_encoding": "inverse"},  # a stereo disparity of one's own: inverse, as stated
    {"depth_map_encoding": "inverse", "source_depth_map": {"path": "x.npy", "encoding": "disparity, px"}},
    {"depth_map_encoding": "inverse", "source_depth_map": "x.npy"},
    {"depth_map_encoding": "relative_inverse", "source_depth_map": {"path": "x.npy", "encoding": provision_depth.NOTE}},
    {"source_depth_map": {"path": "x.npy", "encoding": provision_depth.NOTE}},  # "depth" (the default)
])
def test_other_scenes_are_read_as_they_say(meta: dict) -> None:
    scene = Scene.from_objects("s", W, H, [{"name": "box", "box": [0, 0, 4, 4]}], depth_map="x.npy", meta=meta)
    assert not provision_depth.misread(scene) and provision_depth.corrected(scene) is scene
    assert encoding_of(scene) == meta.get("depth_map_encoding", "depth")


def test_a_provision_note_without_a_map_is_no_misread_one() -> None:
    meta = {"depth_map_encoding": "inverse", "source_depth_map": {"path": "x.npy", "encoding": provision_depth.NOTE}}
    scene = Scene.from_objects("s", W, H, [{"name": "box", "box": [0, 0, 4, 4]}], meta=meta)
    assert not provision_depth.misread(scene)
