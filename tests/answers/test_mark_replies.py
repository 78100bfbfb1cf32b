"""Replies to a marked question ("Which point is closer to the camera: A or B?") that give a point
by its coordinates: read as the mark drawn there when the point lies within its drawn reach and
names one mark, else left (scored 0 with the reason). The one reading is shared: eval
(`score_sample`), the TRL and verl rewards (ground truth with the marks) and the RL environment."""

from pathlib import Path

import numpy as np
import orjson
import pytest
from PIL import Image

from tests.generators.test_depth_map_points import floor_and_box, scene_with
from tests.generators.test_point_marks import run
from veriscene.answers import score_sample
from veriscene.answers.mark_replies import A_POINT, image_points_named, labels_as_images, named_marks
from veriscene.io.writers.records import ground_truth
from veriscene.rewards.env import VQAEnv
from veriscene.rewards.trl import make_accuracy_reward
from veriscene.rewards.truth import GroundTruth
from veriscene.rewards.verl import compute_score

MARKS = [{"label": "A", "point": [312.5, 140.5]}, {"label": "B", "point": [100.5, 400.5]}]  # on 640 x 480


def test_a_point_on_a_mark_is_that_mark() -> None:
    # reach on 640 x 480: a ring of 12 px and its 2 px edge, 14 px around the pixel (312, 140)
    assert named_marks("The point at (312, 140) is closer.", MARKS, [640, 480]) == \
        ("The point at point A is closer.", None)
    assert named_marks("[100, 400]", MARKS, [640, 480])[0] == "point B"
    assert named_marks("x=322, y=148", MARKS, [640, 480])[0] == "point A"  # 12.5 px off: on the ring
    assert named_marks("(0.488, 0.293)", MARKS, [640, 480])[0] == "point A"  # shares of the image
    assert named_marks("(488, 293)", MARKS, [640, 480])[0] == "point A"  # 0-1000 (on no mark in pixels)


def test_a_point_off_the_marks_or_on_two_readings_names_none() -> None:
    said, why = named_marks("(330, 140)", MARKS, [640, 480])  # 17.5 px off A: past its ring
    assert said == "(330, 140)" and "lies on no mark" in why and "A at (312.5, 140.5)" in why
    # on a 200 x 1000 image (100, 400) is A in pixels and B read 0-1000 (20, 400): neither
    two = [{"label": "A", "point": [100.5, 400.5]}, {"label": "B", "point": [20.5, 400.5]}]
    said, why = named_marks("(100, 400)", two, [200, 1000])
    assert said == "(100, 400)"
    assert "mark A read in pixels" in why and "mark B read on a 0-1000 scale" in why
    # without the image size: pixels alone, within the smallest reach a mark is drawn with (8 px)
    assert named_marks("(318, 140)", MARKS, None)[0] == "point A"
    assert named_marks("(0.488, 0.293)", MARKS, None)[0] == "(0.488, 0.293)"


@pytest.fixture
def marked(tmp_path: Path) -> list[dict]:
    np.save(tmp_path / "d.npy", floor_and_box())
    return run(scene_with(tmp_path / "d.npy"), "depth.map_points.v1", marks=True, per_scene=4)


def _replies(sample: dict) -> list[tuple[str, float]]:
    """Replies by coordinates to `sample` and the score each must get."""
    marks = {m["label"]: m["point"] for m in sample["images"][0]["marks"]}
    right, wrong = marks[sample["answer"]], marks[({"A", "B"} - {sample["answer"]}).pop()]
    w, h = sample["meta"]["image_size"]
    at = "({:d}, {:d})"
    return [(f"The point at {at.format(int(right[0]), int(right[1]))}.", 1.0),
            (f"[{right[0] / w:.3f}, {right[1] / h:.3f}]", 1.0),
            (at.format(int(wrong[0]), int(wrong[1])), 0.0),
            # hedging, or a label and a point of the other mark: two options named, 0
            (f"{at.format(int(right[0]), int(right[1]))} or {at.format(int(wrong[0]), int(wrong[1]))}", 0.0),
            (f"{sample['answer']}, at {at.format(int(wrong[0]), int(wrong[1]))}", 0.0),
            ("(2, 2)", 0.0)]


def test_eval_and_rewards_read_a_point_as_its_mark(marked, tmp_path: Path) -> None:
    """Eval, the TRL and verl rewards (from the exported ground truth, which carries the marks)
    give each reply the same score; a point on no mark scores 0 and says why."""
    reward = make_accuracy_reward()
    assert {s["meta"]["mode"] for s in marked} == {"qa", "mc"}
    for sample in marked:
        truth = ground_truth(sample)
        assert orjson.loads(truth)["marks"] == sample["images"][0]["marks"]
        for reply, score in _replies(sample):
            assert score_sample(reply, sample).score == score, (reply, sample["question"])
            assert GroundTruth.from_json(truth).score(reply).score == score, reply
            assert GroundTruth.from_sample(sample).score(reply).score == score, reply
            assert reward(completions=[reply], ground_truth=[truth]) == [score], reply
            assert compute_score("veriscene/depth.map_points.v1", reply, truth)["score"] == score, reply
        off = score_sample("(2, 2)", sample)
        assert off.score == 0.0 and "(2, 2) lies on no mark" in off.reason


