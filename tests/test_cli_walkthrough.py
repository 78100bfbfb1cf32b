"""What a new user met following the README on the command line: options refused before any work
(eval --freeform, view --port, annotate's usage errors, demo --seed), exit codes, the missing
images of `generate --to`."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.commands.evaluate import FREEFORM_CHOICES
from veriscene.demo.world import iter_scene_graphs
from veriscene.io.convert import ConvertSummary
from veriscene.scene import write_scenes
from veriscene.viewer.server import check_port

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def no_evaluation(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """`veriscene.evaluate.evaluate` replaced: records its keyword arguments, then stops the command."""
    calls: list[dict[str, Any]] = []

    def evaluate(*args: Any, **kwargs: Any) -> None:
        calls.append(kwargs)
        raise ValueError("stopped by the test")

    monkeypatch.setattr("veriscene.evaluate.evaluate", evaluate)
    return calls


@pytest.mark.parametrize("value, hint", [("xx", ""), ("lexcal", "did you mean 'lexical'?"), ("OFF", "")])
def test_eval_refuses_an_unknown_freeform_matcher_before_any_request(tmp_path: Path, no_evaluation: list,
                                                                     value: str, hint: str) -> None:
    result = runner.invoke(app, ["eval", str(tmp_path / "nowhere.jsonl"), "--model", "replay:r.jsonl",
                                 "--out", str(tmp_path / "o"), "--freeform", value])
    assert result.exit_code == 2 and no_evaluation == []
    assert f"--freeform-matcher: unknown value {value!r}" in flat(result.output)
    assert "choose one of auto, minilm, lexical, off" in flat(result.output) and hint in flat(result.output)


@pytest.mark.parametrize("value", FREEFORM_CHOICES)
def test_eval_takes_every_freeform_value_its_help_lists(tmp_path: Path, no_evaluation: list, value: str) -> None:
    samples = tmp_path / "samples.jsonl"
    samples.write_text("")
    result = runner.invoke(app, ["eval", str(samples), "--model", "replay:r.jsonl", "--out", str(tmp_path / "o"),
                                 "--freeform", value])
    assert "stopped by the test" in result.output and [c["freeform_matcher"] for c in no_evaluation] == [value]
    assert value in flat(runner.invoke(app, ["eval", "--help"]).output)


def test_score_freeform_refuses_an_unknown_matcher(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score-freeform", str(tmp_path / "r.jsonl"), "--scenes", str(tmp_path / "s.jsonl"),
                                 "--matcher", "off"])
    assert result.exit_code == 2 and "--freeform-matcher: unknown value 'off'" in flat(result.output)


@pytest.mark.parametrize("port", ["99999", "65536", "-1"])
def test_view_refuses_a_port_outside_0_to_65535(tmp_path: Path, port: str) -> None:
    result = runner.invoke(app, ["view", str(tmp_path), "--port", port])
    assert result.exit_code == 2 and "--port" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("port, ok", [(0, True), (65535, True), (65536, False), (99999, False), (-1, False),
                                      (True, False)])
def test_check_port(port: int, ok: bool) -> None:
    if ok:
        assert check_port(port) == port
    else:
        with pytest.raises(ValueError, match="port must be an integer from 0 .* to 65535"):
            check_port(port)


@pytest.fixture
def images(tmp_path: Path) -> Path:
    folder = tmp_path / "imgs"
    folder.mkdir()
    Image.new("RGB", (8, 8), "red").save(folder / "a.png")
    return folder


@pytest.mark.parametrize("args, said", [
    ([], "give one detector"),
    (["--detector", "d", "--detector-model", "m", "--base-url", "http://x"], "give one detector"),
    (["--detector-model", "m", "--base-url", "http://x", "--box-format", "weird"], "unknown --box-format 'weird'"),
    (["--detector-model", "m"], "need --base-url"),
    # a URL no request could go to: exit 1 after the models were set up, before (eval said it with exit 2)
    (["--detector-model", "m", "--base-url", "localhost:8000"],
     "--base-url must be an http(s) URL like http://localhost:8000/v1, got 'localhost:8000'"),
    (["--detector-model", "m", "--base-url", "http://x", "--backend", "ray", "--address", ":6379"],
     "address ':6379' is not a Ray cluster address"),  # exit 1 before, once Ray had started
])
def test_annotate_usage_errors_exit_2(tmp_path: Path, images: Path, args: list[str], said: str) -> None:
    result = runner.invoke(app, ["annotate", str(images), "--out", str(tmp_path / "s.jsonl"), *args])
    assert result.exit_code == 2 and said in flat(result.output)


@pytest.mark.parametrize("written, code", [(0, 1), (1, 0)])
def test_annotate_that_writes_no_scene_exits_1(tmp_path: Path, images: Path, monkeypatch: pytest.MonkeyPatch,
                                               written: int, code: int) -> None:
    def annotate(*args: Any, **kwargs: Any) -> ConvertSummary:
        return ConvertSummary(input=str(images), output=str(tmp_path / "s.jsonl"), rejects="rejects.jsonl",
                              format="images", format_detected=False, detection_reason=None, scenes_read=3,
                              scenes_written=written, scenes_rejected=3 - written, rejected=3 - written,
                              boxes_clipped=0)

    monkeypatch.setattr("veriscene.annotate.annotate", annotate)
    result = runner.invoke(app, ["annotate", str(images), "--out", str(tmp_path / "s.jsonl"), "--detector", "d"])
    assert result.exit_code == code
    said = "no scene written: all 3 image(s) were rejected (reasons in rejects.jsonl)"
    assert (said in flat(result.output)) == (code == 1)


@pytest.mark.parametrize("seed", ["-1", str(2**64)])
def test_demo_refuses_a_seed_outside_0_to_2_64(tmp_path: Path, seed: str) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "d"), "--scenes", "1", "--seed", seed])
    assert result.exit_code == 2 and "--seed" in result.output and not (tmp_path / "d").exists()


@pytest.fixture
def imageless_scenes(tmp_path: Path) -> Path:
    """Two demo scene graphs whose images were never rendered."""
    path = tmp_path / "in" / "scenes.jsonl"
    path.parent.mkdir()
    write_scenes(iter_scene_graphs(2, seed=1), path)
    return path


def test_generate_takes_negative_seeds_as_seeds_of_their_own(tmp_path: Path, imageless_scenes: Path) -> None:
    """The README's "seed is a 64-bit integer" is signed or not (`engine.options.SEED_RANGE`):
    -1 and 2^64-1 are two runs, not one."""
    made = {}
    for seed in ("-1", str(2**64 - 1)):
        out = tmp_path / f"run{seed}"
        result = runner.invoke(app, ["generate", str(imageless_scenes), "--out", str(out), "--seed", seed,
                                     "-g", "counting"])
        assert result.exit_code == 0, result.output
        made[seed] = (out / "samples.jsonl").read_bytes()
    assert made["-1"] != made[str(2**64 - 1)]
    result = runner.invoke(app, ["generate", str(imageless_scenes), "--out", str(tmp_path / "o"), "--seed",
                                 str(2**64)])
    assert result.exit_code == 2 and "seed must be at most 18446744073709551615" in result.output


def test_generate_to_says_the_missing_images_as_export_does(tmp_path: Path, imageless_scenes: Path) -> None:
    result = runner.invoke(app, ["generate", str(imageless_scenes), "--out", str(tmp_path / "run"), "-g", "counting",
                                 "--to", "llava"])
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    assert "2 referenced image(s) not found (the export was written" in text
    assert str(tmp_path / "in" / "images" / "demo-000000.png") in text
    exported = runner.invoke(app, ["export", str(tmp_path / "run"), "--to", "llava", "--out", str(tmp_path / "l.json")])
    assert "2 referenced image(s) not found (the export was written" in flat(exported.output)


@pytest.mark.parametrize("signal_name, status", [("KeyboardInterrupt", 130), ("Terminated", 143)])
def test_generate_to_stopped_in_its_export_says_the_run_is_complete(
        tmp_path: Path, imageless_scenes: Path, monkeypatch: pytest.MonkeyPatch, signal_name: str, status: int) -> None:
    from veriscene.engine.interrupts import Terminated

    def stopped(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt() if signal_name == "KeyboardInterrupt" else Terminated(15)

    monkeypatch.setattr("veriscene.io.export.export", stopped)
    out = tmp_path / "run"
    result = runner.invoke(app, ["generate", str(imageless_scenes), "--out", str(out), "-g", "counting",
                                 "--to", "llava"])
    assert result.exit_code == status, result.output
    said = "interrupted (Ctrl-C)" if status == 130 else "stopped by SIGTERM"
    where = out / "export" / "llava"
    assert (f"{said}: the run in {out} is complete, but its export to {where} did not finish; make it with: "
            f"veriscene export {out} --to llava --out {where}") in flat(result.output)
    assert "Traceback" not in result.output
    assert (out / "samples.jsonl").is_file()  # the run itself is kept


def test_generate_to_a_url_whose_upload_is_refused_exits_2_with_the_reason(
        tmp_path: Path, imageless_scenes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from veriscene.engine import remote
    from veriscene.engine.run_lock import RunLockedError

    def refused(run_dir: Any, url: str, *args: Any, **kwargs: Any) -> int:
        raise RunLockedError(f"{url} is being written by another veriscene run (pid 4242 on host-b)")

    engine_generate = importlib.import_module("veriscene.engine.generate")  # the module, not the function
    real_generate = engine_generate.generate

    def local_generate(scenes: Any, out: Any, **kwargs: Any) -> Any:  # the run itself made locally
        kwargs.pop("staging", None)
        return real_generate(scenes, tmp_path / "staged", **kwargs)

    monkeypatch.setattr(engine_generate, "generate", local_generate)
    monkeypatch.setattr(remote, "upload_run", refused)
    result = runner.invoke(app, ["generate", str(imageless_scenes), "--out", "s3://bucket/run", "-g", "counting",
                                 "--to", "llava"])
    assert result.exit_code == 2, result.output
    assert "s3://bucket/run is being written by another veriscene run (pid 4242 on host-b)" in flat(result.output)
    assert "Traceback" not in result.output
