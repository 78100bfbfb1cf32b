"""Reports of an evaluation summary: a markdown table and a self-contained HTML page.

The HTML page has no external resource (no CDN, no script): charts are inline SVG bars with
confidence-interval whiskers, one chart per grouping (family, generator, answer type, mode).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from veriscene.option_names import option

SECTIONS = (("by_family", "family"), ("by_task", "generator"), ("by_answer_type", "answer type"), ("by_mode", "mode"),
            ("by_steps", "program steps (operations, `scene` not counted)"), ("by_images", "images shown"))


def pct(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{100 * value:.{digits}f}"


def ci_text(stats: dict[str, Any]) -> str:
    if stats.get("ci_low") is None:
        return "-"
    return f"[{pct(stats['ci_low'])}, {pct(stats['ci_high'])}]"


def model_label(summary: dict[str, Any]) -> str:
    model = summary.get("model") or {}
    return str(model.get("model", "model"))


def retry_advice(summary: dict[str, Any]) -> str:
    """What to do about the failed requests of an incomplete run. A replay model answers from
    its file: asking again gives the same "no reply", and a changed file needs a new folder;
    other failures (an image not found) may be fixed and the same command run again."""
    reasons = [str(reason) for reason, _ in summary.get("error_reasons") or []]
    replay = (summary.get("model") or {}).get("adapter") == "replay"
    if replay and reasons and all(reason.startswith("no reply in ") for reason in reasons):
        counts = summary.get("counts") or {}
        if counts.get("replies_in_file") is not None and counts.get("replies_unmatched") == counts["replies_in_file"]:
            # not one reply to a sample of the file: the ids of another samples file (or an older version's)
            return ("the replies file answers none of the samples: its ids are not those of "
                    f"{summary.get('samples')} (replies to another samples file, or samples made again since, "
                    "with new ids?); they are left out of the accuracy. Replay the replies to these samples, "
                    f"in a new {option('out folder', '--out')}")
        if (summary.get("model") or {}).get("format") == "lmms_eval":
            return ("lmms-eval's samples file has no reply for these samples; they are left out of the accuracy. "
                    "A task folder `export --to lmms_eval` writes leaves out free-form descriptions (not scored "
                    "by program), and lmms-eval writes a samples file per subtask (DATE_samples_TASK.jsonl under "
                    "its --output_path): join them all (cat *_samples_*.jsonl)")
        return ("the replies file has no reply for these samples; they are left out of the accuracy. Evaluate "
                f"the samples it answers ({option('families=, limit=', '--families, --limit')}), or add their "
                f"replies and use a new {option('out folder', '--out')}")
    if reasons and all(reason.endswith("is empty; evaluation needs the image files") for reason in reasons):
        # (a sample of a scene graph that named no image file: asking again finds none either)
        return ("these samples name no image file (their scene graphs had none): give the scenes their images "
                "(the scene's \"image\" path, or convert with the images' folder) and generate again, or evaluate "
                f"the other samples ({option('families=', '--families')})")
    if reasons and all(reason.startswith("image files do not exist") for reason in reasons):
        return ("put the image files where the samples name them (paths relative to the samples file's folder, "
                f"or to the run folder given) and {_again()}")
    timed_out = any("timed out" in reason for reason in reasons)
    return f"{_again()} to retry the failed requests" + (
        f" (with a larger {option('timeout (model_options)', '--timeout')}: the same one may time out again)"
        if timed_out else "")


def _again() -> str:
    """How to run the evaluation again, as its caller ran it (`option_names`)."""
    return option("call evaluate again with the same arguments", "rerun the same command")


def replies_text(counts: dict[str, Any]) -> str:
    """Where this run's replies came from: requests sent, or (a replay model) a file read. A
    summary written before `replies_read` existed counts a replay's replies as requests sent."""
    if counts.get("replies_file"):
        unmatched = counts.get("replies_unmatched")
        other = (f"; {unmatched} of its {counts['replies_in_file']} replies are to no sample of the samples file"
                 if unmatched else "")
        return (f"Replies read from {counts['replies_file']} for {counts.get('replies_read', 0)} samples (no request "
                f"sent{other})")
    return f"Requests sent: {counts['requests_sent']}"


