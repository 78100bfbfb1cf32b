"""Bounded tallies for `veriscene.stats`: string keys -> counts, keeping the keys of smallest hash.

A `BottomK` keeps at most `limit` keys (question texts, option values, option sets), those whose
64-bit hash (`key_hash`) is smallest: a sample of the keys that does not depend on the order the
samples come in, so the tallies of parts of a run merge into exactly the tally of the whole.
A key kept has every one of its samples counted.
"""

from __future__ import annotations

import hashlib
from collections import Counter


def key_hash(text: str) -> tuple[int, str]:
    """A key's place in the bottom-k sample: a 64-bit hash stable across processes (ties, if
    ever, by the text)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little"), text


class BottomK(dict[str, Counter[str]]):
    """Keys -> counts, keeping the `limit` keys of smallest `key_hash`: once a quarter over the
    limit it is cut back to the limit, and a new key above the last one kept is not taken (it
    could not be among the `limit` smallest)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.above: tuple[int, str] | None = None  # keys past this one are not taken

    def counts(self, key: str) -> Counter[str] | None:
        """The counts of `key`, new if it may be kept; None if it cannot."""
        found = self.get(key)
        if found is not None:
            return found
        if self.above is not None and key_hash(key) > self.above:
            return None
        found = self[key] = Counter()
        if len(self) > self.limit + self.limit // 4:
            self.cut()
        return found

    def cut(self) -> None:
        """Keep the `limit` keys of smallest hash."""
        if len(self) <= self.limit:
            return
        kept = sorted(self, key=key_hash)[: self.limit]
        self.above = key_hash(kept[-1])
        for key in set(self) - set(kept):
            del self[key]

    def merge(self, other: "BottomK") -> None:
        for key, counts in other.items():
            mine = self.get(key)
            if mine is None:
                if self.above is not None and key_hash(key) > self.above:
                    continue
                self[key] = Counter(counts)
            else:
                mine.update(counts)
        if other.above is not None and (self.above is None or other.above < self.above):
            self.above = other.above
        if len(self) > self.limit + self.limit // 4:
            self.cut()
