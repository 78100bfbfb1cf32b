"""Runs given generator options (`generate --set`, `generator_options=`): their samples, the manifest,
resume, the reproduction command, verify, and the mixture and -g beside them."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from veriscene import generate
from veriscene.cli import app
from veriscene.engine.manifest import ResumeMismatchError, read_manifest
from veriscene.engine.reproduce import generate_command
from veriscene.engine.runfiles import iter_sample_lines
from veriscene.generators.generator_options import GeneratorOptionError
from veriscene.option_names import cli_names
from veriscene.verify import verify

SELECTION = "depth.points,depth.closer,object.count"
MARKS = {"depth.points": {"marks": True}}


def samples(run: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in iter_sample_lines(run)]


def config(run: Path) -> dict[str, Any]:
    manifest = read_manifest(run)
    assert manifest is not None
    return manifest["config"]


def test_an_option_changes_the_samples_and_is_recorded(tmp_path: Path, scenes_file: Path) -> None:
    plain, marked = tmp_path / "plain", tmp_path / "marked"
    generate(scenes_file, plain, generators=SELECTION)
    generate(scenes_file, marked, generators=SELECTION, generator_options=MARKS)
    points = [s for s in samples(marked) if s["task"] == "depth.points.v1"]
    assert points and all(s["answer_type"] == "str" and s["images"][0]["marks"] for s in points)
    assert all(s["answer_type"] == "point" for s in samples(plain) if s["task"] == "depth.points.v1")
    # the other generators' samples are those of the run without the option
    others = [s for s in samples(plain) if s["task"] != "depth.points.v1"]
    assert others == [s for s in samples(marked) if s["task"] != "depth.points.v1"]
    recorded = config(marked)
    assert recorded["generator_options"] == {"depth.points.v1": {"marks": True}}
    assert recorded["generators"]["depth.points.v1"]["config"]["marks"] is True
    assert "generator_options" not in config(plain)  # recorded only when given: other runs keep their key
    assert verify(marked).ok


def test_refused_before_any_work(tmp_path: Path, scenes_file: Path) -> None:
    out = tmp_path / "run"
    cases: list[tuple[Any, type[Exception]]] = [
        ({"depth.points": {"marks": 1}}, GeneratorOptionError),
        ({"depth.map_points": {"marks": True}}, GeneratorOptionError),  # not selected
        ({"nothing.here": {"marks": True}}, KeyError),
        ({"depth.points": True}, TypeError)]
    for options, error in cases:
        with pytest.raises(error):
            generate(scenes_file, out, generators=SELECTION, generator_options=options)
        assert not out.exists()


def test_they_win_over_the_mixture_s_config_and_per_scene(tmp_path: Path, scenes_file: Path) -> None:
    mixture = tmp_path / "mix.yaml"
    mixture.write_text("default_weight: 0\ngenerators:\n  depth.points.v1: {weight: 1, config: {marks: true, "
                       "num_choices: 3}}\n  object.count.v1: 1\n")
    out = tmp_path / "run"
    generate(scenes_file, out, mixture=mixture, per_scene=2,
             generator_options={"depth.points": {"marks": False}, "object.count": {"per_scene": 3}})
    recorded = config(out)["generators"]
    points = recorded["depth.points.v1"]["config"]
    assert (points["marks"], points["num_choices"], points["per_scene"]) == (False, 3, 2)
    assert recorded["object.count.v1"]["config"]["per_scene"] == 3
    assert config(out)["mixture"]["configs"] == {"depth.points.v1": {"marks": True, "num_choices": 3}}
    assert all(s["answer_type"] == "point" for s in samples(out) if s["task"] == "depth.points.v1")
    # a generator the mixture leaves out (weight 0) takes none; per_scene beside a budget is refused
    with pytest.raises(GeneratorOptionError, match="not among the run's generators"):
        generate(scenes_file, tmp_path / "r2", mixture=mixture, generator_options={"depth.closer": {"num_choices": 3}})
    mixture.write_text("budget: 8\ndefault_weight: 0\ngenerators:\n  object.count.v1: 1\n")
    with pytest.raises(GeneratorOptionError, match="per_scene has no effect with the mixture's budget"):
        generate(scenes_file, tmp_path / "r3", mixture=mixture, generator_options={"object.count": {"per_scene": 2}})


def test_a_resume_with_other_options_is_refused_naming_the_run_s(tmp_path: Path, scenes_file: Path) -> None:
    out = tmp_path / "run"
    generate(scenes_file, out, generators=SELECTION, generator_options=MARKS, shard_size=4)
    resumed = generate(scenes_file, out, generators=SELECTION, resume=True, shard_size=4,
                       generator_options={"depth.points.v1": {"marks": True}})  # the same, named otherwise
    assert any("the run had finished" in note for note in resumed.notes)
    for other in (None, {"depth.points": {"marks": False}}):
        with pytest.raises(ResumeMismatchError) as caught:
            generate(scenes_file, out, generators=SELECTION, resume=True, shard_size=4, generator_options=other)
        message = str(caught.value)
        assert "generators.depth.points.v1.config.marks: True -> False" in message
        assert "the run's generator options: generator_options={'depth.points.v1': {'marks': True}})" in message
        with cli_names(), pytest.raises(ResumeMismatchError) as caught:  # the CLI's user: the --set to give again
            generate(scenes_file, out, generators=SELECTION, resume=True, shard_size=4, generator_options=other)
        assert "the run's generator options: --set depth.points.v1.marks=true)" in str(caught.value)


def test_the_reproduction_command_repeats_them(tmp_path: Path, scenes_file: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    generate(scenes_file, out, generators=SELECTION, per_scene=2, seed=3,
             generator_options={"depth.*": {"marks": True, "min_depth_gap": 0.1}, "object.count": {"per_scene": 1}})
    manifest = read_manifest(out)
    assert manifest is not None
    again = generate_command(manifest, out)
    assert again.notes == []
    assert again.argv[again.argv.index("--per-scene"):] == [
        "--per-scene", "2", "--set", "depth.closer.v1.min_depth_gap=0.1", "--set", "depth.points.v1.marks=true",
        "--set", "depth.points.v1.min_depth_gap=0.1", "--set", "object.count.v1.per_scene=1"]
    # the command, run from the folder holding the run, makes the same samples
    monkeypatch.chdir(tmp_path)
    argv = [a if a != "OUT" else "again" for a in again.argv[1:]]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "again" / "samples.jsonl").read_bytes() == (out / "samples.jsonl").read_bytes()
    assert config(tmp_path / "again")["generator_options"] == config(out)["generator_options"]
    assert shlex.split(again.command) == again.argv


def test_the_cli_sets_what_python_sets(tmp_path: Path, scenes_file: Path) -> None:
    generate(scenes_file, tmp_path / "api", generators=SELECTION, generator_options=MARKS)
    result = CliRunner().invoke(app, ["generate", str(scenes_file), "--out", str(tmp_path / "cli"), "-g", SELECTION,
                                      "--set", "depth.points.marks=true"])
    assert result.exit_code == 0, result.output
    assert [s["id"] for s in samples(tmp_path / "cli")] == [s["id"] for s in samples(tmp_path / "api")]
    assert CliRunner().invoke(app, ["verify", str(tmp_path / "cli")]).exit_code == 0


@pytest.mark.parametrize(("given", "said"), [
    (["depth.points.marks=maybe"], "error: generator option depth.points.marks: must be bool like the default "
     "False, got 'maybe'"),
    (["depth.points.mark=true"], "error: generator option depth.points.mark: depth.points.v1 has no option 'mark' "
     "(did you mean 'marks'?)"),
    (["depth.map_points.marks=true"], "error: generator option depth.map_points.marks: depth.map_points.v1 is not "
     "among the run's generators"),
    (["depth.points"], "error: --set 'depth.points': give NAME.OPTION=VALUE"),
    (["depht.points.marks=true"], "error: generator option depht.points.marks: unknown generator or family "
     "'depht.points'; did you mean depth.points.v1"),
])
def test_the_cli_says_one_error_line_and_exits_2(tmp_path: Path, scenes_file: Path, given: list[str],
                                                 said: str) -> None:
    out = tmp_path / "run"
    args = [a for text in given for a in ("--set", text)]
    result = CliRunner().invoke(app, ["generate", str(scenes_file), "--out", str(out), "-g", SELECTION, *args])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and " ".join(lines[0].split()).startswith(said), result.output
    assert not out.exists()