def _selection_text(summary: dict[str, Any]) -> str:
    sel = summary.get("selection") or {}
    how = [option(f"limit={sel['limit']}", f"--limit {sel['limit']}") if sel.get("limit") is not None else "",
           option(f"seed={sel['seed']}", f"--seed {sel['seed']}") if sel.get("seed") is not None else "",
           option(f"families={sel['families']!r}", f"--families {sel['families']}") if sel.get("families") else ""]
    flags = option(", ", " ").join(h for h in how if h)
    return (f"{sel.get('selected', '?')} of {sel.get('in_file', '?')} samples"
            + (f" ({flags})" if flags else " (all)"))


def prompts_text(prompts: dict[str, Any]) -> str:
    if prompts.get("builtin"):
        return "built-in (no system prompt)"
    parts = [f"system {prompts['system']!r}" if prompts.get("system") else "no system prompt"]
    if prompts.get("template") != "{question}\n{instruction}":
        parts.append(f"template {prompts.get('template')!r}")
    if prompts.get("instructions_changed"):
        parts.append("own instructions for " + ", ".join(sorted(prompts["instructions_changed"])))
    if prompts.get("always_instruct"):
        parts.append("always_instruct")
    if prompts.get("request"):
        parts.append(f"request {prompts['request']!r}")
    return "; ".join(parts)


def settings_rows(summary: dict[str, Any]) -> list[list[str]]:
    """The run's settings as (setting, value) rows: what it takes to run it again or to compare
    it with another. A summary written before `settings` existed gives what it has."""
    model = summary.get("model") or {}
    settings = summary.get("settings") or {}
    counts = summary.get("counts") or {}
    params = model.get("params") or {}
    adapter, name = str(model.get("adapter", "?")), str(model.get("model", model.get("file", "?")))
    if adapter == "transformers" and model.get("source"):  # the spec that runs it again: hf:PATH
        adapter, name = "hf", str(model["source"])
    # (a replay model's name is already "replay:FILE": not "replay:replay:FILE")
    rows = [["model", name if name.startswith(f"{adapter}:") else f"{adapter}:{name}"],
            ["generation", ", ".join(f"{k} {v}" for k, v in params.items()) or "-"],
            ["samples", f"{summary.get('samples')}: {_selection_text(summary)}"]]
    if settings.get("prompts"):
        rows.append(["prompts", prompts_text(settings["prompts"])])
    rows.append(["scoring vocabulary", str(summary.get("scoring_vocabulary") or
                                           "none (built-in words only: no vocabulary.json beside the samples)")])
    repeated = summary.get("repeated_scenes")
    if repeated:  # scenes of an image id given before: free-form and step scores read the first
        rows.append(["scenes", f"{len(repeated)} image id(s) given twice, e.g. {repeated[0]['image_id']!r} "
                               f"(used: {repeated[0]['used']}): the first scene read (summary.json repeated_scenes)"])
    seen = settings.get("model_image_size")
    if seen:  # pixel boxes and points read in the frame the model saw (`model_frame`)
        size = f"{seen[0]}x{seen[1]}" if isinstance(seen, list) else str(seen)
        rows.append(["model image size", f"{size}: pixel boxes and points (and points given for marks) read in "
                                         "the image the model saw, scaled back to the original"])
    if settings.get("requests"):
        rows.append(["requests", ", ".join(f"{k} {v}" for k, v in settings["requests"].items())])
    if counts.get("attempts") and counts.get("requests_sent"):
        retries = counts["attempts"] - counts["requests_sent"]
        rows.append(["HTTP attempts", f"{counts['attempts']} for {counts['requests_sent']} requests ({retries} retries)"])
    boot = summary.get("bootstrap") or {}
    if boot:
        rows.append(["intervals", f"{pct(boot.get('confidence'), 0)}% percentile bootstrap over samples, "
                                  f"{boot.get('resamples')} resamples (exact binomial where all are right or all "
                                  "wrong)"])
    rows.append(["veriscene", str(summary.get("veriscene_version", "?")) +
                 (f", started {settings['started']}" if settings.get("started") else "")])
    return rows


