"""verl `compute_score_batch`: the batch reward manager's call, the same rows as `compute_score`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from veriscene.io.export import export
from veriscene.io.writers.text import answer_text
from veriscene.rewards.verl import Score, compute_score, compute_score_batch


@pytest.fixture(scope="module")
def verl_rows(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path_factory.mktemp("verl_batch") / "verl.parquet"
    export(demo_run, out, "verl")
    return pq.read_table(out).to_pylist()


def _responses(row: dict[str, Any], samples: dict[str, dict]) -> list[str]:
    """A GRPO group: the gold answer in tags and bare, wrong and unreadable replies."""
    sample = samples[row["extra_info"]["sample_id"]]
    gold = answer_text(sample)
    return [f"<think>looking</think><answer>{gold}</answer>", gold, "<answer>7</answer>", "no idea",
            "<answer>yes</answer><answer>no</answer>", "", gold]  # (the last one given twice: scored once)


def _batch(rows: list[dict[str, Any]], samples: dict[str, dict]) -> tuple[list, list, list, list]:
    sources, texts, truths, infos = [], [], [], []
    for row in rows:
        for text in _responses(row, samples):
            sources.append(row["data_source"])
            texts.append(text)
            truths.append(row["reward_model"]["ground_truth"])
            infos.append(dict(row["extra_info"], num_turns=None))  # (verl's batch manager adds keys)
    return sources, texts, truths, infos


@pytest.mark.parametrize("keywords", [{}, {"format_weight": 0.2, "iou_threshold": 0.7}, {"vocabulary_file": None}])
def test_the_batch_is_the_rows_of_compute_score(demo_run: Path, demo_samples: list[dict], verl_rows: list[dict],
                                                keywords: dict[str, Any]) -> None:
    if "vocabulary_file" in keywords:
        keywords = {"vocabulary_file": str(demo_run / "vocabulary.json")}
    samples = {s["id"]: s for s in demo_samples}
    scored = [r for r in verl_rows if json.loads(r["reward_model"]["ground_truth"])["answer_type"] != "text"]
    sources, texts, truths, infos = _batch(scored, samples)
    batch = compute_score_batch(np.array(sources, dtype=object), texts, truths, infos, **keywords)
    one_by_one = [compute_score(s, t, g, i, **keywords) for s, t, g, i in zip(sources, texts, truths, infos)]
    assert batch == one_by_one and len(batch) == 7 * len(scored)
    assert all(isinstance(row, Score) and float(row) == row["score"] for row in batch)
    assert batch[1] == batch[6] and batch[1] is not batch[6]  # a row of its own
    assert sum(row["correct"] for row in batch) >= 2 * len(scored) * 0.9  # the gold answers, in tags and bare


def test_free_form_rows_are_scored_together_as_one_by_one(demo_run: Path, demo_samples: list[dict],
                                                         verl_rows: list[dict]) -> None:
    samples = {s["id"]: s for s in demo_samples}
    free = [r for r in verl_rows if json.loads(r["reward_model"]["ground_truth"])["answer_type"] == "text"][:6]
    scored = [r for r in verl_rows if json.loads(r["reward_model"]["ground_truth"])["answer_type"] == "int"][:2]
    assert free
    sources, texts, truths, infos = _batch([*free, *scored], samples)
    batch = compute_score_batch(sources, texts, truths, infos, run_dir=str(demo_run))
    assert batch == [compute_score(s, t, g, i, run_dir=str(demo_run)) for s, t, g, i in
                     zip(sources, texts, truths, infos)]
    gold = batch[0]
    assert gold["applicable"] and gold["answer_type"] == "text" and gold["score"] > 0.5


def test_without_extra_infos_and_with_decoded_ground_truth() -> None:
    truth = json.dumps({"answer": 3, "answer_type": "int", "choices": None})
    rows = compute_score_batch(["veriscene/x"] * 3, ["<answer>3</answer>", "4", b"3"], [truth, json.loads(truth), truth])
    assert [r["score"] for r in rows] == [1.0, 0.0, 1.0]


def test_bad_batches_are_said() -> None:
    truth = json.dumps({"answer": 3, "answer_type": "int", "choices": None})
    with pytest.raises(ValueError, match=r"each as long as solution_strs \(2\); ground_truths is list of 1"):
        compute_score_batch(["a", "b"], ["3", "3"], [truth])
    with pytest.raises(ValueError, match="extra_infos is dict"):
        compute_score_batch(["a"], ["3"], [truth], {"index": 0})
    with pytest.raises(ValueError, match=r"ground_truth of a 'b' row at batch position 1 \(extra_info\.index 9\)"):
        compute_score_batch(["a", "b"], ["3", "3"], [truth, "not json"], [{"index": 8}, {"index": 9}])
    with pytest.raises(TypeError, match="did you mean 'format_weight'"):
        compute_score_batch(["a"], ["3"], [truth], format_wieght=0.1)
    # solution_strs is a list too: None was "object of type 'NoneType' has no len()", one string
    # was read as one response a character
    for given in (None, "3", b"3", 3):
        with pytest.raises(TypeError, match=r"solution_strs must be a list \(one decoded response a row\)"):
            compute_score_batch(["a"], given, [truth])
