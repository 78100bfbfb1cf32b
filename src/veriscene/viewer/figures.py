"""Figures of the viewer: an SVG of one image in its pixel coordinates, with the scene's boxes,
mask overlays, the answer's box or point, and relations drawn as arrows.

Re-exported by `veriscene.viewer.pages`.
"""

from __future__ import annotations

from typing import Any, Sequence

from veriscene.answers.coords import format_box, format_point, to_pixels
from veriscene.scene.mark_drawing import EDGE_COLOUR, MARK_COLOUR, TEXT_COLOUR, mark_layout
from veriscene.scene.marks import Mark, label_pad, mark_sizes, program_marks, record_marks
from veriscene.scene.model import Scene
from veriscene.viewer.markup import Links, colour, esc


def figure(scene: Scene | None, image_id: str, links: Links, *, image_index: int = 0,
           highlight: Sequence[int] = (), label_all: bool = False,
           answer: tuple[str, Sequence[float]] | None = None,
           prediction: tuple[str, Sequence[float]] | None = None,
           relations: Sequence[tuple[int, str, int]] = (), marks: str = "") -> str:
    """An SVG of one image in its pixel coordinates: the image (or a grey canvas), the mask
    overlay of the highlighted objects (all objects with `label_all`), every box (highlighted ones
    in colour and labelled), the answer's box or point, and the `relations` as arrows from the
    subject's box to the object's, hidden until their row is hovered or all are asked for; `marks`,
    SVG drawn under the answer (`question_marks`)."""
    if scene is None:
        return f"<p class='bad'>No scene graph for image {esc(image_id)}.</p>"
    w, h = scene.width, scene.height
    # labels about 1/40 of the image's larger side: readable whatever the image's size
    parts = [f"<svg class='fig' viewBox='0 0 {w} {h}' width='{w}' height='{h}' font-size='{max(w, h) / 40:.1f}' "
             f"xmlns='http://www.w3.org/2000/svg'><title>{esc(image_id)}</title>"]
    href = links.image(image_id)
    if href is not None:
        parts.append(_picture(href, w, h))
    else:
        parts.append(f"<rect x='0' y='0' width='{w}' height='{h}' fill='#9e9e9e'/>"
                     f"<text x='8' y='20'>no image file for {esc(image_id)}</text>")
    shown = list(range(len(scene))) if label_all else sorted(set(highlight))
    if scene.masks is not None and shown:
        mask_href = links.masks(image_id, shown)
        if mask_href is not None:
            parts.append(_picture(mask_href, w, h))
    lit = set(shown)
    for i, box in enumerate(scene.boxes.tolist()):
        x0, y0, x1, y1 = box
        cls = "obj" if i in lit else "obj faint"
        stroke = f" stroke='{colour(i)}'" if i in lit else ""
        parts.append(f"<rect class='{cls}' data-key='{image_index}:{i}' x='{x0:.1f}' y='{y0:.1f}' "
                     f"width='{max(x1 - x0, 1):.1f}' height='{max(y1 - y0, 1):.1f}'{stroke}>"
                     f"<title>#{i} {esc(scene.names[i])}</title></rect>")
    for i in shown:
        x0, y0 = scene.boxes[i, 0], scene.boxes[i, 1]
        parts.append(f"<text x='{x0 + 2:.1f}' y='{max(y0 - 3, max(w, h) / 40):.1f}'>#{i} {esc(scene.names[i])}</text>")
    if relations:
        parts.append(_arrows(scene, relations, image_index))
    parts.append(marks)  # what the question shows, under the answer and the model's answer
    for shape, cls, title in ((answer, "answer", "answer"), (prediction, "predicted", "the model's answer")):
        if shape is None:
            continue
        kind, values = shape
        if kind == "box" and len(values) == 4:
            x0, y0, x1, y1 = values
            parts.append(f"<rect class='{cls}' x='{x0:.1f}' y='{y0:.1f}' width='{max(x1 - x0, 1):.1f}' "
                         f"height='{max(y1 - y0, 1):.1f}'><title>{title}</title></rect>")
        elif kind == "point" and len(values) == 2:
            r = max(w, h) / 80
            parts.append(f"<circle class='{cls}' cx='{values[0]:.1f}' cy='{values[1]:.1f}' r='{r:.1f}'>"
                         f"<title>{title}</title></circle>")
    parts.append("</svg>")
    return "".join(parts)


def _picture(href: str, w: int, h: int) -> str:
    """An image over the figure: a URL, or a reference ("#id") to one defined once in the page."""
    if href.startswith("#"):
        return f"<use href='{esc(href)}'/>"
    return f"<image href='{esc(href)}' x='0' y='0' width='{w}' height='{h}' preserveAspectRatio='none'/>"


