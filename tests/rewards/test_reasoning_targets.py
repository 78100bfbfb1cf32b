"""A "perfect model" for RL: the targets of `export --to trl --reasoning`, scored as completions
by veriscene's own rewards, get full marks (format, accuracy and process), in single questions
and in the turns of conversations, with either multiple-choice style."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from veriscene.io.export import export
from veriscene.rewards import format_reward, make_accuracy_reward, process_column, process_reward



def _rows(run: Path, out: Path, **options: Any) -> list[tuple[str, str, list, list, str]]:
    """(sample id, task, prompt, completion, ground truth) of each question of a trl export."""
    export(run, out, "trl", reasoning=True, **options)
    rows = []
    for r in map(orjson.loads, out.read_bytes().splitlines()):
        if "messages" in r:  # a conversation: turn k's reply is scored against ground_truths[k]
            users = [[m] for m in r["messages"] if m["role"] == "user"]
            replies = [[m] for m in r["messages"] if m["role"] == "assistant"]
            truths = [orjson.dumps(t).decode() for t in orjson.loads(r["ground_truths"])]
            rows += zip(r["sample_ids"], r["tasks"], users, replies, truths)
        else:
            rows.append((r["sample_id"], r["task"], r["prompt"], r["completion"], r["ground_truth"]))
    return rows


@pytest.mark.parametrize("options", [{}, {"turns": 3, "mc_style": "letter_text"}])
def test_exported_reasoning_targets_score_full_marks(demo_run: Path, tmp_path: Path,
                                                     options: dict[str, Any]) -> None:
    rows = _rows(demo_run, tmp_path / "trl.jsonl", **options)
    prompts, completions = [r[2] for r in rows], [r[3] for r in rows]
    tasks = [r[1] for r in rows]
    formats = format_reward(prompts=prompts, completions=completions)
    assert set(formats) == {1.0}  # captions of whole images too: a think block listing their objects

    accuracy = make_accuracy_reward(vocabulary_file=demo_run / "vocabulary.json")(
        prompts=prompts, completions=completions, ground_truth=[r[4] for r in rows])
    scored = {(t, a == 1.0 or (t.startswith("grounding.") and a > 0.97))  # boxes: IoU at three decimals
              for t, a in zip(tasks, accuracy) if a is not None}
    assert {ok for _, ok in scored} == {True}
    assert "region.describe.v1" in {t for t, _ in scored}  # its multiple-choice form

    cells = process_column(demo_run)
    process = process_reward(prompts=prompts, completions=completions, process=[cells[r[0]] for r in rows])
    with_steps = [(t, p) for t, p in zip(tasks, process) if p is not None]
    assert len(with_steps) > len(rows) // 2 and {p for _, p in with_steps} == {1.0}
    assert "region.describe.v1" in {t for t, _ in with_steps} and "multi.has_relation.v1" in {t for t, _ in with_steps}
