"""Reading a run's samples: one place for "a run folder or a samples file".

A run folder holds `samples.jsonl`, or, for runs written with `--shard-format zstd`, compressed
shards listed in its manifest. Every consumer (verify, export, stats, eval, the RL environment)
reads samples through `sample_lines`, so each works on both layouts. Sample image paths are
relative to `samples_root(path)`.

A run that has not finished (still generating, or stopped) has no samples yet, only the shards its
workers finished: `unfinished_format` tells such a run, and `finished_shard_lines` reads a shard
of it once it is whole (its sidecar written and its checksum right).

`check_files` checks a finished run's sample files against its manifest, which records each
shard's sample count and SHA-256: a run copied, uploaded or downloaded in part, or altered since,
is told apart from the run that was made (`verify` does this first).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, NamedTuple, TypeVar

import orjson

from veriscene.engine.codecs import read_lines
from veriscene.engine.manifest import file_sha256, read_manifest
from veriscene.engine.shards import finished_sidecar, shard_path
from veriscene.scene.compressed import CompressedFileError

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
    number = 0
    for part in sample_parts(path, size=None):
        for line in part_lines(part):
            number += 1
            if line.strip():
                yield number, line


class Part(NamedTuple):
    """Sample lines a process can read alone: bytes `start` to `end` of a JSONL file (`end` -1:
    to its end), or a whole shard file (`shard`: its manifest entry)."""

    file: str
    fmt: str
    start: int = 0
    end: int = -1
    shard: dict[str, Any] | None = None


def sample_parts(path: str | os.PathLike[str], size: int | None = 32 << 20) -> list[Part]:
    """The sample lines of a run folder or samples file as `Part`s, in order: a JSONL file cut at
    line ends about every `size` bytes (None: whole), each shard file of a run kept as shards.
    Raises FileNotFoundError naming what was looked for."""
    path = Path(path)
    if path.is_file() or (path / SAMPLES_FILE).is_file():
        file = path if path.is_file() else path / SAMPLES_FILE
        check_jsonl(file)
        return [Part(str(file), "jsonl", start, end) for start, end in _cuts(file, size)]
    manifest = read_manifest(path) or {}  # a corrupt one: DataError naming it
    shards = manifest.get("shards") if manifest.get("status") == "complete" else None
    if not shards:
        raise FileNotFoundError(
            f"{path}: no samples; expected a samples file or a finished run folder holding {SAMPLES_FILE}"
        )
    fmt = manifest["config"].get("shard_format", "jsonl")
    return [Part(str(shard_path(path / "shards", shard["index"], fmt)), fmt, shard=shard) for shard in shards]


def check_jsonl(file: Path) -> None:
    """DataError for a samples file given that is another kind of file a user has beside it: a
    Parquet file (an export, a run's shard), a JSON array (a llava or sharegpt export) or a gzip
    or zstd file, whose every line was reported as 'not valid JSON' (421 lines of a Parquet file)."""
    from veriscene.errors import DataError

    with open(file, "rb") as fh:
        first = fh.readline(64)  # (a samples line is one long object: 64 bytes tell)
    kind = ("a Parquet file" if first[:4] == b"PAR1" else
            "a JSON array (a llava or sharegpt export?)" if first.strip() == b"[" else None)
    if kind:
        raise DataError(f"{file} is {kind}, not a samples file of one JSON sample record a line: give the run folder "
                        f"(or its {SAMPLES_FILE}) the samples were generated in, or exported from")
    packed = "gzip" if first[:2] == b"\x1f\x8b" else "zstd" if first[:4] == b"\x28\xb5\x2f\xfd" else None
    if packed:  # each of its lines was 'not valid JSON (str is not valid UTF-8 ...)'
        tool = "gunzip -k" if packed == "gzip" else "zstd -d"
        raise DataError(f"{file} is {packed}-compressed: samples files are read as plain JSONL; decompress it "
                        f"first ({tool} {file})")


def _cuts(file: Path, size: int | None) -> list[tuple[int, int]]:
    """Byte ranges of `file` of about `size` bytes each, every one ending at a line's end."""
    total = file.stat().st_size
    if size is None or total <= size:
        return [(0, -1)]
    cuts, start = [], 0
    with open(file, "rb") as fh:
        while start < total:
            fh.seek(min(start + size, total))
            if fh.tell() < total:
                fh.readline()  # on to the end of the line the cut falls in
            end = fh.tell()
            cuts.append((start, end))
            start = end
    return cuts


def part_lines(part: Part) -> Iterator[bytes]:
    """The lines of a `Part` (with their newlines, empty ones too). A shard file missing or
    damaged raises FileNotFoundError or ValueError naming it."""
    if part.shard is None:
        with open(part.file, "rb") as fh:
            fh.seek(part.start)
            if part.end < 0:
                yield from fh
                return
            left = part.end - part.start
            for line in fh:
                yield line
                left -= len(line)
                if left <= 0:
                    return
        return
    try:
        yield from read_lines(Path(part.file), part.fmt)
    except FileNotFoundError:
        raise FileNotFoundError(f"{part.file} is missing: the run's manifest lists it (shard {part.shard['index']}, "
                                f"{part.shard.get('samples')} samples)") from None
    except Exception as exc:  # noqa: BLE001 - zstd's, pyarrow's: a file cut short or damaged
        raise CompressedFileError(f"{part.file} cannot be read ({type(exc).__name__}: {exc}): damaged or cut short "
                                  "since the run was made") from exc


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


def iter_sample_lines(path: str | os.PathLike[str]) -> Iterator[bytes]:
    """Every sample line of a run folder or samples file, in order, whatever the shard format."""
    for _, line in sample_lines(path):
        yield line


@dataclass
class FileCheck:
    """A finished run's sample files against its manifest (`check_files`)."""

    shards: int = 0  # the shards the manifest records
    samples: int = 0  # the samples it records
    intact: int = 0  # shards whose samples are all there, with the manifest's checksum
    problems: list[str] = field(default_factory=list)  # what differs, naming the file and shard

    @property
    def ok(self) -> bool:
        return not self.problems


def finished_manifest(path: str | os.PathLike[str]) -> tuple[Path, dict[str, Any]] | None:
    """(run folder, manifest) of the finished run whose folder, or samples file, `path` is; None
    for a samples file alone, a run still going, or a manifest that cannot be read."""
    path = Path(path)
    run = path if path.is_dir() else path.parent
    try:
        manifest = orjson.loads((run / "manifest.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    shards = manifest.get("shards") if isinstance(manifest, dict) and manifest.get("status") == "complete" else None
    if not isinstance(shards, list) or (path.is_file() and path.resolve() != (run / SAMPLES_FILE).resolve()):
        return None
    return run, manifest


def recorded_samples(path: str | os.PathLike[str]) -> int | None:
    """The number of samples the manifest of the finished run at `path` (its folder, or its
    samples file) records, summed over its shards; None when `path` is not a finished run's."""
    found = finished_manifest(path)
    return None if found is None else sum(int(s.get("samples", 0)) for s in found[1]["shards"])


def check_files(path: str | os.PathLike[str]) -> FileCheck | None:
    """The sample files of the finished run at `path` (its folder, or its samples file) checked
    against its manifest: each shard's samples (the lines of `samples.jsonl` it holds, in order,
    or its shard file) must be there, with the SHA-256 the manifest records, and nothing more.
    None when `path` is not a finished run's (a samples file alone, a run still going)."""
    found = finished_manifest(path)
    if found is None:
        return None
    run, manifest = found
    shards = manifest["shards"]
    check = FileCheck(shards=len(shards), samples=sum(int(s.get("samples", 0)) for s in shards))
    fmt = manifest.get("config", {}).get("shard_format", "jsonl")
    if fmt == "jsonl":
        _check_merged(run / SAMPLES_FILE, shards, check)
        return check
    for shard in shards:
        data = shard_path(run / "shards", shard["index"], fmt)
        name = data.relative_to(run).as_posix()
        if not data.is_file():
            check.problems.append(f"{name} is missing (shard {shard['index']}, {shard['samples']} samples)")
        elif file_sha256(data) != shard.get("sha256"):
            check.problems.append(f"{name} differs from the run that was made (its SHA-256 is not the manifest's)")
        else:
            check.intact += 1
    return check


def _check_merged(samples: Path, shards: list[dict[str, Any]], check: FileCheck) -> None:
    """`samples.jsonl`, the shards' lines in order: each shard's lines hashed as the manifest's."""
    if not samples.is_file():
        check.problems.append(f"{SAMPLES_FILE} is missing ({check.samples} samples)")
        return
    line = 0
    with open(samples, "rb") as fh:
        for shard in shards:
            digest, first, wanted = hashlib.sha256(), line + 1, int(shard["samples"])
            for _ in range(wanted):
                text = fh.readline()
                if not text:
                    break
                line += 1
                digest.update(text)
            if line < first - 1 + wanted:
                check.problems.append(f"{SAMPLES_FILE} ends at line {line}, in shard {shard['index']}: "
                                      f"{check.samples - line} of the manifest's {check.samples} samples are missing")
                return
            if digest.hexdigest() != shard.get("sha256"):
                check.problems.append(f"{SAMPLES_FILE} lines {first}-{line} (shard {shard['index']}) differ from the "
                                      "run that was made (their SHA-256 is not the manifest's)")
            else:
                check.intact += 1
        extra = sum(1 for text in fh if text.strip())
    if extra:
        check.problems.append(f"{SAMPLES_FILE} holds {extra} line(s) after the manifest's {check.samples} samples")
