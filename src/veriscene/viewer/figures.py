"""Figures of the viewer: an SVG of one image in its pixel coordinates, with the scene's boxes,
mask overlays, the answer's box or point, and relations drawn as arrows.

Re-exported by `veriscene.viewer.pages`.
"""

from __future__ import annotations

from typing import Any, Sequence

from veriscene.scene.model import Scene
from veriscene.viewer.markup import Links, colour, esc


def figure(scene: Scene | None, image_id: str, links: Links, *, image_index: int = 0,
           highlight: Sequence[int] = (), label_all: bool = False,
           answer: tuple[str, Sequence[float]] | None = None,
           prediction: tuple[str, Sequence[float]] | None = None,
           relations: Sequence[tuple[int, str, int]] = ()) -> str:
    """An SVG of one image in its pixel coordinates: the image (or a grey canvas), the mask
    overlay of the highlighted objects (all objects with `label_all`), every box (highlighted ones
    in colour and labelled), the answer's box or point, and the `relations` as arrows from the
    subject's box to the object's, hidden until their row is hovered or all are asked for."""
    if scene is None:
        return f"<p class='bad'>No scene graph for image {esc(image_id)}.</p>"
    w, h = scene.width, scene.height
    # labels about 1/40 of the image's larger side: readable whatever the image's size
    parts = [f"<svg class='fig' viewBox='0 0 {w} {h}' width='{w}' height='{h}' font-size='{max(w, h) / 40:.1f}' "
             f"xmlns='http://www.w3.org/2000/svg'><title>{esc(image_id)}</title>"]
    href = links.image(image_id)
    if href is not None:
        parts.append(f"<image href='{esc(href)}' x='0' y='0' width='{w}' height='{h}' preserveAspectRatio='none'/>")
    else:
        parts.append(f"<rect x='0' y='0' width='{w}' height='{h}' fill='#9e9e9e'/>"
                     f"<text x='8' y='20'>no image file for {esc(image_id)}</text>")
    shown = list(range(len(scene))) if label_all else sorted(set(highlight))
    if scene.masks is not None and shown:
        mask_href = links.masks(image_id, shown)
        if mask_href is not None:
            parts.append(f"<image href='{esc(mask_href)}' x='0' y='0' width='{w}' height='{h}' "
                         "preserveAspectRatio='none'/>")
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
    return [list(node.get("args", [])) for node in program if node.get("op") == "point"]
