"""score-freeform's --cache is that of --extractor llm: given with the rules, which ask no model,
it is refused (exit 2), as --extractor-model is; with llm, a cache (the default, beside RESPONSES,
or --cache FILE) that cannot be written is said as such, before any reply is scored (helper-205)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from veriscene.cli import app

from .one_reply import one_reply

runner = CliRunner()


def test_cache_with_the_rules_is_refused(tmp_path: Path) -> None:
    responses, scenes = one_reply(tmp_path)
    cache = tmp_path / "c.sqlite"
    result = runner.invoke(app, ["score-freeform", str(responses), "--scenes", str(scenes), "--matcher", "lexical",
                                 "--cache", str(cache)])
    assert result.exit_code == 2, result.output
    assert "--cache is the request cache of --extractor llm" in result.output
    assert "the rules extractor asks no model" in result.output
    assert not cache.exists()


def test_no_cache_with_the_rules_scores(tmp_path: Path) -> None:
    # nothing to turn off, and nothing lost: scored as without it
    responses, scenes = one_reply(tmp_path)
    result = runner.invoke(app, ["score-freeform", str(responses), "--scenes", str(scenes), "--matcher", "lexical",
                                 "--no-cache"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["n"] == 1


# --extractor llm's cache where it cannot be written: said as such (naming the folder, --cache FILE
# and --no-cache) before any reply is scored, not as RequestCache's "not a usable SQLite file:
# remove it". The model's server is never reached (nothing listens at port 9).
LLM = ["--matcher", "lexical", "--extractor", "llm", "--extractor-model", "openai:claims",
       "--base-url", "http://127.0.0.1:9/v1"]


def test_the_default_cache_in_a_folder_that_cannot_be_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # we run as root, whom chmod does not stop: the folder is made unwritable to os.access
    # (a read-only bind mount gives the same message: see helper-205's report)
    import os

    responses, scenes = one_reply(tmp_path)
    real_access = os.access

    def access(path: object, mode: int, **kw: object) -> bool:
        if Path(str(path)) == tmp_path and mode & os.W_OK:
            return False
        return real_access(path, mode, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)
    result = runner.invoke(app, ["score-freeform", str(responses), "--scenes", str(scenes), *LLM])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert f"by default requests.sqlite beside RESPONSES ({tmp_path / 'requests.sqlite'})" in said
    assert f"the folder {tmp_path} cannot be written: pass --cache FILE in a folder that can be written, or --no-cache" in said
    assert "not a usable SQLite file" not in said and not (tmp_path / "requests.sqlite").exists()


def test_a_cache_below_a_file(tmp_path: Path) -> None:
    responses, scenes = one_reply(tmp_path)
    result = runner.invoke(app, ["score-freeform", str(responses), "--scenes", str(scenes), *LLM,
                                 "--cache", str(scenes / "c.sqlite")])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert f"--cache {scenes / 'c.sqlite'}: {scenes} is a file, not a folder: pass another --cache FILE, or --no-cache" in said
