"""The first pass over a scene file: line offsets, vocabulary and the multi-image pool.

One streaming pass, with memory bounded by the vocabulary and the pool size, not the input size:
- where the scenes are: the byte offset of every `STRIDE`-th scene and the positions of blank
  lines, so a shard is read by seeking to the checkpoint before it and reading on, and every
  scene's line number is known;
- `id_hashes`: a 64-bit hash of every scene's image id (8 bytes per scene, the only per-scene
  cost), so repeated image ids are found without keeping the ids;
- the Vocabulary (names, attributes, predicates, and name co-occurrence when supported), each
  image counted once: the chunks count every record they read, and the later records of an image
  id read before, which generation rejects as duplicates, are read again once the file is
  through and taken out (`_uncount_repeats`; said in the run's notes). Before, an image given
  twice (a scene repeated, several annotation files) had its words counted twice: the absent
  names and distractors drawn by frequency leaned toward it;
- the pool: a uniform sample of at most `pool_size` scenes chosen by the smallest hashes of
  (seed, image id) - a bottom-k sample, so the same scenes are chosen whatever the file order or
  worker count - from which multi-image generators draw partner images through an index. An
  image is pooled once, from its first record, as generation reads it: a later record of an
  image id never enters (its hash is the first's). Before, both were pooled, and a partner could
  be a record generation rejected as a duplicate; a pool of a file with repeated ids took other
  partners than that of the file without them. An image whose first record generation rejects
  (invalid, too many objects) is not pooled at all, its later records being duplicates: a chunk
  passes over the later records of an id it saw rejected, and where such a record (its first in
  another chunk) was pooled all the same, the pool is chosen again in a second pass without the
  later records of any image (`scan_chunks.pool_chunk`; only a record that would enter is read
  as a scene), so it is as full as the pool of the file without them. Before, it was one scene
  short for each.

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

Lines are JSON-decoded and read as scenes here (`scene_from_dict`), so a record the shard pass
rejects adds no name, attribute or predicate to the vocabulary (which eval and rewards read as
the data set's words) and is never pooled (`ScanResult.invalid` counts them; about 0.1-0.2 ms a
scene); the shard pass reports bad records once, with file, line and field.

The result types and the duplicate search are in `engine.scan_result`, the work of one scan task
(cutting and scanning a chunk) in `engine.scan_chunks`; their names are imported here too, so they
stay importable from this module.
"""

from __future__ import annotations

import bisect
import heapq
import io
import os
import pickle
import tempfile
from collections import deque
from itertools import count, islice
from typing import Any, Callable, Iterator, Sequence

import orjson

from veriscene.engine.disk_space import writing
from veriscene.generators.vocabulary import Vocabulary
from veriscene.engine.scan_chunks import (
    _PIECE, SCAN_CHUNK_BYTES, _decode, _pool_task, _rejected, _scan_task, _summary, chunk_bounds, copy_chunk,
    pool_chunk, scan_chunk,
)
from veriscene.engine.scan_result import (
    STRIDE, ChunkScan, Cursor, PoolCandidate, PoolEntry, ScanResult, duplicate_lines, first_of_each, later_repeats,
    scene_group, stable_hash,
)
from veriscene.scene.compressed import compression
from veriscene.scene.inputs import FileSpan, SceneStream, input_errors, open_scenes, plain_spans
from veriscene.scene.jsonl import BOM

__all__ = [
    # defined here
    "DEFAULT_POOL_SIZE", "scan_scenes",
    # moved to `scan_result`
    "STRIDE", "ChunkScan", "Cursor", "PoolCandidate", "PoolEntry", "ScanResult", "duplicate_lines", "later_repeats",
    "stable_hash",
    # moved to `scan_chunks`
    "SCAN_CHUNK_BYTES", "_PIECE", "_decode", "_scan_task", "_summary", "chunk_bounds", "copy_chunk", "scan_chunk",
]

DEFAULT_POOL_SIZE = 4096


# what a chunk file in the scan's temporary folder is, said with a full disk (`engine.disk_space`)
_SPOOLED = (", a chunk of the compressed input that the scan copies into the temporary folder (TMPDIR: set it to "
            "a folder on a disk with room to put them there)")


