"""Numbers in replies: digits ("3", "-2.5", "1,200", "1/2") and English number words
("three", "twenty-one", "one hundred and five", "a dozen"), with their positions.

`find_numbers` returns every number in reading order. Ordinals ("3rd", "second") are not
numbers here; `ORDINALS` serves image indices ("the second image").
"""

from __future__ import annotations

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
    values: list[float] = []
    total, current, have, last = 0, 0, False, ""

    def flush() -> None:
        nonlocal total, current, have
        if have:
            values.append(float(total + current))
        total, current, have = 0, 0, False

    for raw in words:
        w = raw.lower()
        if w == "and":
            continue
        if w == "a":  # "a dozen", "a hundred"
            flush()
            current, have, last = 1, True, "a"
            continue
        if w in UNITS:
            if have and not (last in TENS and UNITS[w] < 10 and UNITS[w] > 0) and last not in SCALES:
                flush()
            current += UNITS[w]
        elif w in TENS:
            if have and last not in SCALES:
                flush()
            current += TENS[w]
        elif w == "dozen":
            current = (current or 1) * 12
        else:  # scale
            scale = SCALES[w]
            current = (current or 1) * scale
            if scale >= 1000:
                total, current = total + current, 0
        have, last = True, w
    flush()
    return values


def find_numbers(text: str, *, zero_words: bool = False) -> list[Number]:
    """All numbers in `text`, in reading order.

    With `zero_words`, "none", "nothing" and the quantifier "no" ("no dogs") count as 0, but
    only when the text holds no other number (so "No, there are 3" is 3).
    """
    found: list[Number] = []
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
        words = re.findall(r"[A-Za-z]+", m.group(0))
        if [w.lower() for w in words] == ["a"]:
            continue
        for v in words_to_numbers(words):
            found.append(Number(v, m.start(), m.end(), True))
    if zero_words and not found:
        found = [Number(0.0, m.start(), m.end(), True) for m in _ZERO_RE.finditer(text)]
    return sorted(found, key=lambda n: n.start)
