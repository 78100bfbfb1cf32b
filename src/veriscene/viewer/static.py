"""`write_html`: a chosen set of samples as one self-contained HTML file, to share or to open
without a server (images scaled down and embedded; nothing loaded from elsewhere)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from veriscene.viewer.catalog import DEFAULT_LIMIT, Catalog, Filters
from veriscene.viewer.filter_names import filter_error
from veriscene.viewer.images import data_uri, mask_overlay, thumbnail
from veriscene.viewer.pages import PALETTE, STYLE, esc, page, sample_card


@dataclass
class HtmlSummary:
    out: Path
    samples_written: int  # samples on the page
    samples_matching: int  # samples the filters kept (among those read)
    missing_images: int  # images shown as a grey canvas (no readable file)
    unreadable_lines: int  # sample lines that could not be read
    results_note: str = ""  # with results: a warning when most are of samples not read (`Catalog.results_note`)
    freeform_scores: int = 0  # with results: samples read with free-form scores (helpfulness, truthfulness)


class EmbeddedLinks:
    """Images and mask overlays embedded once each, as data URIs in hidden SVG definitions
    (`defs()`, to put in the page) that figures reference (`#<prefix>-N`): a page of many samples
    of one image holds its bytes once. Samples are anchors."""

    def __init__(self, catalog: Catalog, max_side: int, prefix: str = "vs") -> None:
        self.catalog, self.max_side, self.prefix = catalog, max_side, prefix
        self._images: dict[str, str | None] = {}  # image id -> its reference (None: no readable file)
        self._masks: dict[tuple[str, tuple[int, ...]], str | None] = {}
        self._defs: list[str] = []
        self.missing: set[str] = set()

    def _define(self, payload: bytes, mime: str, width: int, height: int) -> str:
        ref = f"{self.prefix}-{len(self._defs)}"
        self._defs.append(f"<image id='{ref}' href='{data_uri(payload, mime)}' x='0' y='0' width='{width}' "
                          f"height='{height}' preserveAspectRatio='none'/>")
        return f"#{ref}"

    def defs(self) -> str:
        """The hidden SVG holding every image and overlay referenced so far."""
        return (f"<svg width='0' height='0' style='position:absolute' aria-hidden='true'><defs>"
                f"{''.join(self._defs)}</defs></svg>")

    def image(self, image_id: str) -> str | None:
        if image_id not in self._images:
            path = self.catalog.image_file(image_id)
            scene = self.catalog.scene(image_id)
            encoded = thumbnail(path, self.max_side) if path is not None and scene is not None else None
            self._images[image_id] = None if encoded is None or scene is None else \
                self._define(encoded, "image/jpeg", scene.width, scene.height)
            if encoded is None:
                self.missing.add(image_id)
        return self._images[image_id]

    def masks(self, image_id: str, objects: Sequence[int]) -> str | None:
        key = (image_id, tuple(objects))
        if key not in self._masks:
            scene = self.catalog.scene(image_id)
            self._masks[key] = None if scene is None else self._define(
                mask_overlay(scene, objects, PALETTE, max_side=self.max_side), "image/png", scene.width, scene.height)
        return self._masks[key]

    def sample(self, position: int, filters: Filters | None = None) -> str:
        return f"#sample-{position}"

    def scene(self, image_id: str) -> str:
        return "#top"  # scene pages need the server

    def listing(self, filters: Filters, page_no: int = 0) -> str:
        return "#top"


def _scoped(style: str, scope: str) -> str:
    """`style` with each selector prefixed by `scope` (page-wide rules dropped), so a sample shown
    inside another page (a notebook) does not restyle it."""
    rules = []
    for rule in style.replace("\n", "").split("}"):
        if "{" not in rule:
            continue
        selectors, body = rule.split("{", 1)
        kept = [f"{scope} {sel.strip()}" for sel in selectors.split(",")
                if sel.strip().split(" ")[0] not in ("body", "header", "main")]
        if kept:
            rules.append(f"{','.join(kept)}{{{body}}}")
    return "".join(rules)


def sample_html(catalog: Catalog, position: int, max_side: int = 640) -> str:
    """One sample's card as an HTML fragment with its images embedded and its style scoped to
    it, to show in a notebook: `IPython.display.HTML(sample_html(catalog, k))`."""
    links = EmbeddedLinks(catalog, max_side, prefix=f"vs{secrets.token_hex(4)}")  # unique among a notebook's cells
    card = sample_card(catalog, position, links)
    return f"<div class='veriscene'><style>{_scoped(STYLE, '.veriscene')}</style>{links.defs()}{card}</div>"


def write_html(path: str | os.PathLike[str], out: str | os.PathLike[str], scenes: str | os.PathLike[str] | None = None,
               *, count: int = 100, limit: int = DEFAULT_LIMIT, filters: Filters | None = None,
               results: str | os.PathLike[str] | None = None, max_side: int = 640,
               freeform: str | os.PathLike[str] | None = None) -> HtmlSummary:
    """Write the first `count` samples the `filters` keep (among the first `limit` of the run;
    0: all) to `out`, one card each: images with the objects the program touches, question,
    options, answer, and the program step by step, checked against the stored answer; with
    `results` (a `veriscene eval` output folder), the model's reply and score (and
    `Filters(outcome="wrong")` keeps the failures; `Filters(sort="truthfulness")` puts the
    free-form replies scoring lowest first, their scores read from the eval folder or from
    `freeform`, a `score-freeform --out` file)."""
    from veriscene.io.writers.files import AtomicTextFile, check_file, new_folders

    check_file("out", out, "samples.html")  # a folder (`pages/` too) or below a file: before the samples are read
    filters = filters or Filters()
    # without results, only the samples on the page are kept (`Catalog.open(choose=)`), whatever the run's size
    catalog = Catalog.open(path, scenes, limit=limit, results=results, freeform=freeform, choose=(filters, count))
    if catalog.scene_rows is not None:
        catalog.close()
        raise ValueError(f"{path} is a scenes file: the HTML export shows samples; serve it (`veriscene view "
                         f"{path}`, or view() in Python) to browse its scenes")
    try:
        if catalog.chosen is not None:  # (position in the run, index in `catalog.entries`) of each
            shown, matching = catalog.chosen
        else:
            selected = catalog.select(filters)
            shown, matching = [(k, k) for k in selected[:count]], len(selected)
        unknown = filter_error(catalog, filters) if matching == 0 else None
        if unknown is not None:  # a misspelt family or task, not a run without such samples
            raise ValueError(unknown)
        links = EmbeddedLinks(catalog, max_side)
        cards = [f"<div id='sample-{k}'>{sample_card(catalog, at, links)}</div>" for k, at in shown]
        kept = filters.given()
        header = (f"<span id='top'>veriscene: {len(cards)} of {matching:,} samples"
                  f"{' (' + esc(kept) + ')' if kept else ''} from {esc(catalog.path)}</span>")
        problems = f"<p class='bad'>{esc(catalog.results_note())}</p>" if catalog.results_note() else ""
        if catalog.problems:
            problems += (f"<p class='bad'>{len(catalog.problems)} unreadable sample line(s) left out, first: line "
                        f"{catalog.problems[0].line}: {esc(catalog.problems[0].reason)}</p>")
        text = page("veriscene samples", links.defs() + problems + "".join(cards), header=header)
        target = Path(out)
        # whole or not at all: a write failing or stopped part-way leaves an earlier page as it
        # was, and no folder made for this one
        with new_folders(target), AtomicTextFile(target) as fh:
            fh.write(text)
        return HtmlSummary(target, len(cards), matching, len(links.missing), len(catalog.problems),
                           catalog.results_note(), len(catalog.freeform))
    finally:
        catalog.close()
