"""Molmo multi-point tags, and fractions written in LaTeX or in words."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer, parse_answer
from veriscene.answers.numbers import find_numbers
from veriscene.answers.spatial import find_points


@pytest.mark.parametrize("reply", [
    '<points x1="0.5" y1="0.5" x2="0.1" y2="0.1" alt="c">c</points>',
    '<points x1="0.1" y1="0.1" x2="0.5" y2="0.5" alt="c">c</points>',
    "<points x1=0.5 y1=0.5 x2=0.1 y2=0.1 x3=0.9 y3=0.9>",
])
def test_molmo_multi_point_is_several_points(reply: str) -> None:
    result = match_answer(reply, [320.0, 240.0], "point", image_size=[640, 480])
    assert result.parse_failed and "several different points" in (result.reason or "")


@pytest.mark.parametrize(("text", "points"), [
    ('<points x1="0.5" y1="0.5" x2="0.1" y2="0.1">c</points>', [[0.5, 0.5], [0.1, 0.1]]),
    ('<points x1="0.5" y1="0.5" x2="0.5" y2="0.5">c</points>', [[0.5, 0.5]]),
    ('<point x="0.48" y="0.83">', [[0.48, 0.83]]),
    ("<point>0.5, 0.25</point>", [[0.5, 0.25]]),
])
def test_find_points_in_tags(text: str, points: list[list[float]]) -> None:
    assert find_points(text) == (points, False)


@pytest.mark.parametrize(("reply", "value"), [
    ("\\boxed{\\frac{1}{2}}", 0.5), ("$\\dfrac{3}{4}$", 0.75), ("\\tfrac12", 0.5), ("one half", 0.5),
    ("One half of the objects are red.", 0.5), ("half", 0.5), ("a half", 0.5), ("two and a half", 2.5),
    ("2 and a half", 2.5), ("one and a half", 1.5), ("three quarters", 0.75), ("two thirds", 2 / 3),
    ("two-thirds", 2 / 3), ("a quarter", 0.25),
])
def test_fractions_read_right(reply: str, value: float) -> None:
    result = parse_answer(reply, "float")
    assert result.ok and result.value == pytest.approx(value), result


@pytest.mark.parametrize(("text", "values"), [
    ("the third image", []), ("a third cup", []), ("a half-eaten cake", []), ("half of them are red", []),
    ("three-four", [3.0, 4.0]),
])
def test_fraction_words_that_are_no_fractions(text: str, values: list[float]) -> None:
    assert [n.value for n in find_numbers(text)] == values


def test_number_words_have_their_own_spans() -> None:
    assert [(n.start, n.end) for n in find_numbers("one two three")] == [(0, 3), (4, 7), (8, 13)]
    assert [(n.start, n.end) for n in find_numbers("one hundred and five")] == [(0, 20)]


@pytest.mark.parametrize("reply", ["There are 4 cups, half of them red.", "There are 4 cups and a half-eaten cake."])
def test_half_does_not_disturb_counts(reply: str) -> None:
    assert match_answer(reply, 4, "int").correct
