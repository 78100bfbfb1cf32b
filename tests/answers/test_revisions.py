"""A marked answer next to other answers the reply offers: hedges after it, a run of numbers,
several marked answers that disagree (`extract.correction_after_focus`)."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer, read_reply, score_sample
from veriscene.answers import extract


def _record(answer: object, answer_type: str, **over: object) -> dict:
    base = {"id": "x", "task": "t.v1", "family": "f", "images": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
            "question": "?", "answer": answer, "answer_type": answer_type, "choices": None, "program": [],
            "meta": {}}
    base.update(over)
    return base


COLOR_MC = {"choices": ["red", "green", "blue", "purple"], "meta": {"mode": "mc", "answer_letter": "B"}}

# A hedge after a marked answer: a policy naming the gold first and others after it must fail.
HEDGED = [
    ("The answer is yes. But it could also be no.", True, "bool", {}),
    ("The answer is no. But it could also be yes.", False, "bool", {}),
    ("The answer is 3. It might also be 4 or 5.", 3, "int", {}),
    ("The answer is 3 (or 4).", 3, "int", {}),
    ("The answer is 3, but it could be 4.", 3, "int", {}),
    ("The answer is 3, if not 4.", 3, "int", {}),
    ("The answer is 3, or 4", 3, "int", {}),
    ("The answer is 3 or maybe 4.", 3, "int", {}),
    ("The answer is green. It could also be blue or red.", "green", "str", {}),
    ("The answer is green (or possibly blue).", "green", "str", {}),
    ("The answer is B. It could also be C.", "green", "str", COLOR_MC),
    ("Option B (or possibly C)", "green", "str", COLOR_MC),
    ("The answer is Image 2, or maybe 3.", 1, "image_index", {}),
    ("It is Image 2, or maybe 3.", 1, "image_index", {}),
    ("Answer: [0.1, 0.2, 0.5, 0.6] (or maybe [0.1, 0.2, 0.6, 0.7])", [64, 96, 320, 288], "box",
     {"meta": {"image_size": [640, 480]}}),
]


@pytest.mark.parametrize(("reply", "answer", "answer_type", "over"), HEDGED)
def test_a_hedge_after_the_marked_answer_fails(reply: str, answer: object, answer_type: str, over: dict) -> None:
    result = score_sample(reply, _record(answer, answer_type, **over))
    assert result.parse_failed and not result.correct, result


# Text after the answer that offers nothing else, and corrections, keep their readings.
KEPT = [
    ("The answer is 3. It may be hard to see the third cup.", 3, "int", True),
    ("The answer is yes. It might be partially hidden.", True, "bool", True),
    ("The answer is 2. There may also be a third cup hidden.", 2, "int", True),
    ("The answer is green. It could also be green.", "green", "str", True),
    ("The answer is 4 (2 large and 2 small).", 4, "int", True),
    ("The answer is 3 cups. Actually, there are 3 cups.", 3, "int", True),
]


@pytest.mark.parametrize(("reply", "answer", "answer_type", "correct"), KEPT)
def test_text_after_the_answer_that_offers_nothing_else(reply: str, answer: object, answer_type: str,
                                                        correct: bool) -> None:
    assert match_answer(reply, answer, answer_type).correct is correct


@pytest.mark.parametrize("reply", ["The answer is yes... actually no", "The answer is yes. Wait, no."])
def test_a_correction_still_fails(reply: str) -> None:
    result = match_answer(reply, True, "bool")
    assert result.parse_failed and "changes its answer" in (result.reason or "")


# A run of numbers after a marker or in \boxed{} is several answers, not its first.
@pytest.mark.parametrize("reply", [
    "The answer is 3 4 5 6 7", "The answer is 3 and 4 and 5.", "The answer is 3; 4; 5; 6.", "\\boxed{3 4 5}",
    "Answer: 3, 4, 5", "**3 4 5**", "The answer is three-four.", "The answer is three four five.",
])
@pytest.mark.parametrize("answer_type", ["int", "float"])
def test_a_run_of_numbers_fails(reply: str, answer_type: str) -> None:
    result = match_answer(reply, 3, answer_type)
    assert result.parse_failed and not result.correct, result


@pytest.mark.parametrize(("reply", "reason"), [
    ("The answer is 3 or 4", "alternatives"), ("Answer: 3-4", "alternatives"), ("The answer is three-four.", "alternatives"),
])
def test_alternatives_and_ranges_keep_their_reason(reply: str, reason: str) -> None:
    assert reason in (match_answer(reply, 3, "int").reason or "")


@pytest.mark.parametrize(("text", "run"), [
    ("3 4 5", ("3", "4 5")), ("3 and 4 and 5", ("3", "4 and 5")), ("3; 4", ("3", "4")), ("3, or 4", ("3", "4")),
    ("3", None), ("3 3", None), ("3 or 4", None), ("3-4", None), ("[3, 4]", None), ("3 cups and 4 plates", None),
    ("one hundred and five", None),
])
def test_number_run(text: str, run: tuple[str, str] | None) -> None:
    assert extract.number_run(text) == run


@pytest.mark.parametrize(("reply", "value", "box_format", "answer_type"), [
    ("The answer is 0.1, 0.2, 0.5, 0.6", [64.0, 96.0, 320.0, 288.0], "norm1", "box"),
    ("Answer: 64 96 320 288", [64.0, 96.0, 320.0, 288.0], "pixel", "box"),
    ("The answer is 0.5, 0.25.", [320.0, 120.0], "norm1", "point"),
])
def test_a_box_or_point_written_as_bare_numbers_is_read_whole(reply: str, value: list[float], box_format: str,
                                                             answer_type: str) -> None:
    result = match_answer(reply, value, answer_type, box_format=box_format, image_size=[640, 480])
    assert result.correct and result.parsed == value


# Several marked answers: fail when they disagree, read when they agree.
CONFLICTING = [
    ("<answer>Yes</answer><answer>No</answer>", True, "bool", {}),
    ("<answer>Yes</answer><answer>No</answer>", False, "bool", {}),
    ("Answer: 2\nAnswer: 3", 3, "int", {}),
    ("<answer>3</answer> <answer>4</answer>", 4, "int", {}),
    ("\\boxed{3} or \\boxed{4}", 4, "int", {}),
    ("\\boxed{green} \\boxed{blue}", "blue", "str", {}),
    ("Answer: red\nAnswer: green", "green", "str", {}),
    ("\\boxed{A} \\boxed{B} \\boxed{C} \\boxed{B}", "green", "str", COLOR_MC),
    ("<answer>A</answer><answer>B</answer><answer>C</answer><answer>B</answer>", "green", "str", COLOR_MC),
    ("Answer: A\nAnswer: C\nAnswer: D\nAnswer: B", "green", "str", COLOR_MC),
    ("\\boxed{Image 1} \\boxed{Image 2}", 1, "image_index", {}),
    ("\\boxed{[0.5, 0.5, 0.9, 0.9]} \\boxed{[0.1, 0.2, 0.5, 0.6]}", [64, 96, 320, 288], "box",
     {"meta": {"image_size": [640, 480]}}),
]


@pytest.mark.parametrize(("reply", "answer", "answer_type", "over"), CONFLICTING)
def test_marked_answers_that_disagree_fail(reply: str, answer: object, answer_type: str, over: dict) -> None:
    result = score_sample(reply, _record(answer, answer_type, **over))
    assert result.parse_failed and not result.correct, result


@pytest.mark.parametrize(("reply", "answer", "answer_type"), [
    ("<answer>3</answer><answer>3</answer>", 3, "int"),
    ("Answer: 3\nAnswer: three", 3, "int"),
    ("\\boxed{3} so \\boxed{3}", 3, "int"),
    ("Answer: Let me think.\nThe hexagon is green.\nAnswer: green", "green", "str"),
    ("<answer></answer> <answer>Yes</answer>", True, "bool"),
])
def test_marked_answers_that_agree_are_read(reply: str, answer: object, answer_type: str) -> None:
    assert match_answer(reply, answer, answer_type).correct


def test_reply_carries_the_rivals() -> None:
    r = read_reply("<answer>Yes</answer><answer>No</answer>")
    assert (r.focus, r.rivals) == ("No", ("Yes",))
    r = read_reply("The answer is 3 4 5")
    assert (r.focus, r.marked, r.rivals) == ("3", "3 4 5", ("4 5",))
    assert extract.correction_after_focus(read_reply("The answer is 3 (or 4).")) == ("(or 4)", " 4)")
    assert extract.correction_after_focus(read_reply("The answer is 3.")) is None
