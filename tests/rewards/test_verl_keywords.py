"""verl's keywords: a misspelt `reward_kwargs` key is an error, verl's own keys pass, any other
key is warned about once; extra_info keys are never refused. Before, every unknown key was
dropped silently, and a bad option value scored every response 0."""

from __future__ import annotations

import json
import warnings

import pytest

from veriscene.rewards import compute_score, verl
from veriscene.rewards.verl import VERL_KWARGS

TRUTH = json.dumps({"answer": [100.0, 50.0, 300.0, 150.0], "answer_type": "box", "choices": None,
                    "box_format": "norm1", "image_size": [400, 200]})
REPLY = "<think>x</think><answer>[0.25, 0.25, 0.5, 0.75]</answer>"  # IoU 0.5


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees the warn-once state of a new process."""
    monkeypatch.setattr(verl, "_warned", set())
    monkeypatch.setattr(verl, "_looked_at", set())


@pytest.mark.parametrize(("key", "meant"), [
    ("iou_treshold", "iou_threshold"), ("format_wieght", "format_weight"), ("vocabulary_fle", "vocabulary_file"),
    ("think_tg", "think_tag"), ("answer_tgs", "answer_tags"), ("model_img_size", "model_image_size"),
])
def test_a_misspelt_keyword_is_an_error_naming_the_one_meant(key: str, meant: str) -> None:
    with pytest.raises(TypeError, match=rf"compute_score got the keyword '{key}': did you mean '{meant}'\?"):
        compute_score("veriscene/x", REPLY, TRUTH, **{key: 0.7})


def test_the_keywords_verl_passes_itself_are_taken() -> None:
    # verl's reward loop managers add these to every call (verl/experimental/reward*/)
    plain = compute_score("veriscene/x", REPLY, TRUTH)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        given = compute_score("veriscene/x", REPLY, TRUTH, extra_info={"index": 0, "split": "train"},
                              **{key: object() for key in VERL_KWARGS})
    assert given == plain


def test_another_unknown_keyword_is_warned_about_once() -> None:
    with pytest.warns(UserWarning, match="ignores the keyword 'sandbox_fusion_url'"):
        out = compute_score("veriscene/x", REPLY, TRUTH, sandbox_fusion_url="http://x")
    assert out == compute_score("veriscene/x", REPLY, TRUTH)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once
        compute_score("veriscene/x", REPLY, TRUTH, sandbox_fusion_url="http://x")


@pytest.mark.parametrize(("options", "error", "said"), [
    ({"iou_threshold": "0.75"}, TypeError, "iou_threshold must be a number, got '0.75'"),
    ({"think_tags": "reasoning"}, TypeError, "think_tags must be a list of tag names"),
    ({"synonyms": 3}, TypeError, "synonyms must be a dict"),
    ({"think_tag": 3}, TypeError, "think_tag must be a tag name"),
])
def test_an_option_of_the_wrong_kind_is_an_error_not_reward_zero(options: dict, error: type, said: str) -> None:
    with pytest.raises(error, match=said):
        compute_score("veriscene/x", REPLY, TRUTH, **options)
    assert compute_score("veriscene/x", REPLY, TRUTH, iou_threshold=0.75)["score"] == pytest.approx(0.5)


def test_extra_info_keys_are_never_refused_and_a_near_miss_is_warned_about_once() -> None:
    truth = json.dumps({**json.loads(TRUTH), "box_format": "pixel"})
    with pytest.warns(UserWarning, match="extra_info holds 'model_image_sise' but no 'model_image_size'"):
        out = compute_score("veriscene/x", "[50, 25, 150, 75]", truth,
                            extra_info={"model_image_sise": [200, 100], "tools_kwargs": {}})
    assert out["score"] == pytest.approx(1250 / 23750)  # read in the pixels of the original image
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compute_score("veriscene/x", "[50, 25, 150, 75]", truth, extra_info={"model_image_sise": [200, 100]})
        right = compute_score("veriscene/x", "[50, 25, 150, 75]", truth, extra_info={"model_image_size": [200, 100]})
    assert right["score"] == pytest.approx(1.0)
