"""Macro accuracy: every family weighted alike, with a stratified bootstrap interval; accuracies and
bootstrap means from counts of 0/1 values, the float64 means of those values bit for bit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from veriscene.evaluate import metrics
from veriscene.evaluate.metrics import macro_accuracy, summarise


def rec(i: int, family: str, correct: bool, status: str = "scored") -> dict[str, Any]:
    return {"id": f"{family}{i}", "family": family, "status": status, "correct": correct, "score": float(correct),
            "task": family, "answer_type": "bool", "mode": "qa", "steps": 1, "images": 1, "latency_s": None}


def test_each_family_weighs_alike_whatever_its_size() -> None:
    records = ([rec(i, "big", True) for i in range(90)] + [rec(i, "small", False) for i in range(10)]
               + [rec(0, "caption", False, "not_scored")])  # a family with no answered sample counts not
    macro = macro_accuracy(records, n_boot=200)
    assert macro["accuracy"] == pytest.approx(0.5) and macro["groups"] == 2
    # no spread within either family: the mean of their exact bounds at 97.5 % each (Bonferroni), not
    # [0.5, 0.5] (the stratified bootstrap's resamples are all the samples again)
    assert macro["ci_low"] == pytest.approx((0.0125 ** (1 / 90) + 0.0) / 2)
    assert macro["ci_high"] == pytest.approx((1.0 + 1 - 0.0125 ** (1 / 10)) / 2)
    assert 0.47 < macro["ci_low"] < 0.48 and 0.67 < macro["ci_high"] < 0.68
    assert summarise(records, n_boot=200)["overall"]["accuracy"] == pytest.approx(0.9)


def test_the_interval_covers_the_mean_and_is_the_same_every_time() -> None:
    records = [rec(i, "a", i % 2 == 0) for i in range(20)] + [rec(i, "b", i % 4 == 0) for i in range(40)]
    first, again = macro_accuracy(records), macro_accuracy(list(reversed(records)))
    assert first == again  # records sorted by id before resampling: order never matters
    assert first["accuracy"] == pytest.approx((0.5 + 0.25) / 2)
    assert first["ci_low"] < first["accuracy"] < first["ci_high"]


def test_no_answered_sample_gives_no_macro_accuracy() -> None:
    assert macro_accuracy([rec(0, "a", False, "error")]) == {"accuracy": None, "ci_low": None, "ci_high": None,
                                                             "groups": 0}


@pytest.mark.parametrize("seed", range(4))
def test_a_count_over_n_is_the_float64_mean_of_the_0_1_values(seed: int) -> None:
    """An accuracy is correct / n: numpy's float64 mean of the 0/1 values, bit for bit (their sum is
    exact below 2^53, and both quotients are correctly rounded)."""
    rng = np.random.default_rng(seed)
    for n in [1, 3, 7, 128, 129, 1000, 12_345, 1_000_003]:
        values = (rng.random(n) < rng.random()).astype(np.int8)
        k = int(values.sum(dtype=np.int64))
        assert (k / n).hex() == float(values.astype(np.float64).mean()).hex()
    for n in rng.integers(1, 2**52, size=2000).tolist():  # the quotients alone, for n beyond any run
        k = int(rng.integers(0, n + 1))
        assert k / n == float(np.float64(k) / np.float64(n))


@pytest.mark.parametrize(("n", "n_boot", "draws"), [(1, 20, 7), (5, 33, 7), (1000, 40, 7), (1000, 40, 3000),
                                                     (30_001, 5, 1 << 12), (300_001, 3, 1 << 18)])
def test_bootstrap_means_of_int8_values_are_those_of_a_float64_copy(n: int, n_boot: int, draws: int,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The same indices, drawn at most `_DRAWS` at a time (numpy's generator gives the same numbers
    drawn in pieces as at once), and the same means, bit for bit, as x[indices].mean(axis=1) of
    the float64 values drawn all at once."""
    monkeypatch.setattr(metrics, "_DRAWS", draws)
    values = (np.random.default_rng(n).random(n) < 0.7).astype(np.int8)
    means = np.empty(n_boot)
    for start, stop, chunk in metrics.boot_means(values, metrics._rng(1, "g"), n_boot):
        means[start:stop] = chunk
    expected = values.astype(np.float64)[metrics._rng(1, "g").integers(0, n, size=(n_boot, n))].mean(axis=1)
    assert means.view(np.uint64).tolist() == expected.view(np.uint64).tolist()
    low, high = metrics._ci_of(values, n_boot=n_boot, confidence=0.9, seed=1, name="g")
    assert (low, high) == metrics.bootstrap_ci(values.astype(np.float64), n_boot=n_boot, confidence=0.9, seed=1,
                                               name="g")


def test_an_accuracy_of_every_sample_right_or_wrong_has_the_exact_interval() -> None:
    """Where every answered sample is right (or wrong) the bootstrap's resamples have no spread:
    its interval was [100, 100] % for 1 right of 1, reported beside per-generator accuracies as if
    one sample settled them. It is the exact binomial one there; elsewhere the bootstrap's."""
    one = summarise([rec(0, "a", True)], n_boot=200)["overall"]
    assert (one["ci_low"], one["ci_high"]) == (pytest.approx(0.025), 1.0)
    twelve = summarise([rec(i, "a", False) for i in range(12)], n_boot=200)["overall"]
    assert (twelve["ci_low"], twelve["ci_high"]) == (0.0, pytest.approx(1 - 0.025 ** (1 / 12)))
    assert 0.26 < twelve["ci_high"] < 0.27
    at_90 = summarise([rec(i, "a", True) for i in range(12)], n_boot=200, confidence=0.9)["overall"]
    assert at_90["ci_low"] == pytest.approx(0.05 ** (1 / 12))
    mixed = [rec(i, "a", i % 2 == 0) for i in range(20)]
    low, high = metrics.bootstrap_ci(np.array([float(i % 2 == 0) for i in sorted(range(20), key=lambda i: f"a{i}")]),
                                     n_boot=200, name="all")
    assert (summarise(mixed, n_boot=200)["overall"]["ci_low"], summarise(mixed, n_boot=200)["overall"]["ci_high"]) \
        == (low, high)
