"""The records a viewer `Catalog` holds: one `Entry` per readable sample, the `Filters` a listing
applies to them, a sample's program `Trace`, the outcomes of evaluation results, a `SceneRow` per
scene of scene files opened alone, and a `Problem` per line that could not be read.

Re-exported by `veriscene.viewer.catalog`.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Container, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from veriscene.sample import MODES, without_version

FREEFORM_FIELDS = ("helpfulness", "truthfulness", "hallucinations")

# A result's outcome, from `veriscene eval`'s status and correctness; the filter "incorrect" keeps
# both wrong and unreadable (parse_failed) replies
OUTCOMES = ("correct", "wrong", "parse_failed", "not_scored", "error", "unanswered")


class Entry:
    """One readable sample: its line in the run, its raw JSON (parsed again when shown) and the
    fields listings filter on. About the raw line's size in memory, not a parsed record's."""

    __slots__ = ("line", "raw", "id", "task", "family", "mode", "image_ids", "question", "outcome")

    def __init__(self, line: int, raw: bytes, record: dict[str, Any], strings: dict[str, str]) -> None:
        meta = record.get("meta")
        mode = str(meta.get("mode", "")) if isinstance(meta, dict) else ""
        self.line = line
        self.raw = bytes(raw).strip()
        self.id = str(record.get("id", ""))
        self.outcome = ""  # with evaluation results: correct, wrong, parse_failed, not_scored, error, unanswered
        # a run has a few dozen tasks, families and modes: one string object each
        task, family = str(record.get("task", "")), str(record.get("family", ""))
        self.task = strings.setdefault(task, task)
        self.family = strings.setdefault(family, family)
        self.mode = strings.setdefault(mode, mode)
        self.image_ids = tuple(str(img.get("id")) for img in record["images"])
        self.question = str(record.get("question", ""))

    def __repr__(self) -> str:
        outcome = f", outcome={self.outcome!r}" if self.outcome else ""
        question = self.question.split("\n")[0]
        return (f"Entry(line={self.line}, task={self.task!r}, mode={self.mode!r}{outcome}, "
                f"question={question[:60] + ('...' if len(question) > 60 else '')!r})")

    @property
    def record(self) -> dict[str, Any]:
        """The sample record, parsed from the raw line."""
        parsed: dict[str, Any] = orjson.loads(self.raw)
        return parsed


@dataclass
class Trace:
    """A program run node by node on its scenes: every node's value, or where it failed."""

    values: list[Any]
    failure: str | None = None
    answer: Any = None  # the program's answer in JSON form (None if it failed)
    matches: bool | None = None  # whether it equals the stored answer


# free-form (description) scores a listing can be sorted by, worst first (`veriscene eval`'s
# freeform.jsonl, or `score-freeform --out`)
SCORES = ("helpfulness", "truthfulness")


@dataclass
class Filters:
    """Which samples a listing shows: task and family, a name or a glob of names ("object.*",
    "multi_*", as `generate -g` takes them: `name_matches`); exact mode and image id; a case-insensitive
    substring of the question; with evaluation results, an outcome; with free-form scores, a
    largest helpfulness or truthfulness (0 to 1) and a sort by one of them, worst first. A
    score filter or sort keeps only the samples that have that score (a reply without claims
    has no truthfulness)."""

    task: str = ""
    family: str = ""
    mode: str = ""
    image: str = ""
    text: str = ""
    outcome: str = ""  # with evaluation results (see `OUTCOMES`)
    max_helpfulness: float | None = None  # keep free-form replies scoring at most this
    max_truthfulness: float | None = None
    sort: str = ""  # "helpfulness" or "truthfulness": lowest first, ties in run order ("": run order)

    def __post_init__(self) -> None:
        # a misspelt mode would match nothing, unsaid; said (with the name meant) on the command
        # line and by the server alike, as `filter_names` says a misspelt task or family
        if self.mode and self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}{_meant(self.mode, MODES)}")
        if self.outcome and self.outcome not in (*OUTCOMES, "incorrect"):
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)} or incorrect (wrong or parse_failed), "
                             f"got {self.outcome!r}{_meant(self.outcome, (*OUTCOMES, 'incorrect'))}")
        if self.sort and self.sort not in SCORES:
            raise ValueError(f"sort must be {' or '.join(SCORES)} (free-form scores, lowest first), got "
                             f"{self.sort!r}{_meant(self.sort, SCORES)}")
        for name in ("max_helpfulness", "max_truthfulness"):
            setattr(self, name, score_limit(name, getattr(self, name)))

    def keep(self, entry: Entry, scores: dict[str, Any] | None = None) -> bool:
        """Whether the listing shows `entry`; `scores`: its free-form scores, if it has some."""
        return ((not self.outcome or entry.outcome == self.outcome
                 or (self.outcome == "incorrect" and entry.outcome in ("wrong", "parse_failed")))
                and (not self.task or name_matches(entry.task, self.task))
                and (not self.family or name_matches(entry.family, self.family))
                and (not self.mode or entry.mode == self.mode)
                and (not self.image or self.image in entry.image_ids)
                and (not self.text or self.text.lower() in entry.question.lower())
                and all(_at_most(scores, key, limit) for key, limit in self.score_limits().items())
                and (not self.sort or _score(scores, self.sort) is not None))

    def score_limits(self) -> dict[str, float]:
        """The free-form score filters given: score name -> largest value kept."""
        limits = {"helpfulness": self.max_helpfulness, "truthfulness": self.max_truthfulness}
        return {k: v for k, v in limits.items() if v is not None}

    @property
    def by_score(self) -> bool:
        """Whether the listing needs free-form scores (a score filter or sort)."""
        return bool(self.sort or self.score_limits())

    def given(self) -> dict[str, str]:
        """The filters given, as text (a listing's query and its description); 0 is given."""
        return {k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in vars(self).items()
                if v is not None and v != ""}

    @property
    def empty(self) -> bool:
        return not self.given()


