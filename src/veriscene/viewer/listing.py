"""Listing pages of the viewer: a run's samples (or the scenes of scene files opened alone), the
filter form, the pager, and the server's URL of a listing.

Re-exported by `veriscene.viewer.pages`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from veriscene.answers.coords import format_box, format_point
from veriscene.viewer.catalog import FREEFORM_FILE, Catalog, Filters
from veriscene.viewer.entries import SCORES, is_glob, name_matches
from veriscene.viewer.markup import _OUTCOME_CLASS, Links, _json, esc, page

PER_PAGE = 100  # samples (or scenes) on a listing page


def _options(name: str, plural: str, counts: dict[str, int], chosen: str) -> str:
    opts = [f"<option value=''>all {plural}</option>"]
    if chosen and chosen not in counts and is_glob(chosen):  # a glob ("object.*"): kept chosen when the form is sent again
        n = sum(k for value, k in counts.items() if name_matches(value, chosen))
        opts.append(f"<option value='{esc(chosen)}' selected>{esc(chosen)} ({n})</option>")
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
        if catalog.results_note():
            out.append(f"<p class='bad'>{esc(catalog.results_note())}</p>")
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


def _listed_answer(record: dict[str, Any]) -> str:
    """The answer as the list shows it: a box or point as the question asks for it (beside the
    model's reply, written the same way), when the sample records its image's size."""
    answer, meta = record["answer"], record.get("meta")
    if record.get("answer_type") in ("box", "point") and isinstance(meta, dict) and meta.get("image_size"):
        try:
            shown = format_box if len(answer) == 4 else format_point
            return shown(answer, meta["image_size"], str(meta.get("box_format") or "norm1"))
        except (TypeError, ValueError):
            pass
    return _json(answer)


def _outcome_counts(catalog: Catalog) -> dict[str, int]:
    counts = dict(catalog.counts("outcome"))
    counts["incorrect"] = counts.get("wrong", 0) + counts.get("parse_failed", 0)
    return counts


def scenes_page(catalog: Catalog, filters: Filters, links: Links, page_no: int = 0, per_page: int = PER_PAGE) -> str:
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


def _score_form(filters: Filters) -> str:
    """The free-form score filters: a sort, worst first, and the largest score kept."""
    sorts = [("", "run order")] + [(k, f"{k}, lowest first") for k in SCORES]
    options = "".join(f"<option value='{k}'{' selected' if k == filters.sort else ''}>{esc(label)}</option>"
                      for k, label in sorts)
    limits = "".join(f"<input name='max_{k}' type='number' min='0' max='1' step='0.05' placeholder='{k} at most' "
                     f"value='{esc(filters.given().get(f'max_{k}', ''))}'>" for k in SCORES)
    return f"<select name='sort'>{options}</select>{limits}"


def _score_cells(scores: dict[str, Any] | None) -> str:
    """A free-form reply's helpfulness, truthfulness and claims not in the scene graph (three cells)."""
    if scores is None:
        return "<td></td><td></td><td></td>"
    cells = [f"<td>{scores[k]:.2f}</td>" if isinstance(scores.get(k), (int, float)) else "<td class='muted'>-</td>"
             for k in SCORES]
    false = "; ".join(map(str, scores.get("hallucinations") or []))
    cells.append(f"<td class='bad'>{esc(false[:200])}{'...' if len(false) > 200 else ''}</td>")
    return "".join(cells)


def _no_scores(catalog: Catalog, filters: Filters) -> str:
    """Why a listing by free-form scores is empty: no scores were read."""
    if not filters.by_score or catalog.freeform:
        return ""
    if catalog.results_path is None:
        return "<p class='bad'>Free-form scores come with evaluation results: give --results EVAL_DIR.</p>"
    file = catalog.freeform_path or catalog.results_path.parent / FREEFORM_FILE
    return (f"<p class='bad'>No free-form scores of these samples in {esc(file)}: `veriscene eval` writes them once "
            "it has finished, unless run with --freeform off; `veriscene score-freeform RESULTS --out FILE` "
            "scores them again (view them with --freeform FILE).</p>")


def listing_page(catalog: Catalog, filters: Filters, links: Links, page_no: int = 0, per_page: int = PER_PAGE) -> str:
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
            + (_score_form(filters) if catalog.freeform or filters.by_score else "")
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
            if catalog.freeform:
                reply += _score_cells(catalog.freeform.get(e.id))
        rows.append(f"<tr><td><a href='{esc(links.sample(k, filters))}'>{e.line}</a></td><td>{esc(r['task'])}</td>"
                    f"<td>{esc(e.mode)}</td><td class='q'>{esc(question)}</td><td class='a'>{esc(_listed_answer(r))}</td>"
                    f"{reply}<td class='ids'>{images}</td></tr>")
    # as `veriscene view --html` notes it: a known task or family the run has no sample of (an
    # unknown one is answered before, `filter_names.filter_error`)
    none = ("<p class='bad'>No sample matches the filters given: `veriscene stats RUN` lists the run's tasks, "
            "families and modes.</p>" if not chosen and not filters.empty and not filters.by_score else "")
    body = (_summary(catalog) + _no_scores(catalog, filters) + none + form
            + _pager(links, filters, page_no, pages, len(chosen), "samples")
            + "<table><tr><th>line</th><th>task</th><th>mode</th><th>question</th><th>answer</th>"
            + ("<th>model's reply</th>" if catalog.results_path is not None else "")
            + ("<th>helpfulness</th><th>truthfulness</th><th>claims not in the scene graph</th>"
               if catalog.results_path is not None and catalog.freeform else "")
            + f"<th>images</th></tr>{''.join(rows)}</table>")
    return page("veriscene: samples", body)


def listing_href(filters: Filters, page_no: int = 0) -> str:
    """The server's URL of a listing."""
    params = filters.given()
    if page_no:
        params["page"] = str(page_no)
    return "/" + (f"?{urlencode(params)}" if params else "")
