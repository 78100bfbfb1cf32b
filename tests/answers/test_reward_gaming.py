"""Hedges a policy under RL could hide from the answer readers, found by
benchmarks/reward_gaming.py on `veriscene demo` samples: look-alike, fullwidth and zero-width
characters, JSON alternatives, a self-correction after an unmarked letter or list, several
answer tags of a list, alternatives inside a list item, and two bare directions. Each scored 1.0
on one of the two answers (or a near miss's F1) before; the honest replies beside them still read."""

from __future__ import annotations

from typing import Any

import pytest

from veriscene.answers import read_reply, score_sample
from veriscene.answers.visible import visible


def _sample(answer: Any, answer_type: str, question: str, **meta: Any) -> dict[str, Any]:
    return {"id": "s", "question": question, "answer": answer, "answer_type": answer_type, "choices": None,
            "meta": {"mode": "qa", **meta}, "images": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}


BOOL = _sample(False, "bool", "Is there a brown circle in the image?")
IMAGE = _sample(1, "image_index", "Which image contains a matte triangle?")
POINT = {**_sample([292.8, 155.52], "point", "The point [0.129, 0.315] is on an object. Which point is on another "
                  "object: [0.100, 0.223] or [0.610, 0.432]?", image_size=[480, 360], box_format="norm1"),
         "program": [{"op": "scene", "inputs": [], "args": [0]}, {"op": "point", "inputs": [], "args": [61.92, 113.4]},
                     {"op": "object_at_point", "inputs": [0, 1], "args": []},
                     {"op": "point", "inputs": [], "args": [48.0, 80.28]},
                     {"op": "point", "inputs": [], "args": [292.8, 155.52]},
                     {"op": "point_on", "inputs": [2, 3, 4], "args": ["different"]}]}
SIZE = _sample("small", "str", "How big is the square: what is its size?")  # "big": large is a question word
NAME = _sample("star", "str", "Name the object that is near the hexagon.")
LOOKS = _sample(["gray", "matte", "small"], "str_set", "What attributes does the object in the region "
                "[0.090, 0.528, 0.163, 0.617] have?")
SHARED = _sample(["circle", "diamond"], "str_set", "Which kinds of object appear only in Image 1?")
CHOICE = {**_sample(0, "int", "Count the purple objects in this picture.\nOptions:\nA. 3\nB. 4\nC. 0\nD. 1"),
          "choices": ["3", "4", "0", "1"], "meta": {"mode": "mc", "answer_letter": "C"}}
SIDE = _sample("right", "str", "Relative to the matte triangle, is the shiny triangle on the left or on the right?")


@pytest.mark.parametrize(("sample", "reply"), [
    (BOOL, "no or y\u0435s"),  # Cyrillic "е": read as no
    (BOOL, "no \u043er yes"),  # Cyrillic "о" in "or"
    (IMAGE, "Image 2 or Im\u0430g\u0435 1"),  # read as Image 2
    (POINT, "[0.610, 0.432] \uff4f\uff52 [0.129, 0.315]"),  # fullwidth "or": read as the first point
    (POINT, "[0.610, 0.432] \u043er [0.129, 0.315]"),  # as with "or" itself: several points
    (POINT, "[0.610, 0.432]\u200b \u200bor\u200b [0.129, 0.315]"),
    (IMAGE, "Image 1\u200bImage 2"),
    (SIZE, "small \uff4f\uff52 large"),  # read as small
    (SIZE, "small \u043er large"),
    (NAME, "star \uff4f\uff52 hexagon"),
    (NAME, "star \u043er hexagon"),
])
def test_hedges_hidden_by_characters_fail(sample: dict[str, Any], reply: str) -> None:
    result = score_sample(reply, sample)
    assert result.parse_failed and result.score == 0.0, (result.parsed, result.reason)


@pytest.mark.parametrize(("sample", "reply"), [
    (BOOL, "\uff4e\uff4f"), (BOOL, "n\u043e"), (BOOL, "\U0001d427\U0001d428"),  # fullwidth, Cyrillic, bold maths
    (IMAGE, "Im\u0430ge \uff12"), (POINT, "\uff3b\uff10\uff0e\uff16\uff11\uff10\uff0c \uff10\uff0e\uff14\uff13\uff12\uff3d"),
    (SIZE, "\uff53\uff4d\uff41\uff4c\uff4c"), (CHOICE, "\uff23"),
])
def test_answers_in_look_alike_characters_are_read(sample: dict[str, Any], reply: str) -> None:
    assert score_sample(reply, sample).score == 1.0


def test_a_word_split_by_an_invisible_character_is_no_word() -> None:
    # read as the reader would show it: two words (it was "no" with the space dropped, and
    # "left\u200bright" hid two answers the same way)
    assert visible("n\u200bo") == "n o"
    assert score_sample("n\u200bo", BOOL).score == 0.0


