"""`demo --set NAME.OPTION=VALUE` (`run_demo(generator_options=...)`): the generators' options, as
`generate` takes them, parsed by the same code, checked before the world is rendered."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.demo.pipeline import run_demo
from veriscene.generators.generator_options import GeneratorOptionError


def _choices(out: Path) -> set[int]:
    """How many choices the run's multiple-choice counting samples (object.count.v1) have."""
    records = map(orjson.loads, (out / "samples.jsonl").read_bytes().splitlines())
    return {len(r["choices"]) for r in records if r["choices"] and r["task"] == "object.count.v1"}


def test_the_demo_takes_generator_options_and_records_them(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "d", scenes=3, generators="counting",
                      generator_options={"counting": {"num_choices": 3}})
    assert result.verification.ok and _choices(tmp_path / "d") == {3}
    manifest = orjson.loads((tmp_path / "d" / "manifest.json").read_bytes())
    assert manifest["config"]["generator_options"] == {"counting.compare.v1": {"num_choices": 3},
                                                       "object.count.v1": {"num_choices": 3}}


@pytest.mark.parametrize(("options", "error", "said"), [
    ({"object.count": {"num_choices": 1}}, GeneratorOptionError, "generator option object.count.num_choices"),
    ({"object.count": {"colour": 1}}, GeneratorOptionError, "object.count.colour"),
    ({"relation.exists": {"per_scene": 2}}, GeneratorOptionError, "not among the run's generators"),
])
def test_a_bad_option_is_refused_before_anything_is_rendered(tmp_path: Path, options, error, said) -> None:
    with pytest.raises(error, match=said):
        run_demo(tmp_path / "d", scenes=3, generators="counting", generator_options=options)
    assert not (tmp_path / "d").exists()


def test_the_command_s_set_is_generate_s(tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["demo", "--out", str(tmp_path / "d"), "--scenes", "3", "-g", "counting",
                               "--set", "counting.num_choices=3"])
    assert done.exit_code == 0, done.output
    assert _choices(tmp_path / "d") == {3}
    for args, said in ((["--set", "counting"], "--set 'counting': give NAME.OPTION=VALUE"),
                       (["--set", "counting.num_choices=1"], "generator option counting.num_choices")):
        for command in (["demo", "--out", str(tmp_path / "bad")], ["generate", str(tmp_path / "d" / "scenes.jsonl"),
                                                                   "--out", str(tmp_path / "bad")]):
            refused = runner.invoke(app, [*command, "-g", "counting", *args])
            assert refused.exit_code == 2 and said in " ".join(refused.output.split()), refused.output
    assert not (tmp_path / "bad").exists()
    assert "--set" in " ".join(runner.invoke(app, ["demo", "--help"]).output.split())
