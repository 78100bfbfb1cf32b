from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from veriscene.commands.convert import register
from veriscene.errors import SceneValidationError
from veriscene.io.convert import convert
from veriscene.scene.jsonl import read_scenes

GQA = {
    "1": {"width": 100, "height": 80, "objects": {
        "a": {"name": "Dogs", "x": 90, "y": 10, "w": 20, "h": 20, "attributes": ["Brown"], "relations": [{"name": "near", "object": "b"}]},
        "b": {"name": "cat", "x": 0, "y": 0, "w": 10, "h": 10}}},
    "2": {"width": 100, "height": 80, "objects": {"a": {"name": "cup", "x": 5, "y": 5, "w": 0, "h": 5}}},
    "3": {"objects": {}},
}


@pytest.fixture
def gqa(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "val_sceneGraphs.json"
    path.parent.mkdir()
    path.write_text(json.dumps(GQA))
    return path


def test_convert_writes_scenes_and_rejects(gqa: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "scenes.jsonl"
    summary = convert(gqa, out)
    assert summary.format == "gqa" and summary.format_detected and summary.detection_reason
    assert (summary.scenes_read, summary.scenes_written, summary.scenes_rejected) == (3, 1, 2)
    assert summary.boxes_clipped == 1 and summary.rejected == 2
    scenes = list(read_scenes(out))
    assert scenes[0].names == ("dog", "cat")
    rejects = [json.loads(x) for x in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    assert [(r["record"], r["field"]) for r in rejects] == [("2", "objects[a].box"), ("3", "width")]
    assert set(rejects[0]) >= {"file", "record", "field", "reason"}
    assert not list((tmp_path / "out").glob("*.tmp"))


def test_strict_stops_and_leaves_no_output(gqa: Path, tmp_path: Path) -> None:
    out = tmp_path / "scenes.jsonl"
    with pytest.raises(SceneValidationError, match="record 2"):
        convert(gqa, out, "gqa", strict=True, rejects_path=tmp_path / "r.jsonl")
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 1


def test_convert_image_size_option(gqa: Path, tmp_path: Path) -> None:
    summary = convert(gqa, tmp_path / "s.jsonl", "gqa", image_size=(64, 64))
    assert summary.scenes_written == 2


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command("noop")
    def noop() -> None:  # a second command so `convert` is a subcommand, as in the real CLI
        pass

    return app


def test_cli_summary_and_exit_codes(cli: typer.Typer, gqa: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "o" / "scenes.jsonl"
    result = runner.invoke(cli, ["convert", str(gqa), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "gqa" in result.output and "auto-detected" in result.output and "boxes clipped" in result.output
    assert out.exists()

    result = runner.invoke(cli, ["convert", str(gqa), "--from", "gqa", "--out", str(out), "--strict"])
    assert result.exit_code == 1 and "Traceback" not in result.output

    result = runner.invoke(cli, ["convert", str(tmp_path / "missing.json"), "--out", str(out)])
    assert result.exit_code == 2

    result = runner.invoke(cli, ["convert", str(gqa), "--from", "gqaa", "--out", str(out)])
    assert result.exit_code == 2

    truncated = tmp_path / "t.json"
    truncated.write_text('{"1": {"width": 1')
    result = runner.invoke(cli, ["convert", str(truncated), "--from", "gqa", "--out", str(out)])
    assert result.exit_code == 0 and result.exception is None or isinstance(result.exception, SystemExit)

    result = runner.invoke(cli, ["convert", str(gqa), "--out", str(out), "--image-size", "64x64", "--rejects", str(tmp_path / "r.jsonl")])
    assert result.exit_code == 0 and (tmp_path / "r.jsonl").exists()

    result = runner.invoke(cli, ["convert", str(gqa), "--out", str(out), "--image-size", "big"])
    assert result.exit_code == 2
