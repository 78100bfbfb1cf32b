"""The dataset card's facts about the scene graphs a run was made from: one streamed pass over the
scene files the manifest names (when they are there and their sha256 is the recorded one), counting
scenes annotated only in part (`meta.sparse`), with exhaustive names, crowd or stuff regions,
radiological orientation, and the annotation format each was converted from. Each file is read
once, for both its sha256 and its facts (`veriscene.card.card_facts` calls `scene_facts`).
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

import orjson

from veriscene.engine.manifest import input_file, scene_inputs
from veriscene.scene.compressed import CompressedFileError, compression, decompressing, read_errors
from veriscene.scene.model import RADIOLOGICAL, REGION_KEYS, SPARSE_KINDS


@dataclass
class SceneFacts:
    """What the scene graphs say about their own annotation, counted over the scenes file."""

    path: str  # as the manifest names it, relative to the run folder (or "N files, ...")
    scenes: int = 0
    unreadable: int = 0
    sparse: Counter[str] = field(default_factory=Counter)  # kind ("attributes", "relations") -> scenes
    exhaustive: int = 0  # scenes listing the names annotated in full (`meta.exhaustive`)
    regions: Counter[str] = field(default_factory=Counter)  # "crowd" / "stuff" -> scenes with such regions
    radiological: int = 0
    sources: Counter[str] = field(default_factory=Counter)  # annotation format converted from -> scenes

    def add_line(self, line: bytes) -> None:
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            self.unreadable += 1
            return
        meta = record.get("meta") if isinstance(record, dict) else None
        if not isinstance(record, dict) or not isinstance(meta, (dict, type(None))):
            self.unreadable += 1
            return
        self.scenes += 1
        meta = meta or {}
        sparse = meta.get("sparse") or ()
        self.sparse.update(k for k in SPARSE_KINDS if k in sparse)
        self.exhaustive += meta.get("exhaustive") is not None
        self.regions.update(k for k in REGION_KEYS if meta.get(k))
        self.radiological += meta.get("orientation") == RADIOLOGICAL
        if isinstance(meta.get("source_format"), str):
            self.sources[meta["source_format"]] += 1


class _Hashed(io.RawIOBase):
    """A file's bytes as stored, hashed (sha256) as they are read: the card reads a scene file
    once for both its sha256 and its facts, decompressed or not."""

    def __init__(self, raw: io.BufferedIOBase) -> None:
        self._raw, self._sha256, self._pos = raw, hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True  # to where it stands only (a decompressor notes its start)

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if (offset, whence) not in ((self._pos, io.SEEK_SET), (0, io.SEEK_CUR)):
            raise io.UnsupportedOperation("a file read once for its sha256 is not seeked in")
        return self._pos

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)
        if n:
            self._sha256.update(memoryview(buffer)[:n])
            self._pos += n
        return n

    def hexdigest(self) -> str:
        """The sha256 of the whole file (the bytes no reader asked for are read now)."""
        while block := self._raw.read(1 << 20):
            self._sha256.update(block)
        return self._sha256.hexdigest()


def _count_facts(facts: SceneFacts, path: Path, sha256: str | None) -> bool:
    """Add the facts of the scene file at `path` (compressed or not); False if its sha256 as
    stored is not `sha256` (then a file that cannot be decompressed to its end is no error: it is
    not the run's file, which the card says)."""
    kind = compression(path)
    with open(path, "rb") as raw:
        hashed = _Hashed(raw)
        try:
            source = cast(BinaryIO, hashed)  # (`decompressing` reads it as any binary file: read, readinto)
            with read_errors(path), (decompressing(source, kind) if kind else io.BufferedReader(hashed, 1 << 20)) as fh:
                for line in fh:
                    if line.strip():
                        facts.add_line(line)
        except CompressedFileError:
            if hashed.hexdigest() == sha256:
                raise
            return False
        return hashed.hexdigest() == sha256


def scene_facts(run_dir: Path, config: dict[str, Any]) -> tuple[SceneFacts | None, str]:
    """(facts, "") from the scene files of a run's config, or (None, why there are none). Each
    file is read once, for its sha256 and its facts."""
    inputs = scene_inputs(config)
    files = []
    for entry in inputs:
        try:
            file = input_file(run_dir, entry["path"])
        except (FileNotFoundError, RuntimeError) as exc:  # at a URL: gone, or out of reach
            return None, f"the scenes file the manifest names (`{entry['path']}`) could not be read ({exc})"
        if not file.is_file():
            return None, f"the scenes file the manifest names (`{entry['path']}`) was not found beside the run"
        files.append(file)
    label = str(inputs[0]["path"]) if len(inputs) == 1 else f"{len(inputs)} files, `{inputs[0]['path']}` to `{inputs[-1]['path']}`"
    facts = SceneFacts(label)
    for entry, file in zip(inputs, files):
        if not _count_facts(facts, file, entry.get("sha256")):
            return None, (f"the scenes file at `{entry['path']}` is not the one the run was made from "
                          "(its sha256 differs from the manifest's)")
    return facts, ""
