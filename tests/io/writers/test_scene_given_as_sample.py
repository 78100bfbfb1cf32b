"""A scene file given to `export` (as a user does before running `generate`) is named as scene
graphs, with the command that makes samples of it (helper-197: each line said only its missing
fields, `scenes.jsonl:1: missing fields ['id', 'task', ...]`)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from veriscene.io.export import export
from veriscene.io.writers.records import check_sample

SCENE = {"schema_version": 1, "image_id": "a", "width": 10, "height": 10, "image": "a.png",
         "objects": [{"name": "cup", "box": [0, 0, 5, 5]}]}


def test_a_scene_record_is_named_as_one() -> None:
    with pytest.raises(ValueError, match=r"missing fields \['id', .*\]; it is a scene graph .* not a sample: make "
                                         r"samples of it with `veriscene generate SCENES --out RUN`, then export RUN"):
        check_sample(SCENE)


def test_another_record_says_its_missing_fields_alone() -> None:
    with pytest.raises(ValueError) as caught:
        check_sample({"image_id": "a"})
    assert str(caught.value).startswith("missing fields [") and "scene graph" not in str(caught.value)


def test_export_of_a_scene_file_says_it_in_its_first_error(tmp_path: Path) -> None:
    scenes = tmp_path / "scenes.jsonl"
    scenes.write_bytes(orjson.dumps(SCENE) + b"\n")
    summary = export(scenes, tmp_path / "out.json", to="llava")
    assert summary.samples_written == 0 and summary.samples_skipped == 1
    assert "it is a scene graph" in summary.errors[0] and "scenes.jsonl:1" in summary.errors[0]