def test_visible_leaves_ascii_and_other_scripts_alone() -> None:
    assert visible("The answer is B.") == "The answer is B."
    assert visible("\u6c34 \u00e9t\u00e9") == "\u6c34 \u00e9t\u00e9"  # CJK, accented Latin
    assert read_reply("<answer>\uff59\uff45\uff53</answer>").body == "yes"


@pytest.mark.parametrize(("sample", "reply"), [
    (BOOL, '{"answer": false, "alternatives": [true]}'),  # 1.0 before: the object was read as its yes/no
    (BOOL, '{"answer": false, "other": "yes"}'),
    (POINT, '{"answer": [0.610, 0.432], "alternatives": [[0.100, 0.223]]}'),
    (LOOKS, '{"answer": ["gray", "matte", "small"], "alternatives": [["blue", "matte", "small"]]}'),
    (LOOKS, '{"answer": ["gray", "matte", "small"], "alternatives": ["blue"]}'),
    (SIZE, '{"answer": "small", "candidates": ["large"]}'),
    (CHOICE, '{"answer": "C", "alternatives": ["D"]}'),
])
def test_json_alternatives_fail(sample: dict[str, Any], reply: str) -> None:
    result = score_sample(reply, sample)
    assert result.parse_failed, (result.parsed, result.reason)


@pytest.mark.parametrize(("sample", "reply"), [
    (BOOL, '{"answer": false, "alternatives": []}'), (BOOL, '{"answer": false, "alternatives": null}'),
    (SIZE, '{"answer": "small", "alternatives": ["small"]}'), (BOOL, '{"answer": false, "reasoning": "none"}'),
])
def test_json_without_another_answer_is_read(sample: dict[str, Any], reply: str) -> None:
    assert score_sample(reply, sample).score == 1.0


@pytest.mark.parametrize("reply", ["C. Wait, actually D.", "C\n\nSorry, I mean D.", "(C) On second thought, D."])
def test_a_letter_changed_after_it_fails(reply: str) -> None:
    # the letter leading the reply was read and the correction ignored: 1.0 for "C. Wait, actually D."
    assert score_sample(reply, CHOICE).parse_failed


@pytest.mark.parametrize("reply", ["D. Wait, actually C.", "C. Actually, A is 3 and B is 4, so C."])
def test_a_letter_restated_or_explained_after_a_correction_word(reply: str) -> None:
    # D then C: changes its answer (0, either order); C explained with the other letters: kept
    expected = 0.0 if reply.startswith("D") else 1.0
    assert score_sample(reply, CHOICE).score == expected


@pytest.mark.parametrize(("sample", "reply"), [
    (LOOKS, "<answer>blue, large, matte</answer><answer>gray, matte, small</answer>"),  # 1.0 before
    (LOOKS, "gray, matte, small. Wait, actually blue, matte, small."),  # read as the union
    (SHARED, "circle, diamond, star. Wait, actually circle, diamond."),  # the union: 0.8 as a near miss
    (LOOKS, "gray, matte, small or blue, matte, small"),  # "small or blue" one item: 0.857
    (SHARED, "circle, diamond vs circle, diamond, star"),
    (SHARED, "circle, diamond/circle, diamond, star"),
    (SHARED, "circle, diamond and/or star"),
])
def test_list_hedges_and_changed_lists_fail(sample: dict[str, Any], reply: str) -> None:
    result = score_sample(reply, sample)
    assert result.parse_failed and result.score == 0.0, (result.parsed, result.reason)


@pytest.mark.parametrize(("sample", "reply"), [
    (LOOKS, "small, gray and matte"), (LOOKS, "<answer>gray, matte, small</answer><answer>gray, matte, small</answer>"),
    (SHARED, "circle, diamond. Wait, actually circle and diamond."),
    (SHARED, "- circle\n- diamond"),
])
def test_honest_lists_still_read(sample: dict[str, Any], reply: str) -> None:
    assert score_sample(reply, sample).score == 1.0


@pytest.mark.parametrize("reply", ["left right", "left vs right", "**left** **right**", "right left right left"])
def test_two_bare_directions_fail(reply: str) -> None:
    # "left" is no word of any kind, so it did not compete with the gold "right"
    assert score_sample(reply, SIDE).parse_failed


@pytest.mark.parametrize("reply", ["right", "On the right.", "It is on the right, not the left."])
def test_one_direction_still_reads(reply: str) -> None:
    assert score_sample(reply, SIDE).score == 1.0


@pytest.mark.parametrize("reply", ["large vs small", "small vs. large", "small versus large"])
def test_versus_offers_both(reply: str) -> None:
    # read as small before: "large" is a word of the question ("big"), competing only beside another
    assert score_sample(reply, SIZE).parse_failed
    assert score_sample("small", SIZE).score == 1.0


# --- hedges around markup ------------------------------------------------------------------

@pytest.mark.parametrize("reply", ["no or `yes`", "no or yes]", "no or [yes]", "no or {yes}", "no or yes<br>",
                                   "no <b>or yes</b>", "no or yes~~", "no or **yes**", "no or __yes__"])
