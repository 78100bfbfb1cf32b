"""A fake OpenAI-compatible chat-completions server on 127.0.0.1 (real HTTP) with fault injection.

`FakeServer(answer)` answers ``answer(text, image_sha256s) -> str``. Faults are decided per
request content (so they are the same for every run and concurrency): a share of requests gets
429 on its first attempt, 500 on its first two, a response slower than the client's timeout on
its first, or a dropped connection on its first. `capacity` requests are served at once, each
taking `latency` seconds (so throughput is capacity / latency at best). Every attempt is logged.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    """A client that went away (killed on purpose, timed out, or answered after the test ended:
    its handler thread outlives the test) is not an error of the server: socketserver would print
    its traceback to whatever `sys.stderr` is then, a later test's captured output included."""

    request_queue_size = 256  # listen backlog: many clients connect at once
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


@dataclass
class Faults:
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_slow: float = 0.0
    rate_drop: float = 0.0
    slow_s: float = 1.5

    def kind(self, key: str) -> str | None:
        h = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        for name, rate in (("429", self.rate_429), ("500", self.rate_500), ("slow", self.rate_slow), ("drop", self.rate_drop)):
            if h < rate:
                return name
            h -= rate
        return None


@dataclass
class LogEntry:
    key: str
    status: int | str  # HTTP status, "slow" (answered late) or "drop"


@dataclass
class FakeServer:
    answer: Callable[[str, list[str]], str]
    faults: Faults = field(default_factory=Faults)
    capacity: int = 64
    latency: float = 0.0
    log: list[LogEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._attempts: Counter[str] = Counter()
        self._slots = threading.Semaphore(self.capacity)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle delay

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                server.handle(self, body)

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @staticmethod
    def content(body: dict) -> tuple[str, list[str]]:
        user = body["messages"][-1]["content"]
        texts = [p["text"] for p in user if p["type"] == "text"]
        images = [hashlib.sha256(base64.b64decode(p["image_url"]["url"].split(",", 1)[1])).hexdigest()
                  for p in user if p["type"] == "image_url"]
        return texts[-1], images

    def _send(self, handler: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def handle(self, handler: BaseHTTPRequestHandler, body: dict) -> None:
        text, images = self.content(body)
        key = hashlib.sha256(json.dumps([text, images]).encode()).hexdigest()
        with self._lock:
            self._attempts[key] += 1
            attempt = self._attempts[key]
        fault = self.faults.kind(key)
        status: int | str = 200
        if fault == "429" and attempt == 1:
            status = 429
        elif fault == "500" and attempt <= 2:
            status = 500
        elif fault == "slow" and attempt == 1:
            status = "slow"
        elif fault == "drop" and attempt == 1:
            status = "drop"
        with self._lock:
            self.log.append(LogEntry(key, status))
        if status == "drop":
            handler.close_connection = True
            handler.connection.shutdown(2)
            return
        if status in (429, 500):
            self._send(handler, status, {"error": {"message": "injected fault"}})
            return
        with self._slots:
            time.sleep(self.latency + (self.faults.slow_s if status == "slow" else 0.0))
            reply = self.answer(text, images)
        try:
            self._send(handler, 200, {"id": "x", "object": "chat.completion", "model": body["model"],
                                      "choices": [{"index": 0, "finish_reason": "stop",
                                                   "message": {"role": "assistant", "content": reply}}],
                                      "usage": {"prompt_tokens": 1, "completion_tokens": 1}})
        except (BrokenPipeError, ConnectionResetError):
            pass

    def delivered(self) -> Counter[str]:
        """Requests answered 200 in time, per request key."""
        return Counter(e.key for e in self.log if e.status == 200)
