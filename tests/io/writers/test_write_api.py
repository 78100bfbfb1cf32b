"""write() on in-memory samples: options, bad records, images not available at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from tests.io.conftest import SAMPLES, make_sample
from tests.typer_app import command_app
from typer.testing import CliRunner

from veriscene.commands.export import register
from veriscene.io.writers import write, writer_options


def test_bad_records_are_skipped_and_reported(tmp_path: Path) -> None:
    bad_type = make_sample("bad-type", [], answer=1, answer_type="colour")
    huge_seed = make_sample("huge-seed", [], seed=2**64 - 1)
    no_question = {k: v for k, v in make_sample("no-q", []).items() if k != "question"}
    samples: list[Any] = [make_sample("ok", []), bad_type, no_question, "not a dict", huge_seed]
    summary = write(samples, tmp_path / "o.json", "llava")
    assert summary.samples_written == 1 and summary.samples_skipped == 4
    assert any("huge-seed" in e and "int64" in e for e in summary.errors)
    assert any("bad-type" in e and "answer_type" in e for e in summary.errors)
    assert any("no-q" in e and "question" in e for e in summary.errors)
    records = json.loads((tmp_path / "o.json").read_text())
    assert [r["id"] for r in records] == ["ok"]
    assert "image" not in records[0]  # text-only sample


def test_no_images_available_is_not_fatal(tmp_path: Path) -> None:
    summary = write(SAMPLES, tmp_path / "o.parquet", "parquet", sample_root=tmp_path / "nowhere")
    assert summary.samples_written == len(SAMPLES)
    assert summary.images_missing == 4  # a, b, c, missing: each distinct file reported once
    assert summary.images_referenced == 7


def test_many_images_are_each_checked_and_counted_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The resolver keeps only the last few thousand paths (memory bounded whatever the number of
    images): a missing image seen again after it was forgotten is still counted once."""
    import veriscene.io.writers.common as common

    monkeypatch.setattr(common, "_RESOLVED", 3)
    (tmp_path / "images").mkdir()
    for name in ("p", "q"):
        (tmp_path / "images" / f"{name}.png").write_bytes(b"png")
    order = ["p", "x", "q", "y", "z", "w", "p", "x", "y", "q"]  # x, y, z, w missing; all forgotten in between
    samples = [make_sample(f"s{i}", [f"images/{name}.png"]) for i, name in enumerate(order)]
    summary = write(samples, tmp_path / "o.json", "llava", sample_root=tmp_path, image_root=tmp_path)
    assert summary.images_referenced == 10 and summary.images_missing == 4
    records = json.loads((tmp_path / "o.json").read_text())
    assert [r["image"] for r in records] == [f"images/{name}.png" for name in order]


def test_images_at_urls_are_written_as_they_are(tmp_path: Path) -> None:
    samples = [make_sample("u", ["s3://bucket/images/a.png"]), make_sample("m", ["s3://bucket/a.png", "images/b.png"])]
    summary = write(samples, tmp_path / "o.json", "llava", sample_root=tmp_path, image_root=tmp_path)
    assert summary.images_at_urls == 2 and summary.images_missing == 1  # images/b.png
    records = json.loads((tmp_path / "o.json").read_text())
    assert records[0]["image"] == "s3://bucket/images/a.png"
    assert records[1]["image"] == ["s3://bucket/a.png", "images/b.png"]


def test_options_are_checked(tmp_path: Path) -> None:
    assert "dataset_name" in writer_options("sharegpt")
    with pytest.raises(TypeError, match="dataset_name"):
        write(SAMPLES, tmp_path / "o.json", "llava", dataset_name="x")
    with pytest.raises(ValueError, match="cannot embed"):
        write(SAMPLES, tmp_path / "o.json", "llava", embed_images=True)


def test_empty_export_is_valid_json(tmp_path: Path) -> None:
    write([], tmp_path / "e.json", "llava")
    assert json.loads((tmp_path / "e.json").read_text()) == []


def test_cli_export(run_dir: Path, tmp_path: Path) -> None:
    app = command_app(register)
    out = tmp_path / "cli" / "data.json"
    result = CliRunner().invoke(
        app,
        ["export", str(run_dir), "--to", "llava", "--out", str(out), "--mc-style", "letter_text"],
    )
    assert result.exit_code == 0, result.output
    unwrapped = result.output.replace("\n", "")  # the console wraps long paths at its width
    assert "images missing" in unwrapped and "missing.png" in unwrapped, result.output
    records = json.loads(out.read_text())
    assert {r["id"]: r["conversations"][1]["value"] for r in records}["s-mc"] == "B. red"
    result = CliRunner().invoke(app, ["export", str(run_dir), "--to", "nope"])
    assert result.exit_code == 2


