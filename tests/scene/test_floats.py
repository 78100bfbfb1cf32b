"""`scene.floats`: float32 values written as the shortest decimal that reads back bit for bit."""

from __future__ import annotations

import json

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from veriscene.scene.floats import float32_json, shortest_float32


def bits(values: np.ndarray) -> list[int]:
    return np.asarray(values, dtype=np.float32).view(np.uint32).tolist()


def read_back(text: bytes) -> np.ndarray:
    """As a reader does: JSON numbers to float64, then to float32."""
    return np.array(orjson.loads(text), dtype=np.float32)


def significant_digits(text: str) -> int:
    mantissa = text.lstrip("-").split("e")[0].replace(".", "").strip("0")
    return max(len(mantissa), 1)


@pytest.mark.parametrize(("value", "text"), [
    (12.3, "12.3"),
    (0.1, "0.1"),
    (-7.25, "-7.25"),
    (412.57, "412.57"),
    (12.0, "12.0"),  # integral values stay floats: every file's box lists have one JSON type
    (0.0, "0.0"),
    (-0.0, "-0.0"),
    (123456789.0, "123456790.0"),  # the float32 nearest 123456789 is 123456792
    (1e20, "1e+20"),
    (3.4028235e38, "3.4028235e+38"),  # the largest float32
    (1e-45, "1e-45"),  # the smallest subnormal
    (2.0**-20, "9.536743e-07"),  # an exact power of two, whose interval below is the narrower
])
def test_known_values_are_written_short(value: float, text: str) -> None:
    array = np.array([value], dtype=np.float32)
    assert json.dumps(float32_json(array)) == f"[{text}]"  # json prints Python's repr
    written = orjson.dumps(float32_json(array)).decode()  # orjson spells exponents its own way
    assert float(written[1:-1]) == float(text) and significant_digits(written[1:-1]) == significant_digits(text)
    assert bits(read_back(orjson.dumps(float32_json(array)))) == bits(array)


def test_noise_of_tolist_is_gone() -> None:
    boxes = np.array([[12.3, 4.56, 100.1, 200.7]], dtype=np.float32)
    noisy = b"[[12.300000190734863,4.559999942779541,100.0999984741211,200.6999969482422]]"
    assert orjson.dumps(boxes.tolist()) == noisy  # what the scene files held
    assert orjson.dumps(float32_json(boxes)) == b"[[12.3,4.56,100.1,200.7]]"


@pytest.mark.parametrize("shape", [(0,), (0, 4), (3,), (2, 4), ()])
def test_shape_is_kept(shape: tuple[int, ...]) -> None:
    array = np.full(shape, 0.3, dtype=np.float32)
    assert float32_json(array) == np.full(shape, 0.3).tolist()  # lists nested as tolist() nests them


def test_non_finite_pass_through_and_other_dtypes_are_refused() -> None:
    out = shortest_float32(np.array([np.inf, -np.inf, np.nan, 1.5], dtype=np.float32))
    assert out[0] == np.inf and out[1] == -np.inf and np.isnan(out[2]) and out[3] == 1.5
    with pytest.raises(TypeError, match="expected a float32 array, got float64"):
        float32_json(np.zeros(3))


def test_random_bit_patterns_read_back_identically_and_as_short_as_numpy() -> None:
    rng = np.random.default_rng(7)
    values = rng.integers(0, 2**32, size=200_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    values = values[np.isfinite(values)]
    out = shortest_float32(values)
    assert bits(read_back(orjson.dumps(out.tolist()))) == bits(values)
    for wide, value in zip(out[:5000].tolist(), values[:5000]):
        assert significant_digits(repr(wide)) == significant_digits(str(value))  # numpy's shortest


@pytest.mark.parametrize("scale", [1.0, 700.0, 1e-3, 1e6])
def test_pixel_like_values_read_back_identically(scale: float) -> None:
    rng = np.random.default_rng(3)
    for values in (rng.random(50_000) * scale, np.round(rng.random(50_000) * scale, 2)):
        array = values.astype(np.float32)
        assert bits(read_back(orjson.dumps(float32_json(array)))) == bits(array)


@settings(max_examples=300, deadline=None)
@given(hnp.arrays(np.float32, st.integers(0, 40),
                  elements=st.floats(width=32, allow_nan=False, allow_infinity=False)))
def test_any_finite_float32_reads_back_bit_for_bit(array: np.ndarray) -> None:
    text = orjson.dumps(float32_json(array))
    assert bits(read_back(text)) == bits(array)
    assert bits(np.array(json.loads(text), dtype=np.float32)) == bits(array)  # the stdlib reader too
    for wide, value in zip(shortest_float32(array).tolist(), array):
        assert significant_digits(repr(wide)) <= significant_digits(str(value))


def test_a_bad_box_is_quoted_as_written() -> None:
    from veriscene.errors import SceneValidationError
    from veriscene.scene.model import Scene

    with pytest.raises(SceneValidationError, match=r"box \[12\.3, 4\.56, 200\.1, 50\.0\] lies outside the 100x100"):
        Scene.from_objects("a", 100, 100, [{"name": "x", "box": [12.3, 4.56, 200.1, 50]}])
