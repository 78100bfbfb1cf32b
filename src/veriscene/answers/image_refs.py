"""An image named in a reply ("Image 2", "the second image", "image two", a bare "2", "the last
image" when the number of images is known), as a 1-based number; a reply naming several images
("Image 1 or 2", "images 1-3") fails. `parse.parse_answer` reads the marked answer first."""

from __future__ import annotations

import math
import re

from veriscene.answers.extract import strip_edges
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
_ORDINAL_RE = re.compile(
    rf"\b({'|'.join(ORDINALS)}|\d+(?:st|nd|rd|th))\s+(?:{_IMAGE_WORD}|one)\b", re.IGNORECASE)
_LONE_ORDINAL_RE = re.compile(rf"^\W*(?:the\s+)?({'|'.join(ORDINALS)}|\d+(?:st|nd|rd|th))\W*$", re.IGNORECASE)


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


def read_image_index(text: str, num_images: int | None = None) -> ParseResult | None:
    values = [_image_ref(ref) for m in _IMAGE_NUM_RE.finditer(text) for ref in _IMAGE_REF_RE.findall(m.group(1))]
    ordinals = [m.group(1) for m in _ORDINAL_RE.finditer(text)]
    if not values and not ordinals and (m := _LONE_ORDINAL_RE.match(strip_edges(text))):
        ordinals = [m.group(1)]
    for word in ordinals:
        value = _ordinal_value(word, num_images)
        if value is None:
            return ParseResult.fail(f"the reply says '{word}' image, which needs the number of images "
                                    "(the sample's images) to be read")
        values.append(value)
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
    return ParseResult(value=distinct[0] - 1)
