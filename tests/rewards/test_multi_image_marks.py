"""Samples over several images each carrying a mark (multi.marked_point.v1, ``marks: true``: "In
which image does the marked point lie on a dog?"): their TRL / verl ground truth lists the marks
with their image, rewards read "B" as the image B is drawn on as eval does, ground truth written
before multi-image marks still reads, and the RL environment shows each image with its mark."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.generators.test_marked_points import _samples
from veriscene.answers import score_sample
from veriscene.io.writers.records import ground_truth
from veriscene.rewards import accuracy_reward, compute_score
from veriscene.rewards.env import VQAEnv
from veriscene.rewards.truth import GroundTruth
from veriscene.scene.mark_drawing import MARK_COLOUR

GREY = (128, 128, 128)
REPLIES = ["A", "B", "C", "point B", "Image 2", "the third image", "A or B", "Image 1, point C", "(C)", "nothing"]


@pytest.fixture
def qa(tmp_path: Path) -> dict:
    return next(s for s in _samples(tmp_path) if s["meta"]["mode"] == "qa")


def test_ground_truth_lists_the_marks_with_their_image(qa: dict) -> None:
    truth = json.loads(ground_truth(qa))
    assert truth["marks"] == [{**m, "image": k} for k, image in enumerate(qa["images"]) for m in image["marks"]]
    assert [m["label"] for m in truth["marks"]] == ["A", "B", "C"]
    assert "mark_labels" not in truth  # (the answer is an image, not a label)


@pytest.mark.parametrize("reply", REPLIES)
def test_rewards_score_as_eval_does(qa: dict, reply: str) -> None:
    expected = score_sample(reply, qa).score
    truth = ground_truth(qa)
    assert GroundTruth.from_json(truth).score(reply).score == expected
    assert GroundTruth.from_sample(qa).score(reply).score == expected
    assert compute_score(f"veriscene/{qa['task']}", f"<answer>{reply}</answer>", truth)["score"] == expected
    # TRL rows whose ground truth has no marks: read from the program column, as `point_options` are
    bare = json.dumps({k: v for k, v in json.loads(truth).items() if k != "marks"})
    assert accuracy_reward(prompts=["q"], completions=[reply], ground_truth=[bare],
                           program=[json.dumps(qa["program"])]) == [expected]


def _by_coordinates(qa: dict) -> list[tuple[str, float]]:
    """Replies giving a mark's point by coordinates, and the score each must get."""
    (w, h), k = qa["meta"]["image_sizes"][qa["answer"]], qa["answer"]
    right = qa["images"][k]["marks"][0]["point"]
    wrong = qa["images"][(k + 1) % 3]["marks"][0]["point"]
    return [(f"The marked point at ({right[0]:.0f}, {right[1]:.0f}) lies on a dog.", 1.0),
            (f"[{right[0] / w:.3f}, {right[1] / h:.3f}]", 1.0),
            (f"({k + 1}, {right[0]:.0f}, {right[1]:.0f})", 1.0),
            (f'{{"image": {k + 1}, "point": [{right[0]:.0f}, {right[1]:.0f}]}}', 1.0),
            (f"({wrong[0]:.0f}, {wrong[1]:.0f})", 0.0),
            (f"({k + 1}, {wrong[0]:.0f}, {wrong[1]:.0f})", 0.0),  # two images named
            (f"({right[0]:.0f}, {right[1]:.0f}) or ({wrong[0]:.0f}, {wrong[1]:.0f})", 0.0),
            ("(1, 1)", 0.0),
            ("[1, 2, 3]", 0.0), ("(3, 1, 2)", 0.0)]  # every image named, not the first one and a point


