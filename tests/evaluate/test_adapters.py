"""Adapter details: URLs, fatal HTTP statuses, retries giving up, replay, prompts, CLI."""

from __future__ import annotations

import orjson
import pytest
from typer.testing import CliRunner

from tests.evaluate.conftest import samples
from tests.evaluate.fake_server import FakeServer, Faults
from veriscene.cli import app
from veriscene.evaluate import ModelConfigError, PromptSet, evaluate
from veriscene.evaluate.adapters.openai_compat import chat_url


@pytest.mark.parametrize(("base", "url"), [
    ("http://h:8000", "http://h:8000/v1/chat/completions"),
    ("http://h:8000/v1/", "http://h:8000/v1/chat/completions"),
    ("https://api.x.com/openai/v1", "https://api.x.com/openai/v1/chat/completions"),
])
def test_chat_url(base, url) -> None:
    assert chat_url(base) == url


def test_bad_url_is_one_clear_error() -> None:
    with pytest.raises(ModelConfigError, match="base-url"):
        chat_url("localhost:8000")


def test_prompt_instructions() -> None:
    ps = PromptSet()
    rec = {"id": "x", "question": "How many circles?", "answer_type": "int", "images": [{"path": "a.png"}]}
    assert ps.build(rec, __import__("pathlib").Path("/d")).text == "How many circles?\nAnswer with a single number."
    rec2 = {**rec, "question": "Where? Answer with [x0, y0, x1, y1] in pixels.", "answer_type": "box"}
    assert ps.instruction(rec2) == ""
    custom = PromptSet.from_dict({"instructions": {"int": "Digits only."}, "system": "Be brief."})
    assert custom.build(rec, __import__("pathlib").Path("/d")).text.endswith("Digits only.")
    with pytest.raises(ValueError, match="unknown prompt instruction keys"):
        PromptSet.from_dict({"instructions": {"integer": "x"}})


def test_persistent_failures_are_reported_not_lost(demo_run, tmp_path) -> None:
    calls = {"n": 0}

    def answer(text, images):
        return "Yes"

    faults = Faults(rate_500=1.0)  # the first two attempts of every request fail
    with FakeServer(answer, faults=faults) as server:
        s = evaluate(demo_run, "openai:fake", tmp_path / "o", base_url=server.url, limit=5, freeform="off",
                     model_options={"max_retries": 1, "backoff_base": 0.001})
        assert not s.complete and s.counts["errors"] == 5
        results = [orjson.loads(x) for x in (tmp_path / "o" / "results.jsonl").read_bytes().splitlines()]
        assert all(r["status"] == "error" and "HTTP 500" in r["error"] for r in results)
        # the rerun retries the failed requests (third attempt succeeds)
        s2 = evaluate(demo_run, "openai:fake", tmp_path / "o", base_url=server.url, limit=5, freeform="off",
                      model_options={"max_retries": 1, "backoff_base": 0.001})
    assert s2.complete and s2.counts["requests_sent"] == 5 and calls["n"] == 0


def test_unauthorised_stops_the_run(demo_run, tmp_path) -> None:
    class Refusing(FakeServer):
        def handle(self, handler, body):
            self._send(handler, 401, {"error": {"message": "bad key"}})

    with Refusing(lambda t, i: "") as server:
        with pytest.raises(ModelConfigError, match="401"):
            evaluate(demo_run, "openai:fake", tmp_path / "o", base_url=server.url, limit=3, freeform="off")


def test_cli_eval_replay_and_compare(demo_run, tmp_path) -> None:
    replies = tmp_path / "replies.jsonl"
    recs = samples(demo_run)
    replies.write_bytes(b"\n".join(orjson.dumps({"id": r["id"], "reply": "yes"}) for r in recs[:30]) + b"\n")
    runner = CliRunner()
    a = runner.invoke(app, ["eval", str(demo_run / "samples.jsonl"), "--model", f"replay:{replies}", "--out",
                            str(tmp_path / "a"), "--limit", "20", "--freeform", "lexical"])
    assert a.exit_code == 0, a.output
    assert "accuracy" in a.output
    b = runner.invoke(app, ["eval", str(demo_run), "--model", f"replay:{replies}", "--out", str(tmp_path / "b"),
                            "--limit", "40", "--freeform", "off"])
    assert b.exit_code == 1 and "rerun" in b.output  # 10 samples have no stored reply: reported as errors
    c = runner.invoke(app, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "c")])
    assert c.exit_code == 0, c.output
    assert (tmp_path / "c" / "compare.html").exists() and "Paired difference" in c.output
    d = runner.invoke(app, ["eval", str(demo_run), "--model", "openai:x", "--out", str(tmp_path / "d")])
    assert d.exit_code == 2 and "--base-url" in d.output
    e = runner.invoke(app, ["score-freeform", str(tmp_path / "a" / "results.jsonl"), "--scenes",
                            str(demo_run / "scenes.jsonl"), "--matcher", "lexical"])
    assert e.exit_code == 0, e.output


def test_replay_identity_follows_the_file_content(demo_run, tmp_path) -> None:
    from veriscene.evaluate.adapters.replay import ReplayModel
    replies = tmp_path / "replies.jsonl"
    recs = samples(demo_run)[:5]
    replies.write_bytes(b"\n".join(orjson.dumps({"id": r["id"], "reply": "yes"}) for r in recs) + b"\n")
    before = ReplayModel(replies).identity()
    evaluate(demo_run, f"replay:{replies}", tmp_path / "out", limit=5, freeform="off")
    replies.write_bytes(b"\n".join(orjson.dumps({"id": r["id"], "reply": "no"}) for r in recs) + b"\n")
    after = ReplayModel(replies).identity()
    assert before["file"] == after["file"] and before["sha256"] != after["sha256"]
    with pytest.raises(ValueError, match="holds results of model"):
        evaluate(demo_run, f"replay:{replies}", tmp_path / "out", limit=5, freeform="off")
