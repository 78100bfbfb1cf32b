from __future__ import annotations

import json
from pathlib import Path

import pytest

from veriscene.errors import SceneValidationError
from veriscene.io.readers import detect_format, read

from .reader_helpers import read_all


def line(image_id: str, box=(0, 0, 5, 5), **extra) -> str:
    return json.dumps({"schema_version": 1, "image_id": image_id, "width": 10, "height": 10,
                       "objects": [{"name": "Cup", "box": list(box), "attributes": []}], "relations": [], **extra})


def test_reads_lines_and_reports_bad_ones(tmp_path: Path) -> None:
    path = tmp_path / "scenes.jsonl"
    path.write_text("\n".join([
        line("a"), '{"truncated": ', line("b", box=(0, 0, 50, 5)), line("a"), line("c", relations=[[0, "on", 3]]), line("d"),
    ]) + "\n")
    assert detect_format(path) == "veriscene_jsonl"
    scenes, report = read_all(path, "jsonl")
    assert [s.image_id for s in scenes] == ["a", "d"]
    assert scenes[0].names == ("Cup",)  # the core format is read as is, not normalised
    assert [e.record for e in report.entries] == [2, 3, "a", 5]
    assert report.entries[1].field == "objects[0].box"  # outside the image: rejected, not clipped
    with pytest.raises(SceneValidationError, match="line 2"):
        list(read(path, "jsonl", strict=True))
