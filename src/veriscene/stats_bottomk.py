"""Bounded tallies for `veriscene.stats`: string keys -> counts, keeping the keys of smallest hash.

A tally keeps at most `limit` keys (question texts, option values, option sets), those whose
64-bit hash (`text_hash`, blake2b) is smallest: a sample of the keys that does not depend on the
order the samples come in, so the tallies of parts of a run merge into exactly the tally of the
whole. A key kept has every one of its samples counted.

Memory: a key is held as its hash, in numpy rows (`HashedRows`: uint64 key, uint32 sub-key,
int64 counts, and whatever columns a tally adds: 20 to 72 bytes a row), not as a Python string
in a dict (252 bytes an entry with its counts by tracemalloc, about 450 of resident memory). Only the last `FRONT_KEYS` keys added are
held as strings, in a dict (`front`: the hot path, a dict look-up as before), moved into the rows
when it fills. Two keys of equal hash would be counted as one: at most 20,000 keys per tally,
about one chance in 10^11 per tally.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any, Iterator

import numpy as np

FIELD_BITS = 40  # bits per count packed in a `PackedCounts` front value (counts up to 1.1e12)
FIELD_MASK = (1 << FIELD_BITS) - 1  # a count: (packed >> FIELD_BITS * field) & FIELD_MASK
FRONT_KEYS = 512  # keys held as strings per tally before they are moved into its rows
PENDING_ROWS = 4096  # rows added before they are sorted into the kept ones (or a quarter of those)
Columns = dict[str, Any]  # name -> numpy array (or `Texts`) of one row per entry; "key" (uint64) first


def text_hash(text: str) -> int:
    """A key's place in the bottom-k sample: a 64-bit hash, stable across processes."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def key_hash(text: str) -> tuple[int, str]:
    """`text_hash` with the text (the order in which keys are kept; ties, if ever, by the text)."""
    return text_hash(text), text


class Texts:
    """A column of strings held as their UTF-8 bytes end to end (`data`, uint8) and the end of
    each (`ends`, int64): 8 bytes a string and its bytes, not a Python object (about 57 bytes and
    an 8-byte pointer). Indexed as a numpy column is (integer or boolean arrays, slices)."""

    def __init__(self, data: np.ndarray, ends: np.ndarray) -> None:
        self.data, self.ends = data, ends

    @classmethod
    def of(cls, texts: list[str]) -> "Texts":
        encoded = [t.encode("utf-8") for t in texts]
        ends = np.cumsum([len(b) for b in encoded], dtype=np.int64)
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), ends)

    @classmethod
    def concat(cls, columns: list["Texts"]) -> "Texts":
        shifts = np.cumsum([0] + [len(c.data) for c in columns[:-1]])
        return cls(np.concatenate([c.data for c in columns]),
                   np.concatenate([c.ends + shift for c, shift in zip(columns, shifts)]))

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, index: Any) -> "Texts":
        rows = np.arange(len(self.ends))[index]  # the rows picked, in order
        starts = np.r_[0, self.ends[:-1]][rows] if len(rows) else np.empty(0, dtype=np.int64)
        lengths = self.ends[rows] - starts
        # each picked string's bytes: its start, then +1 up to its length
        at = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
        return Texts(self.data[at], np.cumsum(lengths, dtype=np.int64))

    def copy(self) -> "Texts":
        return Texts(self.data.copy(), self.ends.copy())

    def __iter__(self) -> Iterator[str]:
        data, start = self.data.tobytes(), 0
        for end in self.ends.tolist():
            yield data[start:end].decode("utf-8")
            start = end

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes + self.ends.nbytes)


def _concat(arrays: list[Any]) -> Any:
    """Rows of several chunks as one column; 2-D columns padded with zeros to the widest."""
    if isinstance(arrays[0], Texts):
        return Texts.concat(arrays)
    if arrays[0].ndim == 2:
        width = max(a.shape[1] for a in arrays)
        arrays = [a if a.shape[1] == width else np.pad(a, ((0, 0), (0, width - a.shape[1]))) for a in arrays]
    return np.concatenate(arrays)


