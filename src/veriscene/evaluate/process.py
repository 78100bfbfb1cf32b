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

`evaluate` reads the replies back from its results file a block at a time with their samples
(`replied.RepliedRecords`), writes each row as it is scored and keeps of the rows only counts and
exact sums (`ProcessTally`): the means are those of `statistics.fmean` of every row's values, bit
for bit. (Before, every such reply, its sample and its row were held: about 10 KiB a reply.)
"""

from __future__ import annotations

import math
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import orjson

from veriscene.errors import ExecutionFailure, ProgramError
from veriscene.evaluate.replied import Replies

PROCESS_SCORED = ("scored", "parse_failed")  # the statuses of the replies scored


def is_stepped(record: dict[str, Any]) -> bool:
    """Whether process scoring reads the record: a reply scored by program of more than one step."""
    return record["status"] in PROCESS_SCORED and (record.get("steps") or 0) > 1


def score_stepped(stepped: Replies, samples_path: Path, *, scenes: Any = None,
                  out: Path | None = None) -> dict[str, Any] | None:
    """The process summary of the stepped records of `stepped` (`is_stepped`; None when none has
    steps to state), scored a block at a time and written to `out` row by row (whole or not at
    all); the summary from running sums (`ProcessTally`), not from the rows."""
    from veriscene.io.writers.files import written_whole
    from veriscene.rewards.process_score import process_targets, score_trace
    from veriscene.verify_scenes import SceneLookup, resolve_inputs

    if not len(stepped):
        return None
    try:
        _, scene_files = resolve_inputs(samples_path, scenes)
    except (FileNotFoundError, ValueError) as exc:
        return {"skipped": f"reasoning not scored: {exc}"}
    tally = ProcessTally()
    lookup = SceneLookup(scene_files)
    try:
        with ExitStack() as files:  # (the file closed, then put in place)
            fh = files.enter_context(open(files.enter_context(written_whole(out)), "wb")) if out is not None else None
            for block in stepped.blocks():
                for record, sample in block:
                    ctx = lookup.context(list(record["image_ids"]))
                    if sample is None or ctx is None:
                        tally.unscorable += 1
                        continue
                    try:
                        targets = process_targets(sample, ctx)  # (with the scene files' category lists)
                    except (ExecutionFailure, ProgramError):
                        tally.unscorable += 1
                        continue
                    if not targets.steps:
                        continue
                    reply = record.get("reply") or ""
                    reasoning = record.get("reasoning")
                    text = f"<think>{reasoning}</think>{reply}" if reasoning else reply
                    tally.without_block += not reasoning and "<think>" not in reply.lower()
                    scored = score_trace(text, targets)
                    row = {"id": record["id"], "task": record["task"], "family": record["family"],
                           "score": scored.score, "recall": scored.recall, "precision": scored.precision,
                           "missed": [s.text for s in targets.steps if s.node in scored.missed]}
                    tally.add(row)
                    if fh is not None:
                        fh.write(orjson.dumps(row) + b"\n")
    finally:
        lookup.close()
    return tally.summary()


class ExactSum:
    """The sum of floats added one at a time, exact: `value()` is `math.fsum` of every float added
    (so `value() / n` is `statistics.fmean` of them, bit for bit), from a few floats whatever how
    many were added. They are the sum's non-overlapping parts, each float added split into the
    sum with one part and the rounding error of it (two-sum), errors that are zero dropped."""

    def __init__(self) -> None:
        self._parts: list[float] = []  # ascending magnitude, non-overlapping: their exact sum is the sum

    def add(self, x: float) -> None:
        kept = 0
        for part in self._parts:
            if abs(x) < abs(part):
                x, part = part, x
            total = x + part
            error = part - (total - x)  # exact, as |x| >= |part|: total + error == x + part
            if error:
                self._parts[kept] = error
                kept += 1
            x = total
        del self._parts[kept:]
        self._parts.append(x)

    def value(self) -> float:
        return math.fsum(self._parts)


class ProcessTally:
    """What the process summary needs of the rows, kept as they pass: counts and exact sums of
    score, recall and precision, overall and per family."""

    def __init__(self) -> None:
        self.samples = self.perfect = self.without_block = self.unscorable = 0
        self._sums = {key: ExactSum() for key in ("score", "recall", "precision")}
        self._families: dict[str, tuple[list[int], ExactSum]] = {}  # family -> ([rows], sum of their scores)

    def add(self, row: dict[str, Any]) -> None:
        self.samples += 1
        self.perfect += row["score"] == 1.0
        for key, total in self._sums.items():
            total.add(row[key])
        count, score = self._families.setdefault(row["family"], ([0], ExactSum()))
        count[0] += 1
        score.add(row["score"])

    def _mean(self, key: str) -> float | None:
        return self._sums[key].value() / self.samples if self.samples else None

    def summary(self) -> dict[str, Any]:
        return {
            "samples": self.samples, "score": self._mean("score"),
            "recall": self._mean("recall"), "precision": self._mean("precision"),
            "perfect": self.perfect, "without_reasoning_block": self.without_block,
            "unscorable": self.unscorable,
            "by_family": {family: {"samples": count[0], "score": score.value() / count[0]}
                          for family, (count, score) in sorted(self._families.items())},
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
