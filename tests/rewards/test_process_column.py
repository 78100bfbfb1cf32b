"""The `process` column of a run: ProcessTargets JSON per sample id, for TRL data sets."""

from __future__ import annotations

import orjson

from veriscene.rewards import process_column, process_reward, process_targets, reference_trace
from veriscene.rewards.process_score import ProcessTargets
from veriscene.scene.jsonl import read_scenes


def test_every_sample_of_the_run_gets_its_cell(demo_run, demo_samples):
    column = process_column(demo_run)
    assert sorted(column) == sorted(s["id"] for s in demo_samples) and column.unscored == []
    scenes = {s.image_id: s for s in read_scenes(demo_run / "scenes.jsonl")}
    for s in demo_samples:
        targets = process_targets(s, [scenes[img["id"]] for img in s["images"]])
        assert column[s["id"]] == (targets.to_json() if targets.steps else None)
    cells = [c for c in column.values() if c is not None]
    assert len(cells) > 100
    traces = [reference_trace(ProcessTargets.from_json(c).steps, "x") for c in cells[:5]]
    assert process_reward(prompts=None, completions=traces, process=cells[:5]) == [1.0] * 5


def test_samples_whose_scenes_are_missing_are_listed(demo_run, demo_samples, tmp_path):
    lines = (demo_run / "scenes.jsonl").read_bytes().splitlines(keepends=True)
    kept = tmp_path / "some_scenes.jsonl"
    kept.write_bytes(b"".join(lines[1:]))
    first_image = orjson.loads(lines[0])["image_id"]
    column = process_column(demo_run, scenes=kept)
    missing = {s["id"] for s in demo_samples if any(img["id"] == first_image for img in s["images"])}
    assert missing and set(column.unscored) == missing
    assert all(column[i] is None for i in missing) and len(column) == len(demo_samples)


def test_depth_map_samples_read_their_maps_from_the_scene_file_folder(tmp_path, monkeypatch):
    """A relative depth map is read from its scene file's folder, as `verify` reads it: from
    another working directory every depth.map_points sample was listed unscored (its program
    failed: 'no such file')."""
    import numpy as np

    from tests.test_verify_depth_maps import H, NAME, W, floor_and_box
    from veriscene import generate
    from veriscene.scene import write_scenes
    from veriscene.scene.model import Scene

    (tmp_path / "data" / "maps").mkdir(parents=True)
    np.save(tmp_path / "data" / "maps" / "s0.npy", floor_and_box(0))
    write_scenes([Scene.from_objects("s0", W, H, [{"name": "box", "box": [5, 10, 25, 30]}], depth_map="maps/s0.npy")],
                 tmp_path / "data" / "scenes.jsonl")
    generate(tmp_path / "data" / "scenes.jsonl", tmp_path / "run", seed=1, generators=NAME)
    monkeypatch.chdir(tmp_path)  # not the scene file's folder
    column = process_column(tmp_path / "run", select="all")
    assert len(column) > 0 and column.unscored == []
