"""The phrase a short answer is in: lead-ins dropped ("I think it is", "There are"), and a reply
listing alternatives found ("red, blue or green", "It could be a circle, a triangle or a star";
"red, not blue" lists one; "large, and it is matte" lists one size when only sizes compete).
Used by `parse` for `str` and `str_set` replies."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from veriscene.answers.candidates import FUNCTION_WORDS
from veriscene.answers.extract import strip_edges
from veriscene.answers.normalize import normalize_phrase
from veriscene.answers.result import ParseResult

LEAD_IN_RE = re.compile(
    r"^\s*(?:(?:i\s+think|i\s+believe|i'd\s+say|i\s+would\s+say|i\s+guess|probably|it\s+looks\s+like|"
    r"it\s+seems|it\s+appears|based\s+on\s+the\s+image,?)\s+(?:that\s+)?)?"
    r"(?:it\s+is|it's|its|this\s+is|that\s+is|that's|they\s+are|they're|these\s+are|those\s+are|"
    r"there\s+is|there\s+are|there's|i\s+see|i\s+can\s+see|the\s+image\s+(?:shows|contains)|"
    r"it\s+appears\s+to\s+be|it\s+seems\s+to\s+be|it\s+looks\s+like|the\s+objects?\s+(?:is|are))\s+",
    re.IGNORECASE)
_ENUM_SPLIT_RE = re.compile(r"\s*(?:,|;|/|\bor\b|\band\b|&|\n)\s*", re.IGNORECASE)
_NEGATED_PART_RE = re.compile(
    r"^\s*(?:but\s+)?(?:(?:it|that|this)\s+)?(?:not|no|never|is\s+not|isn'?t|is\s+never)\b", re.IGNORECASE)


def strip_lead_in(text: str) -> str:
    """`text` without its lead-ins ("I think it is a dog" -> "a dog"; two at most)."""
    text = strip_edges(text)
    for _ in range(2):
        text = LEAD_IN_RE.sub("", text)
    return strip_edges(text)


def _short_item(part: str, syn: Mapping[str, str]) -> bool:
    """Whether an enumerated part is a bare noun phrase ("a triangle", "small"), not a clause."""
    words = normalize_phrase(part, prepared=syn).split()
    return 0 < len(words) <= 3 and not any(w in FUNCTION_WORDS for w in words)


def _tail_item(part: str, syn: Mapping[str, str]) -> str:
    """The noun phrase ending a clause: "The object could be a circle" -> "circle"."""
    words = normalize_phrase(part, prepared=syn).split()
    tail: list[str] = []
    for w in reversed(words):
        if w in FUNCTION_WORDS or len(tail) == 3:
            break
        tail.insert(0, w)
    return " ".join(tail)


def _item(part: str, syn: Mapping[str, str]) -> str:
    """A short part as an item: itself when bare ("a triangle"), the noun phrase ending it when
    it is a clause ("it is matte" -> "matte", "made of metal" -> "metal")."""
    if _short_item(part, syn):
        return normalize_phrase(part, prepared=syn)
    return _tail_item(part, syn) or normalize_phrase(part, prepared=syn)


def enumeration(phrase: str, syn: Mapping[str, str],
                competes: Callable[[str], bool] | None = None) -> ParseResult | None:
    """A failure when `phrase` lists alternatives ("red, blue or green", "It could be a circle,
    a triangle or a star"); a parts list without the denied ones ("red, not blue"); else None.
    `competes` tells whether an item (normalised) competes with the gold answer: an item that
    does not ("matte" for a size, in "large, and it is matte") is no alternative."""
    parts = [p for p in _ENUM_SPLIT_RE.split(phrase) if p.strip()]
    if len(parts) < 2:
        return None
    kept = [p for p in parts if not _NEGATED_PART_RE.match(p)]  # "red, not blue"
    if all(len(p.split()) <= 3 for p in parts):
        items = {_item(p, syn) for p in kept}
    elif len(kept) > 1 and kept[0] is parts[0] and all(_short_item(p, syn) for p in kept[1:]):
        items = {_tail_item(kept[0], syn)} | {normalize_phrase(p, prepared=syn) for p in kept[1:]}
    else:
        return None
    items.discard("")
    if competes is not None:
        items = {i for i in items if competes(i)}
    if len(items) > 1:
        return ParseResult.fail(f"the reply lists several answers ({', '.join(sorted(items))})")
    if len(kept) < len(parts) and kept:
        return ParseResult(value=kept[0])  # re-read without the denied parts
    return None