def macro_text(summary: dict[str, Any]) -> str:
    """The accuracy with every family weighted alike, or "" (one family, or a summary without it)."""
    macro = summary.get("macro_by_family") or {}
    if macro.get("accuracy") is None or macro.get("groups", 0) < 2:
        return ""
    return (f"Macro accuracy over the {macro['groups']} families answered (each family weighted alike, "
            f"whatever its sample count): {pct(macro['accuracy'])}% {ci_text(macro)}.")


def cut_text(summary: dict[str, Any]) -> str:
    """A warning when replies stopped at the token limit (finish reason 'length'), else ""."""
    counts = summary.get("counts") or {}
    if not counts.get("cut_at_max_tokens"):
        return ""
    limit = ((summary.get("model") or {}).get("params") or {}).get("max_tokens")
    return (f"{counts['cut_at_max_tokens']} replies stopped at the token limit (finish reason 'length'), "
            f"{counts.get('cut_unparsed', 0)} of them unparseable: raise "
            f"{option('max_tokens (model_options; max_new_tokens for an hf: model)', '--max-tokens')}"
            + (f" (now {limit})" if limit is not None else ""))


def _table_rows(groups: dict[str, dict[str, Any]]) -> list[list[str]]:
    return [[name, str(s["n"]), pct(s["accuracy"]), ci_text(s), pct(s["mean_score"]), str(s["parse_failures"]),
             pct(s["parse_failure_rate"]), str(s["errors"])] for name, s in groups.items()]


FREEFORM_NOTE = ("n counts the answers scored by program; the {n} free-form replies (descriptions) are scored "
                 "in \"Free-form answers\" below, so a group of them alone shows n 0.")
FREEFORM_UNSCORED_NOTE = ("n counts the answers scored by program; the {n} free-form replies (descriptions) are not "
                          "scored ({why}), so a group of them alone shows n 0.")


def freeform_note(summary: dict[str, Any]) -> str:
    """What n leaves out: the descriptions, scored apart below, or not scored at all (free-form
    scoring off, or skipped: its reason, `summary["freeform"]["skipped"]`, given below)."""
    n, ff = summary["overall"]["not_scored"], summary.get("freeform")
    if ff and not ff.get("skipped"):
        return FREEFORM_NOTE.format(n=n)
    why = "why: \"Free-form answers\" below" if ff else "free-form scoring was off"
    return FREEFORM_UNSCORED_NOTE.format(n=n, why=why)

HEADER = ["", "n", "accuracy %", "95% CI", "mean score %", "parse failures", "parse fail %", "errors"]


