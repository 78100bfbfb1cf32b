"""The sample readers on mutated sample files: export's, eval's and verify's.

A run's samples (counting and attribute questions on two demo scenes, free-form and multiple
choice) have one record mutated: a field anywhere replaced by an arbitrary JSON value (the JSON
readers' fuzz values: null, huge and tiny numbers, text for numbers, lists and objects, deep
lists), deleted, or a key added; or the record replaced whole. Then, with nothing raised:

- export's `read_samples` yields every line or names it, by file and line, in its errors;
- eval's `load_samples` keeps every line as a record or a rejected line;
- `verify` verifies every line or reports a problem of it, by line.

A hunt for bugs runs thousands (`settings(max_examples=...)`); the suite keeps a few.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.io.readers.test_reader_fuzz import _JSON
from veriscene import generate, verify
from veriscene.demo.world import iter_scene_graphs
from veriscene.evaluate.inputs import load_samples
from veriscene.io.export import read_samples
from veriscene.scene import write_scenes

Place = tuple[Any, ...]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("sample_fuzz")
    write_scenes(iter_scene_graphs(2, seed=1), root / "scenes.jsonl")
    generate(root / "scenes.jsonl", root / "run", generators="counting,attribute")
    records = [orjson.loads(line) for line in (root / "run" / "samples.jsonl").read_bytes().splitlines()]
    return root, records


def _places(value: Any, place: Place = ()) -> list[Place]:
    out = [place]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        out += _places(inner, (*place, key))
    return out


def _at(value: Any, place: Place) -> Any:
    for key in place:
        value = value[key]
    return value


def _dumps(record: Any) -> bytes:
    try:
        return orjson.dumps(record)
    except (TypeError, orjson.JSONEncodeError):  # an int past 64 bits: as Python's json writes it
        import json

        return json.dumps(record).encode()


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_line_is_read_or_named(run: tuple[Path, list[dict[str, Any]]], tmp_path: Path,
                                     data: st.DataObject) -> None:
    root, good = run
    records: list[Any] = copy.deepcopy(good)
    k = data.draw(st.integers(0, len(records) - 1))
    place = data.draw(st.sampled_from(_places(records[k])))
    how = data.draw(st.sampled_from(["replace", "delete", "add"]))
    if not place:
        records[k] = data.draw(_JSON)
    elif how == "replace":
        _at(records[k], place[:-1])[place[-1]] = data.draw(_JSON)
    elif how == "delete":
        del _at(records[k], place[:-1])[place[-1]]
    else:
        holder = _at(records[k], place)
        if isinstance(holder, dict):
            holder[data.draw(st.sampled_from(["id", "answer", "choices", "meta", "marks", "x"]))] = data.draw(_JSON)
        elif isinstance(holder, list):
            holder.append(data.draw(_JSON))
    path = tmp_path / f"{data.draw(st.integers(0, 10**9))}.jsonl"
    path.write_bytes(b"\n".join(_dumps(r) for r in records) + b"\n")
    lines = len(records)

    errors: list[str] = []
    assert len(list(read_samples(path, errors))) + len(errors) == lines
    assert all(e.startswith(f"{path}:") for e in errors)

    loaded = load_samples(path)
    assert len(loaded.records) + len(loaded.rejected) == lines

    report = verify(path, root / "scenes.jsonl")
    assert report.verified + len(report.problems) == lines
    assert all(isinstance(p.line, int) and 1 <= p.line <= lines for p in report.problems)
