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
    reasoning   the reasoning a server returned apart from the reply (reasoning_content), when any

Records are appended as requests finish, in the order the replies arrive; each line is flushed
at once (a killed process loses at most the line it was writing, with or without the request
cache) and the file is fsynced at least once a second. A resumed run keeps every record except
"error" ones, which it retries; a sample with several lines (an error, then its retry) is read as
its last. At the end the file is rewritten in sample order with one record per id (atomic
replace), so it is identical for any concurrency. Until then (a run still going, or killed) its
lines are in arrival order: read it by id.

(A reorder buffer used to hold replies that came before an earlier sample's, writing them
only once that one came: a `--no-cache` run killed with `kill -9` lost them, and asked again.)
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import orjson

from veriscene.errors import DataError

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
            raise DataError(f"{path}, line {line_no}: not valid JSON ({exc}); "
                             "remove the line or start a new output folder") from None
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise DataError(f"{path}, line {line_no}: field 'id' is missing")
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


class ResultsWriter:
    """Appends each record as it comes, one flushed line (fsynced at least once a second)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = open(path, "ab")
        self._last_sync = time.monotonic()
        self.written = 0

    def add(self, record: dict[str, Any]) -> None:
        self._fh.write(orjson.dumps(record, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
        self._fh.flush()
        self.written += 1
        if time.monotonic() - self._last_sync >= _FSYNC_EVERY_S:
            os.fsync(self._fh.fileno())
            self._last_sync = time.monotonic()

    def close(self) -> None:
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
