"""verl `compute_score`: the dict it returns, options, and the data it reads."""

from __future__ import annotations

import json

import pytest

from veriscene.io.writers.common import ground_truth
from veriscene.rewards import compute_score

TRUTH = json.dumps({"answer": [100.0, 50.0, 300.0, 150.0], "answer_type": "box", "choices": None,
                    "box_format": "norm1", "image_size": [400, 200]})


def test_score_and_parse_details():
    ok = compute_score("veriscene/grounding.box.v1", "<think>x</think><answer>[0.25, 0.25, 0.5, 0.75]</answer>", TRUTH)
    assert ok["score"] == pytest.approx(0.5) and ok["acc_score"] == pytest.approx(0.5)
    assert ok["correct"] is True and ok["parse_failed"] is False and ok["format"] == 1.0
    assert json.loads(ok["parsed"]) == [100.0, 50.0, 200.0, 150.0]
    bad = compute_score("veriscene/grounding.box.v1", "I cannot tell", TRUTH)
    assert bad["score"] == 0.0 and bad["parse_failed"] is True and bad["reason"]
    assert bad["parsed"] == "null" and bad["format"] == 0.0


def test_format_weight_and_options():
    text = "<think>x</think><answer>[0.25, 0.25, 0.5, 0.75]</answer>"
    mixed = compute_score("veriscene/x", text, TRUTH, format_weight=0.2)
    assert mixed["score"] == pytest.approx(0.8 * 0.5 + 0.2)
    strict = compute_score("veriscene/x", text, TRUTH, iou_threshold=0.75)
    assert strict["correct"] is False and strict["score"] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        compute_score("veriscene/x", text, TRUTH, format_weight=2.0)


def test_model_image_size_from_extra_info():
    truth = json.dumps({**json.loads(TRUTH), "box_format": "pixel"})
    out = compute_score("veriscene/x", "[50, 25, 150, 75]", truth, extra_info={"model_image_size": [200, 100]})
    assert out["score"] == pytest.approx(1.0)


@pytest.mark.parametrize("garbage", [None, 42, "", "\x00\x01", "<answer>" * 50])
def test_garbage_responses(garbage):
    assert compute_score("veriscene/x", garbage, TRUTH)["score"] == 0.0


def test_text_answers_are_not_applicable():
    truth = json.dumps({"answer": "A red circle.", "answer_type": "text", "choices": None})
    out = compute_score("veriscene/scene_graph.caption.v1", "A red circle.", truth)
    assert out["score"] == 0.0 and out["applicable"] is False


def test_unreadable_ground_truth_is_an_error():
    with pytest.raises(ValueError, match="ground_truth"):
        compute_score("veriscene/x", "3", "not json")


def test_ground_truth_writer_carries_synonyms_and_vocabulary():
    """Fix in `io.writers.common.ground_truth`: score_sample reads meta synonyms / vocabulary,
    so the exported ground truth must carry them for rewards to equal evaluation."""
    sample = {"id": "s", "task": "t", "images": [], "question": "q", "answer": "sofa", "answer_type": "str",
              "choices": None, "meta": {"synonyms": {"couch": "sofa"}, "vocabulary": ["sofa", "chair"]}}
    truth = json.loads(ground_truth(sample))
    assert truth["synonyms"] == {"couch": "sofa"} and truth["vocabulary"] == ["sofa", "chair"]
    assert compute_score("veriscene/t", "a couch", ground_truth(sample))["score"] == 1.0
    plain = dict(sample, meta={})
    assert "synonyms" not in json.loads(ground_truth(plain))
    assert compute_score("veriscene/t", "a couch", ground_truth(plain))["score"] == 0.0


def test_custom_tags_are_used_for_scoring() -> None:
    truth = json.dumps({"answer": 3, "answer_type": "int", "choices": None})
    reply = "<reasoning>First guess: the answer is 4. Recount.</reasoning><final>3</final>"
    out = compute_score("veriscene/x", reply, truth, think_tag="reasoning", answer_tag="final")
    assert out["acc_score"] == 1.0 and out["format"] == 1.0 and out["parsed"] == "3"
    default = compute_score("veriscene/x", "<thinking>4?</thinking><answer>3</answer>", truth)
    assert default["acc_score"] == 1.0  # default tags read as `veriscene eval` does


def test_bytes_and_huge_numbers_never_raise() -> None:
    truth = json.dumps({"answer": 3, "answer_type": "int", "choices": None})
    assert compute_score("veriscene/x", b"<answer>3</answer>", truth)["acc_score"] == 1.0
    huge = compute_score("veriscene/x", "1e999", truth)
    assert huge["score"] == 0.0 and huge["parse_failed"] is True


def test_extra_info_program_gives_which_point_options() -> None:
    truth = json.dumps({"answer": [100.0, 100.0], "answer_type": "point", "choices": None,
                        "box_format": "pixel", "image_size": [400, 300]})
    program = json.dumps([{"op": "point", "inputs": [], "args": [100.0, 100.0]},
                          {"op": "point", "inputs": [], "args": [120.0, 100.0]},
                          {"op": "closer_point", "inputs": [0, 1], "args": ["closer"]}])
    info = {"program": program, "image_ids": ["a"]}
    assert compute_score("veriscene/x", "[110, 100]", truth, info)["correct"] is False
    assert compute_score("veriscene/x", "[101, 100]", truth, info)["correct"] is True


def test_extra_info_read_with_pandas_gives_numpy_image_ids() -> None:
    """Older verl, and any pipeline reading the Parquet file with pandas, hands list cells over as
    numpy arrays: "the last image" still counts the images."""
    import numpy as np

    truth = json.dumps({"answer": 2, "answer_type": "image_index", "choices": None})
    extra = {"image_ids": np.array(["a", "b", "c"], dtype=object)}
    assert compute_score("veriscene/multi", "<answer>the last image</answer>", truth, extra)["score"] == 1.0
    assert compute_score("veriscene/multi", "<answer>the last image</answer>", truth, {})["score"] == 0.0


def test_unreadable_ground_truth_names_the_row() -> None:
    with pytest.raises(ValueError, match=r"reward_model\.ground_truth of a 'veriscene/x' row \(extra_info\.index 7\)"):
        compute_score("veriscene/x", "3", '{"answer": 3}', {"index": 7})


def test_called_as_verls_reward_loop_calls_it() -> None:
    """verl's reward loop adds keyword arguments and extra_info keys of its own."""
    truth = json.dumps({"answer": 3, "answer_type": "int", "choices": None})
    extra = {"index": 0, "num_turns": 2, "rollout_reward_scores": {}, "response_len": 9}
    out = compute_score(data_source="veriscene/counting", solution_str="<think>x</think><answer>3</answer>",
                        ground_truth=truth, extra_info=extra, reward_router_address=None, reward_model_tokenizer=None)
    assert out["score"] == 1.0 and out["format"] == 1.0
