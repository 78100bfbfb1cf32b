"""Numbers in replies: digits ("3", "-2.5", "1,200", "1/2"), LaTeX fractions ("\\frac{1}{2}"),
English number words ("three", "twenty-one", "one hundred and five", "a dozen") and spoken
fractions ("one half", "two and a half", "three quarters", "two thirds"), with their positions.

`find_numbers` returns every number in reading order; each value of a run of number words has
its own span ("three-four" is 3 then 4, split at the hyphen). Ordinals ("3rd", "second") are
not numbers here; `ORDINALS` serves image indices ("the second image"), so "third" alone is an
ordinal and only "one third" / "two thirds" are fractions. "half" counts alone only as the whole
text ("Half."): "half of them are red" in a count names no number.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "last": -1,
}

_WORD = "|".join(sorted([*UNITS, *TENS, *SCALES, "dozen"], key=len, reverse=True))
# A run of number words joined by spaces, hyphens or "and" (e.g. "one hundred and five").
_WORDS_RE = re.compile(
    rf"\b(?:a\s+)?(?:{_WORD})(?:(?:\s*-\s*|\s+(?:and\s+)?)(?:{_WORD}))*\b", re.IGNORECASE)
# Digits: optional sign (not after a letter or digit), thousands separators, decimals, exponents,
# fractions.
# Not part of a word ("x2", "2D") nor an ordinal ("3rd").
_DIGITS_RE = re.compile(
    r"(?<![\w.])(?P<sign>[-+−])?(?P<num>\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<exp>[eE][-+]?\d+(?![\w.]))?"
    r"(?:\s*/\s*(?P<den>\d+)(?![\d.]))?"
    r"(?!\.?\d)(?!(?:st|nd|rd|th)\b)(?![A-Za-z])")
# LaTeX fractions: "\\frac{1}{2}", "\\dfrac{3}{4}", "\\tfrac12".
_LATEX_FRAC_RE = re.compile(
    r"\\[dt]?frac\s*(?:\{\s*(?P<num>-?\d+(?:\.\d+)?)\s*\}|(?P<num1>\d))"
    r"\s*(?:\{\s*(?P<den>\d+(?:\.\d+)?)\s*\}|(?P<den1>\d))")
# Spoken fractions; the whole part (digits or words) is optional: "two and a half", "2 and a
# half", "one half", "a quarter", "three quarters", "two thirds". Not "a half-eaten cake".
_FRACTION_WORDS = {"half": 2, "halves": 2, "quarter": 4, "quarters": 4, "third": 3, "thirds": 3}
# The whole part is at most 10 words ("twenty-two thousand three hundred forty-five and a half"):
# unbounded, a long run of number words was read again from each of its words (quadratic).
_FRACTION_RE = re.compile(
    rf"\b(?:(?P<whole>\d+|(?:{_WORD})(?:(?:\s*-\s*|\s+)(?:{_WORD})){{0,9}})\s+and\s+)?"
    rf"(?P<count>a|an|one|two|three|{'|'.join(f'{w}' for w in ('four', 'five', 'six', 'seven', 'eight', 'nine'))})"
    r"(?:\s+|\s*-\s*)(?P<part>halves|half|quarters|quarter|thirds|third)\b(?!-)",
    re.IGNORECASE)
_LONE_HALF_RE = re.compile(r"^\W*(?:a\s+)?half\W*$", re.IGNORECASE)

# Words meaning zero for counts: "none", "nothing", "no dogs" (quantifier "no" before a word).
_ZERO_RE = re.compile(r"\b(?:none|nothing|nobody|no(?=\s+[a-z]))\b", re.IGNORECASE)


@dataclass(frozen=True)
class Number:
    value: float
    start: int
    end: int
    is_integer_form: bool  # written without a fraction ("3", "three"; not "3.0" or "1/2")


def words_to_numbers(words: list[str]) -> list[float]:
    """Evaluate a run of number words; split it where the words do not combine.

    ["twenty", "one"] -> [21]; ["one", "hundred", "and", "five"] -> [105]; ["one", "two"] -> [1, 2].
    """
    return [value for value, _, _ in _word_values(words)]


def _word_values(words: list[str]) -> list[tuple[float, int, int]]:
    """`words_to_numbers` with, for each value, the indices of its first and last word."""
    values: list[tuple[float, int, int]] = []
    # "one million two hundred thousand and five": `total` holds the groups closed before the last
    # one (1,000,000), `group` the last one closed by "thousand" or "million" (200,000; `scale`,
    # the largest scale in it: 1,000) and `current` the words since (5).
    total, group, scale, current, have, last, first, end = 0, 0, 0, 0, False, "", 0, 0

    def flush() -> None:
        nonlocal total, group, scale, current, have
        if have:
            values.append((_as_float(total + group + current), first, end))
        total, group, scale, current, have = 0, 0, 0, 0, False

    for k, raw in enumerate(words):
        w = raw.lower()
        if w == "and":
            continue
        if w == "a":  # "a dozen", "a hundred"
            flush()
            current, have, last, first, end = 1, True, "a", k, k
            continue
        if not have or _starts_value(w, last):
            flush()
            first = k
        if w in UNITS:
            current += UNITS[w]
        elif w in TENS:
            current += TENS[w]
        else:  # "dozen" or a scale: it multiplies the words before it
            factor = 12 if w == "dozen" else SCALES[w]
            if last in _GROUP_SCALES:  # "a million million", "a thousand million", "two thousand dozen"
                group, scale = min(group * factor, _PAST_FLOATS), max(scale, factor)
            elif factor < 1000:  # "three hundred", "a dozen dozen"
                current = min((current or 1) * factor, _PAST_FLOATS)
            elif group and scale < factor:  # "one thousand two hundred million": (1,000 + 200) million
                group, scale, current = min((group + current) * factor, _PAST_FLOATS), factor, 0
            else:  # "twenty one thousand", "two million three thousand": a group of its own
                total = min(total + group, _PAST_FLOATS)
                group, scale, current = min((current or 1) * factor, _PAST_FLOATS), factor, 0
        have, last, end = True, w, k
    flush()
    return values


# Scales that close a group ("two thousand", "three hundred thousand"): the words after them add
# to it ("two thousand and five") except another multiplier right after, which multiplies it
# ("a thousand million" is 10**9, "a million million" 10**12, as "a dozen dozen" is 144).
_GROUP_SCALES = frozenset(w for w, scale in SCALES.items() if scale >= 1000)
# Words multiply ("a dozen dozen", "a million million"): a value is held at this bound, past the
# largest float, so that a long run of them stays a small integer and reads as infinity.
_PAST_FLOATS = 2**1024


def _as_float(value: int) -> float:
    return float(value) if value < _PAST_FLOATS else math.inf


def _starts_value(word: str, last: str) -> bool:
    """Whether number word `word` after `last` starts a new value ("one two": yes; "twenty
    one", "hundred and five": no)."""
    if word in UNITS:
        return not (last in TENS and 0 < UNITS[word] < 10) and last not in SCALES
    if word in TENS:
        return last not in SCALES
    return False


def _blank(text: str, start: int, end: int) -> str:
    """`text` with [start, end) replaced by spaces: positions stay, the span is not read again."""
    return text[:start] + " " * (end - start) + text[end:]


def _fractions(text: str) -> tuple[list[Number], str]:
    """LaTeX and spoken fractions in `text`, and the text with them blanked out."""
    found: list[Number] = []
    for m in list(_LATEX_FRAC_RE.finditer(text)):
        num, den = float(m.group("num") or m.group("num1")), float(m.group("den") or m.group("den1"))
        if den:
            found.append(Number(num / den, m.start(), m.end(), False))
        text = _blank(text, m.start(), m.end())
    for m in list(_FRACTION_RE.finditer(text)):
        count, part = m.group("count").lower(), m.group("part").lower()
        if part.startswith("third") and count in ("a", "an"):
            continue  # "a third cup" is an ordinal
        share = (1 if count in ("a", "an") else UNITS[count]) / _FRACTION_WORDS[part]
        whole = m.group("whole")
        if whole is not None:
            parts = [] if whole.isdigit() else words_to_numbers(re.findall(r"[A-Za-z]+", whole))
            if not whole.isdigit() and len(parts) != 1:
                continue  # "one two and a half": not one number
            share += float(whole) if whole.isdigit() else parts[0]
        found.append(Number(share, m.start(), m.end(), False))
        text = _blank(text, m.start(), m.end())
    if not found and (lone := _LONE_HALF_RE.match(text)):
        found.append(Number(0.5, lone.start(), lone.end(), False))
        text = _blank(text, lone.start(), lone.end())
    return found, text


def find_numbers(text: str, *, zero_words: bool = False) -> list[Number]:
    """All numbers in `text`, in reading order.

    With `zero_words`, "none", "nothing" and the quantifier "no" ("no dogs") count as 0, but
    only when the text holds no other number (so "No, there are 3" is 3).
    """
    found, text = _fractions(text)
    for m in _DIGITS_RE.finditer(text):
        num = m.group("num").replace(",", "")
        value = float(num)
        integer_form = "." not in num
        if m.group("exp"):
            value, integer_form = float(num + m.group("exp")), False
        if m.group("den") is not None:
            den = float(m.group("den"))
            if den == 0:
                continue
            value, integer_form = value / den, False
        if m.group("sign") in ("-", "−"):
            value = -value
        found.append(Number(value, m.start(), m.end(), integer_form))
    for m in _WORDS_RE.finditer(text):
        words = list(re.finditer(r"[A-Za-z]+", m.group(0)))
        if [w.group(0).lower() for w in words] == ["a"]:
            continue
        for value, first, last in _word_values([w.group(0) for w in words]):
            found.append(Number(value, m.start() + words[first].start(), m.start() + words[last].end(), True))
    if zero_words and not found:
        found = [Number(0.0, m.start(), m.end(), True) for m in _ZERO_RE.finditer(text)]
    return sorted(found, key=lambda n: n.start)
