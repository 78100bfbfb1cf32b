"""Reading boxes and points from replies.

Accepted box forms (values in any convention; see `coords`):

    [x0, y0, x1, y1]   (x0, y0, x1, y1)   {x0 y0 x1 y1}   x0, y0, x1, y1   (the whole answer)
    (x0, y0), (x1, y1)   [x0, y0] to [x1, y1]   top-left: (x0, y0), bottom-right: (x1, y1)
    <box>...</box>   <|box_start|>(x0,y0),(x1,y1)<|box_end|>   (Qwen-VL)
    {"x1": .., "y1": .., "x2": .., "y2": ..}   xmin=.., ymin=.., xmax=.., ymax=..

Points: [x, y], (x, y), <point>x, y</point>, <point x=".." y="..">, x=.., y=.., or "x, y";
Molmo's ``<points x1=".." y1=".." x2=".." y2="..">`` gives one point per index. Point tags
hold percentages of the image (Molmo's convention) unless every value is at most 1 (fractions)
or one is above 100 (then the sample's convention when they fit it, else pixels).
The values are read in the stated `box_format` when they fit it; otherwise (with auto-detection)
in the only other convention they fit (e.g. 0-1 floats when pixels were asked for), or in pixels
when pixels and 0-1000 both fit and the reply uses Qwen2.5-VL's "bbox_2d" / "point_2d" keys, or
in 0-1000 when it uses Qwen2-VL's ``<|box_start|>`` tokens or a ``<box>`` tag (InternVL's
``<box>[[x0, y0, x1, y1]]</box>``), those models' own conventions. Boxes with
inverted corners are reordered; everything is clipped to the image. Several different boxes
(points) in one reply are a parse failure, and so is a marked box (point) next to another one
the reply marks or offers (`extract.correction_after_focus`: "\\boxed{[..]} \\boxed{[..]}",
"[..] (or maybe [..])"). A point named after "than" / "compared to" is what the answer is
compared with: "[0.12, 0.70] is farther than [0.20, 0.63]" gives [0.12, 0.70]. So is a point
the question shows apart from its options, echoed on its own: "The point [0.83, 0.44] is on a
circle, and [0.48, 0.83] is on another object." gives [0.48, 0.83] (`question_references`).
A box or point after "not" is denied: "[0.12, 0.70], not [0.20, 0.63]" gives [0.12, 0.70],
"Not [0.12, 0.70]." fails (`without_denied`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from veriscene.answers.coords import fits_format, resolve_format, to_pixels
from veriscene.answers.extract import Reply, correction_after_focus, offered_alternatives
from veriscene.answers.result import ParseResult

_N = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_SEP = r"\s*[,;\s]\s*"
_PAIR = rf"[\(\[]\s*{_N}{_SEP}{_N}\s*[\)\]]"

_BOX_PATTERNS = [
    re.compile(rf"<\|box_start\|>\s*{_PAIR}\s*,?\s*{_PAIR}\s*<\|box_end\|>"),
    re.compile(rf"<box>\s*[\(\[\{{]?\s*{_N}{_SEP}{_N}\s*[\)\]]?\s*,?\s*[\(\[]?\s*{_N}{_SEP}{_N}\s*[\)\]\}}]?\s*</box>",
               re.IGNORECASE),
    # corners labelled: "Top-left: (x0, y0), bottom-right: (x1, y1)", "the top-left corner is at
    # (x0, y0) and the bottom-right corner is at (x1, y1)"
    re.compile(rf"\b(?:top|upper)[\s-]*left\b[^\[\(\d]{{0,40}}?{_PAIR}[^\[\(\d]{{0,60}}?"
               rf"\b(?:bottom|lower)[\s-]*right\b[^\[\(\d]{{0,40}}?{_PAIR}", re.IGNORECASE),
    re.compile(rf"{_PAIR}\s*(?:,|and|to|-|–)?\s*{_PAIR}", re.IGNORECASE),
    re.compile(rf"[\(\[\{{]\s*{_N}{_SEP}{_N}{_SEP}{_N}{_SEP}{_N}\s*[\)\]\}}]"),
]
# The box forms a point reply may hold by mistake (all but two bare pairs, which are two points).
_BOX_IN_POINT_PATTERNS = [_BOX_PATTERNS[k] for k in (0, 1, 2, 4)]
_POINT_PATTERNS = [
    re.compile(rf"<point>\s*[\(\[]?\s*{_N}{_SEP}{_N}\s*[\)\]]?\s*</point>", re.IGNORECASE),
    re.compile(rf"\[\s*{_N}{_SEP}{_N}\s*\]|\(\s*{_N}{_SEP}{_N}\s*\)"),
]
# Molmo: <point x=".." y=".."> and <points x1=".." y1=".." x2=".." y2=".." ...>.
_POINT_TAG_RE = re.compile(r"<points?\b([^>]*=[^>]*)>", re.IGNORECASE)
_TAG_COORD_RE = re.compile(rf"\b([xy])(\d*)\s*=\s*[\"']?{_N}", re.IGNORECASE)
_KEYED_RE = re.compile(rf"[\"']?\b(x_?min|y_?min|x_?max|y_?max|[xy][012]|x|y)\b[\"']?\s*[:=]\s*[\"']?{_N}",
                       re.IGNORECASE)
_KEY_ORDERS = [("xmin", "ymin", "xmax", "ymax"), ("x1", "y1", "x2", "y2"), ("x0", "y0", "x1", "y1")]
_BARE_RE = re.compile(rf"^\s*{_N}(?:{_SEP}{_N})*\s*$")


def _numbers(match: re.Match[str]) -> list[float]:
    return [float(g) for g in match.groups() if g is not None]


def _scan(text: str, patterns: Sequence[re.Pattern[str]]) -> tuple[list[list[float]], str]:
    """Values of every pattern match, in priority order; matched spans are blanked out so that
    a lower-priority pattern does not read the same numbers again."""
    found: list[list[float]] = []
    for pattern in patterns:
        def take(m: re.Match[str]) -> str:
            found.append(_numbers(m))
            return " " * len(m.group(0))
        text = pattern.sub(take, text)
    return found, text


def _tag_points(text: str) -> tuple[list[list[float]], str]:
    """Points of Molmo point tags (one per attribute index: x1/y1, x2/y2, ...), and the text
    with the tags blanked out."""
    found: list[list[float]] = []

    def take(m: re.Match[str]) -> str:
        coords: dict[str, dict[str, float]] = {}
        for c in _TAG_COORD_RE.finditer(m.group(1)):
            coords.setdefault(c.group(2) or "1", {}).setdefault(c.group(1).lower(), float(c.group(3)))
        points = [[xy["x"], xy["y"]] for xy in coords.values() if "x" in xy and "y" in xy]
        # Molmo writes percentages of the image: read as fractions (values up to 1 are fractions already)
        percent = any(v > 1 for p in points for v in p) and all(0 <= v <= 100 for p in points for v in p)
        found.extend([[v / 100 for v in p] for p in points] if percent else points)
        return " " * len(m.group(0))

    return found, _POINT_TAG_RE.sub(take, text)


def _keyed(text: str) -> dict[str, float]:
    return {m.group(1).lower().replace("_", ""): float(m.group(2)) for m in _KEYED_RE.finditer(text)}


def _distinct(values: list[list[float]]) -> list[list[float]]:
    out: list[list[float]] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def find_boxes(text: str) -> list[list[float]]:
    """Distinct 4-value boxes written in `text` (raw values, any convention)."""
    found, rest = _scan(text, _BOX_PATTERNS)
    keys = _keyed(rest)
    for order in _KEY_ORDERS:
        if all(k in keys for k in order):
            found.append([keys[k] for k in order])
            break
    if not found:
        bare = _BARE_RE.match(text.strip().strip(".").strip())
        nums = re.findall(_N, text) if bare else []
        if len(nums) == 4:
            found.append([float(v) for v in nums])
    return _distinct(found)


def find_points(text: str) -> tuple[list[list[float]], bool]:
    """Distinct [x, y] points in `text`, and whether a box was written instead."""
    boxes, rest = _scan(text, _BOX_IN_POINT_PATTERNS)
    tagged, rest = _tag_points(rest)
    found, rest = _scan(rest, _POINT_PATTERNS)
    found = tagged + found
    keys = _keyed(rest)
    if "x" in keys and "y" in keys:
        found.append([keys["x"], keys["y"]])
    if not found and not boxes:
        bare = _BARE_RE.match(text.strip().strip(".").strip())
        nums = re.findall(_N, text) if bare else []
        if len(nums) == 2:
            found.append([float(v) for v in nums])
    return _distinct(found), bool(boxes)


# A point named to compare with: "[0.12, 0.70] is farther from the camera than [0.20, 0.63]".
_COMPARED_POINT_RE = re.compile(
    r"(\b(?:than|compared\s+(?:to|with)|unlike)\s+(?:(?:the\s+)?point\s+)?)(\[[^\[\]]*\]|\([^()]*\))",
    re.IGNORECASE)


def without_compared(text: str) -> str:
    """`text` without the points named after "than" / "compared to": they are what the answer
    is compared with, not the answer."""
    return _COMPARED_POINT_RE.sub(lambda m: m.group(1) + " " * len(m.group(2)), text)


# A box or point denied: "Not [0.1, 0.2].", "It is not [..], it is [..].", "[..], not [..]",
# "rather than the point (..)".
_DENIED_PLACE_RE = re.compile(
    r"((?:\bnot|n['’]t|\bnever|\brather\s+than|\binstead\s+of)\s+(?:(?:the\s+)?(?:box|point)\s+)?(?:at\s+)?)"
    r"(\[[^\[\]]*\]|\([^()]*\))", re.IGNORECASE)


def without_denied(text: str) -> str:
    """`text` without the boxes and points it denies ("It is not [..], it is [..]")."""
    return _DENIED_PLACE_RE.sub(lambda m: m.group(1) + " " * len(m.group(2)), text)


_WRITTEN_POINT_RE = _POINT_PATTERNS[1]
# Between two points offered together: "[a] or [b]", "[a], [b]", "both [a] and [b]".
_JOINED_POINTS_RE = re.compile(r"^[\s,;/]*(?:(?:or|and|nor|vs\.?|versus|maybe|perhaps|possibly|either|both)\b[\s,;/]*)*$",
                               re.IGNORECASE)


def _stand_alone(text: str, found: list[re.Match[str]]) -> list[re.Match[str]]:
    """The written points of `found` (matches in `text`, in order) not joined to a neighbour
    as alternatives ("[a] or [b]" joins both)."""
    def joined(a: re.Match[str], b: re.Match[str]) -> bool:
        return _JOINED_POINTS_RE.match(text[a.end():b.start()]) is not None
    return [m for k, m in enumerate(found)
            if not (k > 0 and joined(found[k - 1], m)) and not (k + 1 < len(found) and joined(m, found[k + 1]))]


def question_references(question: str | None) -> list[list[float]]:
    """The points a question shows apart from its options, as written: "The point [0.83, 0.44]
    is on an object. Which point is on another object: [0.48, 0.83] or [0.89, 0.49]?" ->
    [[0.83, 0.44]] (options are the points joined by "or" / "and" / commas)."""
    if not question:
        return []
    return [_numbers(m) for m in _stand_alone(question, list(_WRITTEN_POINT_RE.finditer(question)))]


def without_references(text: str, references: Sequence[Sequence[float]]) -> str:
    """`text` without the question's reference points it echoes on their own ("The point
    [0.83, 0.44] is on a circle, and [0.48, 0.83] is on another object."); a reference offered
    with another point ("[0.83, 0.44] or [0.48, 0.83]") or as an alternative ("[0.48, 0.83]
    (possibly [0.83, 0.44])", `extract.offered_alternatives`) stays, and the reply fails."""
    refs = [list(r) for r in references]
    offered = [clause for _, clause in offered_alternatives(text)]
    for m in _stand_alone(text, list(_WRITTEN_POINT_RE.finditer(text))):
        if _numbers(m) in refs and not any(m.group(0) in clause for clause in offered):
            text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
    return text


# Qwen2.5-VL's JSON grounding keys: absolute pixels.
_PIXEL_KEYS_RE = re.compile(r"[\"']?\b(?:bbox_2d|point_2d)\b[\"']?\s*:")
# Qwen-VL / Qwen2-VL box tokens and InternVL's <box>[[...]]</box>: 0-1000 of the image.
_NORM1000_MARKS_RE = re.compile(r"<\|box_start\|>|<box>", re.IGNORECASE)


def _tag_in_pixels(text: str) -> bool:
    """Whether a point tag holds a value above 100: no percentage, so pixels."""
    return any(float(c.group(3)) > 100 for m in _POINT_TAG_RE.finditer(text) for c in _TAG_COORD_RE.finditer(m.group(1)))


def _resolve(values: list[float], box_format: str, image_size: tuple[int, int] | None, auto_detect: bool,
             text: str) -> str | None:
    """The convention of `values` (`coords.resolve_format`); a point tag that cannot hold
    percentages is in the sample's convention when the values fit it, else in pixels."""
    if _tag_in_pixels(text):
        if fits_format(values, box_format, image_size):
            return box_format
        return "pixel" if auto_detect and fits_format(values, "pixel", image_size) else None
    prefer = "pixel" if _PIXEL_KEYS_RE.search(text) else "norm1000" if _NORM1000_MARKS_RE.search(text) else None
    return resolve_format(values, box_format, image_size, auto_detect, prefer)


def _to_pixels(values: list[float], box_format: str, image_size: tuple[int, int] | None,
               auto_detect: bool, text: str = "") -> ParseResult:
    fmt = _resolve(values, box_format, image_size, auto_detect, text)
    if fmt is None:
        size = f" (image {image_size[0]}x{image_size[1]})" if image_size else ""
        return ParseResult.fail(
            f"coordinates {values} do not fit box_format {box_format!r}{size}"
            + (" and no other convention fits them unambiguously" if auto_detect else ""))
    return ParseResult(value=[round(v, 3) for v in to_pixels(values, fmt, image_size)])


def _revised(reply: Reply, value: list[float], find: Callable[[str], list[list[float]]],
             what: str) -> ParseResult | None:
    """A failure when the reply marks or offers another box (point) besides the marked one."""
    found = correction_after_focus(reply)
    if found is None:
        return None
    others = [v for v in find(found[1]) if v != value]
    return ParseResult.fail(f"the reply offers another {what} besides its marked one ({found[0]!r})") if others else None


def parse_box(reply: Reply, *, box_format: str, image_size: tuple[int, int] | None,
              auto_detect: bool = True) -> ParseResult:
    """A box in absolute pixels [x0, y0, x1, y1]; see the module docstring for accepted forms."""
    marked = reply.marked or reply.focus  # "0.1, 0.2, 0.5, 0.6" whole, not cut as a list of numbers
    for text in ([marked] if marked else []) + [reply.body]:
        boxes = find_boxes(without_denied(text))
        if not boxes and find_boxes(text):
            return ParseResult.fail("the reply names only a box it denies")
        if len(boxes) > 1:
            return ParseResult.fail(f"several different boxes in the reply: {boxes[:4]}")
        if boxes:
            revised = _revised(reply, boxes[0], find_boxes, "box") if text is marked else None
            return revised or _to_pixels(boxes[0], box_format, image_size, auto_detect, text)
    return ParseResult.fail("no box [x0, y0, x1, y1] found in the reply")


def parse_point(reply: Reply, *, box_format: str, image_size: tuple[int, int] | None,
                auto_detect: bool = True, question: str | None = None) -> ParseResult:
    """A point in absolute pixels [x, y]; see the module docstring for accepted forms. The
    `question`'s reference points (`question_references`) echoed beside another point do not count."""
    marked = reply.marked or reply.focus
    references = question_references(question)
    for text in ([marked] if marked else []) + [reply.body]:
        kept = without_denied(without_compared(text))
        points, saw_box = find_points(kept)
        if len(points) > 1 and references:
            fewer = find_points(without_references(kept, references))[0]
            points = fewer or points
        if not points and not saw_box and find_points(text)[0]:
            return ParseResult.fail("the reply names only points it denies or compares the answer with")
        if len(points) > 1:
            return ParseResult.fail(f"several different points in the reply: {points[:4]}")
        if points:
            revised = _revised(reply, points[0], lambda t: find_points(t)[0], "point") if text is marked else None
            return revised or _to_pixels(points[0], box_format, image_size, auto_detect, text)
        if saw_box:
            return ParseResult.fail("expected a point [x, y] but the reply gives a box")
    return ParseResult.fail("no point [x, y] found in the reply")
