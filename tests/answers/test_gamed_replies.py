"""Replies a policy under RL could drift to, that the scorer credited without their being an
answer (audit of the rewards on `veriscene demo --scenes 8`): a count with a margin or LaTeX
alternatives in \\boxed{}, "Both yes and no.", two sizes where the question names one, the
question copied back, a second size or colour added to one object's attributes; and the
boxes of a reply of thousands of "\\boxed{" read in one pass."""

from __future__ import annotations

from typing import Any

import pytest

from veriscene.answers import parse_answer, score_sample
from veriscene.answers.extract import boxed_spans, read_reply
from veriscene.answers.match import set_score


def _sample(answer: Any, answer_type: str, question: str) -> dict[str, Any]:
    return {"id": "s", "question": question, "answer": answer, "answer_type": answer_type, "choices": None,
            "meta": {"mode": "qa"}, "images": [{"id": "a"}]}


# --- counts: a margin or LaTeX alternatives in a marked answer ------------------------------

@pytest.mark.parametrize("reply", [
    "\\boxed{2\\pm 1}", "\\boxed{2 \\pm 1}", "\\boxed{2 ± 1}", "\\boxed{2 \\mp 1}", "The answer is 2 ± 1.",
    "The answer is 2, give or take.", "Answer: 2 plus or minus 1",  # a margin (read as 2 before)
    "\\boxed{2 \\vee 3}", "\\boxed{2 \\lor 3}", "\\boxed{2 \\mid 3}", "The answer is 2 | 3",  # alternatives
    "\\boxed{\\approx 2}", "\\boxed{\\sim 2}", "\\boxed{\\geq 2}", "\\boxed{\\le 2}",  # bounds
])
def test_hedged_counts_in_marked_answers_fail(reply: str) -> None:
    result = score_sample(reply, _sample(2, "int", "How many stars are there?"))
    assert result.parse_failed and result.score == 0.0


@pytest.mark.parametrize("reply", ["\\boxed{2}", "The answer is 2.", "\\boxed{\\mathbf{2}}", "Answer: 2 (two stars)",
                                   "\\boxed{2} stars"])
def test_plain_marked_counts_still_read(reply: str) -> None:
    assert score_sample(reply, _sample(2, "int", "How many stars are there?")).score == 1.0


# --- yes/no: both answers at once ---------------------------------------------------------

@pytest.mark.parametrize("reply", ["Both yes and no.", "both no and yes", "Neither yes nor no.", "neither no nor yes"])
@pytest.mark.parametrize("gold", [True, False])
def test_both_answers_at_once_fail(reply: str, gold: bool) -> None:
    # "Both yes and no." and "Neither yes nor no." were read as no: 1.0 on every "no"
    result = score_sample(reply, _sample(gold, "bool", "Is there a brown circle in the image?"))
    assert result.parse_failed and "uncertain" in (result.reason or "")


@pytest.mark.parametrize(("reply", "value"), [("Neither.", False), ("No, neither of them is red.", False),
                                              ("Yes, both are red.", True)])
def test_both_and_neither_in_answers_still_read(reply: str, value: bool) -> None:
    assert parse_answer(reply, "bool").value is value


# --- words: a question word said bare competes --------------------------------------------

SIZE_Q = "Tell me the size of the object the small star is behind."


@pytest.mark.parametrize("reply", ["large small", "small large", "large-small",
                                   "red green blue large small shiny matte"])
def test_both_sizes_fail_where_the_question_names_one(reply: str) -> None:
    # "small" is a word of the question: it was left out, so listing both sizes read "large"
    result = score_sample(reply, _sample("large", "str", SIZE_Q))
    assert result.parse_failed and "several candidates" in (result.reason or "")


@pytest.mark.parametrize("reply", [
    "large", "The object the small star is behind is large.", "It is large; the small star is behind it.",
    "Large. The small star is behind it.", "The small one is behind a large object.",
    "It is large, bigger than the small star.", "Large, not small.",
])
def test_question_words_said_as_the_question_says_them_do_not_compete(reply: str) -> None:
    assert score_sample(reply, _sample("large", "str", SIZE_Q)).score == 1.0


NAME_Q = "Which object is behind the large star, partly hidden by it?"


@pytest.mark.parametrize(("reply", "score"), [
    ("star hexagon", 0.0),  # a run of two names: read as hexagon before, "star" being a question word
    ("hexagon star", 0.0),
    ("The hexagon is behind the large star.", 1.0),
    ("The hexagon is partly hidden by the large star.", 1.0),
    ("hexagon", 1.0),
])
def test_a_question_name_beside_another_competes(reply: str, score: float) -> None:
    assert score_sample(reply, _sample("hexagon", "str", NAME_Q)).score == score


# --- the question copied back --------------------------------------------------------------

