"""Aggregate metrics of a results file: accuracy with bootstrap confidence intervals, parse-failure
rates, latency percentiles.

Every number is a function of the per-sample records only (never of batch size, concurrency or
arrival order): records are sorted by sample id before anything random happens, and the
bootstrap uses a fixed seed derived from (seed, group name).

    accuracy            share of answered samples (status scored or parse_failed) that are correct;
                        a reply that cannot be parsed counts as wrong here AND is counted in
                        parse_failures, so it is never hidden
    accuracy_parsed     share correct among the parsed replies only
    mean_score          mean of `score` (IoU for boxes, F1 for sets; 0 for parse failures)
    ci_low, ci_high     percentile bootstrap interval of `accuracy` (default 95 %, 1000 resamples)
    macro_by_family     (summary) mean of the families' accuracies, each family weighted alike,
                        with a stratified bootstrap interval
    errors              samples with no reply (request failed for good); not in any denominator
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
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


def group_stats(records: Sequence[dict[str, Any]], *, name: str = "all", n_boot: int = 1000,
                confidence: float = 0.95, seed: int = 0) -> GroupStats:
    ordered = sorted(records, key=lambda r: r["id"])
    answered = [r for r in ordered if r["status"] in ANSWERED]
    correct = np.array([bool(r["correct"]) for r in answered], dtype=np.float64)
    parse_failures = sum(r["status"] == "parse_failed" for r in answered)
    parsed = [r for r in answered if r["status"] == "scored"]
    n = len(answered)
    low, high = bootstrap_ci(correct, n_boot=n_boot, confidence=confidence, seed=seed, name=name)
    return GroupStats(
        n=n,
        correct=int(correct.sum()),
        accuracy=float(correct.mean()) if n else math.nan,
        ci_low=low,
        ci_high=high,
        accuracy_parsed=(sum(bool(r["correct"]) for r in parsed) / len(parsed)) if parsed else math.nan,
        mean_score=float(np.mean([float(r["score"]) for r in answered])) if n else math.nan,
        parse_failures=parse_failures,
        parse_failure_rate=parse_failures / n if n else math.nan,
        errors=sum(r["status"] == "error" for r in ordered),
        not_scored=sum(r["status"] == "not_scored" for r in ordered),
    )


def macro_accuracy(records: Sequence[dict[str, Any]], field: str = "family", *, n_boot: int = 1000,
                   confidence: float = 0.95, seed: int = 0) -> dict[str, Any]:
    """Mean of the accuracies of the groups of `field` with an answered sample, each group weighted
    alike (the demo's families run from 11 to 93 samples in 600), with a stratified bootstrap
    interval: each group resampled within itself. {accuracy, ci_low, ci_high, groups}."""
    by_group: dict[str, list[float]] = defaultdict(list)
    for r in sorted(records, key=lambda r: r["id"]):
        if r["status"] in ANSWERED:
            by_group[str(r.get(field))].append(float(bool(r["correct"])))
    if not by_group:
        return {"accuracy": None, "ci_low": None, "ci_high": None, "groups": 0}
    rng = _rng(seed, f"macro:{field}")
    means, boots = [], np.zeros(n_boot)
    for name in sorted(by_group):
        values = np.array(by_group[name])
        means.append(values.mean())
        boots += values[rng.integers(0, values.size, size=(n_boot, values.size))].mean(axis=1)
    boots /= len(by_group)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(boots, [alpha, 1 - alpha])
    return {"accuracy": float(np.mean(means)), "ci_low": float(low), "ci_high": float(high), "groups": len(by_group)}


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


def latency_stats(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Percentiles (seconds) of the latency of replies received in a request (not from cache)."""
    values = np.array([float(r["latency_s"]) for r in records
                       if r.get("latency_s") is not None and not r.get("cached") and r["status"] != "error"])
    if values.size == 0:
        return {"n": 0}
    p50, p90, p95, p99 = np.percentile(values, [50, 90, 95, 99])
    return {"n": int(values.size), "mean": float(values.mean()), "p50": float(p50), "p90": float(p90),
            "p95": float(p95), "p99": float(p99), "max": float(values.max())}


def summarise(records: Sequence[dict[str, Any]], *, n_boot: int = 1000, confidence: float = 0.95,
              seed: int = 0) -> dict[str, Any]:
    """overall, by_task, by_family, by_answer_type, by_mode, by_steps (operations of the program),
    by_images (images shown), latency and status counts."""
    kw: dict[str, Any] = {"n_boot": n_boot, "confidence": confidence, "seed": seed}
    out: dict[str, Any] = {"overall": group_stats(records, name="all", **kw).to_dict()}
    for field, key in GROUPINGS.items():
        out[key] = {k: v.to_dict() for k, v in grouped(records, field, **kw).items()}
    statuses: dict[str, int] = defaultdict(int)
    for r in records:
        statuses[r["status"]] += 1
    out["status_counts"] = dict(sorted(statuses.items()))
    out["latency"] = latency_stats(records)
    out["macro_by_family"] = macro_accuracy(records, "family", **kw)
    out["bootstrap"] = {"resamples": n_boot, "confidence": confidence, "seed": seed}
    return out


_SAMPLE_PREFIX = re.compile(r"^sample '[^']*': ")
# `adapters.base.image_payload` / `image_hash`: one reason for every missing image file
_MISSING_IMAGE = re.compile(r"^image file (.+) does not exist$")
MISSING_IMAGES = "image files do not exist"


def error_reasons(records: Sequence[Mapping[str, Any]], top: int = 5) -> list[list[Any]]:
    """The commonest errors of failed requests, as [reason, count], commonest first (at most `top`)."""
    # "sample 'ab12': image x.png does not exist": grouped by what failed, not by sample; missing
    # image files are one reason, with the first of them as example (a samples file copied
    # without its images folder: one line, not one per image)
    reasons = [_SAMPLE_PREFIX.sub("", " ".join(str(r.get("error")).split())) for r in records if r["status"] == "error"]
    missing = [m.group(1) for m in map(_MISSING_IMAGE.match, reasons) if m]
    counts = Counter(f"{MISSING_IMAGES} (e.g. {missing[0]})" if _MISSING_IMAGE.match(reason) else reason
                     for reason in reasons)
    return [[reason, n] for reason, n in counts.most_common(top)]
