"""`model_image_size` in eval: pixel boxes and points read in the frame of the resized image the
model saw, scaled back as the rewards scale them (`veriscene.evaluate.model_frame`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.evaluate.model_frame import check_model_image_size, parse_size_text
from veriscene.evaluate.runner import evaluate
from veriscene.rewards.truth import GroundTruth

from tests.evaluate.conftest import samples

GOLD = [384.0, 15.0, 449.0, 80.0]  # in the 480x360 original
SEEN = [768, 30, 898, 160]  # the same box in the 960x720 image the model saw


def _pixel_box_run(demo_run: Path, tmp_path: Path) -> Path:
    """A samples file of one open box question asked in pixels of a 480x360 image."""
    record = dict(samples(demo_run)[0])
    record.update(id="box", question="Give the bounding box of the square. Answer with [x0, y0, x1, y1] in pixels.",
                  answer=GOLD, answer_type="box", choices=None,
                  meta={"mode": "qa", "box_format": "pixel", "image_size": [480, 360]},
                  images=[{**im, "path": str(demo_run / im["path"])} for im in record["images"]][:1])
    path = tmp_path / "samples.jsonl"
    path.write_bytes(orjson.dumps(record) + b"\n")
    return path


def _replies(tmp_path: Path, box: list[int]) -> Path:
    path = tmp_path / "replies.jsonl"
    path.write_bytes(orjson.dumps({"id": "box", "reply": f"[{', '.join(str(v) for v in box)}]"}) + b"\n")
    return path


def _eval(samples_path: Path, replies: Path, out: Path, **kwargs: Any) -> Any:
    return evaluate(samples_path, f"replay:{replies}", out, freeform="off", cache=False, reports=True, **kwargs)


def test_a_box_right_in_the_resized_frame_scores_as_right(demo_run: Path, tmp_path: Path) -> None:
    run = _pixel_box_run(demo_run, tmp_path)
    replies = _replies(tmp_path, SEEN)
    read_as_given = _eval(run, replies, tmp_path / "as_given")
    assert read_as_given.accuracy == 0.0  # read in original pixels: far off
    rescaled = _eval(run, replies, tmp_path / "rescaled", model_image_size=(960, 720))
    assert rescaled.accuracy == 1.0
    assert rescaled.summary["settings"]["model_image_size"] == [960, 720]
    assert read_as_given.summary["settings"]["model_image_size"] is None
    assert "| model image size | 960x720" in (tmp_path / "rescaled" / "report.md").read_text(encoding="utf-8")
    # the same number a reward gives for the same reply and size
    truth = GroundTruth.from_sample(orjson.loads(run.read_bytes()))
    record = orjson.loads((tmp_path / "rescaled" / "results.jsonl").read_bytes())
    assert record["score"] == truth.score(record["reply"], model_image_size=(960, 720)).score
    assert record["parsed"] == [384.0, 15.0, 449.0, 80.0]


def test_a_box_in_original_pixels_is_wrong_when_the_model_saw_another_size(demo_run: Path, tmp_path: Path) -> None:
    run = _pixel_box_run(demo_run, tmp_path)
    replies = _replies(tmp_path, [int(v) for v in GOLD])
    assert _eval(run, replies, tmp_path / "as_given").accuracy == 1.0
    assert _eval(run, replies, tmp_path / "rescaled", model_image_size=(960, 720)).accuracy == 0.0


def test_a_function_of_the_original_size_gives_the_frame(demo_run: Path, tmp_path: Path) -> None:
    run = _pixel_box_run(demo_run, tmp_path)
    asked: list[tuple[int, int]] = []

    def doubled(width: int, height: int) -> tuple[int, int]:
        asked.append((width, height))
        return width * 2, height * 2

    result = _eval(run, _replies(tmp_path, SEEN), tmp_path / "fn", model_image_size=doubled)
    assert result.accuracy == 1.0 and asked == [(480, 360)]
    assert result.summary["settings"]["model_image_size"].startswith("function ")


def test_a_resumed_run_scores_its_kept_replies_in_the_frame_given_now(demo_run: Path, tmp_path: Path) -> None:
    run = _pixel_box_run(demo_run, tmp_path)
    replies = _replies(tmp_path, SEEN)
    assert _eval(run, replies, tmp_path / "out").accuracy == 0.0
    again = _eval(run, replies, tmp_path / "out", model_image_size=[960, 720])
    assert again.accuracy == 1.0 and again.counts["resumed"] == 1


def test_normalised_boxes_are_scored_as_without_it(demo_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "samples.jsonl"
    boxes = [s for s in samples(demo_run) if s["answer_type"] == "box" and not s.get("choices")][:1]
    assert boxes and boxes[0]["meta"]["box_format"] == "norm1"
    sample = {**boxes[0], "images": [{**im, "path": str(demo_run / im["path"])} for im in boxes[0]["images"]]}
    run.write_bytes(orjson.dumps(sample) + b"\n")
    w, h = sample["meta"]["image_size"]
    x0, y0, x1, y1 = sample["answer"]
    replies = tmp_path / "replies.jsonl"
    replies.write_bytes(orjson.dumps({"id": sample["id"], "reply": f"[{x0 / w:.3f}, {y0 / h:.3f}, {x1 / w:.3f}, "
                                                                  f"{y1 / h:.3f}]"}) + b"\n")
    assert _eval(run, replies, tmp_path / "a", model_image_size=(17, 900)).accuracy == 1.0


@pytest.mark.parametrize("value", [(0, 10), "640", [1, 2, 3], "big", True])
def test_a_bad_size_is_refused_naming_the_option(value: Any) -> None:
    with pytest.raises((ValueError, TypeError), match="model_image_size"):
        check_model_image_size(value)


def test_the_cli_option(demo_run: Path, tmp_path: Path) -> None:
    run = _pixel_box_run(demo_run, tmp_path)
    replies = _replies(tmp_path, SEEN)
    runner = CliRunner()
    result = runner.invoke(app, ["eval", str(run), "--model", f"replay:{replies}", "--out", str(tmp_path / "o"),
                                 "--freeform", "off", "--no-cache", "--model-image-size", "960x720"])
    assert result.exit_code == 0, result.output
    assert orjson.loads((tmp_path / "o" / "summary.json").read_bytes())["overall"]["accuracy"] == 1.0
    bad = runner.invoke(app, ["eval", str(run), "--model", f"replay:{replies}", "--out", str(tmp_path / "p"),
                              "--model-image-size", "960"])
    assert bad.exit_code != 0 and "--model-image-size must be WIDTHxHEIGHT" in bad.output
    assert not (tmp_path / "p").exists()
    assert parse_size_text("644 x 476") == (644, 476)