def test_images_at_urls_embedded_from_a_store_that_cannot_be_read_stop_the_export(tmp_path: Path) -> None:
    from veriscene.engine.remote import RemoteError

    samples = [make_sample("u", ["nosuchstore://bucket/images/a.png"])]
    with pytest.raises(RemoteError, match="nosuchstore://bucket/images/a.png"):
        write(samples, tmp_path / "o.parquet", "parquet", sample_root=tmp_path, embed_images=True)


def cli() -> typer.Typer:
    return command_app(register)


def test_a_bad_mc_style_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown mc_style 'bogus'; expected one of letter, letter_text"):
        write(SAMPLES, tmp_path / "o.parquet", "parquet", mc_style="bogus")
    assert not (tmp_path / "o.parquet").exists()


@pytest.mark.parametrize("fmt, style, message", [
    ("parquet", "bogus", "unknown --mc-style 'bogus'"),
    ("verl", "bogus", "unknown --mc-style 'bogus'"),
    ("verl", "letter_text", "--mc-style does not apply to verl"),
    ("lmms_eval", "letter", "--mc-style does not apply to lmms_eval"),
])
def test_cli_mc_style_is_a_usage_error(run_dir: Path, tmp_path: Path, fmt: str, style: str, message: str) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli(), ["export", str(run_dir), "--to", fmt, "--out", str(out), "--mc-style", style])
    assert result.exit_code == 2 and message in result.output.replace("\n", "")
    assert not out.exists()


def test_absolute_paths_and_image_root_exclude_each_other(run_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exclude each other"):
        write(SAMPLES, tmp_path / "o.json", "llava", absolute_paths=True, image_root=tmp_path)
    result = CliRunner().invoke(cli(), ["export", str(run_dir), "--to", "llava", "--out", str(tmp_path / "o.json"),
                                        "--absolute-paths", "--image-root", str(tmp_path)])
    assert result.exit_code == 2 and "exclude each other" in result.output
    summary = write(SAMPLES[:1], tmp_path / "o.json", "llava", absolute_paths=True)
    assert summary.image_root is None  # said as "absolute paths", not as a folder nothing is relative to


@pytest.mark.parametrize("fmt, out, message", [
    ("llava", "afile", "afile is an existing file; give a folder, or a file name ending in .json"),
    ("hf", "afile", "afile is an existing file; give a folder"),
    ("lmms_eval", "afile", "afile is an existing file; give a folder"),
    ("llava", "adir.json", "adir.json is a folder"),
    ("parquet", "adir.parquet", "adir.parquet is a folder"),
])
def test_an_out_of_the_wrong_kind_is_refused_in_one_line(run_dir: Path, tmp_path: Path, fmt: str, out: str,
                                                         message: str) -> None:
    from veriscene.io.writers.common import OutputError

    (tmp_path / "afile").write_text("x")
    (tmp_path / "adir.json").mkdir()
    (tmp_path / "adir.parquet").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(OutputError, match=message):
        write(SAMPLES, tmp_path / out, fmt, sample_root=run_dir)
    result = CliRunner().invoke(cli(), ["export", str(run_dir), "--to", fmt, "--out", str(tmp_path / out)])
    assert result.exit_code == 2 and message in result.output.replace("\n", "") and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, no .tmp left
    assert (tmp_path / "afile").read_text() == "x"


def test_atomic_file_removes_its_temporary_file_when_the_rename_fails(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from veriscene.io.writers import common

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(f"cannot replace {dst}")

    monkeypatch.setattr(common.os, "replace", refuse)
    with pytest.raises(PermissionError):
        with common.AtomicTextFile(tmp_path / "o.json") as fh:
            fh.write("[]")
    assert list(tmp_path.iterdir()) == []


def test_summary_dict_has_every_count() -> None:
    from dataclasses import fields

    from veriscene.io.writers.common import ExportSummary

    summary = ExportSummary(format="llava", out=Path("o.json"), image_root=None, images_checked=3)
    assert set(summary.to_dict()) == {f.name for f in fields(ExportSummary)}
    assert summary.to_dict()["images_checked"] == 3


@pytest.mark.parametrize("fmt", ["llava", "parquet", "trl"])
def test_samples_made_in_python_are_written_as_their_records(run_dir: Path, tmp_path: Path, fmt: str) -> None:
    """`veriscene.Sample`s were each skipped ('a sample must be a JSON object, got Sample')."""
    from veriscene import Sample
    records = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()
               if line.startswith('{"')]
    as_records = write(records, tmp_path / "a", fmt, sample_root=run_dir)
    as_samples = write([Sample.from_dict({**r, "meta": r.get("meta", {})}) for r in records], tmp_path / "b", fmt,
                       sample_root=run_dir)
    assert (as_samples.samples_written, as_samples.samples_skipped) == (as_records.samples_written, 0) == (6, 0)
    assert [f.read_bytes() for f in as_samples.files] == [f.read_bytes() for f in as_records.files]
