"""--cache FILE and --no-cache given together are refused by eval and score-freeform (exit 2):
--no-cache won, the file said nowhere (helper-206)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from veriscene.cli import app

from .one_reply import one_reply

runner = CliRunner()


def test_score_freeform_refuses_cache_and_no_cache(tmp_path: Path) -> None:
    responses, scenes = one_reply(tmp_path)
    cache = tmp_path / "c.sqlite"
    result = runner.invoke(app, ["score-freeform", str(responses), "--scenes", str(scenes), "--matcher", "lexical",
                                 "--extractor", "llm", "--extractor-model", "openai:claims",
                                 "--base-url", "http://127.0.0.1:9/v1", "--cache", str(cache), "--no-cache"])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert said.startswith(f"error: --cache and --no-cache contradict each other (--cache {cache})"), said
    assert not cache.exists()


def test_eval_refuses_cache_and_no_cache(tmp_path: Path) -> None:
    # said before the samples are looked for or any model loaded (none of these exist)
    cache, out = tmp_path / "c.sqlite", tmp_path / "run"
    result = runner.invoke(app, ["eval", str(tmp_path / "samples.jsonl"), "--model", "replay:" + str(tmp_path / "r.jsonl"),
                                 "--out", str(out), "--cache", str(cache), "--no-cache"])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert said.startswith(f"error: --cache and --no-cache contradict each other (--cache {cache})"), said
    assert not cache.exists() and not out.exists()
