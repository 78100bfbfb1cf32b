"""Ground truth that cannot be read is a data error naming its field, in the TRL rewards and in
verl's `compute_score`; before, some were scored 0 for every reply (a constant reward) or read
wrongly (a bool "no" as true), others raised TypeError or IndexError naming nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from veriscene.rewards import accuracy_reward, compute_score, iou_reward
from veriscene.rewards.truth import GroundTruth

BOX = {"answer": [0, 0, 5, 5], "answer_type": "box", "box_format": "norm1", "image_size": [10, 10]}
COUNT = {"answer": 3, "answer_type": "int"}


@pytest.mark.parametrize(("truth", "field", "reply"), [
    ({**BOX, "answer": 3}, "answer", "[0, 0, 0.5, 0.5]"),  # scored 0 for every reply
    ({**BOX, "answer": [1, 2, 3]}, "answer", "[0, 0, 0.5, 0.5]"),
    ({"answer": [1, 2, 3], "answer_type": "point", "image_size": [10, 10]}, "answer", "[0.1, 0.2]"),
    ({"answer": "no", "answer_type": "bool"}, "answer", "yes"),  # read as true: "yes" scored 1.0
    ({"answer": "three", "answer_type": "int"}, "answer", "3"),
    ({"answer": "Image 2", "answer_type": "image_index"}, "answer", "Image 2"),
    ({"answer": -1, "answer_type": "image_index"}, "answer", "Image 1"),
    ({"answer": "red", "answer_type": "str_set"}, "answer", "red"),
    ({"answer": 5, "answer_type": "str"}, "answer", "5"),
    ({**COUNT, "choices": ["3", "4"], "answer_letter": "Z"}, "answer_letter", "A"),  # scored 0 for every reply
    ({**COUNT, "choices": ["3", "4"], "answer_letter": "AB"}, "answer_letter", "A"),
    ({**COUNT, "choices": 5}, "choices", "A"),  # TypeError before
    ({**BOX, "box_format": "xywh"}, "box_format", "[0, 0, 0.5, 0.5]"),  # scored 0 for every reply
    ({**BOX, "image_size": [10]}, "image_size", "[0, 0, 0.5, 0.5]"),  # IndexError before
    ({**BOX, "image_size": [-10, 0]}, "image_size", "[0, 0, 0.5, 0.5]"),
    ({**BOX, "image_size": "10x10"}, "image_size", "[0, 0, 0.5, 0.5]"),
    ({"answer": "red", "answer_type": "str", "synonyms": ["crimson"]}, "synonyms", "red"),  # AttributeError before
    ({"answer": "red", "answer_type": "str", "vocabulary": 5}, "vocabulary", "red"),
    ({"answer": [1, 1], "answer_type": "point", "image_size": [10, 10], "point_options": [1, 2]}, "point_options", "x"),
    ({"answer": 0, "answer_type": "image_index", "num_images": "x"}, "num_images", "Image 1"),
])
def test_bad_ground_truth_names_its_field(truth: dict[str, Any], field: str, reply: str) -> None:
    cell = json.dumps(truth)
    with pytest.raises(ValueError, match=rf"column 'ground_truth', row 0: ground truth field '{field}' must be"):
        accuracy_reward(completions=[reply], ground_truth=[cell])
    with pytest.raises(ValueError, match=rf"reward_model\.ground_truth .*ground truth field '{field}' must be"):
        compute_score("veriscene/x", reply, cell)


def test_a_decoded_cell_is_checked_too() -> None:
    nan = {**BOX, "answer": [float("nan")] * 4}  # no JSON: a cell decoded by hand
    with pytest.raises(ValueError, match=r"row 0: ground truth field 'answer' must be \[x0, y0, x1, y1\]"):
        accuracy_reward(completions=["[0, 0, 0.5, 0.5]"], ground_truth=[nan])
    with pytest.raises(ValueError, match=r"ground truth field 'answer' must be"):
        compute_score("veriscene/x", "[0, 0, 0.5, 0.5]", nan)


def test_bad_answer_column_names_its_row() -> None:
    with pytest.raises(ValueError, match=r"row 1 \(columns 'answer', 'answer_type', \.\.\.\): ground truth field 'answer'"):
        accuracy_reward(completions=["yes", "yes"], answer=["true", '"no"'], answer_type=["bool", "bool"])


@pytest.mark.parametrize("truth", [
    COUNT, BOX, {"answer": True, "answer_type": "bool"}, {"answer": 1, "answer_type": "bool"},
    {"answer": 4.0, "answer_type": "int"}, {"answer": 2.5, "answer_type": "float"},
    {"answer": [], "answer_type": "str_set"}, {"answer": "a red cup", "answer_type": "text"},
    {"answer": 1, "answer_type": "image_index", "num_images": 2},
    {**COUNT, "choices": ["3", "4"], "answer_letter": "a"}, {**COUNT, "choices": ["3", "4"], "answer_letter": ""},
    {**BOX, "box_format": "pixels"}, {**BOX, "image_size": [10.0, 10.0]},
])
def test_good_ground_truth_is_read(truth: dict[str, Any]) -> None:
    GroundTruth.from_dict(truth)


def test_model_image_size_is_checked_where_given() -> None:
    pixel = json.dumps({**BOX, "box_format": "pixel"})
    # read inside scoring, a bad size scored every reply 0
    with pytest.raises(ValueError, match=r"column 'model_image_size', row 0 must be \[width, height\]"):
        accuracy_reward(completions=["[0, 0, 5, 5]"], ground_truth=[pixel], model_image_size=[[0, 0]])
    with pytest.raises(ValueError, match=r"column 'model_image_size', row 0 must be"):
        iou_reward(completions=["[0, 0, 5, 5]"], ground_truth=[pixel], model_image_size=[["a", "b"]])
    with pytest.raises(ValueError, match=r"^model_image_size must be \[width, height\]"):
        compute_score("veriscene/x", "[0, 0, 5, 5]", pixel, model_image_size=[0, 0])
    with pytest.raises(ValueError, match=r"extra_info\['model_image_size'\] must be"):
        compute_score("veriscene/x", "[0, 0, 5, 5]", pixel, {"model_image_size": "ab"})
    assert accuracy_reward(completions=["[0, 0, 5, 5]"], ground_truth=[pixel], model_image_size=[[10, 10]]) == [1.0]


def test_verl_arguments_of_the_wrong_kind_are_named() -> None:
    cell = json.dumps(COUNT)
    with pytest.raises(TypeError, match=r"extra_info must be a mapping .*got str"):
        compute_score("veriscene/x", "3", cell, "index 3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"format_weight must be a number in \[0, 1\], got '0\.1'"):
        compute_score("veriscene/x", "3", cell, format_weight="0.1")  # type: ignore[arg-type]
