"""Step-level scores of an evaluation (`evaluate(..., process=True)`, `veriscene eval --process`):
does a model's reasoning state the intermediate results of each multi-step sample's program?

Each reply scored by program (status "scored" or "parse_failed") whose program has intermediate
steps (`rewards.process`: the objects a reference picks out, counts, values on the way) is read
as `process_reward` reads a completion: the think block, or the reasoning the server returned
apart (`reasoning_content`, kept in the record's `reasoning`), or else the whole reply. Its
score is the F1 of the steps stated and of its checkable claims that are true (`score_trace`).
The scenes are those the samples' run names (`verify`'s lookup), or `scenes`.

Writes `OUT/process.jsonl` (one line per scored reply: id, task, family, score, recall,
precision, missed steps) and returns the summary `summary.json` holds under "process": mean F1,
recall and precision over all such replies and per family, how many had no reasoning block,
and how many could not be scored (scenes not found, a program that does not run on them).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from veriscene.errors import ExecutionFailure, ProgramError

PROCESS_SCORED = ("scored", "parse_failed")  # the statuses of the replies scored


def score_process(records: Sequence[dict[str, Any]], samples_path: Path, *, scenes: Any = None,
                  out: Path | None = None) -> dict[str, Any] | None:
    """The process summary of an evaluation's records (None when no reply has steps to state)."""
    from veriscene.evaluate.inputs import load_samples
    from veriscene.rewards.process_score import process_targets, score_trace
    from veriscene.verify_scenes import SceneLookup, resolve_inputs

    pending = [r for r in records if r["status"] in PROCESS_SCORED and (r.get("steps") or 0) > 1]
    if not pending:
        return None
    try:
        _, scene_files = resolve_inputs(samples_path, scenes)
    except (FileNotFoundError, ValueError) as exc:
        return {"skipped": f"reasoning not scored: {exc}"}
    wanted = {r["id"] for r in pending}
    samples = {s["id"]: s for s in load_samples(samples_path, ids=wanted).records}
    lookup = SceneLookup(scene_files)
    rows: list[dict[str, Any]] = []
    unscorable = without_block = 0
    try:
        for record in pending:
            sample, ctx = samples.get(record["id"]), lookup.context(list(record["image_ids"]))
            if sample is None or ctx is None:
                unscorable += 1
                continue
            try:
                targets = process_targets(sample, list(ctx.scenes))
            except (ExecutionFailure, ProgramError):
                unscorable += 1
                continue
            if not targets.steps:
                continue
            reply = record.get("reply") or ""
            reasoning = record.get("reasoning")
            text = f"<think>{reasoning}</think>{reply}" if reasoning else reply
            without_block += not reasoning and "<think>" not in reply.lower()
            scored = score_trace(text, targets)
            rows.append({"id": record["id"], "task": record["task"], "family": record["family"],
                         "score": scored.score, "recall": scored.recall, "precision": scored.precision,
                         "missed": [s.text for s in targets.steps if s.node in scored.missed]})
    finally:
        lookup.close()
    if out is not None:
        with open(out, "wb") as fh:
            fh.writelines(orjson.dumps(row) + b"\n" for row in rows)
    return _summary(rows, without_block, unscorable)


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _summary(rows: Sequence[dict[str, Any]], without_block: int, unscorable: int) -> dict[str, Any]:
    by_family: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_family[row["family"]].append(row)
    return {
        "samples": len(rows), "score": _mean([r["score"] for r in rows]),
        "recall": _mean([r["recall"] for r in rows]), "precision": _mean([r["precision"] for r in rows]),
        "perfect": sum(r["score"] == 1.0 for r in rows), "without_reasoning_block": without_block,
        "unscorable": unscorable,
        "by_family": {family: {"samples": len(group), "score": _mean([r["score"] for r in group])}
                      for family, group in sorted(by_family.items())},
    }


def process_markdown(summary: dict[str, Any]) -> str:
    """The report's section on reasoning steps."""
    if summary.get("skipped"):
        return summary["skipped"]
    lines = [f"Reasoning of {summary['samples']} multi-step replies against their programs' steps "
             f"(`score_trace`): F1 {summary['score']:.3f} (recall {summary['recall']:.3f}, precision "
             f"{summary['precision']:.3f}), {summary['perfect']} at 1.0; {summary['without_reasoning_block']} "
             f"without a think block (the whole reply read); {summary['unscorable']} not scorable "
             "(scenes not found).", "", "| family | replies | process F1 |", "|---|---:|---:|"]
    lines += [f"| {family} | {v['samples']} | {v['score']:.3f} |" for family, v in summary["by_family"].items()]
    return "\n".join(lines)
