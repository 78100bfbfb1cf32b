"""DICOM SEG objects fuzzed: an element deleted, emptied or given a value of another kind.

Each damaged SEG is read (as many slices as the good one, or fewer with a reason) or is one
reject naming its file; a SEG beside it is read as before; nothing raises. The cases the hunt
found (an empty segment number ended the run with sqlite3.IntegrityError; a SEG whose NumberOfFrames
was missing or wrong was read in part without a word; a missing element in a sequence item was said
as its bare tag, '(0062,000B)') are pinned below.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("highdicom")
pytest.importorskip("scipy")

import pydicom  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from pydicom.dataset import Dataset  # noqa: E402

from tests.io.readers.dicom_builders import ct_series, description, write_seg  # noqa: E402
from tests.io.readers.test_dicom_seg import ABDOMEN, abdomen_mask  # noqa: E402
from veriscene.io.readers import read  # noqa: E402
from veriscene.io.rejects import RejectReport  # noqa: E402

GOOD_SLICES = 4  # the abdomen SEG's slices holding a structure


@pytest.fixture(scope="module")
def seg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dicom_fuzz")
    source = ct_series(root / "ct")
    return write_seg(root / "seg" / "abdomen.dcm", source, abdomen_mask(),
                     [description(k + 1, label, kind, mod) for k, (label, kind, mod) in enumerate(ABDOMEN)])


def _places(ds: Dataset, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every element of `ds`, down its sequences' first two items: (tag, index, tag, ...)."""
    for element in ds:
        yield (*path, element.tag)
        if element.VR == "SQ":
            for index, item in enumerate(element.value[:2]):
                yield from _places(item, (*path, element.tag, index))


def _holder(ds: Dataset, place: tuple[Any, ...]) -> Dataset:
    for tag, index in zip(place[:-1:2], place[1:-1:2]):
        ds = ds[tag].value[index]
    return ds


VALUES = st.sampled_from([None, "", "abc", "-5", "1\\2\\3", "\u00e9\u4e2d", 0, -1, 2**31, 1e300, [1, 2]])


def _read(path: Path) -> tuple[int, RejectReport]:
    report = RejectReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (pydicom's warnings of values of another VR)
        scenes = list(read(path, "dicom_seg", report=report, square_pixels=False))
    return len(scenes), report


@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_damaged_seg_is_read_or_one_reject_naming_it(seg: Path, tmp_path: Path, data: st.DataObject) -> None:
    ds = pydicom.dcmread(seg)
    place = data.draw(st.sampled_from(list(_places(ds))))
    holder, tag = _holder(ds, place), place[-1]
    how = data.draw(st.sampled_from(["delete", "empty", "replace"]))
    if how == "delete":
        del holder[tag]
    elif how == "empty":
        holder[tag].value = [] if holder[tag].VR == "SQ" else None
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                holder[tag].value = data.draw(VALUES)
            except (TypeError, ValueError, OverflowError):  # a value pydicom refuses to hold
                return
    out = tmp_path / f"{data.draw(st.integers(0, 10**9))}.dcm"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            copy.copy(ds).save_as(out, enforce_file_format=False)
    except (TypeError, ValueError, OverflowError, AttributeError, KeyError, struct_error()):  # not writable
        return
    read_slices, report = _read(out)
    assert read_slices <= GOOD_SLICES
    if read_slices == 0:
        (entry,) = report.entries
        assert entry.file == str(out) and entry.reason
    for entry in report.entries:
        assert entry.file == str(out)


def struct_error() -> type[Exception]:
    import struct

    return struct.error


def test_an_empty_segment_number_is_a_reject(seg: Path, tmp_path: Path) -> None:
    """A frame whose ReferencedSegmentNumber was empty ended the whole run with highdicom's
    'sqlite3.IntegrityError: NOT NULL constraint failed: FrameLUT.ReferencedSegmentNumber'."""
    ds = pydicom.dcmread(seg)
    ds.PerFrameFunctionalGroupsSequence[0].SegmentIdentificationSequence[0].ReferencedSegmentNumber = None
    ds.save_as(tmp_path / "seg.dcm", enforce_file_format=False)
    read_slices, report = _read(tmp_path / "seg.dcm")
    assert read_slices == 0
    (entry,) = report.entries
    assert entry.file == str(tmp_path / "seg.dcm") and entry.reason.startswith("cannot read the DICOM SEG: ")
    assert "ReferencedSegmentNumber" in entry.reason


@pytest.mark.parametrize("frames, said", [
    (None, "NumberOfFrames is missing, but its pixel data holds 7 frames (7 described in "),
    (2, "NumberOfFrames is 2, but its pixel data holds 7 frames (7 described in "),
])
def test_a_seg_of_the_wrong_number_of_frames_is_refused(seg: Path, tmp_path: Path, frames: int | None,
                                                       said: str) -> None:
    """A SEG without NumberOfFrames was read as its first frame only (1 slice of its 4, the other
    three counted as empty slices), one saying 2 of its 7 frames as 2: structures lost without a
    word. pydicom cuts the pixels into NumberOfFrames frames, highdicom places what it is given.
    (pydicom's liver_1frame.dcm, which describes 3 frames and holds the pixels of one, is read as
    before: test_real_medical_files.)"""
    ds = pydicom.dcmread(seg)
    if frames is None:
        del ds.NumberOfFrames
    else:
        ds.NumberOfFrames = frames
    ds.save_as(tmp_path / "seg.dcm", enforce_file_format=False)
    read_slices, report = _read(tmp_path / "seg.dcm")
    assert read_slices == 0
    (entry,) = report.entries
    assert entry.file == str(tmp_path / "seg.dcm") and entry.field == "NumberOfFrames" and said in entry.reason
    assert _read(seg)[0] == GOOD_SLICES


def test_an_element_missing_from_an_item_is_named(seg: Path, tmp_path: Path) -> None:
    """A frame's ReferencedSegmentNumber missing was rejected as 'cannot read the DICOM SEG:
    (0062,000B)': the bare tag of highdicom's KeyError."""
    ds = pydicom.dcmread(seg)
    del ds.PerFrameFunctionalGroupsSequence[0].SegmentIdentificationSequence[0].ReferencedSegmentNumber
    ds.save_as(tmp_path / "seg.dcm", enforce_file_format=False)
    assert _read(tmp_path / "seg.dcm")[0] == 0
    (entry,) = _read(tmp_path / "seg.dcm")[1].entries
    assert entry.reason == "cannot read the DICOM SEG: an item of it has no ReferencedSegmentNumber (0062,000B)"