@pytest.mark.parametrize(("answer", "answer_type", "question"), [
    (2, "int", "How many green hexagons are there in the two images altogether?"),  # read as 2
    (2, "int", "Of the two images, how many show a diamond?"),
    ("large", "str", "What size is the object the large star is in front of?"),  # read as large
    ("triangle", "str", "What is the large triangle above?"),
    (False, "bool", "Is there a brown circle in the image?"),
])
@pytest.mark.parametrize("wrap", ["{}", "<answer>{}</answer>", "<think>hmm</think>{}", "Answer: {}"])
def test_the_question_copied_back_is_no_answer(answer: Any, answer_type: str, question: str, wrap: str) -> None:
    for reply in (question, question.rstrip("?")):
        result = score_sample(wrap.format(reply), _sample(answer, answer_type, question))
        assert result.parse_failed and result.score == 0.0


def test_a_multiple_choice_question_copied_back_is_no_answer() -> None:
    record = {**_sample(0, "int", "Count the purple objects in this picture.\nOptions:\nA. 3\nB. 0"),
              "choices": ["3", "0"], "meta": {"mode": "mc", "answer_letter": "B"}}
    assert score_sample("Count the purple objects in this picture.", record).parse_failed


def test_a_reply_restating_the_question_with_its_answer_is_read() -> None:
    question = "How many green hexagons are there in the two images altogether?"
    assert score_sample(f"{question} 2", _sample(2, "int", question)).score == 1.0
    assert score_sample("There are two green hexagons altogether.", _sample(2, "int", question)).score == 1.0


# --- sets: a second value of one object's attribute --------------------------------------

@pytest.mark.parametrize(("said", "gold", "score"), [
    (["gray", "matte", "small", "large"], ["gray", "matte", "small"], 0.0),  # two sizes: 0.857 before
    (["gray", "matte", "shiny", "small"], ["gray", "matte", "small"], 0.0),  # two finishes
    (["gray", "red", "matte", "small"], ["gray", "matte", "small"], 0.0),  # two colours
    (["gray", "small"], ["gray", "matte", "small"], 2 / 3),  # one missing: partial credit still
    (["gray", "matte", "small", "wood"], ["gray", "matte", "small"], 2 / 3),  # another type: one wrong
    (["gray", "matte", "small", "tall"], ["gray", "matte", "small"], 2 / 3),  # a height is no second size
    (["green", "orange", "red"], ["orange", "red"], 0.5),  # colours of several images: one wrong
    (["circle", "hexagon", "triangle"], ["hexagon", "triangle"], 0.5),  # names: one wrong
])
def test_a_second_value_of_one_objects_attribute_earns_nothing(said: list[str], gold: list[str],
                                                               score: float) -> None:
    assert set_score(said, gold) == pytest.approx(score)


def test_the_attribute_hedge_through_score_sample() -> None:
    sample = _sample(["gray", "matte", "small"], "str_set",
                     "What attributes does the object in the region [0.090, 0.528, 0.163, 0.617] have?")
    assert score_sample("gray, large, matte, small", sample).score == 0.0
    assert score_sample("small, gray and matte", sample).score == 1.0


# --- boxed answers: nested, unclosed, thousands ----------------------------------------------

@pytest.mark.parametrize(("text", "contents"), [
    ("\\boxed{3}", ["3"]),
    ("\\boxed{\\boxed{3}}", ["\\boxed{3}", "3"]),  # outermost and innermost
    ("\\boxed{\\boxed{\\boxed{3}}}", ["\\boxed{\\boxed{3}}", "3"]),  # the middle one is neither
    ("\\boxed{a} then \\boxed{b}", ["a", "b"]),
    ("\\boxed{open", ["open"]),
    ("\\boxed{\\boxed{\\boxed{", ["\\boxed{\\boxed{", ""]),  # unclosed: to the end
    ("\\boxed{3 \\boxed{4}", ["3 \\boxed{4}", "4"]),
    ("} \\boxed{2} {", ["2"]),  # stray braces outside
    ("\\fbox{x{y}z}", ["x{y}z"]),
])
def test_boxed_spans(text: str, contents: list[str]) -> None:
    assert [c for c, _ in boxed_spans(text)] == contents


def test_a_reply_of_thousands_of_boxes_is_read() -> None:
    # 14,000 unclosed "\boxed{" (100,000 characters) took minutes to read (each scanned to the end);
    # now one pass. Timing lives in benchmarks/, this checks what is read.
    reply = read_reply("\\boxed{" * 14_000)
    assert reply.focus is None and reply.source == ""
    assert parse_answer("\\boxed{" * 14_000, "int").reason == "no whole number found in the reply"
    many = "".join(f"\\boxed{{{i}}}" for i in range(5000))
    assert not parse_answer(many, "int").ok  # 5,000 different marked answers
    assert parse_answer("\\boxed{3}" * 5000, "int").value == 3  # repeats that agree
