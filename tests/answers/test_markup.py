"""Markup around answers: code fences, JSON {"answer": ...}, "### Answer" headings, Markdown
tables (`markup.plain`, applied by `read_reply`)."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer
from veriscene.answers.markup import plain

LOOKS = ["gray", "matte", "small"]


@pytest.mark.parametrize(("text", "expected"), [
    ('{"answer": "green"}', "Answer: green"),
    ('```json\n{\n  "answer": "green"\n}\n```', "Answer: green"),
    ('{"answer": ["small", "gray"]}', "Answer: small, gray"),
    ('{"answer": [0.1, 0.2, 0.5, 0.6]}', "Answer: [0.1, 0.2, 0.5, 0.6]"),
    ('{"answer": true}', "Answer: yes"),
    ('{"answer": 3, "confidence": 0.9}', "Answer: 3\n\nconfidence: 0.9"),
    ('{"answer": "green", "alternative": "blue"}', "Answer: green\n\nIt might also be blue."),
    ('{"answer": "green", "tool": "blue"}', '{"answer": "green", "tool": "blue"}'),  # a key of its own: as written
    ('[{"bbox_2d": [384, 15, 449, 80], "label": "square"}]', '[{"bbox_2d": [384, 15, 449, 80], "label": "square"}]'),
    ("### Answer\ngreen", "Answer: green"),
    ("**Final Answer**\n\n3", "Answer: 3"),
    ("| Attribute | Value |\n|---|---|\n| Size | small |\n| Color | gray |", "Size: small\nColor: gray"),
    ("Cats | dogs", "Cats | dogs"),  # no separator row: no table
])
def test_plain(text: str, expected: str) -> None:
    assert plain(text).strip() == expected


@pytest.mark.parametrize(("reply", "gold", "answer_type"), [
    ('```json\n{\n  "answer": "green"\n}\n```', "green", "str"),
    ("### Answer\ngreen", "green", "str"),
    ('{"reasoning": "The hexagon is clearly visible.", "answer": "green"}', "green", "str"),
    ("| Attribute | Value |\n|---|---|\n| Size | small |\n| Color | gray |\n| Finish | matte |", LOOKS, "str_set"),
    ('Here is my answer:\n```json\n{"answer": "gray, matte, small", "confidence": 0.9}\n```', LOOKS, "str_set"),
    ("### Answer\ngray, matte, small", LOOKS, "str_set"),
    ('{"answer": false}', False, "bool"),
])
def test_wrapped_answers_are_read(reply: str, gold: object, answer_type: str) -> None:
    result = match_answer(reply, gold, answer_type)
    assert result.correct, (result.parsed, result.reason)


@pytest.mark.parametrize("reply", [
    '{"answer": "green", "alternative": "orange"}',
    '{"answer": "green"}\n{"answer": "orange"}',
    '{"answer": ["green", "orange"]}',
    '```json\n{"answer": "green", "reasoning": "It could also be orange."}\n```',
    "### Answer\ngreen\n\n### Answer\norange",
    "| Answer |\n|---|\n| green |\n| orange |",
])
def test_wrapped_hedges_still_fail(reply: str) -> None:
    result = match_answer(reply, "green", "str")
    assert not result.correct, (result.parsed, result.reason)


@pytest.mark.parametrize(("reply", "gold", "answer_type"), [
    ("Hexagon\n\nExplanation: I looked at the image carefully and checked every object.", "hexagon", "str"),
    ("Gray, matte, small\n\nReasoning: I checked the region.", LOOKS, "str_set"),
    ("| Image | Count |\n|---|---|\n| Image 1 | 2 |\n| Image 2 | 3 |\n| **Total** | **5** |", 5, "int"),
])
def test_a_first_line_explained_below_and_a_total_row(reply: str, gold: object, answer_type: str) -> None:
    result = match_answer(reply, gold, answer_type)
    assert result.correct, (result.parsed, result.reason)


@pytest.mark.parametrize("reply", [
    "Hexagon\n\nExplanation: It might also be a star.",
    "Hexagon\n\nExplanation: Wait, actually it is a star.",
])
def test_an_explanation_offering_another_answer_fails(reply: str) -> None:
    result = match_answer(reply, "hexagon", "str")
    assert not result.correct, (result.parsed, result.reason)


def test_a_yes_no_first_line_is_read_with_its_explanation() -> None:
    # a bare "no" in the explanation contradicts the "Yes" (read whole, as without the label)
    result = match_answer("Yes\n\nExplanation: No brown circle is visible.", True, "bool",
                          question="Is there a brown circle in the image?")
    assert result.parse_failed and "both" in (result.reason or ""), result
