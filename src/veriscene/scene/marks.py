"""Points drawn on an image as labelled marks, as BLINK (relative depth, correspondence) and
pointing data sets show them: a circle around the point, a dot on it, and its label ("A", "B")
beside it, so that a question can say "Which point is closer to the camera: A or B?".

A sample asks about marks when its generator runs with ``marks: true`` (depth.map_points.v1,
depth.points.v1, the segmentation point generators). Its image entry then carries them::

    images[0]["marks"] = [{"label": "A", "point": [x, y], "label_at": "up left"},
                          {"label": "B", "point": [x, y], "label_at": "up right"}]

`point` is in pixels of the image as shown (upright: the scene graph's pixels), the very values
of the program's `marked_point` nodes (`program_marks`); the point lies on pixel (floor(x),
floor(y)), where the mark is centred. `label_at` (optional: single-image point generators write
it) is the corner of the ring where the label is drawn (`LABEL_CORNERS`, `label_box`); the
program does not hold it, and `verify` does not compare it. Every command that hands the image to a model or a person
draws them (`veriscene.scene.mark_drawing`): eval's requests, the RL environment, the viewer,
exports (embedded images, and marked copies of the files for exports by path). `verify` checks
that they are the program's (`marks_disagree`).

A mark covers the pixels around its point (`mark_reach`: its ring's outer edge, 2.5 % of the
shorter image side, 8 px or more), so the generators ask only about points whose marks keep clear
of each other (`marks_apart`): two marks that overlap hide what lies under the points and leave
it unclear which dot a label names.

A sample of several images may mark each of them (``marks: true`` on multi.marked_point.v1:
"In which image does the marked point lie on a dog?"): images[k]["marks"] holds image k's, the
labels distinct across the sample ("A" on Image 1, "B" on Image 2, ...), and its program holds
each as an `image_marked_point` node (image, label, x, y). Ground truth (TRL, verl) lists a
sample's marks in one list, each with its ``image`` index when the sample marks an image other
than the first (`sample_marks`); a mark without one is image 0's, as ground truth written before
multi-image marks holds them.

A mark is drawn only on an object it leaves seen (`fits_mark`): one whose box's shorter side is
`MIN_SIDE_REACHES` reaches or more (4: 44 px on a 480x360 image), as a ring over a smaller one
covers most of it and leaves the shape the question asks about unseen. A generator that places a
mark's point also chooses where its label goes (``"label_at"``: one of `LABEL_CORNERS`, the square
`label_box` beside the ring), where it hides no other mark and as little of what the question is
about as it can (`generators.regions.label_corners`); a mark without one is labelled at the first
corner clear of the other marks, as before.

This module reads and checks marks (no image library: generators and verify import it).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

LABELS = "ABCDEFGH"  # labels in the order a question lists its points
RING_SHARE = 0.025  # a mark's ring radius: this share of the image's shorter side ...
MIN_RING = 6  # ... and this many pixels or more

MIN_SIDE_REACHES = 4.0  # a marked object's box: its shorter side this many reaches or more (`fits_mark`)
# where a mark's label box lies beside its ring, in the order tried when a mark names none
LABEL_CORNERS = ("up right", "up left", "down right", "down left")

Mark = dict[str, Any]  # {"label": "A", "point": [x, y]} (pixels, as shown), optionally "label_at"


def labelled(points: Sequence[Sequence[float]]) -> list[Mark]:
    """Marks for points in the order a question lists them: "A" for the first, "B", ..."""
    if len(points) > len(LABELS):
        raise ValueError(f"at most {len(LABELS)} marked points, got {len(points)}")
    return [{"label": LABELS[k], "point": [float(p[0]), float(p[1])]} for k, p in enumerate(points)]


def mark_sizes(width: int, height: int) -> tuple[int, int, int, int]:
    """(ring radius, ring width, dot radius, label font size) in pixels of the marks drawn on an
    image of this size (`scene.mark_drawing.draw_marks`)."""
    ring = max(MIN_RING, round(RING_SHARE * min(width, height)))
    return ring, max(2, ring // 4), max(2, ring // 3), max(12, round(ring * 2))


def mark_reach(width: int, height: int) -> int:
    """How far a mark drawn on an image of this size reaches from its point's pixel: the outer
    edge of its ring (the ring's radius and its 2 px edge), in pixels."""
    return mark_sizes(width, height)[0] + 2


def fits_mark(box: Sequence[float], width: int, height: int, min_side_reaches: float = MIN_SIDE_REACHES) -> bool:
    """Whether an object of this box (x0, y0, x1, y1 pixels) may carry a mark drawn on an image of
    this size: its shorter side is `min_side_reaches` reaches (`mark_reach`) or more. On a smaller
    one the ring (two reaches across) and its label hide most of the object, and which shape lies
    under the point could not be seen (multi.marked_point and the single-image point generators)."""
    return min(box[2] - box[0], box[3] - box[1]) >= min_side_reaches * mark_reach(width, height)


def label_side(width: int, height: int) -> int:
    """The side in pixels of the square box a mark's label is drawn in on an image of this size:
    one capital letter of the label font (`mark_sizes`: Pillow's font, its glyphs "A" to "H" at
    most 3/4 of its size high and wide) and its padding on each side."""
    size = mark_sizes(width, height)[3]
    return math.ceil(0.75 * size) + 2 * label_pad(size)


def label_pad(size: int) -> int:
    """The padding around a label of this font size, in pixels."""
    return max(2, size // 5)


def label_box(point: Sequence[float], corner: str, width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), x1 and y1 exclusive, of the label box of a mark at `point` (pixels) put at
    `corner` (one of `LABEL_CORNERS`) of its ring, on an image of this size; it may reach outside
    the image (`inside_image`). ValueError for another corner."""
    if corner not in LABEL_CORNERS:
        raise ValueError(f"label_at must be one of {list(LABEL_CORNERS)}, got {corner!r}")
    return label_boxes(point, width, height)[LABEL_CORNERS.index(corner)]


def label_boxes(point: Sequence[float], width: int, height: int) -> list[tuple[int, int, int, int]]:
    """`label_box` at each of `LABEL_CORNERS`, in that order."""
    cx, cy = math.floor(point[0]), math.floor(point[1])
    reach, side = mark_reach(width, height), label_side(width, height)
    left, right, up, down = cx - reach - side, cx + reach, cy - reach - side, cy + reach
    return [(x, y, x + side, y + side) for x, y in ((right, up), (left, up), (right, down), (left, down))]


def inside_image(box: Sequence[int], width: int, height: int) -> bool:
    """Whether a box (x0, y0, x1, y1; x1, y1 exclusive) lies inside an image of this size."""
    return box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height


def ring_box(point: Sequence[float], width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), exclusive, of the square a mark's ring at `point` covers."""
    cx, cy, reach = math.floor(point[0]), math.floor(point[1]), mark_reach(width, height)
    return cx - reach, cy - reach, cx + reach + 1, cy + reach + 1


def boxes_meet(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether two boxes (x0, y0, x1, y1; exclusive ends) share a pixel."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def marks_apart(points: Sequence[Sequence[float]], width: int, height: int) -> bool:
    """Whether marks drawn at `points` (pixels, as shown) on an image of this size keep clear of
    each other: the pixels they are centred on (floor(x), floor(y)) more than two reaches apart
    (`mark_reach`), so no ring touches another."""
    clear = 2 * mark_reach(width, height)
    centres = [(math.floor(p[0]), math.floor(p[1])) for p in points]
    return all(math.dist(c, d) > clear for k, c in enumerate(centres) for d in centres[k + 1:])


def marks_of(image: Any, where: str = "image") -> list[Mark] | None:
    """The marks of a sample's image entry (None when it has none), checked: a list of
    {"label": non-empty text, "point": [x, y] finite, >= 0}, each with an optional "label_at"
    (one of `LABEL_CORNERS`) and an optional "image"
    (a whole number >= 0: ground truth's, `sample_marks`). ValueError naming `where` (e.g.
    "sample 3f2a...: images[0]") and the bad entry."""
    if not isinstance(image, Mapping) or image.get("marks") is None:
        return None
    marks = image["marks"]
    if not isinstance(marks, list):
        raise ValueError(f"{where}.marks must be a list of {{label, point}}, got {marks!r}"[:300])
    for k, mark in enumerate(marks):
        label = mark.get("label") if isinstance(mark, Mapping) else None
        p = mark.get("point") if isinstance(mark, Mapping) else None
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"{where}.marks[{k}].label must be non-empty text, got {label!r}"[:300])
        if not (isinstance(p, (list, tuple)) and len(p) == 2 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0 for v in p)):
            raise ValueError(f"{where}.marks[{k}].point must be [x, y] in pixels (finite, >= 0), got {p!r}"[:300])
        corner = mark.get("label_at", LABEL_CORNERS[0])
        if corner not in LABEL_CORNERS:
            raise ValueError(f"{where}.marks[{k}].label_at must be one of {list(LABEL_CORNERS)}, got {corner!r}"[:300])
        image_k = mark.get("image", 0)
        if not isinstance(image_k, int) or isinstance(image_k, bool) or image_k < 0:
            raise ValueError(f"{where}.marks[{k}].image must be an image index (0, 1, ...), got {image_k!r}"[:300])
    return list(marks)


def record_marks(record: Mapping[str, Any], k: int) -> list[Mark] | None:
    """The checked marks of image `k` of a sample record (None: none)."""
    images = record.get("images")
    if not isinstance(images, list) or k >= len(images):
        return None
    return marks_of(images[k], f"sample {record.get('id', '?')}: images[{k}]")


def sample_marks(record: Mapping[str, Any]) -> list[Mark] | None:
    """A sample's marks in one list, as ground truth holds them (None: none): image 0's as they
    are when no other image is marked (ground truth as written before multi-image marks), else
    every image's in image order, each with its ``image`` index. ValueError as `marks_of`."""
    images = record.get("images")
    if not isinstance(images, list):
        return None
    per_image = [record_marks(record, k) or [] for k in range(len(images))]
    if not any(per_image[1:]):
        return per_image[0] if per_image and per_image[0] else None
    return [{**mark, "image": k} for k, marks in enumerate(per_image) for mark in marks]


def marks_by_image(marks: Sequence[Mapping[str, Any]]) -> dict[int, list[Mark]]:
    """Marks of one list (`sample_marks`, ground truth's) by image index (a mark without one is
    image 0's), each without its ``image`` key, as images[k]["marks"] holds them."""
    found: dict[int, list[Mark]] = {}
    for mark in marks:
        found.setdefault(int(mark.get("image", 0)), []).append(
            {key: value for key, value in mark.items() if key != "image"})
    return found


def label_images(marks: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """label -> the index of the image it is drawn on, of marks in one list (`sample_marks`)."""
    return {str(mark["label"]): int(mark.get("image", 0)) for mark in marks}


# a program node of a marked point: op -> (image of the mark: its arg index or None for image 0,
# the arg index of its label)
_MARK_NODES = {"marked_point": (None, 0), "image_marked_point": (0, 1)}


def program_marks(program: Any, image: int | None = 0) -> list[Mark]:
    """The marks a program asks about on image `image` (None: on every image, each with its
    ``image`` index): its `marked_point` nodes' (label, x, y), which mark image 0, and its
    `image_marked_point` nodes' (image, label, x, y), in order."""
    if not isinstance(program, list):
        return []
    found: list[Mark] = []
    for n in program:
        shape = _MARK_NODES.get(n.get("op")) if isinstance(n, Mapping) else None  # type: ignore[arg-type]
        args = n.get("args") if shape is not None else None
        if shape is None or not isinstance(args, list) or len(args) != 3 + (shape[0] is not None):
            continue
        at, first = shape
        k = 0 if at is None else args[at]
        if image is not None and k != image:
            continue
        mark: Mark = {"label": args[first], "point": [float(args[first + 1]), float(args[first + 2])]}
        found.append(mark if image is not None else {**mark, "image": k})
    return found


def marks_disagree(record: Mapping[str, Any]) -> str | None:
    """Why a sample's drawn marks do not show its program's marked points (None when they agree):
    each image's marks must be the program's marked points on it (`program_marks`), the same
    labels at the same points (0.01 px), in the same order; and no label is drawn twice."""
    images = record.get("images")
    try:
        drawn = [record_marks(record, k) or [] for k in range(len(images) if isinstance(images, list) else 0)]
    except ValueError as exc:
        return str(exc)
    program = record.get("program")
    asked_any = program_marks(program, None)
    labels = [m["label"] for marks in drawn for m in marks]
    if len(set(labels)) != len(labels):
        return f"the images' marks repeat a label: {labels}"
    for k in sorted({*range(len(drawn)), *(int(m["image"]) for m in asked_any)}):
        problem = _image_marks_disagree(k, drawn[k] if k < len(drawn) else [], program_marks(program, k))
        if problem is not None:
            return problem
    return None


def _image_marks_disagree(k: int, drawn: Sequence[Mark], asked: Sequence[Mark]) -> str | None:
    """Why image k's drawn marks are not the program's marked points on it (None: they are)."""
    if not drawn and not asked:
        return None
    if not drawn:
        return f"the program asks about marked points {_said(asked)}, but images[{k}] carries no marks"
    if not asked:
        return f"images[{k}] carries marks {_said(drawn)}, but the program asks about no marked point on it"
    same = len(drawn) == len(asked) and all(
        d["label"] == a["label"] and all(abs(float(u) - v) <= 0.01 for u, v in zip(d["point"], a["point"]))
        for d, a in zip(drawn, asked))
    return None if same else (f"images[{k}].marks {_said(drawn)} differ from the program's marked points "
                              f"{_said(asked)}")


def _said(marks: Sequence[Mark]) -> str:
    return ", ".join(f"{m['label']} {list(m['point'])}" for m in marks)
