"""Rationales: the sentences a sample's program computes on its scenes, and their agreement with
the process reward's steps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from veriscene.demo.pipeline import run_demo
from veriscene.errors import ExecutionFailure
from veriscene.program import ProgramBuilder
from veriscene.rationale import rationale, reasoning_target
from veriscene.rewards.process_score import process_targets, score_trace
from veriscene.scene import Scene
from veriscene.scene.jsonl import read_scenes

W, H = 400, 200


@pytest.fixture
def scene() -> Scene:
    objects = [
        {"name": "circle", "box": [20, 120, 60, 160], "attributes": ["red"]},
        {"name": "square", "box": [100, 110, 160, 170], "attributes": ["blue"]},
        {"name": "triangle", "box": [110, 20, 150, 60], "attributes": ["green"]},
        {"name": "circle", "box": [300, 120, 340, 160], "attributes": ["green"]},
    ]
    return Scene.from_objects("r", W, H, objects, [(0, "left of", 1), (2, "above", 1)])


def _sample(program: list[dict]) -> dict:
    return {"program": program, "meta": {"mode": "qa", "config": {"box_format": "norm1"}}}


def test_a_count_lists_what_it_counts(scene: Scene) -> None:
    b = ProgramBuilder()
    b.add("count", b.add("filter_name", b.add("scene", args=[0]), args=["circle"]))
    assert rationale(_sample(b.program), scene) == \
        "There are two circles, at [0.050, 0.600, 0.150, 0.800] and [0.750, 0.600, 0.850, 0.800]."


def test_a_query_names_its_object_then_the_value(scene: Scene) -> None:
    b = ProgramBuilder()
    b.add("query_attribute", b.add("unique", b.add("filter_name", b.add("scene", args=[0]), args=["square"])),
          args=["color"])
    assert rationale(_sample(b.program), scene) == (
        "There is one square: the blue square at [0.250, 0.550, 0.400, 0.850]. "
        "The color of the square at [0.250, 0.550, 0.400, 0.850] is blue.")


def test_a_hop_gives_the_anchor_and_the_object_related_to_it(scene: Scene) -> None:
    """What color is the circle left of the square? (the square is a step: its box is said)"""
    b = ProgramBuilder()
    square = b.add("filter_name", b.add("scene", args=[0]), args=["square"])
    circles = b.add("filter_name", b.add("scene", args=[0]), args=["circle"])
    left = b.add("filter_relation", circles, square, args=["left of", "subject"])
    b.add("query_attribute", b.add("unique", left), args=["color"])
    text = rationale(_sample(b.program), scene)
    assert text == ("There is one circle to the left of the blue square at [0.250, 0.550, 0.400, 0.850]: "
                    "the red circle at [0.050, 0.600, 0.150, 0.800]. "
                    "The color of the circle at [0.050, 0.600, 0.150, 0.800] is red.")
    targets = process_targets(_sample(b.program), scene)
    assert score_trace(reasoning_target(text, "red"), targets).score == 1.0


def test_a_comparison_says_both_counts(scene: Scene) -> None:
    b = ProgramBuilder()
    circles = b.add("count", b.add("filter_name", b.add("scene", args=[0]), args=["circle"]))
    squares = b.add("count", b.add("filter_name", b.add("scene", args=[0]), args=["square"]))
    b.add("compare_int", circles, squares, args=["greater"])
    text = rationale(_sample(b.program), scene)
    assert text == "There are two circles. There is one square. Two circles are more than one square."
    assert score_trace(reasoning_target(text, "Yes"), process_targets(_sample(b.program), scene)).score == 1.0


def test_a_caption_lists_its_objects_and_a_program_that_fails_raises(scene: Scene) -> None:
    b = ProgramBuilder()
    b.add("describe_scene", args=[0])
    assert rationale(_sample(b.program), scene).startswith(
        "There are 4 objects, from left to right: a red circle at [0.050, 0.600, 0.150, 0.800], ")
    b = ProgramBuilder()
    b.add("unique", b.add("filter_name", b.add("scene", args=[0]), args=["circle"]))  # two circles
    with pytest.raises(ExecutionFailure):
        rationale(_sample(b.program), scene)


def test_an_object_described_has_the_step_that_finds_it(scene: Scene) -> None:
    """"What is in the box [...]?" (region.describe): the object in the region, which the process
    reward checks as a step; a multiple-choice target of a bare letter scored 0.0 on it."""
    b = ProgramBuilder()
    found = b.add("object_in_region", b.add("scene", args=[0]), b.add("region", args=[100.0, 110.0, 160.0, 170.0]))
    b.add("describe_object", found)
    text = rationale(_sample(b.program), scene)
    assert text == "The object in the region [0.250, 0.550, 0.400, 0.850] is the blue square."
    targets = process_targets(_sample(b.program), scene)
    assert [s.kind for s in targets.steps] == ["object"]
    assert score_trace(reasoning_target(text, "B"), targets).score == 1.0
    assert score_trace("B", targets).score == 0.0


def test_reasoning_target_wraps_in_the_reward_tags() -> None:
    assert reasoning_target("There are two circles.", "2") == \
        "<think>\nThere are two circles.\n</think>\n<answer>2</answer>"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rationale_demo")
    run_demo(out, scenes=8, seed=0)
    return out


def test_every_demo_sample_has_a_rationale_that_the_process_reward_scores(demo: Path) -> None:
    """Every generator's samples (qa and mc) on the demo: a rationale for every one (captions of
    whole images: their objects, without steps), and where the program has steps, the process
    reward's F1 of the rationale is 1.0 for every one."""
    scenes = {s.image_id: s for s in read_scenes(demo / "scenes.jsonl")}
    samples = [json.loads(line) for line in (demo / "samples.jsonl").read_text().splitlines()]
    none, scored, perfect, lowest = 0, 0, 0, 1.0
    for sample in samples:
        found = [scenes[image["id"]] for image in sample["images"]]
        text = rationale(sample, found)
        assert text and text.endswith((".", "?"))
        targets = process_targets(sample, found)
        if sample["meta"]["mode"] == "caption":
            none += 1
            assert not targets.steps and " at [" in text
        if targets.steps:
            score = score_trace(reasoning_target(text, "x"), targets).score
            scored += 1
            perfect += score == 1.0
            lowest = min(lowest, score)
    assert (len(samples), none, scored, perfect) == (679, 16, 557, 557)
    assert lowest == 1.0


