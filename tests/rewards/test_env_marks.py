"""The RL environment shows a sample's marks (`veriscene.scene.marks`: the points its question
names by label) on the image it observes, and scores a label reply as eval does."""

from pathlib import Path

from PIL import Image

from veriscene.rewards.env import VQAEnv
from veriscene.scene.mark_drawing import MARK_COLOUR

GREY = (128, 128, 128)


def record(sid: str, marks=None) -> dict:
    image = {"id": "i0", "path": "grey.png"}
    if marks is not None:
        image["marks"] = marks
    return {"id": sid, "task": "depth.map_points.v1", "family": "depth", "images": [image],
            "question": "Which point is closer to the camera: A or B?", "answer": "A", "answer_type": "str",
            "choices": None, "program": [], "template_id": "closer_marks.0", "generator_version": 1, "seed": 1,
            "meta": {"mode": "qa", "mark_labels": ["A", "B"]}}


def test_observed_image_has_the_marks_and_label_replies_score(tmp_path: Path) -> None:
    Image.new("RGB", (160, 120), GREY).save(tmp_path / "grey.png")
    marks = [{"label": "A", "point": [20.5, 30.5]}, {"label": "B", "point": [100.5, 60.5]}]
    env = VQAEnv(samples=[record("m", marks), record("p")], image_root=tmp_path)
    obs, _ = env.reset(options={"sample_id": "m"})
    assert tuple(obs["image"][30, 20]) == MARK_COLOUR and tuple(obs["image"][5, 150]) == GREY
    _, reward, *_ = env.step("Point A.")
    assert reward == 1.0
    obs, _ = env.reset(options={"sample_id": "p"})
    assert tuple(obs["image"][30, 20]) == GREY  # no marks: the image as it is
