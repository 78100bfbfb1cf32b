"""`_json.stream_json`: the members of a top-level list or object, one at a time, equal to what
`json.loads` gives, whatever the chunk size; malformed text is an error at the fault."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from veriscene.io.readers._json import JsonStreamError, stream_json, top_level

_LEAVES = [0, -1, 12345678901234567890, 1.5, -2.5e-7, 1e300, 0.1, 3, True, False, None, "", 'a"b\\c',
           "é中\n\t]}[{,:", "x" * 150, "1.5e+3"]
_CHUNKS = (3, 17, 1 << 20)


def _value(rng: random.Random, depth: int = 0):
    r = rng.random()
    if depth > 3 or r < 0.3:
        return rng.choice(_LEAVES)
    if r < 0.65:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    return {f"k{rng.randint(0, 9)}\"": _value(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def _documents(n: int):
    rng = random.Random(7)
    for trial in range(n):
        if trial % 2:
            top = [_value(rng) for _ in range(rng.randint(0, 20))]
        else:
            top = {f"id{i}": _value(rng) for i in range(rng.randint(0, 20))}
        text = json.dumps(top, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 1]))
        if rng.random() < 0.3:
            text = " \n" + text + "\n "
        yield rng, top, text


def _members(top):
    return list(enumerate(top)) if isinstance(top, list) else list(top.items())


def test_members_equal_json_loads_for_any_chunk_size(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    for _, top, text in _documents(60):
        path.write_text(text, encoding="utf-8")
        assert top_level(path) == text.strip()[0]
        for chunk in _CHUNKS:
            assert list(stream_json(path, chunk_chars=chunk)) == _members(top), (text, chunk)


def test_numbers_cut_by_a_chunk_are_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    path.write_text("[1.5, -2, 1e+5, 12345, 0.25e-2, true, null]")
    for chunk in range(1, 12):
        assert [v for _, v in stream_json(path, chunk_chars=chunk)] == [1.5, -2, 1e5, 12345, 0.0025, True, None]


def test_truncated_or_corrupted_text_is_an_error_never_other_values(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    for rng, _, text in _documents(60):
        cuts = [text[:cut] for cut in {1, len(text) // 2, len(text) - 1} if len(text) > 2]
        k = rng.randrange(1, max(len(text) - 1, 2))
        broken = cuts + [text[:k] + rng.choice(["@", ",", "]", "}", '"', ":", "x"]) + text[k + 1:]]
        for bad in broken:
            path.write_text(bad, encoding="utf-8")
            try:
                expected = json.loads(bad)
            except json.JSONDecodeError:
                expected = None
            for chunk in (3, 1 << 20):
                if isinstance(expected, (list, dict)):
                    assert list(stream_json(path, chunk_chars=chunk)) == _members(expected)
                else:
                    with pytest.raises(ValueError):
                        list(stream_json(path, chunk_chars=chunk))


def test_error_names_the_fault_and_keeps_what_came_before(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_text('[{"a": 1}, {"b": 2}, {"c": @}, {"d": 4}]')
    got = []
    with pytest.raises(JsonStreamError, match="Expecting value at character 27") as info:
        for member in stream_json(path, chunk_chars=4):
            got.append(member)
    assert got == [(0, {"a": 1}), (1, {"b": 2})] and info.value.members == 2
    path.write_text('{"x": [1, 2], "y": 3')
    with pytest.raises(JsonStreamError, match="ends inside the top-level object"):
        list(stream_json(path))
    path.write_text('[1, 2] [3]')
    with pytest.raises(JsonStreamError, match="extra data after the top-level value at character 7"):
        list(stream_json(path))
    path.write_text('"just a string"')
    with pytest.raises(ValueError, match="not a list or an object"):
        list(stream_json(path))


def test_object_members_come_in_file_order_with_repeated_keys(tmp_path: Path) -> None:
    path = tmp_path / "o.json"
    path.write_text('\ufeff{"b": 1, "a": [2], "b": {"c": 3}}', encoding="utf-8")
    assert top_level(path) == "{"
    assert list(stream_json(path, chunk_chars=3)) == [("b", 1), ("a", [2]), ("b", {"c": 3})]
