"""Every input file's format is checked before a run, those of a folder or a pattern too, and the
refusal names each file of another format (helper-201; before, the first 5 named on their own)."""

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
# ProVision's JSON Lines: {image_id: {annotation: ...}}, the one other format a folder's *.jsonl may be
PROVISION = {"img1": {"annotation": {"labels": ["cat"], "bboxes": [[1, 1, 5, 5]]}}}
SCENE = {"image_id": "a", "width": 10, "height": 10, "objects": [{"name": "cat", "box": [1, 1, 5, 5]}]}


def _scenes(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"s{k:02d}.jsonl" for k in range(count)]
    for k, path in enumerate(paths):
        path.write_bytes(orjson.dumps({**SCENE, "image_id": f"a{k}"}) + b"\n")
    return paths


def test_a_file_of_another_format_in_a_folder_is_refused(tmp_path: Path) -> None:
    _scenes(tmp_path / "in", 8)
    bad = tmp_path / "in" / "z_provision.jsonl"
    bad.write_bytes(orjson.dumps(PROVISION) + b"\n")
    with pytest.raises(ValueError) as refused:
        veriscene.generate(tmp_path / "in", tmp_path / "run", generators="object.count.v1")
    assert str(refused.value).startswith(f"1 of the 9 input files is not veriscene scene JSONL: {bad} looks like "
                                         "provision annotations (JSON Lines with ProVision key")
    assert not (tmp_path / "run").exists()


def test_a_pattern_names_every_file_of_another_format(tmp_path: Path) -> None:
    _scenes(tmp_path / "in", 6)
    bad = [tmp_path / "in" / f"z{k}.json" for k in range(5)]
    for path in bad:
        path.write_bytes(orjson.dumps(COCO))
    result = CliRunner().invoke(app, ["generate", str(tmp_path / "in" / "*"), "--out", str(tmp_path / "run"),
                                      "-g", "object.count.v1"])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    why = "looks like coco annotations (COCO key 'categories')"
    assert said == (f"error: 5 of the 11 input files are not veriscene scene JSONL: {bad[0]} {why}; {bad[1]} {why}; "
                    f"{bad[2]} {why}; and 2 more. A run converts one input of another format (--from auto with "
                    "that file or folder alone); convert each first (veriscene convert FILE --from auto --out "
                    "NAME.jsonl) and give the converted file, or leave them out")
    assert not (tmp_path / "run").exists()


def test_scene_files_alone_still_run(tmp_path: Path) -> None:
    _scenes(tmp_path / "in", 12)
    summary = veriscene.generate(tmp_path / "in", tmp_path / "run", generators="object.count.v1")
    assert summary.scenes == 12
