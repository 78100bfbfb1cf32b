"""Points drawn on an image as labelled marks, as BLINK (relative depth, correspondence) and
pointing data sets show them: a circle around the point, a dot on it, and its label ("A", "B")
beside it, so that a question can say "Which point is closer to the camera: A or B?".

A sample asks about marks when its generator runs with ``marks: true`` (depth.map_points.v1,
depth.points.v1, the segmentation point generators). Its image entry then carries them::

    images[0]["marks"] = [{"label": "A", "point": [x, y]}, {"label": "B", "point": [x, y]}]

`point` is in pixels of the image as shown (upright: the scene graph's pixels), the very values
of the program's `marked_point` nodes (`program_marks`); the point lies on pixel (floor(x),
floor(y)), where the mark is centred. Every command that hands the image to a model or a person
draws them (`veriscene.scene.mark_drawing`): eval's requests, the RL environment, the viewer,
exports (embedded images, and marked copies of the files for exports by path). `verify` checks
that they are the program's (`marks_disagree`).

A mark covers the pixels around its point (`mark_reach`: its ring's outer edge, 2.5 % of the
shorter image side, 8 px or more), so the generators ask only about points whose marks keep clear
of each other (`marks_apart`): two marks that overlap hide what lies under the points and leave
it unclear which dot a label names.

This module reads and checks marks (no image library: generators and verify import it).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

LABELS = "ABCDEFGH"  # labels in the order a question lists its points
RING_SHARE = 0.025  # a mark's ring radius: this share of the image's shorter side ...
MIN_RING = 6  # ... and this many pixels or more

Mark = dict[str, Any]  # {"label": "A", "point": [x, y]} (pixels, as shown)


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


def marks_apart(points: Sequence[Sequence[float]], width: int, height: int) -> bool:
    """Whether marks drawn at `points` (pixels, as shown) on an image of this size keep clear of
    each other: the pixels they are centred on (floor(x), floor(y)) more than two reaches apart
    (`mark_reach`), so no ring touches another."""
    clear = 2 * mark_reach(width, height)
    centres = [(math.floor(p[0]), math.floor(p[1])) for p in points]
    return all(math.dist(c, d) > clear for k, c in enumerate(centres) for d in centres[k + 1:])


def marks_of(image: Any, where: str = "image") -> list[Mark] | None:
    """The marks of a sample's image entry (None when it has none), checked: a list of
    {"label": non-empty text, "point": [x, y] finite, >= 0}. ValueError naming `where` (e.g.
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
    return list(marks)


def record_marks(record: Mapping[str, Any], k: int) -> list[Mark] | None:
    """The checked marks of image `k` of a sample record (None: none)."""
    images = record.get("images")
    if not isinstance(images, list) or k >= len(images):
        return None
    return marks_of(images[k], f"sample {record.get('id', '?')}: images[{k}]")


def program_marks(program: Any) -> list[Mark]:
    """The marks a program asks about: its `marked_point` nodes' (label, x, y), in order."""
    if not isinstance(program, list):
        return []
    return [{"label": n["args"][0], "point": [float(n["args"][1]), float(n["args"][2])]}
            for n in program if isinstance(n, Mapping) and n.get("op") == "marked_point"
            and isinstance(n.get("args"), list) and len(n["args"]) == 3]


def marks_disagree(record: Mapping[str, Any]) -> str | None:
    """Why a sample's drawn marks do not show its program's marked points (None when they agree):
    image 0's marks must be the program's `marked_point` nodes, the same labels at the same
    points (0.01 px), in the same order; no other image is marked (programs mark image 0)."""
    try:
        drawn = record_marks(record, 0)
        others = [k for k in range(1, len(record.get("images") or ())) if record_marks(record, k)]
    except ValueError as exc:
        return str(exc)
    asked = program_marks(record.get("program"))
    if others:
        return f"images{others} carry marks: only image 0's points are asked about"
    if not drawn and not asked:
        return None
    if not drawn:
        return f"the program asks about marked points {_said(asked)}, but images[0] carries no marks"
    if not asked:
        return f"images[0] carries marks {_said(drawn)}, but the program asks about no marked point"
    same = len(drawn) == len(asked) and all(
        d["label"] == a["label"] and all(abs(float(u) - v) <= 0.01 for u, v in zip(d["point"], a["point"]))
        for d, a in zip(drawn, asked))
    return None if same else f"images[0].marks {_said(drawn)} differ from the program's marked points {_said(asked)}"


def _said(marks: Sequence[Mark]) -> str:
    return ", ".join(f"{m['label']} {list(m['point'])}" for m in marks)
