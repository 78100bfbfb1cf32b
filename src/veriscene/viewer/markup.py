"""The parts every viewer page shares: escaping, object colours, the page frame with its inline
CSS and script, the `Links` a page fetches images and other pages through, and how a program
node's value reads.

Re-exported by `veriscene.viewer.pages`.
"""

from __future__ import annotations

import html
from typing import Any, Protocol, Sequence

import orjson

from veriscene.program.types import Obj, Objs
from veriscene.scene.model import Scene
from veriscene.viewer.entries import Filters

PALETTE = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324",
           "#469990", "#800000", "#808000", "#000075")
MAX_LISTED = 12  # objects written out in a trace value before "and N more"


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


class Links(Protocol):
    """Where a page finds images, mask overlays and other pages."""

    def image(self, image_id: str) -> str | None: ...
    def masks(self, image_id: str, objects: Sequence[int]) -> str | None: ...
    def sample(self, position: int, filters: Filters | None = None) -> str: ...  # within a filtered list
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
.fig rect.shown{fill:none;stroke:#fff;stroke-width:2;stroke-dasharray:1 3;vector-effect:non-scaling-stroke}
.fig g.rel{display:none}.fig g.rel.on,.fig.all-rels g.rel{display:inline}
.fig g.rel line{stroke:#ffeb3b;stroke-width:2.5;vector-effect:non-scaling-stroke}.fig g.rel text{fill:#ffeb3b}
tr.step:hover{background:#fff8e1}.tag{display:inline-block;background:#eceff1;border-radius:3px;
padding:0 5px;margin:1px}td.q{min-width:360px}td.a{max-width:300px;overflow-wrap:anywhere}
td.ids{white-space:nowrap}
.fig text.mark{stroke:none;font-weight:normal;text-anchor:middle}
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


# the CSS class (in `STYLE`) an evaluation outcome is shown in, on listing and sample pages
_OUTCOME_CLASS = {"correct": "ok", "wrong": "bad", "parse_failed": "bad", "error": "bad"}


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
