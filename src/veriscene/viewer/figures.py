"""Figures of the viewer: an SVG of one image in its pixel coordinates, with the scene's boxes,
mask overlays, the answer's box or point, and relations drawn as arrows.

Re-exported by `veriscene.viewer.pages`.
"""

from __future__ import annotations

from typing import Any, Sequence

from veriscene.answers.coords import format_box, format_point, to_pixels
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
    points (`region` and `point` nodes of the program, in pixels), the points drawn on the image
    with their labels (`marked_point`: "A", as a model is shown them), and the options of a box
    or point question, each with its letter; on every image, the points drawn on that image
    (`image_marked_point` nodes of a question over several images: "B" on Image 2)."""
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
    for node in program if isinstance(program, list) else []:
        if not isinstance(node, dict):  # (a record that is no sample's: nothing of it is drawn)
            continue
        values = node.get("args", [])
        mark = None  # a point drawn on the image with its label ("A": `scene.marks`), shown so
        op = node.get("op")
        if op == "image_marked_point" and isinstance(values, list) and len(values) == 4:
            if values[0] != image or isinstance(values[0], bool):  # (another image's mark)
                continue
            mark, values = str(values[1]), values[2:]
        elif image != 0:  # (the question's points, regions and labelled points are on its first image)
            continue
        elif op == "marked_point" and isinstance(values, list) and len(values) == 3:
            mark, values = str(values[0]), values[1:]
        elif op not in ("point", "region"):
            continue
        if not isinstance(values, list) or len(values) not in (2, 4) or not all(isinstance(v, (int, float)) for v in values):
            continue
        label = mark if mark is not None else _shown(values, scene, box_format)
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
    return "".join(parts)
