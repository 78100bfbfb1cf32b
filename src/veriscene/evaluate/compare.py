"""`compare`: several evaluation runs side by side (accuracy with CIs per family, generator, type).

Each run folder must hold a summary.json from `evaluate`. Rows are the union of the runs'
groups; a run without a group shows "-". For two or more runs, the per-sample results of the
samples every run answered give a paired difference of each run against the first, with a
bootstrap interval (the same resampled samples for both runs). Notes above the tables say when
the accuracies side by side are not over the same samples: other samples files, other sample
sets (`--limit`, `--families`), samples that got no reply in a run, and also other prompts or
scoring vocabularies. Runs of other samples files are paired only on the ids both files give the
same answer (an id names another sample in a data set whose images share ids with the first's:
`veriscene.sample_ids`); the others are named in a note. Groups of numbers (steps, images) are in
numeric order. The runs' free-form scores (helpfulness, truthfulness: overall and per generator)
follow, when any run scored descriptions, and their reasoning-step scores (`eval --process`:
process F1 overall and per family), when any run has them.
"""

from __future__ import annotations

import hashlib
import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from veriscene.errors import DataError
from veriscene.evaluate.metrics import ANSWERED, _order, _rng
from veriscene.evaluate.report import (
    SECTIONS,
    prompts_text,
    ci_text,
    html_table,
    markdown_table,
    model_label,
    page,
    pct,
    svg_bars,
)
from veriscene.sample_ids import ID_NOTE, conflicts_between, conflicts_message, read_answers, run_inputs


def _load(run: Path) -> dict[str, Any]:
    path = run / "summary.json"
    if not path.exists():
        raise FileNotFoundError(f"{run} has no summary.json; run `veriscene eval` into it first")
    try:
        summary = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc}); run `veriscene eval` into {run} again") from None
    if not isinstance(summary, dict):
        raise DataError(f"{path}: not an evaluation summary (a JSON object); run `veriscene eval` into {run} again")
    return summary


def _results(run: Path) -> tuple[set[str], dict[str, float], dict[str, str]]:
    """(ids of every sample the run evaluated, correctness of those it answered by id, family by id)."""
    evaluated: set[str] = set()
    correct: dict[str, float] = {}
    family: dict[str, str] = {}
    path = run / "results.jsonl"
    if path.exists():
        for line_no, line in enumerate(path.read_bytes().splitlines(), start=1):
            if line.strip():
                r = _result(line, path, line_no)
                evaluated.add(r["id"])
                family[r["id"]] = str(r.get("family"))
                if r.get("status") in ANSWERED:
                    correct[r["id"]] = float(bool(r["correct"]))
    return evaluated, correct, family


def _result(line: bytes, path: Path, line_no: int) -> dict[str, Any]:
    """One line of a results.jsonl, checked for the fields a comparison reads (`DataError`
    naming the file, line and field otherwise: the accuracies would be wrong without it)."""
    try:
        r = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise DataError(f"{path}, line {line_no}: not valid JSON ({exc})") from None
    if not isinstance(r, dict) or not isinstance(r.get("id"), str):
        raise DataError(f"{path}, line {line_no}, field 'id': missing or not a string")
    if r.get("status") in ANSWERED and "correct" not in r:
        raise DataError(f"{path}, line {line_no}, field 'correct': missing from a reply of status {r['status']!r}")
    return r


def paired_by_family(results: list[tuple[set[str], dict[str, float], dict[str, str]]],
                     n_boot: int = 1000) -> dict[str, list[dict[str, Any]]]:
    """family -> the paired difference of each run against the first over that family's samples
    both answered: where one model is better, not only by how much overall."""
    first, families = results[0][1], results[0][2]
    out: dict[str, list[dict[str, Any]]] = {}
    for fam in sorted({f for _, _, fams in results for f in fams.values()}):
        base = {i: v for i, v in first.items() if families.get(i) == fam}
        out[fam] = [paired_difference(base, {i: v for i, v in correct.items() if fams.get(i) == fam}, n_boot)
                    for _, correct, fams in results[1:]]
    return out


