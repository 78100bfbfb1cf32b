"""The per-sample results file (``OUT/results.jsonl``): incremental, ordered, resumable.

One JSON object per sample:

    id, task, family, answer_type, mode, image_ids   from the sample
    steps, images                                      operations of its program (`scene` not counted), images shown
    prompt, system                                     what was sent (text; images by path in image_ids)
    reply                                              the raw reply ("" when the request failed)
    status      "scored" | "parse_failed" | "not_scored" (free-form text) | "error" (no reply)
    parsed      the parsed answer (JSON form), or null
    parse_error why the reply could not be parsed, or null
    score       0..1 (IoU for boxes, F1 for sets), 0 for parse failures, null for not_scored / error
    correct     true / false, null for not_scored / error
    latency_s, attempts, cached, error, finish_reason

Records are appended as requests finish, through a reorder buffer that writes them in sample
order whatever the concurrency; each line is flushed at once (a killed process loses at most
the line it was writing) and the file is fsynced at least once a second. A resumed run keeps
every record except "error" ones, which it retries. At the end the file is rewritten in sample
order with one record per id (atomic replace), so it is identical for any concurrency.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

_FSYNC_EVERY_S = 1.0


def read_results(path: Path) -> dict[str, dict[str, Any]]:
    """id -> last record of an existing results file; a torn last line (killed mid-write) is cut off."""
    if not path.exists():
        return {}
    data = path.read_bytes()
    records: dict[str, dict[str, Any]] = {}
    lines = data.split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    for line_no, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            if line_no == len(complete):  # torn write followed by nothing else
                _truncate(path, len(data) - len(line) - 1 - len(tail))
                return records
            raise ValueError(f"{path}, line {line_no}: not valid JSON ({exc}); "
                             "remove the line or start a new output folder") from None
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise ValueError(f"{path}, line {line_no}: field 'id' is missing")
        records[record["id"]] = record
    if tail.strip():
        try:
            record = orjson.loads(tail)
        except orjson.JSONDecodeError:
            _truncate(path, len(data) - len(tail))
        else:
            records[record["id"]] = record
            with open(path, "ab") as fh:
                fh.write(b"\n")
    return records


def _truncate(path: Path, size: int) -> None:
    with open(path, "r+b") as fh:
        fh.truncate(max(size, 0))


class OrderedWriter:
    """Appends records in the order of `order` (sample ids), whatever order they arrive in."""

    def __init__(self, path: Path, order: Iterable[str]) -> None:
        self.path = path
        self._position = {sid: i for i, sid in enumerate(order)}
        self._pending: dict[int, bytes] = {}
        self._next = 0
        self._fh = open(path, "ab")
        self._last_sync = time.monotonic()
        self.written = 0

    def add(self, record: dict[str, Any]) -> None:
        index = self._position[record["id"]]
        self._pending[index] = orjson.dumps(record, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n"
        while self._next in self._pending:
            self._fh.write(self._pending.pop(self._next))
            self._next += 1
            self.written += 1
        self._fh.flush()
        if time.monotonic() - self._last_sync >= _FSYNC_EVERY_S:
            os.fsync(self._fh.fileno())
            self._last_sync = time.monotonic()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def close(self) -> None:
        """Write what is still buffered (out of order, after an interruption) and sync."""
        for index in sorted(self._pending):
            self._fh.write(self._pending.pop(index))
            self.written += 1
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()


def finalise(path: Path, order: list[str], records: dict[str, dict[str, Any]]) -> None:
    """Rewrite the results file in sample order, one record per id (atomic replace)."""
    tmp = path.with_suffix(".jsonl.tmp")
    with open(tmp, "wb") as fh:
        for sid in order:
            if sid in records:
                fh.write(orjson.dumps(records[sid], option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
