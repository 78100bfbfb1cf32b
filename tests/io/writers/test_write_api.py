"""write() on in-memory samples: options, bad records, images not available at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from tests.io.writers.conftest import SAMPLES, make_sample
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
    app = typer.Typer()
    register(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps typer from collapsing to a single command
        """Placeholder."""

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
