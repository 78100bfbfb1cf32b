"""`_json_load.parse_json`: a whole JSON file read as the streamed readers read theirs, integers
exact. orjson reads an integer outside [-2**63, 2**64 - 1] as a float (an image id of 2**64 was
refused as "1.8446744073709552e+19"); a text that may hold one is parsed by the standard library."""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriscene.io.readers import _json_load
from veriscene.io.readers._json_load import _may_hold_wide_int, parse_json


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types throughout (1 == 1.0, but an id of 1.0 is no id)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize(("text", "value"), [
    (b'{"image_id": 18446744073709551616}', {"image_id": 2**64}),
    (b"[-9223372036854775809, 1.5]", [-(2**63) - 1, 1.5]),
    (b'{"a": [123456789012345678901234567890]}', {"a": [123456789012345678901234567890]}),
    (b"18446744073709551616", 2**64),  # the whole text one number
    (b"\xef\xbb\xbf[18446744073709551616]", [2**64]),  # after a byte order mark
    (b"[18446744073709551615, -9223372036854775808]", [2**64 - 1, -(2**63)]),  # orjson's own ends
])
def test_integers_past_64_bits_are_read_exactly(text: bytes, value: Any) -> None:
    assert _same(parse_json(text), value)


def test_a_wide_integer_beside_nan() -> None:
    image_id, score = parse_json(b"[18446744073709551616, NaN]")
    assert type(image_id) is int and image_id == 2**64 and math.isnan(score)


@pytest.mark.parametrize(("text", "wide"), [
    (b"[18446744073709551616]", True),
    (b'{"a":-9223372036854775809}', True),
    (b"[1234567890123456789]", True),  # 19 digits within 64 bits: parsed by the standard library, exactly
    (b'["0000000000000000000001.png"]', True),  # in a string: the same
    (b"[0.00012345678901234567, 1.2345678901234567e-05]", False),  # a fraction's digits follow a "."
    (b"[123456789012345678, 0.5]", False),  # 18 digits: within 64 bits
    (b'{"id": 1, "w": 640}', False),
])
def test_the_check_finds_every_run_of_19_digits_not_after_a_point(text: bytes, wide: bool) -> None:
    assert _may_hold_wide_int(text) is wide


def test_a_run_cut_by_a_chunks_end_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_json_load, "_CHUNK", 16)
    for pad in range(40):  # the run starts before, at and after each chunk's end
        assert _may_hold_wide_int(b" " * pad + b"[18446744073709551616]")
        assert not _may_hold_wide_int(b" " * pad + b"[184467440737095516, 1.844674407370955161]")


def test_a_malformed_text_holding_a_wide_integer_gives_orjsons_error() -> None:
    with pytest.raises(orjson.JSONDecodeError):
        parse_json(b'{"image_id": 18446744073709551616,')


_NUMBERS = st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**19, 10**30, -(10**25),
                            0.00012345678901234567, 1e19, 1.8446744073709552e19, -9.3e18, 5e-324])
_LEAVES = _NUMBERS | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=25) | st.none()
_VALUES = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=4), inner,
                                                                                          max_size=4), max_leaves=20)


@settings(max_examples=300, derandomize=True)
@given(_VALUES, st.sampled_from([1, 7, 64, 1 << 18]), st.booleans())
def test_values_are_what_the_standard_library_reads(value: Any, chunk: int, indent: bool) -> None:
    """Whatever the chunk the check maps at a time (a run cut by a chunk's end is found)."""
    text = json.dumps(value, indent=1 if indent else None).encode()
    original, _json_load._CHUNK = _json_load._CHUNK, chunk
    try:
        assert _same(parse_json(text), json.loads(text))
    finally:
        _json_load._CHUNK = original
