"""Scoring options of the wrong kind are refused, naming the option: before, some scored every
reply 0 (`float_rel_tol="0.01"`), credited any box (`iou_threshold=-1`), read a text as a list of
its letters (`choices="AB"`, `think_tags="think"`) or raised from deep inside."""

from __future__ import annotations

import inspect

import pytest

from veriscene.answers import (
    compare,
    match_answer,
    normalize_phrase,
    parse_answer,
    read_reply,
    score_sample,
    set_f1,
)
from veriscene.answers.options import MATCH_OPTIONS, check_scoring_options

BOX = [10.0, 20.0, 30.0, 40.0]
RECORD = {"id": "s1", "question": "How many circles?", "answer": 2, "answer_type": "int", "choices": None,
          "meta": {"mode": "qa"}}


def test_match_options_are_match_answers_keywords() -> None:
    keywords = [p.name for p in inspect.signature(match_answer).parameters.values()
                if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert sorted(MATCH_OPTIONS) == sorted(keywords)


@pytest.mark.parametrize(("options", "error", "said"), [
    ({"iou_threshold": "0.7"}, TypeError, "iou_threshold must be a number, got '0.7'"),
    ({"iou_threshold": 70}, ValueError, r"iou_threshold must be a number in \[0, 1\], got 70"),
    ({"iou_threshold": -1.0}, ValueError, r"iou_threshold must be a number in \[0, 1\], got -1.0"),
    ({"point_tolerance": None}, TypeError, "point_tolerance must be a number, got None"),
    ({"float_rel_tol": "0.01"}, TypeError, "float_rel_tol must be a number, got '0.01'"),
    ({"float_abs_tol": -1e-6}, ValueError, "float_abs_tol must be a number >= 0, got -1e-06"),
    ({"synonyms": ["grey", "gray"]}, TypeError, r"synonyms must be a dict \{word: word\} or None"),
    ({"vocabulary": "circle square"}, TypeError, "vocabulary must be a list of texts or None, got 'circle square'"),
    ({"think_tags": "think"}, TypeError, r"think_tags must be a list of tag names \(e.g. \['think'\]\), got 'think'"),
    ({"answer_tags": None}, TypeError, r"answer_tags must be a list of tag names \(e.g. \['answer'\]\), got None"),
    ({"auto_detect_box_format": "no"}, TypeError, "auto_detect_box_format must be True or False, got 'no'"),
])
def test_a_bad_option_value_is_named(options: dict, error: type, said: str) -> None:
    with pytest.raises(error, match=said):
        match_answer("[10, 20, 30, 40]", BOX, "box", box_format="pixel", **options)
    with pytest.raises(error, match=said):
        check_scoring_options(options, "score_options")


def test_the_defaults_and_good_values_score_as_before() -> None:
    assert match_answer("[10, 20, 30, 40]", BOX, "box", box_format="pixel").score == 1.0
    strict = match_answer("[10, 20, 30, 41]", BOX, "box", box_format="pixel", iou_threshold=0.99)
    assert strict.correct is False and strict.score == pytest.approx(400 / 420)
    assert match_answer("3.1", 3.0, "float", float_rel_tol=0.05).correct is True
    assert match_answer("<reasoning>no</reasoning> yes", True, "bool", think_tags=["reasoning"]).correct is True
    assert match_answer("B", "square", "str", choices=("circle", "square")).correct is True
    assert check_scoring_options({"iou_threshold": 1, "think_tags": (), "synonyms": None}, "score_options") is None


def test_a_multiple_choice_comparison_no_longer_hides_a_bad_option() -> None:
    # the option text is compared with compare(), whose errors read as "wrong": now refused first
    with pytest.raises(TypeError, match="float_rel_tol must be a number"):
        match_answer("A", 3.0, "float", choices=["3.0", "4.0"], float_rel_tol="0.1")


def test_choices_or_vocabulary_as_one_text_are_refused() -> None:
    # before: "xy" was the options "x" and "y", and the reply "A" scored 1.0
    with pytest.raises(TypeError, match="choices must be a list of texts or None, got 'xy'"):
        match_answer("A", "x", "str", choices="xy")
    with pytest.raises(TypeError, match="choices must be a list of texts"):
        parse_answer("A", "str", choices="xy")


def test_tags_given_as_one_text_are_refused() -> None:
    # before: "think" was the tags t, h, i, n, k and the think block stayed in the reply
    with pytest.raises(TypeError, match="think_tags must be a list of tag names"):
        read_reply("<think>no</think> yes", think_tags="think")
    assert read_reply("<think>no</think> yes", think_tags=("think",)).body == "yes"


def test_score_sample_names_a_sample_that_is_no_record() -> None:
    for sample in (None, "s1", 3):
        with pytest.raises(TypeError, match="sample must be a sample record .* got "):
            score_sample("2", sample)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="iou_threshold must be a number"):
        score_sample("2", RECORD, iou_threshold="high")
    assert score_sample("2", RECORD).correct is True


def test_compare_names_an_unknown_answer_type() -> None:
    with pytest.raises(ValueError, match="unknown answer_type 'integer'"):
        compare(1, 1, "integer")  # before: (1.0, True)
    assert compare(1, 1, "int") == (1.0, True)


@pytest.mark.parametrize(("call", "said"), [
    (lambda: normalize_phrase(None), "normalize_phrase: text must be a str, got None"),  # type: ignore[arg-type]
    (lambda: normalize_phrase("dogs", synonyms=3), r"synonyms must be a dict \{word: word\} or None, got 3"),  # type: ignore[arg-type]
    (lambda: set_f1("ab", ["a"]), "set_f1: predicted must be a list or set of items, got 'ab'"),
    (lambda: set_f1(["a"], None), "set_f1: gold must be a list or set of items, got None"),  # type: ignore[arg-type]
    (lambda: parse_answer("yes", "bool", auto_detect_box_format="no"), "auto_detect_box_format must be True or False"),
])
def test_helpers_name_the_argument(call, said: str) -> None:
    with pytest.raises(TypeError, match=said):
        call()
    assert set_f1(["a"], ["a", "b"]) == pytest.approx(2 / 3)


def test_the_vocabulary_file_by_its_name_elsewhere_is_said_to_be_rivals() -> None:
    """`vocabulary_file` (make_accuracy_reward's and verl's name for the run's vocabulary.json)
    given in score_options was answered "did you mean 'vocabulary'?", an option of another kind
    (a list of words): the environment and evaluate take the file as 'rivals'."""
    from veriscene.answers.options import check_names

    with pytest.raises(TypeError, match=r"unknown option 'vocabulary_file' \(the run's vocabulary.json is 'rivals' "
                                        r"here: \{'rivals': PATH\}\)"):
        check_names(["vocabulary_file"], MATCH_OPTIONS, "score_options")
    check_names(["vocabulary_file"], ("vocabulary_file", "rivals"), "make_accuracy_reward()")  # its own name there
