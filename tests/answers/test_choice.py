"""Multiple choice: option letters in verbose replies, option text, and the article trap."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer, parse_answer
from veriscene.sample import OPTION_LETTERS

from ._variants import CORE_WRAPPERS, wrap

CHOICE_SETS = [
    ("str", ["red circle", "blue square", "green triangle", "yellow star"]),
    ("int", ["2", "3", "4", "5"]),
    ("str", ["dog", "cat", "horse"]),
    ("bool", ["yes", "no"]),
]


def _letter_forms(letter: str, text: str) -> list[str]:
    return [letter, f"({letter})", f"{letter}.", f"{letter})", f"Option {letter}", f"option ({letter.lower()})",
            f"The answer is ({letter}) because the others do not match.", f"I choose {letter}.",
            f"[{letter}]", f"{letter}. {text}", f"({letter}) {text}", letter.lower(), f"Choice {letter}",
            f"I would go with {letter} here.", text, f"The answer is {text}."]


MC_VARIANTS = [
    (reply, answer_type, choices, i)
    for answer_type, choices in CHOICE_SETS
    for i, text in enumerate(choices)
    for form in _letter_forms(OPTION_LETTERS[i], text)
    for reply in wrap(form, CORE_WRAPPERS[:6])
]


@pytest.mark.parametrize(("reply", "answer_type", "choices", "index"), MC_VARIANTS)
def test_letter_and_text_variants(reply: str, answer_type: str, choices: list[str], index: int) -> None:
    res = parse_answer(reply, answer_type, choices=choices)
    assert res.ok, res.reason
    assert res.choice_index == index
    gold_letter = OPTION_LETTERS[index]
    assert match_answer(reply, choices[index], answer_type, choices=choices, answer_letter=gold_letter).correct
    other = OPTION_LETTERS[(index + 1) % len(choices)]
    assert not match_answer(reply, choices[index], answer_type, choices=choices, answer_letter=other).correct


ARTICLE_CHOICES = ["blue square", "red circle", "green triangle", "yellow star"]


@pytest.mark.parametrize(("reply", "index"), [
    ("A red circle", 1), ("A red circle is shown.", 1), ("It is a green triangle.", 2),
    ("The answer is a red circle", 1), ("A blue square", 0), ("A", 0), ("A is correct.", 0),
    ("A.", 0), ("(A) blue square", 0), ("I'd say A", 0), ("B, the red circle", 1),
])
def test_article_a(reply: str, index: int) -> None:
    res = parse_answer(reply, "str", choices=ARTICLE_CHOICES)
    assert res.ok, res.reason
    assert res.choice_index == index


@pytest.mark.parametrize(("reply", "reason"), [
    ("A or B", "several options"), ("(B) and (C)", "several options"), ("Either B or C.", "several options"),
    ("A and B", "several options"), ("E", "does not exist"), ("B. green triangle", "disagrees"),
    ("Something purple", "no option"), ("blue square or red circle", "several options"),
    ("", "no option"),
])
def test_mc_failures(reply: str, reason: str) -> None:
    res = parse_answer(reply, "str", choices=ARTICLE_CHOICES)
    assert not res.ok and reason in (res.reason or "")
    scored = match_answer(reply, "blue square", "str", choices=ARTICLE_CHOICES, answer_letter="A")
    assert scored.parse_failed and scored.score == 0.0 and not scored.correct


def test_parsed_value_in_answer_form() -> None:
    assert parse_answer("B", "int", choices=["2", "3"]).value == 3
    assert parse_answer("b", "bool", choices=["yes", "no"]).value is False
    box_choices = ["[0.00, 0.00, 0.50, 0.50]", "[0.50, 0.50, 1.00, 1.00]"]
    assert parse_answer("(B)", "box", choices=box_choices, image_size=(200, 100)).value == [100, 50, 200, 100]


def test_without_answer_letter_uses_gold_value() -> None:
    assert match_answer("B", 3, "int", choices=["2", "3", "4"]).correct
    assert not match_answer("C", 3, "int", choices=["2", "3", "4"]).correct
    assert match_answer("(B)", "cat", "str", choices=["dog", "cats"]).correct


def test_bad_answer_letter_is_an_error() -> None:
    with pytest.raises(ValueError, match="answer_letter"):
        match_answer("A", "dog", "str", choices=["dog", "cat"], answer_letter="F")


@pytest.mark.parametrize(("reply", "reason"), [
    ("A/B/C/D", "several options"),
    ("B / C", "several options"),
    ("A) 1 B) 9 C) 0 D) 3", "repeats the list of options"),
    ("Definitely not C.", "rules out"),
    ("not A", "rules out"),
    ("The answer is A... actually C", "changes its answer"),
])
def test_mc_hedges_and_denials_fail(reply: str, reason: str) -> None:
    result = match_answer(reply, 0, "int", choices=["1", "9", "0", "3"], answer_letter="C")
    assert result.parse_failed and reason in (result.reason or "")


@pytest.mark.parametrize("reply", ["C, not A", "Not A, so C", "Ｃ", "The correct option is (C)."])
def test_mc_denied_letters_are_skipped_and_fullwidth_read(reply: str) -> None:
    assert match_answer(reply, 0, "int", choices=["1", "9", "0", "3"], answer_letter="C").correct