def test_a_union_of_one_kind_is_named_once(scene: Scene) -> None:
    """The union of the red and the green circles' sets by name: "among the circles", not "of the
    objects (circles and circles)"."""
    b = ProgramBuilder()
    circles = b.add("union", b.add("filter_name", b.add("scene", args=[0]), args=["circle"]),
                    b.add("filter_name", b.add("scene", args=[0]), args=["circle"]))
    b.add("extreme", circles, args=["rightmost"])
    text = rationale(_sample(b.program), scene)
    assert "circles and circles" not in text
    assert text.endswith("Among the circles, the rightmost is the green circle at [0.750, 0.600, 0.850, 0.800].")


def test_a_depth_filter_says_closer_to_or_farther_from_the_camera() -> None:
    objects = [
        {"name": "circle", "box": [20, 120, 60, 160], "depth": 0.2},
        {"name": "square", "box": [100, 110, 160, 170], "depth": 0.5},
        {"name": "circle", "box": [300, 120, 340, 160], "depth": 0.8},
    ]
    deep = Scene.from_objects("d", W, H, objects)
    said = {}
    for side in ("closer", "farther"):
        b = ProgramBuilder()
        square = b.add("unique", b.add("filter_name", b.add("scene", args=[0]), args=["square"]))
        circles = b.add("filter_name", b.add("scene", args=[0]), args=["circle"])
        b.add("count", b.add("filter_depth", circles, square, args=[side]))
        said[side] = rationale(_sample(b.program), deep)
    assert "circle closer to the camera than the square" in said["closer"]
    assert "circle farther from the camera than the square" in said["farther"]
    assert "farther to the camera" not in said["farther"]


def test_a_listed_question_says_which_listed_names_each_image_has(scene: Scene) -> None:
    """Which of these appear in Image 1 but not in Image 2: star, circle, square? (the listed
    names, not every name of a dense image, are said per image)"""
    other = Scene.from_objects("o", W, H, [{"name": "square", "box": [0, 0, 10, 10], "attributes": []}], [])
    b = ProgramBuilder()
    words = ["star", "circle", "square"]
    mine, theirs = (b.add("names_among", b.add("scene", args=[k]), args=[words]) for k in (0, 1))
    b.add("set_difference", mine, theirs)
    assert rationale(_sample(b.program), [scene, other]) == (
        "In Image 1, the listed kinds of objects present are: circle, square. "
        "In Image 2, the listed kinds of objects present are: square. Of these, only Image 1 has: circle.")
