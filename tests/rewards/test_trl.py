"""TRL reward functions on hand-written completions, called the way GRPOTrainer calls them."""

from __future__ import annotations

import json

import pytest

from veriscene.rewards import (
    WeightedReward,
    accuracy_reward,
    format_reward,
    iou_reward,
    make_format_reward,
)
from veriscene.rewards.trl import make_accuracy_reward

COUNT = json.dumps({"answer": 3, "answer_type": "int", "choices": None})
YESNO = json.dumps({"answer": True, "answer_type": "bool", "choices": None})
COLOR_MC = json.dumps({"answer": "blue", "answer_type": "str", "choices": ["red", "blue", "green", "yellow"],
                       "answer_letter": "B", "mode": "mc"})
CAPTION = json.dumps({"answer": "A red circle.", "answer_type": "text", "choices": None})
# gold box [100, 50, 300, 150] px in a 400 x 200 image = [0.25, 0.25, 0.75, 0.75] norm1
BOX = {"answer": [100.0, 50.0, 300.0, 150.0], "answer_type": "box", "choices": None, "image_size": [400, 200]}
BOX_NORM1 = json.dumps({**BOX, "box_format": "norm1"})
BOX_NORM1000 = json.dumps({**BOX, "box_format": "norm1000"})
BOX_PIXEL = json.dumps({**BOX, "box_format": "pixel"})


def call(func, completions, truth, **columns):
    """Call like TRL: keyword arguments, one column value per completion, runtime extras."""
    n = len(completions)
    return func(prompts=["q"] * n, completions=completions, completion_ids=[[1, 2]] * n,
                ground_truth=[truth] * n, trainer_state=None, **columns)


@pytest.mark.parametrize(("truth", "completion", "expected"), [
    (COUNT, "<think>I see three circles.</think><answer>3</answer>", 1.0),
    (COUNT, "<answer>three</answer>", 1.0),
    (COUNT, "<think>two, maybe</think><answer>4</answer>", 0.0),
    (COUNT, "1 2 3 4 5 6 7 8 9", 0.0),           # every number: unreadable, not a hit
    (COUNT, "%%% garbage \x00", 0.0),
    (COUNT, "", 0.0),
    (YESNO, "Yes.", 1.0),
    (YESNO, "<answer>no</answer>", 0.0),
    (YESNO, "yes or no", 0.0),
    (COLOR_MC, "<answer>B</answer>", 1.0),
    (COLOR_MC, "blue", 1.0),
    (COLOR_MC, "The answer is (C).", 0.0),
    (COLOR_MC, "A B C D", 0.0),                  # every option
    (COLOR_MC, "red, blue, green or yellow", 0.0),
    (BOX_NORM1, "<answer>[0.25, 0.25, 0.75, 0.75]</answer>", 1.0),
    (BOX_NORM1, "[0.25, 0.25, 0.5, 0.75]", 0.5),
    (BOX_NORM1, "[0.5, 0.5, 1.0, 1.0]", 1 / 7),
    (BOX_NORM1, "[0.1, 0.1, 0.2, 0.2] or [0.25, 0.25, 0.75, 0.75]", 0.0),  # two boxes
    (BOX_NORM1000, "[250, 250, 500, 750]", 0.5),
    (BOX_PIXEL, "[100, 50, 300, 150]", 1.0),
    (BOX_PIXEL, "no idea", 0.0),
])
def test_accuracy_reward_table(truth, completion, expected):
    assert call(accuracy_reward, [completion], truth) == [pytest.approx(expected, abs=1e-9)]


def test_accuracy_is_none_for_free_text():
    assert call(accuracy_reward, ["A red circle."], CAPTION) == [None]


@pytest.mark.parametrize(("truth", "completion", "expected"), [
    (BOX_NORM1, "[0.25, 0.25, 0.5, 0.75]", 0.5),
    (BOX_NORM1, "[0.5, 0.5, 1.0, 1.0]", 1 / 7),
    (BOX_NORM1, "<answer>nothing</answer>", 0.0),
    (BOX_PIXEL, "[50, 25, 150, 75]", 1 / 19),      # read in the original image's pixels
    (COUNT, "3", None),
    (COLOR_MC, "B", None),
])
def test_iou_reward_table(truth, completion, expected):
    out = call(iou_reward, [completion], truth)
    assert out == [None] if expected is None else out == [pytest.approx(expected, abs=1e-9)]


@pytest.mark.parametrize(("seen", "completion", "expected"), [
    ([200, 100], "[50, 25, 150, 75]", 1.0),        # half-size view: scaled back x2
    ([800, 400], "[200, 100, 600, 300]", 1.0),     # double-size view
    ([200, 100], "[50, 25, 100, 75]", 0.5),
    ([400, 200], "[100, 50, 300, 150]", 1.0),      # same size: no rescaling
])
def test_resized_image_rescaling(seen, completion, expected):
    for func in (iou_reward, accuracy_reward):
        out = call(func, [completion], BOX_PIXEL, model_image_size=[seen])
        assert out == [pytest.approx(expected, abs=1e-9)]


