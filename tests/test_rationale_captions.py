"""Caption rationales: the objects a caption of whole images is built from, with their boxes, in
the think / answer format every other reasoning target has."""

from __future__ import annotations

import pytest

from veriscene.errors import ExecutionFailure
from veriscene.evaluate.freeform.api import score_texts
from veriscene.program import ProgramBuilder, execute
from veriscene.rationale import rationale, reasoning_target
from veriscene.rationale_captions import MAX_OBJECTS, is_caption
from veriscene.rewards import format_reward
from veriscene.rewards.process_score import process_targets, score_trace
from veriscene.scene import Scene

W, H = 400, 200


def _scene(image_id: str = "r", n_more: int = 0, meta: dict | None = None) -> Scene:
    objects = [
        {"name": "square", "box": [100, 110, 160, 170], "attributes": ["blue", "large"]},
        {"name": "circle", "box": [20, 120, 60, 160], "attributes": ["red"]},
        {"name": "circle", "box": [300, 120, 340, 160], "attributes": ["green"]},
    ] + [{"name": "star", "box": [10 + k, 10, 20 + k, 20], "attributes": []} for k in range(n_more)]
    return Scene.from_objects(image_id, W, H, objects, [(1, "left of", 0)], meta=meta or {})


def _caption(op: str = "describe_scene", box_format: str = "norm1") -> dict:
    b = ProgramBuilder()
    b.add(op, args=[0] if op == "describe_scene" else [])
    return {"program": b.program, "answer_type": "text",
            "meta": {"mode": "caption", "config": {"box_format": box_format}}}


def test_a_scene_caption_lists_its_objects_left_to_right_with_their_boxes() -> None:
    text = rationale(_caption(), _scene())
    assert text == ("There are 3 objects, from left to right: a red circle at [0.050, 0.600, 0.150, 0.800], "
                    "a large blue square at [0.250, 0.550, 0.400, 0.850] and a green circle at "
                    "[0.750, 0.600, 0.850, 0.800].")
    assert "[20, 120, 60, 160]" in rationale(_caption(box_format="pixel"), _scene())


def test_an_image_group_caption_lists_each_image_by_name() -> None:
    other = Scene.from_objects("o", 200, 100, [{"name": "circle", "box": [0, 0, 100, 50], "attributes": []}], [])
    text = rationale(_caption("describe_images"), [_scene(), other])
    assert text == ("In Image 1: two circles at [0.050, 0.600, 0.150, 0.800] and [0.750, 0.600, 0.850, 0.800]; "
                    "a square at [0.250, 0.550, 0.400, 0.850]. "
                    "In Image 2: a circle at [0.000, 0.000, 0.500, 0.500].")  # boxes by their own image's size


def test_objects_past_the_limit_are_counted() -> None:
    text = rationale(_caption(), _scene(n_more=MAX_OBJECTS))
    assert text.count(" at [") == MAX_OBJECTS and text.endswith(" and three more objects.")
    assert text.startswith(f"There are {MAX_OBJECTS + 3} objects")


def test_a_scene_annotated_in_part_gives_no_total() -> None:
    text = rationale(_caption(), _scene(meta={"exhaustive": ["circle"]}))
    assert text.startswith("The annotated objects, from left to right: a red circle at")


def test_a_caption_the_scenes_cannot_give_raises() -> None:
    """`describe_images` over images that annotate a name in part fails, as the program does."""
    partial = _scene(meta={"exhaustive": ["circle"]})
    with pytest.raises(ExecutionFailure):
        rationale(_caption("describe_images"), [partial, _scene("s")])


def test_a_caption_target_passes_the_format_reward_has_no_steps_and_scores_as_its_answer() -> None:
    """format_reward 1.0 (a plain caption: 0.0), process_reward has nothing to check (no steps),
    and free-form scoring reads the caption, not the list before it."""
    scene, sample = _scene(), _caption()
    caption = execute(sample["program"], scene)
    target = reasoning_target(rationale(sample, scene), caption)
    assert format_reward(completions=[target, caption]) == [1.0, 0.0]
    assert process_targets(sample, scene).steps == ()
    assert score_trace(target, process_targets(sample, scene)).score is None
    (with_think, alone), _, _ = score_texts([("r", target), ("r", caption)], {"r": scene}, matcher="lexical")
    assert with_think.claims == alone.claims and with_think.truthfulness == alone.truthfulness


@pytest.mark.parametrize("op, caption", [("describe_scene", True), ("describe_images", True),
                                         ("describe_object", False), ("count", False)])
def test_is_caption(op: str, caption: bool) -> None:
    assert is_caption([{"op": op, "inputs": [], "args": []}]) is caption


def test_an_image_group_caption_lists_names_that_read_alike_as_the_caption_counts_them() -> None:
    """'men' (one box around several) and 'group of men' are one kind in the caption
    (`ops_multi._caption_kinds`), so in its think block too: counted together, under one name,
    in every image, whichever of the names an image uses."""
    one = Scene.from_objects("a", 100, 100, [{"name": "men", "box": [0, 0, 10, 10], "attributes": []},
                                             {"name": "group of men", "box": [50, 50, 60, 60], "attributes": []},
                                             {"name": "grass", "box": [0, 80, 100, 100], "attributes": []}], [])
    two = Scene.from_objects("b", 100, 100, [{"name": "men", "box": [20, 20, 30, 30], "attributes": []},
                                             {"name": "men", "box": [70, 70, 80, 80], "attributes": []},
                                             {"name": "patch of grass", "box": [0, 90, 50, 100], "attributes": []}], [])
    sample = _caption("describe_images")
    assert execute(sample["program"], [one, two]) == ("Both images contain exactly one patch of grass. "
                                                      "Both images contain exactly two groups of men.")
    assert rationale(sample, [one, two]) == (
        "In Image 1: grass at [0.000, 0.800, 1.000, 1.000]; two groups of men at [0.000, 0.000, 0.100, 0.100] "
        "and [0.500, 0.500, 0.600, 0.600]. "
        "In Image 2: grass at [0.000, 0.900, 0.500, 1.000]; two groups of men at [0.200, 0.200, 0.300, 0.300] "
        "and [0.700, 0.700, 0.800, 0.800].")
