"""A conversion that converts nothing (every record refused, a file cut short) leaves a scene file
an earlier conversion made as it was, instead of replacing it with an empty one."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.io.convert import convert


def _coco(path: Path, width: int | None) -> Path:
    image: dict[str, object] = {"id": 1, "file_name": "a.jpg", "height": 40}
    if width is not None:
        image["width"] = width
    path.write_text(json.dumps({"images": [image], "categories": [{"id": 1, "name": "cup"}],
                                "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5],
                                                 "area": 25, "iscrowd": 0}]}))
    return path


def test_nothing_converted_keeps_the_scene_file_made_before(tmp_path: Path) -> None:
    out = tmp_path / "scenes.jsonl"
    good = convert(_coco(tmp_path / "instances.json", 40), out, "coco")
    assert good.scenes_written == 1 and not good.output_kept
    before = out.read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_text('{"images": [{"id": 1, "width": 4')  # a fetch gone wrong
    summary = convert(cut, out, "coco")
    assert (summary.scenes_written, summary.output_kept) == (0, True)
    assert out.read_bytes() == before
    assert summary.nothing_converted is not None and summary.nothing_converted.endswith(f"; {out} was left as it was")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_nothing_converted_into_a_new_file_still_writes_it_empty(tmp_path: Path) -> None:
    """No earlier file: the (empty) scene file is written as before, and the summary says nothing was kept."""
    out = tmp_path / "scenes.jsonl"
    summary = convert(_coco(tmp_path / "instances.json", None), out, "coco")
    assert (summary.scenes_written, summary.output_kept) == (0, False) and summary.rejected > 0
    assert out.exists() and out.read_bytes() == b""
    assert summary.nothing_converted is not None and "left as it was" not in summary.nothing_converted


def test_a_conversion_rejecting_some_records_replaces_the_file(tmp_path: Path) -> None:
    """Only a run that converted nothing keeps the old file: one that wrote scenes replaces it."""
    out = tmp_path / "scenes.jsonl"
    out.write_text("old\n")
    source = _coco(tmp_path / "instances.json", 40)
    data = json.loads(source.read_text())
    data["images"].append({"id": 2, "file_name": "b.jpg", "height": 40})  # no width: rejected
    data["annotations"].append({"id": 2, "image_id": 2, "category_id": 1, "bbox": [1, 1, 5, 5], "area": 25,
                                "iscrowd": 0})
    source.write_text(json.dumps(data))
    summary = convert(source, out, "coco")
    assert summary.scenes_written == 1 and summary.rejected > 0 and not summary.output_kept
    assert len(out.read_text().splitlines()) == 1 and "old" not in out.read_text()


def test_the_command_says_the_file_was_kept_and_exits_1(tmp_path: Path) -> None:
    out = tmp_path / "scenes.jsonl"
    assert CliRunner().invoke(app, ["convert", str(_coco(tmp_path / "instances.json", 40)), "--out", str(out)]).exit_code == 0
    before = out.read_bytes()
    result = CliRunner().invoke(app, ["convert", str(_coco(tmp_path / "bad.json", None)), "--from", "coco",
                                      "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "".join(f"{out} was left as it was".split()) in "".join(result.output.split())  # wrapped anywhere
    assert out.read_bytes() == before
