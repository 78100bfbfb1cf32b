"""`veriscene.sample_ids`: what two samples of one id must agree on, and how a conflict is named."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from veriscene.sample_ids import (IdConflict, answer_key, conflicts_between, conflicts_message, read_answers,
                                  run_inputs)


@pytest.mark.parametrize("a, b, same", [
    ({"answer_type": "int", "answer": 2}, {"answer_type": "int", "answer": 2, "seed": 9}, True),  # seed not compared
    ({"answer_type": "int", "answer": 2}, {"answer_type": "int", "answer": 3}, False),
    ({"answer_type": "int", "answer": 1}, {"answer_type": "bool", "answer": True}, False),
    ({"answer_type": "box", "answer": [1.0, 2.0, 3.0, 4.0]}, {"answer_type": "box", "answer": [1.0, 2.0, 3.0, 4.5]}, False),
    ({"answer_type": "str_set", "answer": ["a", "b"]}, {"answer_type": "str_set", "answer": ["a", "b"]}, True),
])
def test_answer_key(a: dict, b: dict, same: bool) -> None:
    assert (answer_key(a) == answer_key(b)) is same and len(answer_key(a)) == 8


def write(path: Path, records: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def test_conflicts_between_two_files(tmp_path: Path) -> None:
    a = write(tmp_path / "a.jsonl", [{"id": "x", "answer_type": "int", "answer": 2},
                                     {"id": "y", "answer_type": "str", "answer": "cat"},
                                     {"id": "z", "answer_type": "bool", "answer": True}])
    (tmp_path / "b.jsonl").write_bytes(b"not json\n" + orjson.dumps({"id": "z", "answer_type": "bool", "answer": False})
                                       + b"\n" + orjson.dumps({"id": "x", "answer_type": "int", "answer": 2}) + b"\n"
                                       + orjson.dumps({"id": "y", "answer_type": "str", "answer": "dog"}) + b"\n")
    left, right = read_answers(a), read_answers(tmp_path / "b.jsonl", {"x", "y", "z"})
    assert {i: (v.line, v.answer) for i, v in right.items()} == {"z": (2, False), "x": (3, 2), "y": (4, "dog")}
    found = conflicts_between(left, right, "a.jsonl", "b.jsonl")
    assert found == [IdConflict("y", "a.jsonl, line 2", "b.jsonl, line 4", "cat", "dog"),
                     IdConflict("z", "a.jsonl, line 3", "b.jsonl, line 2", True, False)]
    assert conflicts_between(left, right, "a.jsonl", "b.jsonl", ids=["x", "z"]) == [found[1]]
    assert conflicts_message(found, listed=1) == ('2 sample id(s) name two different samples (y: a.jsonl, line 2 '
                                                  'answers "cat", b.jsonl, line 4 answers "dog"; and 1 more)')
    long = IdConflict("w", "l1", "l2", "A" * 100, "B").describe()
    assert long == f'w: l1 answers "{"A" * 36}..., l2 answers "B"'
    assert run_inputs(a) is None  # no run folder
    with pytest.raises(FileNotFoundError):
        read_answers(tmp_path / "missing.jsonl")


def test_run_inputs_of_a_run_folder(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_bytes(orjson.dumps({"config": {"scenes": {"path": "s.jsonl", "sha256": "ab"}}}))
    assert run_inputs(tmp_path) == ("ab",) == run_inputs(tmp_path / "samples.jsonl")
    (tmp_path / "manifest.json").write_bytes(orjson.dumps({"config": {"scenes": [{"path": "1", "sha256": "c"},
                                                                                {"path": "2", "sha256": "d"}]}}))
    assert run_inputs(tmp_path) == ("c", "d")
    (tmp_path / "manifest.json").write_bytes(b"{")
    assert run_inputs(tmp_path) is None
