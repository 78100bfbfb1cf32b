"""A server's Retry-After: honoured as it says up to `max_retry_wait`, beyond which the request
fails at once as rate limited (waits recorded by a fake clock; a tiny real HTTP server)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from veriscene.evaluate.adapters.base import Completion, Request
from veriscene.evaluate.adapters.openai_compat import MAX_RETRY_WAIT, OpenAIChatModel, retry_after_seconds
from veriscene.evaluate.prompts import Prompt
from veriscene.evaluate.runner import REQUEST_OPTIONS

REPLY = json.dumps({"choices": [{"message": {"content": "yes"}, "finish_reason": "stop"}]}).encode()


class BusyOnce:
    """Answers 429 with `retry_after` as its Retry-After header to the first request, then 200."""

    def __init__(self, retry_after: str, status: int = 429) -> None:
        self.retry_after, self.status, self.requests = retry_after, status, 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.requests += 1
                busy = server.requests == 1
                body = b'{"error": {"message": "slow down", "code": "rate_limit_exceeded"}}' if busy else REPLY
                self.send_response(server.status if busy else 200)
                if busy:
                    self.send_header("Retry-After", server.retry_after)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> BusyOnce:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _ask(server: BusyOnce, **options: Any) -> tuple[Completion, list[float]]:
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:  # the fake clock: the wait recorded, not waited
        waits.append(seconds)

    model = OpenAIChatModel("m", server.url, max_retries=2, backoff_base=0.001, **options)
    model._sleep = fake_sleep
    done: list[Completion] = []
    model.generate([Request("k", Prompt(None, "Is it red?", ()))], done.append)
    return done[0], waits


@pytest.fixture
def server_asking_for(request: pytest.FixtureRequest) -> Iterator[BusyOnce]:
    with BusyOnce(str(request.param)) as server:
        yield server


@pytest.mark.parametrize("server_asking_for", [45], indirect=True)
def test_a_retry_after_above_the_backoff_cap_is_waited_as_said(server_asking_for: BusyOnce) -> None:
    completion, waits = _ask(server_asking_for)
    assert completion.ok and completion.text == "yes" and completion.attempts == 2
    assert waits == [45.0]  # (capped at backoff_max, 30 s, before)


@pytest.mark.parametrize("server_asking_for", [3600], indirect=True)
def test_a_retry_after_beyond_max_retry_wait_fails_the_request_as_rate_limited(server_asking_for: BusyOnce) -> None:
    completion, waits = _ask(server_asking_for)
    assert waits == [] and server_asking_for.requests == 1  # neither waited for nor asked again sooner
    assert not completion.ok and completion.attempts == 1
    assert completion.error is not None and completion.error.startswith(
        "rate limited: HTTP 429 asks to wait 3600 s (Retry-After), more than max_retry_wait 300 s")
    assert "raise max_retry_wait (" in completion.error and "--" not in completion.error  # (Python's name)
    assert completion.info["rate_limited"] and completion.info["gave_up"] and completion.info["retry_after"] == 3600


@pytest.mark.parametrize("server_asking_for", [3600], indirect=True)
def test_max_retry_wait_raised_waits_for_it(server_asking_for: BusyOnce) -> None:
    completion, waits = _ask(server_asking_for, max_retry_wait=7200)
    assert completion.ok and waits == [3600.0]


def test_a_503_asking_too_long_a_wait_is_no_rate_limit() -> None:
    with BusyOnce("900", status=503) as server:
        completion, waits = _ask(server)
    assert waits == [] and completion.error is not None and completion.error.startswith("HTTP 503 asks to wait 900 s")
    assert completion.info["rate_limited"] is False and completion.info["gave_up"]


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(" 1.5 ") == 1.5
    assert retry_after_seconds("-4") == 0.0
    assert retry_after_seconds(formatdate(1_000_090.0, usegmt=True), now=1_000_000.0) == 90.0
    for unread in (None, "", "soon", "nan", "inf"):
        assert retry_after_seconds(unread) is None


def test_without_retry_after_the_backoff_is_capped_as_before() -> None:
    model = OpenAIChatModel("m", "http://127.0.0.1:9/v1", backoff_base=10.0, backoff_max=30.0)
    assert all(model._delay(attempt, None) <= 30.0 for attempt in range(1, 8))
    assert model._delay(1, 250.0) == 250.0 and MAX_RETRY_WAIT == 300.0


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_a_bad_max_retry_wait_is_refused(bad: float) -> None:
    from veriscene.evaluate import ModelConfigError

    with pytest.raises(ModelConfigError, match="max_retry_wait"):
        OpenAIChatModel("m", "http://127.0.0.1:9/v1", max_retry_wait=bad)


def test_the_report_states_it() -> None:
    assert "max_retry_wait" in REQUEST_OPTIONS
