"""Annotations of another format given as scene files (no --from) are refused before the run
starts, with the way to convert them: no tables, nothing written to the output folder."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

import veriscene
from veriscene.cli import app

COCO = {"images": [{"id": 1, "file_name": "a.jpg", "width": 9, "height": 9}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 3, 3], "area": 9, "iscrowd": 0}],
        "categories": [{"id": 1, "name": "cat"}]}
SCENE = {"image_id": "a", "width": 10, "height": 10, "objects": [{"name": "cat", "box": [1, 1, 5, 5]}]}


def _hint(path: Path, cli: bool = False) -> str:
    """The CLI's options (`cli`) or generate()'s (`option_names`)."""
    how = "--from auto (or --from coco)" if cli else "from_format='auto' (or from_format='coco')"
    return (f"{path}: not veriscene scene JSONL; it looks like coco annotations (COCO key 'categories'): pass "
            f"{how} to convert it")


def test_the_cli_stops_at_once_with_the_hint(tmp_path: Path) -> None:
    coco = tmp_path / "instances_val2017.json"
    coco.write_bytes(orjson.dumps(COCO))
    result = CliRunner().invoke(app, ["generate", str(coco), "--out", str(tmp_path / "run")])
    said = " ".join(result.output.split())
    assert result.exit_code == 2  # was 1, after the run
    assert said == f"error: {_hint(coco, cli=True)}"  # no "Generated samples" nor "Per family" table
    assert not (tmp_path / "run").exists()


def test_the_api_raises_before_writing(tmp_path: Path) -> None:
    coco = tmp_path / "instances_val2017.json"
    coco.write_bytes(orjson.dumps(COCO))
    out = tmp_path / "run"
    out.mkdir()
    with pytest.raises(ValueError) as refused:
        veriscene.generate(coco, out)
    assert str(refused.value) == _hint(coco)
    assert list(out.iterdir()) == []  # was manifest.json, rejects.jsonl, samples.jsonl, vocabulary.json
    assert veriscene.generate(coco, out, from_format="auto").scenes == 1  # the hint's way works


def test_a_scene_file_with_a_bad_first_record_is_still_run(tmp_path: Path) -> None:
    scenes = tmp_path / "s.jsonl"
    scenes.write_bytes(orjson.dumps({"image_id": "x"}) + b"\n" + orjson.dumps(SCENE) + b"\n")
    summary = veriscene.generate(scenes, tmp_path / "run", generators="object.count.v1")
    assert summary.scenes == 1 and summary.rejects["rejected"] == 1


def test_past_the_first_files_named_the_run_is_refused_too(tmp_path: Path) -> None:
    """Every file is checked (helper-201): a sixth file of another format was left to the run,
    which rejected its record ("missing required field 'objects'") without the hint."""
    good = []
    for k in range(5):
        good.append(tmp_path / f"s{k}.jsonl")
        good[-1].write_bytes(orjson.dumps({**SCENE, "image_id": f"a{k}"}) + b"\n")
    coco = tmp_path / "instances.json"
    coco.write_bytes(orjson.dumps(COCO))
    with pytest.raises(ValueError) as refused:
        veriscene.generate([*good, coco], tmp_path / "run", generators="object.count.v1")
    assert str(refused.value).startswith(f"1 of the 6 input files is not veriscene scene JSONL: {coco} looks like "
                                         "coco annotations (COCO key 'categories').")
    assert not (tmp_path / "run").exists()
