"""The summary of an evaluation from compact columns (`tally.Tally`) is the summary of the records
held whole, number for number: the rule written out here as it was computed before (records
sorted by id, grouped, bootstrapped), against ids that share long prefixes, non-ASCII ids, ids
that are prefixes of others, every status, and records without steps or latency."""

from __future__ import annotations

import math
import random
import re
from collections import Counter, defaultdict
from typing import Any

import numpy as np
import pytest

from veriscene.evaluate import metrics
from veriscene.evaluate.metrics import GROUPINGS, GroupStats, _order, _rng, bootstrap_ci, error_reasons, summarise
from veriscene.evaluate.tally import Tally, id_order


def _group(records: list[dict[str, Any]], name: str, **kw: Any) -> dict[str, Any]:
    ordered = sorted(records, key=lambda r: r["id"])
    answered = [r for r in ordered if r["status"] in ("scored", "parse_failed")]
    correct = np.array([bool(r["correct"]) for r in answered], dtype=np.float64)
    parsed = [r for r in answered if r["status"] == "scored"]
    n, failures = len(answered), sum(r["status"] == "parse_failed" for r in answered)
    low, high = metrics.exact_where_uniform(int(correct.sum()), n, *bootstrap_ci(correct, name=name, **kw),
                                            kw.get("confidence", 0.95))
    return GroupStats(
        n=n, correct=int(correct.sum()), accuracy=float(correct.mean()) if n else math.nan, ci_low=low, ci_high=high,
        accuracy_parsed=(sum(bool(r["correct"]) for r in parsed) / len(parsed)) if parsed else math.nan,
        mean_score=float(np.mean([float(r["score"]) for r in answered])) if n else math.nan,
        parse_failures=failures, parse_failure_rate=failures / n if n else math.nan,
        errors=sum(r["status"] == "error" for r in ordered),
        not_scored=sum(r["status"] == "not_scored" for r in ordered),
    ).to_dict()


def _macro(records: list[dict[str, Any]], n_boot: int, confidence: float, seed: int) -> dict[str, Any]:
    by_group: dict[str, list[float]] = defaultdict(list)
    for r in sorted(records, key=lambda r: r["id"]):
        if r["status"] in ("scored", "parse_failed"):
            by_group[str(r.get("family"))].append(float(bool(r["correct"])))
    if not by_group:
        return {"accuracy": None, "ci_low": None, "ci_high": None, "groups": 0}
    rng = _rng(seed, "macro:family")
    means, boots = [], np.zeros(n_boot)
    for name in sorted(by_group):
        values = np.array(by_group[name])
        means.append(values.mean())
        boots += values[rng.integers(0, values.size, size=(n_boot, values.size))].mean(axis=1)
    boots /= len(by_group)
    low, high = np.quantile(boots, [(1 - confidence) / 2, 1 - (1 - confidence) / 2])
    if all(m in (0.0, 1.0) for m in means):  # every family uniform: the exact bounds (`metrics.macro_exact`)
        low, high = metrics.macro_exact(means, [len(by_group[name]) for name in sorted(by_group)], confidence)
    return {"accuracy": float(np.mean(means)), "ci_low": float(low), "ci_high": float(high), "groups": len(by_group)}


def summarised_whole(records: list[dict[str, Any]], n_boot: int = 1000, confidence: float = 0.95,
                     seed: int = 0) -> dict[str, Any]:
    """The summary as it was computed from the records held whole."""
    kw = {"n_boot": n_boot, "confidence": confidence, "seed": seed}
    out: dict[str, Any] = {"overall": _group(records, "all", **kw)}
    for field, key in GROUPINGS.items():
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in records:
            if r.get(field) is not None:
                groups[str(r[field])].append(r)
        out[key] = {k: _group(groups[k], f"{field}={k}", **kw) for k in sorted(groups, key=_order)}
    out["status_counts"] = dict(sorted(Counter(r["status"] for r in records).items()))
    latency = np.array([float(r["latency_s"]) for r in records
                        if r.get("latency_s") is not None and not r.get("cached") and r["status"] != "error"])
    out["latency"] = {"n": 0} if not latency.size else dict(zip(
        ("n", "mean", "p50", "p90", "p95", "p99", "max"),
        [int(latency.size), float(latency.mean()), *map(float, np.percentile(latency, [50, 90, 95, 99])),
         float(latency.max())]))
    out["macro_by_family"] = _macro(records, n_boot, confidence, seed)
    out["bootstrap"] = {"resamples": n_boot, "confidence": confidence, "seed": seed}
    return out


STATUSES = ("scored", "scored", "scored", "parse_failed", "not_scored", "error", "skipped")


