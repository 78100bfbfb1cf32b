"""The named size rules of `model_image_size` (`veriscene.evaluate.resize_rules`): Qwen2-VL's
resize checked against transformers' own over many sizes, a model folder's configuration read,
processors not understood refused naming the file and field."""

from __future__ import annotations

import functools
import itertools
from pathlib import Path
from typing import Any

import orjson
import pytest
from PIL import Image
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.evaluate.model_frame import (
    check_model_image_size,
    describe,
    for_model,
    parse_size_options,
    unstated_resize,
)
from veriscene.evaluate.resize_rules import ResizeRule, from_config, parse_rule, qwen2_vl
from veriscene.rewards.truth import GroundTruth

from tests.evaluate.test_model_frame import GOLD, _eval, _pixel_box_run, _replies


@functools.cache
def _transformers() -> tuple[Any, Any]:
    """transformers' Qwen2-VL image processor class and `smart_resize`. transformers is in the test
    extra (never skipped); imported here, on first use, not as the module is collected: importing
    it (and torch) was about 38% of each test worker's collection time (helper-272)."""
    try:  # transformers 5: the PIL backend, apart from the default one that needs torchvision
        from transformers.models.qwen2_vl import image_processing_pil_qwen2_vl as pil

        return pil.Qwen2VLImageProcessorPil, pil.smart_resize
    except ImportError:  # transformers 4: one processor, on PIL and numpy
        from transformers.models.qwen2_vl import image_processing_qwen2_vl as own

        return own.Qwen2VLImageProcessor, own.smart_resize


SIDES = [1, 3, 13, 14, 15, 27, 28, 29, 41, 42, 43, 55, 56, 57, 70, 99, 100, 111, 224, 333, 479, 480, 640, 1000,
         1023, 1080, 1920, 2048, 3584, 4000, 5000, 8192, 12000, 20000]
LIMITS = [(56 * 56, 16384 * 28 * 28, 28), (56 * 56, 1280 * 28 * 28, 28), (256 * 28 * 28, 1280 * 28 * 28, 28),
          (65536, 16777216, 32), (100, 1000, 10)]


def _theirs(width: int, height: int, min_pixels: int, max_pixels: int, factor: int) -> tuple[int, int]:
    h, w = _transformers()[1](height, width, factor=factor, min_pixels=min_pixels, max_pixels=max_pixels)
    return w, h


@pytest.mark.parametrize(("min_pixels", "max_pixels", "factor"), LIMITS)
def test_the_qwen2_vl_rule_is_transformers_over_many_sizes(min_pixels: int, max_pixels: int, factor: int) -> None:
    rule = qwen2_vl(min_pixels, max_pixels, factor)
    checked = 0
    for width, height in itertools.product(SIDES, SIDES):
        if max(width, height) / min(width, height) > 200:
            with pytest.raises(ValueError):
                _theirs(width, height, min_pixels, max_pixels, factor)
            with pytest.raises(ValueError, match=f"{width}x{height} is over 200 times as long as wide"):
                rule(width, height)
            continue
        assert rule(width, height) == _theirs(width, height, min_pixels, max_pixels, factor), (width, height)
        checked += 1
    assert checked > 600


def test_rounding_halves_and_thin_images_fall_as_transformers_lets_them() -> None:
    rule = qwen2_vl()
    # 42 = 1.5 * 28 rounds to 56 (2, even), 70 = 2.5 * 28 to 56 too (Python's halves to even)
    for width, height in [(42, 700), (70, 700), (98, 700), (4, 800), (30, 6000), (101, 20000), (20000, 101)]:
        assert rule(width, height) == _theirs(width, height, 56 * 56, 16384 * 28 * 28, 28)
    assert rule(70, 700) == (56, 700)


