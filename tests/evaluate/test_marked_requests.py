"""A sample whose image carries marks (`veriscene.scene.marks`: points a question names by label)
is sent to a model with the marks drawn: the OpenAI-compatible request's image, the local model's
image, and the request cache's key (which stays the same for unmarked requests)."""

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from veriscene.evaluate.adapters.base import Request
from veriscene.evaluate.adapters.openai_compat import build_messages
from veriscene.evaluate.adapters.transformers_local import _rgb
from veriscene.evaluate.cache import request_key
from veriscene.evaluate.prompts import PromptSet
from veriscene.scene.mark_drawing import MARK_COLOUR

MARKS = [{"label": "A", "point": [20.5, 30.5]}, {"label": "B", "point": [100.25, 60.75]}]


def record(marks=None) -> dict:
    image = {"id": "i0", "path": "grey.png"}
    if marks is not None:
        image["marks"] = marks
    return {"id": "s1", "task": "depth.map_points.v1", "question": "Which point is closer to the camera: A or B?",
            "answer": "A", "answer_type": "str", "choices": None, "images": [image], "meta": {"mode": "qa"}}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    Image.new("RGB", (160, 120), (128, 128, 128)).save(tmp_path / "grey.png")
    return tmp_path


def sent_image(root: Path, marks) -> Image.Image:
    prompt = PromptSet().build(record(marks), root)
    content = build_messages(Request("s1", prompt))[0]["content"]
    url = next(part["image_url"]["url"] for part in content if part["type"] == "image_url")
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")


def test_openai_request_shows_the_marks(root: Path) -> None:
    plain, marked = sent_image(root, None), sent_image(root, MARKS)
    assert plain.getpixel((20, 30)) == (128, 128, 128)
    assert marked.getpixel((20, 30)) == MARK_COLOUR and marked.getpixel((100, 60)) == MARK_COLOUR
    assert marked.size == plain.size and marked.tobytes() != plain.tobytes()
    assert marked.getpixel((150, 5)) == (128, 128, 128)  # far from both marks: the image itself


def test_local_model_image_shows_the_marks(root: Path) -> None:
    prompt = PromptSet().build(record(MARKS), root)
    assert _rgb(prompt.images[0], prompt.marks_of(0)).getpixel((20, 30)) == MARK_COLOUR
    assert _rgb(prompt.images[0]).getpixel((20, 30)) == (128, 128, 128)


def test_cache_key_tells_marked_requests_apart_and_keeps_others(root: Path) -> None:
    identity = {"adapter": "X", "model": "m", "params": {}}
    plain = PromptSet().build(record(None), root)
    assert plain.marks == () and "marks" not in plain.to_dict()
    marked = PromptSet().build(record(MARKS), root)
    moved = PromptSet().build(record([MARKS[0], {"label": "B", "point": [10.0, 10.0]}]), root)
    keys = {request_key(identity, Request("s1", p)) for p in (plain, marked, moved)}
    assert len(keys) == 3


def test_bad_marks_are_named(root: Path) -> None:
    with pytest.raises(ValueError, match=r"sample s1: images\[0\]\.marks\[0\]\.point"):
        PromptSet().build(record([{"label": "A", "point": [1]}]), root)


def test_a_sample_over_several_images_sends_each_with_its_own_mark(tmp_path: Path) -> None:
    # multi.marked_point.v1: one mark an image, "A" on Image 1, "B" on Image 2; eval reads "point B"
    # as Image 2, and every request image shows its own mark alone
    from veriscene.evaluate import evaluate

    images = []
    for k, (label, point) in enumerate((("A", [20.5, 30.5]), ("B", [100.5, 60.5]))):
        Image.new("RGB", (160, 120), (128, 128, 128)).save(tmp_path / f"g{k}.png")
        images.append({"id": f"i{k}", "path": f"g{k}.png", "marks": [{"label": label, "point": point}]})
    sample = {"id": "m1", "task": "multi.marked_point.v1", "family": "multi_select", "images": images,
              "question": "In which of the two images is the marked point on a dog?", "answer": 1,
              "answer_type": "image_index", "choices": None, "program": [], "template_id": "default.1",
              "generator_version": 1, "seed": 0, "meta": {"mode": "qa"}}
    prompt = PromptSet().build(sample, tmp_path)
    assert [[m["label"] for m in prompt.marks_of(k)] for k in range(2)] == [["A"], ["B"]]
    content = build_messages(Request("m1", prompt))[0]["content"]
    sent = [Image.open(io.BytesIO(base64.b64decode(part["image_url"]["url"].split(",", 1)[1]))).convert("RGB")
            for part in content if part["type"] == "image_url"]
    assert sent[0].getpixel((20, 30)) == MARK_COLOUR and sent[0].getpixel((100, 60)) == (128, 128, 128)
    assert sent[1].getpixel((100, 60)) == MARK_COLOUR and sent[1].getpixel((20, 30)) == (128, 128, 128)
    samples = tmp_path / "samples.jsonl"
    samples.write_text(__import__("json").dumps(sample) + "\n")
    for reply, accuracy in (("Point B.", 1.0), ("Image 2", 1.0), ("A", 0.0), ("A or B", 0.0)):
        summary = evaluate(samples, lambda request, said=reply: said, tmp_path / f"eval-{accuracy}-{len(reply)}",
                           cache=False, reports=False, freeform_matcher="off")
        assert summary.accuracy == accuracy, reply
