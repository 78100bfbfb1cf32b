"""Reading a run's samples: one place for "a run folder or a samples file".

A run folder holds `samples.jsonl`, or, for runs written with `--shard-format zstd`, compressed
shards listed in its manifest. Every consumer (verify, export, stats, eval, the RL environment)
reads samples through `sample_lines`, so each works on both layouts. Sample image paths are
relative to `samples_root(path)`.

A run that has not finished (still generating, or stopped) has no samples yet, only the shards its
workers finished: `unfinished_format` tells such a run, and `finished_shard_lines` reads a shard
of it once it is whole (its sidecar written and its checksum right).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

import orjson

from veriscene.engine.codecs import read_lines
from veriscene.engine.shards import finished_sidecar, shard_path

SAMPLES_FILE = "samples.jsonl"
T = TypeVar("T")


def samples_root(path: str | os.PathLike[str]) -> Path:
    """The folder sample image paths are relative to: the run folder, or the samples file's folder."""
    path = Path(path)
    return path if path.is_dir() else path.parent


def reported(items: Iterable[T], progress: Callable[[int], None] | None, every: int = 1000) -> Iterator[T]:
    """`items` as they are, calling `progress(n)` with how many more were taken, every `every`
    items and at the end (a progress bar's `advance`)."""
    if progress is None:
        yield from items
        return
    taken = 0
    for item in items:
        taken += 1
        if taken == every:
            progress(taken)
            taken = 0
        yield item
    if taken:
        progress(taken)


def sample_count(path: str | os.PathLike[str]) -> int | None:
    """The number of samples of a finished run folder, as its manifest states it (for progress
    bars); None for a samples file or a folder without a finished manifest."""
    manifest_path = Path(path) / "manifest.json"
    try:
        manifest = orjson.loads(manifest_path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    counts = manifest.get("counts") if isinstance(manifest, dict) and manifest.get("status") == "complete" else None
    samples = counts.get("samples") if isinstance(counts, dict) else None
    return samples if isinstance(samples, int) else None


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


def unfinished_format(path: str | os.PathLike[str]) -> str | None:
    """The shard format of a run folder that has not finished (its manifest says "running": it is
    still generating, or it was stopped), else None."""
    path = Path(path)
    manifest_path = path / "manifest.json"
    if not path.is_dir() or (path / SAMPLES_FILE).is_file() or not manifest_path.is_file():
        return None
    try:
        manifest = orjson.loads(manifest_path.read_bytes())
    except orjson.JSONDecodeError:  # being replaced: read again later
        return None
    if manifest.get("status") != "running":
        return None
    return str(manifest.get("config", {}).get("shard_format", "jsonl"))


def finished_shard_lines(run_dir: str | os.PathLike[str], index: int, fmt: str) -> list[bytes] | None:
    """Every line (blank ones too, so they can be numbered) of shard `index` of an unfinished run,
    once the shard is finished; else None."""
    run_dir = Path(run_dir)
    if finished_sidecar(run_dir / "shards", index, fmt) is None:
        return None
    try:
        return list(read_lines(shard_path(run_dir / "shards", index, fmt), fmt))
    except OSError:  # replaced since (repeats are dropped at the end of a run): read it again later
        return None


def _file_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                yield number, line


def iter_sample_lines(path: str | os.PathLike[str]) -> Iterator[bytes]:
    """Every sample line of a run folder or samples file, in order, whatever the shard format."""
    for _, line in sample_lines(path):
        yield line
