"""score_sample / match_answer contracts: records, failures, free-form text, coordinates."""

from __future__ import annotations

import math

import pytest

from veriscene.answers import (
    MatchResult,
    format_box,
    format_point,
    match_answer,
    parse_answer,
    parse_box_format,
    score_sample,
    set_f1,
)
from veriscene.sample import ANSWER_TYPES, Sample


def _record(**over: object) -> dict:
    base = {"id": "x", "task": "t.v1", "family": "f", "images": [{"id": "img", "path": None}], "question": "?",
            "answer": True, "answer_type": "bool", "choices": None, "program": [], "template_id": "t0",
            "generator_version": 1, "seed": 0, "meta": {}}
    base.update(over)
    return base


@pytest.mark.parametrize(("reply", "record", "correct"), [
    ("<think>hmm</think><answer>Yes, there is.</answer>", _record(), True),
    ("No", _record(), False),
    ("(B)", _record(answer="cat", answer_type="str", choices=["dog", "cat"], meta={"mode": "mc", "answer_letter": "B"}), True),
    ("[0.10, 0.20, 0.50, 0.60]", _record(answer=[64, 96, 320, 288], answer_type="box", meta={"image_size": [640, 480]}), True),
    ("[100, 200, 500, 600]", _record(answer=[64, 96, 320, 288], answer_type="box",
                                     meta={"image_size": [640, 480], "box_format": "norm1000"}), True),
    ("crimson", _record(answer="red", answer_type="str", meta={"synonyms": {"crimson": "red"}}), True),
    ("3", _record(answer=3, answer_type="int"), True),
    ("Image 2", _record(answer=1, answer_type="image_index"), True),
    ("cat and dog", _record(answer=["cat", "dog"], answer_type="str_set"), True),
])
def test_score_sample_reads_the_record(reply: str, record: dict, correct: bool) -> None:
    assert score_sample(reply, record).correct is correct
    assert score_sample(reply, Sample.from_dict(record)).correct is correct


def test_options_override_the_record() -> None:
    rec = _record(answer=[64, 96, 320, 288], answer_type="box", meta={"image_size": [640, 480]})
    assert score_sample("[0.1, 0.2, 0.3, 0.6]", rec).correct
    assert not score_sample("[0.1, 0.2, 0.3, 0.6]", rec, iou_threshold=0.9).correct


@pytest.mark.parametrize("answer_type", [t for t in ANSWER_TYPES if t != "text"])
@pytest.mark.parametrize("reply", ["", "<think>unfinished reasoning", "I am not sure, maybe.", "¯\\_(ツ)_/¯"])
def test_unparseable_is_never_a_silent_answer(reply: str, answer_type: str) -> None:
    gold = {"bool": True, "int": 1, "float": 1.0, "str": "red", "str_set": ["red"], "box": [0, 0, 10, 10],
            "point": [5, 5], "image_index": 0}[answer_type]
    res = match_answer(reply, gold, answer_type, image_size=(100, 100))
    if res.parse_failed:
        assert (res.score, res.correct, res.parsed) == (0.0, False, None) and res.reason
    else:  # a free phrase or item read from such a reply is never the gold answer
        assert answer_type in ("str", "str_set") and not res.correct and res.score == 0.0


def test_text_is_not_scored() -> None:
    res = score_sample("<think>x</think>A dog sits on a bench.", _record(answer="A dog on a bench.", answer_type="text"))
    assert not res.applicable and math.isnan(res.score)
    assert (res.correct, res.parse_failed, res.reason) == (False, False, None)
    assert res.parsed == "A dog sits on a bench."
    assert parse_answer("  A caption. ", "text").value == "A caption."
    assert MatchResult.failed("r").applicable


def test_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="answer_type"):
        match_answer("yes", True, "boolean")
    with pytest.raises(ValueError, match="box_format"):
        parse_answer("[1, 2, 3, 4]", "box", box_format="weird", image_size=(10, 10))
    with pytest.raises(ValueError, match="gold box"):
        match_answer("[1, 2, 3, 4]", [1, 2], "box", box_format="pixel")
    with pytest.raises(ValueError, match="missing"):
        score_sample("yes", {"answer": True})


@pytest.mark.parametrize(("name", "canonical"), [
    (None, "norm1"), ("norm1", "norm1"), ("normalized", "norm1"), ("PIXELS", "pixel"), ("abs", "pixel"),
    ("norm1000", "norm1000"), ("qwen", "norm1000"),
])
def test_parse_box_format(name: str | None, canonical: str) -> None:
    assert parse_box_format(name) == canonical


