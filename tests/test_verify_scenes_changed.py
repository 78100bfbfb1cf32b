"""A failed verification whose run's scene file changed since the run says so: a demo or a
conversion written over the run's scenes.jsonl made every sample 'MISSING_SCENE ... no scene of 3
in the scene files', the file's change unsaid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import veriscene
from veriscene.cli import app


def _scenes(path: Path, prefix: str) -> None:
    scenes = [{"schema_version": 1, "image_id": f"{prefix}{i}", "width": 40, "height": 30,
               "objects": [{"name": "cup", "box": [1, 1, 10, 10], "attributes": []},
                           {"name": "ball", "box": [20, 5, 30, 25], "attributes": []}], "relations": []}
              for i in range(3)]
    path.write_text("".join(json.dumps(s) + "\n" for s in scenes))


@pytest.fixture
def run(tmp_path: Path) -> Path:
    _scenes(tmp_path / "scenes.jsonl", "")
    veriscene.generate(tmp_path / "scenes.jsonl", tmp_path / "run", generators="object.count.v1")
    return tmp_path / "run"


def test_a_scene_file_written_over_is_named(run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _scenes(tmp_path / "scenes.jsonl", "demo-")
    report = veriscene.verify(run)
    assert not report.ok and report.scenes_changed == [str(tmp_path / "scenes.jsonl")]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["verify", "run", "--workers", "2"])
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and "MISSING_SCENE" in said
    assert ("note: the scene file(s) the run was made from changed since (their SHA-256 is not the one "
            "manifest.json records): scenes.jsonl;") in said


def test_an_unchanged_scene_file_is_not_named(run: Path, tmp_path: Path) -> None:
    assert veriscene.verify(run).scenes_changed == []
    samples = run / "samples.jsonl"
    record = json.loads(samples.read_text().splitlines()[0])
    record["answer"] = 99
    samples.write_text(json.dumps(record) + "\n")  # a sample changed, not the scenes
    report = veriscene.verify(samples)
    assert not report.ok and report.scenes_changed == []
