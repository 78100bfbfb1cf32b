"""The llm claim extractor asks through the request cache (`cached_model`): a repeated or resumed
`eval` and `score-freeform` of its results send no extraction already answered; `--no-cache`
turns it off with the replies' cache; counted against the fake chat server (helper-204)."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from veriscene.cli import app

from .test_eval_llm_extractor import _by_id, _described, _extractor_server, _replies

runner = CliRunner()


def _eval(demo_run: Path, replies: Path, out: Path, url: str, *more: str) -> dict[str, object]:
    result = runner.invoke(app, ["eval", str(demo_run), "--model", f"replay:{replies}", "--out", str(out),
                                 "--freeform", "lexical", "--extractor", "llm", "--extractor-model", "openai:claims",
                                 "--extractor-base-url", url, *more])
    assert result.exit_code == 0, result.output
    freeform: dict[str, object] = orjson.loads((out / "summary.json").read_bytes())["freeform"]
    return freeform


def _score(responses: Path, url: str, *more: str) -> dict[str, object]:
    result = runner.invoke(app, ["score-freeform", str(responses), "--matcher", "lexical", "--extractor", "llm",
                                 "--extractor-model", "openai:claims", "--base-url", url, *more])
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = orjson.loads(result.stdout)
    return summary


def test_eval_run_again_and_score_freeform_of_it_ask_no_extraction_again(demo_run: Path, tmp_path: Path) -> None:
    replies = _replies(demo_run, tmp_path / "replies.jsonl")
    n = len(_described(demo_run))
    out = tmp_path / "eval"
    with _extractor_server(demo_run) as server:
        first = _eval(demo_run, replies, out, server.url)
        assert sum(server.delivered().values()) == n
        assert first["extractor_requests"] == {"sent": n, "from_cache": 0}
        scores = _by_id(out / "freeform.jsonl")

        again = _eval(demo_run, replies, out, server.url)  # the same command: the run resumed, scored again
        assert sum(server.delivered().values()) == n  # nothing sent
        assert again["extractor_requests"] == {"sent": 0, "from_cache": n}
        assert _by_id(out / "freeform.jsonl") == scores
        assert (again["n"], again["unread"]) == (first["n"], first["unread"])  # the unreadable one read from it too

        # score-freeform of its results: the run's cache (requests.sqlite beside results.jsonl)
        scored = tmp_path / "scored.jsonl"
        summary = _score(out / "results.jsonl", server.url, "--out", str(scored))
        assert sum(server.delivered().values()) == n
        assert summary["extractor_requests"] == {"sent": 0, "from_cache": n}
        assert _by_id(scored) == scores

        # --no-cache: every extraction asked, in both commands
        summary = _score(out / "results.jsonl", server.url, "--no-cache")
        assert sum(server.delivered().values()) == 2 * n and "extractor_requests" not in summary
        _eval(demo_run, replies, out, server.url, "--no-cache")
        assert sum(server.delivered().values()) == 3 * n


def test_eval_without_the_cache_asks_every_time(demo_run: Path, tmp_path: Path) -> None:
    replies = _replies(demo_run, tmp_path / "replies.jsonl")
    n = len(_described(demo_run))
    out = tmp_path / "eval"
    with _extractor_server(demo_run) as server:
        first = _eval(demo_run, replies, out, server.url, "--no-cache")
        _eval(demo_run, replies, out, server.url, "--no-cache")
    assert sum(server.delivered().values()) == 2 * n
    assert "extractor_requests" not in first and not (out / "requests.sqlite").exists()


def test_score_freeform_repeated_asks_nothing_already_answered(demo_run: Path, tmp_path: Path) -> None:
    # a replies file of one's own, not an eval run's: the descriptions' replies with their images
    eval_replies = {r["id"]: r["reply"] for r in map(orjson.loads, _replies(demo_run, tmp_path / "r").read_bytes()
                                                     .splitlines())}
    described = _described(demo_run)
    replies = tmp_path / "replies.jsonl"
    replies.write_bytes(b"".join(orjson.dumps({"id": s["id"], "response": eval_replies[s["id"]],
                                               "image_ids": [i["id"] for i in s["images"]]}) + b"\n"
                                 for s in described))
    n = len(described)
    samples = ["--samples", str(demo_run / "samples.jsonl")]
    with _extractor_server(demo_run) as server:
        assert _score(replies, server.url, *samples)["extractor_requests"] == {"sent": n, "from_cache": 0}
        assert (tmp_path / "requests.sqlite").is_file()  # beside the replies
        assert _score(replies, server.url, *samples)["extractor_requests"] == {"sent": 0, "from_cache": n}
        assert sum(server.delivered().values()) == n
        # another cache file: asked again, once
        shared = tmp_path / "shared" / "claims.sqlite"
        for sent in (n, 0):
            summary = _score(replies, server.url, *samples, "--cache", str(shared))
            assert summary["extractor_requests"] == {"sent": sent, "from_cache": n - sent}
        assert sum(server.delivered().values()) == 2 * n
