"""Adapters without a model: replay stored replies, or answer with a Python function.

`ReplayModel` ("replay:FILE") scores replies computed elsewhere: FILE is JSONL with one
``{"id": SAMPLE_ID, "reply": TEXT}`` per line (a previous run's results.jsonl works as is;
"response" / "output" / "text" are accepted for "reply"). A sample without a stored reply gets
an error completion naming the file, never a silent empty answer. The model's identity holds
the file's SHA-256, so an evaluation folder made from one version of FILE refuses to resume
with another (its results, and its cached replies, would be stale): use another --out folder.

`FunctionModel` wraps ``fn(request) -> str`` (tests, rule-based baselines).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson

from veriscene.errors import DataError
from veriscene.evaluate.adapters.base import Completion, Model, ModelConfigError, OnDone, Request

REPLY_FIELDS = ("reply", "response", "output", "text")


def read_replies(path: str | os.PathLike[str]) -> dict[str, str]:
    """sample id -> reply text from a JSONL file; a bad line raises `DataError` with file and line
    (bad data: `veriscene eval` exits 1), a missing file `ModelConfigError` (exit 2)."""
    path = Path(path)
    if not path.exists():
        raise ModelConfigError(f"replay file {path} does not exist")
    replies: dict[str, str] = {}
    with open(path, "rb") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise DataError(f"{path}, line {line_no}: not valid JSON ({exc})") from None
            if not isinstance(record, dict) or "id" not in record:
                raise DataError(f"{path}, line {line_no}: field 'id' is missing")
            field = next((f for f in REPLY_FIELDS if isinstance(record.get(f), str)), None)
            if field is None:
                if record.get("status") == "error":
                    continue  # a failed request of an earlier run has no reply to replay
                raise DataError(f"{path}, line {line_no}: no string field among {list(REPLY_FIELDS)}")
            replies[str(record["id"])] = record[field]
    return replies


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class ReplayModel(Model):
    def __init__(self, path: str | os.PathLike[str], name: str | None = None) -> None:
        self.path = Path(path)
        self.replies = read_replies(self.path)
        self.sha256 = file_sha256(self.path)
        self.name = name or f"replay:{self.path.name}"
        self.params: dict[str, Any] = {}

    def identity(self) -> dict[str, Any]:
        return {"adapter": "replay", "model": self.name, "file": str(self.path.resolve()), "sha256": self.sha256}

    def generate(self, requests: Sequence[Request], on_done: OnDone) -> None:
        for r in requests:
            if r.key in self.replies:
                on_done(Completion(key=r.key, text=self.replies[r.key], latency_s=0.0))
            else:
                # the same words for every sample (the record names it), so that failures group by reason
                on_done(Completion(key=r.key, text="", error=f"no reply in {self.path}"))


class FunctionModel(Model):
    def __init__(self, fn: Callable[[Request], str], name: str = "function", params: dict[str, Any] | None = None) -> None:
        self.fn = fn
        self.name = name
        self.params = dict(params or {})

    def generate(self, requests: Sequence[Request], on_done: OnDone) -> None:
        for r in requests:
            started = time.perf_counter()
            try:
                text = self.fn(r)
            except Exception as exc:  # noqa: BLE001 - a failing baseline fails one request, reported
                on_done(Completion(key=r.key, text="", error=f"{type(exc).__name__}: {exc}"))
                continue
            on_done(Completion(key=r.key, text=text, latency_s=time.perf_counter() - started))
