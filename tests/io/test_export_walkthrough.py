"""What a new user met exporting a run: relative image paths that `datasets` and verl open from
the folder they run in (warned), `choices` given as a string (skipped by file and line), usage
errors (exit 2), an --out under a file, skipped samples beyond the ten listed, the `datasets`
progress bar written to a file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from rich.console import Console
from tests.io.conftest import make_sample
from tests.io.test_export import cli

from veriscene.commands.export import print_notes
from veriscene.io.export import export
from veriscene.io.writers import relative_paths_warning
from veriscene.io.writers.common import ExportSummary, OutputError
from veriscene.option_names import cli_names


@pytest.mark.parametrize("fmt, out", [("parquet", "ex/data/x.parquet"), ("trl", "ex/data/t.parquet"),
                                      ("trl", "ex/data/t.jsonl"), ("verl", "ex/data/v.parquet")])
def test_relative_image_paths_in_a_datasets_or_verl_export_are_warned(run_dir: Path, tmp_path: Path, fmt: str,
                                                                      out: str) -> None:
    summary = export(run_dir, tmp_path / out, to=fmt)
    assert summary.warnings == [relative_paths_warning(tmp_path / "ex" / "data", fmt)]
    assert summary.warnings[0].endswith("Store the images in the file with embed_images=True, or write absolute "
                                        "paths with absolute_paths=True")  # (as export() takes them)
    with cli_names():  # (the CLI's)
        assert relative_paths_warning(tmp_path, fmt).endswith("with --embed-images, or write absolute paths with "
                                                              "--absolute-paths")
    assert str(tmp_path / "ex" / "data") in summary.warnings[0]


@pytest.mark.parametrize("fmt, options", [
    ("parquet", {"embed_images": True}),
    ("parquet", {"absolute_paths": True}),
    ("verl", {"embed_images": True}),
    ("trl", {"absolute_paths": True}),
    ("llava", {}),  # LLaVA's loader joins its --image_folder with each path: relative paths are its way
    ("jsonl", {}),
])
def test_no_warning_when_paths_are_embedded_absolute_or_meant_relative(run_dir: Path, tmp_path: Path, fmt: str,
                                                                       options: dict) -> None:
    assert export(run_dir, tmp_path / "ex", to=fmt, **options).warnings == []


def test_the_cli_prints_the_warning_and_absolute_paths_load_from_any_folder(
        run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "ex" / "data" / "x.parquet"
    result = cli(str(run_dir), "--to", "parquet", "--out", str(out))
    assert result.exit_code == 0 and "open them relative to the folder they run in" in " ".join(result.output.split())
    datasets = pytest.importorskip("datasets")
    result = cli(str(run_dir), "--to", "parquet", "--out", str(out), "--absolute-paths")
    assert result.exit_code == 0 and "relative to the folder they run in" not in result.output
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    rows = datasets.load_dataset("parquet", data_files=str(out), split="train")
    assert rows[0]["images"][0].size == (40, 30)  # images/a.png, opened from another folder


@pytest.mark.parametrize("choices, got", [("abc", 'str "abc"'), ({"A": "x"}, 'dict {"A":"x"}'),
                                          (["red", 3], "int 3 at index 1")])
@pytest.mark.parametrize("fmt", ["llava", "parquet", "trl", "jsonl", "lmms_eval"])
def test_choices_that_are_not_a_list_of_strings_skip_the_sample_by_file_and_line(
        tmp_path: Path, fmt: str, choices: object, got: str) -> None:
    (tmp_path / "run").mkdir()
    samples = tmp_path / "run" / "samples.jsonl"
    bad = make_sample("s-bad", [], answer="a", answer_type="str", choices=choices, meta={"mode": "mc"})
    samples.write_text(json.dumps(make_sample("s-ok", [])) + "\n" + json.dumps(bad) + "\n")
    summary = export(samples, tmp_path / "out", to=fmt)
    assert (summary.samples_written, summary.samples_skipped) == (1, 1)
    assert summary.errors == [f"{samples}:2, field 'choices': expected a list of strings or null, got {got}"]


@pytest.mark.parametrize("fmt", ["llava", "parquet", "verl"])
def test_a_record_missing_a_field_is_skipped_by_file_and_line(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "run").mkdir()
    samples = tmp_path / "run" / "samples.jsonl"
    no_id = {k: v for k, v in make_sample("s-x", []).items() if k != "id"}
    no_question = {k: v for k, v in make_sample("s-y", []).items() if k != "question"}
    samples.write_text("\n".join(json.dumps(r) for r in (make_sample("s-ok", []), no_id, no_question)) + "\n")
    summary = export(samples, tmp_path / "out", to=fmt)
    assert (summary.samples_written, summary.samples_skipped) == (1, 2)
    assert summary.errors == [f"{samples}:2: missing fields ['id']", f"{samples}:3: sample s-y: missing fields ['question']"]


def test_errors_are_said_on_stderr(run_dir: Path, tmp_path: Path) -> None:
    missing = cli(str(tmp_path / "nothere.jsonl"), "--to", "llava")
    usage = cli(str(run_dir), "--to", "llava", "--embed-images")
    for result in (missing, usage):
        assert result.exit_code == 2 and result.stdout == ""
        assert result.stderr.startswith("error: ")
    assert f"{tmp_path / 'nothere.jsonl'}: no such run folder or samples file" in missing.stderr


@pytest.mark.parametrize("args, said", [
    (["--to", "llava", "--embed-images"], "--embed-images does not apply to llava"),
    (["--to", "sharegpt", "--embed-images"], "--embed-images does not apply to sharegpt"),
    # exit 1 ('TRL JSONL cannot embed images; write to a .parquet file instead') after the run was read
    (["--to", "trl", "--embed-images", "--out", "t.jsonl"], "--embed-images stores the images in a Parquet file: "
                                                            "TRL JSONL names them by path; give --out t.parquet"),
    (["--to", "parquet", "--split", "test"], "--split names the split of an hf export's DatasetDict or of verl's "
                                             "rows, not of --to parquet"),
    (["--to", "verl", "--split", "a b"], "split 'a b': a split name is letters, digits and _"),
    (["--to", "hf", "--split", "a/b"], "split 'a/b': a split name is letters, digits and _"),
])
def test_usage_errors_exit_2(run_dir: Path, args: list[str], said: str) -> None:
    result = cli(str(run_dir), *args)
    assert result.exit_code == 2 and said in result.output


@pytest.mark.parametrize("fmt, under", [("llava", "sub"), ("parquet", "sub.parquet"), ("hf", "sub"),
                                        ("lmms_eval", "sub"), ("trl", "a/b.jsonl")])
def test_an_out_under_a_file_is_refused_naming_both(run_dir: Path, tmp_path: Path, fmt: str, under: str) -> None:
    (tmp_path / "llava.json").write_text("[]")
    out = tmp_path / "llava.json" / under
    with pytest.raises(OutputError, match=f"cannot write there: {tmp_path / 'llava.json'} is a file, not a folder"):
        export(run_dir, out, to=fmt)
    result = cli(str(run_dir), "--to", fmt, "--out", str(out))
    assert result.exit_code == 2 and "is a file, not a folder" in " ".join(result.output.split())
    assert "Errno" not in result.output


@pytest.mark.parametrize("skipped, more", [(600, "... and 590 more sample(s)"), (10, None), (3, None)])
def test_skipped_samples_beyond_those_listed_are_counted(skipped: int, more: str | None) -> None:
    summary = ExportSummary(format="lmms_eval", out="x", image_root=None)
    for k in range(skipped):
        summary.skip(f"sample s{k}: bad")
    console = Console(record=True, width=200)
    print_notes(summary, console)
    lines = console.export_text().splitlines()
    assert lines[:min(skipped, 10)] == [f"skipped sample s{k}: bad" for k in range(min(skipped, 10))]
    assert (lines[10:] == [f"skipped {more}"]) if more else len(lines) == skipped


def test_missing_images_beyond_those_listed_are_counted() -> None:
    summary = ExportSummary(format="llava", out="x", image_root=None, images_missing=12,
                            missing_examples=[f"/i/{k}.png" for k in range(10)])
    console = Console(record=True, width=200)
    print_notes(summary, console)
    assert console.export_text().splitlines()[-1] == "  ... and 2 more"


def test_hf_export_writes_no_progress_bar_when_not_on_a_terminal(run_dir: Path, tmp_path: Path,
                                                                capfd: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("datasets")
    assert not os.isatty(2)
    export(run_dir, tmp_path / "hf", to="hf")
    captured = capfd.readouterr()
    assert "Saving the dataset" not in captured.err + captured.out
    from datasets.utils.logging import is_progress_bar_enabled

    assert is_progress_bar_enabled()  # left as it was



def test_a_bad_line_of_a_run_folder_is_named_by_its_samples_file(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    samples = tmp_path / "run" / "samples.jsonl"
    samples.write_text(json.dumps(make_sample("s-ok", [])) + "\n{not json\n")
    summary = export(tmp_path / "run", tmp_path / "out.json", to="llava")
    assert summary.errors[0].startswith(f"{samples}:2: not valid JSON")


def test_check_urls_with_embedded_images_is_refused(tmp_path: Path) -> None:
    from tests.typer_app import invoke
    from veriscene.commands.export import register

    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "samples.jsonl").write_text(json.dumps(make_sample("s-ok", [])) + "\n")
    done = invoke(register, "export", str(tmp_path / "run"), "--to", "parquet", "--out", str(tmp_path / "o.parquet"),
                  "--embed-images", "--check-urls")
    assert done.exit_code == 2 and "--check-urls is for an export without --embed-images" in done.output
    assert not (tmp_path / "o.parquet").exists()


def test_the_split_of_verl_rows_is_given_on_the_command_line(run_dir: Path, tmp_path: Path) -> None:
    """export(to="verl", split="test") wrote extra_info.split "test"; `--split test` was refused
    ("names the split of an hf export's DatasetDict"), so a verl validation file said "train"."""
    import pyarrow.parquet as pq

    out = tmp_path / "val.parquet"
    result = cli(str(run_dir), "--to", "verl", "--split", "test", "--out", str(out))
    assert result.exit_code == 0, result.output
    splits = {row["split"] for row in pq.read_table(out).column("extra_info").to_pylist()}
    assert splits == {"test"}


@pytest.mark.parametrize("fmt, said, how", [
    ("trl", "accuracy_reward gives them None", "make_freeform_reward(RUN)"),
    ("verl", "compute_score gives them score 0.0", "reward_kwargs.run_dir=RUN"),
])
def test_free_form_descriptions_in_an_rl_export_are_warned(tmp_path: Path, fmt: str, said: str, how: str) -> None:
    """An RL export holding descriptions says that the accuracy reward does not score them, and
    how the free-form reward does: before, a verl export of the demo (36 descriptions in 1,002
    rows) gave them score 0.0 whatever the reply, and a TRL one format_reward alone, without a
    word; 0.31.0 still said no reward scored them. Exports without descriptions, and other
    formats, say nothing of it."""
    from PIL import Image

    (tmp_path / "images").mkdir()
    Image.new("RGB", (40, 30), "red").save(tmp_path / "images" / "a.png")
    described = make_sample("d1", ["images/a.png"], task="scene_graph.caption.v1", answer="A red square.",
                            answer_type="text", question="Describe the image.", meta={"mode": "caption"})
    samples = tmp_path / "samples.jsonl"
    samples.write_text(json.dumps(make_sample("s1", ["images/a.png"])) + "\n" + json.dumps(described) + "\n")
    warned = [w for w in export(samples, tmp_path / "ex" / f"{fmt}.parquet", to=fmt, embed_images=True).warnings
              if "free-form descriptions" in w]
    assert len(warned) == 1 and warned[0].startswith("1 sample(s) are free-form descriptions") and said in warned[0]
    assert how in warned[0] and "no reward" not in warned[0]
    assert ("SFT trains on them" in warned[0]) == (fmt == "trl")
    if fmt == "trl":  # conversations of several turns are SFT data: no reward reads them
        assert not [w for w in export(samples, tmp_path / "ex3" / "t.parquet", to=fmt, embed_images=True,
                                      turns=2).warnings if "free-form" in w]
    samples.write_text(json.dumps(make_sample("s1", ["images/a.png"])) + "\n")
    assert not [w for w in export(samples, tmp_path / "ex2" / f"{fmt}.parquet", to=fmt, embed_images=True).warnings
                if "free-form" in w]