def test_the_rule_from_a_processor_saved_by_transformers_gives_the_size_it_resizes_to(tmp_path: Path) -> None:
    processor = _transformers()[0](min_pixels=1000, max_pixels=200_000)
    processor.save_pretrained(tmp_path)
    rule = from_config(tmp_path)
    assert isinstance(rule, ResizeRule) and (rule.min_pixels, rule.max_pixels, rule.factor) == (1000, 200_000, 28)
    for width, height in [(333, 77), (1920, 1080), (30, 30), (640, 4000)]:
        grid = processor(images=[Image.new("RGB", (width, height))])["image_grid_thw"][0]
        assert rule(width, height) == (int(grid[2]) * 14, int(grid[1]) * 14)
    assert str(rule) == f"qwen2-vl:min_pixels=1000,max_pixels=200000,factor=28 (from {tmp_path}/preprocessor_config.json)"


def _config(folder: Path, **fields: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "preprocessor_config.json").write_bytes(orjson.dumps(fields))
    return folder


def test_a_qwen_folder_s_own_limits_are_read(tmp_path: Path) -> None:
    # a Qwen2.5-VL folder as published: min_pixels / max_pixels beside the processor's fields
    folder = _config(tmp_path / "Qwen2.5-VL-7B-Instruct", image_processor_type="Qwen2VLImageProcessor",
                     min_pixels=3136, max_pixels=12845056, patch_size=14, merge_size=2)
    assert from_config(folder) == qwen2_vl()
    assert from_config(folder / "preprocessor_config.json") == qwen2_vl()  # the file itself
    # min_pixels / max_pixels before size, as the processor reads them; Qwen3-VL's patch of 16
    both = _config(tmp_path / "b", image_processor_type="Qwen2VLImageProcessorFast", min_pixels=5000,
                   size={"shortest_edge": 65536, "longest_edge": 16777216}, patch_size=16, merge_size=2)
    assert from_config(both) == qwen2_vl(5000, 16777216, 32)


def test_fixed_size_processors_give_their_size(tmp_path: Path) -> None:
    siglip = _config(tmp_path / "s", image_processor_type="SiglipImageProcessor", size={"height": 384, "width": 384})
    assert from_config(siglip) == (384, 384)
    kept = _config(tmp_path / "k", image_processor_type="CLIPImageProcessor", do_resize=False)
    assert from_config(kept) is None
    same_crop = _config(tmp_path / "c", image_processor_type="CLIPImageProcessor", do_center_crop=True,
                        size={"height": 336, "width": 448}, crop_size={"height": 336, "width": 448})
    assert from_config(same_crop) == (448, 336)


@pytest.mark.parametrize(("fields", "message"), [
    ({"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 336}, "do_center_crop": True,
      "crop_size": {"height": 336, "width": 336}}, "field 'do_center_crop' is true"),
    ({"image_processor_type": "LlavaNextImageProcessor", "image_grid_pinpoints": [[336, 672]]},
     "field 'image_processor_type' is 'LlavaNextImageProcessor'"),
    ({"image_processor_type": "SiglipImageProcessor", "size": {"shortest_edge": 384}}, "field 'size' is"),
    ({"image_processor_type": "Qwen2VLImageProcessor", "max_pixels": "lots"}, "field 'max_pixels' must be"),
    ({"image_processor_type": "Qwen2VLImageProcessor", "min_pixels": 9000, "max_pixels": 100},
     r"min_pixels \(9000\) is over max_pixels"),
    ({}, "field 'image_processor_type' is None"),
])
def test_a_processor_not_understood_is_refused_naming_the_file_and_field(tmp_path: Path, fields: dict[str, Any],
                                                                         message: str) -> None:
    folder = _config(tmp_path / "m", **fields)
    with pytest.raises(ValueError, match=message) as caught:
        from_config(folder)
    assert str(folder / "preprocessor_config.json") in str(caught.value)


