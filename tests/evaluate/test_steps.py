"""Accuracy per number of program steps and of images shown (`by_steps`, `by_images`)."""

from __future__ import annotations

import orjson

from tests.evaluate.conftest import is_scored, samples
from veriscene.evaluate import evaluate
from veriscene.evaluate.metrics import summarise
from veriscene.evaluate.runner import program_steps


def test_program_steps_leave_out_the_scene_operation() -> None:
    program = [{"op": "scene", "inputs": [], "args": [0]}, {"op": "filter_name", "inputs": [0], "args": ["cup"]},
               {"op": "exists", "inputs": [1], "args": []}]
    assert program_steps(program) == 2
    assert program_steps([]) is None and program_steps(None) is None


def test_accuracy_is_given_per_step_count_and_image_count(demo_run, tmp_path) -> None:
    recs = samples(demo_run)
    # right on single-image samples, wrong on every multi-image one: the groups say so
    replies = tmp_path / "replies.jsonl"
    replies.write_bytes(b"".join(
        orjson.dumps({"id": s["id"], "reply": "zzz" if len(s["images"]) > 1 else
                      (s["meta"]["answer_letter"] if s.get("choices") else str(s["answer"]))}) + b"\n"
        for s in recs if s["answer_type"] in ("int", "bool", "str", "image_index") or s.get("choices")))
    run = evaluate(demo_run, f"replay:{replies}", tmp_path / "out")
    by_images, by_steps = run.summary["by_images"], run.summary["by_steps"]
    assert by_images["1"]["accuracy"] > 0.9 and by_images["2"]["correct"] == 0
    assert sum(g["n"] for g in by_images.values()) == run.summary["overall"]["n"]
    assert list(by_steps) == sorted(by_steps, key=int) and len(by_steps) >= 4
    results = [orjson.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_bytes().splitlines()]
    by_id = {s["id"]: s for s in recs}
    assert all(r["images"] == len(by_id[r["id"]]["images"]) for r in results)
    assert all(r["steps"] == program_steps(by_id[r["id"]]["program"]) for r in results)
    assert "## By program steps" in (tmp_path / "out" / "report.md").read_text()
    # results of an older release (no steps, no images) are in no such group
    old = [{k: v for k, v in r.items() if k not in ("steps", "images")} for r in results if is_scored(by_id[r["id"]])]
    assert summarise(old)["by_steps"] == {} and summarise(old)["overall"]["n"] > 0
