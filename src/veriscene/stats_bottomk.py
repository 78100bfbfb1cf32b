"""Bounded tallies for `veriscene.stats`: string keys -> counts, keeping the keys of smallest hash.

A `BottomK` keeps at most `limit` keys (question texts, option values, option sets), those whose
64-bit hash (`key_hash`) is smallest: a sample of the keys that does not depend on the order the
samples come in, so the tallies of parts of a run merge into exactly the tally of the whole.
A key kept has every one of its samples counted. Two kinds: `CountsByKey` (key -> Counter, for
counts under open-ended names) and `PackedCounts` (key -> a fixed set of counts packed into one
int: a dict of ints is not tracked by the garbage collector, and a count is one addition).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Callable, Generic, TypeVar

V = TypeVar("V")
FIELD_BITS = 40  # bits per count packed in a `PackedCounts` value (counts up to 1.1e12)
FIELD_MASK = (1 << FIELD_BITS) - 1  # a count: (packed >> FIELD_BITS * field) & FIELD_MASK


def key_hash(text: str) -> tuple[int, str]:
    """A key's place in the bottom-k sample: a 64-bit hash stable across processes (ties, if
    ever, by the text)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little"), text


class BottomK(dict[str, V], Generic[V]):
    """Keys -> tallies, keeping the `limit` keys of smallest `key_hash`: once a quarter over the
    limit it is cut back to the limit, and a new key above the last one kept is not taken (it
    could not be among the `limit` smallest)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.above: tuple[int, str] | None = None  # keys past this one are not taken

    def admits(self, key: str) -> bool:
        """Whether `key` is kept or may be."""
        return self.above is None or key in self or key_hash(key) <= self.above

    def grown(self) -> None:
        """Cut back to the limit once a quarter over it (call after adding a key)."""
        if len(self) > self.limit + self.limit // 4:
            self.cut()

    def cut(self) -> None:
        """Keep the `limit` keys of smallest hash."""
        if len(self) <= self.limit:
            return
        kept = sorted(self, key=key_hash)[: self.limit]
        self.above = key_hash(kept[-1])
        for key in set(self) - set(kept):
            del self[key]

    def merge_with(self, other: "BottomK[V]", combine: Callable[[V | None, V], V]) -> None:
        """Add `other`'s tallies: `combine(mine or None, theirs)` is the tally of a key."""
        for key, theirs in other.items():
            if self.admits(key):
                self[key] = combine(self.get(key), theirs)
        if other.above is not None and (self.above is None or other.above < self.above):
            self.above = other.above
        self.grown()


class CountsByKey(BottomK[Counter[str]]):
    """Keys -> counts under names (a question text -> its answers)."""

    def counts(self, key: str) -> Counter[str] | None:
        """The counts of `key`, new if it may be kept; None if it cannot."""
        found = self.get(key)
        if found is not None:
            return found
        if not self.admits(key):
            return None
        found = self[key] = Counter()
        self.grown()
        return found

    def merge(self, other: "CountsByKey") -> None:
        self.merge_with(other, lambda mine, theirs: Counter(theirs) if mine is None else mine + theirs)


class PackedCounts(BottomK[int]):
    """Keys -> numbered counts (fields 0, 1, ...) packed `FIELD_BITS` bits apart in one int."""

    def add(self, key: str, increment: int) -> None:
        """Add `increment` (a sum of `unit(field)`s) to the counts of `key`, if it may be kept."""
        found = self.get(key)
        if found is not None:
            self[key] = found + increment
        elif self.admits(key):
            self[key] = increment
            self.grown()

    def merge(self, other: "PackedCounts") -> None:
        self.merge_with(other, lambda mine, theirs: theirs if mine is None else mine + theirs)


def unit(field: int) -> int:
    """The packed increment of one count in `field`."""
    return 1 << (FIELD_BITS * field)

