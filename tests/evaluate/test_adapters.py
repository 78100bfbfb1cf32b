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
    with pytest.raises(ModelConfigError, match="^base_url must be an http"):  # (the Python name: `option_names`)
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


def test_the_builtin_reasoning_prompts_request_the_format_of_every_answer(tmp_path, monkeypatch) -> None:
    from veriscene.evaluate.prompts import REASONING_REQUEST, load_prompts

    ps = load_prompts("reasoning")
    assert ps.text({"question": "How many cups?", "answer_type": "int"}) == \
        "How many cups?\nAnswer with a single number.\n" + REASONING_REQUEST
    mc = {"question": "Which?\nA. x\nB. y\nAnswer with the option's letter.", "answer_type": "str", "choices": ["x", "y"]}
    assert ps.text(mc) == mc["question"] + "\n" + REASONING_REQUEST  # instructed already: the request alone
    # descriptions too: their reasoning targets think, as every other's (captions list the objects)
    assert ps.text({"question": "Describe the image.", "answer_type": "text"}) == \
        "Describe the image.\n" + REASONING_REQUEST
    assert PromptSet().text({"question": "Describe the image.", "answer_type": "text"}) == "Describe the image."
    assert PromptSet.from_dict({"request": "Be brief."}).text({"question": "Q?", "answer_type": "bool"}) == \
        "Q?\nAnswer with yes or no.\nBe brief."
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reasoning").write_text('{"system": "mine"}')  # a file of that name comes first
    assert load_prompts("reasoning").system == "mine" and not load_prompts("reasoning").request


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
    assert b.exit_code == 1 and "10 of 40 samples got no reply" in b.stderr  # no stored reply: reported as errors
    c = runner.invoke(app, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "c")])
    assert c.exit_code == 0, c.output
    assert (tmp_path / "c" / "compare.html").exists() and "Paired difference" in c.output
    d = runner.invoke(app, ["eval", str(demo_run), "--model", "openai:x", "--out", str(tmp_path / "d")])
    assert d.exit_code == 2 and "--base-url" in d.output
    e = runner.invoke(app, ["score-freeform", str(tmp_path / "a" / "results.jsonl"), "--scenes",
                            str(demo_run / "scenes.jsonl"), "--matcher", "lexical"])
    # the first 20 samples hold no free-form description: their "yes" are answers, not descriptions to score
    assert e.exit_code == 1 and "holds no description: its 20 replies are answers" in e.stderr


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
    with pytest.raises(ValueError, match="holds results of another model") as refused:
        evaluate(demo_run, f"replay:{replies}", tmp_path / "out", limit=5, freeform="off")
    # said by field, and that the replies file changed (not two dicts to compare by eye)
    message = str(refused.value)
    assert f"sha256: {before['sha256'][:12]}... -> {after['sha256'][:12]}..." in message
    assert f"the replies file {replies} changed since" in message and "adapter" not in message


class RawServer(FakeServer):
    """Answers every request with HTTP 200 and the body `raw`; `requests` counts them."""

    raw: bytes = b""
    requests: int = 0

    def handle(self, handler, body):
        with self._lock:
            self.requests += 1
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(self.raw)))
        handler.end_headers()
        handler.wfile.write(self.raw)


def _reply(content, finish_reason="stop") -> bytes:
    return orjson.dumps({"choices": [{"index": 0, "finish_reason": finish_reason,
                                      "message": {"role": "assistant", "content": content}}]})


@pytest.mark.parametrize(("raw", "requests", "text", "error"), [
    # not JSON (cut short, a proxy's page): asked again, up to max_retries (2) times
    (b'{"choices": [{"message": {"content": "Ye', 3, "", "gave up after 3 attempts; last: unreadable response body"),
    (b"<html>502 Bad Gateway</html>", 3, "", "unreadable response body (not JSON)"),
    # an error object of a retried status (a gateway's busy upstream): asked again
    (orjson.dumps({"error": {"message": "overloaded", "code": 503}}), 3, "", "HTTP 200 with an error of status 503"),
    (orjson.dumps({"error": {"message": "slow down", "code": "429"}}), 3, "", "status 429: slow down"),
    # well-formed, and no answer: asking again gets the same, so one request
    (orjson.dumps({"error": {"message": "images are not supported", "code": 400}}), 1, "",
     "HTTP 200 without an answer: the server answered with an error: images are not supported"),
    (orjson.dumps({"error": "no such thing"}), 1, "", "the server answered with an error: no such thing"),
    (orjson.dumps({"id": "x", "object": "chat.completion"}), 1, "", "the reply has no 'choices'"),
    (orjson.dumps({"choices": []}), 1, "", "the reply has no 'choices'"),
    (orjson.dumps({"choices": [None]}), 1, "", "first choice holds no message object"),  # raised AttributeError
    (orjson.dumps({"choices": [{"message": "Yes"}]}), 1, "", "first choice holds no message object"),
    (orjson.dumps([1, 2]), 1, "", "the body is a JSON list"),
    (_reply(None, "content_filter"), 1, "", "content filter withheld the reply"),
    (_reply("Ye", "content_filter"), 1, "Ye", "content filter withheld the reply"),
    # the model's own answer, empty or cut at the token limit: returned as it is, one request
    (_reply(""), 1, "", None),
    (_reply(None, "length"), 1, "", None),
    (_reply("Yes"), 1, "Yes", None),
])
def test_which_http_200_replies_are_asked_again(raw, requests, text, error) -> None:
    from veriscene.evaluate.adapters.base import Request
    from veriscene.evaluate.adapters.openai_compat import OpenAIChatModel
    from veriscene.evaluate.prompts import Prompt

    server = RawServer(lambda t, i: "")
    server.raw = raw
    done = []
    with server:
        model = OpenAIChatModel("m", server.url, max_retries=2, backoff_base=0.001, backoff_max=0.01)
        model.generate([Request("k", Prompt(None, "Is it red?", ()))], done.append)
    (completion,) = done
    assert server.requests == requests and completion.attempts == requests
    assert completion.text == text
    if error is None:
        assert completion.ok and completion.info["status"] == 200
    else:
        assert error in completion.error
        # gave up after its retries: the server's failure (annotate's --resume asks again); else the reply's
        assert completion.info.get("gave_up", False) == (requests > 1)
        assert completion.info.get("status") == (None if requests > 1 else 200)


