"""Reading a run's samples: one place for "a run folder or a samples file".

A run folder holds `samples.jsonl`, or, for runs written with `--shard-format zstd`, compressed
shards listed in its manifest. Every consumer (verify, export, stats, eval, the RL environment)
reads samples through `sample_lines`, so each works on both layouts. Sample image paths are
relative to `samples_root(path)`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import orjson

from veriscene.engine.codecs import read_lines
from veriscene.engine.shards import shard_path

SAMPLES_FILE = "samples.jsonl"


def samples_root(path: str | os.PathLike[str]) -> Path:
    """The folder sample image paths are relative to: the run folder, or the samples file's folder."""
    path = Path(path)
    return path if path.is_dir() else path.parent


def sample_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, bytes]]:
    """(line number, raw line) of every non-empty sample line of a run folder or samples file.

    Raises FileNotFoundError naming what was looked for. Line numbers count across shards."""
    path = Path(path)
    if path.is_file():
        yield from _file_lines(path)
        return
    samples = path / SAMPLES_FILE
    if samples.is_file():
        yield from _file_lines(samples)
        return
    manifest_path = path / "manifest.json"
    manifest = orjson.loads(manifest_path.read_bytes()) if manifest_path.is_file() else {}
    shards = manifest.get("shards") if manifest.get("status") == "complete" else None
    if not shards:
        raise FileNotFoundError(
            f"{path}: no samples; expected a samples file or a finished run folder holding {SAMPLES_FILE}"
        )
    fmt = manifest["config"].get("shard_format", "jsonl")
    number = 0
    for shard in shards:
        for line in read_lines(shard_path(path / "shards", shard["index"], fmt), fmt):
            number += 1
            if line.strip():
                yield number, line


def _file_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                yield number, line


def iter_sample_lines(path: str | os.PathLike[str]) -> Iterator[bytes]:
    """Every sample line of a run folder or samples file, in order, whatever the shard format."""
    for _, line in sample_lines(path):
        yield line
