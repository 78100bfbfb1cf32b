"""What the summary of an evaluation needs of each record, kept as compact columns while the
records stream past (`Tally.add`), and the summary computed from them (`Tally.summary`): the same
numbers, byte for byte, as `metrics` computes from the records held whole.

Per record, about 30 bytes (a parsed sample takes about 8.5 KiB, its record 1 to 2):

    key       16 bytes: the first 16 bytes of the id in UTF-8, zero-padded; sorting the keys as
              big-endian numbers sorts the ids as text (UTF-8 keeps the order of code points),
              ids of one key told apart by reading them again (`ids_at`)
    status    int16 code (`metrics.STATUSES`, others numbered after them)
    correct   int8, 0/1 (answered records only)
    score     float64 (answered records only): its mean is summed in id order, as before
    profile   int32: index of the record's (task, family, answer_type, mode, steps, images)
    latency   float64, only for the records whose latency counts (`metrics.timed`), in record order

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
    stats_of,
    timed,
)

IdsAt = Callable[[npt.NDArray[np.int64]], list[str]]  # the ids of the records at these positions (ascending)
_KEY = 16


def _key(sample_id: str) -> bytes:
    return sample_id.encode("utf-8", "surrogatepass")[:_KEY].ljust(_KEY, b"\0")


def id_order(keys: npt.NDArray[Any], ids_at: IdsAt) -> npt.NDArray[np.int64]:
    """Positions of records sorted by id (stable: records of one id in their order), from their
    keys ((N, 2) big-endian uint64); the ids of records of equal keys are read (`ids_at`)."""
    high, low = keys[:, 0], keys[:, 1]
    order = np.lexsort((low, high))
    if len(order) < 2:
        return order.astype(np.int64)
    same = (high[order][1:] == high[order][:-1]) & (low[order][1:] == low[order][:-1])
    if not same.any():
        return order.astype(np.int64)
    tied = np.zeros(len(order), dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    positions = np.sort(order[tied])
    ids = ids_at(positions)
    ranked = sorted(range(len(ids)), key=ids.__getitem__)  # (stable: one id's records in their order)
    rank = np.zeros(len(order), dtype=np.int64)
    rank[positions[np.array(ranked, dtype=np.int64)]] = np.arange(len(ranked))
    return np.lexsort((rank, low, high)).astype(np.int64)


class Tally:
    """Columns of an evaluation's records, added in sample order (module notes)."""

    def __init__(self) -> None:
        self._keys = bytearray()
        self._status, self._correct, self._score = array("h"), array("b"), array("d")
        self._profile, self._latency = array("i"), array("d")
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
        answered = code <= PARSE_FAILED
        self._keys += _key(record["id"])
        self._status.append(code)
        self._correct.append(bool(record["correct"]) if answered else 0)
        self._score.append(float(record["score"]) if answered else 0.0)
        profile = tuple(None if record.get(field) is None else str(record[field]) for field in GROUPINGS)
        self._profile.append(self._profiles.setdefault(profile, len(self._profiles)))
        if timed(record):
            self._latency.append(float(record["latency_s"]))
        self.reasons.add(record)
        cut = record.get("finish_reason") == "length"
        self.cut_at_max_tokens += cut
        self.cut_unparsed += cut and record["status"] == "parse_failed"

    def _id_keys(self) -> npt.NDArray[np.uint64]:
        """The keys as (N, 2) native uint64, whose order (high, then low) is the ids' order."""
        return np.frombuffer(self._keys, dtype=">u8").astype(np.uint64).reshape(len(self), 2)

    def summary(self, *, n_boot: int = 1000, confidence: float = 0.95, seed: int = 0,
                ids_at: IdsAt) -> dict[str, Any]:
        """`metrics.summarise` of the records added: overall, by_task, by_family, by_answer_type,
        by_mode, by_steps, by_images, status_counts, latency, macro_by_family, bootstrap."""
        kw: dict[str, Any] = {"n_boot": n_boot, "confidence": confidence, "seed": seed}
        order = id_order(self._id_keys(), ids_at)  # (the keys let go once sorted: 16 bytes a record)
        status = np.frombuffer(self._status, dtype=np.int16)[order]
        correct = np.frombuffer(self._correct, dtype=np.int8)[order]
        score = np.frombuffer(self._score, dtype=np.float64)[order]
        profile = np.frombuffer(self._profile, dtype=np.int32)[order]
        del order
        profiles = list(self._profiles)
        present = np.unique(profile).tolist()
        out: dict[str, Any] = {"overall": stats_of(status, correct, score, name="all", **kw).to_dict()}
        for f, (field, key) in enumerate(GROUPINGS.items()):
            names = [p[f] for p in profiles]
            out[key] = {}
            for value in sorted({names[k] for k in present} - {None}, key=_order):
                members = np.array([name == value for name in names], dtype=bool)[profile]
                out[key][value] = stats_of(status[members], correct[members], score[members],
                                           name=f"{field}={value}", **kw).to_dict()
        counts = np.bincount(status, minlength=len(self._codes)) if len(status) else np.zeros(len(self._codes), int)
        out["status_counts"] = dict(sorted((name, int(counts[code])) for name, code in self._codes.items()
                                           if counts[code]))
        out["latency"] = latency_of(np.frombuffer(self._latency, dtype=np.float64))
        family = list(GROUPINGS).index("family")
        out["macro_by_family"] = macro_of(status, correct, profile, [str(p[family]) for p in profiles], "family",
                                          **kw)
        out["bootstrap"] = {"resamples": n_boot, "confidence": confidence, "seed": seed}
        return out