def _samples_file(run: Path, summary: dict[str, Any]) -> str:
    """The run's samples as an absolute path (run.json's; summary.json's is as it was given), a
    run folder's samples.jsonl named by the folder: `eval RUN` and `eval RUN/samples.jsonl` agree."""
    run_file = run / "run.json"
    given = orjson.loads(run_file.read_bytes()).get("samples") if run_file.exists() else summary.get("samples")
    path = Path(str(given))
    return str(path.parent if path.name == "samples.jsonl" else path)


def _notes(labels: list[str], files: list[str], summaries: list[dict[str, Any]],
           evaluated: list[set[str]]) -> list[str]:
    """What makes the side-by-side accuracies not comparable as they stand: runs over other
    samples files or sample sets, runs with samples that got no reply."""
    notes = []
    if len(set(files)) > 1:
        notes.append("The runs read different samples files: " +
                     "; ".join(f"{label}: {f}" for label, f in zip(labels, files)) + ".")
    common = set.intersection(*evaluated) if evaluated else set()
    if any(ids != evaluated[0] for ids in evaluated[1:]):
        notes.append("The runs evaluated different samples (" +
                     ", ".join(f"{label}: {len(ids)}" for label, ids in zip(labels, evaluated)) +
                     f"; {len(common)} in all of them): their accuracies are over different samples; the paired "
                     "difference is over the samples both runs answered.")
    notes += _scoring_notes(labels, summaries)
    for label, s in zip(labels, summaries):
        counts = s.get("counts") or {}
        if counts.get("errors"):
            notes.append(f"{label} is incomplete: {counts['errors']} of {counts.get('selected')} samples got no "
                         "reply and are left out of its accuracy.")
    return notes


def _id_conflicts(labels: list[str], files: list[str], evaluated: list[set[str]]) -> tuple[list[str], set[str]]:
    """Notes on the ids each run shares with the first although its samples file gives them other
    samples (other answers: two data sets whose images share ids), and those ids."""
    notes: list[str] = []
    other: set[str] = set()
    commons = {k: evaluated[0] & evaluated[k] for k in range(1, len(files)) if files[k] != files[0]}
    wanted = set().union(*commons.values()) if commons else set()
    if not wanted:
        return notes, other
    try:
        first = read_answers(files[0], wanted)
    except (FileNotFoundError, OSError):
        return [f"The sample ids the runs share could not be checked to name the same samples: {files[0]} "
                "cannot be read."], other
    for k, common in commons.items():
        try:
            found = conflicts_between(first, read_answers(files[k], common), files[0], files[k], common)
        except (FileNotFoundError, OSError):
            notes.append(f"The sample ids {labels[k]} shares with {labels[0]} could not be checked to name the same "
                         f"samples: {files[k]} cannot be read.")
            continue
        if found:
            other.update(c.id for c in found)
            notes.append(f"{labels[k]} against {labels[0]}: {conflicts_message(found)}, left out of the paired "
                         f"differences; {ID_NOTE}.")
        inputs = (run_inputs(files[0]), run_inputs(files[k]))
        still = len(common) - len(found)
        if still and None not in inputs and inputs[0] != inputs[1]:
            notes.append(f"{labels[k]} and {labels[0]} were generated from other scene files and share {still} "
                         "sample id(s) with the same answer, paired as the same question about the same image id: "
                         "if the two inputs' images of one id differ (two data sets), those pairs are not the same "
                         "samples.")
    return notes, other