def test_a_missing_or_unreadable_configuration_is_said(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such model folder or configuration file"):
        from_config(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no preprocessor_config.json"):
        from_config(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "preprocessor_config.json").write_text("{not json")
    with pytest.raises(ValueError, match="cannot read .*preprocessor_config.json as JSON"):
        from_config(tmp_path / "bad")
    # a processor saved whole by newer transformers: the image processor inside processor_config.json
    (tmp_path / "whole").mkdir()
    (tmp_path / "whole" / "processor_config.json").write_bytes(orjson.dumps(
        {"image_processor": {"image_processor_type": "Qwen2VLImageProcessor", "max_pixels": 1003520}}))
    assert from_config(tmp_path / "whole") == qwen2_vl(max_pixels=1003520)


def test_the_rule_texts() -> None:
    assert parse_rule("qwen2-vl", "--x") == qwen2_vl()
    assert parse_rule("Qwen2.5-VL", "--x") == qwen2_vl()  # one processor
    assert parse_rule("qwen2-vl:min_pixels=200704, max_pixels=1_003_520", "--x") == qwen2_vl(200704, 1003520)
    assert parse_size_options(["qwen=qwen2-vl:max_pixels=1003520", "gpt=original", "qwen2.5-vl"]) == {
        "qwen": qwen2_vl(max_pixels=1003520), "gpt": None, "*": qwen2_vl()}
    assert parse_size_options(["qwen2-vl:max_pixels=1003520"]) == qwen2_vl(max_pixels=1003520)  # every model's
    assert check_model_image_size({"m": "qwen2-vl", "*": "644x476"}) == {"m": qwen2_vl(), "*": (644, 476)}
    assert describe(qwen2_vl()) == "qwen2-vl:min_pixels=3136,max_pixels=12845056,factor=28"


@pytest.mark.parametrize(("text", "message"), [
    ("qwen2-vl:max=5", "'max=5' is no option of qwen2-vl; its options are min_pixels=N, max_pixels=N, factor=N"),
    ("qwen2-vl:max_pixels=big", "max_pixels must be a whole number of pixels, got 'big'"),
    ("qwen2-vl:max_pixels=5,max_pixels=6", "gives max_pixels twice"),
    ("qwen2-vl:min_pixels=10,max_pixels=5", r"min_pixels \(10\) is over max_pixels \(5\)"),
    ("qwen2-vl:factor=0", "factor must be a positive whole number"),
])
def test_bad_rule_texts_are_refused_naming_the_text(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_size_options([f"m={text}"])


def test_config_alone_reads_the_hf_model_s_folder(tmp_path: Path) -> None:
    folder = _config(tmp_path / "ckpt", image_processor_type="Qwen2VLImageProcessor", max_pixels=1003520)
    sizes = check_model_image_size({"ckpt": "config", "*": (1, 2)})
    assert for_model(sizes, f"hf:{folder}") == qwen2_vl(max_pixels=1003520)
    assert for_model(check_model_image_size("config"), f"hf:{folder}") == qwen2_vl(max_pixels=1003520)
    assert for_model(check_model_image_size(f"config:{folder}"), "openai:any") == qwen2_vl(max_pixels=1003520)
    with pytest.raises(ValueError, match="'config' reads the model folder of an hf:PATH model; the model "
                                         "'openai:qwen' is none: give config:/path/to/model"):
        for_model(check_model_image_size("config"), "openai:qwen")


def test_the_reward_takes_the_rule_as_eval_does() -> None:
    truth = GroundTruth.from_sample({"answer": GOLD, "answer_type": "box", "choices": None,
                                     "meta": {"box_format": "pixel", "image_size": [480, 360]}})
    seen = qwen2_vl(max_pixels=100_000)(480, 360)  # (364, 280): not the original's 4:3
    box = [round(GOLD[0] * seen[0] / 480), round(GOLD[1] * seen[1] / 360),
           round(GOLD[2] * seen[0] / 480), round(GOLD[3] * seen[1] / 360)]
    reply = str(box)
    by_rule = truth.score(reply, model_image_size="qwen2-vl:max_pixels=100000")
    assert by_rule.correct and by_rule == truth.score(reply, model_image_size=seen)
    assert truth.score(reply, model_image_size=qwen2_vl(max_pixels=100_000)) == by_rule  # the rule as a function
    assert not truth.score(reply).correct  # read in the original's pixels
    with pytest.raises(ValueError, match="a reward has none: give config:/path/to/model"):
        truth.score(reply, model_image_size="config")


def test_eval_scores_in_the_frame_the_rule_gives(demo_run: Path, tmp_path: Path) -> None:
    run = _pixel_box_run(demo_run, tmp_path)
    seen = qwen2_vl(max_pixels=100_000)(480, 360)
    replies = _replies(tmp_path, [round(v * seen[i % 2] / (480, 360)[i % 2]) for i, v in enumerate(GOLD)])
    result = _eval(run, replies, tmp_path / "py", model_image_size={"replies.jsonl": "qwen2-vl:max_pixels=100000"})
    assert result.accuracy == 1.0
    assert result.summary["settings"]["model_image_size"] == "qwen2-vl:min_pixels=3136,max_pixels=100000,factor=28"
    assert _eval(run, replies, tmp_path / "orig", model_image_size=None).accuracy == 0.0
    cli = CliRunner().invoke(app, ["eval", str(run), "--model", f"replay:{replies}", "--out", str(tmp_path / "o"),
                                   "--freeform", "off", "--no-cache",
                                   "--model-image-size", "replies.jsonl=qwen2-vl:max_pixels=100000"])
    assert cli.exit_code == 0, cli.output
    assert orjson.loads((tmp_path / "o" / "summary.json").read_bytes())["overall"]["accuracy"] == 1.0
    bare = CliRunner().invoke(app, ["eval", str(run), "--model", f"replay:{replies}", "--out", str(tmp_path / "p"),
                                    "--model-image-size", "config"])
    assert bare.exit_code == 2 and "reads the model folder of an hf:PATH model" in bare.output
    assert not (tmp_path / "p").exists()


def test_an_hf_model_whose_processor_resizes_is_said_when_no_size_is_given(demo_run: Path, tmp_path: Path) -> None:
    folder = _config(tmp_path / "qwen", image_processor_type="Qwen2VLImageProcessor", max_pixels=1003520)
    assert unstated_resize(f"hf:{folder}") == (
        f"the processor of hf:{folder} resizes images (qwen2-vl:min_pixels=3136,max_pixels=1003520,factor=28 (from "
        f"{folder}/preprocessor_config.json)): pixel boxes and points in its replies are read in the original "
        "image's pixels; give model_image_size='config' to read them in the frame the model saw "
        "(model_image_size='original' to keep them as they are and silence this)")  # (Python's names)
    kept = _config(tmp_path / "kept", image_processor_type="CLIPImageProcessor", do_resize=False)
    assert unstated_resize(f"hf:{kept}") is None  # the original size: nothing to say
    assert unstated_resize(f"hf:{tmp_path / 'nowhere'}") is None and unstated_resize("openai:qwen") is None
    run = _pixel_box_run(demo_run, tmp_path)
    said = CliRunner().invoke(app, ["eval", str(run), "--model", f"hf:{folder}", "--out", str(tmp_path / "o")])
    assert said.exit_code != 0 and "no config.json" in said.output  # (no weights: the warning came before)
    assert "resizes images" in said.output and "--model-image-size config" in said.output
    quiet = CliRunner().invoke(app, ["eval", str(run), "--model", f"hf:{folder}", "--out", str(tmp_path / "p"),
                                     "--model-image-size", "original"])
    assert "resizes images" not in quiet.output


def test_an_hf_model_whose_processor_crops_or_is_unknown_is_said_when_no_size_is_given(tmp_path: Path) -> None:
    """A processor whose resize no size undoes (a centre crop: CLIP, LLaVA-1.5; tiles; an unknown type)
    is the one whose pixel answers are most off: said, with the reason read from its file."""
    cropped = _config(tmp_path / "clip", image_processor_type="CLIPImageProcessor", do_center_crop=True,
                      size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336})
    said = unstated_resize(f"hf:{cropped}")
    assert said is not None and said.startswith(f"the processor of hf:{cropped} cannot be undone here")
    assert "'do_center_crop' is true" in said and "model_image_size='original'" in said
    tiled = _config(tmp_path / "next", image_processor_type="LlavaNextImageProcessor")
    said = unstated_resize(f"hf:{tiled}")
    assert said is not None and "'LlavaNextImageProcessor'" in said
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "preprocessor_config.json").write_text("{not json")
    said = unstated_resize(f"hf:{broken}")
    assert said is not None and "cannot read" in said
    assert unstated_resize(f"hf:{tmp_path / 'nowhere'}") is None  # no folder, no file: nothing read, nothing said
    empty = tmp_path / "empty"
    empty.mkdir()
    assert unstated_resize(f"hf:{empty}") is None