def test_ground_truth_without_marks_takes_them_from_the_program(marked) -> None:
    """Ground truth written before it carried marks: verl's extra_info.program (TRL's program
    column) gives them."""
    sample = next(s for s in marked if s["meta"]["mode"] == "qa")
    old = orjson.loads(ground_truth(sample))
    del old["marks"]
    (reply, _), *_ = _replies(sample)
    assert GroundTruth.from_dict(old).score(reply).score == 0.0
    assert compute_score("veriscene/depth.map_points.v1", reply, orjson.dumps(old).decode(),
                         {"program": sample["program"]})["score"] == 1.0
    with pytest.raises(ValueError, match=r"ground truth\.marks\[0\]\.point"):
        GroundTruth.from_dict({**old, "marks": [{"label": "A", "point": [1, -2]}]})


def test_the_environment_reads_a_point_as_its_mark(marked, tmp_path: Path) -> None:
    sample = next(s for s in marked if s["meta"]["mode"] == "qa")
    w, h = sample["meta"]["image_size"]
    Image.new("RGB", (w, h), (128, 128, 128)).save(tmp_path / "i.png")
    record = {**sample, "images": [{**sample["images"][0], "path": "i.png"}]}
    for reply, score in _replies(sample):
        env = VQAEnv(samples=[record], image_root=tmp_path)
        env.reset()
        _, reward, *_ = env.step(reply)
        assert reward == score, reply


@pytest.mark.parametrize("reply, said", [
    ("B", "Image 2"), ("B.", "Image 2."), ("Point B.", "Image 2."), ("(C)", "Image 3"), ("**A**", "Image 1"),
    ("<answer>A</answer>", "<answer>Image 1</answer>"), ("The mark labelled C lies on a dog.", "The Image 3 lies on a dog."),
    ("A is on the dog.", "Image 1 is on the dog."), ("A or B", "Image 1 or Image 2"), ("A/B", "Image 1/Image 2"),
    ("A dog is in the second image.", "A dog is in the second image."),  # an article stays
    ("U.S.A.", "U.S.A."), ("Image 2", "Image 2"), ("Mark D", "Mark D"),  # no mark D drawn
])
def test_labels_said_as_the_images_they_are_drawn_on(reply: str, said: str) -> None:
    assert labels_as_images(reply, {"A": 0, "B": 1, "C": 2}) == said


# marks on three images of two sizes (multi.marked_point.v1): A on Image 1 (640 x 480), B on Image 2
# (200 x 100), C on Image 3 (640 x 480), at the same pixel as A
IMAGE_MARKS = [{"label": "A", "point": [312.5, 140.5], "image": 0}, {"label": "B", "point": [50.5, 60.5], "image": 1},
               {"label": "C", "point": [312.5, 140.5], "image": 2}]
SIZES = [[640, 480], [200, 100], [640, 480]]


@pytest.mark.parametrize("reply, said", [
    ("The point at (50, 60) lies on a dog.", "The point at point B lies on a dog."),
    ("[0.253, 0.605]", "point B"),  # shares of Image 2's 200 x 100, not of 640 x 480
    ("(253, 605)", "point B"),  # 0-1000 of Image 2
    ("(2, 50, 60)", "Image 2, point B"),  # the image's number and a point of it
    ("(2, [0.253, 0.605])", "Image 2, point B"),
    ('{"image": 2, "point": [50, 60]}', '{Image 2, "point": point B}'),
    ("(3, 50, 60)", "Image 3, point B"),  # a number and another image's mark: two images named
    ("(7, 50, 60)", "(7, 50, 60)"),  # no image 7: left as it is
    ("[1, 2, 3]", "[1, 2, 3]"),  # images' numbers, on no mark: a list of images, not Image 1 and a point
    ("(2, 3, 1)", "(2, 3, 1)"),
    ("(2, 3, 4)", "Image 2, a point"),  # (no image 4: Image 2 and a point, on no mark)
])
def test_a_point_over_several_images_is_the_mark_it_lies_on(reply: str, said: str) -> None:
    assert image_points_named(reply, IMAGE_MARKS, SIZES)[0] == said
    if A_POINT not in said:
        assert image_points_named(reply, IMAGE_MARKS, SIZES)[1] is None


def test_a_list_of_image_numbers_is_no_image_and_point() -> None:
    # without the images' sizes (samples made before meta.image_sizes) the marks' images count them
    assert image_points_named("[1, 2, 3]", IMAGE_MARKS, None) == ("[1, 2, 3]", None)
    assert image_points_named("(1, 2, 3)", IMAGE_MARKS[:2], None)[0] == "Image 1, a point"  # (two images)


def test_a_point_on_two_images_marks_or_on_none_names_no_image() -> None:
    said, why = image_points_named("(312, 140)", IMAGE_MARKS, SIZES)  # A's and C's pixel
    assert said == A_POINT and "mark A read in pixels and on mark C read in pixels: it names neither" in why
    said, why = image_points_named("Image 2 at (5, 5).", IMAGE_MARKS, SIZES)
    assert said == f"Image 2 at {A_POINT}." and "(5, 5) lies on no mark" in why and "B at (50.5, 60.5) on Image 2" in why
    # a size unknown: that image's mark is read in pixels alone (within 8 px)
    assert image_points_named("[0.253, 0.605]", IMAGE_MARKS, [[640, 480], None, [640, 480]])[0] == A_POINT
    assert image_points_named("(53, 60)", IMAGE_MARKS, None) == ("point B", None)
