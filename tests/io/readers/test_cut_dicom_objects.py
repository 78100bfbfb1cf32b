"""A DICOM SEG or RTSTRUCT cut short after its file meta, in a folder: its file meta names its
class, its data set is gone. It used to be counted among the folder's other DICOM files
(`dicom_files_not_seg`, read by the data set's SOPClassUID alone) and never named; it is now
found by its file meta's class and rejected, naming the file and why."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("highdicom")
pytest.importorskip("nibabel")
pytest.importorskip("scipy")

from pydicom.sr.codedict import codes  # noqa: E402

from tests.io.readers.dicom_builders import ct_series, description, write_rtstruct, write_seg  # noqa: E402
from veriscene.io.readers import detect_format, read  # noqa: E402
from veriscene.io.rejects import RejectReport  # noqa: E402

SQUARE = [(5.0, 5.0), (24.0, 5.0), (24.0, 19.0), (5.0, 19.0)]  # (column, row) pixels


def _study(folder: Path, fmt: str) -> Path:
    """A CT series of 6 slices and one SEG or RTSTRUCT over slices 1-2 of it, in `folder`."""
    source = ct_series(folder)
    if fmt == "dicom_seg":
        mask = np.zeros((6, 32, 40, 1), dtype=bool)
        mask[1:3, 5:20, 5:25, 0] = True
        return write_seg(folder / "a.dcm", source, mask, [description(1, "Liver", codes.SCT.Liver)])
    return write_rtstruct(folder / "a.dcm", source, [("Liver", {1: [SQUARE], 2: [SQUARE]})])


def _cut_after_meta(data: bytes) -> bytes:
    """The file up to the end of its file meta: preamble (128), 'DICM' (4), then the (0002,0000)
    group length element (12 bytes, its UL value at 140) and that many bytes of meta."""
    return data[: 144 + struct.unpack("<I", data[140:144])[0]]


@pytest.mark.parametrize("fmt, other", [("dicom_seg", "dicom_files_not_seg"), ("dicom_rt", "dicom_files_not_rtstruct")])
def test_a_cut_object_in_a_folder_is_a_reject_naming_it(tmp_path: Path, fmt: str, other: str) -> None:
    folder = tmp_path / "study"
    good = _study(folder, fmt)
    cut = folder / "b.dcm"
    cut.write_bytes(_cut_after_meta(good.read_bytes()))
    report = RejectReport()
    scenes = list(read(folder, fmt, report=report))
    assert len(scenes) == 2  # the whole one's two slices: reading went on
    (entry,) = report.entries
    assert entry.file == str(cut) and entry.level == "file"
    assert "its data set has no SOPClassUID (is the file cut short?)" in entry.reason
    assert report.repairs[other] == 6  # the CT slices, not the cut object
    assert detect_format(cut) == fmt  # given alone, it is read (and rejected) as what its meta says
