"""Aggregate metrics of a results file: accuracy with bootstrap confidence intervals, parse-failure
rates, latency percentiles.

Every number is a function of the per-sample records only (never of batch size, concurrency or
arrival order): records are sorted by sample id before anything random happens, and the
bootstrap uses a fixed seed derived from (seed, group name).

    accuracy            share of answered samples (status scored or parse_failed) that are correct;
                        a reply that cannot be parsed counts as wrong here AND is counted in
                        parse_failures, so it is never hidden
    accuracy_parsed     share correct among the parsed replies only
    mean_score          mean of `score` (IoU for boxes, partial credit for sets: `set_score`; 0 for parse failures)
    ci_low, ci_high     percentile bootstrap interval of `accuracy` (default 95 %, 1000 resamples);
                        where every answered sample is right (or every one wrong) the resamples
                        have no spread, and the interval is the exact (Clopper-Pearson) one,
                        [(alpha/2)^(1/n), 1] (`exact_where_uniform`): 2 right of 2 is [15.8, 100] %
    macro_by_family     (summary) mean of the families' accuracies, each family weighted alike,
                        with a stratified bootstrap interval (where every family is all right or
                        all wrong, the mean of their exact bounds: `macro_exact`)
    errors              samples with no reply (request failed for good); not in any denominator
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

ANSWERED = ("scored", "parse_failed")
GROUPINGS = {"task": "by_task", "family": "by_family", "answer_type": "by_answer_type", "mode": "by_mode",
             "steps": "by_steps", "images": "by_images"}


def _rng(seed: int, name: str) -> np.random.Generator:
    digest = hashlib.blake2b(f"{seed}:{name}".encode(), digest_size=8).digest()
    return np.random.default_rng(int.from_bytes(digest, "little"))


def bootstrap_ci(values: Sequence[float] | npt.NDArray[Any], *, n_boot: int = 1000, confidence: float = 0.95,
                 seed: int = 0, name: str = "") -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `values`; (nan, nan) when empty."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return math.nan, math.nan
    rng = _rng(seed, name)
    means = np.empty(n_boot)
    chunk = max(1, 2_000_000 // x.size)  # bound memory: chunk x n indices at a time
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, x.size, size=(stop - start, x.size))
        means[start:stop] = x[idx].mean(axis=1)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)


@dataclass(frozen=True)
class GroupStats:
    n: int  # answered samples (scored + parse_failed)
    correct: int
    accuracy: float
    ci_low: float
    ci_high: float
    accuracy_parsed: float
    mean_score: float
    parse_failures: int
    parse_failure_rate: float
    errors: int
    not_scored: int

    def to_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


# status codes of the columns the statistics are computed from (`tally.Tally`); another status is
# counted in status_counts only
STATUSES = ("scored", "parse_failed", "not_scored", "error")
SCORED, PARSE_FAILED, NOT_SCORED, ERROR = range(4)
_DRAWS = 1 << 18  # bootstrap indices drawn at a time (2 MiB), the same draws as all at once


def boot_means(correct: npt.NDArray[np.int8], rng: np.random.Generator,
               n_boot: int) -> Iterator[tuple[int, int, npt.NDArray[np.float64]]]:
    """The means of `n_boot` resamples of `correct` (int8, 0/1) as (first, stop, means of those
    resamples): the draws of `rng.integers(0, n, size=(n_boot, n))`, made at most _DRAWS at a time
    (numpy's generator gives the same numbers drawn in pieces as at once: tests/evaluate/test_metrics.py).
    Each mean is (its count of 1s) / n: the correctly rounded quotient, as numpy's float64 mean
    of those 0/1 values is (their sum is exact below 2^53), without a float64 copy of the values."""
    n = correct.size
    if n <= _DRAWS:
        rows = _DRAWS // n
        for start in range(0, n_boot, rows):
            stop = min(n_boot, start + rows)
            yield start, stop, correct[rng.integers(0, n, size=(stop - start, n))].sum(axis=1, dtype=np.int64) / n
        return
    for row in range(n_boot):  # a resample of more than _DRAWS values: its draws in pieces
        hits = 0
        for start in range(0, n, _DRAWS):
            hits += int(correct[rng.integers(0, n, size=min(_DRAWS, n - start))].sum(dtype=np.int64))
        yield row, row + 1, np.array([hits / n])


def _ci_of(correct: npt.NDArray[np.int8], *, n_boot: int, confidence: float, seed: int,
           name: str) -> tuple[float, float]:
    """`bootstrap_ci` of 0/1 values (int8), the same interval bit for bit (`boot_means`)."""
    if correct.size == 0:
        return math.nan, math.nan
    means = np.empty(n_boot)
    for start, stop, chunk in boot_means(correct, _rng(seed, name), n_boot):
        means[start:stop] = chunk
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)


def exact_where_uniform(right: int, n: int, low: float, high: float, confidence: float) -> tuple[float, float]:
    """The interval of an accuracy of `right` of `n`: the bootstrap's (`low`, `high`), except where
    every sample is right or every one wrong. There every resample is the sample again, and the
    percentile bootstrap gives [1, 1] (or [0, 0]) whatever n, as if 1 right of 1 settled it; the
    exact binomial (Clopper-Pearson) interval is [(alpha/2)^(1/n), 1] (1 of 1: [2.5, 100] %; 12
    of 12: [73.5, 100] %; 966 of 966: [99.6, 100] %) and [0, 1 - (alpha/2)^(1/n)] for none right."""
    if n == 0 or 0 < right < n:
        return low, high
    bound = ((1.0 - confidence) / 2.0) ** (1.0 / n)
    return (bound, 1.0) if right == n else (0.0, 1.0 - bound)


def counts_of(status: npt.NDArray[Any], correct: npt.NDArray[Any], codes: int = len(STATUSES)) -> npt.NDArray[np.int64]:
    """Samples counted by (status code, correct 0/1): (codes, 2); correct is read of answered
    samples only."""
    answered = status <= PARSE_FAILED
    key = status.astype(np.int64) * 2 + (answered & (correct != 0))
    return np.bincount(key, minlength=codes * 2).reshape(codes, 2)


def stats_from(counts: npt.NDArray[Any], correct: npt.NDArray[np.int8], score: npt.NDArray[np.float64], *,
               name: str, n_boot: int = 1000, confidence: float = 0.95, seed: int = 0) -> GroupStats:
    """`GroupStats` of one group: its samples counted by (status code, correct) (`counts_of`), and
    its answered samples' correct (int8, 0/1) and score (float64) in the order of their ids. The
    counts give every figure but the interval and the mean score: an accuracy is correct / n, the
    float64 mean of the 0/1 values as before (their sum is exact; both quotients correctly rounded);
    the mean score is numpy's mean of the same float64 values in the same order, as before."""
    n_parsed, failures = int(counts[SCORED].sum()), int(counts[PARSE_FAILED].sum())
    n, right = n_parsed + failures, int(counts[SCORED, 1] + counts[PARSE_FAILED, 1])
    assert correct.size == score.size == n, (name, correct.size, score.size, n)
    low, high = exact_where_uniform(right, n, *_ci_of(correct, n_boot=n_boot, confidence=confidence, seed=seed,
                                                      name=name), confidence)
    return GroupStats(
        n=n,
        correct=right,
        accuracy=right / n if n else math.nan,
        ci_low=low,
        ci_high=high,
        accuracy_parsed=int(counts[SCORED, 1]) / n_parsed if n_parsed else math.nan,
        mean_score=float(np.mean(score)) if n else math.nan,
        parse_failures=failures,
        parse_failure_rate=failures / n if n else math.nan,
        errors=int(counts[ERROR].sum()),
        not_scored=int(counts[NOT_SCORED].sum()),
    )


def stats_of(status: npt.NDArray[Any], correct: npt.NDArray[Any], score: npt.NDArray[Any], *, name: str,
             n_boot: int = 1000, confidence: float = 0.95, seed: int = 0) -> GroupStats:
    """`GroupStats` of one group's columns, in the order of the samples' ids: status codes
    (`STATUSES`), correct (0/1) and score (each read only where the sample is answered)."""
    answered = status <= PARSE_FAILED
    codes = max(len(STATUSES), int(status.max()) + 1 if status.size else 0)
    return stats_from(counts_of(status, correct, codes), correct[answered].astype(np.int8),
                      np.asarray(score[answered], dtype=np.float64), name=name, n_boot=n_boot,
                      confidence=confidence, seed=seed)


def columns_of(records: Sequence[Mapping[str, Any]]) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]:
    """(status codes, correct, score) of records, in their order."""
    codes = {name: k for k, name in enumerate(STATUSES)}
    status = np.array([codes.get(r["status"], len(STATUSES)) for r in records], dtype=np.int16)
    answered = (status <= PARSE_FAILED).tolist()
    correct = np.array([bool(r["correct"]) if a else False for r, a in zip(records, answered)], dtype=np.int8)
    score = np.array([float(r["score"]) if a else 0.0 for r, a in zip(records, answered)], dtype=np.float64)
    return status, correct, score


