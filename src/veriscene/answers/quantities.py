"""A number read as the answer of a reply's text: one value, not a bound ("at least 3"), a range
or alternatives ("3 or 4"), nor, for a count, an approximation ("about 3"), nor a denied number
("Not 3.", "It isn't 3."; "Not 2, but 3." and "3, not 2." read 3); a number too large
to be a count fails instead of raising. Numbers that label, not count, are not read
(`uncounted`): the markers of a numbered list ("1. a cup\n2. a cup"), "Step 2", image numbers
("Image 2", not "image 3 stars") and the coordinates of Molmo's point tags. A count given per
part and then in total is read as the total when the parts add up to it and a word marks it as
the total ("2 in Image 1 and 3 in Image 2, so 5"), or a colon introduces the parts after it ("3
stars: two on the left and one on the right"; `_total_of_parts`).
`parse.parse_number` reads the marked answer first."""

from __future__ import annotations

import math
import re

from veriscene.answers.numbers import Number, find_numbers
from veriscene.answers.result import ParseResult

# A number given as a bound or a range, not a value: "at least 3", "3+", "≥3", "3 or more".
_BOUND_BEFORE_RE = re.compile(
    r"(?:\b(?:at\s+(?:least|most)|more\s+than|less\s+than|fewer\s+than|greater\s+than|over|under|"
    r"up\s+to|no\s+more\s+than|no\s+fewer\s+than|above|below|between)|[<>≤≥≦≧~≈]=?"
    r"|\\(?:geq?|leq?|gt|lt|approx|sim|simeq|gtrsim|lesssim)(?![a-z]))\s*$", re.IGNORECASE)
_BOUND_AFTER_RE = re.compile(r"^\s*(?:\+(?!\s*\d)|or\s+(?:more|less|fewer|so|above|below|greater)\b)", re.IGNORECASE)
# A number given with a margin: "3 ± 1", "\\boxed{3 \\pm 1}", "3 +/- 1", "3, give or take" (a marked
# answer reads its first number, so "± 1" was dropped and the hedge read as 3).
_MARGIN_AFTER_RE = re.compile(r"^\s*,?\s*(?:±|∓|\+\s*/\s*-|\+-|\\(?:pm|mp)(?![a-z])|plus\s+or\s+minus\b|give\s+or\s+take\b)",
                              re.IGNORECASE)
_APPROX_BEFORE_RE = re.compile(r"\b(?:about|around|approximately|roughly|nearly|almost|maybe|perhaps)\s*$",
                               re.IGNORECASE)
# "4-ish", "4ish", "4 or thereabouts", "4 or so", "4, roughly" (read as 4 before, as "about 4" was not)
_APPROX_AFTER_RE = re.compile(r"^(?:\s*-?\s*ish\b|\s*,?\s*(?:or\s+thereabouts?|or\s+about|roughly|approximately|more\s+or\s+less)\b)",
                              re.IGNORECASE)
# Two numbers offered as alternatives or a range: "3 or 4", "3-4", "3 to 4", "3/4 objects".
# (also the "or" of logic and LaTeX: "3 | 4", "3 ∨ 4", "\\boxed{3 \\vee 4}")
_ALTERNATIVE_RE = re.compile(r"^\s*(?:,\s*or|,|or|to|-|–|—|/|and\s*/\s*or|\.\.\.?|…|\||∨|\\(?:vee|lor|mid)(?![a-z]))\s*$",
                             re.IGNORECASE)
_MAX_DIGITS = 18  # a longer integer cannot be a count and does not fit the comparisons


def _hedged_number(text: str, numbers: list[Number], i: int, integer: bool) -> str | None:
    """Why numbers[i] is not given as the answer ("at least", "3 or 4"), or None."""
    n = numbers[i]
    before, after = text[max(0, n.start - 40):n.start], text[n.end:n.end + 20]
    if _BOUND_BEFORE_RE.search(before) or _BOUND_AFTER_RE.match(after):
        return "a bound, not a number"
    if _MARGIN_AFTER_RE.match(after):
        return "a number with a margin of error"
    if integer and (_APPROX_BEFORE_RE.search(before) or _APPROX_AFTER_RE.match(after)):
        return "an approximate count"
    if integer and "/" in text[n.start:n.end]:
        return "alternatives or a fraction"  # "0 / 1" is no count of 0
    if i + 1 < len(numbers) and numbers[i + 1].value != n.value \
            and _ALTERNATIVE_RE.match(text[n.end:numbers[i + 1].start]):
        return "alternatives or a range"
    return None