def _edge(box: Sequence[float], towards: tuple[float, float]) -> tuple[float, float]:
    """Where the line from the box's centre towards a point leaves the box (the centre if the
    point is inside)."""
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = towards[0] - cx, towards[1] - cy
    scales = [abs((x1 - x0) / 2 / dx) if dx else float("inf"), abs((y1 - y0) / 2 / dy) if dy else float("inf")]
    t = min(min(scales), 1.0)
    return cx + dx * t, cy + dy * t


def _arrows(scene: Scene, relations: Sequence[tuple[int, str, int]], image_index: int) -> str:
    """One hidden arrow per relation, box edge to box edge (centre to centre when the boxes nest),
    labelled with its predicate."""
    size = max(scene.width, scene.height)
    marker = f"arrow{image_index}"
    parts = [f"<defs><marker id='{marker}' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='5' markerHeight='5' "
             "orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' fill='#ffeb3b'/></marker></defs>"]
    boxes = scene.boxes.tolist()
    for k, (s, predicate, o) in enumerate(relations):
        a, b = boxes[s], boxes[o]
        centre_a, centre_b = ((a[0] + a[2]) / 2, (a[1] + a[3]) / 2), ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
        start, end = _edge(a, centre_b), _edge(b, centre_a)
        if start == centre_a or end == centre_b:  # one box holds the other's centre: centre to centre
            start, end = centre_a, centre_b
        if abs(end[0] - start[0]) + abs(end[1] - start[1]) < size / 100:  # the same centre: a short tick
            end = (start[0] + size / 40, start[1] - size / 40)
        # the label a third of the way from the subject: a relation and its inverse ("left of",
        # "right of") share a line but not a label's place
        mid = (start[0] + (end[0] - start[0]) / 3, start[1] + (end[1] - start[1]) / 3)
        parts.append(f"<g class='rel' data-rel='{image_index}:{k}'><line x1='{start[0]:.1f}' y1='{start[1]:.1f}' "
                     f"x2='{end[0]:.1f}' y2='{end[1]:.1f}' marker-end='url(#{marker})'/>"
                     f"<text x='{mid[0]:.1f}' y='{mid[1]:.1f}' text-anchor='middle'>{esc(predicate)}</text>"
                     f"<title>#{s} {esc(scene.names[s])} {esc(predicate)} #{o} {esc(scene.names[o])}</title></g>")
    return "".join(parts)


def _points(program: Sequence[dict[str, Any]]) -> list[list[float]]:
    """Points a program's question shows (the args of its `point` nodes)."""
    return [list(node.get("args", [])) for node in program if isinstance(node, dict) and node.get("op") == "point"]


def _shown(values: Sequence[float], scene: Scene, box_format: str) -> str:
    """A pixel box or point as the question writes it ("[0.290, 0.436]" in norm1)."""
    try:
        shown = format_box if len(values) == 4 else format_point
        return shown(values, (scene.width, scene.height), box_format)
    except ValueError:
        return "[" + ", ".join(f"{v:g}" for v in values) + "]"


def _option_shape(choice: str, scene: Scene, box_format: str) -> list[float] | None:
    """A box or point option ("[0.273, 0.036, 0.412, 0.222]") in pixels, else None."""
    text = choice.strip()
    if not (text.startswith("[") and text.endswith("]")):
        return None
    try:
        values = [float(v) for v in text[1:-1].split(",")]
        return to_pixels(values, box_format, (scene.width, scene.height)) if len(values) in (2, 4) else None
    except ValueError:
        return None


