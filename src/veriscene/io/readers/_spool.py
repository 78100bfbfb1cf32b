"""Records held in a temporary file while a large annotation file is read.

A COCO file lists every image, then every annotation, then the categories: a reader must see the
whole file before it can name the objects of the first image, and a file such as Objects365 (25
million boxes) or LVIS does not fit in memory as parsed JSON. `Spool` keeps records in file order
and `GroupedSpool` groups them by a key (the image id); both write each record to an unnamed
temporary file (pickled: the same Python values come back) and keep in memory a few bytes per
record and one entry per key. The file is removed when the spool is closed or collected.
"""

from __future__ import annotations

import pickle
import tempfile
from array import array
from collections.abc import Iterator
from typing import Any

import numpy as np


class Spool:
    """Records in the order they were added, read back once in that order."""

    def __init__(self) -> None:
        self._fh = tempfile.TemporaryFile()
        self.count = 0

    def add(self, record: Any) -> None:
        pickle.dump(record, self._fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def __iter__(self) -> Iterator[Any]:
        self._fh.seek(0)
        for _ in range(self.count):
            yield pickle.load(self._fh)

    def close(self) -> None:
        self._fh.close()


class GroupedSpool:
    """Records grouped by a string key. Add them all, then take each key's records (in the order
    they were added) once with `pop`; `remaining` lists the keys never popped."""

    def __init__(self) -> None:
        self._fh = tempfile.TemporaryFile()
        self._numbers: dict[str, int] = {}  # key -> number, in order of first sight
        self._key_of = array("i")  # per record: its key's number
        self._size = array("I")  # per record: its pickled length
        self._sealed: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._popped: set[int] = set()

    def number(self, key: str) -> int:
        """The key's number (given on first sight): lets a caller fix the order of keys early."""
        found = self._numbers.get(key)
        if found is None:
            found = self._numbers[key] = len(self._numbers)
        return found

    def add(self, key: str, record: Any) -> None:
        data = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        self._fh.write(data)
        self._key_of.append(self.number(key))
        self._size.append(len(data))

    def _seal(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if self._sealed is None:
            key_of = np.frombuffer(self._key_of, dtype=np.int32) if len(self._key_of) else np.zeros(0, np.int32)
            size = np.frombuffer(self._size, dtype=np.uint32).astype(np.int64) if len(self._size) else np.zeros(0, np.int64)
            offsets = np.cumsum(size) - size
            order = np.argsort(key_of, kind="stable")  # each key's records together, in the order added
            counts = np.bincount(key_of, minlength=len(self._numbers))
            self._sealed = (offsets, order, np.cumsum(counts) - counts, counts)
        return self._sealed

    def pop(self, key: str) -> list[Any]:
        """The records of `key` (none after the first pop of it, or for a key never added)."""
        n = self._numbers.get(key)
        if n is None or n in self._popped:
            return []
        self._popped.add(n)
        offsets, order, starts, counts = self._seal()
        if n >= len(counts) or not counts[n]:
            return []
        out = []
        for i in order[starts[n]: starts[n] + counts[n]].tolist():
            self._fh.seek(int(offsets[i]))
            out.append(pickle.loads(self._fh.read(self._size[i])))
        return out

    def popped(self, key: str) -> bool:
        """Whether the records of `key` have been taken (`pop`)."""
        n = self._numbers.get(key)
        return n is not None and n in self._popped

    def remaining(self) -> list[tuple[str, int]]:
        """(key, number of records) of the keys with records never popped, in order of first sight."""
        _, _, _, counts = self._seal()
        keys = sorted(self._numbers.items(), key=lambda kv: kv[1])
        return [(key, int(counts[n])) for key, n in keys if n not in self._popped and n < len(counts) and counts[n]]

    def close(self) -> None:
        self._fh.close()