def header(summary: dict[str, Any]) -> list[str]:
    """The table header, its interval named by the run's confidence (`evaluate(confidence=0.9)`: 90% CI)."""
    confidence = (summary.get("bootstrap") or {}).get("confidence", 0.95)
    return [*HEADER[:3], f"{pct(confidence, 0)}% CI", *HEADER[4:]]


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def to_markdown(summary: dict[str, Any]) -> str:
    counts = summary["counts"]
    lat = summary.get("latency") or {}
    parts = [
        f"# Evaluation of {model_label(summary)}",
        "",
        f"Samples: {summary['samples']} ({counts['selected']} selected). "
        f"{replies_text(counts)}, from cache: {counts['from_cache']}, "
        f"resumed: {counts['resumed']}, errors (no reply): {counts['errors']}, "
        f"rejected sample lines: {counts['rejected_lines']}."
        + ("" if summary.get("complete") else f" **Incomplete: {retry_advice(summary)}.**")
        + (f" **{cut_text(summary)}.**" if cut_text(summary) else ""),
        "",
        "Accuracy counts an unparseable reply as wrong; parse failures are also reported on their own.",
        "",
        "## Overall",
        "",
        markdown_table(header(summary), _table_rows({"all": summary["overall"]})),
    ]
    if macro_text(summary):
        parts += ["", macro_text(summary)]
    if summary["overall"].get("not_scored"):
        parts += ["", freeform_note(summary)]
    parts += ["", "## Run settings", "", markdown_table(["setting", "value"], settings_rows(summary))]
    if summary.get("error_reasons"):
        parts += ["", "## Errors (no reply)", "",
                  markdown_table(["requests", "error"], [[str(n), reason] for reason, n in summary["error_reasons"]])]
    for key, title in SECTIONS:
        if summary.get(key):
            parts += ["", f"## By {title}", "", markdown_table(header(summary), _table_rows(summary[key]))]
    if lat.get("n"):
        parts += ["", "## Latency (seconds, requests sent in this run)", "",
                  markdown_table(["n", "mean", "p50", "p90", "p95", "p99", "max"],
                                 [[str(lat["n"])] + [f"{lat[k]:.3f}" for k in ("mean", "p50", "p90", "p95", "p99", "max")]])]
    tp = summary.get("throughput") or {}
    if tp.get("requests_per_s"):
        parts += ["", f"Throughput: {tp['requests_per_s']:.1f} requests/s over {tp['generate_wall_s']:.1f} s."]
    if summary.get("process"):
        from veriscene.evaluate.process import process_markdown

        parts += ["", "## Reasoning steps", "", process_markdown(summary["process"])]
    ff = summary.get("freeform")
    if ff:
        parts += ["", "## Free-form answers", "", freeform_markdown(ff)]
    return "\n".join(parts) + "\n"


def _ci_pair(ff: dict[str, Any], key: str) -> str:
    low, high = (ff.get(f"{key}_ci") or [None, None])[:2]
    return ci_text({"ci_low": low, "ci_high": high})


FREEFORM_BY_TASK = ["generator", "n", "helpfulness %", "95% CI", "truthfulness %", "95% CI", "no claims",
                    "combined %", "95% CI", "unsupported claims"]
FREEFORM_SCORES = ("helpfulness", "truthfulness", "combined")


def freeform_task_rows(ff: dict[str, Any]) -> list[list[str]]:
    """The free-form scores per generator (`summary["freeform"]["by_task"]`), one row each."""
    return [[task, str(v["n"]), pct(v.get("helpfulness")), _ci_pair(v, "helpfulness"), pct(v.get("truthfulness")),
             _ci_pair(v, "truthfulness"), str(v.get("no_claims", 0)), pct(v.get("combined")), _ci_pair(v, "combined"),
             str(v.get("hallucinations", 0))] for task, v in (ff.get("by_task") or {}).items()]


def freeform_scores_note(ff: dict[str, Any]) -> str:
    """What each free-form mean is over: truthfulness leaves out the replies without claims (how
    many), combined counts them 0 ("" for a summary without these counts)."""
    if "no_claims" not in ff:
        return ""
    kept = ff.get("truthfulness_n", ff.get("n", 0) - ff["no_claims"])
    return (f"Truthfulness is the mean of the {kept} replies stating a checkable claim: {ff['no_claims']} "
            "without one are left out of it; combined (the F1 of truthfulness and helpfulness) counts them 0, "
            "and neither listing everything nor saying nothing raises it.")


def freeform_left_out(ff: dict[str, Any]) -> str:
    """The descriptions the free-form scores leave out, and why ("" when none): those whose
    claims the llm extractor gave no readable answer for (`unread`), and those without a scene
    graph of their images or whose region was not found (`unscorable`)."""
    parts = []
    if ff.get("unread"):
        first = (ff.get("unread_examples") or [""])[0]
        parts.append(f"{ff['unread']} not scored, their claims unread by the extractor"
                     + (f" (first: {first})" if first else ""))
    if ff.get("unscorable"):
        parts.append(f"{ff['unscorable']} not scorable: no scene graph of their images, or their region not found")
    return "; ".join(parts)


