"""yes / no replies: table of hand-written cases plus every wrapper of every base form."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer, parse_answer

from ._variants import WRAPPERS, wrap

YES_FORMS = ["Yes", "yes", "YES", "Yeah", "yep", "True", "true", "Correct", "Yes, there is",
             "Yes, there is a dog in the image", "I think yes", "Yes, it is", "yes it does"]
NO_FORMS = ["No", "no", "NO", "Nope", "False", "false", "Incorrect", "No, there isn't",
            "No, there is no dog", "I think no", "No, it is not", "no it doesn't"]

VARIANTS = [(r, True) for f in YES_FORMS for r in wrap(f)] + [(r, False) for f in NO_FORMS for r in wrap(f)]


@pytest.mark.parametrize(("reply", "value"), VARIANTS)
def test_wrapped_forms(reply: str, value: bool) -> None:
    result = parse_answer(reply, "bool")
    assert result.ok, result.reason
    assert result.value is value


HAND = [
    ("There is no dog.", False),
    ("There are no dogs in the picture", False),
    ("I don't see a dog.", False),
    ("The dog is not on the table.", False),
    ("I cannot see any cat", False),
    ("There is a dog on the left.", True),
    ("There are two cats.", True),
    ("Yes, the dog has no collar.", True),
    ("That is correct.", True),
    ("That is not correct.", False),
    ("It is true.", True),
    ("It isn't true.", False),
    ("I think so.", True),
    ("I don't think so.", False),
    ("Yes — the cup is left of the plate.", True),
    ("no.", False),
    ("No, the ball is blue.", False),
    ("Probably yes.", True),
    ("Definitely not.", False),
    ("Absolutely, yes!", True),
    ("“Yes”", True),
    ("'no'", False),
    ("Yes.\nThe image shows a dog near a bench.", True),
    ("Nope, nothing there.", False),
]


@pytest.mark.parametrize(("reply", "value"), HAND)
def test_hand_cases(reply: str, value: bool) -> None:
    result = parse_answer(reply, "bool")
    assert result.ok, result.reason
    assert result.value is value


FAILURES = [
    ("not sure", "uncertain"),
    ("Maybe", "uncertain"),
    ("I cannot tell from the image.", "uncertain"),
    ("It is hard to say.", "uncertain"),
    ("I don't know.", "uncertain"),
    ("It is unclear.", "uncertain"),
    ("Yes or no, it depends.", "uncertain"),
    ("yes ... no", "both yes and no"),
    ("Yes. Actually, no.", "both yes and no"),
    ("No. Yes.", "both yes and no"),
    ("The dog is on the left of the cat.", "no yes/no answer"),
    ("", "empty reply"),
    ("<think>yes</think>", "empty reply"),
    ("<answer></answer>", "empty reply"),
    ("A dog.", "no yes/no answer"),
]


@pytest.mark.parametrize(("reply", "reason"), FAILURES)
def test_failures_have_reasons(reply: str, reason: str) -> None:
    result = parse_answer(reply, "bool")
    assert not result.ok and result.value is None
    assert reason in (result.reason or "")


@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_uncertain_is_never_scored_correct(wrapper: str) -> None:
    res = match_answer(wrapper.format(x="I am not sure"), True, "bool")
    assert (res.parse_failed, res.correct, res.score) == (True, False, 0.0)
    assert res.reason


@pytest.mark.parametrize(("reply", "gold", "correct"), [
    ("Yes", True, True), ("Yes", False, False), ("There is no cat.", False, True),
    ("no", True, False), ("True", 1, True),
])
def test_match(reply: str, gold: bool, correct: bool) -> None:
    res = match_answer(reply, gold, "bool")
    assert res.correct is correct and res.score == float(correct) and not res.parse_failed


@pytest.mark.parametrize(("reply", "reason"), [
    ("not yes", "negates"),
    ("Not no", "negates"),
    ("The answer is yes... actually no", "changes its answer"),
    ("The answer is yes.\nWait, no.", "changes its answer"),
])
def test_negated_and_corrected_answers_fail(reply: str, reason: str) -> None:
    for gold in (True, False):
        result = match_answer(reply, gold, "bool")
        assert result.parse_failed and reason in (result.reason or "")


def test_a_marked_answer_confirmed_later_stands() -> None:
    assert match_answer("The answer is yes. Actually, yes: there is one.", True, "bool").correct
    assert match_answer("That is not correct.", False, "bool").correct  # flippable words still flip
