"""An image named in a reply ("Image 2", "the second image", "image two", a bare "2", "the last
image" when the number of images is known), as a 1-based number; a reply naming several images
("Image 1 or 2", "images 1-3") fails. `parse.parse_answer` reads the marked answer first.

An image named only to be denied does not count when another image is named: "It is in Image 2,
not Image 1." and "Image 2 has it; Image 1 doesn't." read Image 2. A denial before the image
("not Image 1") always rules it out, so "Not Image 1." fails; a denial after it ("Image 3 does
not contain a diamond") only when another image is asserted, since it may be the answer to a
negative question ("Which image does not contain a diamond?"). Another image offered as an
alternative ("Image 2, or maybe 3", `extract.offered_alternatives`) fails. An image named after
"than" / "compared to" is what the answer is compared with, ruled out as a denied one: "Image 1
has more stars than Image 3." reads Image 1, "It has more stars than Image 3." fails.

A question asking which image lacks something ("Which image does not contain a diamond?",
`asks_absence`) turns this around: an image denied after it ("Image 4 does not contain a
diamond") is the answer, and the images said to have it are its contrast: "Image 4 does not
contain a diamond, while Image 1 does." and "Image 1 contains a diamond, but Image 4 does not."
both read Image 4, and so does "Every image except Image 4 contains a diamond." (for "Which
image contains a diamond?", "Every image except Image 4 lacks one.").
"""

from __future__ import annotations

import math
import re

from veriscene.answers.extract import offered_alternatives, strip_edges
from veriscene.answers.numbers import ORDINALS, UNITS, find_numbers
from veriscene.answers.result import ParseResult

_IMAGE_WORD = r"(?:image|picture|photo|photograph|img|pic|frame|figure)"
_IMAGE_REF = rf"(?:\d{{1,6}}|{'|'.join(UNITS)})"
# "Image 2", "images 1 and 3", "image 1 or 2", "Image 1-3": every number of the run is named.
_IMAGE_NUM_RE = re.compile(
    rf"\b{_IMAGE_WORD}s?\s*(?:#|no\.?|number|num\.?)?\s*[-_]?\s*({_IMAGE_REF}"
    rf"(?:\s*(?:,|&|/|-|–|\bor\b|\band\b|\bto\b|,\s*(?:or|and))\s*(?:{_IMAGE_WORD}\s*)?{_IMAGE_REF})*)\b",
    re.IGNORECASE)
_IMAGE_REF_RE = re.compile(_IMAGE_REF, re.IGNORECASE)
_ORDINAL = rf"(?:{'|'.join(ORDINALS)}|\d+(?:st|nd|rd|th))"
_ORDINAL_RE = re.compile(rf"\b({_ORDINAL})\s+(?:{_IMAGE_WORD}s?|one)\b", re.IGNORECASE)
# An ordinal joined to an ordinal image: "the first or the second image", "first and third images"
# name the first too.
_JOINED_ORDINAL_RE = re.compile(
    rf"\b({_ORDINAL})\s*(?:,|/|\bor\b|\band\b|,\s*or\b|,\s*and\b)\s*(?:the\s+)?"
    rf"(?={_ORDINAL}(?:\s*(?:,|/|\bor\b|\band\b)\s*(?:the\s+)?{_ORDINAL})*\s+(?:{_IMAGE_WORD}s?|ones?)\b)",
    re.IGNORECASE)
_LONE_ORDINAL_RE = re.compile(rf"^\W*(?:the\s+)?({'|'.join(ORDINALS)}|\d+(?:st|nd|rd|th))\W*$", re.IGNORECASE)
# A denial before an image: "not Image 1", "isn't in the first image", "except Image 3",
# "neither Image 1 nor Image 2".
_DENIED_BEFORE_RE = re.compile(
    r"(?:\bnot|n't|\bnor|\bneither|\bexcept|\bunlike|\bother\s+than|\brather\s+than|\binstead\s+of)\s+"
    r"(?:(?:in|on|from)\s+)?(?:the\s+)?$", re.IGNORECASE)
# An image named to compare with: "more stars than Image 1", "compared with the first image",
# "compared to 2 in Image 3".
_COMPARED_BEFORE_RE = re.compile(
    r"(?:\bthan|\bcompared\s+(?:to|with)|\bunlike|\bversus|\bvs\.?)\s+(?:(?:[\w'-]+\s+){0,3}?(?:in|on)\s+)?"
    r"(?:the\s+)?$", re.IGNORECASE)
# A denial after an image: "Image 1 doesn't", "Image 1 and Image 3 don't have one", "has no".
_DENIED_AFTER_RE = re.compile(
    r"^\s*(?:does\s+not|doesn't|do\s+not|don't|did\s+not|didn't|has\s+no|have\s+no|has\s+none|have\s+none|"
    r"lacks?|is\s+not|isn't|are\s+not|aren't|contains?\s+no|shows?\s+no|is\s+missing|are\s+missing)\b",
    re.IGNORECASE)


# A negation in the asking sentence: "Which image does not contain a diamond?", "In which
# image is there no square?", "Which image lacks a star?".
_ABSENCE_RE = re.compile(r"\b(?:not|no|none|never|lacks?|lacking|without|missing|absent)\b|n't\b", re.IGNORECASE)