def made_records(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    prefixes = ["", "sample-0000000000000000-", "é-ümlaut-ßß-", "\U0001F600x", "ab"]
    records = []
    for k in range(n):
        status = rng.choice(STATUSES)
        answered = status in ("scored", "parse_failed")
        # scores whose float sums depend on their order (a third, a tenth, values of 1e-13 beside 1)
        score = rng.choice([0.0, 1.0, rng.random(), 0.1, 1 / 3, rng.random() * 1e-13]) if status == "scored" else 0.0
        records.append({
            "id": rng.choice(prefixes) + (f"{rng.getrandbits(40):x}" if rng.random() < 0.9 else ""),
            "task": rng.choice(["object.count.v1", "relation.exists.v1", "scene_graph.caption.v1"]),
            "family": rng.choice(["counting", "relation", None, "scene_graph"]),
            "answer_type": rng.choice(["int", "bool", "text"]), "mode": rng.choice(["qa", "mc"]),
            "steps": rng.choice([None, 1, 2, 10, 3]), "images": rng.choice([1, 2, None]),
            "status": status, "correct": (score == 1.0) if answered else None, "score": score if answered else None,
            "latency_s": rng.choice([None, rng.random() * 3]), "cached": rng.random() < 0.2,
            "finish_reason": rng.choice([None, "stop", "length"]),
            "error": rng.choice(["timed out", "image file /x/%d.png does not exist" % k, "HTTP 500"])
            if status == "error" else None,
        })
    if n > 1:  # an id twice; an id and its prefix
        records += [dict(records[0]), dict(records[1], id=f"{records[1]['id']}\0")]
    for k in range(1, n, 17):  # ids repeated (of records of other statuses and groups)
        records[k]["id"] = records[rng.randrange(k)]["id"]
    rng.shuffle(records)
    return records


@pytest.mark.parametrize(("n", "seed", "n_boot", "draws"), [
    (0, 0, 50, None), (1, 1, 50, None), (300, 2, 200, None), (2000, 3, 100, None),
    (2000, 4, 30, 7), (2000, 5, 30, 250), (5000, 6, 20, 1000)])  # draws: bootstrap indices at a time
def test_the_columns_give_the_summary_of_the_records(n: int, seed: int, n_boot: int, draws: int | None,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    if draws is not None:  # groups of more answered records than that: each resample drawn in pieces
        monkeypatch.setattr(metrics, "_DRAWS", draws)
    records = made_records(n, seed) if n else []
    tally = Tally()
    for r in records:
        tally.add(r)
    asked: list[int] = []

    def ids_at(positions: np.ndarray) -> list[str]:
        asked.extend(positions.tolist())
        return [records[p]["id"] for p in positions.tolist()]

    assert tally.summary(n_boot=n_boot, confidence=0.9, seed=seed, ids_at=ids_at) == summarised_whole(
        records, n_boot=n_boot, confidence=0.9, seed=seed)
    assert summarise(records, n_boot=n_boot) == summarised_whole(records, n_boot=n_boot)
    if n > 100:  # only the ids of answered records whose first 16 bytes are alike are read again
        assert 0 < len(asked) < len(records)
        assert tally.cut_at_max_tokens == sum(r["finish_reason"] == "length" for r in records)
        # the mean scores are numpy's sums in id order: a sum in another order gives other bits
        scores = [float(r["score"]) for r in sorted(records, key=lambda r: r["id"])
                  if r["status"] in ("scored", "parse_failed")]
        assert float(np.mean(scores)) != sum(scores) / len(scores)


@pytest.mark.parametrize("seed", range(6))
def test_runs_of_equal_keys_are_sorted_by_their_ids(seed: int) -> None:
    rng = random.Random(seed)
    # 16-byte keys shared by many ids (a long common prefix), ids repeated, ids that are prefixes of others
    ids = [rng.choice(["x" * 16, "x" * 15 + "é", "y" * 20, ""]) + rng.choice(["", "a", "b", "\0", "ab", "é"])
           for _ in range(rng.randrange(2, 300))]
    keys = np.frombuffer(b"".join(i.encode()[:16].ljust(16, b"\0") for i in ids), dtype=">u8").astype(np.uint64)
    keys = keys.reshape(len(ids), 2)
    asked: list[list[int]] = []

    def ids_at(positions: np.ndarray) -> list[str]:
        asked.append(positions.tolist())
        return [ids[p] for p in positions.tolist()]

    order = id_order(np.ascontiguousarray(keys[:, 0]), np.ascontiguousarray(keys[:, 1]), ids_at)
    assert order.tolist() == sorted(range(len(ids)), key=ids.__getitem__)
    assert all(a == sorted(a) for a in asked)  # (a results file is read forwards)


def test_the_id_order_is_the_order_of_the_ids_as_text() -> None:
    ids = ["b", "a\0", "a", "é", "z" * 40, "z" * 40 + "a", "z" * 39, "\U0001F600", "\uffff", "A", "", "a", "ab" * 9]
    keys = np.frombuffer(b"".join(i.encode()[:16].ljust(16, b"\0") for i in ids), dtype=">u8").astype(np.uint64)
    keys = keys.reshape(len(ids), 2)
    order = id_order(np.ascontiguousarray(keys[:, 0]), np.ascontiguousarray(keys[:, 1]),
                     lambda positions: [ids[p] for p in positions.tolist()])
    assert order.tolist() == sorted(range(len(ids)), key=ids.__getitem__)


def _reasons_whole(records: list[dict[str, Any]]) -> list[list[Any]]:
    reasons = [re.sub(r"^sample '[^']*': ", "", " ".join(str(r.get("error")).split()))
               for r in records if r["status"] == "error"]
    missing = [m.group(1) for m in (re.match(r"^image file (.+) does not exist$", x) for x in reasons) if m]
    counts = Counter(f"image files do not exist (e.g. {missing[0]})"
                     if re.match(r"^image file (.+) does not exist$", x) else x for x in reasons)
    return [[reason, k] for reason, k in counts.most_common(5)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_error_reasons_counted_as_they_come_are_those_of_the_records(seed: int) -> None:
    records = made_records(400, seed)
    assert error_reasons(records) == _reasons_whole(records)
    tally = Tally()
    for r in records:
        tally.add(r)
    assert tally.reasons.top() == _reasons_whole(records)
