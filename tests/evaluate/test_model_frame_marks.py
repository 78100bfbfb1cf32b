"""`model_image_size` on questions about marks drawn on the images: a point a reply gives in pixels
of the resized image the model saw names the mark it lies on there (eval's `model_frame`, the
rewards' `GroundTruth.score`), single-image marked questions and `multi.marked_point.v1` alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.answers.test_mark_replies import marked  # noqa: F401  (the fixture)
from tests.generators.test_marked_points import _samples
from veriscene.answers import score_sample
from veriscene.answers.mark_replies import image_points_named, named_marks
from veriscene.evaluate.model_frame import score_in_model_frame
from veriscene.io.writers.records import ground_truth
from veriscene.rewards.truth import GroundTruth

MARKS = [{"label": "A", "point": [312.5, 140.5]}, {"label": "B", "point": [100.5, 400.5]}]  # on 640 x 480


def test_a_point_in_pixels_of_the_image_seen_is_read_in_that_frame() -> None:
    """(156, 70) in the 320x240 image the model saw is A's (312, 140) of the 640x480 original;
    read as original pixels it lies on no mark. Shares of the image read the same in both."""
    assert named_marks("(156, 70)", MARKS, [640, 480])[0] == "(156, 70)"
    assert named_marks("(156, 70)", MARKS, [640, 480], seen=(320, 240))[0] == "point A"
    assert named_marks("(312, 140)", MARKS, [640, 480], seen=(320, 240))[0] == "(312, 140)"  # off the frame
    assert named_marks("(0.488, 0.293)", MARKS, [640, 480], seen=(320, 240))[0] == "point A"
    assert named_marks("(156, 70)", MARKS, None, seen=(320, 240))[0] == "(156, 70)"  # no original size: as given
    marks = [{**MARKS[0], "image": 0}, {"label": "B", "point": [50.5, 60.5], "image": 1}]
    sizes = [[640, 480], [200, 100]]
    assert image_points_named("(100, 120)", marks, sizes)[0] == "a point"
    assert image_points_named("(100, 120)", marks, sizes, [(640, 480), (400, 200)])[0] == "point B"


def test_eval_and_rewards_read_a_single_image_marks_point_in_the_resized_frame(marked) -> None:  # noqa: F811
    """A reply right in the frame of an image resized to twice its size scored 0 before: its
    pixels were read in the original frame, on no mark."""
    for sample in (s for s in marked if s["meta"]["mode"] == "qa"):
        w, h = sample["meta"]["image_size"]
        right = next(m["point"] for m in sample["images"][0]["marks"] if m["label"] == sample["answer"])
        reply = f"The point at ({int(right[0]) * 2}, {int(right[1]) * 2}) is it."
        assert score_sample(reply, sample).score == 0.0
        assert score_in_model_frame(reply, sample, (2 * w, 2 * h), {}).score == 1.0  # eval's
        assert score_in_model_frame(reply, sample, lambda w, h: (2 * w, 2 * h), {}).score == 1.0
        assert GroundTruth.from_json(ground_truth(sample)).score(reply, model_image_size=(2 * w, 2 * h)).score == 1.0
        assert GroundTruth.from_sample(sample).score(reply, model_image_size=(w, h)).score == 0.0  # (no resize)


def test_eval_and_rewards_read_a_multi_image_marks_point_in_the_resized_frame(tmp_path: Path) -> None:
    qa = next(s for s in _samples(tmp_path) if s["meta"]["mode"] == "qa")
    k = qa["answer"]
    (w, h), right = qa["meta"]["image_sizes"][k], qa["images"][k]["marks"][0]["point"]
    reply = f"The marked point at ({int(right[0]) * 2}, {int(right[1]) * 2})."  # its mark, in pixels seen
    assert score_sample(reply, qa).score == 0.0
    assert score_in_model_frame(reply, qa, (2 * w, 2 * h), {}).score == 1.0
    assert GroundTruth.from_json(ground_truth(qa)).score(reply, model_image_size=(2 * w, 2 * h)).score == 1.0


@pytest.mark.parametrize("size", [(0, 10), "big"])
def test_a_bad_frame_is_refused(size) -> None:
    with pytest.raises(ValueError):
        score_sample("(1, 2)", {"answer": "A", "answer_type": "str", "choices": None,
                                "meta": {"mark_labels": ["A", "B"], "image_size": [640, 480]},
                                "images": [{"marks": MARKS}]}, marks_frame=size)
