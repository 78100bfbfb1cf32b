"""What one scan task does: cut the scene file into chunks (`chunk_bounds`; `copy_chunk` for a
stream, e.g. a compressed file) and scan one chunk (`scan_chunk`): line offsets, image id hashes,
vocabulary and the chunk's pool candidates (the `pool_size` smallest hashes of (seed, image id)).

`_scan_task` is the function the scan's workers run (local processes or Ray tasks, by module
path); `engine.scan.scan_scenes` hands the chunks out and merges the results.
"""

from __future__ import annotations

import heapq
import io
import os
import pickle
from collections import Counter
from itertools import chain
from typing import Any, BinaryIO, Collection

import orjson

from veriscene.engine.scan_result import ChunkScan, PoolCandidate, stable_hash, unmarked_slice
from veriscene.errors import SceneValidationError
from veriscene.scene.jsonl import OBJECT_FIELDS, SCENE_FIELDS, loads_line, scene_from_dict

SCAN_CHUNK_BYTES = 64 << 20  # bytes of the file per scan task (see the docstring of `engine.scan`)
_PIECE = 1 << 20  # bytes copied at a time from a compressed file to a chunk


def _decode(line: bytes, chunk: ChunkScan | None = None
            ) -> tuple[str, tuple[list[str], list[str], list[str]], Any, dict[str, Any]] | None:
    """(image id, `_summary`, meta, the record) of a raw scene line, or None if it is not a
    readable scene record; the fields it holds that no part of veriscene reads are counted in
    `chunk.ignored`, a medical slice of an earlier release in `chunk.unmarked_slices`."""
    try:
        record = loads_line(line)
    except orjson.JSONDecodeError:
        return None
    summary = _summary(record) if isinstance(record, dict) else None
    if summary is None:
        return None
    if chunk is not None:
        _count_ignored(record, chunk.ignored)
        chunk.unmarked_slices += unmarked_slice(record.get("meta"))
    return str(record.get("image_id")), summary, record.get("meta"), record


def _rejected(record: dict[str, Any]) -> bool:
    """Whether the shard pass rejects this record (`scene_from_dict` refuses it: a bad box, a
    relation to no object...): its names, attributes and predicates must not enter the
    vocabulary, which rewards and eval read as the words of the data set's kept scenes."""
    try:
        scene_from_dict(record)
    except SceneValidationError:
        return True
    return False


# how the scan counts a category list it does not read (`ChunkScan.ignored`, said in the run's notes)
BAD_CATEGORY_LIST = "meta.categories (not the list its meta.category_set names)"


def _add_categories(chunk: ChunkScan, meta: Any, names: list[str]) -> None:
    """Record the names of a scene of a closed category list as its set's
    (`Vocabulary.add_set_scene`); a list that is not its set's is left out and counted
    (`BAD_CATEGORY_LIST`)."""
    if not chunk.vocab.add_set_scene(meta, names):
        chunk.ignored[BAD_CATEGORY_LIST] += 1


def _count_ignored(record: dict[str, Any], ignored: Counter[str]) -> None:
    """Count the record's fields that `scene_from_dict` does not read (a misspelt "attribute",
    a producer's own "score"): they are dropped, and the run says so (`ScanResult.ignored`)."""
    if not SCENE_FIELDS.issuperset(record):
        ignored.update(key for key in record if key not in SCENE_FIELDS)
    objects = record["objects"]  # (every one a dict: `_summary` checked)
    if not OBJECT_FIELDS.issuperset(chain.from_iterable(objects)):  # all their keys, in one call
        ignored.update(f"objects[].{key}" for obj in objects for key in obj if key not in OBJECT_FIELDS)


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


