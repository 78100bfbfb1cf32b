"""DICOM folders given to the dicom_seg and dicom_rt readers: every file passed over is said. A
file named as DICOM that is not one (no DICM marker, a damaged header) is a file reject naming it
and why; a file of no suffix that is not DICOM is counted; files named by their UID are read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("highdicom")
pytest.importorskip("nibabel")
pytest.importorskip("scipy")

from pydicom.sr.codedict import codes  # noqa: E402

from tests.io.readers.dicom_builders import ct_series, description, write_rtstruct, write_seg  # noqa: E402
from veriscene.errors import SceneValidationError  # noqa: E402
from veriscene.io.readers import read  # noqa: E402
from veriscene.io.readers.dicom_seg import may_be_dicom  # noqa: E402
from veriscene.io.rejects import RejectReport  # noqa: E402

SQUARE = [(5, 5), (24, 5), (24, 19), (5, 19)]


def liver_mask() -> np.ndarray:
    mask = np.zeros((6, 32, 40, 1), dtype=bool)
    mask[1:3, 5:20, 5:25, 0] = True
    return mask


def add_junk(folder: Path) -> dict[str, str]:
    """Files in `folder` that are not DICOM, and the reason each must be reported with (None: counted)."""
    (folder / "short.dcm").write_bytes(b"not DICOM")
    (folder / "text.dcm").write_bytes(b"this is a text file, not DICOM\n" * 10)
    (folder / "broken.dicom").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\xff\xff")  # header cut short
    (folder / "cut.dcm").write_bytes((folder / "ct000.dcm").read_bytes()[:140])  # a CT slice cut in its file meta
    (folder / "README").write_text("exported by a PACS")
    (folder / "notes.txt").write_text("not looked at: not a DICOM name")
    return {"short.dcm": "shorter than the 128-byte preamble", "text.dcm": "no 'DICM' marker",
            "broken.dicom": "names no SOP class", "cut.dcm": "names no SOP class"}


def read_folder(folder: Path, fmt: str, **options: object) -> tuple[list, RejectReport]:
    report = RejectReport()
    return list(read(folder, fmt, report=report, **options)), report


@pytest.mark.parametrize("fmt", ["dicom_seg", "dicom_rt"])
def test_files_that_are_not_dicom_are_rejects_that_name_them(tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "study"
    source = ct_series(folder)
    if fmt == "dicom_seg":
        write_seg(folder / "seg.dcm", source, liver_mask(), [description(1, "Liver", codes.SCT.Liver)])
    else:
        write_rtstruct(folder / "rt.dcm", source, [("Liver", {1: [SQUARE], 2: [SQUARE]})])
    reasons = add_junk(folder)
    scenes, report = read_folder(folder, fmt)
    assert len(scenes) == 2  # the structure's two slices: reading went on
    rejected = {Path(e.file).name: e for e in report.entries}
    assert sorted(rejected) == sorted(reasons)
    for name, reason in reasons.items():
        entry = rejected[name]
        assert entry.level == "file" and entry.file == str(folder / name) and reason in entry.reason
    assert report.rejected == {"file": 4}
    assert report.repairs["files_not_dicom_skipped"] == 1  # README: no suffix, so not claimed to be DICOM
    other = "dicom_files_not_seg" if fmt == "dicom_seg" else "dicom_files_not_rtstruct"
    assert report.repairs[other] == 6  # the CT slices


def test_each_file_is_reported_once_though_two_folders_hold_it(tmp_path: Path) -> None:
    """The SEG's folder is searched for SEGs and again for the series beside it; images= names a
    folder inside it: a bad file there is one reject."""
    folder = tmp_path / "study"
    source = ct_series(folder / "ct")
    write_seg(folder / "seg.dcm", source, liver_mask(), [description(1, "Liver", codes.SCT.Liver)])
    (folder / "ct" / "bad.dcm").write_bytes(b"junk" * 50)
    scenes, report = read_folder(folder, "dicom_seg", images=folder / "ct")
    assert len(scenes) == 2 and [Path(e.file).name for e in report.entries] == ["bad.dcm"]


def test_strict_stops_at_a_dcm_file_that_is_not_dicom(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    source = ct_series(folder)
    write_seg(folder / "seg.dcm", source, liver_mask(), [description(1, "Liver", codes.SCT.Liver)])
    (folder / "a_junk.dcm").write_bytes(b"junk" * 50)
    with pytest.raises(SceneValidationError, match="a_junk.dcm.*no 'DICM' marker"):
        list(read(folder, "dicom_seg", strict=True))


def test_files_named_by_their_uid_are_read(tmp_path: Path) -> None:
    """Exports that name each file by its instance UID ("1.2.840.113619.2.55.3.1") have a numeric
    'suffix': they are DICOM names, and the series is found."""
    folder = tmp_path / "study"
    source = ct_series(folder / "ct")
    for path in sorted((folder / "ct").glob("*.dcm")):
        path.rename(path.with_name(f"1.2.840.99.{path.stem[2:]}"))
    write_seg(folder / "1.2.840.99.1000", source, liver_mask(), [description(1, "Liver", codes.SCT.Liver)])
    scenes, report = read_folder(folder, "dicom_seg")
    assert len(scenes) == 2 and report.total == 0
    assert report.repairs["series_found_beside_the_seg"] == 1 and report.repairs["dicom_files_not_seg"] == 6


@pytest.mark.parametrize("name, dicom", [
    ("a.dcm", True), ("a.DICOM", True), ("IM0001.IMA", True), ("IM0001", True), ("1.2.840.10008.1", True),
    ("notes.txt", False), ("scan.nii.gz", False), ("a.png", False),
])
def test_dicom_names(name: str, dicom: bool) -> None:
    assert may_be_dicom(Path(name)) is dicom
