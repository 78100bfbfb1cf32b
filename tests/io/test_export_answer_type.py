"""A sample of an unknown answer_type is skipped by every export with its file, line and field,
and counted among the skipped (it said "skipped sample ID: unknown answer_type 'weird'" for
llava and was written by jsonl) (helper-204)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.io.export import export
from veriscene.io.writers import write

from .conftest import make_sample

runner = CliRunner()


@pytest.mark.parametrize("to", ["llava", "jsonl", "parquet", "verl"])
def test_an_unknown_answer_type_is_skipped_naming_its_line_and_field(run_dir: Path, tmp_path: Path, to: str) -> None:
    path = run_dir / "samples.jsonl"
    with open(path, "a") as fh:  # line 8, after the fixture's 6 samples and one bad line
        fh.write(json.dumps(make_sample("s-weird", ["images/a.png"], answer_type="weird")) + "\n")
        fh.write(json.dumps(make_sample("s-boool", ["images/a.png"], answer_type="boool")) + "\n")
    summary = export(run_dir, tmp_path / "out", to=to)
    assert summary.samples_written == 6  # the fixture's 6 (the one of a missing image written, and counted)
    assert summary.samples_skipped == 3  # '{not json', weird, boool
    weird = [e for e in summary.errors if "s-weird" in e]
    assert weird == [f"{path}:8: sample s-weird: field 'answer_type': unknown answer_type 'weird'; expected one of "
                     "bool, int, float, str, str_set, box, point, image_index, text"]
    assert [e for e in summary.errors if "s-boool" in e][0].startswith(
        f"{path}:9: sample s-boool: field 'answer_type': unknown answer_type 'boool' (did you mean 'bool'?)")


def test_the_command_says_it_and_counts_it(run_dir: Path, tmp_path: Path) -> None:
    path = run_dir / "samples.jsonl"
    with open(path, "a") as fh:
        fh.write(json.dumps(make_sample("s-weird", ["images/a.png"], answer_type="weird")) + "\n")
    result = runner.invoke(app, ["export", str(run_dir), "--to", "llava", "--out", str(tmp_path / "e.json")])
    assert result.exit_code == 0, result.output
    said = "".join(result.output.split())  # (rich folds a long path anywhere)
    assert f"skipped{path}:8:samples-weird:field'answer_type':unknownanswer_type'weird'" in said
    assert "│skipped│2│" in said  # the bad JSON line and this one


def test_a_writer_given_records_skips_it_naming_the_field(tmp_path: Path) -> None:
    summary = write([make_sample("s-weird", ["a.png"], answer_type="weird")], tmp_path / "e.jsonl", "jsonl")
    assert (summary.samples_written, summary.samples_skipped) == (0, 1)
    assert summary.errors[0].startswith("sample s-weird: field 'answer_type': unknown answer_type 'weird'")
