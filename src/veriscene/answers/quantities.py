"""A number read as the answer of a reply's text: one value, not a bound ("at least 3"), a range
or alternatives ("3 or 4"), nor, for a count, an approximation ("about 3"); a number too large
to be a count fails instead of raising. `parse.parse_number` reads the marked answer first."""

from __future__ import annotations

import math
import re

from veriscene.answers.numbers import Number, find_numbers
from veriscene.answers.result import ParseResult

# A number given as a bound or a range, not a value: "at least 3", "3+", "≥3", "3 or more".
_BOUND_BEFORE_RE = re.compile(
    r"(?:\b(?:at\s+(?:least|most)|more\s+than|less\s+than|fewer\s+than|greater\s+than|over|under|"
    r"up\s+to|no\s+more\s+than|no\s+fewer\s+than|above|below|between)|[<>≤≥≦≧~≈]=?)\s*$", re.IGNORECASE)
_BOUND_AFTER_RE = re.compile(r"^\s*(?:\+(?!\s*\d)|or\s+(?:more|less|fewer|so|above|below|greater)\b)", re.IGNORECASE)
_APPROX_BEFORE_RE = re.compile(r"\b(?:about|around|approximately|roughly|nearly|almost|maybe|perhaps)\s*$",
                               re.IGNORECASE)
# Two numbers offered as alternatives or a range: "3 or 4", "3-4", "3 to 4", "3/4 objects".
_ALTERNATIVE_RE = re.compile(r"^\s*(?:,\s*or|,|or|to|-|–|—|/|and\s*/\s*or|\.\.\.?|…)\s*$", re.IGNORECASE)
_MAX_DIGITS = 18  # a longer integer cannot be a count and does not fit the comparisons


def _hedged_number(text: str, numbers: list[Number], i: int, integer: bool) -> str | None:
    """Why numbers[i] is not given as the answer ("at least", "3 or 4"), or None."""
    n = numbers[i]
    before, after = text[max(0, n.start - 40):n.start], text[n.end:n.end + 20]
    if _BOUND_BEFORE_RE.search(before) or _BOUND_AFTER_RE.match(after):
        return "a bound, not a number"
    if integer and _APPROX_BEFORE_RE.search(before):
        return "an approximate count"
    if i + 1 < len(numbers) and numbers[i + 1].value != n.value \
            and _ALTERNATIVE_RE.match(text[n.end:numbers[i + 1].start]):
        return "alternatives or a range"
    return None


def read_number(text: str, integer: bool, first: bool) -> ParseResult | None:
    numbers = find_numbers(text, zero_words=integer)
    if not numbers:
        return None
    picked = numbers[:1] if first else numbers
    distinct = sorted({n.value for n in picked})
    if len(distinct) > 1:
        shown = ", ".join(f"{v:g}" for v in distinct[:6])
        return ParseResult.fail(f"several different numbers in the reply ({shown}) and none marked as the answer")
    for i in range(len(picked)):
        if (why := _hedged_number(text, numbers, i, integer)) is not None:
            return ParseResult.fail(f"the reply gives {why} ({text[numbers[i].start:numbers[i].end + 12].strip()!r})")
    value = distinct[0]
    if not math.isfinite(value) or abs(value) >= 10 ** _MAX_DIGITS:
        return ParseResult.fail(f"the number in the reply is out of range ({text[numbers[0].start:][:24]!r})")
    if integer:
        if value != int(value):
            return ParseResult.fail(f"expected a whole number, got {value:g}")
        return ParseResult(value=int(value))
    return ParseResult(value=float(value))