def _content(path: str | None) -> str | None:
    """A vocabulary file by its bytes (a copy beside another samples file is the same vocabulary)."""
    if path is None or not Path(path).is_file():
        return path
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _scoring_notes(labels: list[str], summaries: list[dict[str, Any]]) -> list[str]:
    """Runs asked with other prompts or scored with another vocabulary (`eval RUN` of a run folder
    used to be scored without RUN/vocabulary.json): differences that are not the models'."""
    notes = []
    vocabularies = [s.get("scoring_vocabulary") for s in summaries]
    if len({_content(v) for v in vocabularies}) > 1:
        notes.append("The runs were scored with different vocabularies (the rival words of `str` answers): " +
                     "; ".join(f"{label}: {v or 'none'}" for label, v in zip(labels, vocabularies)) +
                     ". Evaluate again with the same samples file to score them alike.")
    prompts = [(s.get("settings") or {}).get("prompts") for s in summaries]
    known = [(label, p) for label, p in zip(labels, prompts) if p is not None]
    if len({orjson.dumps(p, option=orjson.OPT_SORT_KEYS) for _, p in known}) > 1:
        notes.append("The runs asked with different prompts: " +
                     "; ".join(f"{label}: {prompts_text(p)}" for label, p in known) + ".")
    return notes


def paired_difference(a: dict[str, float], b: dict[str, float], n_boot: int = 1000) -> dict[str, Any]:
    """Accuracy of b minus a on the samples both answered, with a paired bootstrap interval.
    Where every pair differs alike (the runs agree on every sample, or one is right wherever the
    other is wrong) the resamples have no spread and the bootstrap's interval is a point ([0, 0]
    for two runs agreeing on 12 samples, as if that settled it): the interval is then the exact
    binomial bound of the share of samples on which they differ, u = 1 - 0.025^(1/n): [-u, u]
    when they agree on all (12: [-26.5, 26.5] points), [1 - u, 1] (or [-1, u - 1]) otherwise."""
    common = sorted(set(a) & set(b))
    if not common:
        return {"n": 0, "diff": None, "ci": None}
    d = np.array([b[i] - a[i] for i in common])
    idx = _rng(0, "paired").integers(0, d.size, size=(n_boot, d.size))
    low, high = np.quantile(d[idx].mean(axis=1), [0.025, 0.975])
    if d.size and bool((d == d[0]).all()) and float(d[0]) in (-1.0, 0.0, 1.0):
        u = 1.0 - 0.025 ** (1.0 / d.size)
        low, high = {0.0: (-u, u), 1.0: (1.0 - u, 1.0), -1.0: (-1.0, u - 1.0)}[float(d[0])]
    return {"n": len(common), "diff": float(d.mean()), "ci": [float(low), float(high)]}


