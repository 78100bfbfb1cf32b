"""The rewards take `model_image_size` as `GroundTruth.score` takes it (`truth.model_size_of`):
[width, height], "WxH", or the model's processor's rule ("qwen2-vl[:...]", "config:PATH", a
function), in verl's reward_kwargs and extra_info and in TRL's column and reward factories."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from veriscene.evaluate.resize_rules import qwen2_vl
from veriscene.rewards import compute_score, compute_score_batch
from veriscene.rewards.trl import accuracy_reward, iou_reward, make_accuracy_reward, make_iou_reward
from veriscene.rewards.truth import GroundTruth

GOLD = [96.0, 72.0, 288.0, 216.0]
TRUTH = json.dumps({"answer": GOLD, "answer_type": "box", "choices": None, "box_format": "pixel",
                    "image_size": [480, 360]})
RULE = "qwen2-vl:max_pixels=100000"
SEEN = qwen2_vl(max_pixels=100_000)(480, 360)  # (364, 280): not the original's 4:3
REPLY = str([round(GOLD[0] * SEEN[0] / 480), round(GOLD[1] * SEEN[1] / 360),
             round(GOLD[2] * SEEN[0] / 480), round(GOLD[3] * SEEN[1] / 360)])


def _config(folder: Path) -> str:
    folder.mkdir(parents=True)
    (folder / "preprocessor_config.json").write_bytes(orjson.dumps(
        {"image_processor_type": "Qwen2VLImageProcessor", "min_pixels": 3136, "max_pixels": 100_000}))
    return f"config:{folder}"


@pytest.fixture
def given(tmp_path: Path) -> list[object]:
    """Each way to say the size the model saw, as GroundTruth.score takes it."""
    return [RULE, qwen2_vl(max_pixels=100_000), _config(tmp_path / "model"), f"{SEEN[0]}x{SEEN[1]}", list(SEEN)]


def test_score_reads_the_reply_in_the_frame_the_rule_gives(given: list[object]) -> None:
    truth = GroundTruth.from_json(TRUTH)
    expected = truth.score(REPLY, model_image_size=SEEN)
    assert expected.correct and not truth.score(REPLY).correct  # (read in the original's pixels: wrong)
    for size in given:
        assert truth.score(REPLY, model_image_size=size) == expected, size


def test_verl_takes_the_rule_in_reward_kwargs_and_in_extra_info(given: list[object]) -> None:
    for size in given:
        assert compute_score("veriscene/x", REPLY, TRUTH, model_image_size=size)["correct"] is True, size
        assert compute_score("veriscene/x", REPLY, TRUTH, {"model_image_size": size})["correct"] is True, size
        # one reply to one row twice, each row's own size
        rows = compute_score_batch(["veriscene/x"] * 2, [REPLY] * 2, [TRUTH] * 2, [{"model_image_size": size}, None])
        assert [row["correct"] for row in rows] == [True, False], size
    # reward_kwargs' size is the call's: a row's extra_info does not override it ("original" too)
    assert compute_score("veriscene/x", REPLY, TRUTH, {"model_image_size": RULE},
                         model_image_size="original")["correct"] is False
    assert compute_score("veriscene/x", "[96, 72, 288, 216]", TRUTH, model_image_size="original")["correct"] is True


def test_trl_takes_the_rule_per_row_and_per_reward(given: list[object]) -> None:
    iou = GroundTruth.from_json(TRUTH).score(REPLY, model_image_size=SEEN).score  # (0.99: the reply is rounded)
    assert iou > 0.98
    for size in given:
        for reward in (accuracy_reward, iou_reward):
            assert reward(completions=[REPLY], ground_truth=[TRUTH], model_image_size=[size]) == [iou], size
        assert make_accuracy_reward(model_image_size=size)(completions=[REPLY], ground_truth=[TRUTH]) == [iou]
        assert make_iou_reward(model_image_size=size)(completions=[REPLY], ground_truth=[TRUTH]) == [iou]
    # a row's own value wins over the reward's
    by_rule = make_accuracy_reward(model_image_size=RULE)
    assert by_rule(completions=[REPLY, "[96, 72, 288, 216]"], ground_truth=[TRUTH] * 2,
                   model_image_size=[None, "original"]) == [iou, 1.0]


def test_a_bad_size_or_rule_is_refused_where_it_is_given() -> None:
    with pytest.raises(ValueError, match=r"^model_image_size 'qwen2-vl:max=5': 'max=5' is no option of qwen2-vl"):
        compute_score("veriscene/x", REPLY, TRUTH, model_image_size="qwen2-vl:max=5")
    with pytest.raises(ValueError, match=r"^extra_info\['model_image_size'\] must be WIDTHxHEIGHT"):
        compute_score("veriscene/x", REPLY, TRUTH, {"model_image_size": "big"})
    with pytest.raises(ValueError, match=r"^column 'model_image_size', row 1 'config' alone .* a reward has none"):
        accuracy_reward(completions=[REPLY] * 2, ground_truth=[TRUTH] * 2, model_image_size=[RULE, "config"])
    with pytest.raises(ValueError, match=r"^make_iou_reward\(model_image_size=...\) must be WIDTHxHEIGHT"):
        make_iou_reward(model_image_size="644by476")
    with pytest.raises(ValueError, match=r"^make_accuracy_reward\(model_image_size=...\): no such model folder .*/nothing/here"):
        make_accuracy_reward(model_image_size="config:/nothing/here")
