"""An --out ending in another format's data suffix is refused, whatever the format: '--to parquet
--out e.json' wrote a folder e.json/ holding samples.parquet (helper-201)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.io.test_export import cli

from veriscene.io.export import export
from veriscene.io.writers.common import OutputError


@pytest.mark.parametrize("fmt, out, message", [
    ("parquet", "e.json", "a parquet export writes a .parquet file or a folder, not a .json file: give "
                          "<{d}/e.parquet> (the file) or <{d}/e> (a folder, which receives samples.parquet)"),
    ("llava", "e.parquet", "a llava export writes a .json file or a folder, not a .parquet file: give "
                           "<{d}/e.json> (the file) or <{d}/e> (a folder, which receives llava.json)"),
    ("trl", "e.json", "a trl export writes a .jsonl or .parquet file or a folder, not a .json file: give "
                      "<{d}/e.jsonl> (the file) or <{d}/e> (a folder, which receives trl.jsonl or trl.parquet)"),
    ("verl", "e.jsonl", "a verl export writes a .parquet file or a folder, not a .jsonl file: give "
                        "<{d}/e.parquet> (the file) or <{d}/e> (a folder, which receives verl.parquet)"),
    ("hf", "e.json", "an hf export writes a folder of its own, not a .json file: give a folder (e.g. <{d}/e>)"),
    ("lmms_eval", "t.yaml", "an lmms_eval export writes a folder of its own, not a .yaml file: give a folder (e.g. "
                            "<{d}/t>)"),
])
def test_another_formats_suffix_is_refused(run_dir: Path, tmp_path: Path, fmt: str, out: str, message: str) -> None:
    target = tmp_path / "x" / out
    with pytest.raises(OutputError) as caught:
        export(run_dir, target, to=fmt)
    # named as export() takes it, out='...', and the CLI's --out (`option_names`)
    said = message.format(d=tmp_path / "x")
    assert str(caught.value) == f"{target}: {re.sub(r'<([^>]*)>', lambda m: f'out={m[1]!r}', said)}"
    assert not (tmp_path / "x").exists()
    result = cli(str(run_dir), "--to", fmt, "-o", str(target))
    assert result.exit_code == 2
    cli_said = re.sub(r"<([^>]*)>", lambda m: f"--out {m[1]}", said)
    assert " ".join(result.stderr.split()) == f"error: {target}: {cli_said}"
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("fmt, out, written", [
    ("llava", "v1.0", "v1.0/llava.json"),  # a dot that is no data suffix: a folder, as before
    ("parquet", "e.parquet", "e.parquet"),
    ("trl", "e.parquet", "e.parquet"),
    ("jsonl", "E.JSONL", "E.JSONL"),
])
def test_the_formats_own_suffix_or_a_folder_is_taken(run_dir: Path, tmp_path: Path, fmt: str, out: str,
                                                     written: str) -> None:
    export(run_dir, tmp_path / out, to=fmt)
    assert (tmp_path / written).is_file()


def test_a_folder_already_there_is_written_into(run_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "e.json").mkdir()  # made on purpose: the export goes into it, as before
    export(run_dir, tmp_path / "e.json", to="parquet")
    assert (tmp_path / "e.json" / "samples.parquet").is_file()
