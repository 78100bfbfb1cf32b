"""A samples file given that is another file a user has beside it (a Parquet or a llava / sharegpt
export) is named for what it is by every command that reads samples; before, each of its lines
was 'not valid JSON' (421 of a Parquet file: eval rejected them all, export skipped them all)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.runfiles import sample_lines
from veriscene.errors import DataError
from veriscene.io.writers import write
from veriscene.scene import write_scenes

SAMPLE = {"id": "s1", "task": "object.count.v1", "family": "counting", "images": [{"id": "a", "path": "a.png"}],
          "question": "How many cups are there?", "answer": 3, "answer_type": "int", "choices": None,
          "program": [], "template_id": "t", "generator_version": 1, "seed": 1, "meta": {"mode": "qa"}}


@pytest.mark.parametrize(("fmt", "name", "kind"), [
    ("parquet", "s.parquet", "a Parquet file"),
    ("llava", "llava.json", "a JSON array (a llava or sharegpt export?)"),
    ("sharegpt", "sharegpt.json", "a JSON array (a llava or sharegpt export?)"),
])
def test_an_export_given_as_samples_is_named_for_what_it_is(tmp_path: Path, fmt: str, name: str, kind: str) -> None:
    out = tmp_path / name
    write([SAMPLE], out, fmt, sample_root=tmp_path)
    said = f"{out} is {kind}, not a samples file of one JSON sample record a line"
    with pytest.raises(DataError, match="not a samples file"):
        list(sample_lines(out))
    for command in (["export", str(out), "--to", "jsonl", "--out", str(tmp_path / "x.jsonl")],
                    ["eval", str(out), "--model", "replay:none.jsonl", "--out", str(tmp_path / "ev")]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 1 and said in " ".join(result.output.split()), result.output


def test_a_samples_file_is_read_as_before(tmp_path: Path) -> None:
    path = tmp_path / "samples.jsonl"
    write([SAMPLE], path, "jsonl", sample_root=tmp_path)
    assert [number for number, _ in sample_lines(path)] == [1]
    (tmp_path / "empty.jsonl").write_text("")
    assert list(sample_lines(tmp_path / "empty.jsonl")) == []


@pytest.mark.parametrize(("packed", "tool"), [("gzip", "gunzip -k"), ("zstd", "zstd -d")])
def test_a_compressed_samples_file_is_named_for_what_it_is(tmp_path: Path, packed: str, tool: str) -> None:
    """Found by fuzzing: a samples.jsonl.gz or .zst was read as text, each of its lines a reject
    'not valid JSON (str is not valid UTF-8 ...)' (eval, export), an unreadable record (verify)."""
    import gzip

    import zstandard

    plain = tmp_path / "samples.jsonl"
    write([SAMPLE], plain, "jsonl", sample_root=tmp_path)
    data = plain.read_bytes()
    out = tmp_path / f"samples.jsonl.{'gz' if packed == 'gzip' else 'zst'}"
    out.write_bytes(gzip.compress(data) if packed == "gzip" else zstandard.ZstdCompressor().compress(data))
    scenes = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(1, seed=1), scenes)
    said = f"{out} is {packed}-compressed: samples files are read as plain JSONL; decompress it first ({tool} {out})"
    with pytest.raises(DataError) as caught:
        list(sample_lines(out))
    assert str(caught.value) == said
    for command in (["export", str(out), "--to", "jsonl", "--out", str(tmp_path / "x.jsonl")],
                    ["eval", str(out), "--model", "replay:none.jsonl", "--out", str(tmp_path / "ev")],
                    ["verify", str(out), "--scenes", str(scenes)]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 1 and said in " ".join(result.output.split()), (command, result.output)
