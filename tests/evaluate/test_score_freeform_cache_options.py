"""score-freeform's --cache is that of --extractor llm: given with the rules, which ask no model,
it is refused (exit 2), as --extractor-model is (helper-205)."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from veriscene.cli import app

runner = CliRunner()


def _inputs(tmp_path: Path) -> tuple[Path, Path]:
    responses, scenes = tmp_path / "replies.jsonl", tmp_path / "scenes.jsonl"
    responses.write_text('{"response": "a cup", "image_id": "1"}\n')
    scenes.write_text('{"image_id": "1", "width": 10, "height": 10, "objects": [{"name": "cup", "box": [0, 0, 5, 5]}]}\n')
    return responses, scenes


def test_cache_with_the_rules_is_refused(tmp_path: Path) -> None:
    responses, scenes = _inputs(tmp_path)
    cache = tmp_path / "c.sqlite"
    result = runner.invoke(app, ["score-freeform", str(responses), "--scenes", str(scenes), "--matcher", "lexical",
                                 "--cache", str(cache)])
    assert result.exit_code == 2, result.output
    assert "--cache is the request cache of --extractor llm" in result.output
    assert "the rules extractor asks no model" in result.output
    assert not cache.exists()


def test_no_cache_with_the_rules_scores(tmp_path: Path) -> None:
    # nothing to turn off, and nothing lost: scored as without it
    responses, scenes = _inputs(tmp_path)
    result = runner.invoke(app, ["score-freeform", str(responses), "--scenes", str(scenes), "--matcher", "lexical",
                                 "--no-cache"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["n"] == 1
