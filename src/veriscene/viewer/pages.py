"""HTML of the viewer: the sample list, one sample with its program trace, one scene graph.

Pages are plain server-rendered HTML with inline CSS and a few lines of inline script (hovering a
program step outlines the objects its value holds; hovering a relation draws it as an arrow); no
external resource is loaded. Images are
drawn in an SVG whose coordinates are the scene's pixels, so boxes, masks and answer boxes or
points sit where the scene graph puts them. Where to fetch an image, a mask overlay or another
page is left to a `Links` object: the server links to its own routes, the static export
(`write_html`) embeds everything in one file.

The parts are in modules of their own, re-exported here: `markup` (the page frame, escaping,
colours, `Links`, how values read), `figures` (the SVG of an image) and `listing` (the sample and
scene lists); this module has the sample and scene pages.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

import orjson

from veriscene.program.types import Obj, Objs
from veriscene.scene.model import RADIOLOGICAL, Scene
from veriscene.viewer.catalog import Catalog, Entry, Filters
from veriscene.viewer.figures import _arrows, _edge, _points, _shown, figure, question_marks
from veriscene.viewer.listing import (
    PER_PAGE, _options, _outcome_counts, _pager, _problems, _summary, listing_href, listing_page, scenes_page,
)
from veriscene.viewer.markup import (
    _OUTCOME_CLASS, MAX_LISTED, PALETTE, SCRIPT, STYLE, Links, _json, colour, esc, page, show_value, touched,
)

__all__ = [
    # defined here
    "RADIOLOGICAL_NOTE", "SAGITTAL_NOTE", "orientation_note", "sample_card", "sample_page", "scene_page", "_reply",
    # moved to `markup`, `figures` and `listing`
    "MAX_LISTED", "PALETTE", "SCRIPT", "STYLE", "Links", "_OUTCOME_CLASS", "_json", "colour", "esc", "page",
    "show_value", "touched", "_arrows", "_edge", "_points", "figure", "_options", "_outcome_counts", "_pager",
    "_problems", "_summary", "listing_href", "listing_page", "scenes_page",
]

RADIOLOGICAL_NOTE = "; shown as radiologists read it: the patient's right is on the image's left"
SAGITTAL_NOTE = "; shown as radiologists read it: the patient's front (anterior) is on the image's left"


def orientation_note(meta: dict[str, Any]) -> str:
    """What a medical slice's sides are, by its plane (`meta.plane`): none for a photo."""
    if meta.get("orientation") != RADIOLOGICAL:
        return ""
    return SAGITTAL_NOTE if meta.get("plane") == "sagittal" else RADIOLOGICAL_NOTE


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
        parsed = (result or {}).get("parsed")  # in pixels, the option chosen too (`veriscene eval`)
        if isinstance(parsed, list) and all(isinstance(v, (int, float)) for v in parsed):
            prediction = (str(r["answer_type"]), [float(v) for v in parsed])
    figs = []
    for n, image_id in enumerate(entry.image_ids):
        scene = scenes[n] if n < len(scenes) else None
        caption = f"image {n + 1}: " if len(entry.image_ids) > 1 else ""
        # what the question shows (points, regions, box options) is on its first image; the
        # points drawn on each image of a question over several ("B" on Image 2) on that image
        marks = question_marks(r, scene, image=n) if scene is not None else ""
        figs.append(f"<div><div class='muted'>{caption}<a href='{esc(links.scene(image_id))}'>{esc(image_id)}</a>"
                    "</div>" + figure(scene, image_id, links, image_index=n, highlight=sorted(per_image.get(n, ())),
                                      answer=answer_shape if n == 0 else None,
                                      prediction=prediction if n == 0 else None, marks=marks)
                    + _missing_image(catalog, image_id, links) + "</div>")
    if trace.failure is not None:
        check = f"<span class='bad'>program failed: {esc(trace.failure)}</span>"
    elif trace.matches:  # a long answer (a caption) is not written out twice
        same = _json(trace.answer)
        check = f"<span class='ok'>the program computes the stored answer{f' ({esc(same)})' if len(same) <= 120 else ''}</span>"
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
            f"<p>answer ({esc(r['answer_type'])}{', pixels' if answer_shape else ''}): <b>{esc(_json(r['answer']))}</b>"
            f"{_as_asked(r, scenes, answer_shape)} &middot; {check}</p>"
            f"{_reply(catalog, entry.outcome, result, entry.id)}"
            "<table><tr><th>step</th><th>op</th><th>inputs</th><th>args</th><th>value</th></tr>"
            f"{''.join(steps)}</table><p>{tags}</p></div>")



def _missing_image(catalog: Catalog, image_id: str, links: Links) -> str:
    """Where the image was looked for, when it has no readable file; else nothing."""
    if links.image(image_id) is not None:
        return ""
    tried = catalog.image_candidates(image_id)
    where = ("looked for " + ", ".join(str(p) for p in tried)) if tried else "no sample or scene names a file"
    return f"<p class='muted'>no readable image file: {esc(where)}</p>"


def _as_asked(record: dict[str, Any], scenes: list[Scene | None], shape: tuple[str, list[float]] | None) -> str:
    """A box or point answer as the question asks for it (" = [0.240, 0.667, 0.396, 0.867] in
    norm1"), or nothing."""
    scene = scenes[0] if scenes else None
    if shape is None or scene is None or len(shape[1]) not in (2, 4):
        return ""
    raw_meta = record.get("meta")
    meta = raw_meta if isinstance(raw_meta, dict) else {}
    box_format = str(meta.get("box_format") or "norm1")
    return f" = <b>{esc(_shown(shape[1], scene, box_format))}</b> in {esc(box_format)}"


