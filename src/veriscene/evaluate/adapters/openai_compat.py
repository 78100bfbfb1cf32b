"""OpenAI-compatible chat completions over HTTP (vLLM, SGLang, Ollama, llama.cpp server, hosted APIs).

Images go as base64 data URLs (MIME type from the file's bytes) before the text of the user
turn; several images are labelled "Image 1:", "Image 2:", ... so that questions naming them
read right. `concurrency` requests are in flight at once (asyncio workers over one pooled
httpx client). Each request has a timeout; 429, 5xx, timeouts and connection errors are
retried with exponential backoff and jitter (at most `backoff_max`, 30 s), up to `max_retries`
retries; a request that fails after them says so (``gave up after N attempts``) and carries
``info["gave_up"] = True``: no server answered it, so a later run may get it (annotate's
--resume asks again). A server's ``Retry-After`` (seconds or an HTTP date) is honoured as it
says, up to `max_retry_wait` (300 s): asked to wait longer, the request fails at once as rate
limited (``info["rate_limited"]``, ``info["retry_after"]``, and ``gave_up``: a later run asks
again), instead of waiting hours unseen or asking again sooner than the server allows. 401 / 403 / 404 stop the whole run with a one-line error (bad
key, URL or model name), and so does a 429 whose error code says the account's quota is used up
(`QUOTA_CODES`: OpenAI's ``insufficient_quota``), which no wait ends; other 4xx fail only that
request, at once. So does a request that gives
up on connection errors alone while no request of this model has had any HTTP answer: nothing
listens at the URL (a wrong port, a server not started), and asking every other sample through
its own retries would take about 40 s per `concurrency` samples before saying so. A connection
the host refuses (nothing listens at the port) while no request has had an HTTP answer stops the
run at once, without the retries (`refused`): no wait makes a server appear there, and the retries
took 24 s (eval) to 43 s (annotate) before saying so. Refused connections after an answer (a
server restarting) are retried as other connection errors are.

A reply with HTTP 200 is retried only when asking again may give another body (each attempt is
a paid request, and the waits between them grow to minutes):

- a body that is not JSON (cut short by a dropped connection, a proxy's HTML page): retried;
- an error object (``{"error": {...}}``, no choices) whose ``code`` or ``status`` is one retried
  above (429, 5xx, ...): retried, as that status would be (gateways pass an overloaded upstream
  on so);
- a well-formed body saying there is no answer: any other error object, no ``choices`` (or an
  empty list, a choice that is no object or holds no message object), or the finish reason
  ``content_filter`` (what the filter let through, if anything, is kept as the text): the
  request fails at once, after 1 attempt (error ``HTTP 200 without an answer: ...``,
  ``info["status"] = 200``). The same request gets the same body;
- an empty reply (content ``""`` or null, whatever the finish reason) is the model's answer, not
  a failure: returned as it is after 1 attempt, and scored by an evaluation as the model's
  answer (counting it a failure would leave it out of the accuracy and ask it again on each
  rerun). A reasoning model that spent its tokens thinking shows it in ``finish_reason`` and
  ``info["reasoning_chars"]``; the reasoning itself is ``info["reasoning"]``.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from veriscene.errors import MissingExtra
from veriscene.evaluate.adapters.base import (
    Completion,
    Model,
    ModelConfigError,
    OnDone,
    Request,
    image_payload,
)
from veriscene.scene.image_files import ImageFileError
from veriscene.option_names import option

RETRY_STATUSES = frozenset({408, 409, 425, 429})
FATAL_STATUSES = {401: "the server refused the API key", 403: "access forbidden",
                  404: "endpoint or model not found"}
# Error codes (or types) of a 429 that no wait ends: the account's credit or quota is used up
# (OpenAI: "You exceeded your current quota, please check your plan and billing details."). A
# rate limit's 429 ("rate_limit_exceeded") is retried; these stop the run as a 401 does.
QUOTA_CODES = frozenset({"insufficient_quota", "billing_not_active", "billing_hard_limit_reached"})
MAX_RETRY_WAIT = 300.0  # the longest Retry-After waited for (seconds); longer: the request fails, rate limited
# the end of the error of no server at the URL (a question: annotate adds its own sentence after it)
def not_there() -> str:
    """What a connection no server answers is asked of the user, naming the URL's option as given."""
    return f"is it running (and done loading its model), and is {option('base_url', '--base-url')} right?"


