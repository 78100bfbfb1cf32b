"""Multiple choice: a letter followed by an explanation that names other options, and the hacks
that must keep failing."""

from __future__ import annotations

import pytest

from veriscene.answers import parse_answer

CHOICES = ["red", "green", "blue", "purple"]


@pytest.mark.parametrize("reply", [
    "B\n\nExplanation: A is red, C is blue, and D is purple, so only B matches the hexagon.",
    "B. The hexagon is green; option A is red.",
    "Between A and B, I choose B.",
    "It is not A. It is not C. It is not D. So B.",
    "**B**\n\nThe hexagon is green, unlike A.",
    "(B)\nC is blue.",
    "B\n\nA is wrong.",
    "B)\nGreen",
    "I'll pick B.",
])
def test_a_letter_with_an_explanation_naming_others(reply: str) -> None:
    result = parse_answer(reply, "str", choices=CHOICES)
    assert result.ok and result.choice_index == 1, result.reason


@pytest.mark.parametrize("reply", [
    "A B C D", "A or B", "I choose A or B", "I choose A/B", "The answer is A or B",
    "B. C.", "B\nC", "A\nB\nC\nD", "B. A is also correct.", "B. Or C.", "B. The answer could be C.",
    "B. C is right too.", "Option B (or possibly C)", "B (or maybe C)", "(B) and (C)", "B. Blue",
    "A. B.", "B, C",
])
def test_several_options_still_fail(reply: str) -> None:
    result = parse_answer(reply, "str", choices=CHOICES)
    assert not result.ok, result
