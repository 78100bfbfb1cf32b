"""Samples written once: drop exact repeats across shards before the final merge.

A sample id hashes (task, image ids in order, program, template, question). Single-image samples
cannot repeat across scenes (image ids are unique in a run), and a scene's own repeats are
dropped by the runner. A multi-image sample can: anchor A drawing partner B and anchor B drawing
partner A may ask the very same question. That needs every image of the group in the partner pool
(partners always come from it), so each shard lists, in its sidecar (`shared`), the line and id of
its multi-image samples whose images all lie in the pool: at most pool size x multi-image
samples per scene ids in all, whatever the input size.

Before the merge the driver walks those lists in shard order and keeps the first occurrence of
each id; a shard holding a later one is rewritten without it (file and sidecar, atomically, the
sidecar last) and its counts are corrected. Rare, deterministic, and safe to repeat: a run killed
here and resumed reaches the same result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from veriscene.engine.codecs import decode
from veriscene.engine.shards import ShardOutput, shard_name, shard_path, write_shard
from veriscene.engine.summary import RunSummary
from veriscene.sample import Sample


def repeated_lines(sidecars: dict[int, dict[str, Any]]) -> dict[int, set[int]]:
    """Shard index -> lines (0-based, within the shard) repeating a sample of an earlier line."""
    seen: set[str] = set()
    repeats: dict[int, set[int]] = {}
    for index in sorted(sidecars):
        for line, sample_id in sidecars[index].get("shared", ()):
            if sample_id in seen:
                repeats.setdefault(index, set()).add(line)
            else:
                seen.add(sample_id)
    return repeats


def drop_repeats(shards_dir: Path, sidecars: dict[int, dict[str, Any]], fmt: str) -> int:
    """Rewrite the shards holding repeats without them; update `sidecars` in place. Returns the
    number of samples dropped."""
    dropped = 0
    for index, lines in repeated_lines(sidecars).items():
        sidecar = sidecars[index]
        samples = decode(shard_path(shards_dir, index, fmt).read_bytes(), fmt).splitlines(keepends=True)
        counts = RunSummary()
        counts.merge_counts(sidecar["counts"])
        kept = bytearray()
        for i, line in enumerate(samples):
            if i in lines:
                counts.remove(Sample.from_dict(orjson.loads(line)))
            else:
                kept += line
        shared = [[line - sum(1 for r in lines if r < line), sample_id]
                  for line, sample_id in sidecar["shared"] if line not in lines]
        rejects_file = shards_dir / (shard_name(index) + ".rejects.jsonl")
        rejects = [orjson.loads(r) for r in rejects_file.read_bytes().splitlines() if r.strip()]
        first, last = sidecar["lines"]
        output = ShardOutput(index, bytes(kept), rejects, counts.counts(), first, last, shared=shared)
        sidecars[index] = write_shard(shards_dir, output, fmt)
        dropped += len(lines)
    return dropped