# Numbers that label, not count: Molmo's point tags (coordinates), "Step 2:", numbered list markers.
_POINT_TAG_RE = re.compile(r"<points?\b[^>]*>", re.IGNORECASE)
_STEP_RE = re.compile(r"\bstep\s+(\d+)\b", re.IGNORECASE)
_LIST_MARKER_RE = re.compile(r"^[ \t>*#-]*(\d{1,2})[.)][ \t]+(?=\S)", re.MULTILINE)
# Image numbers: "Image 2", "Image #2", "images 1, 2 and 3" (a run only after the plural:
# in "Image 1, 1 in Image 2" the second 1 counts).
_IMAGE_LABEL_RE = re.compile(
    r"\b(?:image|picture|photo|img)\s*(?:#|no\.?|number)?\s*(\d{1,2})\b"
    r"|\b(?:image|picture|photo|img)s\s*(?:#|no\.?|number)?\s*"
    r"(\d{1,2}(?:\s*(?:,\s*and|,\s*or|,|&|/|\band\b|\bor\b|-|–)\s*\d{1,2})*)\b",
    re.IGNORECASE)
# Words that may follow an image number ("Image 2 has 3"); any other word makes the number a
# count ("in the image 3 stars are visible").
_AFTER_LABEL = frozenset({
    "and", "or", "but", "in", "of", "on", "at", "to", "so", "is", "are", "was", "were", "has", "have", "had",
    "shows", "show", "showed", "contains", "contain", "includes", "include", "features", "there", "does",
    "do", "did", "doesn", "don", "lacks", "lack", "both", "also", "only", "each", "too", "with", "without",
    "while", "whereas", "it", "they", "we", "i", "you", "the", "a", "an", "total", "then", "vs", "versus",
})


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def uncounted(text: str) -> str:
    """`text` with the numbers that label rather than count blanked out (positions kept): point
    tags, "Step 2", image numbers ("Image 2", "images 1 and 3", but not "image 3 stars"), and the markers of a numbered list when they run 1, 2, 3, ... (two or more;
    a lone "3. There are three." keeps its number)."""
    for m in list(_POINT_TAG_RE.finditer(text)):
        text = _blank(text, m.start(), m.end())
    for m in list(_STEP_RE.finditer(text)):
        text = _blank(text, m.start(1), m.end(1))
    for m in list(_IMAGE_LABEL_RE.finditer(text)):
        follower = _WORD_RE.match(text[m.end():].lstrip().lower())
        if follower is None or follower.group() in _AFTER_LABEL:
            group = 1 if m.group(1) is not None else 2
            for d in re.finditer(r"\d+", m.group(group)):
                text = _blank(text, m.start(group) + d.start(), m.start(group) + d.end())
    markers = list(_LIST_MARKER_RE.finditer(text))
    if len(markers) >= 2 and [int(m.group(1)) for m in markers] == list(range(1, len(markers) + 1)):
        for m in markers:
            text = _blank(text, m.start(1), m.end(1))
    return text


_WORD_RE = re.compile(r"[a-z]+")
# A number counting part of what another counts: "4 objects, 3 of which are large".
_SUBSET_AFTER_RE = re.compile(r"^\s+of\s+(?:which|them|these|those)\b", re.IGNORECASE)
_NEGATED_BEFORE_RE = re.compile(r"\b(?:not|no|never|n't)\s*$", re.IGNORECASE)
# A number denied: "not 3", "isn't 3", "not exactly 3", "never 2" (not "no": "no 3" is rare,
# "No, 3." common).
_DENIED_NUMBER_RE = re.compile(r"(?:\bnot|n['’]t|\bnever)\s+(?:(?:exactly|just|only|even|quite)\s+)?$",
                               re.IGNORECASE)
