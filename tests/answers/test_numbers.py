"""Counts (int) and measurements (float) in replies."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer, parse_answer
from veriscene.answers.numbers import find_numbers, words_to_numbers
from veriscene.text import _import_inflect

from ._variants import CORE_WRAPPERS, WRAPPERS, wrap

# inflect imported as veriscene imports it, without typeguard's instrumentation: `import inflect`
# here cost each test worker 2.3 s of its collection, and made every inflect call that worker's
# tests make afterwards 2-7 times slower (veriscene uses an inflect imported before it as it is)
_P = _import_inflect().engine()
COUNTS = list(range(26)) + [30, 42, 57, 99, 100, 105, 250, 1000]


def _forms(n: int) -> list[str]:
    words = _P.number_to_words(n)  # "twenty-one", "one hundred and five"
    return [str(n), words, words.capitalize(), f"There are {n} dogs", f"I count {words} objects",
            f"{n} objects"]


INT_VARIANTS = [(r, n) for n in COUNTS for f in _forms(n) for r in wrap(f, CORE_WRAPPERS)]


@pytest.mark.parametrize(("reply", "value"), INT_VARIANTS)
def test_int_variants(reply: str, value: int) -> None:
    result = parse_answer(reply, "int")
    assert result.ok, result.reason
    assert result.value == value and isinstance(result.value, int)


INT_HAND = [
    ("There are 4.", 4), ("3 dogs", 3), ("twelve", 12), ("twenty one", 21), ("zero", 0),
    ("none", 0), ("None.", 0), ("There are no dogs.", 0), ("Nothing.", 0), ("a dozen", 12),
    ("There are 2 cats and 3 dogs, so the answer is 3.", 3),
    ("I see 3 dogs, 3 in total.", 3), ("Only one.", 1), ("1,200", 1200),
    ("No, there are 3 dogs.", 3), ("There are **5** cars.", 5), ("3.0", 3),
    ("The answer is 4 (2 large and 2 small).", 4), ("Count: 7", 7), ("seven.", 7),
]


@pytest.mark.parametrize(("reply", "value"), INT_HAND)
def test_int_hand(reply: str, value: int) -> None:
    result = parse_answer(reply, "int")
    assert result.ok, result.reason
    assert result.value == value


@pytest.mark.parametrize(("reply", "reason"), [
    ("I see 2 cats and 3 dogs", "several different numbers"),
    ("two or three", "several different numbers"),
    ("3.5", "whole number"),
    ("many", "no whole number"),
    ("I can't count them", "no whole number"),
    ("", "empty reply"),
])
def test_int_failures(reply: str, reason: str) -> None:
    result = parse_answer(reply, "int")
    assert not result.ok and reason in (result.reason or "")


FLOATS = [0.5, 1.25, 3.0, -2.5, 10.75, 0.33, 100.0, 2.125]
FLOAT_VARIANTS = [(r, v) for v in FLOATS for f in (f"{v}", f"{v:g}", f"about {v} meters", f"{v} m")
                  for r in wrap(f, WRAPPERS[:12])]


@pytest.mark.parametrize(("reply", "value"), FLOAT_VARIANTS)
def test_float_variants(reply: str, value: float) -> None:
    result = parse_answer(reply, "float")
    assert result.ok, result.reason
    assert result.value == pytest.approx(value)


@pytest.mark.parametrize(("reply", "value"), [
    ("1/2", 0.5), (".5", 0.5), ("three", 3.0), ("It is 2.50.", 2.5), ("−1.5", -1.5), ("1e3", 1000.0), ("2.5e-1", 0.25),
])
def test_float_hand(reply: str, value: float) -> None:
    assert parse_answer(reply, "float").value == pytest.approx(value)


def test_none_is_zero_only_for_counts() -> None:
    assert parse_answer("none", "int").value == 0
    assert not parse_answer("none", "float").ok


@pytest.mark.parametrize(("reply", "gold", "correct"), [
    ("3", 3, True), ("three", 3, True), ("4", 3, False), ("0.33", 1 / 3, True), ("0.3", 1 / 3, False),
    ("2.0", 2, True), ("10.05", 10.0, True), ("10.2", 10.0, False),
])
def test_match_numbers(reply: str, gold: float, correct: bool) -> None:
    answer_type = "int" if isinstance(gold, int) and "." not in reply else "float"
    assert match_answer(reply, gold, answer_type).correct is correct


@pytest.mark.parametrize(("words", "values"), [
    (["twenty", "one"], [21.0]), (["one", "two"], [1.0, 2.0]), (["one", "hundred", "and", "five"], [105.0]),
    (["two", "thousand", "twenty"], [2020.0]), (["twenty", "thirty"], [20.0, 30.0]), (["a", "dozen"], [12.0]),
    # a multiplier right after "thousand" or "million" multiplies (it was added: "a million million" read 2,000,000)
    (["a", "million", "million"], [1e12]), (["a", "thousand", "million"], [1e9]), (["a", "dozen", "dozen"], [144.0]),
    (["two", "thousand", "dozen"], [24000.0]), (["a", "million", "million", "million"], [1e18]),
    (["two", "million"], [2e6]), (["three", "hundred", "thousand"], [300000.0]),
    (["one", "million", "two", "hundred", "thousand"], [1200000.0]),
    (["one", "million", "two", "hundred", "thousand", "and", "five"], [1200005.0]),
    (["one", "million", "and", "one"], [1000001.0]), (["a", "million", "a", "million"], [1e6, 1e6]),
    # a larger scale multiplies the smaller groups before it (it was added: 200,001,000)
    (["one", "thousand", "two", "hundred", "million"], [1.2e9]), (["two", "million", "three", "thousand"], [2003000.0]),
    (["a", "thousand", "million", "two", "thousand"], [1000002000.0]), (["two", "thousand", "three", "thousand"], [5000.0]),
])
def test_words_to_numbers(words: list[str], values: list[float]) -> None:
    assert words_to_numbers(words) == values


@pytest.mark.parametrize(("reply", "value"), [
    ("A million million.", 10**12), ("There are a thousand million stars.", 10**9), ("two million", 2_000_000),
])
def test_scales_multiply_in_replies(reply: str, value: int) -> None:
    result = parse_answer(reply, "int")
    assert result.ok and result.value == value and isinstance(result.value, int)
    assert match_answer(reply, value, "int").correct


@pytest.mark.parametrize(("text", "values"), [
    ("2D image", []), ("the 3rd image", []), ("x2", []), ("range 3-4", [3.0, 4.0]), ("-3", [-3.0]),
    ("1,200 and 3,4", [1200.0, 3.0, 4.0]),
])
def test_find_numbers(text: str, values: list[float]) -> None:
    assert [n.value for n in find_numbers(text)] == values


@pytest.mark.parametrize("reply", [
    "1e999", "9" * 400, "There are 1e309 circles.", "-1e400", "The answer is " + "9" * 5000,
])
@pytest.mark.parametrize("answer_type", ["int", "float"])
def test_huge_numbers_fail_to_parse_without_raising(reply: str, answer_type: str) -> None:
    result = match_answer(reply, 3, answer_type)
    assert result.parse_failed and "out of range" in (result.reason or "")


@pytest.mark.parametrize(("reply", "reason"), [
    ("The answer is 3 or 4", "alternatives"),
    ("Answer: 3 or 4", "alternatives"),
    ("Answer: 3-4", "alternatives"),
    ("At least 3", "bound"),
    ("3+", "bound"),
    ("≥3", "bound"),
    ("3 or more", "bound"),
    ("The answer is more than 2", "bound"),
    ("approximately 3", "approximate"),
    ("The answer is 3... actually 4", "changes its answer"),
])
def test_int_hedges_in_a_marked_answer_fail(reply: str, reason: str) -> None:
    result = match_answer(reply, 3, "int")
    assert result.parse_failed and reason in (result.reason or "")


def test_float_may_be_approximate_but_not_a_bound() -> None:
    assert match_answer("approximately 2.5", 2.5, "float").correct
    assert match_answer("more than 2.5", 2.5, "float").parse_failed
