"""`veriscene split` warns of a split left with no scene (few scenes, split by a hash of their
ids): `generate` on its empty file made a run of no sample, and neither command said so."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from veriscene.cli import app


def _scenes(path: Path, n: int) -> Path:
    path.write_text("".join(json.dumps({"schema_version": 1, "image_id": f"img-{i}", "width": 10, "height": 10,
                                        "objects": [{"name": "cup", "box": [0, 0, 5, 5], "attributes": []}],
                                        "relations": []}) + "\n" for i in range(n)))
    return path


def test_an_empty_split_is_warned_of_and_generate_on_it_says_so(tmp_path: Path) -> None:
    scenes = _scenes(tmp_path / "three.jsonl", 3)
    result = CliRunner().invoke(app, ["split", str(scenes), "--out", str(tmp_path / "sp"),
                                      "--ratios", "train=0.98,test=0.02"])
    assert result.exit_code == 0, result.output
    counts = json.loads((tmp_path / "sp" / "split.json").read_text())["counts"]["scenes"]
    assert counts.get("test", 0) == 0  # (3 ids, seed 0: all in train)
    assert "warning: test holds no scene: 3 scene(s) were split" in " ".join(result.output.split())
    run = CliRunner().invoke(app, ["generate", str(tmp_path / "sp" / "test.jsonl"), "--out", str(tmp_path / "run")])
    assert run.exit_code == 0, run.output
    assert "warning: the input holds no scene, so the run has no sample" in " ".join(run.output.split())


def test_no_warning_when_every_split_has_scenes(tmp_path: Path) -> None:
    scenes = _scenes(tmp_path / "many.jsonl", 200)
    result = CliRunner().invoke(app, ["split", str(scenes), "--out", str(tmp_path / "sp")])
    assert result.exit_code == 0 and "holds no scene" not in result.output
