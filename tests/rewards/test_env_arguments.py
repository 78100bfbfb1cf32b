"""The Gymnasium environment called with wrong arguments: refused at construction (or reset),
naming the argument. Before, a misspelt scoring option passed construction and failed at the
first step, and a number as run_dir or a list of texts as samples raised from deep inside."""

from __future__ import annotations

import pytest

from veriscene.rewards.env import VQAEnv


@pytest.mark.parametrize(("kwargs", "error", "said"), [
    ({"run_dir": 3}, TypeError, "run_dir must be a run folder or a samples .jsonl file, a str or a path; got 3"),
    ({"samples": 3}, TypeError, "samples must be a list of sample records"),
    ({"samples": ["x"]}, TypeError, r"samples\[0\] must be a sample record \(a dict\), got 'x'"),
    ({"samples": [{}]}, ValueError, r"samples\[0\] is not a sample record: no field \['id', 'images'"),
    ({"image_root": 3}, TypeError, "image_root must be the folder image paths are relative to"),
    ({"max_text_length": "4096"}, TypeError, "max_text_length must be an integer, got '4096'"),
])
def test_bad_construction_arguments_are_named(demo_run, kwargs: dict, error: type, said: str) -> None:
    given = {"run_dir": demo_run} | kwargs
    if "samples" in kwargs:
        given.pop("run_dir")
    with pytest.raises(error, match=said):
        VQAEnv(**given)


@pytest.mark.parametrize(("score_options", "error", "said"), [
    ({"iou_treshold": 0.7}, TypeError, r"score_options got an unknown option 'iou_treshold' \(did you mean "),
    ({"iou_threshold": "0.7"}, TypeError, "iou_threshold must be a number, got '0.7'"),
    (3, TypeError, "score_options must be a dict of scoring options"),
])
def test_bad_score_options_are_refused_before_the_first_step(demo_run, score_options, error, said) -> None:
    with pytest.raises(error, match=said):
        VQAEnv(demo_run, score_options=score_options)
    assert VQAEnv(demo_run, score_options={"iou_threshold": 0.7}).score_options["iou_threshold"] == 0.7


def test_reset_options_that_are_no_dict_are_named(demo_run) -> None:
    env = VQAEnv(demo_run)
    with pytest.raises(TypeError, match=r"options must be a dict \(\{'index': i\} or \{'sample_id': id\}\) or None"):
        env.reset(options=3)  # type: ignore[arg-type]
    assert env.reset(options={"index": 1})[1]["index"] == 1
