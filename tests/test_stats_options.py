"""`veriscene.stats_options`: how often a multiple choice's options alone give its answer away."""

import json
import math

import numpy as np
import orjson
import pytest
from typer.testing import CliRunner

from veriscene.stats import stats
from veriscene.stats_options import OptionGuess, binomial_tail, fold_of


def mc(k: int, task: str, choices: list[str], answer: int) -> dict:
    """A multiple-choice sample record (id from `k`) whose answer is `choices[answer]`."""
    letter = "ABCDEFGH"[answer]
    question = "Which?\nOptions:\n" + "\n".join(f"{'ABCDEFGH'[i]}. {c}" for i, c in enumerate(choices))
    return {"id": f"s{k:06d}", "task": task, "family": "object", "images": [], "question": question,
            "answer": choices[answer], "answer_type": "str", "choices": choices, "program": [], "template_id": "d.0",
            "generator_version": 1, "seed": 0, "meta": {"mode": "mc", "answer_letter": letter}}


def uninformative(seed: int, n: int) -> list[dict]:
    """Questions of 4 options drawn from a skewed vocabulary, the answer a uniform pick among them:
    the options tell nothing. Frequent values are offered (and so right) more often, which fools a
    guesser that compares counts rather than rates."""
    rng = np.random.default_rng(seed)
    vocab = [f"v{j}" for j in range(30)]
    weights = 1.0 / np.arange(1, 31)
    weights /= weights.sum()
    rows = []
    for k in range(n):
        choices = [str(v) for v in rng.choice(vocab, size=4, replace=False, p=weights)]
        rows.append(mc(k, "names.v1", choices, int(rng.integers(4))))
    return rows


def yes_no(seed: int, n: int) -> list[dict]:
    """Yes/no options in either order, exactly half the answers yes (leave-one-out: always wrong)."""
    rng = np.random.default_rng(seed)
    answers = rng.permutation([True] * (n // 2) + [False] * (n // 2))
    rows = []
    for k, yes in enumerate(answers):
        choices = ["yes", "no"] if rng.integers(2) else ["no", "yes"]
        rows.append(mc(k, "yes_no.v1", choices, choices.index("yes" if yes else "no")))
    return rows


def fields(rows: list[dict], task: str) -> dict:
    guess = OptionGuess()
    for r in rows:
        guess.add(r["task"], r["id"], r["choices"], r["meta"]["answer_letter"])
    guess.done()
    return guess.fields(task)


def test_options_that_tell_nothing_come_out_at_chance() -> None:
    """Cross-fitted, the guess is a function of the options and the other fold only: right with
    chance 1/k in expectation, over several seeds, for skewed values and for balanced yes/no."""
    gaps = []
    for seed in range(8):
        found = fields(uninformative(seed, 3000), "names.v1")
        assert found["options_chance"] == 0.25 and found["options_samples"] == 3000
        gaps.append(found["options_alone"] - found["options_chance"])
        assert abs(gaps[-1]) < 0.035  # 4.4 standard deviations of one seed's share (0.0079)
    assert abs(sum(gaps) / len(gaps)) < 0.012  # 4.3 standard deviations of the mean of 8
    for seed in range(4):
        found = fields(yes_no(seed, 2000), "yes_no.v1")
        assert found["options_chance"] == 0.5 and abs(found["options_alone"] - 0.5) < 0.05
        assert found["options_telling"] == []


def test_a_giveaway_value_is_found_and_named() -> None:
    """'0' is the answer whenever offered (in a third of the questions), the rest as chance has it."""
    rng = np.random.default_rng(3)
    rows = []
    for k in range(1500):
        choices = [str(v) for v in rng.choice([f"n{j}" for j in range(12)], size=4, replace=False)]
        answer = int(rng.integers(4))
        if k % 3 == 0:
            choices[answer] = "0"
        rows.append(mc(k, "count.v1", choices, answer))
    found = fields(rows, "count.v1")
    # a third right for sure, the rest at chance: 1/3 + 2/3 * 1/4 = 0.5
    assert found["options_alone"] == pytest.approx(0.5, abs=0.04) and found["options_chance"] == 0.25
    first = found["options_telling"][0]
    assert (first["option"], first["right"], first["offered"], first["chance"]) == ("0", 500, 500, 0.25)
    assert first["p_value"] < 1e-100
    assert all(t["option"] == "0" for t in found["options_telling"])  # the others are right less than chance


@pytest.mark.parametrize(("right", "n", "p"), [(0, 10, 0.3), (3, 10, 0.25), (10, 10, 0.5), (17, 40, 0.25),
                                              (60, 200, 0.25), (11, 10, 0.5)])
def test_binomial_tail_is_the_exact_sum(right: int, n: int, p: float) -> None:
    exact = sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(right, n + 1))
    assert binomial_tail(right, n, p) == pytest.approx(exact, rel=1e-9, abs=1e-300)


def test_folds_are_stable_and_halve_the_samples() -> None:
    folds = [fold_of(f"s{k:06d}") for k in range(4000)]
    assert fold_of("s000001") == folds[1] and abs(sum(folds) - 2000) < 150


def test_a_letter_outside_the_options_is_not_counted() -> None:
    guess = OptionGuess()
    guess.add("t.v1", "a", ["x", "y"], "C")
    guess.add("t.v1", "b", ["x", "y"], "AB")
    assert guess.fields("t.v1")["options_alone"] is None and guess.fields("t.v1")["options_samples"] == 0


def test_the_report_is_the_same_in_any_order_and_on_any_number_of_workers(tmp_path, monkeypatch) -> None:
    """Bounded tallies (a limit of 40 values and 60 option sets per task, so both are cut) merge
    exactly: two processes reading 20 KB parts, and the samples reversed, give the report of one
    (the options-alone figures also when read in reverse)."""
    from veriscene import stats as module
    from veriscene import stats_options

    rows = uninformative(1, 600) + fields_of_giveaway(400)
    monkeypatch.setattr(stats_options, "MAX_OPTION_VALUES", 40)  # inherited by the forked workers
    monkeypatch.setattr(stats_options, "MAX_OPTION_SETS", 60)
    monkeypatch.setattr(module, "PART_BYTES", 20_000)
    (tmp_path / "a.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    (tmp_path / "b.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in rows[::-1]) + b"\n")
    one = stats(tmp_path / "a.jsonl")
    assert len(one.options["count.v1"].values) == 40 and len(one.options["names.v1"].sets) == 60
    assert 0 < one.to_dict()["tasks"][0]["options_samples"] < 400  # the sets not kept are left out
    assert stats(tmp_path / "a.jsonl", workers=2).to_dict() == one.to_dict()
    mine = [{k: v for k, v in row.items() if k.startswith("options_")} for row in one.to_dict()["tasks"]]
    assert [{k: v for k, v in row.items() if k.startswith("options_")}  # (top answers tie in reading order)
            for row in stats(tmp_path / "b.jsonl").to_dict()["tasks"]] == mine


