"""The first pass over a scene file: line offsets, vocabulary and the multi-image pool.

One streaming pass, with memory bounded by the vocabulary and the pool size, not the input size:
- where the scenes are: the byte offset of every `STRIDE`-th scene and the positions of blank
  lines, so a shard is read by seeking to the checkpoint before it and reading on, and every
  scene's line number is known;
- `id_hashes`: a 64-bit hash of every scene's image id (8 bytes per scene, the only per-scene
  cost), so repeated image ids are found without keeping the ids;
- the Vocabulary (names, attributes, predicates, and name co-occurrence when supported);
- the pool: a uniform sample of at most `pool_size` scenes chosen by the smallest hashes of
  (seed, image id) - a bottom-k sample, so the same scenes are chosen whatever the file order or
  worker count - from which multi-image generators draw partner images through an index.

Lines are only JSON-decoded here; full validation happens in the shard pass, which reports bad
records once, with file, line and field.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import os
from array import array
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
import orjson

from veriscene.generators.vocabulary import Vocabulary

DEFAULT_POOL_SIZE = 4096
STRIDE = 64  # scenes between two stored byte offsets


def stable_hash(*parts: object) -> int:
    """A 64-bit hash stable across processes and PYTHONHASHSEED."""
    digest = hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


@dataclass
class PoolEntry:
    """One pooled scene: its raw JSONL line and what the index needs."""

    line: bytes
    image_id: str
    names: tuple[str, ...]
    attributes: tuple[str, ...]
    predicates: tuple[str, ...]


@dataclass
class ScanResult:
    scenes: int = 0  # non-empty lines
    checkpoints: array = field(default_factory=lambda: array("q"))  # byte offset of scene k * STRIDE
    blank_after: array = field(default_factory=lambda: array("Q"))  # per blank line: scenes before it
    id_hashes: array = field(default_factory=lambda: array("Q"))  # stable hash of image_id, 0 if unreadable
    vocab: Vocabulary = field(default_factory=Vocabulary)
    pool: list[PoolEntry] = field(default_factory=list)
    undecodable: int = 0  # lines that are not JSON objects (reported in the shard pass)

    def line_number(self, scene: int) -> int:
        """1-based line number of scene number `scene` (0-based, blank lines not counted)."""
        return scene + 1 + bisect.bisect_right(self.blank_after, scene)

    def read(self, fh: BinaryIO, start: int, end: int) -> list[tuple[int, bytes]]:
        """(line number, line without newline) of scenes start .. end-1, read from the open file."""
        scene = start - start % STRIDE
        fh.seek(self.checkpoints[scene // STRIDE])
        line_no = self.line_number(scene)
        found: list[tuple[int, bytes]] = []
        while scene < end:
            line = fh.readline()
            if not line:
                raise ValueError(f"{getattr(fh, 'name', 'the scene file')} changed since it was scanned")
            if line.strip():
                if scene >= start:
                    found.append((line_no, line.rstrip(b"\n")))
                scene += 1
            line_no += 1
        return found


def _summary(record: dict[str, Any]) -> tuple[list[str], list[str], list[str]] | None:
    """(names, attribute occurrences, predicates) of a raw scene record, or None if malformed."""
    objects = record.get("objects")
    relations = record.get("relations") or []
    if not isinstance(objects, list) or not isinstance(relations, list):
        return None
    names: list[str] = []
    attrs: list[str] = []
    for obj in objects:
        if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
            return None
        names.append(obj["name"])
        values = obj.get("attributes") or []
        if isinstance(values, list):
            attrs.extend(a for a in values if isinstance(a, str))
    preds = [r[1] for r in relations if isinstance(r, list) and len(r) == 3 and isinstance(r[1], str)]
    return names, attrs, preds


def scan_scenes(path: str | os.PathLike[str], *, seed: int = 0, pool_size: int = DEFAULT_POOL_SIZE) -> ScanResult:
    """One pass over a veriscene JSONL file (see module docstring)."""
    result = ScanResult()
    heap: list[tuple[int, int, PoolEntry]] = []  # (-hash, scene number, entry): the pool_size smallest hashes
    offset = 0
    with open(path, "rb") as fh:
        for line in fh:
            start, offset = offset, offset + len(line)
            if not line.strip():
                result.blank_after.append(result.scenes)
                continue
            number = result.scenes
            result.scenes += 1
            if number % STRIDE == 0:
                result.checkpoints.append(start)
            result.id_hashes.append(0)
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                result.undecodable += 1
                continue
            summary = _summary(record) if isinstance(record, dict) else None
            if summary is None:
                result.undecodable += 1
                continue
            names, attrs, preds = summary
            result.vocab.add_names(names, attrs, preds)
            image_id = str(record.get("image_id"))
            result.id_hashes[number] = stable_hash(image_id) or 1
            if pool_size <= 0:
                continue
            h = stable_hash(seed, image_id)
            if len(heap) < pool_size or -heap[0][0] > h:
                entry = PoolEntry(line.rstrip(b"\n"), image_id, tuple(sorted(set(names))),
                                  tuple(sorted(set(attrs))), tuple(sorted(set(preds))))
                item = (-h, number, entry)
                if len(heap) < pool_size:
                    heapq.heappush(heap, item)
                else:
                    heapq.heapreplace(heap, item)
    # Pool in a deterministic order: by hash.
    result.pool = [entry for _, _, entry in sorted(heap, key=lambda t: (-t[0], t[1]))]
    return result


def later_repeats(hashes: np.ndarray) -> list[tuple[int, int]]:
    """(position, position of its first occurrence) of every nonzero uint64 value equal to an
    earlier one, in order. Memory: one sorted copy of the values while it runs; the positions of
    repeated values are then found by value (repeats are rare)."""
    if len(hashes) < 2:
        return []
    ordered = np.sort(hashes)
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    del ordered
    repeated = repeated[repeated != 0]  # 0: no value (an unreadable line)
    first_seen: dict[int, int] = {}
    found: list[tuple[int, int]] = []
    for k in np.flatnonzero(np.isin(hashes, repeated)).tolist() if len(repeated) else ():
        first = first_seen.setdefault(int(hashes[k]), k)
        if first != k:
            found.append((k, first))
    return found


def duplicate_lines(scan: ScanResult) -> dict[int, str]:
    """Line number -> reason for every scene whose image_id repeats an earlier line's."""
    return {
        scan.line_number(k): f"duplicate image_id (first seen on line {scan.line_number(first)})"
        for k, first in later_repeats(np.frombuffer(scan.id_hashes, dtype=np.uint64))
    }