class HashedRows:
    """Rows keyed by (`key`, `sub`): rows of equal keys are one, their `summed` columns added and
    the other columns the first row's; kept for the `limit` distinct keys of smallest hash. New
    rows wait in `pending` until there are `PENDING_ROWS` of them or a quarter of those kept."""

    def __init__(self, limit: int, summed: tuple[str, ...], by_sub: bool = True) -> None:
        self.limit = limit
        self.summed = summed
        self.by_sub = by_sub  # rows keyed by (key, sub) rather than key alone
        self.kept: Columns | None = None  # sorted by (key, sub), one row per (key, sub)
        self.pending: list[Columns] = []
        self.pending_rows = 0
        self.above: int | None = None  # keys of larger hash are not kept

    def extend(self, chunk: Columns) -> None:
        rows = len(chunk["key"])
        if rows:
            self.pending.append(chunk)
            self.pending_rows += rows
            if self.pending_rows >= max(PENDING_ROWS, self.rows() // 4):
                self.compact()

    def rows(self) -> int:
        return 0 if self.kept is None else len(self.kept["key"])

    def __len__(self) -> int:
        """Distinct keys kept (after `compact`)."""
        if self.kept is None or not len(self.kept["key"]):
            return 0
        key = self.kept["key"]
        return int(np.count_nonzero(key[1:] != key[:-1])) + 1

    def compact(self) -> None:
        """Sort the pending rows into the kept ones, add up rows of equal keys and keep the
        `limit` keys of smallest hash."""
        if not self.pending:  # (the rows kept are sorted, added up and cut already)
            return
        chunks = self.chunks()
        cols = {name: _concat([c[name] for c in chunks]) for name in chunks[0]}
        self.pending, self.pending_rows = [], 0
        if self.above is not None:
            inside = cols["key"] <= np.uint64(self.above)
            if not inside.all():
                cols = {name: col[inside] for name, col in cols.items()}
        key = cols["key"]
        order = np.lexsort((cols["sub"], key)) if self.by_sub else np.argsort(key, kind="stable")
        cols = {name: col[order] for name, col in cols.items()}
        key = cols["key"]
        if len(key):
            new = np.empty(len(key), dtype=bool)
            new[0] = True
            np.not_equal(key[1:], key[:-1], out=new[1:])
            if self.by_sub:
                new[1:] |= cols["sub"][1:] != cols["sub"][:-1]
            if not new.all():
                starts = np.flatnonzero(new)
                cols = {name: np.add.reduceat(col, starts, axis=0) if name in self.summed else col[starts]
                        for name, col in cols.items()}
                key = cols["key"]
            distinct = key[np.flatnonzero(np.r_[True, key[1:] != key[:-1]])]
            if len(distinct) > self.limit:
                threshold = int(distinct[self.limit - 1])
                end = int(np.searchsorted(key, np.uint64(threshold), side="right"))
                cols = {name: col[:end].copy() for name, col in cols.items()}
                self.above = threshold if self.above is None else min(self.above, threshold)
        self.kept = cols

    def chunks(self) -> list[Columns]:
        """The rows kept and pending."""
        return ([] if self.kept is None else [self.kept]) + self.pending

    def bound(self, above: int | None) -> None:
        """Keep no key of larger hash than `above` (another part's bound)."""
        if above is not None and (self.above is None or above < self.above):
            self.above = above

    def merge(self, other: "HashedRows") -> None:
        """Add `other`'s rows (keys beyond either's bound are dropped)."""
        for chunk in other.chunks():
            self.extend(chunk)
        self.bound(other.above)

    def groups(self) -> Iterator[tuple[int, int, int]]:
        """(key, first row, end row) of each key kept, in order of hash (after `compact`)."""
        if self.kept is None:
            return
        key = self.kept["key"]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]).tolist() + [len(key)]
        for k in range(len(starts) - 1):
            yield int(key[starts[k]]), starts[k], starts[k + 1]


