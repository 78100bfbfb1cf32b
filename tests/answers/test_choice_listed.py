"""A multiple-choice reply repeating every option with its text picks none, even with two
options (three labels were needed before: "A. no\nB. yes" picked A)."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer


@pytest.mark.parametrize("reply", ["A. no\nB. yes", "B. yes\nA. no", "A. no, B. yes", "A) no B) yes",
                                   "(A) no\n(B) yes"])
@pytest.mark.parametrize("letter", ["A", "B"])
def test_repeating_both_options_fails(reply: str, letter: str) -> None:
    res = match_answer(reply, letter == "B", "bool", choices=["no", "yes"], answer_letter=letter)
    assert res.score == 0.0 and not res.correct


@pytest.mark.parametrize("reply", ["A. no", "A) no", "The answer is A. no", "A. no\nB is wrong."])
def test_one_option_with_its_text_is_read(reply: str) -> None:
    res = match_answer(reply, False, "bool", choices=["no", "yes"], answer_letter="A")
    assert res.correct, (res.reason, res.parsed)
