"""A tiny generation run built by hand: three PNGs, six samples, one bad line, one missing image."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

PROGRAM = [{"op": "scene", "inputs": [], "args": []}, {"op": "count", "inputs": [0], "args": []}]


def make_sample(sid: str, images: list[str], **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": sid,
        "task": "object.count.v1",
        "family": "counting",
        "images": [{"id": Path(p).stem, "path": p} for p in images],
        "question": "How many cups are there?",
        "answer": 3,
        "answer_type": "int",
        "choices": None,
        "program": PROGRAM,
        "template_id": "count.0",
        "generator_version": 1,
        "seed": 1234,
        "meta": {"mode": "qa"},
    }
    record.update(fields)
    return record


SAMPLES = [
    make_sample("s-int", ["images/a.png"]),
    make_sample(
        "s-mc",
        ["images/a.png"],
        task="attribute.color.v1",
        family="attribute",
        question="What color is the cup?\nA. blue\nB. red\nC. green",
        answer="red",
        answer_type="str",
        choices=["blue", "red", "green"],
        meta={"mode": "mc", "answer_letter": "B"},
        program=[{"op": "query_attribute", "inputs": [], "args": ["color", 2]}],
    ),
    make_sample(
        "s-bool",
        ["images/b.png"],
        question="Is there a dog?",
        answer=True,
        answer_type="bool",
        task="object.exists.v1",
        family="object",
    ),
    make_sample(
        "s-box",
        ["images/b.png"],
        question="Where is the dog?",
        answer=[10, 20, 30, 60],
        answer_type="box",
        task="grounding.box.v1",
        family="grounding",
        meta={"mode": "qa", "box_format": "norm1", "image_size": [40, 80]},
    ),
    make_sample(
        "s-multi",
        ["images/a.png", "images/c.png"],
        question="Which image shows a dog?",
        answer=1,
        answer_type="image_index",
        task="multi.select.v1",
        family="multi_image",
    ),
    make_sample(
        "s-missing",
        ["images/missing.png"],
        question="Is it sunny?",
        answer=False,
        answer_type="bool",
        task="object.exists.v1",
        family="object",
    ),
]


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    (run / "images").mkdir(parents=True)
    for name, color, size in (
        ("a", "red", (40, 30)),
        ("b", "blue", (40, 80)),
        ("c", "green", (20, 20)),
    ):
        Image.new("RGB", size, color).save(run / "images" / f"{name}.png")
    lines = [json.dumps(s) for s in SAMPLES]
    lines.insert(3, "{not json")
    (run / "samples.jsonl").write_text("\n".join(lines) + "\n")
    (run / "scenes.jsonl").write_text("")
    (run / "manifest.json").write_text("{}")
    return run