def freeform_markdown(ff: dict[str, Any]) -> str:
    if ff.get("skipped"):  # (before: "0 replies; claims extracted by None, matched with None", the reason unsaid)
        return f"**{ff['skipped']}.**"
    rows = [[key, pct(ff.get(key)), _ci_pair(ff, key)] for key in FREEFORM_SCORES if key in ff]
    note = (f"{ff.get('n', 0)} replies; claims extracted by {ff.get('extractor')}, matched with {ff.get('matcher')}; "
            f"{ff.get('hallucinations', 0)} unsupported claims in all.")
    if freeform_scores_note(ff):
        note += " " + freeform_scores_note(ff)
    if freeform_left_out(ff):  # (before, said in summary.json only: "0 replies" and empty cells)
        note += f" **Descriptions left out: {freeform_left_out(ff)}.**"
    text = markdown_table(["", "mean %", "95% CI"], rows) + "\n\n" + note
    if ff.get("by_task"):  # (captions, region descriptions, comparisons: their scores apart)
        text += "\n\nBy generator:\n\n" + markdown_table(FREEFORM_BY_TASK, freeform_task_rows(ff))
    return text


# --- HTML -----------------------------------------------------------------------------------

def svg_bars(groups: dict[str, dict[str, Any]], *, width: int = 720, value: str = "accuracy") -> str:
    """Horizontal bars (0-100 %) with CI whiskers, one row per group."""
    row_h, label_w, pad = 22, 210, 50
    plot_w = width - label_w - pad
    height = row_h * len(groups) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
           f'font-family="sans-serif" font-size="12">']
    for tick in range(0, 101, 25):
        x = label_w + plot_w * tick / 100
        out.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 20}" stroke="#ddd"/>'
                   f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" fill="#666">{tick}%</text>')
    for i, (name, s) in enumerate(groups.items()):
        y = i * row_h + 4
        v = s.get(value)
        out.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{html.escape(name)}</text>')
        if v is None:
            out.append(f'<text x="{label_w + 4}" y="{y + 13}" fill="#999">no answered samples</text>')
            continue
        w = plot_w * v
        out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{row_h - 8}" fill="#4c78a8">'
                   f'<title>{html.escape(name)}: {pct(v)}% (n={s["n"]})</title></rect>')
        if s.get("ci_low") is not None:
            x0, x1 = label_w + plot_w * s["ci_low"], label_w + plot_w * s["ci_high"]
            ym = y + (row_h - 8) / 2
            out.append(f'<line x1="{x0:.1f}" y1="{ym:.1f}" x2="{x1:.1f}" y2="{ym:.1f}" stroke="#222"/>'
                       f'<line x1="{x0:.1f}" y1="{ym - 4:.1f}" x2="{x0:.1f}" y2="{ym + 4:.1f}" stroke="#222"/>'
                       f'<line x1="{x1:.1f}" y1="{ym - 4:.1f}" x2="{x1:.1f}" y2="{ym + 4:.1f}" stroke="#222"/>')
        out.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" fill="#333">{pct(v)}</text>')
    out.append("</svg>")
    return "".join(out)


def html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = ("body{font-family:sans-serif;margin:2em;max-width:1000px;color:#222}"
         "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
         "td:first-child,th:first-child{text-align:left}th{background:#f3f3f3}.warn{color:#b00}")


def page(title: str, body: list[str]) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>" + "\n".join(body) + "</body></html>\n")


