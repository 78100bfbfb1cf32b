"""The TRL reward factories, the format and process rewards and the ground truth, called with
wrong arguments: refused where they are given, naming the argument. Before, a misspelt option of
`make_accuracy_reward` scored every completion 0 (TypeError swallowed per completion), and
others raised from deep inside ("'NoneType' object is not iterable")."""

from __future__ import annotations

import json

import pytest

from veriscene.rewards import (
    GroundTruth,
    ProcessTargets,
    WeightedReward,
    accuracy_reward,
    check_format,
    make_accuracy_reward,
    make_format_reward,
    make_iou_reward,
    make_process_reward,
    process_column,
    process_reward,
    process_targets,
    reference_trace,
    sample_steps,
    score_trace,
)
from veriscene.scene import Scene

TRUTH = json.dumps({"answer": [100.0, 50.0, 300.0, 150.0], "answer_type": "box", "choices": None,
                    "box_format": "norm1", "image_size": [400, 200]})
REPLY = "<think>x</think><answer>[0.25, 0.25, 0.5, 0.75]</answer>"  # IoU 0.5
SAMPLE = {"id": "s1", "question": "Is there a circle?", "answer": True, "answer_type": "bool", "choices": None,
          "images": [{"id": "a", "path": None}],
          "program": [{"op": "scene", "inputs": [], "args": [0]}, {"op": "filter_name", "inputs": [0], "args": ["circle"]},
                      {"op": "exists", "inputs": [1], "args": []}],
          "meta": {"mode": "qa"}}


@pytest.mark.parametrize("factory", [make_accuracy_reward, make_iou_reward])
def test_a_misspelt_scoring_option_is_refused_by_the_factory(factory) -> None:
    with pytest.raises(TypeError, match=r"got an unknown option 'iou_treshold' \(did you mean 'iou_threshold'\?\)"):
        factory(iou_treshold=0.7)
    with pytest.raises(TypeError, match="think_tags must be a list of tag names"):
        factory(think_tags="reasoning")
    with pytest.raises(ValueError, match=r"iou_threshold must be a number in \[0, 1\], got 70"):
        factory(iou_threshold=70)
    strict = factory(iou_threshold=0.75)(completions=[REPLY], ground_truth=[TRUTH])
    assert strict == [pytest.approx(0.5)]


def test_completions_that_are_no_batch_are_named() -> None:
    for completions in (None, 3):
        with pytest.raises(TypeError, match="completions must be a list"):
            accuracy_reward(completions=completions, ground_truth=[TRUTH])
        with pytest.raises(TypeError, match="completions must be a list"):
            WeightedReward()(completions=completions, ground_truth=[TRUTH])
        with pytest.raises(TypeError, match="completions must be a list"):
            process_reward(completions=completions, process=[None])


def test_the_format_reward_names_bad_tags_and_flags() -> None:
    with pytest.raises(TypeError, match="think_tag must be a tag name .* got 3"):
        make_format_reward(think_tag=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="require_think must be True or False, got 'no'"):
        make_format_reward(require_think="no")  # type: ignore[arg-type]  # before: required the think block
    with pytest.raises(TypeError, match="answer_tag must be a tag name"):
        check_format(None, answer_tag=None)  # type: ignore[arg-type]  # before: hidden by the bad completion
    assert make_format_reward(require_think=False)(completions=["<answer>a</answer>"]) == [1.0]


@pytest.mark.parametrize(("kwargs", "error", "said"), [
    ({"weights": [1.0, 0.1]}, TypeError, r"weights must be a dict of component names and values"),
    ({"weights": {"accuracy": "1"}}, TypeError, r"weights\['accuracy'\] must be a number, got '1'"),
    ({"functions": {"process": "process_reward"}}, TypeError, r"functions\['process'\] must be a reward function"),
    ({"weights": {"acuracy": 1.0}}, KeyError, r"no reward function for \['acuracy'\]"),
])
def test_weighted_reward_names_bad_weights_and_functions(kwargs: dict, error: type, said: str) -> None:
    with pytest.raises(error, match=said):
        WeightedReward(**kwargs)
    assert WeightedReward({"accuracy": 1.0})(completions=[REPLY], ground_truth=[TRUTH]) == [pytest.approx(0.5)]


def test_ground_truth_that_is_no_dict_is_named() -> None:
    with pytest.raises(TypeError, match="ground truth must be a dict .* got NoneType"):
        GroundTruth.from_dict(None)  # type: ignore[arg-type]
    for sample in (None, "s1"):
        with pytest.raises(TypeError, match="sample must be a sample record"):
            GroundTruth.from_sample(sample)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"sample '\?' is missing fields \['answer', 'answer_type'\]"):
        GroundTruth.from_sample({})  # before: KeyError: 'answer'
    assert GroundTruth.from_sample(SAMPLE).answer is True


def test_a_vocabulary_of_the_wrong_kind_is_named_for_its_option() -> None:
    with pytest.raises(TypeError, match=r"make_accuracy_reward\(vocabulary_file=...\) must be a vocabulary.json file"):
        make_accuracy_reward(vocabulary_file=3)  # type: ignore[arg-type]


def test_process_rewards_check_their_options_when_made() -> None:
    with pytest.raises(TypeError, match=r"make_process_reward\(\) got an unknown option 'iou_treshold'"):
        make_process_reward(iou_treshold=0.5)  # before: a TypeError at the first batch
    with pytest.raises(TypeError, match="require_boxes must be True or False, got 'yes'"):
        make_process_reward(require_boxes="yes")
    targets = ProcessTargets(steps=(), names=(), attributes=())
    with pytest.raises(TypeError, match="iou_threshold must be a number, got 'a'"):
        score_trace("x", targets, iou_threshold="a")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="targets must be ProcessTargets"):
        score_trace("x", None)  # type: ignore[arg-type]
    assert score_trace("x", targets).score is None


def test_process_helpers_name_their_arguments() -> None:
    scene = Scene.from_objects("a", 20, 20, [{"name": "circle", "box": [0, 0, 10, 10]}])
    with pytest.raises(TypeError, match="sample must be a sample record"):
        process_targets(None, [scene])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"sample '\?' has no program"):
        process_targets({}, [scene])  # before: IndexError
    with pytest.raises(ValueError, match="scenes is empty"):
        sample_steps(SAMPLE, [])
    with pytest.raises(TypeError, match="scenes must be a Scene or a list"):
        sample_steps(SAMPLE, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="steps must be a list of Step"):
        reference_trace(None, "yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="answer_text must be the answer as text"):
        reference_trace([], None)  # type: ignore[arg-type]  # before: "<answer>None</answer>"
    with pytest.raises(TypeError, match="run_dir must be a run folder or a samples file"):
        process_column(None)  # type: ignore[arg-type]
    assert sample_steps(SAMPLE, scene) == []