def test_an_eval_of_hopeless_http_200_replies_sends_each_request_once(demo_run, tmp_path) -> None:
    server = RawServer(lambda t, i: "")
    server.raw = orjson.dumps({"error": {"message": "this model reads no images", "code": 400}})
    with server:
        s = evaluate(demo_run, "openai:fake", tmp_path / "o", base_url=server.url, limit=4, freeform="off",
                     model_options={"backoff_base": 0.001})  # max_retries: 6 by default
    assert server.requests == 4 and s.counts["errors"] == 4
    results = [orjson.loads(x) for x in (tmp_path / "o" / "results.jsonl").read_bytes().splitlines()]
    assert all(r["attempts"] == 1 and "this model reads no images" in r["error"] for r in results)


def test_a_function_model_is_known_by_its_code(demo_run, tmp_path) -> None:
    """Two functions under the default name were one model: the second call resumed the first's
    replies and reported its accuracy. The identity now holds a fingerprint of the function."""
    from veriscene.evaluate import FunctionModel
    from veriscene.evaluate.adapters.replay import function_fingerprint

    def always(word):
        return lambda request: word

    assert function_fingerprint(always("Yes")) == function_fingerprint(always("Yes"))  # the same code and values
    assert function_fingerprint(always("Yes")) != function_fingerprint(always("No"))  # a closed-over value
    assert function_fingerprint(lambda r: "Yes") != function_fingerprint(lambda r: "No")  # a constant
    first = evaluate(demo_run, FunctionModel(lambda r: "Yes"), tmp_path / "out", limit=20, seed=0, freeform="off")
    assert first.summary["counts"]["requests_sent"] == 20
    again = evaluate(demo_run, FunctionModel(lambda r: "Yes"), tmp_path / "out", limit=20, seed=0, freeform="off")
    assert again.summary["counts"]["resumed"] == 20 and again.accuracy == first.accuracy
    with pytest.raises(ValueError, match="holds results of another model") as refused:
        evaluate(demo_run, FunctionModel(lambda r: "No"), tmp_path / "out", limit=20, seed=0, freeform="off")
    message = str(refused.value)
    assert "function: " in message and "another function, or the values it closes over changed" in message
    assert "'sha256'" not in message  # the digest said short, not a dict


def test_a_plain_function_is_a_model(demo_run, tmp_path) -> None:
    def say_two(request):
        return "2"

    summary = evaluate(demo_run, say_two, tmp_path / "out", limit=10, seed=0, freeform="off")
    assert summary.summary["counts"]["requests_sent"] == 10
    assert summary.summary["model"]["model"] == "say_two" and summary.summary["model"]["adapter"] == "FunctionModel"
    with pytest.raises(ModelConfigError, match="a function as the model takes no options"):
        evaluate(demo_run, say_two, tmp_path / "other", limit=10, model_options={"temperature": 0})
    with pytest.raises(ModelConfigError, match="a Model, or a function"):
        evaluate(demo_run, "claude", tmp_path / "third", limit=10)


def test_a_used_up_quota_stops_the_run(demo_run, tmp_path) -> None:
    """A 429 whose error says the account's quota is used up (OpenAI's insufficient_quota) stops
    the run at once, as a 401 does: before, every sample was asked 7 times with waits growing to
    30 s (16 samples: 112 requests, 86 s) and the run ended 'rerun the same command to retry'.
    A rate limit's 429 is still asked again."""
    quota = {"error": {"message": "You exceeded your current quota, please check your plan and billing details.",
                       "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}}

    class NoCredit(FakeServer):
        def handle(self, handler, body):
            self.calls = getattr(self, "calls", 0) + 1
            self._send(handler, 429, quota)

    with NoCredit(lambda t, i: "") as server:
        with pytest.raises(ModelConfigError, match="quota is used up .insufficient_quota"):
            evaluate(demo_run, "openai:fake", tmp_path / "o", base_url=server.url, limit=16, freeform="off",
                     model_options={"backoff_base": 0.001, "concurrency": 1})
        assert server.calls == 1
    assert not (tmp_path / "o").exists()  # a run stopped at its first request leaves no folder

    from veriscene.evaluate.adapters.openai_compat import quota_error

    assert quota_error(orjson.dumps(quota).decode()) == "insufficient_quota"
    assert quota_error('{"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}') is None
    assert quota_error("<html>429 Too Many Requests</html>") is None and quota_error('["x"]') is None
