"""eval's claim extractor has a request cache of its own choosing: --extractor-cache FILE and
--no-extractor-cache (Python: `evaluate(extractor_cache=)`), so that a run keeps the model's
replies and asks the extractor again, or the reverse. Before, the extractor went through the
model's cache, and --no-cache turned off both. The summary's freeform "extractor_cache" names the
file. Against one fake chat server answering both the model and the extractor (helper-211)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.evaluate import evaluate
from veriscene.evaluate.freeform.llm_claims import INSTRUCTION

from .fake_server import FakeServer
from .test_eval_llm_extractor import _described

runner = CliRunner()
NO_CLAIMS = orjson.dumps({"objects": [], "relations": []}).decode()


def _server(asked: Counter[str]) -> FakeServer:
    """The evaluated model answers each prompt by a digest of it (a reply per sample); the
    extractor reads no claim in any; `asked` counts the requests of each ("model", "extractor")."""

    def answer(text: str, images: list[str]) -> str:
        if text.startswith(INSTRUCTION):
            asked["extractor"] += 1
            return NO_CLAIMS
        asked["model"] += 1
        return "A picture " + hashlib.sha256(orjson.dumps([text, images])).hexdigest()[:8]

    return FakeServer(answer)


def _eval(run: Path, out: Path, url: str, *more: str) -> dict[str, Any]:
    result = runner.invoke(app, ["eval", str(run), "--model", "openai:vlm", "--base-url", url, "--out", str(out),
                                 "--freeform", "lexical", "--extractor", "llm", "--extractor-model", "openai:claims",
                                 *more])
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = orjson.loads((out / "summary.json").read_bytes())
    return summary


def _rows(cache: Path) -> int:
    with sqlite3.connect(cache) as db:
        return int(db.execute("SELECT COUNT(*) FROM replies").fetchone()[0])


def test_model_replies_kept_extractions_asked_again_and_the_reverse(demo_run: Path, tmp_path: Path) -> None:
    n_samples = sum(1 for line in (demo_run / "samples.jsonl").read_bytes().splitlines() if line.strip())
    n = len(_described(demo_run))
    first_cache = tmp_path / "first" / "requests.sqlite"
    asked: Counter[str] = Counter()
    with _server(asked) as server:
        first = _eval(demo_run, tmp_path / "first", server.url)
        assert asked == {"model": n_samples, "extractor": n}
        assert first["freeform"]["extractor_cache"] == str(first_cache)
        assert _rows(first_cache) == n_samples + n  # both in the run's cache, as before

        # the model's replies from the first run's cache, every extraction asked again
        kept = _eval(demo_run, tmp_path / "kept", server.url, "--cache", str(first_cache), "--no-extractor-cache")
        assert asked == {"model": n_samples, "extractor": 2 * n}
        assert (kept["counts"]["requests_sent"], kept["counts"]["from_cache"]) == (0, n_samples)
        assert "extractor_requests" not in kept["freeform"] and "extractor_cache" not in kept["freeform"]

        # the reverse: the model asked again, the extractions from the first run's cache
        again = _eval(demo_run, tmp_path / "again", server.url, "--no-cache", "--extractor-cache", str(first_cache))
        assert asked == {"model": 2 * n_samples, "extractor": 2 * n}
        assert again["counts"]["requests_sent"] == n_samples
        assert again["freeform"]["extractor_requests"] == {"sent": 0, "from_cache": n}
        assert again["freeform"]["extractor_cache"] == str(first_cache)
        assert not (tmp_path / "again" / "requests.sqlite").exists()

        # a file of its own beside the model's: each cache holds its own requests
        own = tmp_path / "own"
        apart = _eval(demo_run, own, server.url, "--extractor-cache", str(own / "claims.sqlite"))
        assert apart["freeform"]["extractor_cache"] == str(own / "claims.sqlite")
        assert (_rows(own / "requests.sqlite"), _rows(own / "claims.sqlite")) == (n_samples, n)
        assert asked == {"model": 3 * n_samples, "extractor": 3 * n}


def test_python_extractor_cache_false_and_true(demo_run: Path, tmp_path: Path) -> None:
    n = len(_described(demo_run))
    asked: Counter[str] = Counter()
    options = {"freeform": "lexical", "extractor": "llm", "extractor_model": "openai:claims"}
    with _server(asked) as server:
        out = tmp_path / "run"
        evaluate(demo_run, "openai:vlm", out, base_url=server.url, **options)
        # cache=False alone turns off both, as --no-cache does; extractor_cache=True keeps the run's file
        again = evaluate(demo_run, "openai:vlm", tmp_path / "run2", base_url=server.url, cache=False,
                         extractor_cache=True, **options)
        assert again.summary["freeform"]["extractor_cache"] == str(tmp_path / "run2" / "requests.sqlite")
        resumed = evaluate(demo_run, "openai:vlm", out, base_url=server.url, extractor_cache=False, **options)
    assert resumed.counts["resumed"] == resumed.counts["selected"]
    assert "extractor_requests" not in resumed.summary["freeform"]
    assert asked["extractor"] == 3 * n


def test_both_given_refused(tmp_path: Path) -> None:
    cache, out = tmp_path / "c.sqlite", tmp_path / "run"
    result = runner.invoke(app, ["eval", str(tmp_path / "samples.jsonl"), "--model", "replay:" + str(tmp_path / "r"),
                                 "--out", str(out), "--extractor", "llm", "--extractor-model", "openai:claims",
                                 "--base-url", "http://127.0.0.1:9/v1", "--extractor-cache", str(cache),
                                 "--no-extractor-cache"])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert said.startswith(f"error: --extractor-cache and --no-extractor-cache contradict each other "
                           f"(--extractor-cache {cache})"), said
    assert not cache.exists() and not out.exists()


def test_a_file_with_the_rules_refused(demo_run: Path, tmp_path: Path) -> None:
    cache, out = tmp_path / "c.sqlite", tmp_path / "run"
    result = runner.invoke(app, ["eval", str(demo_run), "--model", "replay:" + str(tmp_path / "r"),
                                 "--out", str(out), "--extractor-cache", str(cache)])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert said.startswith("error: --extractor-cache is the request cache of --extractor llm (its claim "
                           "extractions); the rules extractor asks no model"), said
    assert not out.exists()
    with pytest.raises(ValueError, match=r"leave extractor_cache out \(or give extractor_cache=False\)$"):
        evaluate(demo_run, "replay:" + str(tmp_path / "r"), out, extractor_cache=cache)
    with pytest.raises(TypeError, match="extractor_cache must be None"):
        evaluate(demo_run, "replay:" + str(tmp_path / "r"), out, extractor_cache="no")
    assert not out.exists()


def test_a_file_that_cannot_be_made_said_before_the_model_is_asked(demo_run: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    out = tmp_path / "run"
    result = runner.invoke(app, ["eval", str(demo_run), "--model", "openai:vlm", "--base-url", "http://127.0.0.1:9/v1",
                                 "--out", str(out), "--extractor", "llm", "--extractor-model", "openai:claims",
                                 "--extractor-cache", str(tmp_path / "file" / "c.sqlite")])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert said == (f"error: --extractor-cache {tmp_path / 'file' / 'c.sqlite'}: {tmp_path / 'file'} is a file, not "
                    "a folder: pass another --extractor-cache FILE, or --no-extractor-cache"), said
    assert not out.exists()
