"""The per-sample results file (``OUT/results.jsonl``): incremental, ordered, resumable.

One JSON object per sample:

    id, task, family, answer_type, mode, image_ids   from the sample
    steps, images                                      operations of its program (`scene` not counted), images shown
    prompt, system                                     what was sent (text; images by path in image_ids)
    reply                                              the raw reply ("" when the request failed)
    status      "scored" | "parse_failed" | "not_scored" (free-form text) | "error" (no reply)
    parsed      the parsed answer (JSON form), or null
    parse_error why the reply could not be parsed, or null
    score       0..1 (IoU for boxes, partial credit for sets: `set_score`), 0 for parse failures, null for not_scored / error
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

A run of every sample of a large run holds neither the earlier run's records nor its own:
`PreviousResults` finds an earlier record by id from 17 bytes a line (its id's hash, where it
starts, whether it is an error), and `OrderedResults` writes the records in sample order as the
run goes (``results.jsonl.tmp``, put in place at the end).
"""

from __future__ import annotations

import os
import time
from array import array
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from veriscene.errors import DataError

_FSYNC_EVERY_S = 1.0


def read_results(path: Path) -> dict[str, dict[str, Any]]:
    """id -> last record of an existing results file; checked and mended as `_lines` does it (a
    torn last line, killed mid-write, is cut off)."""
    return {record["id"]: record for _, record in _lines(path)}


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


class OrderedResults:
    """The results file as the run ends it, written as the run goes: one record per sample, in
    sample order, into ``results.jsonl.tmp``; `commit` puts it in place of the results file
    (atomic replace), `abort` removes it (a run stopped leaves the file of arrival order)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_suffix(".jsonl.tmp")
        self._fh = open(self.tmp, "wb")

    def add(self, record: dict[str, Any]) -> None:
        self._fh.write(orjson.dumps(record, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")

    def commit(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if not self._fh.closed:
            self._fh.close()
            self.tmp.unlink(missing_ok=True)


def _id_hash(sample_id: str) -> int:
    from veriscene.evaluate.inputs import _id_hash as id_hash  # (inputs imports nothing of this module)

    return id_hash(sample_id)


class PreviousResults:
    """The records an earlier run left in a results file, found by id (`records_of`) without
    holding them: per line its id's hash (8 bytes), where it starts (8) and whether it is an
    error (1). The file is checked and mended as `_lines` does it: a torn last line cut off,
    a last line without its newline given one, any other line not JSON or without an id refused."""

    def __init__(self, path: Path) -> None:
        self.path = path
        hashes, offsets, errors = array("Q"), array("q"), array("b")
        for offset, record in _lines(path):
            hashes.append(_id_hash(record["id"]))
            offsets.append(offset)
            errors.append(record.get("status") == "error")
        by_hash = np.argsort(np.frombuffer(hashes, dtype=np.uint64), kind="stable")  # each hash's lines in file order
        self._hashes = np.frombuffer(hashes, dtype=np.uint64)[by_hash]
        self._offsets = np.frombuffer(offsets, dtype=np.int64)[by_hash]
        self._errors = np.frombuffer(errors, dtype=np.int8)[by_hash].astype(bool)

    def __len__(self) -> int:
        return len(self._hashes)

    def records_of(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """id -> the last record of each of `ids` that the file holds (as `read_results` gives it)."""
        if not len(self) or not ids:
            return {}
        wanted = np.fromiter((_id_hash(sid) for sid in ids), dtype=np.uint64, count=len(ids))
        first = np.searchsorted(self._hashes, wanted, side="left")
        after = np.searchsorted(self._hashes, wanted, side="right")
        found: dict[str, dict[str, Any]] = {}
        with open(self.path, "rb") as fh:
            for k in np.flatnonzero(after > first).tolist():
                for offset in self._offsets[first[k]:after[k]][::-1].tolist():  # the last line first
                    record = _line_at(fh, offset)
                    if record["id"] == ids[k]:
                        found[ids[k]] = record
                        break
        return found

    def replied_hashes(self) -> np.ndarray:
        """The `_id_hash`es (uint64, unique, ascending) of the ids with a reply (a line not an error)."""
        return np.unique(self._hashes[~self._errors])

    def replied_id(self, id_hash: int) -> str:
        """The id of a reply of hash `id_hash` (one of `replied_hashes`), read from its line."""
        first = int(np.searchsorted(self._hashes, np.uint64(id_hash), side="left"))
        with open(self.path, "rb") as fh:
            for k in range(first, len(self._hashes)):
                if not self._errors[k]:
                    sid: str = _line_at(fh, int(self._offsets[k]))["id"]
                    return sid
        raise KeyError(id_hash)

    def replied(self) -> bool:
        """Whether the last record of some id is a reply (not an error): what `read_results` of the
        file tells by `any(r.get("status") != "error" for r in records.values())`."""
        if not len(self):
            return False
        last = np.ones(len(self), dtype=bool)  # the last line of each hash: the last of its id(s)
        last[:-1] = self._hashes[1:] != self._hashes[:-1]
        if (~self._errors[last]).any():
            return True
        # an id of a reply followed by an error of another id of the same hash: told apart by id
        group = np.cumsum(np.r_[True, last[:-1]]) - 1  # each line's hash, numbered from 0
        mixed = np.unique(group[~self._errors])
        with open(self.path, "rb") as fh:
            for g in mixed.tolist():
                status: dict[str, bool] = {}
                for offset in self._offsets[group == g].tolist():
                    record = _line_at(fh, offset)
                    status[record["id"]] = record.get("status") != "error"
                if any(status.values()):
                    return True
        return False


def _line_at(fh: Any, offset: int) -> dict[str, Any]:
    fh.seek(offset)
    record: dict[str, Any] = orjson.loads(fh.readline())
    return record


def _lines(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    """(where the line starts, the record) of each record of a results file, read a line at a
    time: a torn last line (killed mid-write) cut off, a last line without its newline given one,
    any other line not JSON or without an id refused (DataError)."""
    if not path.exists():
        return
    bad: tuple[int, int, Exception] | None = None  # a line not JSON: (its number, where it starts, the error)
    offset = 0
    with open(path, "rb") as fh:
        for line_no, raw in enumerate(fh, start=1):
            start, offset = offset, offset + len(raw)
            if not raw.endswith(b"\n"):  # the last line, without its newline
                if bad is not None:
                    break  # a torn write followed by a piece of another: both cut off
                if not raw.strip():
                    return
                try:
                    record = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    _truncate(path, start)
                    return
                yield start, record
                with open(path, "ab") as out:
                    out.write(b"\n")
                return
            if bad is not None:
                raise DataError(f"{path}, line {bad[0]}: not valid JSON ({bad[2]}); "
                                "remove the line or start a new output folder") from None
            if not raw.strip():
                continue
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                bad = (line_no, start, exc)
                continue
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                raise DataError(f"{path}, line {line_no}: field 'id' is missing")
            yield start, record
    if bad is not None:  # torn write followed by nothing else
        _truncate(path, bad[1])


def ids_on_lines(path: Path, lines: np.ndarray) -> list[str]:
    """The ids of the records on `lines` (0-based, ascending) of a results file written in order."""
    ids: list[str] = []
    if not len(lines):
        return ids
    k, wanted = 0, int(lines[0])
    with open(path, "rb") as fh:
        for line_no, raw in enumerate(fh):
            if line_no == wanted:
                ids.append(orjson.loads(raw)["id"])
                k += 1
                if k == len(lines):
                    break
                wanted = int(lines[k])
    return ids