# words that end what a number counts ("3 cups in total", "two of them") or join numbers
_NOT_COUNTED = frozenset({
    "and", "or", "but", "in", "of", "on", "at", "to", "the", "a", "an", "is", "are", "so", "not", "than",
    "total", "all", "more", "less", "times", "x", "by", "out", "from", "with", "then", "per",
})


def asked_noun(question: str | None) -> str | None:
    """The noun a count question asks about, singular and lowercase ("How many red cups are
    there?", "What is the number of red cups?", "Count the red cups." -> "cup"), or None when
    the question asks no count."""
    if not question:
        return None
    m = re.search(r"\b(?:how\s+many|(?:number|count)\s+of(?:\s+the)?|^count\s+the)\s+((?:[a-z-]+\s+){0,3}?[a-z-]+?)"
                  r"(?=\s+(?:are|is|do|does|can|could|in|on|of|there|appear|have|has|lie|sit|stand|across|among|"
                  r"throughout|altogether|together|within|from|at|to|you|that|which|shown|visible)\b|\s*[?.,]|$)",
                  question.lower().strip())
    if m is None:
        return None
    return _singular(m.group(1).split()[-1])


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _counted(text: str, n: Number) -> str | None:
    """The noun a number counts: the last word of the up to three words after it, before a word
    that ends the phrase ("2 red cups and" -> "cup"); None for a bare number ("3.", "3 or 4")."""
    words: list[str] = []
    after, last = text[n.end:n.end + 40].lower(), 0
    for m in _WORD_RE.finditer(after):
        if m.group() in _NOT_COUNTED or len(words) == 3 or any(c in after[last:m.start()] for c in ".,;:!?()\n"):
            break
        words.append(m.group())
        last = m.end()
    return _singular(words[-1]) if words else None


def _by_noun(text: str, numbers: list[Number], noun: str) -> list[int] | None:
    """Positions of the numbers that count the asked `noun` ("There are two cups and one
    plate." -> two), when every other number counts something else, a part of them ("3 of
    which are red") or is denied ("3 cups, not 2"); None when one is bare ("3 cups or 4", "1,
    2, 3. So 3 cups": a hedge or a count)."""
    chosen = []
    for i, n in enumerate(numbers):
        counted = _counted(text, n)
        if counted == noun:
            chosen.append(i)
        elif counted is None and not _NEGATED_BEFORE_RE.search(text[max(0, n.start - 12):n.start]) \
                and not _SUBSET_AFTER_RE.match(text[n.end:n.end + 20]):
            return None
    return chosen or None


# A word marking a number as the total: "so 5", "for a total of 5", "= 5", "5 in total".
_TOTAL_BEFORE_RE = re.compile(
    r"(?:\b(?:so|thus|hence|therefore|total(?:\s+of)?|totals?|altogether|in\s+all|sum(?:\s+of)?|makes?|making|"
    r"gives?|giving|equals?|that's|that\s+is|which\s+is)|=)\s*[:=,]?\s*(?:(?:is|are|of)\s+)?"
    r"(?:there\s+(?:is|are)\s+)?(?:a\s+total\s+of\s+)?$", re.IGNORECASE)
_TOTAL_AFTER_RE = re.compile(
    r"^[ \t]*(?:[a-z-]+[ \t]+){0,3}?(?:in[ \t]+total|total|altogether|in[ \t]+all|overall|combined)\b", re.IGNORECASE)


_BARE_GAP_RE = re.compile(r"^\s*[,;]?\s*$")
# A total followed by its parts after a colon: "There are 3 stars: two on the left and one on
# the right." (up to three words between the number and the colon).
_BREAKDOWN_AFTER_RE = re.compile(r"^[ \t]*(?:[a-z-]+[ \t]+){0,3}?[a-z-]*[ \t]*:(?![ \t]*\d)", re.IGNORECASE)


def _adds_up(parts: list[float], total: float) -> bool:
    """Whether counts `parts` add up to `total`: all of them, or one half of them when the
    reply lists them and then sums them ("Image 1 has 2. Image 2 has 3. 2 + 3 = 5")."""
    if len(parts) < 2 or any(v < 0 or v != int(v) for v in parts):
        return False
    if sum(parts) == total:
        return True
    half = len(parts) // 2
    return len(parts) % 2 == 0 and sorted(parts[:half]) == sorted(parts[half:]) and sum(parts[:half]) == total


