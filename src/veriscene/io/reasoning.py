"""Reasoning targets for an export (`export(..., reasoning=True)`, `veriscene export --reasoning`).

Each sample's target becomes its rationale (`veriscene.rationale`: what the program finds on the
way to the answer, with boxes, counts and values computed from the scene graph) in a think
block, then the answer as the export writes it:

    <think>
    There is one square: the large shiny orange square at [0.092, 0.250, 0.250, 0.458]. The
    finish of the square at [0.092, 0.250, 0.250, 0.458] is shiny.
    </think>
    <answer>shiny</answer>

The scenes are those the run's manifest names (as `veriscene verify` finds them), or `scenes`.
A sample whose scenes are not found, or whose program does not run on them, is skipped and
named (never written with a plain target among reasoning ones). A caption of whole images has no
program steps: its think block lists the objects it is built from, with their boxes
(`veriscene.rationale_captions`), so every target has the think / answer format; a description
of one object ("What is in the box [...]?") has the rationale that finds it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from veriscene.errors import ExecutionFailure, ProgramError
from veriscene.io.writers.text import LEAKS, REASONING
from veriscene.rationale import rationale
from veriscene.rationale_leaks import answer_markers
from veriscene.verify_scenes import SceneLookup, resolve_inputs

PathLike = str | os.PathLike[str]
REASONING_FORMATS = ("llava", "sharegpt", "parquet", "hf", "trl")  # formats with an assistant target


def check_reasoning_format(to: str) -> None:
    """ValueError unless format `to` writes targets a model is trained to produce."""
    if to not in REASONING_FORMATS:
        why = {"jsonl": "its records must stay the samples their ids hash",
               "verl": "verl trains on prompts and scores replies with the reward: there is no target to reason to",
               "lmms_eval": "a benchmark scores the model's reply, not a target"}.get(to, "it has no assistant target")
        raise ValueError(f"reasoning targets are for {', '.join(REASONING_FORMATS)}, not {to} ({why})")


def reasoning_scenes(source: PathLike, scenes: PathLike | Sequence[PathLike] | None) -> list[Path]:
    """The scene files the rationales are computed from: `scenes`, or those the run's manifest
    names. ValueError, before anything is written, when there are none to read."""
    try:
        return resolve_inputs(source, scenes)[1]
    except (FileNotFoundError, ValueError, KeyError) as exc:
        raise ValueError(f"reasoning targets are computed from the run's scenes: {exc}") from None


class ReasoningCounts:
    """What adding reasoning did: the samples skipped, with the reasons."""

    def __init__(self) -> None:
        self.skipped: list[str] = []


def with_reasoning(samples: Iterator[dict[str, Any]], scene_files: Sequence[Path],
                   counts: ReasoningCounts) -> Iterator[dict[str, Any]]:
    """Each sample record with its rationale under `REASONING` (which `answer_text` wraps in the
    think / answer tags) and what would answer it if said before it under `LEAKS` (conversations
    keep such turns apart, `writers.turns`); samples without one are left out, in `counts`."""
    from veriscene.rewards.process import sample_box_format  # imported here: rewards load gymnasium

    lookup = SceneLookup(scene_files)
    try:
        for record in samples:
            ids = [str(image.get("id")) for image in record.get("images") or [] if isinstance(image, dict)]
            ctx = lookup.context(ids) if ids else None
            if ctx is None:
                why = lookup.why_missing(ids) if ids else "it names no image"
                counts.skipped.append(f"sample {record.get('id')}: no reasoning, {why} "
                                      f"({', '.join(str(f) for f in scene_files)})")
                continue
            try:
                text = rationale(record, ctx)
                markers = answer_markers(record, ctx, sample_box_format(record))
            except (ExecutionFailure, ProgramError) as exc:
                counts.skipped.append(f"sample {record.get('id')}: no reasoning, its program does not run on its "
                                      f"scene(s): {exc}")
                continue
            yield {**record, REASONING: text, LEAKS: markers}
    finally:
        lookup.close()
