"""What the first pass over a scene file finds (`engine.scan`), and reading the file by it.

`ScanResult`: where the scenes are (the byte offset of every `STRIDE`-th scene and the blank
lines, so a shard is read by seeking to the checkpoint before it; `read`), a 64-bit hash of every
scene's image id (`id_hashes`, from which `duplicate_lines` finds repeated image ids), the
vocabulary and the multi-image pool (`PoolEntry`). `ChunkScan` is the same for one chunk of the
file, merged in file order by `ScanResult.add`.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
from array import array
from collections import Counter
from dataclasses import dataclass, field
from itertools import islice
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import numpy as np

from veriscene.generators.vocabulary import Vocabulary
from veriscene.scene.inputs import FileSpan, locate

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
    # the names the scene annotates in full (its ``meta["exhaustive"]``); None: every name
    complete: frozenset[str] | None = None
    source: int = 0  # the input file it comes from (its image path is relative to that file's folder)
    group: str | None = None  # the volume (or clip) it is a slice (or frame) of: `scene_group`


# `meta` keys naming the volume a scene is a slice of (or the clip a frame is of): a multi-image
# group holds one scene of each, or "How many livers in the four images?" counts one liver four times
GROUP_KEYS = ("label_map", "dicom_seg", "dicom_rtstruct", "video")


def scene_group(meta: object) -> str | None:
    """The volume or clip a scene of this `meta` belongs to ("label_map:/data/case_001.nii.gz"),
    None for a scene of its own."""
    if isinstance(meta, dict):
        for key in GROUP_KEYS:
            value = meta.get(key)
            if isinstance(value, str) and value:
                return f"{key}:{value}"
    return None


# `meta` keys the medical readers write (the volume a slice is of); since 0.22.0 they also write
# meta["single"], the names a slice holds once by construction, which counting questions leave out
MEDICAL_KEYS = ("label_map", "dicom_seg", "dicom_rtstruct")


def unmarked_slice(meta: object) -> bool:
    """Whether a scene of this `meta` is a medical reader's slice without ``meta["single"]``
    (converted by a release before 0.22.0: "How many livers?" may be asked of it)."""
    return isinstance(meta, dict) and "single" not in meta and any(key in meta for key in MEDICAL_KEYS)


def unmarked_note(count: int) -> str:
    """The run's note on medical slices converted before `meta["single"]` existed."""
    return (f"{count:,} medical slice scene(s) lack meta['single'] (converted by a release before 0.22.0): "
            "counting questions may ask how many there are of a structure each slice holds once by "
            "construction ('How many livers?'); convert the volumes again with this release")


PoolCandidate = tuple[int, int, int]  # (hash, scene, byte offset); in a chunk's heap (-hash, -scene, offset)


@dataclass
class ChunkScan:
    """What the scan found in one chunk of the file (scene numbers counted from the chunk's start)."""

    starts: array[int] = field(default_factory=lambda: array("q"))  # byte offset of every scene
    blank_after: array[int] = field(default_factory=lambda: array("Q"))  # per blank line: scenes before it
    id_hashes: array[int] = field(default_factory=lambda: array("Q"))  # stable hash of image_id, 0 if unreadable
    vocab: Vocabulary = field(default_factory=Vocabulary)
    # (hash, scene, byte offset), smallest first: the driver reads and indexes the scenes of the
    # pool it keeps, so a chunk's result stays small whatever the pool size
    pool: list[PoolCandidate] = field(default_factory=list)
    undecodable: int = 0
    invalid: int = 0  # records the shard pass rejects (`scan_chunks._rejected`): not in vocab or pool
    # the scene numbers of the records with an image id that generation rejects (invalid, too many
    # objects): a later record of such an image is a duplicate of a record no sample reads
    rejected: array[int] = field(default_factory=lambda: array("q"))
    ignored: Counter[str] = field(default_factory=Counter)  # fields no reader reads: records holding each
    unmarked_slices: int = 0  # medical slices without meta["single"] (`unmarked_slice`)


@dataclass
class Cursor:
    """Where a reader of the scene file stands after `ScanResult.read`: the number of the next
    scene and the line number of the next line."""

    scene: int = -1
    line_no: int = 0