def _pool_entries(paths: list[str], spans: list[FileSpan], offsets: list[int],
                  vocab: Vocabulary | None = None) -> list[PoolEntry]:
    """The pooled scenes, read again at their offsets (they were readable when scanned), in the
    order of `offsets`; the input is read in increasing order (a compressed file is a stream).
    `vocab`: the input's, which knows the names of its closed category lists (`_complete`)."""
    lines: dict[int, bytes] = {}
    starts = [span.start for span in spans]
    with open_scenes(paths, spans) as fh:
        for offset in sorted(set(offsets)):
            fh.seek(offset)
            lines[offset] = fh.readline().rstrip(b"\n").removeprefix(BOM)  # (a file's first line may have one)
    entries = []
    for offset in offsets:
        line = lines[offset]
        source = max(bisect.bisect_right(starts, offset) - 1, 0)
        try:
            record = orjson.loads(line)  # once: its summary, completeness and group all read it
        except orjson.JSONDecodeError:
            record = None
        summary = _summary(record) if isinstance(record, dict) else None
        if summary is None:
            raise ValueError(f"{paths[source]} changed since it was scanned")
        names, attrs, preds = summary
        meta = record.get("meta")
        entries.append(PoolEntry(line, str(record.get("image_id")), tuple(sorted(set(names))),
                                 tuple(sorted(set(attrs))), tuple(sorted(set(preds))), _complete(meta, vocab), source,
                                 scene_group(meta)))
    return entries


def _uncount_repeats(paths: list[str], result: ScanResult, repeats: list[int], max_objects: int = 0) -> int:
    """Take every later record of an image id read before out of the vocabulary, which the chunks
    counted (each saw its own lines only): an image is counted once, from its first record, the
    one generation reads (`duplicate_lines` rejects the later ones), whatever the later records
    say. Only those lines are read again, in file order; one the vocabulary never counted
    (invalid, too many objects) is passed over. `repeats`: their scene numbers, in file order
    (`later_repeats`). How many were taken out (`ScanResult`)."""
    if not repeats:
        return 0
    taken = 0
    cursor = Cursor()
    with open_scenes(paths, result.spans) as fh:
        for k in repeats:
            ((_, line),) = result.read(fh, k, k + 1, cursor)
            decoded = _decode(line)
            if decoded is None:  # (read with an id when scanned)
                raise ValueError(f"{paths[0] if len(paths) == 1 else 'the scene files'} changed since it was scanned")
            _, (names, attrs, preds), _, record = decoded
            if (max_objects and len(names) > max_objects) or _rejected(record):
                continue
            result.vocab.remove_names(names, attrs, preds)
            taken += 1
    return taken


def _complete(meta: object, vocab: Vocabulary | None = None) -> frozenset[str] | None:
    """The names a pooled scene annotates in full (`PoolEntry.complete`), from its record's
    `meta`: its ``meta["exhaustive"]``, else for a scene of a closed category list
    (``meta["category_set"]``: COCO) the names of its set `vocab` knows, where they are not every
    name of the input (`Vocabulary.closed_names`: a partner COCO image is never taken to lack a
    window). A malformed list gives None: such a scene fails validation when parsed, and is never
    drawn."""
    listed = meta.get("exhaustive") if isinstance(meta, dict) else None
    if listed is None and vocab is not None and isinstance(meta, dict):
        set_id = meta.get("category_set")
        return vocab.closed_names(set_id) if isinstance(set_id, str) and set_id else None
    if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
        return None
    return frozenset(listed)


