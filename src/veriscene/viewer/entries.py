"""The records a viewer `Catalog` holds: one `Entry` per readable sample, the `Filters` a listing
applies to them, a sample's program `Trace`, the outcomes of evaluation results, a `SceneRow` per
scene of scene files opened alone, and a `Problem` per line that could not be read.

Re-exported by `veriscene.viewer.catalog`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

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


@dataclass
class Filters:
    """Which samples a listing shows: exact task, family, mode and image id; a case-insensitive
    substring of the question."""

    task: str = ""
    family: str = ""
    mode: str = ""
    image: str = ""
    text: str = ""
    outcome: str = ""  # with evaluation results (see `OUTCOMES`)

    def __post_init__(self) -> None:
        if self.outcome and self.outcome not in (*OUTCOMES, "incorrect"):
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)} or incorrect (wrong or parse_failed), "
                             f"got {self.outcome!r}")

    def keep(self, entry: Entry) -> bool:
        return ((not self.outcome or entry.outcome == self.outcome
                 or (self.outcome == "incorrect" and entry.outcome in ("wrong", "parse_failed")))
                and (not self.task or entry.task == self.task)
                and (not self.family or entry.family == self.family)
                and (not self.mode or entry.mode == self.mode)
                and (not self.image or self.image in entry.image_ids)
                and (not self.text or self.text.lower() in entry.question.lower()))

    @property
    def empty(self) -> bool:
        return not any(vars(self).values())


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