def to_html(summary: dict[str, Any]) -> str:
    counts = summary["counts"]
    body = [f"<h1>Evaluation of {html.escape(model_label(summary))}</h1>",
            f"<p>Samples: {html.escape(summary['samples'])} ({counts['selected']} selected). "
            f"{html.escape(replies_text(counts))}, from cache: {counts['from_cache']}, errors: {counts['errors']}, "
            f"rejected sample lines: {counts['rejected_lines']}.</p>"]
    if not summary.get("complete"):
        body.append(f"<p class='warn'>Incomplete: {html.escape(retry_advice(summary))}.</p>")
    if cut_text(summary):
        body.append(f"<p class='warn'>{html.escape(cut_text(summary))}.</p>")
    if summary.get("error_reasons"):
        body += ["<h2>Errors (no reply)</h2>",
                 html_table(["requests", "error"], [[str(n), reason] for reason, n in summary["error_reasons"]])]
    body += ["<h2>Overall</h2>", html_table(header(summary), _table_rows({"all": summary["overall"]}))]
    if macro_text(summary):
        body.append(f"<p>{html.escape(macro_text(summary))}</p>")
    if summary["overall"].get("not_scored"):
        body.append(f"<p>{html.escape(freeform_note(summary))}</p>")
    body += ["<h2>Run settings</h2>", html_table(["setting", "value"], settings_rows(summary))]
    for key, title in SECTIONS:
        if summary.get(key):
            body += [f"<h2>Accuracy by {title}</h2>", svg_bars(summary[key]), html_table(header(summary), _table_rows(summary[key]))]
    lat = summary.get("latency") or {}
    if lat.get("n"):
        body += ["<h2>Latency (s)</h2>", html_table(["n", "mean", "p50", "p90", "p95", "p99", "max"],
                 [[str(lat["n"])] + [f"{lat[k]:.3f}" for k in ("mean", "p50", "p90", "p95", "p99", "max")]])]
    process = summary.get("process")
    if process and process.get("skipped"):  # (said in the Markdown report only, before)
        body += ["<h2>Reasoning steps</h2>", f"<p class='warn'>{html.escape(process['skipped'])}.</p>"]
    elif process:
        body += ["<h2>Reasoning steps</h2>",
                 f"<p>{process['samples']} multi-step replies: process F1 {process['score']:.3f} (recall "
                 f"{process['recall']:.3f}, precision {process['precision']:.3f}), {process['perfect']} at 1.0; "
                 f"{process['without_reasoning_block']} without a think block.</p>",
                 html_table(["family", "replies", "process F1"], [[f, str(v["samples"]), f"{v['score']:.3f}"]
                                                                  for f, v in process["by_family"].items()])]
    if (summary.get("freeform") or {}).get("skipped"):
        body += ["<h2>Free-form answers</h2>", f"<p class='warn'>{html.escape(summary['freeform']['skipped'])}.</p>"]
    elif summary.get("freeform"):
        ff = summary["freeform"]
        body += ["<h2>Free-form answers</h2>",
                 html_table(["", "mean %", "95% CI"], [[key, pct(ff.get(key)), _ci_pair(ff, key)]
                                                       for key in FREEFORM_SCORES if key in ff]),
                 f"<p>{ff.get('n', 0)} replies; extractor {html.escape(str(ff.get('extractor')))}, matcher "
                 f"{html.escape(str(ff.get('matcher')))}; {ff.get('hallucinations', 0)} unsupported claims. "
                 f"{html.escape(freeform_scores_note(ff))}</p>"]
        if freeform_left_out(ff):
            body.append(f"<p class='warn'>Descriptions left out: {html.escape(freeform_left_out(ff))}.</p>")
        if ff.get("by_task"):
            body += ["<h3>Free-form answers by generator</h3>", html_table(FREEFORM_BY_TASK, freeform_task_rows(ff))]
    return page(f"veriscene evaluation: {model_label(summary)}", body)


def write_reports(summary: dict[str, Any], out: Path) -> tuple[Path, Path]:
    md, page_path = out / "report.md", out / "report.html"
    md.write_text(to_markdown(summary), encoding="utf-8")
    page_path.write_text(to_html(summary), encoding="utf-8")
    return md, page_path