def compare(runs: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Side-by-side table of runs; writes compare.md / compare.html into `out` when given."""
    if isinstance(runs, (str, os.PathLike)):  # a str is a sequence too: of one-letter "folders"
        raise TypeError(f"runs must be a list of evaluation folders, got one: {str(runs)!r}; give [{str(runs)!r}, ...]")
    if not runs:
        raise ValueError("compare needs at least one run folder")
    paths = [Path(r) for r in runs]
    summaries = [_load(p) for p in paths]
    labels = [f"{model_label(s)} ({p.name})" for s, p in zip(summaries, paths)]
    tables: dict[str, list[list[str]]] = {}
    for key, _ in (("overall", "all"), *SECTIONS):
        # steps and images in numeric order ("2" before "10"), as `eval`'s own report has them
        groups = ["all"] if key == "overall" else sorted({g for s in summaries for g in (s.get(key) or {})},
                                                         key=_order)
        rows = []
        for g in groups:
            row = [g]
            for s in summaries:
                stats = s["overall"] if key == "overall" else (s.get(key) or {}).get(g)
                row.append("-" if not stats or stats.get("accuracy") is None else
                           f"{pct(stats['accuracy'])} {ci_text(stats)} (n={stats['n']}, pf={stats['parse_failures']})")
            rows.append(row)
        tables[key] = rows
    if any((s.get("macro_by_family") or {}).get("accuracy") is not None for s in summaries):
        # each family weighted alike (`metrics.macro_accuracy`); "-" for a run of an older release
        tables["overall"].append(["families, macro"] + [
            "-" if (m := s.get("macro_by_family") or {}).get("accuracy") is None else
            f"{pct(m['accuracy'])} {ci_text(m)} ({m['groups']} families)" for s in summaries])
    freeform = freeform_rows(summaries)
    process = process_rows(summaries)
    results = [_results(p) for p in paths]
    files = [_samples_file(p, s) for p, s in zip(paths, summaries)]
    # ids naming other samples in another run's samples file: never paired (`veriscene.sample_ids`)
    id_notes, other = _id_conflicts(labels, files, [ids for ids, _, _ in results])
    paired = [(ids, {i: v for i, v in correct.items() if i not in other}, fams) for ids, correct, fams in results]
    diffs = [paired_difference(paired[0][1], correct) for _, correct, _ in paired[1:]]
    result = {"runs": [str(p) for p in paths], "labels": labels, "tables": tables, "paired_vs_first": diffs,
              "paired_by_family": paired_by_family(paired) if len(paired) > 1 else {},
              "notes": _notes(labels, files, summaries, [ids for ids, _, _ in results]) + id_notes,
              "id_conflicts": sorted(other), "freeform": freeform, "process": process}
    if out is not None:
        # (imported here: the writers' package is not for every compare)
        from veriscene.io.writers.files import AtomicTextFile, new_folders

        out = Path(out)
        markdown, html_text = to_markdown(result), to_html(result, summaries)
        # both whole, or (a write failing or stopped) neither: earlier ones left as they were
        with new_folders(out / "compare.md"), AtomicTextFile(out / "compare.md") as md_file, \
                AtomicTextFile(out / "compare.html") as html_file:
            md_file.write(markdown)
            html_file.write(html_text)
    return result


FREEFORM_NOTE = ("Cells: mean % [95% CI] (n descriptions scored) of the free-form replies' helpfulness (the share of "
                 "the scene graph they state), truthfulness (the share of their claims the scene graph supports, over "
                 "the replies stating a claim) and combined (their F1; a reply without claims counts 0), over all of "
                 "them, then per generator.")


def freeform_rows(summaries: list[dict[str, Any]]) -> list[list[str]]:
    """The runs' free-form scores side by side (`summary["freeform"]`): helpfulness and
    truthfulness over every description, then per generator; none when no run scored any."""
    ffs = [s.get("freeform") or {} for s in summaries]
    if not any(ff.get("n") for ff in ffs):
        return []

    def cell(v: dict[str, Any] | None, key: str) -> str:
        if not v or v.get(key) is None:
            return "-"
        low, high = (v.get(f"{key}_ci") or [None, None])[:2]
        return f"{pct(v[key])} {ci_text({'ci_low': low, 'ci_high': high})} (n={v['n']})"

    tasks = sorted({t for ff in ffs for t in (ff.get("by_task") or {})})
    rows = []
    for key in ("helpfulness", "truthfulness", "combined"):
        if key == "combined" and not any("combined" in ff for ff in ffs):
            continue  # (runs scored before the combined score)
        rows.append([key, *(cell(ff, key) for ff in ffs)])
        rows += [[f"{key}: {task}", *(cell((ff.get("by_task") or {}).get(task), key) for ff in ffs)] for task in tasks]
    return rows


PROCESS_NOTE = ("Cells: mean process F1 of the reasoning of multi-step replies against their programs' steps "
                "(`eval --process`), recall and precision, (n replies); then the F1 per family.")


def process_rows(summaries: list[dict[str, Any]]) -> list[list[str]]:
    """The runs' reasoning-step scores side by side (`summary["process"]`, `eval --process`):
    overall, then per family; none when no run scored any."""
    scored = [s.get("process") if (s.get("process") or {}).get("samples") else None for s in summaries]
    if not any(scored):
        return []
    rows = [["process F1", *("-" if p is None else f"{p['score']:.3f} (recall {p['recall']:.3f}, precision "
                                                  f"{p['precision']:.3f}; n={p['samples']})" for p in scored)]]
    families = sorted({f for p in scored if p for f in p.get("by_family") or {}})
    for family in families:
        cells = []
        for p in scored:
            v = (p or {}).get("by_family", {}).get(family)
            cells.append("-" if not v else f"{v['score']:.3f} (n={v['samples']})")
        rows.append([family, *cells])
    return rows


def _diff_rows(result: dict[str, Any]) -> list[list[str]]:
    rows = []
    for label, d in zip(result["labels"][1:], result["paired_vs_first"]):
        ci = "-" if d["ci"] is None else f"[{pct(d['ci'][0])}, {pct(d['ci'][1])}]"
        rows.append([label, str(d["n"]), pct(d["diff"]), ci])
    return rows


def _diff_cell(d: dict[str, Any]) -> str:
    """"-17.6 [-22.9, -11.8] (n=585) *": points, interval, common samples; * when it excludes 0."""
    if d["diff"] is None:
        return "-"
    low, high = d["ci"]
    sign = " *" if low > 0 or high < 0 else ""
    return f"{100 * d['diff']:+.1f} [{pct(low)}, {pct(high)}] (n={d['n']}){sign}"


FAMILY_DIFF_NOTE = ("Cells: accuracy difference in points against the first run over the family's samples both "
                    "answered, 95% paired bootstrap interval (exact binomial where every pair differs alike); "
                    "* where the interval excludes 0.")


def _family_diff_rows(result: dict[str, Any]) -> list[list[str]]:
    return [[fam, *(_diff_cell(d) for d in diffs)] for fam, diffs in result.get("paired_by_family", {}).items()]


def to_markdown(result: dict[str, Any]) -> str:
    header = [""] + result["labels"]
    parts = ["# Comparison", "", "Cells: accuracy % [95% CI] (n answered, pf = parse failures)."]
    parts += [line for note in result.get("notes", []) for line in ("", f"**Note:** {note}")]
    for key, rows in result["tables"].items():
        parts += ["", f"## {key.replace('_', ' ')}", "", markdown_table(header, rows)]
    if result["paired_vs_first"]:
        parts += ["", f"## Paired difference against {result['labels'][0]}", "",
                  markdown_table(["run", "common samples", "difference (points)", "95% CI"], _diff_rows(result))]
    if result.get("paired_by_family"):
        parts += ["", f"## Paired difference by family against {result['labels'][0]}", "", FAMILY_DIFF_NOTE, "",
                  markdown_table(["family", *result["labels"][1:]], _family_diff_rows(result))]
    if result.get("freeform"):
        parts += ["", "## Free-form answers", "", FREEFORM_NOTE, "", markdown_table(header, result["freeform"])]
    if result.get("process"):
        parts += ["", "## Reasoning steps", "", PROCESS_NOTE, "", markdown_table(header, result["process"])]
    return "\n".join(parts) + "\n"


def to_html(result: dict[str, Any], summaries: list[dict[str, Any]]) -> str:
    header = [""] + result["labels"]
    body = ["<h1>Comparison</h1>", "<p>Cells: accuracy % [95% CI] (n answered, pf = parse failures).</p>"]
    body += [f"<p class='warn'>Note: {html.escape(note)}</p>" for note in result.get("notes", [])]
    overall = {label: s["overall"] for label, s in zip(result["labels"], summaries)}
    body += ["<h2>Overall accuracy</h2>", svg_bars(overall)]
    for key, rows in result["tables"].items():
        body += [f"<h2>{key.replace('_', ' ')}</h2>", html_table(header, rows)]
    if result["paired_vs_first"]:
        body += [f"<h2>Paired difference against {result['labels'][0]}</h2>",
                 html_table(["run", "common samples", "difference (points)", "95% CI"], _diff_rows(result))]
    if result.get("paired_by_family"):
        body += [f"<h2>Paired difference by family against {html.escape(result['labels'][0])}</h2>",
                 f"<p>{html.escape(FAMILY_DIFF_NOTE)}</p>",
                 html_table(["family", *result["labels"][1:]], _family_diff_rows(result))]
    if result.get("freeform"):
        body += ["<h2>Free-form answers</h2>", f"<p>{html.escape(FREEFORM_NOTE)}</p>",
                 html_table(header, result["freeform"])]
    if result.get("process"):
        body += ["<h2>Reasoning steps</h2>", f"<p>{html.escape(PROCESS_NOTE)}</p>", html_table(header, result["process"])]
    return page("veriscene comparison", body)
