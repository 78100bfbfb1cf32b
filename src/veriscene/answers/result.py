"""Result types of answer parsing and matching.

`ParseResult` is what `parse_answer` returns: the value read from a reply (in the gold answer's
JSON form) or the reason it could not be read. `MatchResult` is what `match_answer` and
`score_sample` return: the parse plus a score against the gold answer.

Free-form `text` answers are not scored here (see `veriscene.evaluate` for free-form scoring):
their `MatchResult` has ``score = nan``, ``correct = False``, ``parse_failed = False`` and
``applicable = False``. NaN is deliberate: averaging it by mistake gives NaN, never a silent 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# Answer types that `match_answer` scores. `text` is parsed (cleaned) but not scored.
SCORED_TYPES = ("bool", "int", "float", "str", "str_set", "box", "point", "image_index")
NOT_SCORED_TYPES = ("text",)


@dataclass(frozen=True)
class ParseResult:
    """A reply read into an answer type.

    value         the parsed value in the gold answer's JSON form (bool, int, float, str, sorted
                  list of str, [x0, y0, x1, y1] / [x, y] absolute pixels, 0-based image index,
                  cleaned text), or None when parsing failed
    reason        why parsing failed, or None on success
    choice_index  0-based index of the chosen option for multiple choice, else None
    """

    value: Any
    reason: str | None = None
    choice_index: int | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None

    @classmethod
    def fail(cls, reason: str) -> ParseResult:
        return cls(value=None, reason=reason)


@dataclass(frozen=True)
class MatchResult:
    """A reply scored against the gold answer.

    score         0..1: IoU for boxes, for sets (right - wrong items) / gold items (at least 0:
                  `match.set_score`), 1.0 / 0.0 otherwise; NaN for `text`
    correct       exact match (boxes: IoU >= threshold; sets: the same items; points: within tolerance)
    parse_failed  the reply could not be read; then score is 0.0 and correct is False
    reason        why parsing failed, or None
    parsed        the parsed value in the gold answer's JSON form, or None
    """

    score: float
    correct: bool
    parse_failed: bool
    reason: str | None
    parsed: Any

    @property
    def applicable(self) -> bool:
        """False for answer types not scored here (free-form `text`): then `score` is NaN."""
        return not math.isnan(self.score)

    @classmethod
    def failed(cls, reason: str) -> MatchResult:
        return cls(score=0.0, correct=False, parse_failed=True, reason=reason, parsed=None)

    @classmethod
    def not_scored(cls, parsed: Any) -> MatchResult:
        return cls(score=math.nan, correct=False, parse_failed=False, reason=None, parsed=parsed)
