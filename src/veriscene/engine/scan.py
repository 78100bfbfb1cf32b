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

The file is scanned in chunks of about `chunk_bytes` (cut at the first line end after each
multiple of it, so the chunks depend only on the file), on the run's backend: each chunk is
scanned alone and the chunk results are merged in file order. The merge is exact for everything
but co-occurrence rows that reach the cut (see `Vocabulary.merge`), and it is the same whatever
the worker count or backend, since the chunks are. A file smaller than one chunk is one chunk.

A compressed scene file (`veriscene.scene.compressed`) has no size to cut at and cannot be seeked
in, and an input of several files (`veriscene.scene.inputs`) is read as their concatenation: the
driver reads it once (decompressing), cuts the same chunks from the stream (`copy_chunk`; offsets
count decompressed bytes in the concatenation, so the result is that of the one plain file they
make), and hands each to its task through a temporary file (local workers, or this process) or as
bytes (Ray); it learns where each file lies on the way (`ScanResult.spans`), and the pool's lines
are then read again in increasing order.

Lines are only JSON-decoded here; full validation happens in the shard pass, which reports bad
records once, with file, line and field.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import io
import os
import pickle
import tempfile
from array import array
from collections import deque
from dataclasses import dataclass, field
from itertools import count, islice
from typing import Any, BinaryIO, Callable, Iterator, Sequence

import numpy as np
import orjson

from veriscene.generators.vocabulary import Vocabulary
from veriscene.scene.compressed import compression
from veriscene.scene.inputs import FileSpan, SceneStream, input_errors, locate, open_scenes, plain_spans
from veriscene.scene.jsonl import BOM, loads_line

DEFAULT_POOL_SIZE = 4096
STRIDE = 64  # scenes between two stored byte offsets
SCAN_CHUNK_BYTES = 64 << 20  # bytes of the file per scan task (see module docstring)
_PIECE = 1 << 20  # bytes copied at a time from a compressed file to a chunk


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
    # the names the scene annotates in full (its ``meta["exhaustive"]``); None: every name
    complete: frozenset[str] | None = None
    source: int = 0  # the input file it comes from (its image path is relative to that file's folder)


PoolCandidate = tuple[int, int, int]  # (hash, scene, byte offset); in a chunk's heap (-hash, -scene, offset)


@dataclass
class ChunkScan:
    """What the scan found in one chunk of the file (scene numbers counted from the chunk's start)."""

    starts: array = field(default_factory=lambda: array("q"))  # byte offset of every scene
    blank_after: array = field(default_factory=lambda: array("Q"))  # per blank line: scenes before it
    id_hashes: array = field(default_factory=lambda: array("Q"))  # stable hash of image_id, 0 if unreadable
    vocab: Vocabulary = field(default_factory=Vocabulary)
    # (hash, scene, byte offset), smallest first: the driver reads and indexes the scenes of the
    # pool it keeps, so a chunk's result stays small whatever the pool size
    pool: list[PoolCandidate] = field(default_factory=list)
    undecodable: int = 0


@dataclass
class Cursor:
    """Where a reader of the scene file stands after `ScanResult.read`: the number of the next
    scene and the line number of the next line."""

    scene: int = -1
    line_no: int = 0


@dataclass
class ScanResult:
    scenes: int = 0  # non-empty lines
    checkpoints: array = field(default_factory=lambda: array("q"))  # byte offset of scene k * STRIDE
    blank_after: array = field(default_factory=lambda: array("Q"))  # per blank line: scenes before it
    id_hashes: array = field(default_factory=lambda: array("Q"))  # stable hash of image_id, 0 if unreadable
    vocab: Vocabulary = field(default_factory=Vocabulary)
    pool: list[PoolEntry] = field(default_factory=list)
    undecodable: int = 0  # lines that are not JSON objects (reported in the shard pass)
    spans: list[FileSpan] = field(default_factory=list)  # where each input file lies in the input

    def where(self, line_no: int) -> tuple[str, int]:
        """(file, its own line number) of line `line_no` of the input."""
        return locate(self.spans, line_no)

    def line_number(self, scene: int) -> int:
        """1-based line number of scene number `scene` (0-based, blank lines not counted)."""
        return scene + 1 + bisect.bisect_right(self.blank_after, scene)

    def read(self, fh: BinaryIO, start: int, end: int, cursor: Cursor | None = None) -> list[tuple[int, bytes]]:
        """(line number, line without newline) of scenes start .. end-1, read from the open file:
        from the checkpoint before `start`, or, with a `cursor` standing between that checkpoint
        and `start`, from where the last read stopped. Reading shards in order with a cursor
        never seeks backward (a compressed file would be decompressed again from its top)."""
        scene = start - start % STRIDE
        if cursor is not None and scene <= cursor.scene <= start:
            scene, line_no = cursor.scene, cursor.line_no  # read on
        else:
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
        if cursor is not None:
            cursor.scene, cursor.line_no = scene, line_no
        return found

    def add(self, chunk: ChunkScan, pool: list[PoolCandidate], pool_size: int) -> list[PoolCandidate]:
        """Append the next chunk of the file; returns the pool so far as (hash, scene, offset),
        smallest first (`pool` is the one returned for the chunk before)."""
        first = self.scenes
        self.checkpoints.extend(chunk.starts[-first % STRIDE::STRIDE])
        self.blank_after.extend(first + k for k in chunk.blank_after)
        self.id_hashes.extend(chunk.id_hashes)
        self.scenes += len(chunk.starts)
        self.undecodable += chunk.undecodable
        self.vocab.merge(chunk.vocab)
        ours = ((h, first + k, offset) for h, k, offset in chunk.pool)
        return list(islice(heapq.merge(pool, ours), pool_size))  # both sorted


