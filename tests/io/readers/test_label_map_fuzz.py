"""Label maps fuzzed: NumPy arrays of any dtype, shape and values, beside a good map in one folder.

Each bad map is a reject naming its file and a field (or the file as a whole, when it cannot be
read), or is read; the good map beside it is always read; nothing warns; and every scene read is
valid (written as `convert` writes it and read back). The cases found by hand-run hunts (a
5D array of length-1 axes, a float16 map) are pinned below.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from veriscene.io.readers import read
from veriscene.io.rejects import RejectReport
from veriscene.scene.jsonl import dumps_scene, loads_line, scene_from_dict

DTYPES = ("u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f2", "f4", "f8", "?", "c8", "U2", "S2", "M8[s]",
          "m8[s]", "V4", [("a", "u1"), ("b", "f4")])
VALUES = st.sampled_from([0, 1, 2, 3, 7, 255, 256, 65535, 2**31 - 1, 2**53 + 1, 2**63 - 1, -1, -(2**63), 0.5,
                          1e300, float("nan"), float("inf"), -float("inf"), 65504.0])
SHAPES = st.lists(st.sampled_from([0, 1, 2, 5, 12]), min_size=0, max_size=5).map(tuple)


def _array(dtype: object, shape: tuple[int, ...], fill: list[object]) -> np.ndarray:
    values = np.array(fill * (int(np.prod(shape)) // len(fill) + 1), dtype=object)[: int(np.prod(shape))]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return values.astype(dtype).reshape(shape)
        except (TypeError, ValueError, OverflowError):  # a value this dtype cannot hold: zeros
            return np.zeros(shape, dtype)


def _good() -> np.ndarray:
    good = np.zeros((12, 12), np.uint8)
    good[2:8, 2:8] = 1
    return good


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(dtype=st.sampled_from(DTYPES), shape=SHAPES, fill=st.lists(VALUES, min_size=1, max_size=4))
def test_any_array_is_read_or_a_reject_naming_the_file(dtype: object, shape: tuple[int, ...],
                                                       fill: list[object]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bad = folder / "a_fuzzed.npy"
        np.save(bad, _array(dtype, shape, fill))
        np.save(folder / "b_good.npy", _good())
        report = RejectReport()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a warning is no report: none may escape
            scenes = list(read(folder, "label_map", report=report))
    assert "b_good" in [s.image_id for s in scenes]
    for scene in scenes:
        line = dumps_scene(scene)
        assert dumps_scene(scene_from_dict(loads_line(line))) == line
    for entry in report.entries:
        assert entry.file == str(bad) and entry.reason
        assert entry.field == "pixels" or entry.reason.startswith("cannot read the label map")
    read_bad = [s for s in scenes if s.image_id.startswith("a_fuzzed")]
    # the bad file is read, rejected or its slices counted as empty: never left without a word
    assert read_bad or report.entries or report.repairs["empty_slices_skipped"]


def test_the_shape_refused_is_the_files(tmp_path: Path) -> None:
    """An array of five axes of length 1 was refused as 'got an array of shape ()' (the shape
    after squeezing away its length-1 axes), which is no shape the file holds."""
    np.save(tmp_path / "a.npy", np.ones((1, 1, 1, 1, 1), np.uint8))
    report = RejectReport()
    assert list(read(tmp_path / "a.npy", "label_map", report=report)) == []
    (entry,) = report.entries
    assert entry.field == "pixels" and "got an array of shape (1, 1, 1, 1, 1)" in entry.reason


def test_a_float16_map_reads_without_a_warning(tmp_path: Path) -> None:
    """A float16 map of whole labels read, but numpy warned 'overflow encountered in cast' (the
    check for values past 2**53 cast 2**53 to float16, which is inf) on every file."""
    np.save(tmp_path / "a.npy", _good().astype(np.float16))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (scene,) = read(tmp_path / "a.npy", "label_map")
    assert [o.name for o in scene.objects()] == ["label 1"]


@pytest.mark.parametrize("value", [2.0**60, float(np.finfo(np.float32).max)])
def test_a_float_label_too_large_is_refused(tmp_path: Path, value: float) -> None:
    array = _good().astype(np.float64 if value > 2**60 else np.float32)
    array[0, 0] = value
    np.save(tmp_path / "a.npy", array)
    report = RejectReport()
    assert list(read(tmp_path / "a.npy", "label_map", report=report)) == []
    (entry,) = report.entries
    assert entry.field == "pixels" and "too large for a label" in entry.reason
