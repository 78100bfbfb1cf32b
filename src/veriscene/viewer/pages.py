"""HTML of the viewer: the sample list, one sample with its program trace, one scene graph.

Pages are plain server-rendered HTML with inline CSS and a few lines of inline script (hovering a
program step outlines the objects its value holds; hovering a relation draws it as an arrow); no
external resource is loaded. Images are
drawn in an SVG whose coordinates are the scene's pixels, so boxes, masks and answer boxes or
points sit where the scene graph puts them. Where to fetch an image, a mask overlay or another
page is left to a `Links` object: the server links to its own routes, the static export
(`write_html`) embeds everything in one file.
"""

from __future__ import annotations

import html
from typing import Any, Protocol, Sequence
from urllib.parse import urlencode

import orjson

from veriscene.program.types import Obj, Objs
from veriscene.scene.model import RADIOLOGICAL, Scene
from veriscene.viewer.catalog import Catalog, Entry, Filters

PALETTE = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324",
           "#469990", "#800000", "#808000", "#000075")
MAX_LISTED = 12  # objects written out in a trace value before "and N more"
RADIOLOGICAL_NOTE = "; shown as radiologists read it: the patient's right is on the image's left"


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


class Links(Protocol):
    """Where a page finds images, mask overlays and other pages."""

    def image(self, image_id: str) -> str | None: ...
    def masks(self, image_id: str, objects: Sequence[int]) -> str | None: ...
    def sample(self, position: int) -> str: ...
    def scene(self, image_id: str) -> str: ...
    def listing(self, filters: Filters, page: int = 0) -> str: ...


STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#263238;color:#fff;padding:8px 16px}header a{color:#cfe8ff}
main{padding:12px 16px;max-width:1400px}
a{color:#1565c0;text-decoration:none}a:hover{text-decoration:underline}
table{border-collapse:collapse;margin:6px 0}td,th{border-bottom:1px solid #ddd;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#eceff1}
pre{background:#f1f3f4;padding:8px;white-space:pre-wrap;margin:4px 0}
.figs{display:flex;flex-wrap:wrap;gap:12px}.fig{max-width:640px;width:100%;height:auto;background:#ccc}
.fig rect.obj{fill:none;stroke-width:2;vector-effect:non-scaling-stroke;opacity:.9}
.fig rect.faint{stroke:#fff;stroke-dasharray:3 3;opacity:.5}
.fig rect.hl{stroke-width:5;opacity:1}.fig text{font-weight:bold;font-family:sans-serif;
paint-order:stroke;stroke:#000;stroke-width:.2em;fill:#fff}.fig .answer{fill:none;stroke:#ffeb3b;stroke-width:3;
stroke-dasharray:8 4;vector-effect:non-scaling-stroke}.fig .predicted{fill:none;stroke:#00e5ff;
stroke-width:3;stroke-dasharray:2 3;vector-effect:non-scaling-stroke}
.ok{color:#2e7d32;font-weight:bold}.bad{color:#c62828;font-weight:bold}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px;margin:0 0 14px}
.muted{color:#666}form.filters select,form.filters input{margin-right:8px}
.fig g.rel{display:none}.fig g.rel.on,.fig.all-rels g.rel{display:inline}
.fig g.rel line{stroke:#ffeb3b;stroke-width:2.5;vector-effect:non-scaling-stroke}.fig g.rel text{fill:#ffeb3b}
tr.step:hover{background:#fff8e1}.tag{display:inline-block;background:#eceff1;border-radius:3px;
padding:0 5px;margin:1px}td.q{min-width:360px}td.a{max-width:300px;overflow-wrap:anywhere}
td.ids{white-space:nowrap}
"""

SCRIPT = """
for (const row of document.querySelectorAll('tr.step')) {
  const keys = (row.dataset.objs || '').split(' ').filter(Boolean);
  const on = (v) => keys.forEach(k => document.querySelectorAll('rect[data-key="' + k + '"]')
      .forEach(r => r.classList.toggle('hl', v)));
  const rel = row.dataset.rel;
  const arrow = (v) => rel && document.querySelectorAll('g.rel[data-rel="' + rel + '"]')
      .forEach(g => g.classList.toggle('on', v));
  row.addEventListener('mouseenter', () => { on(true); arrow(true); });
  row.addEventListener('mouseleave', () => { on(false); arrow(false); });
}
const every = document.getElementById('all-rels');
if (every) every.addEventListener('change', () => document.querySelectorAll('svg.fig')
    .forEach(f => f.classList.toggle('all-rels', every.checked)));
"""


def page(title: str, body: str, header: str = "") -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(title)}</title>"
            f"<style>{STYLE}</style></head><body><header>{header or esc(title)}</header>"
            f"<main>{body}</main><script>{SCRIPT}</script></body></html>")


# --- values of program nodes -----------------------------------------------------------------


def touched(value: Any) -> list[tuple[int, int]]:
    """(image, object) pairs a node's value holds."""
    if isinstance(value, Objs):
        return [(value.image, i) for i in value.idx]
    if isinstance(value, Obj):
        return [(value.image, value.index)]
    return []


def show_value(value: Any, scenes: Sequence[Scene | None]) -> str:
    """A node's value as text: objects by index and name, numbers rounded, sets sorted."""

    def name(image: int, i: int) -> str:
        scene = scenes[image] if image < len(scenes) else None
        label = scene.names[i] if scene is not None and i < len(scene) else "?"
        return f"#{i} {label}" if len(scenes) == 1 else f"image {image + 1} #{i} {label}"

    if isinstance(value, Objs):
        listed = ", ".join(name(value.image, i) for i in value.idx[:MAX_LISTED])
        more = f" and {len(value.idx) - MAX_LISTED} more" if len(value.idx) > MAX_LISTED else ""
        note = " (may be incomplete: not every instance is annotated)" if not value.complete else ""
        return f"{len(value.idx)} object(s): {listed or '-'}{more}{note}"
    if isinstance(value, Obj):
        return name(value.image, value.index)
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(map(str, value))) + "}"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (tuple, list)) and value and all(isinstance(v, (int, float)) for v in value):
        return "[" + ", ".join(f"{float(v):.1f}" for v in value) + "]"
    return str(value)


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


# --- figures ---------------------------------------------------------------------------------


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


# --- pages -----------------------------------------------------------------------------------


def _options(name: str, plural: str, counts: dict[str, int], chosen: str) -> str:
    opts = [f"<option value=''>all {plural}</option>"]
    for value, n in sorted(counts.items()):
        sel = " selected" if value == chosen else ""
        opts.append(f"<option value='{esc(value)}'{sel}>{esc(value or '(none)')} ({n})</option>")
    return f"<select name='{name}'>{''.join(opts)}</select>"


def _summary(catalog: Catalog) -> str:
    shown = f"{len(catalog.entries):,} samples"
    if catalog.truncated:
        shown = f"the first {len(catalog.entries):,} samples (raise --limit, or 0 for all)"
    out = [f"<p class='muted'>{esc(catalog.path)}: {shown}; scenes from {esc(catalog.scenes_label())}.</p>"]
    if catalog.unfinished is not None:
        out.append(f"<p class='bad'>This run has not finished (it is still generating, or it was stopped): shown are "
                   f"the samples of its first {catalog.shards_read:,} shard(s), each finished; the next ones appear "
                   "here as they finish, in order, and the whole run once it completes.</p>")
    if catalog.results_path is not None:
        correct, scored = catalog.accuracy()
        share = f"{correct / scored:.1%}" if scored else "-"
        out.append(f"<p>Replies from {esc(catalog.results_path)}: {correct:,} of {scored:,} scored samples correct "
                   f"({share}); {catalog.counts('outcome').get('unanswered', 0):,} shown samples have no result"
                   f"{f', {catalog.results_elsewhere:,} results are of samples not shown' if catalog.results_elsewhere else ''}.</p>")
    out.append(_problems(catalog))
    return "".join(out)


def _problems(catalog: Catalog, listed: int = 20) -> str:
    """The lines that could not be read (the first `listed`), or nothing."""
    if not catalog.problems:
        return ""
    items = "".join(f"<li>line {p.line}: {esc(p.reason)}</li>" for p in catalog.problems[:listed])
    more = f"<li>and {len(catalog.problems) - listed} more</li>" if len(catalog.problems) > listed else ""
    return f"<p class='bad'>{len(catalog.problems)} unreadable line(s), not listed:</p><ul>{items}{more}</ul>"


def _pager(links: Links, filters: Filters, page_no: int, pages: int, total: int, noun: str) -> str:
    """Previous / page N of M (total) / next."""
    nav = []
    if page_no > 0:
        nav.append(f"<a href='{esc(links.listing(filters, page_no - 1))}'>&larr; previous</a>")
    nav.append(f"page {page_no + 1} of {pages} ({total:,} {noun})")
    if page_no + 1 < pages:
        nav.append(f"<a href='{esc(links.listing(filters, page_no + 1))}'>next &rarr;</a>")
    return f"<p>{' &middot; '.join(nav)}</p>"


def _outcome_counts(catalog: Catalog) -> dict[str, int]:
    counts = dict(catalog.counts("outcome"))
    counts["incorrect"] = counts.get("wrong", 0) + counts.get("parse_failed", 0)
    return counts


def scenes_page(catalog: Catalog, filters: Filters, links: Links, page_no: int = 0, per_page: int = 100) -> str:
    """Scene files opened alone: their scenes (image id or words among the names), `per_page` at a time."""
    rows = catalog.scene_rows or []
    wanted = filters.text.lower()
    chosen = [r for r in rows if (not filters.image or filters.image in r.image_id)
              and (not wanted or wanted in r.names.lower())]
    pages = max(1, -(-len(chosen) // per_page))
    page_no = min(max(page_no, 0), pages - 1)
    form = ("<form class='filters' method='get' action='/'>"
            f"<input name='image' placeholder='image id contains' value='{esc(filters.image)}'>"
            f"<input name='text' placeholder='object name' value='{esc(filters.text)}'>"
            "<button>show</button></form>")
    several = len(catalog.scenes_files) > 1
    body_rows = "".join(f"<tr>{f'<td>{esc(r.file)}</td>' if several else ''}<td>{r.line}</td>"
                        f"<td><a href='{esc(links.scene(r.image_id))}'>{esc(r.image_id)}</a></td>"
                        f"<td>{r.objects}</td><td>{r.relations}</td><td>{esc(r.names)}</td></tr>"
                        for r in chosen[page_no * per_page:(page_no + 1) * per_page])
    shown = f"the first {len(rows):,} scenes (raise --limit, or 0 for all)" if catalog.truncated else f"{len(rows):,} scenes"
    source = f"{esc(catalog.path)} ({len(catalog.scenes_files)} scene files)" if several else esc(catalog.path)
    body = (f"<p class='muted'>{source}: {shown}, no samples (generate from it to see questions).</p>"
            + _problems(catalog) + form + _pager(links, filters, page_no, pages, len(chosen), "scenes")
            + f"<table><tr>{'<th>file</th>' if several else ''}<th>line</th><th>image</th><th>objects</th>"
            "<th>relations</th><th>names</th></tr>"
            + f"{body_rows}</table>")
    return page("veriscene: scenes", body)


def listing_page(catalog: Catalog, filters: Filters, links: Links, page_no: int = 0, per_page: int = 100) -> str:
    """The samples the filters keep, `per_page` at a time, with the filter form (the scenes, for a
    scenes file opened alone)."""
    if catalog.scene_rows is not None:
        return scenes_page(catalog, filters, links, page_no, per_page)
    chosen = catalog.select(filters)
    pages = max(1, -(-len(chosen) // per_page))
    page_no = min(max(page_no, 0), pages - 1)
    form = ("<form class='filters' method='get' action='/'>"
            + _options("task", "tasks", catalog.counts("task"), filters.task)
            + _options("family", "families", catalog.counts("family"), filters.family)
            + _options("mode", "modes", catalog.counts("mode"), filters.mode)
            + (_options("outcome", "outcomes", _outcome_counts(catalog), filters.outcome) if catalog.results_path else "")
            + f"<input name='image' placeholder='image id' value='{esc(filters.image)}'>"
            + f"<input name='text' placeholder='words in the question' value='{esc(filters.text)}'>"
            + "<button>show</button></form>")
    rows = []
    for k in chosen[page_no * per_page:(page_no + 1) * per_page]:
        e = catalog.entries[k]
        r = e.record
        question = str(r["question"]).split("\n")[0]
        images = " ".join(f"<a href='{esc(links.scene(i))}'>{esc(i)}</a>" for i in dict.fromkeys(e.image_ids))
        reply = ""
        if catalog.results_path is not None:
            result = catalog.results.get(e.id) or {}
            text = str(result.get("reply") or "")
            reply = (f"<td class='a'><span class='{_OUTCOME_CLASS.get(e.outcome, 'muted')}'>{esc(e.outcome)}</span> "
                     f"{esc(text[:80])}{'...' if len(text) > 80 else ''}</td>")
        rows.append(f"<tr><td><a href='{esc(links.sample(k))}'>{e.line}</a></td><td>{esc(r['task'])}</td>"
                    f"<td>{esc(e.mode)}</td><td class='q'>{esc(question)}</td><td class='a'>{esc(_json(r['answer']))}</td>"
                    f"{reply}<td class='ids'>{images}</td></tr>")
    body = (_summary(catalog) + form + _pager(links, filters, page_no, pages, len(chosen), "samples")
            + "<table><tr><th>line</th><th>task</th><th>mode</th><th>question</th><th>answer</th>"
            + ("<th>model's reply</th>" if catalog.results_path is not None else "")
            + f"<th>images</th></tr>{''.join(rows)}</table>")
    return page("veriscene: samples", body)


def sample_card(catalog: Catalog, position: int, links: Links) -> str:
    """One sample: its images with the objects its program touches, the question, options and
    answer, and the program step by step with each step's value, checked against the answer."""
    entry: Entry = catalog.entries[position]
    r = entry.record
    scenes, trace = catalog.trace(entry)
    # per image, the objects of the last step holding objects of it (what is counted, compared
    # or queried); hovering a step outlines that step's objects instead
    per_image: dict[int, set[int]] = {}
    step_keys: list[str] = []
    for value in trace.values:
        pairs = touched(value)
        if isinstance(value, (Obj, Objs)):
            per_image[value.image] = {i for _, i in pairs}
        step_keys.append(" ".join(f"{image}:{i}" for image, i in pairs))
    answer_shape = prediction = None
    result = catalog.results.get(entry.id) if catalog.results_path is not None else None
    if r["answer_type"] in ("box", "point") and isinstance(r["answer"], list):
        answer_shape = (str(r["answer_type"]), [float(v) for v in r["answer"]])
        parsed = (result or {}).get("parsed")
        if not r.get("choices") and isinstance(parsed, list) and all(isinstance(v, (int, float)) for v in parsed):
            prediction = (str(r["answer_type"]), [float(v) for v in parsed])
    figs = []
    for n, image_id in enumerate(entry.image_ids):
        scene = scenes[n] if n < len(scenes) else None
        caption = f"image {n + 1}: " if len(entry.image_ids) > 1 else ""
        figs.append(f"<div><div class='muted'>{caption}<a href='{esc(links.scene(image_id))}'>{esc(image_id)}</a>"
                    "</div>" + figure(scene, image_id, links, image_index=n, highlight=sorted(per_image.get(n, ())),
                                      answer=answer_shape if n == 0 else None,
                                      prediction=prediction if n == 0 else None) + "</div>")
    points = _points(r["program"])
    if points and scenes and scenes[0] is not None:
        # the points a question shows, drawn on the first image
        marks = "".join(f"<circle cx='{p[0]:.1f}' cy='{p[1]:.1f}' r='{max(scenes[0].width, scenes[0].height) / 90:.1f}' "
                        f"fill='{colour(j)}' stroke='#fff'><title>point {p}</title></circle>"
                        for j, p in enumerate(points) if len(p) == 2)
        figs[0] = figs[0].replace("</svg>", marks + "</svg>", 1)
    if trace.failure is not None:
        check = f"<span class='bad'>program failed: {esc(trace.failure)}</span>"
    elif trace.matches:
        check = f"<span class='ok'>the program computes the stored answer ({esc(_json(trace.answer))})</span>"
    else:
        check = f"<span class='bad'>MISMATCH: the program computes {esc(_json(trace.answer))}</span>"
    steps = []
    for j, node in enumerate(r["program"]):
        value = show_value(trace.values[j], scenes) if j < len(trace.values) else ""
        keys = step_keys[j] if j < len(step_keys) else ""
        steps.append(f"<tr class='step' data-objs='{esc(keys)}'><td>{j}</td><td>{esc(node.get('op'))}</td>"
                     f"<td>{esc(_json(node.get('inputs', [])))}</td><td>{esc(_json(node.get('args', [])))}</td>"
                     f"<td>{esc(value)}</td></tr>")
    choices = ""
    if r.get("choices"):
        letter = (r.get("meta") or {}).get("answer_letter")
        choices = f"<p>options: {esc(', '.join(map(str, r['choices'])))}; correct letter {esc(letter)}</p>"
    meta = r.get("meta") or {}
    tags = "".join(f"<span class='tag'>{esc(k)}: {esc(_json(v))}</span>"
                   for k, v in meta.items() if k not in ("config",))
    return (f"<div class='card'><div class='muted'>line {entry.line} &middot; {esc(r['task'])} "
            f"({esc(r.get('family'))}) &middot; template {esc(r.get('template_id'))} &middot; id {esc(r['id'])}</div>"
            f"<div class='figs'>{''.join(figs)}</div><pre>{esc(r['question'])}</pre>{choices}"
            f"<p>answer ({esc(r['answer_type'])}): <b>{esc(_json(r['answer']))}</b> &middot; {check}</p>"
            f"{_reply(catalog, entry.outcome, result)}"
            "<table><tr><th>step</th><th>op</th><th>inputs</th><th>args</th><th>value</th></tr>"
            f"{''.join(steps)}</table><p>{tags}</p></div>")


_OUTCOME_CLASS = {"correct": "ok", "wrong": "bad", "parse_failed": "bad", "error": "bad"}


def _reply(catalog: Catalog, outcome: str, result: dict[str, Any] | None) -> str:
    """The model's reply and its score, when the catalog has evaluation results."""
    if catalog.results_path is None:
        return ""
    if result is None:
        return "<p class='muted'>no evaluation result for this sample</p>"
    score = result.get("score")
    details = [f"<span class='{_OUTCOME_CLASS.get(outcome, 'muted')}'>{esc(outcome)}</span>"]
    if isinstance(score, (int, float)):
        details.append(f"score {score:.3g}")
    if result.get("parsed") is not None:
        details.append(f"read as {esc(_json(result['parsed']))}")
    for key in ("parse_error", "error"):
        if result.get(key):
            details.append(f"{key.replace('_', ' ')}: {esc(result[key])}")
    return (f"<p>model's reply: {' &middot; '.join(details)}</p>"
            f"<pre>{esc(result.get('reply') or '')}</pre>")


def sample_page(catalog: Catalog, position: int, links: Links) -> str:
    nav = []
    if position > 0:
        nav.append(f"<a href='{esc(links.sample(position - 1))}'>&larr; previous</a>")
    nav.append(f"<a href='{esc(links.listing(Filters()))}'>all samples</a>")
    if position + 1 < len(catalog.entries):
        nav.append(f"<a href='{esc(links.sample(position + 1))}'>next &rarr;</a>")
    r = catalog.entries[position].record
    return page(f"veriscene: {r['task']}", f"<p>{' &middot; '.join(nav)}</p>" + sample_card(catalog, position, links))


def scene_page(catalog: Catalog, image_id: str, links: Links) -> str:
    """One scene graph: every object (box, mask, name, attributes, depth), its relations, its
    meta, and the samples that show it."""
    scene = catalog.scene(image_id)
    back = f"<p><a href='{esc(links.listing(Filters()))}'>all samples</a></p>"
    if scene is None:
        return page(f"veriscene: {image_id}", back + f"<p class='bad'>No valid scene graph for image "
                    f"{esc(image_id)} in {esc(catalog.scenes_label())}.</p>")
    objects = []
    for i in range(len(scene)):
        depth = "" if scene.depth is None else f"{float(scene.depth[i]):.3g}"
        box = ", ".join(f"{v:.1f}" for v in scene.boxes[i].tolist())
        objects.append(f"<tr><td style='color:{colour(i)}'>#{i}</td><td>{esc(scene.names[i])}</td>"
                       f"<td>{esc(', '.join(scene.attributes[i]))}</td><td>[{box}]</td><td>{depth}</td></tr>")
    relations = "".join(f"<tr class='step' data-objs='0:{s} 0:{o}' data-rel='0:{k}'><td style='color:{colour(s)}'>"
                        f"#{s} {esc(scene.names[s])}</td><td><b>{esc(p)}</b></td><td style='color:{colour(o)}'>"
                        f"#{o} {esc(scene.names[o])}</td></tr>"
                        for k, (s, p, o) in enumerate(scene.relations))
    samples = catalog.of_image(image_id)
    listed = "".join(f"<li><a href='{esc(links.sample(k))}'>{esc(catalog.entries[k].task)}</a>: "
                     f"{esc(catalog.entries[k].question.split(chr(10))[0])}</li>" for k in samples[:200])
    meta = f"<pre>{esc(orjson.dumps(scene.meta, option=orjson.OPT_INDENT_2, default=str).decode())}</pre>" if scene.meta else ""
    body = (back + f"<p class='muted'>{scene.width} x {scene.height} px, {len(scene)} objects, "
            f"{len(scene.relations)} relations{', masks' if scene.masks is not None else ''}"
            f"{', depth' if scene.depth is not None else ''}"
            f"{RADIOLOGICAL_NOTE if scene.meta.get('orientation') == RADIOLOGICAL else ''}</p>"
            + figure(scene, image_id, links, label_all=True, relations=scene.relations)
            + "<table><tr><th>object</th><th>name</th><th>attributes</th><th>box (x0, y0, x1, y1)</th>"
            + f"<th>depth</th></tr>{''.join(objects)}</table>"
            + (f"<h3>Relations ({len(scene.relations)})</h3><p class='muted'>Hover a relation to draw it on the "
               "image as an arrow from its subject to its object; <label><input type='checkbox' id='all-rels'> "
               "draw them all</label></p><table><tr><th>subject</th><th>predicate</th><th>object</th></tr>"
               f"{relations}</table>" if relations else "") + meta
            + f"<h3>Samples showing it ({len(samples)})</h3><ul>{listed}</ul>")
    return page(f"veriscene: {image_id}", body)


def listing_href(filters: Filters, page_no: int = 0) -> str:
    """The server's URL of a listing."""
    params = {k: v for k, v in vars(filters).items() if v}
    if page_no:
        params["page"] = str(page_no)
    return "/" + (f"?{urlencode(params)}" if params else "")

