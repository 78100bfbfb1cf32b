"""Free-form scores per generator: eval's summary and reports, and score-freeform's summary, give
helpfulness and truthfulness per task beside the means over every description (a caption, a
region description and a comparison of two images are scored against very different shares of
the scene graph)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.evaluate.conftest import samples
from veriscene.evaluate import evaluate, score_freeform
from veriscene.evaluate.freeform.api import FreeformReport


def _replies(demo_run: Path, path: Path) -> tuple[Path, dict[str, int]]:
    """The gold text of every description, "yes" to every other sample; and the descriptions per task."""
    tasks: dict[str, int] = {}
    with path.open("wb") as fh:
        for s in samples(demo_run):
            free = s["answer_type"] == "text" and not s.get("choices")
            if free:
                tasks[s["task"]] = tasks.get(s["task"], 0) + 1
            fh.write(orjson.dumps({"id": s["id"], "reply": s["answer"] if free else "yes"}) + b"\n")
    return path, tasks


def test_eval_gives_the_free_form_scores_per_generator(demo_run: Path, tmp_path: Path) -> None:
    """Before, summary.json's freeform and the report's "Free-form answers" table had the means
    over every description only: the demo's region descriptions (helpfulness 1.0) and two-image
    comparisons (0.15) in one mean of 0.71."""
    replies, tasks = _replies(demo_run, tmp_path / "replies.jsonl")
    assert len(tasks) >= 2
    result = evaluate(demo_run, f"replay:{replies}", tmp_path / "o", freeform="lexical", n_boot=50)
    ff = result.summary["freeform"]
    by_task = ff["by_task"]
    assert {task: v["n"] for task, v in by_task.items()} == tasks and sum(tasks.values()) == ff["n"]
    lines = [orjson.loads(x) for x in (tmp_path / "o" / "freeform.jsonl").read_bytes().splitlines()]
    for task, v in by_task.items():
        mine = [r["helpfulness"] for r in lines if r["task"] == task]
        assert v["helpfulness"] == pytest.approx(sum(mine) / len(mine))
        assert v["helpfulness_ci"][0] <= v["helpfulness"] <= v["helpfulness_ci"][1]
    assert by_task["region.describe.v1"]["helpfulness"] == 1.0
    report = (tmp_path / "o" / "report.md").read_text()
    assert ("| generator | n | helpfulness % | 95% CI | truthfulness % | 95% CI | no claims | combined % | 95% CI "
            "| unsupported claims |") in report
    assert f"| region.describe.v1 | {tasks['region.describe.v1']} | 100.0 |" in report
    assert "Free-form answers by generator" in (tmp_path / "o" / "report.html").read_text()
    # score-freeform of the run's results gives the same figures per task
    again = score_freeform(tmp_path / "o" / "results.jsonl", matcher="lexical").summary(n_boot=50)
    assert {t: v["helpfulness"] for t, v in again["by_task"].items()} == pytest.approx(
        {t: v["helpfulness"] for t, v in by_task.items()})


def test_replies_without_a_task_give_no_table() -> None:
    report = FreeformReport("rules", "lexical", records=[{"helpfulness": 0.5, "truthfulness": 1.0,
                                                           "hallucinations": []}])
    summary = report.summary(n_boot=20)
    assert "by_task" not in summary and summary["n"] == 1 and summary["helpfulness"] == 0.5
