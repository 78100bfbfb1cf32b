"""`split` given a samples file (what `generate` wrote) says to split the scene file instead
(helper-197: each line was "no image_id ... cannot be placed in a split", nothing more)."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from veriscene import split


def test_a_sample_line_says_it_is_a_sample_not_a_scene(tmp_path: Path) -> None:
    sample = {"id": "9f0c", "task": "object.count.v1", "images": [{"id": "demo-000003", "path": "a.png"}],
              "question": "How many cups are there?", "answer": 3, "answer_type": "int",
              "program": [{"op": "scene", "inputs": [], "args": [0]}]}
    path = tmp_path / "samples.jsonl"
    path.write_bytes(orjson.dumps(sample) + b"\n" + orjson.dumps({"width": 4}) + b"\n")
    summary = split(path, tmp_path / "out")
    rejects = [json.loads(line) for line in (tmp_path / "out" / "split_rejects.jsonl").read_text().splitlines()]
    assert [(r["record"], r["field"]) for r in rejects] == [(1, "image_id"), (2, "image_id")]
    assert "it is a sample (it has a question and a program), not a scene graph: split the scene file" \
        in rejects[0]["reason"]
    assert rejects[1]["reason"] == "no image_id (a non-empty string or an integer): cannot be placed in a split"
    assert summary.rejected == 2 and "it is a sample" in summary.errors[0]
