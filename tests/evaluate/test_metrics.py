"""Macro accuracy: every family weighted alike, with a stratified bootstrap interval."""

from __future__ import annotations

import pytest

from veriscene.evaluate.metrics import macro_accuracy, summarise


def rec(i: int, family: str, correct: bool, status: str = "scored") -> dict:
    return {"id": f"{family}{i}", "family": family, "status": status, "correct": correct, "score": float(correct),
            "task": family, "answer_type": "bool", "mode": "qa", "steps": 1, "images": 1, "latency_s": None}


def test_each_family_weighs_alike_whatever_its_size() -> None:
    records = ([rec(i, "big", True) for i in range(90)] + [rec(i, "small", False) for i in range(10)]
               + [rec(0, "caption", False, "not_scored")])  # a family with no answered sample counts not
    macro = macro_accuracy(records, n_boot=200)
    assert macro["accuracy"] == pytest.approx(0.5) and macro["groups"] == 2
    assert macro["ci_low"] == pytest.approx(0.5) and macro["ci_high"] == pytest.approx(0.5)  # no spread within
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
