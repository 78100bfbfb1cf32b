"""Reading a samples file for evaluation and choosing the subset to run.

Every line is checked for the fields evaluation needs; a bad line is not dropped silently: it
comes back as a `Rejected` entry (file, line, reason) that the runner writes to
``OUT/rejects.jsonl`` and counts in the summary. A repeated sample id is rejected too, since
results are keyed by id; an id repeated with another answer is a different sample of the same id
(two runs' samples merged: `veriscene.sample_ids`), which `evaluate` refuses, naming the ids.

`evaluate` reads a run as a `SampleIndex` (`index_samples`): one streaming pass checks every line
and keeps of each valid sample only where it is (its line number), its (family, task) and the
hashes the repeated-id check needs (28 bytes a sample while reading, 20 after: its id's hash kept,
which tells the replies of an earlier run a selection leaves out; a parsed sample
takes about 8.5 KiB); the subset is chosen on the index, then only its samples are parsed
(`SampleIndex.read`), or, `SampleIndex.read_chunks`, a chunk at a time: `evaluate` holds a chunk
of a few thousand samples parsed, however many it evaluates.
`load_samples` (every record, or those of some ids) and `select` (on records) choose alike.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import random
from array import array
from collections.abc import Collection, Container, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from veriscene.engine.fetch import readable
from veriscene.engine.runfiles import sample_lines, samples_root
from veriscene.sample import ANSWER_TYPES, answer_problem
from veriscene.sample_ids import ID_NOTE, IdConflict, answer_key, conflicts_message
from veriscene.scene.marks import marks_of

REQUIRED_FIELDS = ("id", "task", "family", "images", "question", "answer", "answer_type")


@dataclass(frozen=True)
class Rejected:
    line: int
    sample_id: str | None
    reason: str

    def to_dict(self, source: str) -> dict[str, Any]:
        return {"file": source, "line": self.line, "id": self.sample_id, "reason": self.reason}


@dataclass(frozen=True)
class SampleSet:
    path: Path
    records: list[dict[str, Any]]  # valid records in file order
    rejected: list[Rejected]
    conflicts: list[IdConflict] = field(default_factory=list)  # ids repeated with another answer

    def check_ids(self) -> None:
        """Refuse a file in which one id names two samples of other answers (results are kept by id)."""
        _check_ids(self.path, self.conflicts)

    @property
    def image_root(self) -> Path:
        """Image paths in samples are relative to the run folder (or the samples file's folder)."""
        return samples_root(self.path)


def _check_ids(path: Path, conflicts: list[IdConflict]) -> None:
    if conflicts:
        raise ValueError(f"{path}: {conflicts_message(conflicts)}. Were the samples of runs over "
                         f"data sets whose images share ids merged into one file? ({ID_NOTE}.) Evaluate each "
                         "run's samples on its own (`veriscene compare` puts the evaluations side by side)")


def _problem(record: Any) -> str | None:
    if not isinstance(record, dict):
        return f"expected a JSON object, got {type(record).__name__}"
    missing = [k for k in REQUIRED_FIELDS if k not in record]
    if missing:
        return f"missing fields {missing}"
    if not isinstance(record["id"], str) or not record["id"]:
        return f"field 'id' must be a non-empty string, got {record['id']!r}"
    if record["answer_type"] not in ANSWER_TYPES:
        return f"field 'answer_type' is {record['answer_type']!r}; expected one of {list(ANSWER_TYPES)}"
    if not isinstance(record["question"], str) or not record["question"].strip():
        return "field 'question' must be a non-empty string"
    if not isinstance(record["images"], list) or not record["images"]:
        return "field 'images' must be a non-empty list of {id, path}"
    for index, image in enumerate(record["images"]):  # (a path alone was an error "path is empty", asked again)
        if not isinstance(image, dict):
            return f"field 'images', item {index}: expected an object {{id, path}}, got {type(image).__name__}"
        try:  # the points drawn on the image a question names by label (`scene.marks`)
            marks_of(image, f"field 'images', item {index}")
        except ValueError as exc:
            return str(exc)
    if record.get("choices") is not None and not isinstance(record["choices"], list):
        return "field 'choices' must be a list of strings or null"
    if record.get("meta") is not None and not isinstance(record["meta"], dict):
        return "field 'meta' must be an object"
    wrong = answer_problem(record["answer_type"], record["answer"])
    if wrong:  # no reply could be right: every one would count as wrong, or as unreadable
        return f"field 'answer': {wrong}"
    return None


def load_samples(path: str | os.PathLike[str], ids: Container[str | None] | None = None) -> SampleSet:
    """Valid records and rejected lines of a samples JSONL file (or a run folder holding one; at a
    URL too, read through a local copy: `engine.fetch`). With `ids`, only the records of those ids
    (their repeats checked as the whole file's would be), the conflicts of those ids, and none of
    the rejected lines: what the scorers of replies need of a run, in memory that grows with the
    replies, not with the run."""
    path = readable(path)
    if not path.exists():
        raise FileNotFoundError(f"samples file {path} does not exist")
    records: list[dict[str, Any]] = []
    rejected: list[Rejected] = []
    seen: dict[str, tuple[int, bytes, Any]] = {}  # id -> its first line, answer key and answer
    conflicts: list[IdConflict] = []
    for line_no, line in sample_lines(path):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            if ids is None:
                rejected.append(Rejected(line_no, None, f"not valid JSON ({exc})"))
            continue
        sid = record.get("id") if isinstance(record, dict) and isinstance(record.get("id"), str) else None
        if ids is not None and (sid is None or sid not in ids):
            continue  # (a record without a string id has a problem: it is no record of `ids`)
        problem = _problem(record)
        if problem is None and sid in seen:
            first, key, answer = seen[sid]
            problem = f"duplicate sample id (first on line {first})"
            if answer_key(record) != key:
                problem = f"sample id of another sample (line {first}, of another answer)"
                conflicts.append(IdConflict(sid, f"line {first}", f"line {line_no}", answer, record["answer"]))
        if problem is not None:
            if ids is None:
                rejected.append(Rejected(line_no, sid, problem))
            continue
        seen[record["id"]] = (line_no, answer_key(record), record["answer"])
        records.append(record)
    return SampleSet(path=path, records=records, rejected=rejected, conflicts=conflicts)


def _split(spec: str | Sequence[str] | None) -> list[str]:
    if spec is None:
        return []
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    return [s.strip() for s in items if s.strip()]


def _check_wanted(wanted: list[str], pairs: Sequence[tuple[Any, Any]]) -> None:
    """KeyError for a wanted name no sample's family or task matches; `pairs`: the (family, task)
    of the samples."""
    known = sorted({f for f, _ in pairs} | {t for _, t in pairs})
    for w in wanted:
        if not any(fnmatch.fnmatchcase(k, w) for k in known):
            close = difflib.get_close_matches(w, known, n=3)
            # the families only: with every generator name too the list runs to a screenful; the
            # example a glob over a generator of the file (before, "counting.*", which is no
            # family's generators: object.count.v1 is of family counting)
            task = min((str(t) for _, t in pairs), default="object.count.v1")
            hint = (f"; did you mean {', '.join(close)}?" if close else
                    f"; families here: {', '.join(sorted({f for f, _ in pairs}))} (or generator names, "
                    f"globs allowed, e.g. {'.'.join(task.split('.')[:2])}.*)")
            raise KeyError(f"no sample has family or generator {w!r}{hint}")


def _matches(family: Any, task: Any, wanted: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(family, w) or fnmatch.fnmatchcase(task, w) for w in wanted)


def _limited(count: int, limit: int | None, seed: int | None) -> slice | list[int]:
    """Which of `count` samples (in file order) `limit` and `seed` keep: the first `limit`, or a
    seeded random `limit` of them, as positions in file order."""
    if limit is None:
        return slice(None)
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    if seed is not None and limit < count:
        return sorted(random.Random(seed).sample(range(count), limit))
    return slice(0, limit)


def select(records: list[dict[str, Any]], *, limit: int | None = None,
           families: str | Sequence[str] | None = None, seed: int | None = None) -> list[dict[str, Any]]:
    """The subset to evaluate, in file order.

    `families`: comma-separated family names, generator names or globs ("counting,relation.*").
    `limit` with `seed`: a seeded random subset of that size; without seed: the first `limit`.
    (`SampleIndex.choose` chooses the same samples of a run without holding them.)
    """
    wanted = _split(families)
    if wanted:
        _check_wanted(wanted, [(r["family"], r["task"]) for r in records])
        records = [r for r in records if _matches(r["family"], r["task"], wanted)]
    kept = _limited(len(records), limit, seed)
    return records[kept] if isinstance(kept, slice) else [records[i] for i in kept]


@dataclass(frozen=True)
class SampleIndex:
    """The valid samples of a run as `evaluate` chooses among them, without the samples: per
    sample its line number (`lines`) and its (family, task) (`pairs[kinds[i]]`); the rejected
    lines and repeated ids as `load_samples` finds them. `kept`: every sample parsed, when the
    index was made with them (`index_samples(keep=True)`: no second reading), else None."""

    path: Path
    lines: np.ndarray  # int64 (N,): line number of each valid sample, in file order
    ids: np.ndarray  # uint64 (N,): `_id_hash` of each valid sample's id (what an earlier run replied to)
    kinds: np.ndarray  # int32 (N,): index in `pairs` of each sample's (family, task)
    pairs: list[tuple[Any, Any]]
    rejected: list[Rejected]
    conflicts: list[IdConflict]
    kept: list[dict[str, Any]] | None = None

    def __len__(self) -> int:
        return len(self.lines)

    def check_ids(self) -> None:
        """Refuse a file in which one id names two samples of other answers (results are kept by id)."""
        _check_ids(self.path, self.conflicts)

    @property
    def image_root(self) -> Path:
        return samples_root(self.path)

    def absent(self, ids: Collection[str]) -> int:
        """How many of `ids` are the id of no sample here (told by their hashes, as `ids` holds them)."""
        hashes = np.fromiter((_id_hash(sid) for sid in ids), dtype=np.uint64, count=len(ids))
        return int((~np.isin(hashes, self.ids)).sum())

    def choose(self, *, limit: int | None = None, families: str | Sequence[str] | None = None,
               seed: int | None = None) -> np.ndarray:
        """Positions (int64, in file order) of the samples `select` would choose of the records."""
        positions = np.arange(len(self), dtype=np.int64)
        wanted = _split(families)
        if wanted:
            _check_wanted(wanted, [self.pairs[k] for k in np.unique(self.kinds)])
            keep = np.array([_matches(f, t, wanted) for f, t in self.pairs], dtype=bool)
            positions = positions[keep[self.kinds]]
        kept = _limited(len(positions), limit, seed)
        return positions[kept] if isinstance(kept, slice) else positions[np.array(kept, dtype=np.int64)]

    def read(self, positions: np.ndarray) -> list[dict[str, Any]]:
        """The samples at `positions` (in file order), parsed: only those lines are turned into
        records (a second reading of the run, stopped at the last line wanted)."""
        if self.kept is not None:
            return [self.kept[p] for p in positions.tolist()]
        records = [record for _, record in _parsed(self.path, self.lines[positions].tolist())]
        if len(records) != len(positions):
            raise ValueError(f"{self.path} changed while it was read: {len(positions) - len(records)} of the "
                             "samples chosen are no longer on their lines; evaluate it again once it is written")
        return records

    def read_chunks(self, positions: np.ndarray, size: int) -> Iterator[list[dict[str, Any]]]:
        """The samples at `positions` (in file order), parsed, `size` at a time: what `read` gives,
        in one reading of the run, holding one chunk (the next is parsed once this one is let go)."""
        if self.kept is not None:
            for start in range(0, len(positions), size):
                yield [self.kept[p] for p in positions[start:start + size].tolist()]
            return
        given = 0
        chunk: list[dict[str, Any]] = []
        for _, record in _parsed(self.path, _LinesAt(self.lines, positions)):
            chunk.append(record)
            if len(chunk) == size:
                given += len(chunk)
                yield chunk
                chunk = []
        given += len(chunk)
        if given != len(positions):
            raise ValueError(f"{self.path} changed while it was read: {len(positions) - given} of the "
                             "samples chosen are no longer on their lines; evaluate it again once it is written")
        if chunk:
            yield chunk


class _LinesAt:
    """The line numbers of the samples at `positions`, looked up one at a time: neither a list of
    them (36 bytes a line) nor an array copied (8)."""

    def __init__(self, lines: np.ndarray, positions: np.ndarray) -> None:
        self._lines, self._positions = lines, positions

    def __len__(self) -> int:
        return len(self._positions)

    def __getitem__(self, k: int) -> int:
        return int(self._lines[self._positions[k]])


def _parsed(path: Path, lines: Sequence[int] | np.ndarray | _LinesAt) -> Iterator[tuple[int, Any]]:
    """(line number, parsed record) of the sample lines numbered `lines` (ascending), the others
    skipped unparsed; the reading stops at the last."""
    if not len(lines):
        return
    k = 0
    wanted = int(lines[0])
    for line_no, line in sample_lines(path):
        if line_no == wanted:
            yield line_no, orjson.loads(line)
            k += 1
            if k == len(lines):
                return
            wanted = int(lines[k])


def _id_hash(sample_id: str) -> int:
    """64 bits of the id's str hash: equal ids hash alike in this process, an id of another hash is
    another id (ids of one hash are told apart by `_repeats`)."""
    return hash(sample_id) & 0xFFFF_FFFF_FFFF_FFFF


def index_samples(path: str | os.PathLike[str], keep: bool = False) -> SampleIndex:
    """A `SampleIndex` of a samples file or run folder (at a URL too, read through a local copy),
    checked as `load_samples` checks it: the same rejected lines, repeated ids and conflicts.
    `keep`: hold every valid sample parsed too (no second reading; `evaluate` holds them not:
    it reads the chosen ones again, a block at a time)."""
    path = readable(path)
    if not path.exists():
        raise FileNotFoundError(f"samples file {path} does not exist")
    rejected: list[Rejected] = []
    id_hashes, lines, keys, kinds = array("Q"), array("q"), array("Q"), array("i")
    kind_of: dict[tuple[Any, Any], int] = {}
    kept: list[dict[str, Any]] | None = [] if keep else None
    for line_no, line in sample_lines(path):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            rejected.append(Rejected(line_no, None, f"not valid JSON ({exc})"))
            continue
        sid = record.get("id") if isinstance(record, dict) and isinstance(record.get("id"), str) else None
        problem = _problem(record)
        if problem is not None:
            rejected.append(Rejected(line_no, sid, problem))
            continue
        id_hashes.append(_id_hash(record["id"]))
        lines.append(line_no)
        keys.append(int.from_bytes(answer_key(record), "little"))
        kinds.append(kind_of.setdefault((record["family"], record["task"]), len(kind_of)))
        if kept is not None:
            kept.append(record)
    dropped, conflicts = _repeats(path, np.frombuffer(id_hashes, dtype=np.uint64), lines, keys, rejected)
    valid = np.ones(len(lines), dtype=bool)
    valid[dropped] = False
    if kept is not None and dropped:
        kept = [r for r, ok in zip(kept, valid.tolist()) if ok]
    return SampleIndex(path=path, lines=np.frombuffer(lines, dtype=np.int64)[valid].copy(),
                       ids=np.frombuffer(id_hashes, dtype=np.uint64)[valid].copy(),
                       kinds=np.frombuffer(kinds, dtype=np.int32)[valid].copy(), pairs=list(kind_of),
                       rejected=rejected, conflicts=conflicts, kept=kept)


def _repeats(path: Path, id_hashes: np.ndarray, lines: Sequence[int], keys: Sequence[int],
             rejected: list[Rejected]) -> tuple[list[int], list[IdConflict]]:
    """The positions of valid samples repeating an earlier one's id, each added to `rejected` as
    `load_samples` rejects it (`rejected` then sorted by line), and the conflicts among them (an
    id repeated with another answer). Samples of one id hash are read again for their ids (two
    ids may share a hash) and the answers the conflicts name."""
    order = np.argsort(id_hashes, kind="stable")  # by hash, each hash's samples in file order
    ranked = id_hashes[order]
    same = ranked[1:] == ranked[:-1]
    if not same.any():
        return [], []
    shared = np.zeros(len(order), dtype=bool)
    shared[1:] |= same
    shared[:-1] |= same
    positions = sorted(order[shared].tolist())
    again = {line_no: (record["id"], record["answer"])
             for line_no, record in _parsed(path, [lines[p] for p in positions])}
    if len(again) != len(positions):
        raise ValueError(f"{path} changed while it was read: samples of repeated ids are no longer on their lines")
    first_of: dict[str, int] = {}
    dropped: list[int] = []
    conflicts: list[IdConflict] = []
    for p in positions:
        sid, answer = again[lines[p]]
        first = first_of.setdefault(sid, p)
        if first == p:
            continue
        dropped.append(p)
        if keys[p] == keys[first]:
            rejected.append(Rejected(lines[p], sid, f"duplicate sample id (first on line {lines[first]})"))
        else:
            rejected.append(Rejected(lines[p], sid, f"sample id of another sample (line {lines[first]}, of another "
                                                    "answer)"))
            conflicts.append(IdConflict(sid, f"line {lines[first]}", f"line {lines[p]}", again[lines[first]][1],
                                        answer))
    rejected.sort(key=lambda r: r.line)
    return dropped, conflicts