def question_marks(record: dict[str, Any], scene: Scene, image: int = 0) -> str:
    """SVG of what the question shows on its image `image` (0: the first), each labelled as the
    question writes it: on the first image, its regions ("What is inside the box [...]?") and
    points (`region` and `point` nodes of the program, in pixels) and the options of a box or
    point question, each with its letter; on every image, the marks drawn on it ("A": the
    sample's images[k]["marks"], `scene.marks`), each where the image a model is shown has it
    (`drawn_marks`). A record without marks on that image shows its program's marked points
    (`marked_point`, and `image_marked_point` of a question over several images: "B" on Image 2)
    as they would be drawn."""
    raw_meta, raw_choices = record.get("meta"), record.get("choices")
    meta = raw_meta if isinstance(raw_meta, dict) else {}
    box_format = str(meta.get("box_format") or "norm1")
    choices = raw_choices if isinstance(raw_choices, list) and image == 0 else []
    size = max(scene.width, scene.height)
    marks: list[tuple[str, list[float]]] = []  # (label, pixels)
    options: dict[str, str] = {}  # an option's text -> its letter
    for j, choice in enumerate(choices):
        shape = _option_shape(str(choice), scene, box_format)
        if shape is not None:
            options[str(choice).strip()] = chr(ord("A") + j)
            marks.append((f"{chr(ord('A') + j)}. {str(choice).strip()}", shape))
    program = record.get("program")
    for node in program if isinstance(program, list) and image == 0 else []:
        # (the question's points and regions are on its first image; its marks: `drawn_marks`)
        if not isinstance(node, dict) or node.get("op") not in ("point", "region"):
            continue
        values = node.get("args", [])
        if not isinstance(values, list) or len(values) not in (2, 4) or not all(isinstance(v, (int, float)) for v in values):
            continue
        label = _shown(values, scene, box_format)
        if label not in options and all(m[0] != label for m in marks):  # an option is drawn once, with its letter
            marks.append((label, [float(v) for v in values]))
    parts = []
    for j, (label, v) in enumerate(marks):
        if len(v) == 4:
            parts.append(f"<rect class='shown' x='{v[0]:.1f}' y='{v[1]:.1f}' width='{max(v[2] - v[0], 1):.1f}' "
                         f"height='{max(v[3] - v[1], 1):.1f}'><title>{esc(label)}</title></rect>"
                         f"<text class='shown' x='{v[0] + 2:.1f}' y='{v[3] - 3:.1f}' font-size='{size / 55:.1f}'>"
                         f"{esc(label)}</text>")
        else:
            parts.append(f"<circle cx='{v[0]:.1f}' cy='{v[1]:.1f}' r='{size / 90:.1f}' fill='{colour(j)}' "
                         f"stroke='#fff'><title>{esc(label)}</title></circle><text class='shown' "
                         f"x='{v[0] + size / 60:.1f}' y='{v[1] + size / 120:.1f}' font-size='{size / 55:.1f}'>"
                         f"{esc(label)}</text>")
    parts.append(drawn_marks(image_marks(record, image), scene.width, scene.height))
    return "".join(parts)


def image_marks(record: dict[str, Any], image: int) -> list[Mark]:
    """The marks drawn on image `image` of a sample: its images[image]["marks"] (what a model is
    shown), else its program's marked points on that image (`scene.marks.program_marks`: a record
    of its own, or one whose marks cannot be read)."""
    try:
        marks = record_marks(record, image)
    except ValueError:
        marks = None
    return marks if marks is not None else program_marks(record.get("program"), image)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def drawn_marks(marks: Sequence[Mark], width: int, height: int) -> str:
    """SVG of `marks` as `scene.mark_drawing.draw_marks` draws them on an image of this size,
    pixel for pixel (`mark_layout`): each ring and dot on its point's pixel, red edged in white
    and black, and each label in its red box edged in black at the corner the image has it;
    rings first, then labels, then dots, as drawn. (The letter is the browser's font, centred in
    its box: its baseline 0.36 of the font size below the box's middle, half a capital's height.)"""
    if not marks:
        return ""
    ring, ring_width, dot, font_size = mark_sizes(width, height)
    edge = max(1, label_pad(font_size) // 2)
    red, black, white = _hex(MARK_COLOUR), _hex(EDGE_COLOUR), _hex(TEXT_COLOUR)
    layout = mark_layout(marks, (width, height))
    rings, labels, dots = [], [], []
    for mark, (label, (cx, cy), (x0, y0, x1, y1)) in zip(marks, layout):
        # a Pillow ellipse of radius r around pixel c covers pixels c - r to c + r: in the SVG's
        # pixel coordinates a circle of radius r + 0.5 around c + 0.5, a ring of width w inside it
        x, y, said = cx + 0.5, cy + 0.5, esc(label)
        rings.append(f"<g class='mark' data-label='{said}'>" + "".join(
            f"<circle cx='{x}' cy='{y}' r='{r + 0.5 - w / 2:g}' fill='none' stroke='{c}' stroke-width='{w}'/>"
            for r, w, c in ((ring + 2, ring_width + 4, black), (ring + 1, ring_width + 2, white), (ring, ring_width, red)))
            + f"<title>mark {said} at {_point_text(mark)}</title></g>")
        w, h = x1 - x0, y1 - y0
        labels.append(f"<g class='mark-label' data-label='{said}'><rect x='{x0}' y='{y0}' width='{w}' height='{h}' "
                      f"fill='{black}'/><rect x='{x0 + edge}' y='{y0 + edge}' width='{w - 2 * edge}' "
                      f"height='{h - 2 * edge}' fill='{red}'/><text class='mark' x='{x0 + w / 2:g}' y='{y0 + h / 2 + 0.36 * font_size:.1f}' "
                      f"font-size='{font_size}' fill='{white}'>{said}</text></g>")
        dots.append("<g class='mark-dot'>" + "".join(
            f"<circle cx='{x}' cy='{y}' r='{r + 0.5:g}' fill='{c}'/>" for r, c in ((dot + 2, black), (dot + 1, white), (dot, red)))
            + "</g>")
    return "".join(rings + labels + dots)


def _point_text(mark: Mark) -> str:
    return "[" + ", ".join(f"{float(v):g}" for v in mark["point"]) + "]"
