"""Samples written once: drop exact repeats across shards before the final merge.

A sample id hashes (task, image ids in order, program, template, question). Single-image samples
cannot repeat across scenes (image ids are unique in a run), and a scene's own repeats are
dropped by the runner. A multi-image sample can: anchor A drawing partner B and anchor B drawing
partner A may ask the very same question. That needs every image of the group in the partner pool
(partners always come from it), so each shard lists, in its sidecar (`shared`), the line and id of
its multi-image samples whose images all lie in the pool: at most pool size x multi-image
samples per scene entries in all, whatever the input size, kept as 12-byte rows (line, 64-bit
id hash) in memory, in transit and in the sidecar (`shards.SharedRows`).

Before the merge the driver finds, in shard order, the ids seen before and rewrites the rare shard
holding such a later occurrence without it (file and sidecar, atomically, the sidecar last); the
run's counts are corrected. Rare, deterministic, and safe to repeat: a run killed here and resumed
reaches the same result, its count of repeats dropped included (each rewritten sidecar records
its own).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import orjson

from veriscene.engine.codecs import read_lines, write_lines
from veriscene.engine.disk_space import temporary_for
from veriscene.engine.scan import later_repeats
from veriscene.engine.shards import (
    SHARD_ENTRY, SharedRows, ShardOutput, shard_path, sidecar_path, write_sidecar,
)
from veriscene.engine.summary import RunSummary
from veriscene.sample import Sample


class SharedIds:
    """Every shard's repeatable samples (`SharedRows`: 12 bytes each), by shard index."""

    def __init__(self) -> None:
        self.rows: dict[int, SharedRows] = {}

    def add(self, index: int, rows: SharedRows) -> None:
        self.rows[index] = rows

    def repeated_lines(self) -> dict[int, set[int]]:
        """Shard index -> lines (0-based, within the shard) repeating a sample of an earlier line."""
        order = sorted(self.rows)
        if not order:
            return {}
        hashes = np.concatenate([np.frombuffer(self.rows[i].hashes, dtype=np.uint64) for i in order])
        shard_of = np.repeat(order, [len(self.rows[i].hashes) for i in order])
        lines = np.concatenate([np.frombuffer(self.rows[i].lines, dtype=np.uint32) for i in order])
        found: dict[int, set[int]] = {}
        for k, _ in later_repeats(hashes):
            found.setdefault(int(shard_of[k]), set()).add(int(lines[k]))
        return found


def _without(source: Iterator[bytes], drop: set[int], tallies: tuple[RunSummary, ...]) -> Iterator[bytes]:
    """The lines of `source` but those numbered in `drop` (0-based), whose samples are taken out
    of every tally."""
    for i, line in enumerate(source):
        if i in drop:
            sample = Sample.from_dict(orjson.loads(line))
            for tally in tallies:
                tally.remove(sample)
        else:
            yield line


def kept_repeats(sidecar: dict[str, Any]) -> int:
    """The repeats already dropped from a finished shard (by `drop_repeats` in an earlier go of
    the run): 0 for a shard as its worker wrote it."""
    return int(sidecar.get("repeats_dropped", 0))


def drop_repeats(shards_dir: Path, entries: dict[int, dict[str, Any]], shared: SharedIds, fmt: str,
                 summary: RunSummary) -> int:
    """Rewrite the shards holding repeats without them; update `entries`, `shared` and `summary`.
    Returns the number of samples dropped now (not those a resumed run's kept shards had dropped
    already: `kept_repeats`). A shard is streamed line by line into a temporary file,
    so the driver holds one line at a time, not the shard."""
    dropped = 0
    for index, lines in shared.repeated_lines().items():
        sidecar = orjson.loads(sidecar_path(shards_dir, index).read_bytes())
        counts = RunSummary()
        counts.merge_counts(sidecar["counts"])
        path = shard_path(shards_dir, index, fmt)
        with temporary_for(path) as tmp:
            sha256 = write_lines(tmp, _without(read_lines(path, fmt), lines, (counts, summary)), fmt)
            os.replace(tmp, path)
        before = shared.rows[index]
        left = SharedRows()
        for line, h in zip(before.lines, before.hashes):
            if line not in lines:
                left.lines.append(line - sum(1 for r in lines if r < line))
                left.hashes.append(h)
        first, last = sidecar["lines"]
        output = ShardOutput(index, b"", [], counts.counts(), first, last, shared=left)
        # the sidecar last; it counts what was dropped from the shard, so a run killed after this
        # rewrite and resumed (the shard kept, its repeats gone) counts them still (`kept_repeats`)
        written = write_sidecar(shards_dir, output, sidecar["rejected"], sha256,
                                kept_repeats(sidecar) + len(lines))
        entries[index] = {k: written[k] for k in SHARD_ENTRY}
        shared.add(index, left)
        dropped += len(lines)
    return dropped
