"""A sample whose fields no writer can render is skipped with the field named, in every format.

Before, a `meta` that is no object or an `images` item that is no object stopped every export
with a traceback (AttributeError: 'str' object has no attribute 'get'), and an answer of the
wrong kind was written ('None' as the target of an int question in llava, a null truth in verl
that every reply then failed) or skipped with Python's words ("int() argument must be ...")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from veriscene.io.writers import write
from veriscene.io.writers.records import check_sample, int64

GOOD = {"id": "s1", "task": "object.count.v1", "images": [{"id": "a", "path": "a.png"}],
        "question": "How many cups are there?", "answer": 3, "answer_type": "int", "choices": None,
        "program": [], "meta": {"mode": "qa"}, "seed": 1, "generator_version": 1}
FORMATS = ["llava", "sharegpt", "parquet", "hf", "trl", "verl", "jsonl", "lmms_eval"]

BAD: list[tuple[dict[str, Any], str]] = [
    ({"meta": "qa"}, "sample s1: field 'meta' must be an object or null, got str"),
    ({"images": ["a.png"]}, "sample s1: field 'images', item 0: expected an object {id, path}, got str 'a.png'"),
    ({"images": [None]}, "sample s1: field 'images', item 0: expected an object {id, path}, got NoneType"),
    ({"id": 5}, "field 'id' must be a non-empty string, got 5"),
    ({"question": ["How", "many"]}, "sample s1: field 'question' must be a string, got list"),
    ({"answer": None}, "sample s1: field 'answer': answer_type int takes a whole number, got None"),
    ({"answer": "four"}, "sample s1: field 'answer': answer_type int takes a whole number, got 'four'"),
    ({"answer": 4.7}, "sample s1: field 'answer': answer_type int takes a whole number, got 4.7"),
    ({"answer": "yes", "answer_type": "bool"}, "answer_type bool takes true or false, got 'yes'"),
    ({"answer": [1, 2, 3], "answer_type": "box"}, "answer_type box takes a list of 4 numbers, got [1, 2, 3]"),
    ({"answer": -1, "answer_type": "image_index"}, "answer_type image_index takes a whole number >= 0"),
    ({"answer": ["red", 2], "answer_type": "str_set"}, "answer_type str_set takes a list of strings"),
]


@pytest.mark.parametrize(("change", "said"), BAD, ids=[said[:40] for _, said in BAD])
def test_a_bad_field_is_named(change: dict[str, Any], said: str) -> None:
    with pytest.raises((TypeError, ValueError)) as raised:
        check_sample({**GOOD, **change})
    assert said in str(raised.value)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("change", "said"), BAD[:3] + BAD[5:6], ids=["meta", "image str", "image None",
                                                                    "answer None"])
def test_every_writer_skips_it_naming_the_field(tmp_path: Path, fmt: str, change: dict[str, Any], said: str) -> None:
    (tmp_path / "a.png").write_bytes(b"")  # found; never decoded (no embedding)
    summary = write([{**GOOD, "id": "s0"}, {**GOOD, **change}], tmp_path / "out", fmt, sample_root=tmp_path)
    assert (summary.samples_written, summary.samples_skipped) == (1, 1)
    assert said in summary.errors[0], summary.errors


@pytest.mark.parametrize("answer_type, answer", [
    ("bool", False), ("int", 0), ("float", 2), ("float", 0.5), ("str", ""), ("text", "A cup."),
    ("str_set", []), ("box", [0, 0, 1.5, 2]), ("point", [1, 2]), ("image_index", 0),
])
def test_answers_of_their_type_pass(answer_type: str, answer: Any) -> None:
    check_sample({**GOOD, "answer_type": answer_type, "answer": answer})


def test_a_seed_that_is_no_number_is_named() -> None:
    with pytest.raises(ValueError, match="sample s1: field 'seed' must be a whole number, got 'abc'"):
        int64({**GOOD, "seed": "abc"}, "seed")