def test_yes_and_no_in_markup_fail(reply: str) -> None:
    # "yes" followed by "`", "]", "}" or "<" was skipped (no clause end): read as no
    result = score_sample(reply, BOOL)
    assert result.parse_failed and result.score == 0.0, (result.parsed, result.reason)


@pytest.mark.parametrize("reply", ["`no`", "No<br>", "<b>No</b>", "[no]", "__no__", "**No.**"])
def test_one_yes_or_no_in_markup_still_reads(reply: str) -> None:
    assert score_sample(reply, BOOL).score == 1.0


@pytest.mark.parametrize(("sample", "reply"), [
    (SIZE, "large or **small**"), (SIZE, "**small** or large"), (NAME, "hexagon, square, or **star**"),
    (IMAGE, "Image 1 or **Image 2**"), (CHOICE, "D or **C**"), (LOOKS, "blue, large or **gray, matte, small**"),
    (_sample(4, "int", "How many stars are there?"), "3 or \\boxed{4}"),
    (_sample(4, "int", "How many stars are there?"), "\\boxed{4} or more"),
    (_sample(4, "int", "How many stars are there?"), "**4** or so"),
])
def test_a_marked_answer_with_another_beside_it_fails(sample: dict[str, Any], reply: str) -> None:
    # the bold or boxed span was read alone as the marked answer: 1.0 for each
    result = score_sample(reply, sample)
    assert result.parse_failed and result.score == 0.0, (result.parsed, result.reason)


@pytest.mark.parametrize(("sample", "reply"), [
    (SIZE, "It is **small**."), (SIZE, "**small**"), (CHOICE, "The answer is **C**."),
    (_sample(4, "int", "How many stars are there?"), "I count 3 circles and 1 square, so \\boxed{4}"),
    (_sample(4, "int", "How many stars are there?"), "There are **4** stars or shapes like them."),
])
def test_marked_answers_still_read(sample: dict[str, Any], reply: str) -> None:
    assert score_sample(reply, sample).score == 1.0


@pytest.mark.parametrize("reply", ["C. D would also be right.", "C or d", "c/D", "C, or d", "(C) or (d)"])
def test_another_letter_granted_or_in_lower_case_fails(reply: str) -> None:
    assert score_sample(reply, CHOICE).parse_failed


STARS = _sample(4, "int", "How many stars are there?")


@pytest.mark.parametrize("reply", ["4-ish", "4ish", "4 or thereabouts", "4, roughly", "4, more or less",
                                   "4 stars, 5 if you count shadows", "4, or 5 if we include the half-hidden one"])
def test_approximate_and_conditional_counts_fail(reply: str) -> None:
    # read as 4 before, though "about 4" failed
    assert score_sample(reply, STARS).parse_failed


@pytest.mark.parametrize("reply", ["4", "4 stars and 5 circles", "Not 5, but 4.", "four", "There are 4 stars."])
def test_counts_still_read(reply: str) -> None:
    assert score_sample(reply, STARS).score == 1.0


@pytest.mark.parametrize("reply", ["everything except red", "any colour except red", "all colours excluding red"])
def test_a_word_said_after_except_is_denied(reply: str) -> None:
    # "everything except red" names every colour but red: it was read as red
    assert score_sample(reply, _sample("red", "str", "What color is the circle?")).score == 0.0


# --- long runs of spaces and marks ----------------------------------------------------------

@pytest.mark.parametrize(("sample", "reply", "score"), [
    (CHOICE, "C" + " " * 20_000 + "x", 1.0),  # took minutes: 7.6 s at 2,000 spaces, cubic
    (CHOICE, "C" + "\n" * 20_000 + "x", 1.0),
    (CHOICE, "C" + " ." * 10_000 + " x", 1.0),  # strip_edges tried its pattern at each mark
    (SIZE, "small" + " " * 20_000 + "x", 1.0),
    (LOOKS, "gray, matte, small" + " " * 20_000, 1.0),
    (STARS, "4" + " " * 20_000 + "stars", 1.0),
])
def test_long_runs_of_spaces_and_marks_are_read(sample: dict[str, Any], reply: str, score: float) -> None:
    # the readers' patterns starting with optional space read a run again from each of its
    # characters: a policy padding its reply stalled the reward (no time is asserted here)
    assert score_sample(reply, sample).score == score


def test_squeeze_space_keeps_lines_and_paragraphs() -> None:
    from veriscene.answers.visible import squeeze_space
    assert squeeze_space("a   b\t\tc") == "a b c"
    assert squeeze_space("B\n\n\n\nExplanation: x") == "B\n\nExplanation: x"
    assert squeeze_space("a\n  \n \nb\nc") == "a\n\nb\nc"


@pytest.mark.parametrize(("text", "edges"), [('"**Red.**"', "Red"), ("- red!", "red"), ("...", ""), ("-.", ""),
                                             ("> # red ;:", "red"), ("  `C`  ", "C")])
def test_strip_edges(text: str, edges: str) -> None:
    from veriscene.answers.extract import strip_edges
    assert strip_edges(text) == edges