def group_stats(records: Sequence[dict[str, Any]], *, name: str = "all", n_boot: int = 1000,
                confidence: float = 0.95, seed: int = 0) -> GroupStats:
    ordered = sorted(records, key=lambda r: r["id"])
    return stats_of(*columns_of(ordered), name=name, n_boot=n_boot, confidence=confidence, seed=seed)


def macro_of(correct: npt.NDArray[np.int8], groups: npt.NDArray[Any], names: Sequence[str], field: str = "family",
             *, n_boot: int = 1000, confidence: float = 0.95, seed: int = 0) -> dict[str, Any]:
    """`macro_accuracy` of the answered samples' columns in the order of their ids: correct (int8,
    0/1) and each sample's group as an index in `names` (names alike are one group)."""
    present = sorted({names[g] for g in np.unique(groups).tolist()})
    if not present:
        return {"accuracy": None, "ci_low": None, "ci_high": None, "groups": 0}
    rng = _rng(seed, f"macro:{field}")
    means, boots, sizes = [], np.zeros(n_boot), []
    for name in present:
        values = correct[np.array([n == name for n in names], dtype=bool)[groups]]  # (the group's, in id order)
        means.append(int(values.sum(dtype=np.int64)) / values.size)  # (the float64 mean of the 0/1 values)
        sizes.append(values.size)
        for start, stop, chunk in boot_means(values, rng, n_boot):
            boots[start:stop] += chunk
    boots /= len(present)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(boots, [alpha, 1 - alpha])
    if all(m in (0.0, 1.0) for m in means):  # (no group has spread: neither have the resamples)
        low, high = macro_exact(means, sizes, confidence)
    return {"accuracy": float(np.mean(means)), "ci_low": float(low), "ci_high": float(high), "groups": len(present)}