def _decode(line: bytes) -> tuple[str, tuple[list[str], list[str], list[str]]] | None:
    """(image id, `_summary`) of a raw scene line, or None if it is not a readable scene record."""
    try:
        record = loads_line(line)
    except orjson.JSONDecodeError:
        return None
    summary = _summary(record) if isinstance(record, dict) else None
    return None if summary is None else (str(record.get("image_id")), summary)


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


def scan_chunk(source: str | bytes, start: int, end: int, seed: int, pool_size: int, at: int | None = None) -> ChunkScan:
    """Scan bytes start .. end of the scene file: `source` is its path, or those bytes (for
    workers without the file, e.g. on a Ray cluster), or a file holding them from byte `at` on
    (a chunk of a compressed scene file, decompressed by the driver)."""
    chunk = ChunkScan()
    heap: list[PoolCandidate] = []  # (-hash, -scene, offset): the pool_size smallest (hash, scene)
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
            decoded = _decode(line)
            if decoded is None:
                chunk.undecodable += 1
                continue
            image_id, (names, attrs, preds) = decoded
            chunk.vocab.add_names(names, attrs, preds)
            chunk.id_hashes[number] = stable_hash(image_id) or 1
            if pool_size <= 0:
                continue
            h = stable_hash(seed, image_id)
            if len(heap) < pool_size or -heap[0][0] > h:  # a later scene with an equal hash never enters
                item = (-h, -number, line_start)
                if len(heap) < pool_size:
                    heapq.heappush(heap, item)
                else:
                    heapq.heapreplace(heap, item)
    chunk.pool = sorted((-h, -k, offset) for h, k, offset in heap)
    return chunk


def _pool_entries(paths: list[str], spans: list[FileSpan], offsets: list[int]) -> list[PoolEntry]:
    """The pooled scenes, read again at their offsets (they were readable when scanned), in the
    order of `offsets`; the input is read in increasing order (a compressed file is a stream)."""
    lines: dict[int, bytes] = {}
    starts = [span.start for span in spans]
    with open_scenes(paths, spans) as fh:
        for offset in sorted(set(offsets)):
            fh.seek(offset)
            lines[offset] = fh.readline().rstrip(b"\n").removeprefix(BOM)  # (a file's first line may have one)
    entries = []
    for offset in offsets:
        line = lines[offset]
        decoded = _decode(line)
        source = max(bisect.bisect_right(starts, offset) - 1, 0)
        if decoded is None:
            raise ValueError(f"{paths[source]} changed since it was scanned")
        image_id, (names, attrs, preds) = decoded
        entries.append(PoolEntry(line, image_id, tuple(sorted(set(names))), tuple(sorted(set(attrs))),
                                 tuple(sorted(set(preds))), _complete(line), source))
    return entries


def _complete(line: bytes) -> frozenset[str] | None:
    """The names a pooled scene annotates in full (`PoolEntry.complete`). A malformed list gives
    None: such a scene fails validation when parsed, and is never drawn."""
    meta = orjson.loads(line).get("meta")
    listed = meta.get("exhaustive") if isinstance(meta, dict) else None
    if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
        return None
    return frozenset(listed)