GLOB_CHARS = "*?["  # a task or family filter holding one is a glob (`generators.registry`'s)


def is_glob(pattern: str) -> bool:
    return any(c in pattern for c in GLOB_CHARS)


def name_matches(name: str, pattern: str) -> bool:
    """Whether a task or family filter `pattern` keeps `name`: the name itself, or a glob matching
    it as `generate -g` matches a generator's name or family (`fnmatch.fnmatch`, as
    `generators.registry` does: "count*" keeps counting, "object.*" the object.* tasks), or a
    task's name without its version ("object.count" keeps object.count.v1), as `-g` takes it."""
    return (name == pattern or (is_glob(pattern) and fnmatch.fnmatch(name, pattern))
            or without_version(name) == pattern)


def _meant(given: str, known: Sequence[str]) -> str:
    """"; did you mean 'caption'?" for a value close to a known one, else ""."""
    close = [k for k in known if k.startswith(given)][:1] or difflib.get_close_matches(given, known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def score_limit(name: str, value: float | str | None) -> float | None:
    """A largest free-form score of `Filters` (`name`: its field) as a float, from a number or a
    query string's or the command line's text ("" or None: no limit); ValueError unless 0 to 1."""
    if value is None:
        return None
    if isinstance(value, str):  # a query string's or the command line's text
        try:
            value = float(value) if value.strip() else None
        except ValueError:
            raise ValueError(f"{name} must be a number from 0 to 1, got {value!r}") from None
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                              or not 0.0 <= value <= 1.0):
        raise ValueError(f"{name} must be a number from 0 to 1, got {value!r}")
    return None if value is None else float(value)


def _score(scores: dict[str, Any] | None, key: str) -> float | None:
    value = scores.get(key) if scores else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _at_most(scores: dict[str, Any] | None, key: str, limit: float) -> bool:
    value = _score(scores, key)
    return value is not None and value <= limit


def _outcome(result: dict[str, Any]) -> str:
    status = result.get("status")
    if status == "scored":
        return "correct" if result.get("correct") else "wrong"
    return str(status) if status in ("parse_failed", "not_scored", "error") else "error"


@dataclass(frozen=True)
class SceneRow:
    """One scene of scene files opened alone: its line (in its file), id, counts and names."""

    line: int
    image_id: str
    objects: int
    relations: int
    names: str  # "2 circle, 1 star"
    file: str = ""  # the file's name, when several are browsed


@dataclass
class Problem:
    line: int
    reason: str


def read_freeform(file: Path, ids: Container[str]) -> tuple[dict[str, dict[str, Any]], list[Problem]] | None:
    """The free-form scores in `file` (`veriscene eval`'s freeform.jsonl, or `score-freeform
    --out`) of the samples `ids` names: id -> helpfulness, truthfulness, hallucinations; and the
    lines that are not JSON. None while the file is still being written (a last line cut short)."""
    scores: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    with open(file, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.endswith(b"\n"):
                return None
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                problems.append(Problem(number, f"{file.name}: not JSON: {exc}"))
                continue
            if isinstance(record, dict) and record.get("id") in ids:
                scores[record["id"]] = {k: record.get(k) for k in FREEFORM_FIELDS}
    return scores, problems
