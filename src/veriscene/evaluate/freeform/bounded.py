"""A memo of at most `most` entries, the least recently used dropped first: the caches of the
free-form scoring and the RL rewards (`rewards.freeform`, `rewards.locate`,
`evaluate.freeform.scorer`, `score.Canonicaliser`), so that a training run of millions of rows
holds no more than their bounds however many distinct rows, replies or words it sees (each
bound is documented where it is set; benchmarks/freeform_locate_memory.py measures them).

A dropped entry is only worked out again when asked for: what is cached is a function of its key,
so the bounds change no score, only how often the same work is done."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Bounded(OrderedDict[K, V], Generic[K, V]):
    """An OrderedDict of at most `most` entries (least recently used dropped first); `dropped`
    counts the entries dropped."""

    def __init__(self, most: int) -> None:
        super().__init__()
        if most < 1:
            raise ValueError(f"a bounded cache holds at least 1 entry, got {most}")
        self.most = most
        self.dropped = 0

    def __getitem__(self, key: K) -> V:
        value = super().__getitem__(key)
        self.move_to_end(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.most:
            self.popitem(last=False)
            self.dropped += 1

    def __reduce__(self) -> Any:  # (a scorer is pickled to worker processes: its bound goes with it)
        return type(self), (self.most,), {"dropped": self.dropped}, None, iter(list(self.items()))
