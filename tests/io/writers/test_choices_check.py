"""A sample whose `choices` is not a list of strings is refused by the writers (a string was
written as a list of its characters)."""

from __future__ import annotations

import pytest

from veriscene.demo.pipeline import run_demo
from veriscene.io.writers.records import check_sample

BASE = {"id": "s1", "task": "t", "images": [{"id": "a", "path": "a.png"}], "question": "Q?", "answer": "red",
        "answer_type": "str", "program": [], "meta": {}}


@pytest.mark.parametrize("choices", ["A,B", {"a": 1}, ["red", 3]])
def test_choices_must_be_a_list_of_strings(choices: object) -> None:
    with pytest.raises(TypeError, match="field 'choices' must be a list of strings or null"):
        check_sample({**BASE, "choices": choices})


@pytest.mark.parametrize("choices", [None, [], ["red", "blue"]])
def test_good_choices_pass(choices: object) -> None:
    check_sample({**BASE, "choices": choices})


def test_demo_refuses_a_negative_seed(tmp_path) -> None:
    with pytest.raises(ValueError, match="seed must be 0 to 2\\*\\*64-1"):
        run_demo(tmp_path, scenes=1, seed=-1)