def refused(exc: BaseException) -> bool:
    """Whether a connection error was the host refusing the connection (nothing listens at the
    port): a ConnectionRefusedError anywhere in its chain (httpx -> httpcore -> anyio's "All
    connection attempts failed" -> the socket's error)."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, ConnectionRefusedError):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """The wait a ``Retry-After`` header asks for, in seconds: a number of seconds, or an HTTP
    date (``Wed, 21 Oct 2026 07:28:00 GMT``) less `now` (time.time()); None when absent or
    unreadable (the backoff's own wait is taken then)."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # (an HTTP date is GMT)
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def quota_error(text: str) -> str | None:
    """The code of a 429 body saying the account's quota is used up (`QUOTA_CODES`), else None."""
    try:
        error = json.loads(text).get("error")
    except (ValueError, AttributeError):
        return None
    if not isinstance(error, dict):
        return None
    for key in ("code", "type"):
        if isinstance(error.get(key), str) and error[key] in QUOTA_CODES:
            return str(error[key])
    return None


def chat_url(base_url: str) -> str:
    """``http://host:8000`` -> ``http://host:8000/v1/chat/completions``; ``.../v1`` -> ``.../v1/chat/completions``."""
    if not isinstance(base_url, str):  # urlsplit of a number raised AttributeError: 'int' has no 'decode'
        raise TypeError(f"base_url must be the server's URL (a str, e.g. 'http://localhost:8000/v1'), got {base_url!r}")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ModelConfigError(f"{option('base_url', '--base-url')} must be an http(s) URL like "
                               f"http://localhost:8000/v1, got {base_url!r}")
    base = base_url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if parts.path in ("", "/"):
        base += "/v1"
    return base + "/chat/completions"


def build_messages(request: Request) -> list[dict[str, Any]]:
    """The chat messages of a request: optional system turn, then one user turn (images, text)."""
    prompt = request.prompt
    content: list[dict[str, Any]] = []
    labelled = len(prompt.images) > 1
    for k, path in enumerate(prompt.images, start=1):
        if labelled:
            content.append({"type": "text", "text": f"Image {k}:"})
        # (with the points the question names drawn on it, when it has marks)
        content.append({"type": "image_url", "image_url": {"url": image_payload(path, prompt.marks_of(k - 1))[1]}})
    content.append({"type": "text", "text": prompt.text})
    messages: list[dict[str, Any]] = []
    if prompt.system:
        messages.append({"role": "system", "content": prompt.system})
    messages.append({"role": "user", "content": content})
    return messages


class NoAnswer(ValueError):
    """A well-formed HTTP 200 body saying there is no answer: not retried (module notes). `text`:
    what the body holds of a reply, if anything; `info`: its finish reason and usage."""

    def __init__(self, message: str, text: str = "", info: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.text = text
        self.info = dict(info or {})


class BusyReply(ValueError):
    """An HTTP 200 body holding an error object whose code is a status retried (429, 5xx, ...)."""


def _error_status(error: Any) -> int | None:
    """The HTTP status an error object names in ``code`` or ``status`` (a number or its digits)."""
    if not isinstance(error, dict):
        return None
    for key in ("code", "status"):
        value = error.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
    return None


def retried_status(status: int) -> bool:
    """Whether a reply of HTTP `status` is worth asking again (the server was busy or failed)."""
    return status in RETRY_STATUSES or status >= 500


def reply_text(body: Any) -> tuple[str, dict[str, Any]]:
    """(content, info) of a chat-completions response body (parsed JSON): `NoAnswer` when the body
    says there is no answer, `BusyReply` when it holds a retried status's error (module notes)."""
    if not isinstance(body, dict):
        raise NoAnswer(f"the body is a JSON {type(body).__name__}, not a chat completion object")
    choices = body.get("choices")
    error = body.get("error")
    if error and not (isinstance(choices, list) and choices):
        said = error.get("message", error) if isinstance(error, dict) else error
        status = _error_status(error)
        if status is not None and retried_status(status):
            raise BusyReply(f"an error of status {status}: {str(said)[:200]}")
        raise NoAnswer(f"the server answered with an error: {str(said)[:200]}")
    if not isinstance(choices, list) or not choices:
        raise NoAnswer("the reply has no 'choices'")
    choice = choices[0]
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(message, dict):
        raise NoAnswer("the reply's first choice holds no message object")
    content = message.get("content")
    if isinstance(content, list):  # some servers return content parts
        content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    info: dict[str, Any] = {"finish_reason": choice.get("finish_reason")}
    if isinstance(body.get("usage"), dict):
        info["usage"] = {k: body["usage"].get(k) for k in ("prompt_tokens", "completion_tokens")}
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if reasoning and isinstance(reasoning, str):
        info["reasoning_chars"] = len(reasoning)
        info["reasoning"] = reasoning  # kept in results.jsonl: `eval --process` scores its steps
    text = (content or "") if isinstance(content, str) else ""
    if info["finish_reason"] == "content_filter":
        raise NoAnswer("the server's content filter withheld the reply (finish_reason 'content_filter')", text, info)
    return text, info


def _check_numbers(integer: bool = True, **values: Any) -> None:
    """TypeError for an option of the client that is no number (a whole one where `integer`): a
    text compared with a number raised "'<=' not supported between 'str' and 'int'"."""
    for name, value in values.items():
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise TypeError(f"{name} must be {'a whole number' if integer else 'a number'}, got {value!r}")


class OpenAIChatModel(Model):
    def __init__(self, name: str, base_url: str, *, api_key: str | None = None,
                 api_key_env: str = "OPENAI_API_KEY", concurrency: int = 8, timeout: float = 120.0,
                 max_retries: int = 6, backoff_base: float = 0.5, backoff_max: float = 30.0,
                 temperature: float = 0.0, max_tokens: int = 512, extra_params: dict[str, Any] | None = None,
                 seed: int = 0, max_retry_wait: float = MAX_RETRY_WAIT) -> None:
        if not name:
            raise ModelConfigError("an OpenAI-compatible model needs a name: " + option(
                "'openai:NAME' or OpenAIChatModel(NAME, base_url)", "--model openai:NAME"))
        _check_numbers(concurrency=concurrency, max_retries=max_retries, max_tokens=max_tokens, seed=seed)
        _check_numbers(integer=False, timeout=timeout, backoff_base=backoff_base, backoff_max=backoff_max,
                       temperature=temperature, max_retry_wait=max_retry_wait)
        if extra_params is not None and not isinstance(extra_params, dict):
            raise TypeError(f"extra_params must be a dict of request fields (e.g. {{'top_p': 0.9}}), got {extra_params!r}")
        for key, value in (("api_key", api_key), ("api_key_env", api_key_env)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{key} must be a str, got {type(value).__name__}")  # (its value is never shown)
        if concurrency < 1 or max_retries < 0 or timeout <= 0:
            raise ModelConfigError("concurrency must be >= 1, max_retries >= 0 and timeout > 0")
        if not max_retry_wait >= 0 or not math.isfinite(max_retry_wait):
            raise ModelConfigError(f"max_retry_wait must be the longest Retry-After waited for, in seconds (>= 0), "
                                   f"got {max_retry_wait!r}")
        self.name = name
        self.url = chat_url(base_url)
        self.api_key = api_key if api_key is not None else os.environ.get(api_key_env)
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_wait = float(max_retry_wait)
        # how a wait is waited (a test's fake clock records it instead)
        self._sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
        self.params: dict[str, Any] = {"temperature": temperature, "max_tokens": max_tokens, **(extra_params or {})}
        self._rng = random.Random(seed)  # backoff jitter only; never touches results
        self.stats = {"http_requests": 0, "retries": 0}
        self._answered = False  # any HTTP response at all from the server, this run

    def identity(self) -> dict[str, Any]:
        # The URL is not part of the identity: the same model behind another host gives the same replies.
        return {"adapter": "openai", "model": self.name, "params": self.params}

    def payload(self, request: Request) -> dict[str, Any]:
        return {"model": self.name, "messages": build_messages(request), **self.params}

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """The wait before attempt `attempt` + 1: the server's Retry-After (`retry_after`, seconds,
        at most `max_retry_wait`: `_one` fails a request asked to wait longer), else the backoff's."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_wait)
        delay = self.backoff_base * (2 ** (attempt - 1))
        return min(delay * (0.5 + self._rng.random()), self.backoff_max)

    async def _one(self, client: Any, request: Request) -> Completion:
        import httpx

        try:
            body = self.payload(request)
        except (FileNotFoundError, ImageFileError) as exc:  # a missing or undecodable image, named
            return Completion(key=request.key, text="", error=str(exc))
        last = "no attempt made"
        unreached = True  # every attempt of this request failed to connect
        for attempt in range(1, self.max_retries + 2):
            retry_after: float | None = None
            started = time.perf_counter()
            self.stats["http_requests"] += 1
            try:
                response = await client.post(self.url, json=body)
            except httpx.TimeoutException:
                last = f"timed out after {self.timeout:g} s"
                unreached = False
            except httpx.TransportError as exc:
                last = f"connection error: {type(exc).__name__}: {exc}"
                unreached = unreached and isinstance(exc, httpx.ConnectError)
                if unreached and not self._answered and refused(exc):  # nothing listens there: no wait helps
                    raise ModelConfigError(f"no server answers at {self.url} ({attempt} attempt"
                                           f"{'s' if attempt > 1 else ''}; last: {last}; the connection was "
                                           f"refused): {not_there()}")
            else:
                self._answered = True
                latency = time.perf_counter() - started
                status = response.status_code
                if status == 200:
                    try:
                        parsed = response.json()
                    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError: cut short, not JSON
                        last = f"unreadable response body (not JSON): {exc}"
                    else:
                        try:
                            text, info = reply_text(parsed)
                        except BusyReply as exc:
                            last = f"HTTP 200 with {exc}"
                        except NoAnswer as exc:  # asking again gets the same: one paid request is enough
                            return Completion(key=request.key, text=exc.text, latency_s=latency, attempts=attempt,
                                              error=f"HTTP 200 without an answer: {exc}",
                                              info={**exc.info, "status": status})
                        else:
                            info["status"] = status
                            return Completion(key=request.key, text=text, latency_s=latency, attempts=attempt,
                                              info=info)
                elif status in FATAL_STATUSES:
                    served = await self._served(client) if status == 404 else ""
                    raise ModelConfigError(
                        f"{self.url} answered HTTP {status} for model {self.name!r}: {FATAL_STATUSES[status]} "
                        f"({response.text[:200].strip()}){served}")
                elif status == 429 and (code := quota_error(response.text)) is not None:
                    raise ModelConfigError(
                        f"{self.url} answered HTTP 429 for model {self.name!r}: the account's quota is used up "
                        f"({code}: {response.text[:200].strip()}); waiting does not end it, so nothing is asked "
                        f"again: add credit or raise the limit (or use another key, "
                        f"{option('api_key_env=', '--api-key-env')}), then run the same command")
                elif retried_status(status):
                    last = f"HTTP {status}: {response.text[:200].strip()}"
                    retry_after = retry_after_seconds(response.headers.get("retry-after"))
                    if retry_after is not None and retry_after > self.max_retry_wait:
                        return Completion(
                            key=request.key, text="", latency_s=latency, attempts=attempt,
                            error=(f"{'rate limited: ' if status == 429 else ''}HTTP {status} asks to wait {retry_after:.0f} s (Retry-After), more "
                                   f"than max_retry_wait {self.max_retry_wait:g} s; run the same command later, or "
                                   f"raise {option('max_retry_wait', '--max-retry-wait')} "
                                   f"({response.text[:120].strip()})"),
                            info={"status": status, "rate_limited": status == 429, "retry_after": retry_after,
                                  "gave_up": True})
                else:
                    return Completion(key=request.key, text="", latency_s=latency, attempts=attempt,
                                      error=f"HTTP {status}: {response.text[:300].strip()}", info={"status": status})
            if attempt <= self.max_retries:
                self.stats["retries"] += 1
                await self._sleep(self._delay(attempt, retry_after))
        tries = f"{self.max_retries + 1} attempt{'s' if self.max_retries else ''}"
        if unreached and not self._answered:
            raise ModelConfigError(f"no server answers at {self.url} ({tries}; last: {last}): {not_there()}")
        return Completion(key=request.key, text="", attempts=self.max_retries + 1,
                          error=f"gave up after {tries}; last: {last}", info={"gave_up": True})

    async def _served(self, client: Any) -> str:
        """After a 404: the models the server lists (``GET .../models``), with the one closest to the
        name asked, as the error's end; "" when it lists none or the name is among them (the
        endpoint is then wrong)."""
        import difflib

        try:
            listed = (await client.get(self.url.removesuffix("/chat/completions") + "/models")).json()["data"]
            names = [str(m["id"]) for m in listed]
        except Exception:  # noqa: BLE001 - a server without the listing: the 404 says enough
            return ""
        if not names or self.name in names:
            return ""
        close = difflib.get_close_matches(self.name, names, n=1, cutoff=0.5)
        return (f". The server serves {', '.join(names[:10])}{' ...' if len(names) > 10 else ''}"
                + (f" (the closest: {close[0]!r})" if close else ""))

    async def _run(self, requests: Sequence[Request], on_done: OnDone) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        timeout = httpx.Timeout(self.timeout, connect=min(self.timeout, 30.0))
        queue: asyncio.Queue[Request] = asyncio.Queue()
        for r in requests:
            queue.put_nowait(r)

        async def worker() -> None:
            while True:
                try:
                    request = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                on_done(await self._one(client, request))

        async with httpx.AsyncClient(headers=headers, limits=limits, timeout=timeout) as client:
            workers = [asyncio.create_task(worker()) for _ in range(min(self.concurrency, len(requests)))]
            try:
                await asyncio.gather(*workers)
            finally:
                for w in workers:
                    w.cancel()
                await asyncio.gather(*workers, return_exceptions=True)

    def generate(self, requests: Sequence[Request], on_done: OnDone) -> None:
        try:
            import httpx  # noqa: F401
        except ImportError:
            raise MissingExtra("the OpenAI-compatible adapter", "eval", "httpx") from None
        if requests:
            asyncio.run(self._run(requests, on_done))
