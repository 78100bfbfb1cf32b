"""The `process` column of a run's samples: what `process_reward` reads, for a TRL data set.

    cells = process_column("runs/demo")              # sample id -> ProcessTargets JSON or None
    dataset = dataset.map(lambda row: {"process": cells[row["sample_id"]]})   # the trl export

The scenes are those the run's manifest names (as `veriscene verify` finds them), or `scenes`.
A sample gets None (its process reward is None) when its program has no intermediate step
(single-hop questions), and when its scenes are not found or its program does not run on them;
those are counted in `ProcessColumn.unscored`, never dropped silently.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import orjson

from veriscene.engine.runfiles import sample_lines
from veriscene.errors import ExecutionFailure, ProgramError
from veriscene.program.context import ExecutionContext
from veriscene.rewards.process import SELECTIONS
from veriscene.rewards.process_score import process_targets
from veriscene.scene.depth_maps import anchored
from veriscene.verify_scenes import ParsedScenes, SceneIndex, resolve_inputs

PathLike = str | os.PathLike[str]


class ProcessColumn(dict[str, "str | None"]):
    """sample id -> `ProcessTargets.to_json()`, or None; `unscored`: sample ids whose scenes were
    not found or whose program failed on them (their cell is None too)."""

    def __init__(self) -> None:
        super().__init__()
        self.unscored: list[str] = []


def process_column(run_dir: PathLike, scenes: PathLike | Sequence[PathLike] | None = None, *,
                   select: str = "key") -> ProcessColumn:
    """The `process` cell of every sample of a run folder (or samples file), by sample id."""
    if not isinstance(run_dir, (str, os.PathLike)):
        raise TypeError(f"run_dir must be a run folder or a samples file (a str or a path), got {run_dir!r}")
    if select not in SELECTIONS:  # said before the scenes are indexed, not at the first sample
        raise ValueError(f"select must be one of {SELECTIONS}, got {select!r}")
    samples_path, scene_files = resolve_inputs(run_dir, scenes)
    index, parsed = SceneIndex(scene_files), ParsedScenes()
    column = ProcessColumn()
    try:
        for _, line in sample_lines(samples_path):
            sample = orjson.loads(line)
            ids = [str(img["id"]) for img in sample["images"]]
            found = [parsed.find(i, index.lines(i)) for i in ids]
            # a relative depth map path is read from its scene file's folder, as `verify` reads it
            found = [anchored(s, index.folder(i)) if s is not None and s.depth_map is not None else s
                     for s, i in zip(found, ids)]
            if any(scene is None for scene in found):
                column.unscored.append(sample["id"])
                column[sample["id"]] = None
                continue
            try:
                # the scene files' closed category lists (COCO), as `verify` reads them
                ctx = ExecutionContext(found, categories=index.categories)  # type: ignore[arg-type]
                targets = process_targets(sample, ctx, select=select)
            except (ExecutionFailure, ProgramError):
                column.unscored.append(sample["id"])
                column[sample["id"]] = None
                continue
            column[sample["id"]] = targets.to_json() if targets.steps else None
    finally:
        index.close()
    return column