def chunk_bounds(path: str | os.PathLike[str], chunk_bytes: int = SCAN_CHUNK_BYTES) -> list[tuple[int, int]]:
    """(start, end) byte ranges covering the file, each ending at the first line end at or after
    a multiple of `chunk_bytes` (or at the end of the file)."""
    if chunk_bytes < 1:
        raise ValueError(f"scan chunk size must be at least 1 byte, got {chunk_bytes}")
    size = os.path.getsize(path)
    bounds: list[tuple[int, int]] = []
    start = 0
    with open(path, "rb") as fh:
        while start < size:
            cut = (start // chunk_bytes + 1) * chunk_bytes
            if cut >= size:
                end = size
            else:
                fh.seek(cut - 1)
                fh.readline()  # to just after the line end at or after byte cut - 1
                end = fh.tell()
            bounds.append((start, end))
            start = end
    return bounds


def copy_chunk(fh: BinaryIO, start: int, out: BinaryIO, chunk_bytes: int = SCAN_CHUNK_BYTES) -> int:
    """Copy the chunk of a stream that starts at byte `start` (where `fh` stands) to `out`, a
    piece at a time; returns its end, `start` at the end of the stream. The chunks are the ranges
    `chunk_bounds` gives for a file of the stream's bytes, found by reading on (a compressed scene
    file has no size to seek in)."""
    if chunk_bytes < 1:
        raise ValueError(f"scan chunk size must be at least 1 byte, got {chunk_bytes}")
    wanted = (start // chunk_bytes + 1) * chunk_bytes - 1 - start  # then on to the line end
    copied = 0
    while copied < wanted:
        piece = fh.read(min(_PIECE, wanted - copied))
        if not piece:
            return start + copied
        out.write(piece)
        copied += len(piece)
    rest = fh.readline()
    out.write(rest)
    return start + copied + len(rest)


def scan_chunk(source: str | bytes, start: int, end: int, seed: int, pool_size: int, at: int | None = None,
               max_objects: int = 0) -> ChunkScan:
    """Scan bytes start .. end of the scene file: `source` is its path, or those bytes (for
    workers without the file, e.g. on a Ray cluster), or a file holding them from byte `at` on
    (a chunk of a compressed scene file, decompressed by the driver). A scene of more than
    `max_objects` objects (0: no limit), which the shard pass rejects, adds nothing to the
    vocabulary and is never pooled; its image id counts for repeats, as a bad record's does. So
    does a record the shard pass rejects as invalid (`_rejected`, counted in `chunk.invalid`)."""
    chunk = ChunkScan()
    heap: list[PoolCandidate] = []  # (-hash, -scene, offset): the pool_size smallest (hash, scene)
    pooled: set[int] = set()  # their hashes: a later record of an image in the heap never enters
    # the pool hashes of the records generation rejects that have an image id (too many objects,
    # invalid): a later record of theirs, rejected as a duplicate, never enters either
    blocked: set[int] = set()
    with (io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")) as fh:
        if not isinstance(source, bytes):
            fh.seek(start if at is None else at)
        offset = start
        for line in fh:
            if offset >= end:
                break
            line_start, offset = offset, offset + len(line)
            if not line.strip():
                chunk.blank_after.append(len(chunk.starts))
                continue
            number = len(chunk.starts)
            chunk.starts.append(line_start)
            chunk.id_hashes.append(0)
            decoded = _decode(line, chunk)
            if decoded is None:
                chunk.undecodable += 1
                continue
            image_id, (names, attrs, preds), meta, record = decoded
            chunk.id_hashes[number] = stable_hash(image_id) or 1
            oversized = bool(max_objects) and len(names) > max_objects  # one name per object (`_summary`)
            if oversized or _rejected(record):  # (an oversized scene is not read as one)
                chunk.rejected.append(number)
                chunk.invalid += not oversized
                if pool_size > 0:
                    blocked.add(stable_hash(seed, image_id))
                continue
            chunk.vocab.add_names(names, attrs, preds)
            if isinstance(meta, dict) and "category_set" in meta:
                _add_categories(chunk, meta, names)
            if pool_size <= 0:
                continue
            h = stable_hash(seed, image_id)
            # a later scene with an equal hash never enters: generation rejects it as a duplicate
            if h not in pooled and (len(heap) < pool_size or -heap[0][0] > h) and h not in blocked:
                _enter(heap, pooled, pool_size, (-h, -number, line_start))
    chunk.pool = sorted((-h, -k, offset) for h, k, offset in heap)
    return chunk


def pool_chunk(source: str | bytes, start: int, end: int, seed: int, pool_size: int, at: int | None = None,
               max_objects: int = 0, skip: Collection[int] = ()) -> list[PoolCandidate]:
    """The chunk's pool candidates (as `scan_chunk`'s, scene numbers counted from the chunk's
    start) without the scenes numbered in `skip`: the later records of an image id read before,
    found once the whole file is scanned (`scan._refill_pool`). Only a record that would enter
    is read as a scene (validated)."""
    heap: list[PoolCandidate] = []  # (-hash, -scene, offset), as in `scan_chunk`
    pooled: set[int] = set()  # their hashes (two image ids of one hash: the first enters, as there)
    if pool_size <= 0:
        return []
    with (io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")) as fh:
        if not isinstance(source, bytes):
            fh.seek(start if at is None else at)
        offset, number = start, -1
        for line in fh:
            if offset >= end:
                break
            line_start, offset = offset, offset + len(line)
            if not line.strip():
                continue
            number += 1
            if number in skip:
                continue
            decoded = _decode(line)
            if decoded is None:
                continue
            image_id, (names, _, _), _, record = decoded
            h = stable_hash(seed, image_id)
            if h in pooled or (len(heap) == pool_size and -heap[0][0] <= h):
                continue
            if (max_objects and len(names) > max_objects) or _rejected(record):
                continue
            _enter(heap, pooled, pool_size, (-h, -number, line_start))
    return sorted((-h, -k, offset) for h, k, offset in heap)


def _enter(heap: list[PoolCandidate], pooled: set[int], pool_size: int, item: PoolCandidate) -> None:
    """`item` (-hash, -scene, offset) into the pool `heap` of at most `pool_size` (the largest
    hash out when it is full) and `pooled`, the hashes it holds; the caller has checked it enters."""
    if len(heap) < pool_size:
        heapq.heappush(heap, item)
    else:
        pooled.discard(-heapq.heapreplace(heap, item)[0])
    pooled.add(-item[0])


def _pool_task(source: str | bytes, start: int, end: int, seed: int, pool_size: int, at: int | None = None,
               max_objects: int = 0, skip: Collection[int] = ()) -> list[PoolCandidate]:
    """`pool_chunk` in a worker (the scan's second pass, `scan._refill_pool`)."""
    return pool_chunk(source, start, end, seed, pool_size, at, max_objects, skip)


def _scan_task(source: str | bytes, start: int, end: int, seed: int, pool_size: int, at: int | None = None,
               max_objects: int = 0) -> bytes:
    """`scan_chunk` in a worker, its result pickled: the driver holds finished chunks waiting for
    their turn as bytes (about a sixth of their size as objects), and unpickles one at a time."""
    return pickle.dumps(scan_chunk(source, start, end, seed, pool_size, at, max_objects),
                        protocol=pickle.HIGHEST_PROTOCOL)