def test_rescaling_ignored_for_normalised_boxes():
    out = call(iou_reward, ["[0.25, 0.25, 0.75, 0.75]"], BOX_NORM1, model_image_size=[[200, 100]])
    assert out == [pytest.approx(1.0)]


@pytest.mark.parametrize("completion", [
    [{"role": "assistant", "content": "<think>3 circles</think><answer>3</answer>"}],
    [{"role": "assistant", "content": [{"type": "text", "text": "<answer>3</answer>"}]}],
    [{"role": "assistant", "content": "let me count"}, {"role": "tool", "content": "4"},
     {"role": "assistant", "content": "<answer>3</answer>"}],
])
def test_conversational_completions(completion):
    assert call(accuracy_reward, [completion], COUNT) == [1.0]


@pytest.mark.parametrize("garbage", [None, 123, [], [{"role": "assistant", "content": None}], {"x": 1}, ["a", "b"]])
def test_garbage_completions_never_raise(garbage):
    assert call(accuracy_reward, [garbage], COUNT) == [0.0]
    assert call(format_reward, [garbage], COUNT) == [0.0]
    assert call(iou_reward, [garbage], BOX_NORM1) == [0.0]


def test_columns_without_ground_truth():
    out = accuracy_reward(prompts=["q", "q"], completions=["B", "3"], answer=['"blue"', "3"],
                          answer_type=["str", "int"], choices=[["red", "blue"], None])
    assert out == [1.0, 1.0]


def test_missing_columns_is_a_clear_error():
    with pytest.raises(ValueError, match="ground_truth"):
        accuracy_reward(prompts=["q"], completions=["3"], sample_id=["x"])


def test_batch_mixes_types_and_logs_parse_failures():
    logged = {}
    out = accuracy_reward(prompts=["q"] * 4, completions=["3", "junk", "A red circle.", "[0.25, 0.25, 0.5, 0.75]"],
                          ground_truth=[COUNT, COUNT, CAPTION, BOX_NORM1],
                          log_metric=lambda name, value: logged.__setitem__(name, value))
    assert out == [1.0, 0.0, None, pytest.approx(0.5)]
    assert logged == {"veriscene/parse_failed": pytest.approx(1 / 3)}


@pytest.mark.parametrize(("completion", "expected"), [
    ("<think>count them</think><answer>3</answer>", 1.0),
    ("  <think>\ncount\n</think>\n\n<answer> 3 </answer>\n", 1.0),
    ("<answer>3</answer>", 0.0),                                     # no reasoning
    ("<think>x</think><answer>3</answer><answer>4</answer>", 0.0),   # two answers
    ("<think>x</think><think>y</think><answer>3</answer>", 0.0),
    ("<answer>3</answer><think>x</think>", 0.0),                     # out of order
    ("<think>x</think>so<answer>3</answer>", 0.0),                   # text outside
    ("<think></think><answer>3</answer>", 0.0),                      # empty think
    ("<think>x</think><answer> </answer>", 0.0),
    ("<think>x <answer>1</answer></think><answer>3</answer>", 0.0),  # nested
    ("3", 0.0),
])
def test_format_reward_table(completion, expected):
    assert call(format_reward, [completion], COUNT) == [expected]


def test_format_reward_custom_tags():
    reward = make_format_reward("reasoning", "final")
    ok = "<reasoning>two plus one</reasoning><final>3</final>"
    assert call(reward, [ok, "<think>x</think><answer>3</answer>"], COUNT) == [1.0, 0.0]
    accuracy = make_accuracy_reward(think_tags=("reasoning",), answer_tags=("final",))
    assert call(accuracy, ["<reasoning>maybe 4</reasoning><final>3</final>"], COUNT) == [1.0]


def test_weighted_reward_documents_weights():
    combined = WeightedReward()
    out = call(combined, ["<think>x</think><answer>3</answer>", "3", "<think>x</think><answer>4</answer>"], COUNT)
    assert out == [pytest.approx(1.1), pytest.approx(1.0), pytest.approx(0.1)]
    assert call(WeightedReward({"iou": 1.0}), ["3"], COUNT) == [None]
    with pytest.raises(KeyError):
        WeightedReward({"nope": 1.0})


@pytest.mark.parametrize("completion", ["1e999", "9" * 400, "There are 1e309 circles."])
def test_huge_numbers_score_zero_never_raise(completion: str) -> None:
    assert call(accuracy_reward, [completion], COUNT) == [0.0]


