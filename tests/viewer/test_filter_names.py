"""`veriscene view --family/--task` naming no family or task of the run nor of any generator is an
error (exit 2) with the close names; a known one the run has no sample of stays a note (exit 0)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import veriscene
from veriscene.cli import app
from veriscene.demo.pipeline import run_demo
from veriscene.viewer import Filters, write_html
from veriscene.viewer.filter_names import run_names

STATS = "(`veriscene stats RUN` lists the run's tasks, families and modes)"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a demo run of every generator, a run of the same scenes made with `-g counting` only)."""
    demo = tmp_path_factory.mktemp("names")
    run_demo(demo, scenes=3, seed=2)
    counting = demo.parent / f"{demo.name}-counting"
    veriscene.generate(demo / "scenes.jsonl", counting, generators="counting")
    return demo, counting


def _said(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, " ".join(result.output.split())


@pytest.mark.parametrize("option, given, hint", [
    ("--family", "segmentaton", "did you mean 'segmentation'?"),
    ("--task", "object.cont.v1", "did you mean 'object.count.v1', 'object.absent.v1', 'object.exists.v1'?"),
])
def test_a_misspelt_filter_is_an_error(runs: tuple[Path, Path], tmp_path: Path, option: str, given: str,
                                       hint: str) -> None:
    demo, _ = runs
    field = option.removeprefix("--")
    code, said = _said(["view", str(demo), option, given, "--html", str(tmp_path / "x.html")])
    assert code == 2  # was 0: "wrote 0 of 0 matching samples"
    assert said == f"error: no {field} {given!r} in {demo} nor among veriscene's generators; {hint} {STATS}"
    assert not (tmp_path / "x.html").exists()


def test_a_known_family_without_samples_stays_a_note(runs: tuple[Path, Path], tmp_path: Path) -> None:
    _, counting = runs
    code, said = _said(["view", str(counting), "--family", "depth", "--html", str(tmp_path / "x.html")])
    assert code == 0
    assert said.startswith(f"wrote 0 of 0 matching samples to {tmp_path / 'x.html'} no sample matches the filters")
    code, said = _said(["view", str(counting), "--family", "dpeth", "--html", str(tmp_path / "y.html")])
    assert code == 2 and "did you mean 'depth'?" in said


def test_nothing_close_lists_the_runs_families(runs: tuple[Path, Path], tmp_path: Path) -> None:
    _, counting = runs
    with pytest.raises(ValueError) as caught:
        write_html(counting, tmp_path / "x.html", filters=Filters(family="zzzqq"))
    assert str(caught.value) == (f"no family 'zzzqq' in {counting} nor among veriscene's generators; "
                                 f"the run's families: counting {STATS}")
    assert not (tmp_path / "x.html").exists()


def test_the_manifest_names_the_families_past_the_limit(runs: tuple[Path, Path]) -> None:
    _, counting = runs
    assert run_names(counting, set()) == {("counting", "counting.compare.v1"), ("counting", "object.count.v1")}
    assert run_names(counting / "samples.jsonl", {("mine", "mine.total.v1")}) == {
        ("counting", "counting.compare.v1"), ("counting", "object.count.v1"), ("mine", "mine.total.v1")}


def test_served_a_misspelt_filter_stops_before_serving(runs: tuple[Path, Path]) -> None:
    demo, _ = runs
    done = subprocess.run([sys.executable, "-m", "veriscene", "view", str(demo), "--family", "segmentaton",
                           "--port", "0"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "serving" not in done.stdout
    assert "did you mean 'segmentation'?" in " ".join(done.stderr.split())


def test_nothing_close_names_a_few_of_the_runs_tasks(runs: tuple[Path, Path], tmp_path: Path) -> None:
    _, counting = runs
    with pytest.raises(ValueError) as caught:
        write_html(counting, tmp_path / "x.html", filters=Filters(task="zzzqq"))
    assert str(caught.value) == (f"no task 'zzzqq' in {counting} nor among veriscene's generators; the run has 2 "
                                 f"tasks, e.g. counting.compare.v1, object.count.v1 {STATS}")


def test_a_task_without_its_version_filters_as_generate_g_takes_it(runs: tuple[Path, Path], tmp_path: Path) -> None:
    """`--task object.count` keeps the object.count.v1 samples, as `-g object.count` selects that
    generator (it was refused, suggesting the versioned name); as a family it is still no name."""
    demo, _ = runs
    code, said = _said(["view", str(demo), "--task", "object.count", "--html", str(tmp_path / "x.html")])
    versioned, said_versioned = _said(["view", str(demo), "--task", "object.count.v1", "--html",
                                       str(tmp_path / "y.html")])
    assert code == versioned == 0
    assert said.split(" to ")[0] == said_versioned.split(" to ")[0] and not said.startswith("wrote 0 ")
    code, said = _said(["view", str(demo), "--family", "object.count", "--html", str(tmp_path / "z.html")])
    assert code == 2 and "no family 'object.count'" in said