def test_a_point_by_its_coordinates_names_its_image_in_eval_and_rewards(qa: dict) -> None:
    assert qa["meta"]["image_sizes"] == [[200, 100]] * 3
    truth = ground_truth(qa)
    assert json.loads(truth)["image_sizes"] == qa["meta"]["image_sizes"]
    assert GroundTruth.from_json(truth).image_sizes == ((200, 100),) * 3
    for reply, score in _by_coordinates(qa):
        assert score_sample(reply, qa).score == score, reply
        assert GroundTruth.from_json(truth).score(reply).score == score, reply
        assert GroundTruth.from_sample(qa).score(reply).score == score, reply
        assert compute_score(f"veriscene/{qa['task']}", f"<answer>{reply}</answer>", truth)["score"] == score, reply
    why = score_sample("(1, 1)", qa).reason
    assert "(1, 1) lies on no mark" in why and "on Image 2" in why


def test_bad_image_sizes_in_ground_truth_are_named(qa: dict) -> None:
    truth = json.loads(ground_truth(qa))
    truth["image_sizes"] = [[200, 100], [0, 100], [200, 100]]
    with pytest.raises(ValueError, match="ground truth field 'image_sizes' must be a list of"):
        GroundTruth.from_dict(truth)


@pytest.mark.parametrize("sizes, message", [([[200, 100], [0, 100], [200, 100]], r"meta.image_sizes\[1\] must be"),
                                            ([[200, 100], 7, [200, 100]], r"meta.image_sizes\[1\] must be"),
                                            ("200x100", "meta.image_sizes must be a list")])
def test_bad_image_sizes_in_a_sample_are_named(qa: dict, sizes, message) -> None:
    with pytest.raises(ValueError, match=message):
        score_sample("(1, 1)", {**qa, "meta": {**qa["meta"], "image_sizes": sizes}})


def test_a_label_names_its_image(qa: dict) -> None:
    label = "ABC"[qa["answer"]]
    assert score_sample(label, qa).score == 1.0
    assert GroundTruth.from_json(ground_truth(qa)).score(f"Point {label}.").score == 1.0
    assert GroundTruth.from_json(ground_truth(qa)).score("A or B").score == 0.0


def test_ground_truth_written_before_multi_image_marks_still_reads() -> None:
    old = {"answer": "A", "answer_type": "str", "choices": None, "mark_labels": ["A", "B"],
           "marks": [{"label": "A", "point": [20.5, 30.5]}, {"label": "B", "point": [100.5, 60.5]}],
           "question": "Which point is closer to the camera: A or B?", "image_size": [160, 120]}
    truth = GroundTruth.from_dict(old)
    assert truth.record()["images"] == [{"marks": old["marks"]}]
    assert truth.score("Point A.").score == 1.0 and truth.score("(20, 30)").score == 1.0
    assert truth.score("B").score == 0.0


@pytest.mark.parametrize("bad, message", [(-1, "image must be an image index"), ("1", "image must be an image index"),
                                          (True, "image must be an image index")])
def test_a_bad_image_index_in_ground_truth_is_named(qa: dict, bad, message) -> None:
    truth = json.loads(ground_truth(qa))
    truth["marks"][1]["image"] = bad
    with pytest.raises(ValueError, match=message):
        GroundTruth.from_dict(truth)


def test_the_environment_shows_each_image_with_its_mark(tmp_path: Path, qa: dict) -> None:
    for image in qa["images"]:
        Image.new("RGB", (200, 100), GREY).save(tmp_path / image["path"])
    env = VQAEnv(samples=[qa], image_root=tmp_path, max_images=4)
    obs, _ = env.reset(options={"sample_id": qa["id"]})
    assert obs["num_images"] == 3
    for k, image in enumerate(qa["images"]):
        x, y = (int(v) for v in image["marks"][0]["point"])
        shown = np.asarray(env._images[k])  # the image as loaded, before fitting to the observation size
        assert tuple(shown[y, x]) == MARK_COLOUR and tuple(shown[2, 2]) == GREY
        others = [m["marks"][0]["point"] for j, m in enumerate(qa["images"]) if j != k]
        assert all(tuple(shown[int(p[1]), int(p[0])]) == GREY for p in others if np.hypot(p[0] - x, p[1] - y) > 20)
    _, reward, *_ = env.step("<answer>" + "ABC"[qa["answer"]] + "</answer>")
    assert reward == 1.0
