"""Replies to questions about points drawn on the image as labelled marks (`veriscene.scene.marks`:
"Which point is farther from the camera: A or B?"), read before their labels are read as option
letters (`match.score_sample`).

A label named after "than" (or "compared to", "unlike", "rather than", "instead of") is what the
answer is compared with, not the answer: "A is farther than B." and "Point A is farther from the
camera than point B." pick A, as `image_refs` reads "Image 1 has more stars than Image 3.". And a
label said not to be what the question asks is ruled out: "A is not closer, B is." and "A is not
closer than B." pick B, as "Not A, so B" does (`choice`). Read as letters alone such replies named
two options, and scored 0, though they are the plainest ways to answer. Each is taken only where
the reply says what the question asks (closer, nearer / farther, further / the same object / a
different object): a reply that compares or denies the other way round ("B is closer than A", "A
is not closer, B is" to "which is farther?") is left as it is, naming two options (unread, as
before): reading it would take the reply's meaning, not its words. Without the question (a
record that does not carry it) a reply is read as it is.

A reply may give a point by its coordinates, as a model asked about points often does ("The point
at (312, 140) is closer."): `named_marks` says such a point "point A" when it lies on mark A (within
its drawn reach, in every convention its values fit), so it is read as the label; a point on no
mark, or on two marks read two ways, is left, and a reply naming no label then scores 0 with the
reason. A reply naming both marks, by label or point, still names two options (0).

On a question over several images, each with its own mark ("In which image does the marked point
lie on a dog?": the answer is an image, `labels_as_images`), a reply may name the image or its
mark: "B", "point B", "(B)", "the mark labelled B" are said "Image 2" where B is drawn on Image 2,
then read as the image. A reply naming two marks, or a mark and another image, names two images
and scores 0 ("A or B", "Image 1, point B"). A bare capital "A" is read as a label only where it
cannot be the article: alone, before punctuation or the end, or before "is", "lies", "has". A
point given by its coordinates is read there too, as the mark it lies on, each image's mark at
that image's size ("(419, 50)", "[0.872, 0.140]": `image_points_named`), and an image's number
given with it ("(4, 419, 50)", '{"image": 4, "point": [419, 50]}') as that image.

A model that saw a resized image (`seen`, `seen_sizes`: the `model_image_size` of `eval` and of
the rewards) gives a point in pixels of the image it saw: its pixel reading is scaled back to the
original image's pixels, where the marks are, before it is matched (a point 0-1 or on a 0-1000
scale is the same share of either image, read as before).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any, Mapping, Sequence

from veriscene.answers.coords import BOX_FORMATS, check_image_size, fits_format, to_pixels
from veriscene.scene.marks import LABELS, MIN_RING, mark_reach

# a label compared with: "than B", "than point B", "compared to (B)"
_COMPARED = re.compile(
    r"(?P<lead>\b(?:than|compared\s+(?:to|with)|unlike|rather\s+than|instead\s+of)\s+(?:the\s+)?)"
    r"(?P<label>(?:(?i:point|mark|label)\s+)?[\(\[]?[A-H][\)\]]?)(?![\w'’-])")
# a label denied: "A is not", "point B isn't", "A does not"
_DENIED_LABEL = re.compile(
    r"(?<![\w'’-])(?P<label>(?:(?i:point|mark|label)\s+)?[\(\[]?[A-H][\)\]]?)"
    r"(?P<rest>\s+(?i:is\s+not|isn't|was\s+not|wasn't|does\s+not|doesn't|lies\s+not)\b)")
# what a question asks, and a reply says, of the labelled points
_PREDICATES = {
    "near": re.compile(r"\b(?:closer|nearer|closest|nearest)\b", re.IGNORECASE),
    "far": re.compile(r"\b(?:farther|further|farthest|furthest|more\s+distant)\b", re.IGNORECASE),
    "same": re.compile(r"\bsame\b", re.IGNORECASE),
    "different": re.compile(r"\b(?:different|another)\b", re.IGNORECASE),
}
_DENIED = re.compile(r"\b(?:not|never|no|nor|neither)\b|n't\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.;!?\n,]")
OTHER = "the other one"  # what a label taken out is said as


def _predicate(text: str) -> str | None:
    """What `text` asks or says of a point (a `_PREDICATES` key), when it says one of them alone."""
    said = [key for key, pattern in _PREDICATES.items() if pattern.search(text)]
    return said[0] if len(said) == 1 else None


def _clause_before(reply: str, at: int) -> str:
    return reply[max((c.end() for c in _CLAUSE_END.finditer(reply, 0, at)), default=0):at]


def _clause_after(reply: str, at: int) -> str:
    end = _CLAUSE_END.search(reply, at)
    return reply[at:end.start() if end else len(reply)]


def without_compared_labels(reply: str, question: str | None) -> str:
    """`reply` with each label it compares the answer with, or says is not what `question`
    asks, said "the other one" (module notes)."""
    asked = _predicate(question or "")
    if asked is None:  # (no question, or one asking neither: the reply is read as it is)
        return reply

    def compared(m: re.Match[str]) -> str:
        clause = _clause_before(reply, m.start())
        said = _predicate(clause)
        if _DENIED.search(clause) or (said is not None and said != asked):
            return m.group(0)
        return f"{m.group('lead')}{OTHER}"

    def denied(m: re.Match[str]) -> str:
        if _predicate(_clause_after(reply, m.end())) != asked:
            return m.group(0)
        return f"{OTHER}{m.group('rest')}"

    reply = _COMPARED.sub(compared, reply)
    return _DENIED_LABEL.sub(denied, reply)


# --- a point given by its coordinates, read as the mark drawn there ------------------------------
# "(312, 140)", "[0.49, 0.29]", "x=312, y=140", "(x: 312, y: 140)"
_NUMBER = r"(-?\d+(?:\.\d+)?)"
_COORDS = re.compile(
    rf"[\(\[]\s*(?:x\s*[=:]\s*)?{_NUMBER}\s*[,;]\s*(?:y\s*[=:]\s*)?{_NUMBER}\s*[\)\]]"
    rf"|\bx\s*[=:]\s*{_NUMBER}\s*(?:,|;|and)?\s*y\s*[=:]\s*{_NUMBER}", re.IGNORECASE)
_FORMAT_WORDS = {"pixel": "in pixels", "norm1": "as shares of the image (0-1)", "norm1000": "on a 0-1000 scale"}


def named_marks(reply: str, marks: Sequence[Mapping[str, Any]], image_size: Sequence[int] | None,
                seen: Sequence[int] | None = None) -> tuple[str, str | None]:
    """`reply` with each point it gives by coordinates that lies on one drawn mark said as that
    mark ("point A"), and why the others name none (None when every one names a mark).

    A point names a mark when it lies within the mark's drawn reach (`scene.marks.mark_reach`: its
    ring's outer edge, 8 px or more; 8 px without `image_size`) of the pixel the mark is centred
    on, read in pixels and, with `image_size`, as shares of the image (0-1) and on a 0-1000 scale:
    every reading the values fit (`coords.fits_format`) must name the same mark, else the point is
    left as it is (two readings on two marks: it names neither). Marks lie more than two reaches
    apart (`marks_apart`), so one reading names one mark at most. A point on no mark is left too:
    the reply is then read by its labels alone, and with none it scores 0 with the reason.

    `seen`: the (width, height) of the image the model saw, when it was resized (module notes):
    a point read in pixels is read in that frame (needs `image_size`, else ignored)."""
    size = check_image_size(image_size) if image_size is not None else None
    frame = check_image_size(seen) if seen is not None and size is not None else None
    drawn = [_Drawn(mark, size, seen=frame) for mark in marks]
    problems: list[str] = []

    def named(m: re.Match[str]) -> str:
        given = m.group(0)
        label, problem = _named_by([float(v) for v in m.groups() if v is not None], given, drawn)
        if problem is not None:
            problems.append(problem)
        return f"point {label}" if label is not None else given

    said = _COORDS.sub(named, reply)
    return said, "; ".join(problems) or None


class _Drawn:
    """A drawn mark as a point given by coordinates is matched against it: its label, image (None:
    a single image's), the centre of its pixel, its image's size (None: unknown), drawn reach, and
    the size of the image the model saw, when resized (None: the original; pixels read in it)."""

    __slots__ = ("label", "image", "cx", "cy", "size", "reach", "seen", "scale")

    def __init__(self, mark: Mapping[str, Any], size: tuple[int, int] | None, image: int | None = None,
                 seen: tuple[int, int] | None = None) -> None:
        self.label, self.image, self.size = str(mark["label"]), image, size
        self.seen = seen if seen is not None and size is not None and seen != size else None
        self.scale = (size[0] / seen[0], size[1] / seen[1]) if self.seen is not None and size and seen else (1.0, 1.0)
        self.cx, self.cy = math.floor(float(mark["point"][0])) + 0.5, math.floor(float(mark["point"][1])) + 0.5
        self.reach = mark_reach(*size) if size is not None else MIN_RING + 2


def _named_by(values: Sequence[float], given: str, drawn: Sequence[_Drawn]) -> tuple[str | None, str | None]:
    """(the label of the one mark the point `values` lies on in every reading its values fit, or
    None; why it names none, or None): `named_marks`, each mark read at its own image's size."""
    hits: dict[str, list[str]] = {}  # label -> the readings that put the point on its mark
    for mark in drawn:
        for fmt in BOX_FORMATS:
            resized = fmt == "pixel" and mark.seen is not None  # pixels of the resized image the model saw
            frame = mark.seen if resized else mark.size
            if (fmt != "pixel" and mark.size is None) or not fits_format(values, fmt, frame):
                continue
            x, y = to_pixels(values, fmt, frame)
            if resized:  # seen pixels -> the original image's, where the mark is
                x, y = x * mark.scale[0], y * mark.scale[1]
            if math.hypot(x - mark.cx, y - mark.cy) <= mark.reach:
                hits.setdefault(mark.label, []).append(_FORMAT_WORDS[fmt])
    if len(hits) == 1:
        return next(iter(hits)), None
    if hits:
        return None, f"{given} lies on " + " and on ".join(
            f"mark {label} read {' or '.join(ways)}" for label, ways in hits.items()) + ": it names neither"
    where = ", ".join(f"{mark.label} at ({mark.cx:g}, {mark.cy:g})"
                      + (f" on Image {mark.image + 1}" if mark.image is not None else "") for mark in drawn)
    reaches = sorted({mark.reach for mark in drawn})
    return None, (f"{given} lies on no mark (drawn {' or '.join(map(str, reaches))} px around {where}, "
                  "in pixels)")


# --- a point given by its coordinates over several images, each with its mark -----------------
# "(2, 312, 140)": an image's number (from 1, as the questions count) and a point of it
_IMAGE_POINT = re.compile(
    rf"[\(\[]\s*(?:image\s*)?(?P<image>\d+)\s*[,;:]\s*[\(\[]?\s*(?:x\s*[=:]\s*)?{_NUMBER}\s*[,;]\s*"
    rf"(?:y\s*[=:]\s*)?{_NUMBER}\s*[\)\]]?\s*[\)\]]", re.IGNORECASE)
# '"image": 2', "'image_index': 2", "image=2": an image's number given as a field of its own
_IMAGE_FIELD = re.compile(r"[\"']?\bimage(?:_?(?:index|number|id))?[\"']?\s*[:=]\s*[\"']?(?P<image>\d+)\b[\"']?",
                          re.IGNORECASE)
A_POINT = "a point"  # what a point given by coordinates that names no mark is said as


def image_points_named(reply: str, marks: Sequence[Mapping[str, Any]],
                       image_sizes: Sequence[Sequence[int] | None] | None,
                       seen_sizes: Sequence[Sequence[int] | None] | None = None) -> tuple[str, str | None]:
    """On a question over several images each with its own mark (`labels_as_images`), `reply`
    with each point it gives by coordinates said as the mark it lies on ("(419, 50)" -> "point
    D", then read as the image D is drawn on), and why the others name none (None: every one
    names one). `marks` each carry their ``image`` (0-based; a mark without one is image 0's);
    `image_sizes` the images' (width, height) in image order (`meta["image_sizes"]`), None for
    an unknown one (then read in pixels alone).

    A point names a mark as in `named_marks`, each mark read at its own image's size: the point
    lies within that mark's drawn reach in every reading its values fit, and on one mark only
    (two images' marks may lie at one place of their images: such a point names neither). An
    image's number given with the point, "(4, 419, 50)", "{"image": 4, "point": [419, 50]}", is
    read as "Image 4" beside it, so a point on another image's mark names two images (0). A
    point that names no mark is said "a point": its numbers are not read as image numbers, as
    "Image 2 at (0.5, 0.5)" reads Image 2 and "(419, 50)" alone names no image (0, with the
    reason). Three whole numbers that are all images' numbers and name no mark, "[1, 2, 3]", are
    a list of images, left as they are (several images: 0), not the first image and a point.

    `seen_sizes`: each image's (width, height) as the model saw it, when resized (module notes;
    None, or None for an image: its original size)."""
    count = len(image_sizes) if image_sizes is not None else (
        1 + max(int(mark.get("image", 0)) for mark in marks) if marks else None)
    drawn = []
    for mark in marks:
        k = int(mark.get("image", 0))
        raw = image_sizes[k] if image_sizes is not None and 0 <= k < len(image_sizes) else None
        seen = seen_sizes[k] if seen_sizes is not None and 0 <= k < len(seen_sizes) else None
        drawn.append(_Drawn(mark, check_image_size(raw) if raw is not None else None, k,
                            check_image_size(seen) if seen is not None else None))
    problems: list[str] = []

    def said(values: Sequence[float], given: str) -> str:
        label, problem = _named_by(values, given, drawn)
        if problem is not None:
            problems.append(problem)
        return f"point {label}" if label is not None else A_POINT

    def with_image(m: re.Match[str]) -> str:
        number = int(m.group("image"))
        if number < 1 or (count is not None and number > count):  # (no image's number: read as it is)
            return m.group(0)
        values = [float(m.group(2)), float(m.group(3))]
        if all(_image_number(text, count) for text in (m.group(2), m.group(3))) \
                and _named_by(values, m.group(0), drawn)[0] is None:
            return m.group(0)  # "[1, 2, 3]": images' numbers, each read as its image (several: 0)
        return f"Image {number}, {said(values, m.group(0))}"

    reply = _IMAGE_POINT.sub(with_image, reply)
    reply = _IMAGE_FIELD.sub(lambda m: f"Image {m.group('image')}", reply)
    reply = _COORDS.sub(lambda m: said([float(v) for v in m.groups() if v is not None], m.group(0)), reply)
    return reply, "; ".join(problems) or None


def _image_number(text: str, count: int | None) -> bool:
    """Whether the number `text` (a match of `_NUMBER`) is an image's number, 1 .. `count` (None:
    unknown, any from 1), written whole."""
    return text.isdigit() and 1 <= int(text) and (count is None or int(text) <= count)


# --- a mark's label read as the image it is drawn on (questions over several images) ------------
# words before a label: "point B", "the mark labelled B", "labeled B", "marker (B)"
_LABEL_WORDS = (r"(?i:(?:point|mark|marker|dot|label)(?:\s+(?:labell?ed|marked|named))?"
                r"|labell?ed|marked)\s*[\(\[\"'“‘*]*")
# a bare "A" read as a label: before punctuation, a tag or the end, or a verb or conjunction no
# article stands before ("A.", "<answer>A</answer>", "A is on the dog", "A or B"); "A dog" keeps
# its article
_BARE_A_AFTER = r"(?=\s*(?:$|[.,;:!?)\]/<\"'’”*])|\s+(?i:is|lies|has|was|sits|or|and|nor|vs)\b)"


@lru_cache(maxsize=64)
def _label_pattern(labels: str) -> re.Pattern[str]:
    """The pattern of a label of `labels` (single capitals) named in a reply (`labels_as_images`)."""
    cls, not_a = f"[{labels}]", labels.replace("A", "")
    alternatives = [
        rf"\b{_LABEL_WORDS}(?P<a>{cls})(?![\w'’-])",  # "point B", "the mark labelled (B)"
        rf"[\(\[](?P<b>{cls})[\)\]]",  # "(B)", "[B]"
        rf"\*\*(?P<c>{cls})\*\*",  # "**B**"
        rf"(?<![\w'’.-])(?P<d>{cls}){_BARE_A_AFTER}",  # "B.", "A is on the dog"
    ]
    if not_a:  # any other capital standing alone: "B lies on it", "between B and C"
        alternatives.append(rf"(?<![\w'’.-])(?P<e>[{not_a}])(?![\w'’-])")
    return re.compile("|".join(alternatives))


def labels_as_images(reply: str, images_of: Mapping[str, int]) -> str:
    """`reply` with each mark it names by its label said as the image the mark is drawn on
    (`images_of`: label -> 0-based image index; "B" -> "Image 2"), so that the image reader reads
    it (module notes). Only single capital labels of `scene.marks.LABELS` are read."""
    labels = "".join(sorted(label for label in images_of if len(label) == 1 and label in LABELS))
    if not labels:
        return reply
    return _label_pattern(labels).sub(
        lambda m: f"Image {images_of[next(g for g in m.groups() if g)] + 1}", reply)
