"""The scenes of chosen image ids, found where their lines start in the scene files and parsed
again when a block of replies needs them: free-form scoring of an evaluation
(`api.score_described`) reads every scene once (for the vocabulary, the lines that are no scene,
the repeats) and holds, of each described image's scene, 16 bytes (a hash of its image id, and
its file and where its line starts), not the scene. (Before, every described image's scene was
held parsed for the whole scoring, growing with the run: about 75 of the 409 MiB `eval --freeform
lexical` of every description of 10,000 demo scenes peaked at.)

The scene an image id is scored against is the one `scene_map.load_scene_map` keeps: the first
valid scene of the id, the files read in order as `scene.jsonl.read_scenes` reads them (a line
that is no scene reported in `rejected` and passed over, so a later valid line of the id is the
one); the later scenes of an id are returned as `RepeatedScene`s. A compressed file cannot be
seeked in: the lines kept of it are copied to a temporary file as it is read. The scenes parsed
last are kept (`LRU`): the descriptions of one scene are together, one block's last and the
next's first.
"""

from __future__ import annotations

import tempfile
from array import array
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from itertools import groupby
from pathlib import Path
from typing import IO

import numpy as np
import orjson

from veriscene.errors import SceneValidationError
from veriscene.evaluate.freeform.scene_map import RepeatedScene
from veriscene.scene.compressed import compression
from veriscene.scene.inputs import scene_paths
from veriscene.scene.jsonl import BOM, scene_from_dict, scene_lines
from veriscene.scene.model import Scene

LRU = 128  # scenes kept parsed past the block that read them
COPY = -1  # the file number of the temporary copy of compressed files' lines


def _scene_lines(file: Path, rejected: list[str] | None) -> Iterator[tuple[Scene, bytes, int]]:
    """(scene, its line, where the line starts in the file's bytes, decompressed) of each valid
    scene of `file` (`scene.jsonl.scene_lines`): a line that is no scene raises the
    SceneValidationError naming file, line and field, or, with `rejected`, is appended to it."""
    return scene_lines(file, None if rejected is None else (lambda error: rejected.append(str(error))))


class LocatedScenes:
    """Where the first valid scene of each image id of `keep` starts in the scene files `files` (a
    file, a folder, a glob pattern or a list of them, read in `scene_paths` order), found in one
    pass that calls `each` with the first valid scene of every image id and collects the later
    ones in `repeated`; `find` parses them again."""

    def __init__(self, files: object, keep: Collection[str], rejected: list[str] | None = None,
                 each: Callable[[Scene], None] | None = None) -> None:
        # FileNotFoundError / ValueError naming what is missing or given twice; a run's manifest may name none
        self.files = scene_paths(files) if not isinstance(files, (list, tuple)) or files else []
        self._keep = keep
        self._copy: IO[bytes] | None = None
        self._searched: set[str] = set()  # ids outside `keep` looked for since (`find(search=True)`)
        self._hashes = np.empty(0, np.int64)  # hash() of the image ids, sorted (this process's: never stored)
        self._where = np.empty(0, np.int64)  # file number (COPY: the copy) << 48 | where its line starts
        self._parsed: OrderedDict[str, Scene] = OrderedDict()
        self.repeated = self._locate(keep, rejected, each)

    def _locate(self, keep: Collection[str], rejected: list[str] | None,
                each: Callable[[Scene], None] | None) -> list[RepeatedScene]:
        """One pass over the files: the first valid scene of each id of `keep` added to the index."""
        hashes, where = array("q"), array("q")
        origin: dict[str, str] = {}  # every image id read -> its file (`scene_map._first_of_each`)
        repeated = []
        for number, file in enumerate(self.files):
            plain, source = compression(file) is None and file.is_file(), str(file)
            for scene, line, start in _scene_lines(file, rejected):
                image_id = scene.image_id
                if image_id in origin:
                    repeated.append(RepeatedScene(image_id, origin[image_id], source))
                    continue
                origin[image_id] = source
                if each is not None:
                    each(scene)
                if image_id in keep:
                    hashes.append(hash(image_id))
                    where.append((number << 48) | start if plain else (COPY << 48) | self._copied(line))
        if len(hashes):
            all_hashes = np.concatenate([self._hashes, np.frombuffer(hashes, dtype=np.int64)])
            all_where = np.concatenate([self._where, np.frombuffer(where, dtype=np.int64)])
            order = np.argsort(all_hashes, kind="stable")
            self._hashes, self._where = all_hashes[order], all_where[order]
        return repeated

    def _copied(self, line: bytes) -> int:
        """Where `line`, copied to the end of the temporary copy, starts in it."""
        if self._copy is None:
            self._copy = tempfile.TemporaryFile()
        start = self._copy.seek(0, 2)
        self._copy.write(line if line.endswith(b"\n") else line + b"\n")
        return start

    def __len__(self) -> int:
        return len(self._hashes)

    def find(self, image_ids: Iterable[str], *, search: bool = False) -> dict[str, Scene]:
        """image id -> scene, of those of `image_ids` found (the others left out). `search`: the ids
        outside `keep` are looked for too, by one more pass over the files (once per id)."""
        wanted = list(dict.fromkeys(image_ids))
        if search:
            more = {i for i in wanted if i not in self._keep and i not in self._searched}
            if more:  # (before, every block read the files again for them)
                self._searched |= more
                self._locate(more, [], None)
        found: dict[str, Scene] = {}
        places: list[tuple[int, int, str]] = []  # (file number, where the line starts, image id)
        for image_id in wanted:
            if image_id in self._parsed:
                self._parsed.move_to_end(image_id)
                found[image_id] = self._parsed[image_id]
                continue
            h = hash(image_id)
            k = int(np.searchsorted(self._hashes, h))
            while k < len(self._hashes) and self._hashes[k] == h:  # (more than one: 64-bit hashes the same)
                w = int(self._where[k])
                places.append((w >> 48, w & ((1 << 48) - 1), image_id))
                k += 1
        places.sort()  # each file read forwards
        for number, group in groupby(places, key=lambda p: p[0]):
            with self._opened(number) as fh:
                for _, start, image_id in group:
                    scene = self._read(fh, number, start)
                    if scene.image_id == image_id:
                        found[image_id] = self._parsed[image_id] = scene
        while len(self._parsed) > LRU:
            self._parsed.popitem(last=False)
        return found

    def _opened(self, number: int) -> AbstractContextManager[IO[bytes]]:
        """File `number` opened; the temporary copy, which lives as long as the index, left open."""
        if number == COPY:
            assert self._copy is not None
            return nullcontext(self._copy)
        return open(self.files[number], "rb")

    def _read(self, fh: IO[bytes], number: int, start: int) -> Scene:
        """The scene whose line starts at `start`; ValueError when it is no longer there."""
        fh.seek(start)
        line = fh.readline()
        try:
            return scene_from_dict(orjson.loads(line.removeprefix(BOM) if start == 0 else line))
        except (SceneValidationError, orjson.JSONDecodeError):
            name = "the temporary copy of compressed scene files" if number == COPY else self.files[number]
            raise ValueError(f"{name} changed while it was read: the line at byte {start} is no longer the "
                             "scene it was") from None

    def close(self) -> None:
        if self._copy is not None:
            self._copy.close()
            self._copy = None

