"""Scene files given to verify (--scenes) that hold no scene are refused naming the file, and a
file of annotations in another format is named for what it is, with the command that converts it:
before, every sample was reported 'no scene of ID in the scene files' (exit 1), the file's fault
unsaid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import veriscene
from veriscene.cli import app
from veriscene.errors import DataError


@pytest.fixture
def run(tmp_path: Path) -> Path:
    scenes = [{"schema_version": 1, "image_id": str(i), "width": 40, "height": 30,
               "objects": [{"name": "cup", "box": [1, 1, 10, 10], "attributes": []},
                           {"name": "ball", "box": [20, 5, 30, 25], "attributes": []}], "relations": []}
              for i in range(3)]
    (tmp_path / "scenes.jsonl").write_text("".join(json.dumps(s) + "\n" for s in scenes))
    veriscene.generate(tmp_path / "scenes.jsonl", tmp_path / "run", generators="object.count.v1")
    return tmp_path / "run"


def test_annotations_given_as_scenes_are_named_with_the_way_to_convert_them(run: Path, tmp_path: Path) -> None:
    coco = tmp_path / "instances_val.json"
    coco.write_text(json.dumps({"images": [{"id": 0, "file_name": "a.jpg", "width": 40, "height": 30}],
                                "annotations": [], "categories": [{"id": 1, "name": "cup"}]}))
    with pytest.raises(DataError, match=r"instances_val.json: no scene in the scene file given .* it looks like coco "
                                        r"annotations .*veriscene convert .*instances_val.json --out scenes.jsonl"):
        veriscene.verify(run, scenes=coco)
    result = CliRunner().invoke(app, ["verify", str(run), "--scenes", str(coco)])
    assert result.exit_code == 1
    assert "it looks like coco annotations" in " ".join(result.output.split())
    assert "MISSING_SCENE" not in result.output


def test_a_file_of_no_scene_is_named(run: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.jsonl"
    junk.write_text('{"a": 1}\nnot json\n')
    with pytest.raises(DataError, match="junk.jsonl: no scene in the scene file given"):
        veriscene.verify(run, scenes=junk)


def test_the_right_scenes_verify(run: Path, tmp_path: Path) -> None:
    report = veriscene.verify(run, scenes=tmp_path / "scenes.jsonl")
    assert report.ok and report.samples > 0