def _reply(catalog: Catalog, outcome: str, result: dict[str, Any] | None, sample_id: str = "") -> str:
    """The model's reply and its score (a free-form reply's helpfulness, truthfulness and claims not
    in the scene graph), when the catalog has evaluation results."""
    if catalog.results_path is None:
        return ""
    if result is None:
        return "<p class='muted'>no evaluation result for this sample</p>"
    score = result.get("score")
    details = [f"<span class='{_OUTCOME_CLASS.get(outcome, 'muted')}'>{esc(outcome)}</span>"]
    if isinstance(score, (int, float)):
        details.append(f"score {score:.3g}")
    parsed = result.get("parsed")
    if parsed is not None and parsed != result.get("reply"):  # a free-form reply is read as itself
        pixels = isinstance(parsed, list) and len(parsed) in (2, 4) and all(isinstance(v, (int, float)) for v in parsed)
        details.append(f"read as {esc(_json(parsed))}{' (pixels)' if pixels else ''}")
    for key in ("parse_error", "error"):
        if result.get(key):
            details.append(f"{key.replace('_', ' ')}: {esc(result[key])}")
    free = catalog.freeform.get(sample_id)
    if free is not None:  # a free-form reply scored against the scene graph
        for key in ("helpfulness", "truthfulness"):
            if isinstance(free.get(key), (int, float)):
                details.append(f"{key} {free[key]:.2f}")
        if free.get("hallucinations"):
            details.append(f"<span class='bad'>not in the scene graph: {esc('; '.join(map(str, free['hallucinations'])))}</span>")
    reasoning = result.get("reasoning")  # returned apart from the reply (reasoning_content)
    return (f"<p>model's reply: {' &middot; '.join(details)}</p>"
            + (f"<p class='muted'>its reasoning, returned apart:</p><pre>{esc(str(reasoning))}</pre>" if reasoning else "")
            + f"<pre>{esc(result.get('reply') or '')}</pre>")


def sample_page(catalog: Catalog, position: int, links: Links, filters: Filters | None = None) -> str:
    """One sample with links to the previous and next samples of the list it was opened from
    (the samples `filters` keep; all samples without) and back to that list's page."""
    filters = filters or Filters()
    chosen = catalog.select(filters)
    if filters.sort:  # in score order: a sample not in the list leads to its first
        at = list(chosen).index(position) if position in chosen else 0
        inside = bool(chosen) and chosen[at] == position
    else:
        at = bisect_left(chosen, position)  # `chosen` is in run order
        inside = at < len(chosen) and chosen[at] == position
    before = chosen[at - 1] if at > 0 else None
    after_at = at + 1 if inside else at
    after = chosen[after_at] if after_at < len(chosen) else None
    nav = []
    if before is not None:
        nav.append(f"<a href='{esc(links.sample(before, filters))}'>&larr; previous</a>")
    if filters.empty:
        nav.append(f"<a href='{esc(links.listing(filters))}'>all samples</a>")
    else:
        kept = ", ".join(f"{k} {v}" for k, v in filters.given().items())
        where = f"sample {at + 1:,} of {len(chosen):,}" if inside else f"not among the {len(chosen):,}"
        nav.append(f"{where} matching {esc(kept)}: <a href='{esc(links.listing(filters, at // PER_PAGE))}'>"
                   f"back to the list</a> &middot; <a href='{esc(links.listing(Filters()))}'>all samples</a>")
    if after is not None:
        nav.append(f"<a href='{esc(links.sample(after, filters))}'>next &rarr;</a>")
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
    listed = "".join(f"<li><a href='{esc(links.sample(k, Filters(image=image_id)))}'>{esc(catalog.entries[k].task)}</a>: "
                     f"{esc(catalog.entries[k].question.split(chr(10))[0])}</li>" for k in samples[:200])
    meta = f"<pre>{esc(orjson.dumps(scene.meta, option=orjson.OPT_INDENT_2, default=str).decode())}</pre>" if scene.meta else ""
    body = (back + f"<p class='muted'>{scene.width} x {scene.height} px, {len(scene)} objects, "
            f"{len(scene.relations)} relations{', masks' if scene.masks is not None else ''}"
            f"{', depth' if scene.depth is not None else ''}"
            f"{orientation_note(scene.meta)}</p>"
            + figure(scene, image_id, links, label_all=True, relations=scene.relations)
            + _missing_image(catalog, image_id, links)
            + "<table><tr><th>object</th><th>name</th><th>attributes</th><th>box (x0, y0, x1, y1)</th>"
            + f"<th>depth</th></tr>{''.join(objects)}</table>"
            + (f"<h3>Relations ({len(scene.relations)})</h3><p class='muted'>Hover a relation to draw it on the "
               "image as an arrow from its subject to its object; <label><input type='checkbox' id='all-rels'> "
               "draw them all</label></p><table><tr><th>subject</th><th>predicate</th><th>object</th></tr>"
               f"{relations}</table>" if relations else "") + meta
            + f"<h3>Samples showing it ({len(samples)})</h3><ul>{listed}</ul>")
    return page(f"veriscene: {image_id}", body)