@dataclass
class ScanResult:
    scenes: int = 0  # non-empty lines
    checkpoints: array[int] = field(default_factory=lambda: array("q"))  # byte offset of scene k * STRIDE
    blank_after: array[int] = field(default_factory=lambda: array("Q"))  # per blank line: scenes before it
    id_hashes: array[int] = field(default_factory=lambda: array("Q"))  # stable hash of image_id, 0 if unreadable
    vocab: Vocabulary = field(default_factory=Vocabulary)
    pool: list[PoolEntry] = field(default_factory=list)
    undecodable: int = 0  # lines that are not JSON objects (reported in the shard pass)
    # scene records the shard pass rejects as invalid (reported there): their names, attributes
    # and predicates are not in the vocabulary and they are never pooled
    invalid: int = 0
    rejected: array[int] = field(default_factory=lambda: array("q"))  # `ChunkScan.rejected`, in file order
    # fields of the records that veriscene does not read ("objects[].attribute"): records (objects)
    # holding each, said in the run's notes (a misspelt field is dropped)
    ignored: Counter[str] = field(default_factory=Counter)
    # slices of a medical reader of a release before 0.22.0 (`unmarked_slice`), said in the notes
    unmarked_slices: int = 0
    spans: list[FileSpan] = field(default_factory=list)  # where each input file lies in the input
    # records of an image id read before taken out of the vocabulary (`scan._uncount_repeats`): each
    # image's words counted once, from its first record, as generation reads it
    repeats_uncounted: int = 0

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
        self.invalid += chunk.invalid
        self.rejected.extend(first + k for k in chunk.rejected)
        self.ignored.update(chunk.ignored)
        self.unmarked_slices += chunk.unmarked_slices
        self.vocab.merge(chunk.vocab)
        ours = ((h, first + k, offset) for h, k, offset in chunk.pool)
        return list(islice(first_of_each(heapq.merge(pool, ours)), pool_size))  # both sorted


def first_of_each(candidates: Iterable[PoolCandidate]) -> Iterator[PoolCandidate]:
    """Pool candidates sorted by (hash, scene) without the later ones of an equal hash: the later
    records of an image pooled from an earlier chunk, which generation rejects as duplicates."""
    last = None
    for candidate in candidates:
        if candidate[0] != last:
            last = candidate[0]
            yield candidate


def ignored_note(ignored: Counter[str], shown: int = 5) -> str:
    """The run's note on the fields of its scene records that veriscene does not read (a
    misspelt "attribute" is dropped, not read as attributes), most frequent first."""
    said = []
    for key, count in sorted(ignored.items(), key=lambda kv: (-kv[1], kv[0]))[:shown]:
        unit = "object" if key.startswith("objects[].") else "scene"
        said.append(f"'{key}' ({count:,} {unit}{'s' if count != 1 else ''})")
    more = f" and {len(ignored) - shown} more" if len(ignored) > shown else ""
    return ("scene records hold fields veriscene does not read, left out of the scenes: " + ", ".join(said) + more
            + " (the fields it reads: veriscene.scene.jsonl.SCENE_FIELDS and OBJECT_FIELDS)")


def repeats_note(uncounted: int) -> str:
    """The run's note on the records of an image id read before that the vocabulary does not count
    (`ScanResult.repeats_uncounted`; each is rejected as a "duplicate image_id" too)."""
    return (f"{uncounted:,} scene record{'s' if uncounted != 1 else ''} of an image id read before "
            f"{'were' if uncounted != 1 else 'was'} left out of the vocabulary, as generation leaves them out "
            "(rejects.jsonl: duplicate image_id): each image's words are counted once, from its first record")


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
    line's; the earlier line is named in its own file when the input has several, and said to be
    rejected where it is (`ScanResult.rejected`): then no record of the image is read."""
    found = {}
    rejected = scan.rejected
    for k, first in later_repeats(np.frombuffer(scan.id_hashes, dtype=np.uint64)):
        line = scan.line_number(first)
        if len(scan.spans) > 1:
            path, own = scan.where(line)
            where = f"line {own} of {path}"
        else:
            where = f"line {line}"
        at = bisect.bisect_left(rejected, first)
        if at < len(rejected) and rejected[at] == first:
            where += (", itself rejected: no record of this image is read, and it is in no sample; fix that record, "
                      "or remove it and this one is read")
        found[scan.line_number(k)] = f"duplicate image_id (first seen on {where})"
    return found