@pytest.mark.parametrize(("box", "fmt", "text"), [
    ([64, 96, 320, 288], "norm1", "[0.100, 0.200, 0.500, 0.600]"),
    ([64, 96, 320, 288], "norm1000", "[100, 200, 500, 600]"),
    ([64.4, 96.6, 320, 288], "pixel", "[64, 97, 320, 288]"),
    ([320, 288, 64, 96], "norm1", "[0.100, 0.200, 0.500, 0.600]"),
    ([-10, -10, 1000, 1000], "norm1", "[0.000, 0.000, 1.000, 1.000]"),
    ([-10, -10, 1000, 1000], "pixel", "[0, 0, 640, 480]"),
])
def test_format_box(box: list[float], fmt: str, text: str) -> None:
    assert format_box(box, (640, 480), fmt) == text


def test_format_point_and_errors() -> None:
    assert format_point([320, 120], (640, 480)) == "[0.500, 0.250]"
    assert format_point([320, 120], (640, 480), "norm1000") == "[500, 250]"
    with pytest.raises(ValueError):
        format_box([1, 2, 3], (640, 480))
    with pytest.raises(ValueError, match="image_size"):
        format_box([1, 2, 3, 4], None, "norm1")
    assert format_box([1, 2, 3, 4], None, "pixel") == "[1, 2, 3, 4]"


# A small box (26 x 19.4 px of 640 x 480) whose corners fall between two-decimal steps.
_SMALL = [67.1, 98.3, 93.1, 117.7]


@pytest.mark.parametrize(("reply", "fmt", "iou"), [
    ("[0.1, 0.2, 0.15, 0.25]", "norm1", 0.6568),              # a model's own rounding: still read
    ("[0.10, 0.20, 0.15, 0.25]", "norm1", 0.6568),            # the target as two decimals rendered it
    ("[0.105, 0.205, 0.145, 0.245]", "norm1", 0.9745),        # the target as rendered (three decimals)
    ("[0.1048, 0.2048, 0.1455, 0.2452]", "norm1", 0.9977),
    ("[105, 205, 145, 245]", "norm1000", 0.9745),             # norm1000's step is norm1's
    ("[67, 98, 93, 118]", "pixel", 0.9627),
    ("[67.1, 98.3, 93.1, 117.7]", "pixel", 1.0),
])
def test_box_replies_are_read_at_any_precision(reply: str, fmt: str, iou: float) -> None:
    got = match_answer(reply, _SMALL, "box", box_format=fmt, image_size=(640, 480))
    assert got.score == pytest.approx(iou, abs=1e-4) and got.correct
    assert format_box(_SMALL, (640, 480), "norm1") == "[0.105, 0.205, 0.145, 0.245]"
    tight = match_answer(reply, _SMALL, "box", box_format=fmt, image_size=(640, 480), iou_threshold=0.9)
    assert tight.correct == (iou >= 0.9)


@pytest.mark.parametrize("fmt", ["norm1", "norm1000", "pixel"])
@pytest.mark.parametrize("size", [(480, 360), (640, 480), (1000, 750), (333, 999)])
def test_a_rendered_target_scores_close_to_one(fmt: str, size: tuple[int, int]) -> None:
    """The target text of a box at least 20 px wide and high: each rendered coordinate is within
    half a step (0.001 of the side, or half a pixel) of the box, so IoU >= (1 - 1/20)^2 > 0.9."""
    import random

    r = random.Random(size[0] + len(fmt))
    w, h = size
    for _ in range(500):
        x0, y0 = r.uniform(0, w - 20), r.uniform(0, h - 20)
        box = [x0, y0, r.uniform(x0 + 20, w), r.uniform(y0 + 20, h)]
        got = match_answer(format_box(box, size, fmt), box, "box", box_format=fmt, image_size=size)
        assert got.score >= 0.9, (box, fmt)
    # the step itself: one step of norm1 (three decimals) is one of norm1000
    assert format_box([0.5, 0.5, w - 0.5, h - 0.5], size, "norm1").count(".") == 4

def test_set_f1() -> None:
    assert set_f1([], []) == 1.0 and set_f1(["a"], []) == 0.0
    assert set_f1(["a", "b"], ["b", "c"]) == pytest.approx(0.5)


def test_a_qualified_gold_name_matches_without_its_qualifier() -> None:
    # LVIS tells "bow (weapon)" from "bow (decorative ribbons)": the image shows which is meant
    for reply in ("bow", "A bow.", "bow (weapon)", "bows"):
        assert match_answer(reply, "bow (weapon)", "str").correct, reply
    assert not match_answer("arrow", "bow (weapon)", "str").correct
    assert not match_answer("weapon", "bow (weapon)", "str").correct
    assert match_answer("(x)", "(x)", "str").correct  # nothing before the parenthesis: the whole name