class CountsByKey:
    """Keys -> counts under names (a question text -> its answers): rows (key hash, name id,
    count), the names numbered in `names`."""

    def __init__(self, limit: int) -> None:
        self.rows = HashedRows(limit, summed=("n",))
        self.front: dict[str, Counter[str]] = {}  # the keys added last, as strings
        self.names: dict[str, int] = {}  # count name -> its number (the rows' sub-key)

    def counts(self, key: str) -> Counter[str] | None:
        """The counts of `key` to add to, if it may be kept; None if it cannot."""
        found = self.front.get(key)
        if found is not None:
            return found
        if self.rows.above is not None and text_hash(key) > self.rows.above:
            return None
        if len(self.front) >= FRONT_KEYS:
            self.flush()
        found = self.front[key] = Counter()
        return found

    def flush(self) -> None:
        """Move the front's keys into the rows."""
        keys, subs, counts = [], [], []
        names = self.names
        for key, found in self.front.items():
            h = text_hash(key)
            for name, n in found.items():
                if n:
                    keys.append(h)
                    subs.append(names.setdefault(name, len(names)))
                    counts.append(n)
        self.front.clear()
        self.rows.extend({"key": np.array(keys, dtype=np.uint64), "sub": np.array(subs, dtype=np.uint32),
                          "n": np.array(counts, dtype=np.int64)})

    def cut(self) -> None:
        """Keep the `limit` keys of smallest hash (at the end of the reading)."""
        self.flush()
        self.rows.compact()

    def merge(self, other: "CountsByKey") -> None:
        other.flush()
        renumber = np.array([self.names.setdefault(name, len(self.names)) for name in other.names], dtype=np.uint32)
        for chunk in other.rows.chunks():
            self.rows.extend({**chunk, "sub": renumber[chunk["sub"]]})
        self.rows.bound(other.rows.above)

    def __len__(self) -> int:
        self.cut()
        return len(self.rows)

    def by_key(self) -> Iterator[tuple[int, Counter[str]]]:
        """(key hash, its counts) of each key kept, in order of hash."""
        self.cut()
        if self.rows.kept is None:
            return
        named = list(self.names)
        subs, ns = self.rows.kept["sub"].tolist(), self.rows.kept["n"].tolist()
        for key, start, end in self.rows.groups():
            yield key, Counter({named[subs[j]]: ns[j] for j in range(start, end)})

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, CountsByKey) and dict(self.by_key()) == dict(other.by_key())


class PackedCounts:
    """Keys -> numbered counts (fields 0, 1, ...), packed `FIELD_BITS` bits apart in one int while
    the key is in the front (a count is one addition), then rows of the columns `chunk` makes."""

    def __init__(self, limit: int, by_sub: bool = False) -> None:
        self.rows = HashedRows(limit, summed=("n",), by_sub=by_sub)
        self.front: dict[str, int] = {}  # the keys added last -> packed counts (cleared, never replaced)

    def add(self, key: str, increment: int) -> None:
        """Add `increment` (a sum of `unit(field)`s) to the counts of `key`, if it may be kept."""
        found = self.front.get(key)
        if found is not None:
            self.front[key] = found + increment
        elif self.rows.above is None or text_hash(key) <= self.rows.above:
            if len(self.front) >= FRONT_KEYS:
                self.flush()
            self.front[key] = increment

    def chunk(self, front: dict[str, int]) -> Columns:
        """The rows of the front's keys: "key" (uint64 hashes), "n" (int64 counts) and more."""
        raise NotImplementedError

    def flush(self) -> None:
        if self.front:
            chunk = self.chunk(self.front)
            self.front.clear()
            self.rows.extend(chunk)

    def cut(self) -> None:
        """Keep the `limit` keys of smallest hash (at the end of the reading)."""
        self.flush()
        self.rows.compact()

    def merge(self, other: "PackedCounts") -> None:
        other.flush()
        self.rows.merge(other.rows)

    def __len__(self) -> int:
        self.cut()
        return len(self.rows)


def unit(field: int) -> int:
    """The packed increment of one count in `field`."""
    return 1 << (FIELD_BITS * field)