def scan_scenes(path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *, seed: int = 0,
                pool_size: int = DEFAULT_POOL_SIZE, chunk_bytes: int = SCAN_CHUNK_BYTES, workers: int = 1,
                backend: str = "local", address: str | None = None,
                progress: Callable[[int, int], None] | None = None, max_scene_objects: int = 0) -> ScanResult:
    """Scan a veriscene JSONL file, or several read as one input (`veriscene.scene.inputs`; see
    module docstring): chunks on `workers` local processes, or as Ray tasks (`backend="ray"`,
    which are sent the chunk's bytes, not the path). `progress(bytes, total_bytes)` is called as
    each chunk is merged. A scene of more than `max_scene_objects` objects (0: no limit), which
    `generate` rejects, is left out of the vocabulary and the pool (`scan_chunk`)."""
    from veriscene.engine.backends import ordered_map

    paths = [os.fspath(path)] if isinstance(path, (str, os.PathLike)) else [os.fspath(p) for p in path]
    # one plain file: cut by its size, read by the workers themselves; else read here as a stream
    streamed = len(paths) > 1 or compression(paths[0]) is not None
    total = sum(os.path.getsize(p) for p in paths)  # progress counts the files' own bytes
    # (start, end, file bytes read, the chunk's file in `spool` or None) of the chunks handed out
    bounds: deque[tuple[int, int, int, str | None]] = deque()
    spans: list[FileSpan] = [] if streamed else plain_spans(paths[0])

    def tasks(spool: str, first_pass: bool = True) -> Iterator[tuple[str | bytes, int, int, int, int, int | None, int]]:
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
                        with writing(source, _SPOOLED), open(source, "wb") as out:
                            end = copy_chunk(fh, start, out, chunk_bytes)
                    if end == start:
                        if first_pass:
                            spans.extend(stream.spans)
                        return
                    bounds.append((start, end, stream.consumed(), source if isinstance(source, str) else None))
                    at = 0 if isinstance(source, str) else None  # (a spooled chunk: from byte 0)
                    yield source, start, end, seed, pool_size, at, max_scene_objects
                    start = end
        with open(paths[0], "rb") as fh:
            for start, end in chunk_bounds(paths[0], chunk_bytes):
                bounds.append((start, end, end, None))
                if backend == "ray":
                    fh.seek(start)
                    yield fh.read(end - start), start, end, seed, pool_size, None, max_scene_objects
                else:
                    yield paths[0], start, end, seed, pool_size, None, max_scene_objects

    result = ScanResult()
    pool: list[PoolCandidate] = []
    if progress is not None:
        progress(0, total)  # the scan starts
    read = 0
    firsts: list[int] = []  # the number of each chunk's first scene

    def run(fn: Callable[..., Any], in_process: Callable[..., Any],
            chunk_tasks: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, int]]:
        """(`fn(*task)`, file bytes read through the chunk) for the chunk tasks in order, on the
        backend where there may be several chunks, else `in_process(*task)` here; a streamed
        chunk's file is deleted once its result is in."""
        several = streamed or total > chunk_bytes  # more than one chunk, or maybe
        if several and (backend == "ray" or workers > 1):
            found: Iterator[Any] = ordered_map(fn, chunk_tasks, backend=backend, workers=workers, address=address,
                                               resumable=True)  # generate's: --resume goes on
        else:  # in this process, one chunk at a time
            found = (in_process(*task) for task in chunk_tasks)
        for item in found:
            _, _, done, spooled = bounds.popleft()
            if spooled is not None:
                os.unlink(spooled)
            yield item, done

    # a streamed input's chunks wait in `spool` for their tasks (at most 2 x workers at a time)
    with tempfile.TemporaryDirectory(prefix="veriscene-scan-") as spool, input_errors(paths):
        for scanned, done in run(_scan_task, scan_chunk, tasks(spool)):
            chunk: ChunkScan = pickle.loads(scanned) if isinstance(scanned, bytes) else scanned
            firsts.append(result.scenes)
            pool = result.add(chunk, pool, pool_size)
            del chunk, scanned  # not held while the next chunk is scanned
            if progress is not None:
                progress(min(done, total) - read, total)
            read = min(done, total)
        result.spans = spans
        # each image counted once (before the pool is read: its closed names are the vocabulary's)
        import numpy as np

        repeats = [k for k, _ in later_repeats(np.frombuffer(result.id_hashes, dtype=np.uint64))]
        result.repeats_uncounted = _uncount_repeats(paths, result, repeats, max_scene_objects)
        later = set(repeats)
        if any(candidate[1] in later for candidate in pool):
            # a pooled record is the later record of an image whose first was not pooled
            # (invalid): generation rejects both, and the pool is chosen again without the later
            # records, so it is as full as that of the file without them
            skips = _chunk_skips(repeats, firsts, result.scenes)
            pool = []
            chosen = run(_pool_task, pool_chunk, ((*task, skips[i]) for i, task in
                                                   enumerate(tasks(spool, first_pass=False))))
            for i, (candidates, _) in enumerate(chosen):
                ours = ((h, firsts[i] + k, offset) for h, k, offset in candidates)
                pool = list(islice(first_of_each(heapq.merge(pool, ours)), pool_size))
        # by hash, then scene
        result.pool = _pool_entries(paths, spans, [offset for _, _, offset in pool], result.vocab)
    return result


def _chunk_skips(repeats: list[int], firsts: list[int], scenes: int) -> list[frozenset[int]]:
    """The scene numbers in `repeats` (sorted) of each chunk, counted from the chunk's first
    scene (`firsts`: the number of each chunk's first scene; `scenes`: the file's)."""
    skips = []
    for i, first in enumerate(firsts):
        last = firsts[i + 1] if i + 1 < len(firsts) else scenes
        lo, hi = bisect.bisect_left(repeats, first), bisect.bisect_left(repeats, last)
        skips.append(frozenset(k - first for k in repeats[lo:hi]))
    return skips
