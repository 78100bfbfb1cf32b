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
