"""`io.export.export`: a run's files checked against its manifest, never written over, and what
cannot go to a URL refused before anything is read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.io.conftest import SAMPLES
from tests.typer_app import invoke
from typer.testing import Result

from veriscene.commands.export import register
from veriscene.io.export import IncompleteRunError, RunFileError, export

LINES = len(SAMPLES) + 1  # the run's samples.jsonl: six samples and one line that is not JSON


def finish(run: Path, samples: int) -> None:
    """Make `run` a finished run whose manifest records `samples` samples in one shard."""
    manifest = {"status": "complete", "config": {"shard_format": "jsonl"}, "counts": {"samples": samples},
                "files": {"samples": "samples.jsonl", "rejects": "rejects.jsonl"},
                "shards": [{"index": 0, "samples": samples, "sha256": "-"}]}
    (run / "manifest.json").write_text(json.dumps(manifest))


def cli(*args: str) -> Result:
    return invoke(register, "export", *args)


@pytest.mark.parametrize("recorded", [LINES + 5, LINES - 1])
def test_a_run_holding_other_samples_than_its_manifest_records_is_not_exported(
        run_dir: Path, tmp_path: Path, recorded: int) -> None:  # noqa: F811
    finish(run_dir, recorded)
    for source in (run_dir, run_dir / "samples.jsonl"):
        with pytest.raises(IncompleteRunError, match=f"{LINES} samples read, but the run's manifest records "
                                                     f"{recorded}.*veriscene verify"):
            export(source, tmp_path / "out" / "l.json", to="llava")
    assert not (tmp_path / "out").exists()  # nothing put in place, no temporary file left, no folder made for it


def test_allow_incomplete_exports_with_a_warning(run_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    finish(run_dir, LINES + 5)
    summary = export(run_dir, tmp_path / "l.json", to="llava", allow_incomplete=True)
    assert summary.samples_written == len(SAMPLES) and summary.samples_expected == LINES + 5
    assert summary.warnings == [f"{LINES} samples read, but the run's manifest records {LINES + 5}: its sample files "
                                "were cut short or changed since the run was made (`veriscene verify` tells where)"]
    assert summary.to_dict()["warnings"] == summary.warnings


def test_a_whole_run_exports_without_warning(run_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    finish(run_dir, LINES)
    summary = export(run_dir, tmp_path / "l.json", to="llava")
    assert summary.samples_expected == LINES and summary.warnings == []


def test_cli_incomplete_run(run_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    finish(run_dir, LINES + 5)
    out = tmp_path / "l.json"
    result = cli(str(run_dir), "--to", "llava", "--out", str(out))
    assert result.exit_code == 1 and "--allow-incomplete" in result.output and not out.exists()
    result = cli(str(run_dir), "--to", "llava", "--out", str(out), "--allow-incomplete")
    assert result.exit_code == 0 and "warning" in result.output and out.is_file()


@pytest.mark.parametrize("fmt, out", [
    ("jsonl", "."),  # RUN/samples.jsonl
    ("jsonl", "samples.jsonl"),
    ("llava", "manifest.json"),
    ("jsonl", "rejects.jsonl"),
    ("parquet", "shards/0.parquet"),
    ("hf", "."),  # a folder format, into the run folder itself
    ("lmms_eval", ".."),  # or a folder holding it
])
def test_an_export_never_writes_over_the_run_it_reads(run_dir: Path, fmt: str, out: str) -> None:  # noqa: F811
    finish(run_dir, LINES)
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    with pytest.raises(RunFileError, match="give another out "):
        export(run_dir, run_dir / out, to=fmt)
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == before
    result = cli(str(run_dir), "--to", fmt, "--out", str(run_dir / out), "--absolute-paths")
    assert result.exit_code == 2 and "give another --out" in result.output.replace("\n", "")


def test_a_samples_file_is_not_written_over_and_exports_beside_the_run_are(run_dir: Path) -> None:  # noqa: F811
    samples = run_dir / "samples.jsonl"
    with pytest.raises(RunFileError):
        export(samples, samples, to="jsonl")
    summary = export(run_dir, run_dir, to="llava")  # RUN/llava.json, as `veriscene demo` writes it
    assert summary.files == [run_dir / "llava.json"]
    assert summary.samples_written == len(SAMPLES)


def test_lmms_eval_to_a_url_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="local folder on the machine that runs lmms-eval"):
        export(tmp_path / "no-such-run", "memory://bucket/tasks/vs", to="lmms_eval")
    result = cli(str(tmp_path / "no-such-run"), "--to", "lmms_eval", "--out", "memory://bucket/tasks/vs")
    assert result.exit_code == 2 and "not to a URL" in result.output.replace("\n", "")


@pytest.mark.parametrize(("given", "error", "said"), [
    # before: "unsupported operand type(s) for /: 'PosixPath' and 'NoneType'"
    ({"to": None}, TypeError, "to must be the name of an export format (one of hf, jsonl, llava, lmms_eval, parquet, "
                              "sharegpt, trl, verl), got None"),
    ({"to": ["llava"]}, TypeError, "to must be the name of an export format (one of hf, jsonl, llava, lmms_eval, "
                                   "parquet, sharegpt, trl, verl), got ['llava']"),
    ({"to": "lava"}, KeyError, "unknown export format 'lava'; did you mean 'llava'? (known: hf, jsonl, llava, "
                               "lmms_eval, parquet, sharegpt, trl, verl)"),
    # text where a flag goes: reasoning="no" wrote reasoning targets, instructions="yes" instructions
    ({"reasoning": "no"}, TypeError, "reasoning must be True or False, got 'no'"),
    ({"instructions": "yes"}, TypeError, "instructions must be True or False, got 'yes'"),
    ({"allow_incomplete": "no"}, TypeError, "allow_incomplete must be True or False, got 'no'"),
    ({"embed_images": "no"}, TypeError, "embed_images must be True or False, got 'no'"),
    ({"check_urls": 0}, TypeError, "check_urls must be True or False, got 0"),
    # called at the first 1,000 samples read, once the output folder was made
    ({"progress": 1}, TypeError, "progress must be a function, called as progress(n), or None; got 1"),
])
def test_wrong_arguments_are_named_before_anything_is_read(run_dir: Path, tmp_path: Path, given, error,
                                                           said) -> None:  # noqa: F811
    arguments = {"to": "llava"} | given
    with pytest.raises(error) as info:
        export(run_dir, tmp_path / "out" / "llava.json", **arguments)
    assert (info.value.args[0] if error is KeyError else str(info.value)) == said
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("where", "said"), [
    ("run_dir", "run_dir must be a run folder or a samples file or its URL, a str or a path; got None"),
    ("out", "out must be the file or folder to write or its URL, a str or a path; got 3"),
])
def test_a_run_or_out_that_is_no_path_is_named(run_dir: Path, where: str, said: str) -> None:  # noqa: F811
    arguments = {"run_dir": run_dir, "out": run_dir / "export"} | {where: None if where == "run_dir" else 3}
    with pytest.raises(TypeError) as info:
        export(**arguments, to="llava")
    assert str(info.value) == said


def test_out_defaults_to_the_run_s_export_folder_as_the_cli_s(run_dir: Path) -> None:  # noqa: F811
    finish(run_dir, LINES)
    summary = export(run_dir, to="llava")  # out None: RUN/export/llava, as `veriscene export` writes
    assert [Path(f) for f in summary.files] == [run_dir / "export" / "llava" / "llava.json"]
    summary = export(run_dir / "samples.jsonl", None, "sharegpt")  # positional as before; beside a samples file
    assert {Path(f).parent for f in summary.files} == {run_dir / "export" / "sharegpt"}
    summary = export(run_dir, run_dir / "mine" / "l.json", "llava")
    assert [Path(f) for f in summary.files] == [run_dir / "mine" / "l.json"]
