"""Rewards equal the evaluation score (`score_sample`) for the same reply, on every demo sample,
through every path: TRL columns read back from a real export, verl rows read back from a real
parquet export, and the environment."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from veriscene.answers import format_box, score_sample
from veriscene.io.export import export
from veriscene.io.writers.text import answer_text
from veriscene.rewards import accuracy_reward, compute_score, iou_reward


def replies(sample: dict) -> list[str]:
    """Right, wrong, unparsable and (for boxes) partly right replies to a sample."""
    right = answer_text(sample)
    out = [right, f"<think>looking</think><answer>{right}</answer>", "purple elephant", "", "A B C D 1 2 3",
           "<answer>yes</answer>", "<answer>no</answer>", "<answer>2</answer>"]
    if sample["answer_type"] == "box" and not sample["choices"]:
        x0, y0, x1, y1 = sample["answer"]
        shifted = [x0 + (x1 - x0) / 3, y0, x1 + (x1 - x0) / 3, y1]
        out.append(format_box(shifted, sample["meta"]["image_size"], sample["meta"].get("box_format", "norm1")))
    return out


def expected(reply: str, sample: dict) -> float | None:
    score = score_sample(reply, sample).score
    return None if math.isnan(score) else score


@pytest.fixture(scope="module")
def trl_rows(demo_run: Path, tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("trl") / "trl.jsonl"
    export(demo_run, out, "trl")
    with open(out, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def verl_rows(demo_run: Path, tmp_path_factory) -> list[dict]:
    import pyarrow.parquet as pq
    out = tmp_path_factory.mktemp("verl") / "verl.parquet"
    export(demo_run, out, "verl")
    return pq.read_table(out).to_pylist()


def test_trl_columns_agree_with_evaluation(trl_rows, demo_samples):
    by_id = {s["id"]: s for s in demo_samples}
    checked = 0
    for row in trl_rows:
        sample = by_id[row["sample_id"]]
        texts = replies(sample)
        # every column of the row, repeated per completion, as GRPOTrainer passes them
        columns = {k: [v] * len(texts) for k, v in row.items() if k not in ("prompt", "completion")}
        got = accuracy_reward(prompts=[row["prompt"]] * len(texts), completions=texts, **columns)
        assert got == [expected(t, sample) for t in texts], sample["id"]
        ious = iou_reward(prompts=None, completions=texts, **columns)
        if sample["answer_type"] == "box" and not sample["choices"]:
            assert ious == [score_sample(t, sample).score for t in texts]
            assert 0 < ious[-1] < 1  # the partly right box
        else:
            assert ious == [None] * len(texts)
        checked += len(texts)
    assert checked > 1000


def test_verl_rows_agree_with_evaluation(verl_rows, demo_samples):
    by_id = {s["id"]: s for s in demo_samples}
    assert {r["data_source"].split("/")[0] for r in verl_rows} == {"veriscene"}
    for row in verl_rows:
        sample = by_id[row["extra_info"]["sample_id"]]
        for text in replies(sample):
            result = compute_score(row["data_source"], text, row["reward_model"]["ground_truth"],
                                   extra_info=row["extra_info"])
            want = expected(text, sample)
            assert result["score"] == (0.0 if want is None else want)
            assert result["applicable"] == (want is not None)
            assert set(result) == {"score", "acc_score", "correct", "parse_failed", "applicable", "format",
                                   "reason", "parsed", "answer_type"}


def test_environment_agrees_with_evaluation(demo_run):
    import gymnasium  # noqa: F401
    from veriscene.rewards.env import VQAEnv

    env = VQAEnv(demo_run)
    for index, sample in enumerate(env.samples[:80]):
        for text in replies(sample):
            env.reset(options={"index": index})
            _, reward, terminated, truncated, info = env.step(text)
            assert terminated and not truncated
            assert reward == score_sample(text, sample).score
            assert info["sample_id"] == sample["id"]