def test_a_direction_matches_without_its_of() -> None:
    # "Where is the cup relative to the plate?" (gold "left of", from relation.query)
    for reply in ("left of", "To the left of the plate.", "left", "Left.", "On the left."):
        assert match_answer(reply, "left of", "str").correct, reply
    for reply in ("right", "to the right of the plate", "above"):
        assert not match_answer(reply, "left of", "str").correct, reply
    assert not match_answer("left or right", "left of", "str").correct
    assert match_answer("right", "right of", "str").correct


def test_a_denied_answer_is_not_the_answer() -> None:
    # a reply that names the gold answer only to deny it is not that answer
    for reply in ("not red", "It is not red.", "It isn't red.", "It doesn't look red.", "No, it is not a red one"):
        result = match_answer(reply, "red", "str")
        assert not result.correct and result.parse_failed and "says what the answer is not" in result.reason, reply
    for reply, gold in (("The car is red, not blue.", "red"), ("It isn't red, it is blue", "blue"),
                        ("It is not red, but blue", "blue"), ("There is no dog; it is a cat", "cat")):
        assert match_answer(reply, gold, "str").correct, reply
    assert not match_answer("It isn't red, it is blue", "red", "str").correct


# --- "which point" questions: the points the question shows -------------------------------

def _which_point(answer: list[float], other: list[float], reference: list[float] | None = None) -> dict:
    """A depth.points-like record in a 400 x 300 image (diagonal 500 px)."""
    program = [{"op": "point", "inputs": [], "args": answer if answer[0] < other[0] else other},
               {"op": "point", "inputs": [], "args": other if answer[0] < other[0] else answer}]
    if reference is not None:
        program.insert(0, {"op": "point", "inputs": [], "args": reference})
    program.append({"op": "closer_point", "inputs": [len(program) - 2, len(program) - 1], "args": ["closer"]})
    return {"answer": answer, "answer_type": "point", "choices": None, "images": [{"id": "i"}],
            "meta": {"image_size": [400, 300], "box_format": "pixel"}, "program": program}


@pytest.mark.parametrize(("reply", "correct"), [
    ("[100, 100]", True),    # the gold option
    ("[103, 101]", True),    # near it
    ("[110, 100]", False),   # the midpoint of the options
    ("[120, 100]", False),   # the wrong option, 20 px away: within 5% of the diagonal (25 px)
    ("[106, 100]", True),    # nearer than a third of the distance between the options (6.7 px)
    ("[107, 100]", False),
])
def test_which_point_needs_the_gold_option_not_the_midpoint(reply: str, correct: bool) -> None:
    record = _which_point([100.0, 100.0], [120.0, 100.0])
    assert score_sample(reply, record).correct is correct
    # without the program the plain 5% tolerance applies
    assert score_sample("[120, 100]", {**record, "program": None}).correct


def test_which_point_reference_point_is_not_an_answer() -> None:
    record = _which_point([100.0, 100.0], [300.0, 200.0], reference=[112.0, 100.0])
    assert not score_sample("[112, 100]", record).correct
    assert score_sample("[101, 100]", record).correct


def test_a_point_to_find_keeps_the_tolerance() -> None:
    record = _which_point([100.0, 100.0], [120.0, 100.0])
    record["answer"] = [150.0, 150.0]  # not one of the program's points: found, not picked
    assert score_sample("[160, 150]", record).correct


def test_meta_point_options_win_over_the_program() -> None:
    record = {"answer": [100.0, 100.0], "answer_type": "point", "choices": None,
              "meta": {"image_size": [400, 300], "box_format": "pixel", "point_options": [[100, 100], [130, 100]]}}
    assert not score_sample("[112, 100]", record).correct and score_sample("[105, 100]", record).correct


@pytest.mark.parametrize(("text", "candidates", "found"), [
    ("light blue car blue", ["light blue", "blue", "car"], ["light blue", "car", "blue"]),
    ("blue light blue", ["light blue", "blue", "light"], ["blue", "light blue"]),
    ("left of square", ["left of", "left", "of square"], ["left of", "of square"]),  # overlaps are kept
    ("red " * 3000, ["red", "red red"], ["red red"]),
])
def test_find_phrases_keeps_maximal_matches(text: str, candidates: list[str], found: list[str]) -> None:
    from veriscene.answers.normalize import find_phrases
    assert find_phrases(text.strip(), candidates) == found
