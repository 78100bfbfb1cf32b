from __future__ import annotations

from typing import Any

import pytest
from tests.io.conftest import make_sample

from veriscene.io.writers.text import answer_text, prompt_text


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"answer": 3, "answer_type": "int"}, "3"),
        ({"answer": True, "answer_type": "bool"}, "Yes"),
        ({"answer": False, "answer_type": "bool"}, "No"),
        ({"answer": 0.25, "answer_type": "float"}, "0.25"),
        ({"answer": "red", "answer_type": "str"}, "red"),
        ({"answer": ["cup", "dog"], "answer_type": "str_set"}, "cup, dog"),
        ({"answer": [], "answer_type": "str_set"}, "none"),  # was "": "Answer none if none are."
        ({"answer": 1, "answer_type": "image_index"}, "Image 2"),
        ({"answer": "A red cup on a table.", "answer_type": "text"}, "A red cup on a table."),
        (
            {
                "answer": [10, 20, 30, 60],
                "answer_type": "box",
                "meta": {"box_format": "norm1", "image_size": [40, 80]},
            },
            "[0.250, 0.250, 0.750, 0.750]",
        ),
        (
            {
                "answer": [10, 20, 30, 60],
                "answer_type": "box",
                "meta": {"box_format": "norm1000", "image_size": [40, 80]},
            },
            "[250, 250, 750, 750]",
        ),
        (
            {
                "answer": [10.4, 20.6, 30, 60],
                "answer_type": "box",
                "meta": {"box_format": "pixel", "image_size": [40, 80]},
            },
            "[10, 21, 30, 60]",
        ),
        (
            {
                "answer": [20, 40],
                "answer_type": "point",
                "meta": {"box_format": "norm1", "image_size": [40, 80]},
            },
            "[0.500, 0.500]",
        ),
    ],
)
def test_answer_text_by_type(fields: dict[str, Any], expected: str) -> None:
    assert answer_text(make_sample("x", [], **fields)) == expected


def test_answer_text_multiple_choice_styles() -> None:
    sample = make_sample(
        "mc",
        [],
        answer="red",
        answer_type="str",
        choices=["blue", "red"],
        meta={"mode": "mc", "answer_letter": "B"},
    )
    assert answer_text(sample) == "B"
    assert answer_text(sample, mc_style="letter_text") == "B. red"
    no_letter = dict(sample, meta={"mode": "mc"})
    assert answer_text(no_letter) == "B"  # found among the choices
    with pytest.raises(ValueError, match="mc_style"):
        answer_text(sample, mc_style="word")


def test_answer_text_errors_name_the_sample() -> None:
    with pytest.raises(ValueError, match="sample bad"):
        answer_text(make_sample("bad", [], answer=1, answer_type="colour"))
    with pytest.raises(ValueError, match="sample nosize"):
        answer_text(
            make_sample(
                "nosize", [], answer=[1, 2, 3, 4], answer_type="box", meta={"box_format": "norm1"}
            )
        )


@pytest.mark.parametrize(
    ("question", "n", "sep", "expected"),
    [
        ("Q?", 1, "", "<image>Q?"),
        ("Q?", 2, "\n", "<image>\n<image>\nQ?"),
        ("<image> Q?", 1, "", "<image> Q?"),
        ("Q?", 0, "", "Q?"),
    ],
)
def test_prompt_text(question: str, n: int, sep: str, expected: str) -> None:
    assert prompt_text(question, n, separator=sep) == expected


def test_an_empty_set_is_answered_none_as_its_choices_and_the_scorer_say() -> None:
    """multi.only_in / multi.common_objects ask "Answer none if none are." and offer "none" among
    their options: the target was "" (and "<answer></answer>" with reasoning, which format_reward
    and accuracy_reward scored 0), and an mc sample without answer_letter found no option."""
    from veriscene.answers import score_sample

    qa = make_sample("s", ["a.png"], answer=[], answer_type="str_set", meta={"mode": "qa"})
    assert score_sample(answer_text(qa), qa).correct
    mc = make_sample("m", ["a.png"], answer=[], answer_type="str_set", choices=["bed", "none", "bus"],
                     meta={"mode": "mc"})
    assert answer_text(mc) == "B" and answer_text(mc, mc_style="letter_text") == "B. none"
