"""A list answer scored with partial credit must not pay a policy torn between two lists for
replying their union (or their common part) rather than committing to one (`match.set_score`:
each item right earns 1/|gold|, each item wrong costs as much)."""

from __future__ import annotations

import itertools

import pytest

from veriscene.answers.match import match_answer, set_score

UNIVERSE = "abcd"
LISTS = [frozenset(c) for r in range(1, len(UNIVERSE) + 1) for c in itertools.combinations(UNIVERSE, r)]


def _expected(reply: frozenset[str], first: frozenset[str], second: frozenset[str], p: float) -> float:
    """The expected score of `reply` when the gold is `first` with probability p, else `second`."""
    return p * set_score(sorted(reply), sorted(first)) + (1 - p) * set_score(sorted(reply), sorted(second))


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.6, 0.9])
def test_no_reply_beats_committing_to_the_likelier_list(p: float) -> None:
    # every pair of golds over four items, every reply: under the near-miss F1 before, 372
    # (pair, odds, reply) cases at odds 0.1-0.9 paid a hedge more than committing (the union of
    # "b, c, d" and "a, c, d" earned 0.857 at even odds where committing earned 0.5)
    gains = []
    for first, second in itertools.permutations(LISTS, 2):
        commit = max(_expected(first, first, second, p), _expected(second, first, second, p))
        gains += [(sorted(h), sorted(first), sorted(second)) for h in LISTS
                  if _expected(h, first, second, p) > commit + 1e-12]
    assert gains == []


def test_the_union_of_two_lists_earns_what_committing_earns_at_even_odds_and_less_otherwise() -> None:
    first, second = frozenset("abc"), frozenset("abd")
    union, common = first | second, first & second
    assert _expected(union, first, second, 0.5) == pytest.approx(_expected(first, first, second, 0.5)) \
        == pytest.approx(2 / 3)
    for p in (0.6, 0.8):
        assert _expected(union, first, second, p) < _expected(first, first, second, p)
        assert _expected(common, first, second, p) < _expected(first, first, second, p)


@pytest.mark.parametrize(("said", "gold", "score"), [
    (["a", "b", "c", "d"], ["a", "b", "c"], 2 / 3),  # one wrong: 0.857 (F1) before
    (["a", "b", "d"], ["a", "b", "c"], 1 / 3),  # one swapped: 0 before
    (["a", "b"], ["a", "b", "c"], 2 / 3),  # one missing: 0.8 before
    (["a"], ["a", "b", "c"], 1 / 3),  # two missing: 0 before
    (["a", "b"], ["a"], 0.0),  # as many wrong as right
    (["b"], ["a"], 0.0), (["a"], [], 0.0), ([], [], 1.0), (["b", "a"], ["a", "b"], 1.0),
])
def test_each_right_item_earns_and_each_wrong_item_costs(said: list[str], gold: list[str], score: float) -> None:
    assert set_score(said, gold) == pytest.approx(score)


@pytest.mark.parametrize(("said", "score"), [
    (["gray", "large", "matte", "small"], 0.0),  # two sizes: a hedge, no credit
    (["gray", "large", "matte"], 1 / 3),  # the wrong size instead: one wrong (0 before, as a swap)
    (["gray", "matte"], 2 / 3),  # no size
])
def test_torn_between_two_sizes(said: list[str], score: float) -> None:
    gold = ["gray", "matte", "small"]
    assert set_score(said, gold) == pytest.approx(score)
    # committing to "large" at even odds earns (1 + 1/3) / 2 = 2/3: no less than either hedge
    assert score <= (1 + set_score(["gray", "large", "matte"], gold)) / 2 + 1e-12


def test_the_rule_through_match_answer() -> None:
    result = match_answer("circle, square, star", ["circle", "square", "triangle"], "str_set")
    assert result.score == pytest.approx(1 / 3) and not result.correct