def fields_of_giveaway(n: int) -> list[dict]:
    """Counting questions over many values (each offered fewer than 20 times) where '0', offered in
    a quarter of them, is right whenever offered."""
    rows = []
    for k in range(n):
        choices = [str(k % 50 + 1), str(k % 37 + 60), str(k % 41 + 100), str(k % 13 + 200)]
        answer = k // 4 % 4
        if k % 4 == 0:
            choices[answer] = "0"
        rows.append(mc(10_000 + k, "count.v1", choices, answer))
    return rows


def test_cli_table_json_and_card_show_the_figure(tmp_path) -> None:
    from veriscene.card import card_facts
    from veriscene.card_text import render_card
    from veriscene.cli import app

    rows = fields_of_giveaway(400)
    (tmp_path / "samples.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    result = CliRunner().invoke(app, ["stats", str(tmp_path), "--json", "--no-chart"])
    row, = json.loads(result.stdout)["tasks"]
    assert row["options_samples"] == 400 and row["options_telling"][0]["option"] == "0"
    result = CliRunner().invoke(app, ["stats", str(tmp_path), "--no-chart"], env={"COLUMNS": "300"})
    assert result.exit_code == 0 and "options alone (chance)" in result.output
    assert "options tell the answer more than 10 points above chance" in result.output
    assert "  count.v1 " in result.output
    assert "'0' is right in 100 of the 100 questions that offer it, chance 25%" in result.output
    card = render_card(card_facts(tmp_path / "samples.jsonl"))
    assert "options alone (chance)" in card and f"{row['options_alone']:.0%} (25%)" in card
    assert "the options alone give the answer more than 10 points above chance (over at least 20 samples): `count.v1`" in card