def _total_of_parts(text: str, numbers: list[Number]) -> int | None:
    """The position of the number `text` marks as the total of the others ("2 in Image 1 and 3
    in Image 2, so 5"; "There are 5 circles in total: 2 in Image 1 and 3 in Image 2."; "There
    are 3 stars: two on the left and one on the right."), when
    they add up to it (`_adds_up`); repeats of the total aside. None otherwise: a wrong sum, a
    hedge ("so 5 or 6"), parts alone and a bare run of numbers ("1, 2, 3. So 3") are no total."""
    marked: list[int] = []
    claimed = -1  # end of the last "in total" after a number: "5 in total: 2 in ..." marks 5, not 2
    for i, n in enumerate(numbers):
        after = _TOTAL_AFTER_RE.match(text[n.end:n.end + 40]) or _BREAKDOWN_AFTER_RE.match(text[n.end:n.end + 40])
        before = _TOTAL_BEFORE_RE.search(text[max(0, n.start - 40):n.start])
        if after or (before and max(0, n.start - 40) + before.start() >= claimed):
            marked.append(i)
        if after:
            claimed = n.end + after.end()
    if len({numbers[i].value for i in marked}) != 1:
        return None
    if any(_BARE_GAP_RE.match(text[a.end:b.start]) for a, b in zip(numbers, numbers[1:])):
        return None  # "Let me count: 1, 2, 3. So 3": a count running on, no parts
    total = numbers[marked[0]].value
    parts = [n.value for i, n in enumerate(numbers) if i not in marked]
    if _adds_up(parts, total) or _adds_up([v for v in parts if v != total], total):
        return marked[-1]
    return None


def _without_echoes(text: str, numbers: list[Number], question: str | None) -> list[Number]:
    """`numbers` without those repeating a number of the question with its noun ("Of the four
    images, three show a hexagon." for "Of the four images, how many show a hexagon?"), when
    others remain."""
    if not question or len(numbers) < 2:
        return numbers
    asked = {(q.value, noun) for q in find_numbers(question) if (noun := _counted(question, q)) is not None}
    kept = [n for n in numbers if (n.value, _counted(text, n)) not in asked]
    return kept or numbers


def read_number(text: str, integer: bool, first: bool, question: str | None = None) -> ParseResult | None:
    """The one number `text` gives (`first`: its first number, a marked answer's). Several
    different numbers fail unless, for a count question (`question`: "How many cups ...?"),
    exactly one of them counts the asked noun and every other one counts something else or is
    denied ("There are two cups and one plate." -> 2; "3 cups, not 2" -> 3), or, for a count,
    one is marked as the total of the others (`_total_of_parts`). Labels are not numbers
    (`uncounted`), nor are the question's own numbers repeated with their noun
    (`_without_echoes`)."""
    text = uncounted(text)
    numbers = _without_echoes(text, find_numbers(text, zero_words=integer), question)
    if not numbers:
        return None
    denied = [n for n in numbers if _DENIED_NUMBER_RE.search(text[max(0, n.start - 24):n.start])]
    if denied and len(denied) == len(numbers):
        return ParseResult.fail(f"the reply says what the answer is not ({text[denied[0].start:][:24]!r})")
    numbers = [n for n in numbers if n not in denied]  # "Not 2, but 3.", "3, not 2."
    at = [0] if first else list(range(len(numbers)))
    distinct = sorted({numbers[i].value for i in at})
    noun = asked_noun(question) if len(distinct) > 1 else None
    if noun is not None and (chosen := _by_noun(text, numbers, noun)) is not None \
            and len({numbers[i].value for i in chosen}) == 1:
        at, distinct = chosen, [numbers[chosen[0]].value]
    if len(distinct) > 1 and integer and (total := _total_of_parts(text, numbers)) is not None:
        at, distinct = [total], [numbers[total].value]
    if len(distinct) > 1:
        shown = ", ".join(f"{v:g}" for v in distinct[:6])
        return ParseResult.fail(f"several different numbers in the reply ({shown}) and none marked as the answer")
    for i in at:
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