def macro_exact(means: Sequence[float], sizes: Sequence[int], confidence: float) -> tuple[float, float]:
    """The macro interval where every group's samples are all right or all wrong, which gave the
    stratified bootstrap no spread ([1, 1] for every family right, whatever their sizes): the
    mean of the groups' exact binomial bounds (`exact_where_uniform`), each at the confidence
    Bonferroni's rule gives one of G groups, 1 - (1 - confidence) / G, so that all G hold at
    once with `confidence` and their mean then holds the macro accuracy."""
    level = 1.0 - (1.0 - confidence) / len(means)
    bounds = [exact_where_uniform(int(round(m * n)), n, m, m, level) for m, n in zip(means, sizes)]
    return float(np.mean([b[0] for b in bounds])), float(np.mean([b[1] for b in bounds]))


def macro_accuracy(records: Sequence[dict[str, Any]], field: str = "family", *, n_boot: int = 1000,
                   confidence: float = 0.95, seed: int = 0) -> dict[str, Any]:
    """Mean of the accuracies of the groups of `field` with an answered sample, each group weighted
    alike (the demo's families run from 11 to 93 samples in 600), with a stratified bootstrap
    interval: each group resampled within itself. {accuracy, ci_low, ci_high, groups}."""
    ordered = sorted(records, key=lambda r: r["id"])
    status, correct, _ = columns_of(ordered)
    names: dict[str, int] = {}
    groups = np.array([names.setdefault(str(r.get(field)), len(names)) for r in ordered], dtype=np.int32)
    answered = status <= PARSE_FAILED
    return macro_of(correct[answered], groups[answered], list(names), field, n_boot=n_boot, confidence=confidence,
                    seed=seed)


