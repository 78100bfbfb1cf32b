from __future__ import annotations

import json
from pathlib import Path

import pytest

from veriscene.errors import SceneValidationError
from veriscene.io.rejects import RejectReport


def test_streams_jsonl_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "out" / "rejects.jsonl"
    with RejectReport(path, keep=1) as report:
        report.add(SceneValidationError("bad box", source="a.json", record="7", field="objects[1].box"))
        report.add(SceneValidationError("dangling", source="a.json", record="8", field="relations[0]"), "relation")
        report.count("boxes_clipped", 3)
        report.count("boxes_clipped", 0)
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert lines[0] == {"file": "a.json", "record": "7", "field": "objects[1].box", "reason": "bad box", "level": "scene"}
    assert len(lines) == 2 and len(report.entries) == 1  # all written, `keep` held in memory
    summary = report.summary()
    assert summary["rejected"] == 2 and summary["rejected_by_level"] == {"scene": 1, "relation": 1}
    assert summary["repairs"] == {"boxes_clipped": 3} and report.boxes_clipped == 3


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="level"):
        RejectReport().add(SceneValidationError("x"), "image")