def asks_absence(question: str | None) -> bool:
    """Whether the question's asking sentence (its last one ending in "?") is negated."""
    if not question or "?" not in question:
        return False
    asking = re.split(r"(?<=[.!?])\s+", question[:question.rindex("?") + 1].strip())[-1]
    return _ABSENCE_RE.search(asking) is not None


def _ordinal_value(word: str, num_images: int | None) -> int | None:
    """1-based image number of an ordinal ("second", "3rd"); "last" needs `num_images` (None
    without it)."""
    word = word.lower()
    if word in ORDINALS:
        value = ORDINALS[word]
        return value if value > 0 else num_images
    return int(re.match(r"\d+", word).group(0))  # type: ignore[union-attr]


def _image_ref(word: str) -> int:
    return int(word) if word.isdigit() else UNITS[word.lower()]


# An image excepted from what every other image is said to be: "Every image except Image 4
# contains a diamond." (Image 4 lacks one), "All images but Image 2 lack a star."
_EXCEPTED_RE = re.compile(
    r"\b(?:every|all|each)\b[^.;!?\n]*?\b(?:except(?:\s+for)?|other\s+than|but|apart\s+from)\s+(?:the\s+)?$",
    re.IGNORECASE)


def _denial(text: str, start: int, end: int) -> str | None:
    """"before" / "after" when the image named at text[start:end] is denied, "excepted" /
    "excepted-from-absence" when it is the exception to what the other images are said to
    have / lack, else None."""
    if _EXCEPTED_RE.search(text[max(0, start - 80):start]):
        rest = re.split(r"[.;!?\n]", text[end:], maxsplit=1)[0]
        return "excepted-from-absence" if _ABSENCE_RE.search(rest) else "excepted"
    if _DENIED_BEFORE_RE.search(text[max(0, start - 30):start]) or \
            _COMPARED_BEFORE_RE.search(text[max(0, start - 30):start]):
        return "before"  # ruled out: denied, or the image the answer is compared with
    if _DENIED_AFTER_RE.match(text[end:end + 30]):
        return "after"
    return None


def _named(text: str, num_images: int | None) -> tuple[list[tuple[int, str | None]], str | None]:
    """(image number, its denial) for every image named by number or ordinal, and a reason
    when an ordinal cannot be read."""
    named: list[tuple[int, str | None]] = []
    for m in _IMAGE_NUM_RE.finditer(text):
        denial = _denial(text, m.start(), m.end())
        named += [(_image_ref(ref), denial) for ref in _IMAGE_REF_RE.findall(m.group(1))]
    ordinals = [(m.group(1), _denial(text, m.start(), m.end()))
                for found in (_ORDINAL_RE, _JOINED_ORDINAL_RE) for m in found.finditer(text)]
    if not named and not ordinals and (lone := _LONE_ORDINAL_RE.match(strip_edges(text))):
        ordinals = [(lone.group(1), None)]
    for word, denial in ordinals:
        value = _ordinal_value(word, num_images)
        if value is None:
            return [], (f"the reply says '{word}' image, which needs the number of images "
                        "(the sample's images) to be read")
        named.append((value, denial))
    return named, None


def read_image_index(text: str, num_images: int | None = None, absence: bool = False) -> ParseResult | None:
    """The image `text` names (0-based), a failure, or None when it names none; `absence`: the
    question asks which image lacks something (`asks_absence`), so images denied after being
    named are the answer (see the module docstring)."""
    named, why = _named(text, num_images)
    if why is not None:
        return ParseResult.fail(why)
    # the exception answers when the others are said to do the opposite of what the question asks
    named = [(v, d if not (d or "").startswith("excepted") else
              None if (d == "excepted") == absence else "before") for v, d in named]
    asserted = [v for v, denial in named if denial is None]
    denied_after = [v for v, denial in named if denial == "after"]
    values = denied_after if absence and denied_after else asserted or denied_after
    if named and not values:
        ruled_out = ", ".join(map(str, sorted({v for v, _ in named})))
        return ParseResult.fail(f"the reply names only images it rules out ({ruled_out})")
    if not values:  # bare digits ("2"), or a lone number word ("two"); not the pronoun "one"
        values = [int(n.value) for n in find_numbers(text)
                  if n.is_integer_form and text[n.start].isdigit() and math.isfinite(n.value)]
        word = strip_edges(text).lower()
        values += [UNITS[word]] if word in UNITS else []
    if not values:
        return None
    distinct = sorted(set(values))
    if len(distinct) > 1:
        return ParseResult.fail(f"the reply names several images ({', '.join(map(str, distinct[:6]))})")
    if distinct[0] < 1:
        return ParseResult.fail(f"image numbers start at 1, got {distinct[0]}")
    for words, clause in offered_alternatives(text):
        other = read_image_index(clause, num_images, absence)
        if other is not None and (not other.ok or other.value != distinct[0] - 1):
            return ParseResult.fail(f"the reply offers another image besides Image {distinct[0]} ({words!r})")
    return ParseResult(value=distinct[0] - 1)