def test_bytes_completions_are_decoded() -> None:
    assert call(accuracy_reward, [b"<answer>3</answer>"], COUNT) == [1.0]


def test_fallback_columns_refuse_box_rows_without_coordinates_columns() -> None:
    columns = {"answer": ["[100.0, 50.0, 300.0, 150.0]"], "answer_type": ["box"], "choices": [None]}
    with pytest.raises(ValueError, match="'box_format' or 'image_size'.*ground_truth"):
        accuracy_reward(prompts=["q"], completions=["[0.25, 0.25, 0.75, 0.75]"], **columns)
    scored = accuracy_reward(prompts=["q"], completions=["[0.25, 0.25, 0.75, 0.75]"], box_format=["norm1"],
                             image_size=[[400, 200]], **columns)
    assert scored == [1.0]
    count = accuracy_reward(prompts=["q"], completions=["3"], answer=["3"], answer_type=["int"], choices=[None])
    assert count == [1.0]  # other rows need no coordinate columns


def test_ground_truth_of_a_box_needs_its_image_size() -> None:
    truth = json.dumps({"answer": [1, 2, 3, 4], "answer_type": "box", "choices": None, "box_format": "norm1"})
    with pytest.raises(ValueError, match="needs image_size"):
        call(accuracy_reward, ["[0.1, 0.1, 0.2, 0.2]"], truth)


def test_program_column_gives_which_point_questions_their_options() -> None:
    truth = json.dumps({"answer": [100.0, 100.0], "answer_type": "point", "choices": None,
                        "box_format": "pixel", "image_size": [400, 300]})
    program = json.dumps([{"op": "point", "inputs": [], "args": [100.0, 100.0]},
                          {"op": "point", "inputs": [], "args": [120.0, 100.0]},
                          {"op": "closer_point", "inputs": [0, 1], "args": ["closer"]}])
    midpoint = "[110, 100]"
    assert call(accuracy_reward, [midpoint], truth) == [1.0]  # no program: the 5% tolerance alone
    assert call(accuracy_reward, [midpoint], truth, program=[program]) == [0.0]
    assert call(accuracy_reward, ["[100, 100]"], truth, program=[program]) == [1.0]


def test_images_column_reads_the_last_image() -> None:
    truth = json.dumps({"answer": 2, "answer_type": "image_index", "choices": None})
    assert call(accuracy_reward, ["the last image"], truth, images=[["a.png", "b.png", "c.png"]]) == [1.0]
    assert call(accuracy_reward, ["the last image"], truth) == [0.0]


# What TRL's `parse_response` returns for a Qwen3-style chat template (trl.chat_template_utils.qwen3_schema):
# the think block is cut out of "content" into "reasoning_content" (LFM2: "thinking").
@pytest.mark.parametrize("key", ["reasoning_content", "thinking", "reasoning"])
def test_reasoning_split_off_by_a_chat_parser_counts_as_the_think_block(key: str) -> None:
    parsed = [{"role": "assistant", "content": "<answer>3</answer>", key: "I see three circles."}]
    assert call(format_reward, [parsed], COUNT) == [1.0]
    assert call(accuracy_reward, [parsed], COUNT) == [1.0]
    assert call(WeightedReward(), [parsed], COUNT) == [pytest.approx(1.1)]
    custom = [{"role": "assistant", "content": "<final>3</final>", key: "maybe 4"}]
    assert call(make_format_reward("reasoning", "final"), [custom], COUNT) == [1.0]
    accuracy = make_accuracy_reward(think_tags=("reasoning",), answer_tags=("final",))
    assert call(accuracy, [custom], COUNT) == [1.0]


def test_empty_reasoning_field_is_no_think_block() -> None:
    parsed = [{"role": "assistant", "content": "<answer>3</answer>", "reasoning_content": ""}]
    assert call(format_reward, [parsed], COUNT) == [0.0]


def test_bad_ground_truth_cell_names_its_row_and_sample() -> None:
    with pytest.raises(ValueError, match=r"column 'ground_truth', row 1 \(sample_id s2\): .*answer_type"):
        accuracy_reward(prompts=["q", "q"], completions=["3", "3"], sample_id=["s1", "s2"],
                        ground_truth=[COUNT, '{"answer": 3, "answer_type": "integer"}'])


def test_missing_columns_tell_about_remove_unused_columns() -> None:
    # what TRL passes when GRPOConfig(remove_unused_columns=True) dropped the data set's columns
    with pytest.raises(ValueError, match=r"got data set columns \[\]\. .*remove_unused_columns=False"):
        accuracy_reward(prompts=["q"], completions=["3"], completion_ids=[[1]], trainer_state=None,
                        log_extra=print, log_metric=print)
