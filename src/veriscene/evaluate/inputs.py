"""Reading a samples file for evaluation and choosing the subset to run.

Every line is checked for the fields evaluation needs; a bad line is not dropped silently: it
comes back as a `Rejected` entry (file, line, reason) that the runner writes to
``OUT/rejects.jsonl`` and counts in the summary. A repeated sample id is rejected too, since
results are keyed by id; an id repeated with another answer is a different sample of the same id
(two runs' samples merged: `veriscene.sample_ids`), which `evaluate` refuses, naming the ids.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import random
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from veriscene.engine.runfiles import sample_lines, samples_root
from veriscene.engine.fetch import readable

from veriscene.sample import ANSWER_TYPES
from veriscene.sample_ids import ID_NOTE, IdConflict, answer_key, conflicts_message

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
        if self.conflicts:
            raise ValueError(f"{self.path}: {conflicts_message(self.conflicts)}. Were the samples of runs over "
                             f"data sets whose images share ids merged into one file? ({ID_NOTE}.) Evaluate each "
                             "run's samples on its own (`veriscene compare` puts the evaluations side by side)")

    @property
    def image_root(self) -> Path:
        """Image paths in samples are relative to the run folder (or the samples file's folder)."""
        return samples_root(self.path)


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
    if record.get("choices") is not None and not isinstance(record["choices"], list):
        return "field 'choices' must be a list of strings or null"
    if record.get("meta") is not None and not isinstance(record["meta"], dict):
        return "field 'meta' must be an object"
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


def select(records: list[dict[str, Any]], *, limit: int | None = None,
           families: str | Sequence[str] | None = None, seed: int | None = None) -> list[dict[str, Any]]:
    """The subset to evaluate, in file order.

    `families`: comma-separated family names, generator names or globs ("counting,relation.*").
    `limit` with `seed`: a seeded random subset of that size; without seed: the first `limit`.
    """
    wanted = _split(families)
    if wanted:
        known = sorted({r["family"] for r in records} | {r["task"] for r in records})
        for w in wanted:
            if not any(fnmatch.fnmatchcase(k, w) for k in known):
                close = difflib.get_close_matches(w, known, n=3)
                # the families only: with every generator name too the list runs to a screenful
                hint = (f"; did you mean {', '.join(close)}?" if close else
                        f"; families here: {', '.join(sorted({r['family'] for r in records}))} (or a generator "
                        "name of them, e.g. counting.*)")
                raise KeyError(f"no sample has family or generator {w!r}{hint}")
        records = [r for r in records
                   if any(fnmatch.fnmatchcase(r["family"], w) or fnmatch.fnmatchcase(r["task"], w) for w in wanted)]
    if limit is not None:
        if limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
        if seed is not None and limit < len(records):
            chosen = sorted(random.Random(seed).sample(range(len(records)), limit))
            records = [records[i] for i in chosen]
        else:
            records = records[:limit]
    return records
