"""Shared fixtures: a small demo run, and planned replies (correct, wrong, garbage) per sample."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
import pytest

from veriscene.answers import format_box, format_point
from veriscene.demo.pipeline import run_demo
from veriscene.evaluate.adapters.base import image_hash
from veriscene.evaluate.prompts import PromptSet
from veriscene.sample import OPTION_LETTERS

GARBAGE = "I am not sure, maybe."


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    run_demo(out, scenes=6, seed=3)
    return out


def samples(run: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (run / "samples.jsonl").read_bytes().splitlines() if line.strip()]


def is_scored(s: dict[str, Any]) -> bool:
    return s["answer_type"] != "text" or bool(s.get("choices"))


def plan_kind(sample_id: str) -> str:
    """Deterministic per sample: 'correct' (60 %), 'wrong' (25 %), 'garbage' (15 %)."""
    h = int(hashlib.sha256(sample_id.encode()).hexdigest()[:8], 16) % 100
    return "correct" if h < 60 else "wrong" if h < 85 else "garbage"


def planned_reply(s: dict[str, Any]) -> str:
    kind = plan_kind(s["id"])
    if s["answer_type"] == "text" and not s.get("choices"):
        # wrong and garbage captions hallucinate (not only garbage: a small run may plan none)
        return s["answer"] if kind == "correct" else "A purple pentagon floats above a dog."
    if kind == "garbage":
        return GARBAGE
    if s.get("choices"):
        i = OPTION_LETTERS.index(s["meta"]["answer_letter"])
        return OPTION_LETTERS[i if kind == "correct" else (i + 1) % len(s["choices"])]
    a, t = s["answer"], s["answer_type"]
    if t == "bool":
        return ("Yes" if a else "No") if kind == "correct" else ("No" if a else "Yes")
    if t == "int":
        return str(a if kind == "correct" else a + 1)
    if t == "str":
        return f"It is {a}." if kind == "correct" else "zebra"
    if t == "box":
        box = a if kind == "correct" else [0, 0, 2, 2]
        return f"The box is {format_box(box, s['meta']['image_size'], s['meta'].get('box_format', 'norm1'))}"
    if t == "str_set":
        return ", ".join(a) if kind == "correct" and a else "none" if kind == "correct" else "zebra, walrus"
    if t == "float":
        return f"{a:g}" if kind == "correct" else f"{a * 2 + 10:g}"
    if t == "image_index":
        return f"Image {a + 1 if kind == 'correct' else a + 2}"
    if t == "point":
        pt = a if kind == "correct" else [0, 0]
        return f"[{', '.join(str(v) for v in format_point(pt, s['meta']['image_size'], s['meta'].get('box_format', 'norm1'))[1:-1].split(', '))}]"
    raise AssertionError(f"no plan for answer type {t}")


def answer_table(run: Path) -> dict[tuple[str, tuple[str, ...]], str]:
    """(prompt text, image hashes) -> planned reply, for the fake server."""
    table = {}
    prompts = PromptSet()
    for s in samples(run):
        p = prompts.build(s, run)
        table[(p.text, tuple(image_hash(i) for i in p.images))] = planned_reply(s)
    return table


@pytest.fixture(scope="session")
def other_demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another data set whose images have the ids of `demo_run`'s (demo-000000 ...): 4 sample ids
    of the two runs are the same, 3 of them with other answers (questions about other images)."""
    out = tmp_path_factory.mktemp("demo_other")
    run_demo(out, scenes=6, seed=5)
    return out