def _order(key: str) -> tuple[int, int | str]:
    """Numbers in their order ("2" before "10"), before any other key, which sort as text."""
    return (0, int(key)) if key.isdigit() else (1, key)


def grouped(records: Iterable[dict[str, Any]], field: str, **kw: Any) -> dict[str, GroupStats]:
    """Statistics per value of `field`; records without it (results of older releases, for
    `steps` and `images`) are in no group."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r.get(field) is not None:
            groups[str(r[field])].append(r)
    return {k: group_stats(groups[k], name=f"{field}={k}", **kw) for k in sorted(groups, key=_order)}


def latency_of(values: npt.NDArray[Any]) -> dict[str, Any]:
    """Percentiles (seconds) of latencies (float64, in sample order)."""
    if values.size == 0:
        return {"n": 0}
    p50, p90, p95, p99 = np.percentile(values, [50, 90, 95, 99])
    return {"n": int(values.size), "mean": float(values.mean()), "p50": float(p50), "p90": float(p90),
            "p95": float(p95), "p99": float(p99), "max": float(values.max())}


def timed(record: Mapping[str, Any]) -> bool:
    """Whether a record's latency counts: a reply received in a request (not from cache)."""
    return record.get("latency_s") is not None and not record.get("cached") and record["status"] != "error"


def latency_stats(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Percentiles (seconds) of the latency of replies received in a request (not from cache)."""
    return latency_of(np.array([float(r["latency_s"]) for r in records if timed(r)]))


def summarise(records: Sequence[dict[str, Any]], *, n_boot: int = 1000, confidence: float = 0.95,
              seed: int = 0) -> dict[str, Any]:
    """overall, by_task, by_family, by_answer_type, by_mode, by_steps (operations of the program),
    by_images (images shown), latency and status counts (`tally.Tally` of the records)."""
    from veriscene.evaluate.tally import Tally

    tally = Tally()
    for r in records:
        tally.add(r)
    return tally.summary(n_boot=n_boot, confidence=confidence, seed=seed,
                         ids_at=lambda positions: [records[p]["id"] for p in positions.tolist()])


_SAMPLE_PREFIX = re.compile(r"^sample '[^']*': ")
# `adapters.base.image_payload` / `image_hash`: one reason for every missing image file
_MISSING_IMAGE = re.compile(r"^image file (.+) does not exist$")
MISSING_IMAGES = "image files do not exist"


class ErrorReasons:
    """The errors of failed requests counted by reason as records come (`error_reasons`)."""

    def __init__(self) -> None:
        self._counts: dict[str | None, int] = {}  # reason (None: a missing image file) -> requests, first seen first
        self._missing: str | None = None  # the first missing image file

    def add(self, record: Mapping[str, Any]) -> None:
        if record["status"] != "error":
            return
        # "sample 'ab12': image x.png does not exist": grouped by what failed, not by sample; missing
        # image files are one reason, with the first of them as example (a samples file copied
        # without its images folder: one line, not one per image)
        reason = _SAMPLE_PREFIX.sub("", " ".join(str(record.get("error")).split()))
        missing = _MISSING_IMAGE.match(reason)
        if missing and self._missing is None:
            self._missing = missing.group(1)
        key = None if missing else reason
        self._counts[key] = self._counts.get(key, 0) + 1

    def top(self, top: int = 5) -> list[list[Any]]:
        """The commonest, as [reason, count], commonest first (at most `top`)."""
        counts: Counter[str] = Counter()
        for key, n in self._counts.items():
            counts[f"{MISSING_IMAGES} (e.g. {self._missing})" if key is None else key] += n
        return [[reason, n] for reason, n in counts.most_common(top)]


def error_reasons(records: Iterable[Mapping[str, Any]], top: int = 5) -> list[list[Any]]:
    """The commonest errors of failed requests, as [reason, count], commonest first (at most `top`)."""
    reasons = ErrorReasons()
    for r in records:
        reasons.add(r)
    return reasons.top(top)