def _scan_task(source: str | bytes, start: int, end: int, seed: int, pool_size: int, at: int | None = None) -> bytes:
    """`scan_chunk` in a worker, its result pickled: the driver holds finished chunks waiting for
    their turn as bytes (about a sixth of their size as objects), and unpickles one at a time."""
    return pickle.dumps(scan_chunk(source, start, end, seed, pool_size, at), protocol=pickle.HIGHEST_PROTOCOL)


def scan_scenes(path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *, seed: int = 0,
                pool_size: int = DEFAULT_POOL_SIZE, chunk_bytes: int = SCAN_CHUNK_BYTES, workers: int = 1,
                backend: str = "local", address: str | None = None,
                progress: Callable[[int, int], None] | None = None) -> ScanResult:
    """Scan a veriscene JSONL file, or several read as one input (`veriscene.scene.inputs`; see
    module docstring): chunks on `workers` local processes, or as Ray tasks (`backend="ray"`,
    which are sent the chunk's bytes, not the path). `progress(bytes, total_bytes)` is called as
    each chunk is merged."""
    from veriscene.engine.backends import ordered_map

    paths = [os.fspath(path)] if isinstance(path, (str, os.PathLike)) else [os.fspath(p) for p in path]
    # one plain file: cut by its size, read by the workers themselves; else read here as a stream
    streamed = len(paths) > 1 or compression(paths[0]) is not None
    total = sum(os.path.getsize(p) for p in paths)  # progress counts the files' own bytes
    # (start, end, file bytes read, the chunk's file in `spool` or None) of the chunks handed out
    bounds: deque[tuple[int, int, int, str | None]] = deque()
    spans: list[FileSpan] = [] if streamed else plain_spans(paths[0])

    def tasks(spool: str) -> Iterator[tuple[str | bytes, int, int, int, int, int | None]]:
        if streamed:  # a chunk's bytes sent to Ray, or put in a file
            with SceneStream(paths) as stream, io.BufferedReader(stream, buffer_size=_PIECE) as fh:
                start = 0
                for number in count():
                    if backend == "ray":
                        buffer = io.BytesIO()
                        end = copy_chunk(fh, start, buffer, chunk_bytes)
                        source: str | bytes = buffer.getvalue()
                    else:
                        source = os.path.join(spool, f"chunk-{number}")
                        with open(source, "wb") as out:
                            end = copy_chunk(fh, start, out, chunk_bytes)
                    if end == start:
                        spans.extend(stream.spans)
                        return
                    bounds.append((start, end, stream.consumed(), source if isinstance(source, str) else None))
                    yield source, start, end, seed, pool_size, 0 if isinstance(source, str) else None
                    start = end
        with open(paths[0], "rb") as fh:
            for start, end in chunk_bounds(paths[0], chunk_bytes):
                bounds.append((start, end, end, None))
                if backend == "ray":
                    fh.seek(start)
                    yield fh.read(end - start), start, end, seed, pool_size, None
                else:
                    yield paths[0], start, end, seed, pool_size, None

    result = ScanResult()
    pool: list[PoolCandidate] = []
    if progress is not None:
        progress(0, total)  # the scan starts
    read = 0
    # a streamed input's chunks wait in `spool` for their tasks (at most 2 x workers at a time)
    with tempfile.TemporaryDirectory(prefix="veriscene-scan-") as spool, input_errors(paths):
        several = streamed or total > chunk_bytes  # more than one chunk, or maybe
        if several and (backend == "ray" or workers > 1):
            chunks: Iterator[ChunkScan] = map(pickle.loads, ordered_map(
                _scan_task, tasks(spool), backend=backend, workers=workers, address=address))
        else:  # in this process, one chunk at a time
            chunks = (scan_chunk(*task) for task in tasks(spool))
        for chunk in chunks:
            _, _, done, spooled = bounds.popleft()
            if spooled is not None:
                os.unlink(spooled)
            pool = result.add(chunk, pool, pool_size)
            del chunk  # not held while the next chunk is scanned
            if progress is not None:
                progress(min(done, total) - read, total)
            read = min(done, total)
        result.spans = spans
        result.pool = _pool_entries(paths, spans, [offset for _, _, offset in pool])  # by hash, then scene
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
    """Line number (in the input) -> reason for every scene whose image_id repeats an earlier
    line's; the earlier line is named in its own file when the input has several."""
    found = {}
    for k, first in later_repeats(np.frombuffer(scan.id_hashes, dtype=np.uint64)):
        line = scan.line_number(first)
        if len(scan.spans) > 1:
            path, own = scan.where(line)
            where = f"line {own} of {path}"
        else:
            where = f"line {line}"
        found[scan.line_number(k)] = f"duplicate image_id (first seen on {where})"
    return found
