"""What the summary of an evaluation needs of each record, kept as compact columns while the
records stream past (`Tally.add`), and the summary computed from them (`Tally.summary`): the same
numbers, byte for byte, as `metrics` computes from the records held whole.

Per record, 6 bytes, and 25 more for an answered one (status scored or parse_failed: the records
the statistics read); a parsed sample takes about 8.5 KiB, its record 1 to 2:

    status    int16 code (`metrics.STATUSES`, others numbered after them)
    profile   int32: index of the record's (task, family, answer_type, mode, steps, images)
    high, low uint64 each (answered records only): the first 16 bytes of the id in UTF-8,
              zero-padded, as two big-endian numbers; sorting them sorts the ids as text (UTF-8
              keeps the order of code points), ids of one key told apart by reading them again
              (`ids_at`)
    correct   int8, 0/1 (answered records only)
    score     float64 (answered records only): its means are summed in id order, as before
    latency   float64, only for the records whose latency counts (`metrics.timed`), in record order

The summary counts every group's records by (profile, status, correct) in record order (nothing
else but the bootstrap and the mean score depends on the order), sorts the answered records
alone by id, and takes each group's answered records by a mask of them: above the columns, at
most about 23 bytes an answered record (the id order 8, correct, score and profile in id order
13, a group's mask and copies 10), nothing for the others (before: 44 bytes a record).

Error reasons are counted as they come (`metrics.ErrorReasons`), and the replies cut at the
token limit.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from veriscene.evaluate.metrics import (
    GROUPINGS,
    PARSE_FAILED,
    STATUSES,
    ErrorReasons,
    _order,
    latency_of,
    macro_of,
    stats_from,
    timed,
)

IdsAt = Callable[[npt.NDArray[np.int64]], list[str]]  # the ids of the records at these positions (ascending)
_KEY = 16
_CHUNK = 1 << 16  # records counted, or keys compared, at a time (512 KiB an int64 column)


def _key(sample_id: str) -> tuple[int, int]:
    """(high, low): the first 16 bytes of the id in UTF-8, zero-padded, as two big-endian numbers."""
    key = sample_id.encode("utf-8", "surrogatepass")[:_KEY].ljust(_KEY, b"\0")
    return int.from_bytes(key[:8], "big"), int.from_bytes(key[8:], "big")


def _same_keys(high: npt.NDArray[np.uint64], low: npt.NDArray[np.uint64],
               order: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """(len(order) - 1,): whether the keys at order[j] and order[j + 1] are equal (compared a
    chunk at a time: no copy of the keys in order)."""
    same = np.empty(max(0, len(order) - 1), dtype=bool)
    for start in range(0, len(same), _CHUNK):
        at = order[start:start + _CHUNK + 1]
        h, lo = high[at], low[at]
        same[start:start + len(at) - 1] = (h[1:] == h[:-1]) & (lo[1:] == lo[:-1])
    return same


def id_order(high: npt.NDArray[np.uint64], low: npt.NDArray[np.uint64], ids_at: IdsAt) -> npt.NDArray[np.int64]:
    """Positions of records sorted by id (stable: records of one id in their order), from their
    keys (contiguous native uint64 each, `_key`); the ids of records of equal keys are read
    (`ids_at`) and each run of equal keys sorted by them."""
    order = np.lexsort((low, high)).astype(np.int64, copy=False)  # (stable: a run's positions ascending)
    if len(order) < 2:
        return order
    same = _same_keys(high, low, order)
    if not same.any():
        return order
    tied = np.flatnonzero(np.concatenate(([False], same)) | np.concatenate((same, [False])))  # (T,) in sorted order
    positions = order[tied]
    asked = np.argsort(positions, kind="stable")
    ids: list[str] = [""] * len(positions)
    for k, sample_id in zip(asked.tolist(), ids_at(positions[asked])):
        ids[k] = sample_id
    starts = np.ones(len(tied), dtype=bool)  # where a run of equal keys starts
    starts[1:] = ~same[tied[1:] - 1]
    bounds = [*np.flatnonzero(starts).tolist(), len(tied)]
    for a, b in zip(bounds, bounds[1:]):
        ranked = sorted(range(a, b), key=ids.__getitem__)  # (stable: one id's records in their order)
        order[tied[a:b]] = positions[ranked]
    return order


class Tally:
    """Columns of an evaluation's records, added in sample order (module notes)."""

    def __init__(self) -> None:
        self._status, self._profile = array("h"), array("i")
        # answered records only, in their order
        self._high, self._low, self._correct, self._score = array("Q"), array("Q"), array("b"), array("d")
        self._latency = array("d")
        self._codes: dict[str, int] = {name: k for k, name in enumerate(STATUSES)}
        self._profiles: dict[tuple[str | None, ...], int] = {}
        self.reasons = ErrorReasons()
        self.cut_at_max_tokens = 0  # replies the server cut at the token limit
        self.cut_unparsed = 0  # ... that could not be parsed

    def __len__(self) -> int:
        return len(self._status)

    def count(self, status: str) -> int:
        """Records of this status."""
        code = self._codes.get(status)
        return 0 if code is None else int((np.frombuffer(self._status, dtype=np.int16) == code).sum())

    def add(self, record: Mapping[str, Any]) -> None:
        code = self._codes.setdefault(record["status"], len(self._codes))
        self._status.append(code)
        profile = tuple(None if record.get(field) is None else str(record[field]) for field in GROUPINGS)
        self._profile.append(self._profiles.setdefault(profile, len(self._profiles)))
        if code <= PARSE_FAILED:
            high, low = _key(record["id"])
            self._high.append(high)
            self._low.append(low)
            self._correct.append(bool(record["correct"]))
            self._score.append(float(record["score"]))
        if timed(record):
            self._latency.append(float(record["latency_s"]))
        self.reasons.add(record)
        cut = record.get("finish_reason") == "length"
        self.cut_at_max_tokens += cut
        self.cut_unparsed += cut and record["status"] == "parse_failed"

    def _counts(self) -> npt.NDArray[np.int64]:
        """(profiles, status codes, 2): records counted by profile, status and correct (0/1),
        a chunk of records at a time."""
        status = np.frombuffer(self._status, dtype=np.int16)
        profile = np.frombuffer(self._profile, dtype=np.int32)
        correct = np.frombuffer(self._correct, dtype=np.int8)
        codes = len(self._codes)
        counts = np.zeros(len(self._profiles) * codes * 2, dtype=np.int64)
        done = 0  # answered records counted
        for start in range(0, len(status), _CHUNK):
            part = status[start:start + _CHUNK]
            answered = part <= PARSE_FAILED
            right = np.zeros(len(part), dtype=np.int64)
            n = int(answered.sum())
            right[answered] = correct[done:done + n]
            done += n
            counts += np.bincount((profile[start:start + _CHUNK].astype(np.int64) * codes + part) * 2 + right,
                                  minlength=counts.size)
        return counts.reshape(len(self._profiles), codes, 2)

    def _answered_in_id_order(self, ids_at: IdsAt) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64],
                                                              npt.NDArray[np.int32]]:
        """(correct, score, profile) of the answered records, in the order of their ids."""
        status = np.frombuffer(self._status, dtype=np.int16)
        order = id_order(np.frombuffer(self._high, dtype=np.uint64), np.frombuffer(self._low, dtype=np.uint64),
                         lambda ranks: ids_at(np.flatnonzero(status <= PARSE_FAILED)[ranks]))
        group = np.frombuffer(self._profile, dtype=np.int32)[status <= PARSE_FAILED][order]
        return (np.frombuffer(self._correct, dtype=np.int8)[order], np.frombuffer(self._score, dtype=np.float64)[order],
                group)

    def summary(self, *, n_boot: int = 1000, confidence: float = 0.95, seed: int = 0,
                ids_at: IdsAt) -> dict[str, Any]:
        """`metrics.summarise` of the records added: overall, by_task, by_family, by_answer_type,
        by_mode, by_steps, by_images, status_counts, latency, macro_by_family, bootstrap."""
        kw: dict[str, Any] = {"n_boot": n_boot, "confidence": confidence, "seed": seed}
        profiles = list(self._profiles)
        counts = self._counts()
        correct, score, group = self._answered_in_id_order(ids_at)
        out: dict[str, Any] = {"overall": stats_from(counts.sum(axis=0), correct, score, name="all", **kw).to_dict()}
        present = np.flatnonzero(counts.any(axis=(1, 2))).tolist()
        for f, (field, key) in enumerate(GROUPINGS.items()):
            names = [p[f] for p in profiles]
            out[key] = {}
            values: set[str] = {name for name in (names[k] for k in present) if name is not None}
            for value in sorted(values, key=_order):
                of_value = np.array([name == value for name in names], dtype=bool)  # (profiles,)
                members = of_value[group]  # (answered,): 1 byte each, no index array
                out[key][value] = stats_from(counts[of_value].sum(axis=0), correct[members], score[members],
                                             name=f"{field}={value}", **kw).to_dict()
        totals = counts.sum(axis=(0, 2))
        out["status_counts"] = dict(sorted((name, int(totals[code])) for name, code in self._codes.items()
                                           if totals[code]))
        out["latency"] = latency_of(np.frombuffer(self._latency, dtype=np.float64))
        family = list(GROUPINGS).index("family")
        out["macro_by_family"] = macro_of(correct, group, [str(p[family]) for p in profiles], "family", **kw)
        out["bootstrap"] = {"resamples": n_boot, "confidence": confidence, "seed": seed}
        return out
