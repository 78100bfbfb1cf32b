"""`model_image_size` in eval: pixel boxes and points read in the frame of the resized image the
model saw, scaled back as the rewards scale them (`veriscene.evaluate.model_frame`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.evaluate.model_frame import (
    check_model_image_size,
    for_model,
    model_names,
    parse_size_options,
    parse_size_text,
)
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


def test_a_mapping_gives_each_model_its_own_size(demo_run: Path, tmp_path: Path) -> None:
    run = _pixel_box_run(demo_run, tmp_path)
    replies = _replies(tmp_path, SEEN)  # replay:.../replies.jsonl: named by the file name too
    sizes = {"qwen": (644, 476), "replies.jsonl": (960, 720)}
    result = _eval(run, replies, tmp_path / "named", model_image_size=sizes)
    assert result.accuracy == 1.0 and result.summary["settings"]["model_image_size"] == [960, 720]
    # None: that model answers in the original pixels; "*": every model not named
    assert _eval(run, replies, tmp_path / "original", model_image_size={"replies.jsonl": None, "*": (960, 720)}
                 ).accuracy == 0.0
    assert _eval(run, replies, tmp_path / "every", model_image_size={"qwen": (644, 476), "*": "960x720"}
                 ).accuracy == 1.0


def test_a_model_the_mapping_does_not_name_is_refused_before_anything_is_written(demo_run: Path,
                                                                                  tmp_path: Path) -> None:
    run = _pixel_box_run(demo_run, tmp_path)
    with pytest.raises(ValueError, match=r"none for this run's model 'replay:.*'replies\.jsonl': None"):
        _eval(run, _replies(tmp_path, SEEN), tmp_path / "out", model_image_size={"qwen": (644, 476)})
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("model", "expected"), [
    ("openai:Qwen/Qwen2.5-VL-7B-Instruct", ("openai:Qwen/Qwen2.5-VL-7B-Instruct", "Qwen/Qwen2.5-VL-7B-Instruct",
                                            "Qwen2.5-VL-7B-Instruct")),
    ("hf:/models/internvl/", ("hf:/models/internvl/", "/models/internvl/", "models/internvl", "internvl")),
    ("hf:/ckpt/run1/final", ("hf:/ckpt/run1/final", "/ckpt/run1/final", "ckpt/run1/final", "run1/final", "final")),
    ("openai:gpt-4o", ("openai:gpt-4o", "gpt-4o")),
])
def test_the_names_a_model_goes_by(model: str, expected: tuple[str, ...]) -> None:
    assert model_names(model) == expected


def test_a_function_model_goes_by_its_name() -> None:
    def my_model(request: Any) -> str:
        return ""

    assert for_model({"my_model": (10, 20)}, my_model) == (10, 20)


def test_two_entries_naming_one_model_must_agree() -> None:
    spec = "openai:Qwen/Qwen2.5-VL-7B-Instruct"
    agreeing = check_model_image_size({"Qwen2.5-VL-7B-Instruct": (644, 476), spec: [644, 476]})
    assert for_model(agreeing, spec) == (644, 476)
    with pytest.raises(ValueError, match=r"two sizes \(openai:Qwen/Qwen2.5-VL-7B-Instruct=448x448, "
                                         r"Qwen2.5-VL-7B-Instruct=644x476\)"):
        for_model({"Qwen2.5-VL-7B-Instruct": (644, 476), spec: (448, 448)}, spec)


def test_models_of_one_last_path_component_are_told_apart_by_the_components_before() -> None:
    # two checkpoints named "final": each by the end of its path, not the other's size hinted at
    sizes = parse_size_options(["run1/final=644x476", "run2/final=320x240"])
    assert for_model(sizes, "hf:/ckpt/run1/final") == (644, 476)
    assert for_model(sizes, "hf:/ckpt/run2/final") == (320, 240)
    with pytest.raises(ValueError, match=r"two sizes \(run1/final=644x476, final=320x240\)"):
        for_model(parse_size_options(["run1/final=644x476", "final=320x240"]), "hf:/ckpt/run1/final")


def test_original_is_said_in_python_as_on_the_cli() -> None:
    # model_image_size={"m": "original"} is the CLI's m=original: that model answers in original pixels
    assert check_model_image_size({"m": "original", "*": "644x476"}) == {"m": None, "*": (644, 476)}
    assert check_model_image_size(" Original ") is None
    assert for_model(check_model_image_size({"m": "original", "*": (1, 2)}), "openai:m") is None


def test_a_misspelt_name_is_hinted_at() -> None:
    with pytest.raises(ValueError, match=r"\('Qwen2.5-VL-7B-Instruct' given is close: is it this model, "
                                         r"'qwen2.5-vl-7b-instruct', misspelt\?\): add --model-image-size "
                                         r"qwen2.5-vl-7b-instruct=WIDTHxHEIGHT"):
        for_model({"Qwen2.5-VL-7B-Instruct": (644, 476)}, "openai:qwen2.5-vl-7b-instruct", "--model-image-size")


@pytest.mark.parametrize(("value", "message"), [
    ({}, "names no model"),
    ({"": (1, 2)}, "a model name must be a non-empty str"),
    ({"qwen": (0, 2)}, r"model_image_size\['qwen'\] must be"),
    ({"qwen": "big"}, r"model_image_size\['qwen'\] must be WIDTHxHEIGHT"),
])
def test_a_bad_mapping_is_refused_naming_the_entry(value: Any, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        check_model_image_size(value)


def test_the_cli_texts() -> None:
    assert parse_size_options([]) is None
    assert parse_size_options(["644x476"]) == (644, 476)  # the one-size form, as before
    assert parse_size_options(["qwen=644x476", "gpt-4o=original", "448x448"]) == {
        "qwen": (644, 476), "gpt-4o": None, "*": (448, 448)}
    assert parse_size_options(["a=b=1x2"]) == {"a=b": (1, 2)}  # (the size is after the last '=')


@pytest.mark.parametrize(("texts", "message"), [
    (["qwen=1x2", "qwen=3x4"], "gives the size of model 'qwen' twice"),
    (["1x2", "3x4"], "gives the size of every model .* twice"),
    (["=3x4"], "no model name before '='"),
    (["qwen=big"], "'qwen=big': the size must be WIDTHxHEIGHT"),
])
def test_bad_cli_texts_are_refused_naming_the_text(texts: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_size_options(texts)


def test_the_cli_takes_a_size_per_model(demo_run: Path, tmp_path: Path) -> None:
    run = _pixel_box_run(demo_run, tmp_path)
    replies = _replies(tmp_path, SEEN)
    runner = CliRunner()
    sizes = ["--model-image-size", "qwen=644x476", "--model-image-size", "replies.jsonl=960x720"]
    result = runner.invoke(app, ["eval", str(run), "--model", f"replay:{replies}", "--out", str(tmp_path / "o"),
                                 "--freeform", "off", "--no-cache", *sizes])
    assert result.exit_code == 0, result.output
    summary = orjson.loads((tmp_path / "o" / "summary.json").read_bytes())
    assert summary["overall"]["accuracy"] == 1.0 and summary["settings"]["model_image_size"] == [960, 720]
    missed = runner.invoke(app, ["eval", str(run), "--model", f"replay:{replies}", "--out", str(tmp_path / "p"),
                                 "--model-image-size", "qwen=644x476"])
    assert missed.exit_code == 2
    assert "none for this run's model" in missed.output and "replies.jsonl=original" in missed.output
    assert not (tmp_path / "p").exists()
