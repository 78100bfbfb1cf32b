"""Pre-processing of raw replies: reasoning blocks, answer tags, markers."""

from __future__ import annotations

import pytest

from veriscene.answers.extract import answer_section, last_boxed, read_reply, strip_edges, strip_reasoning

BODY_CASES = [
    ("<think>hmm</think>Yes", "Yes"),
    ("<think>a\nb\nc</think>\n\nNo.", "No."),
    ("<THINK>x</THINK> 3", "3"),
    ("<think>only reasoning and no end", ""),
    ("<think>reasoning <answer>B</answer>", "B"),
    ("reasoning from the prompt-side tag </think> final 4", "final 4"),
    ("<think>a</think> middle <think>b</think> end", "middle   end"),
    ("<answer>B</answer>", "B"),
    ("text <answer>first</answer> more <answer>second</answer>", "second"),
    ("<answer>unterminated red", "unterminated red"),
    ("<thinking>x</thinking>red", "red"),
    ("plain reply", "plain reply"),
]


@pytest.mark.parametrize(("raw", "body"), BODY_CASES)
def test_body(raw: str, body: str) -> None:
    assert read_reply(raw).body == body


FOCUS_CASES = [
    ("The answer is (B) because A is wrong.", "(B)"),
    ("There are 3 cats, so the answer is 5.", "5"),
    ("\\boxed{\\text{red}}", "red"),
    ("So $\\boxed{12}$ objects.", "12"),
    ("\\boxed{\\{a, b\\}}", "\\{a, b\\}"),
    ("**Answer:** B", "B"),
    ("There are **3** dogs and 2 cats", "3"),
    ("**Step 1:** count. **Step 2:** add.", None),
    ("Final answer: [0.12, 0.30, 0.55, 0.80].", "[0.12, 0.30, 0.55, 0.80]"),
    ("The answer is 0.5.", "0.5"),
    ("Answer: red, blue and green", "red, blue and green"),
    ("The correct answer is yes; the dog is there.", "yes"),
    ("My answer: no - it is a cat", "no"),
    ("answer is 7\nexplanation follows", "7"),
    ("Nothing is marked here.", None),
    ("The answer is B. Option A is wrong.", "B"),
]


@pytest.mark.parametrize(("raw", "focus"), FOCUS_CASES)
def test_focus(raw: str, focus: str | None) -> None:
    assert read_reply(raw).focus == focus


def test_configurable_tags() -> None:
    reply = "<reason>no</reason><final>yes</final>"
    r = read_reply(reply, think_tags=("reason",), answer_tags=("final",))
    assert r.body == "yes"
    assert strip_reasoning("<r>x</r>y", think_tags=("r",)) == " y"


@pytest.mark.parametrize(("text", "out"), [
    ('"**Red.**"', "Red"), ("  yes!! ", "yes"), ("> - item", "item"), ("`B`", "B"), ("", ""),
])
def test_strip_edges(text: str, out: str) -> None:
    assert strip_edges(text) == out


def test_last_boxed_unbalanced_and_missing() -> None:
    assert last_boxed("no box") is None
    assert last_boxed("\\boxed{a} then \\boxed{b}") == "b"
    assert last_boxed("\\boxed{open") == "open"


def test_non_string_reply_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        read_reply(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("reply", "section"), [
    ("<think>\nA dog.\n</think>\n<answer>A red circle.</answer>", "A red circle."),
    ("A dog.\n</think>\nA red circle.", "A red circle."),  # the think block opened by the prompt
    ("<think>A dog.</think> A red circle. **Nice.**", "A red circle. **Nice.**"),  # no markup unwrapped
    ("<think>A dog, and I ran out of tokens", ""),
    ("A red circle.", "A red circle."),
])
def test_answer_section_is_the_reply_without_its_reasoning(reply: str, section: str) -> None:
    assert answer_section(reply) == section
