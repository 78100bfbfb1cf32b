"""DICOM SEG files that highdicom alone does not place or read: a SEG over a series tilted as a CT
gantry tilts (`_dicom_files.MAX_TILT_DEGREES`: the images' positions step along z, off the planes'
normal, so each image is shifted in its plane from the last), and a SEG stored in Explicit VR
Big Endian. Both built here with pydicom and highdicom (`dicom_builders`)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("highdicom")
pydicom = pytest.importorskip("pydicom")
pytest.importorskip("nibabel")
pytest.importorskip("scipy")

from PIL import Image  # noqa: E402
from pydicom.sr.codedict import codes  # noqa: E402
from pydicom.uid import ExplicitVRBigEndian  # noqa: E402

from tests.io.readers.dicom_builders import ct_series, description, write_seg  # noqa: E402
from tests.io.readers.reader_helpers import read_all  # noqa: E402
from veriscene.scene.masks import decode_mask  # noqa: E402

SLICES, ROWS, COLS = 6, 32, 40


def drawn() -> np.ndarray:
    """(slices, rows, columns) bool: a different block on each of images 1-4 (none on 0 and 5),
    so a mask placed on the wrong image or shifted shows."""
    mask = np.zeros((SLICES, ROWS, COLS), bool)
    for k in range(1, 5):
        mask[k, 3 + 2 * k: 12 + 3 * k, 4 + k: 20 + 2 * k] = True
    return mask


def tilted_study(folder: Path, degrees: float, mask: np.ndarray, kind: str = "BINARY") -> Path:
    """A CT series of planes tilted by `degrees` about the patient's left-right axis, positions
    stepping 2.5 mm along z (`ct_series`), each image bright where `mask` is; and a SEG of `mask`
    over it. Returns the SEG."""
    tilt = np.radians(degrees)
    pixels = np.where(mask, 2000, 100)
    source = ct_series(folder / "ct", orientation=(1, 0, 0, 0, float(np.cos(tilt)), float(-np.sin(tilt))),
                       slices=SLICES, rows=ROWS, cols=COLS, pixels=pixels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # highdicom's, of the test patient's data
        values = mask.astype(np.float32) if kind == "FRACTIONAL" else mask
        return write_seg(folder / "seg.dcm", source, values, [description(1, "Liver", codes.SCT.Liver)], kind)


def assert_on_their_images(scenes: list, mask: np.ndarray) -> None:
    """Each scene (axial: slice k is image k, shown as stored) has the mask drawn on its image,
    and its picture is that image (bright where the mask is)."""
    assert [s.meta["slice"] for s in scenes] == [1, 2, 3, 4]
    for scene in scenes:
        k = scene.meta["slice"]
        assert np.array_equal(decode_mask(scene.masks[0]).astype(bool), mask[k]), k
        assert np.array_equal(np.asarray(Image.open(scene.image)) > 127, mask[k]), k


@pytest.mark.parametrize("degrees", [0.3, 1.0, 5.0, 20.0])
def test_a_seg_over_a_tilted_series_lands_on_the_images_it_was_drawn_on(degrees: float, tmp_path: Path) -> None:
    """Before: refused from 0.3 degrees where the SEG leaves out the series' first image (its
    grid shifted by the tilt's shift of that image, past highdicom's tolerance: "Required
    translation is non-integer multiple of voxel spacing"), and from 2.5 degrees the series and
    the SEG were "not a regularly-spaced volume"."""
    mask = drawn()
    seg = tilted_study(tmp_path, degrees, mask)
    scenes, report = read_all(seg, "dicom_seg", images=tmp_path / "ct", slice_images=tmp_path / "png",
                              square_pixels=False)
    assert report.entries == [] and report.repairs["segs_placed_by_source_images"] == 1
    assert_on_their_images(scenes, mask)
    # the slices' spacing is the planes' (along their normal: 2.5 mm x cos(tilt))
    assert scenes[0].meta["plane"] == "axial" and scenes[0].meta["pixel_size_mm"] == [0.7, 0.8]


def test_a_label_map_seg_over_a_tilted_series_lands_on_its_images(tmp_path: Path) -> None:
    """A Label Map Segmentation is placed image by image as a binary SEG is (its labels read whole,
    then split: `dicom_seg._one_hot`)."""
    mask = drawn()
    seg = tilted_study(tmp_path, 5.0, mask, "LABELMAP")
    scenes, report = read_all(seg, "dicom_seg", images=tmp_path / "ct", slice_images=tmp_path / "png",
                              square_pixels=False)
    assert report.entries == [] and report.repairs["segs_placed_by_source_images"] == 1
    assert_on_their_images(scenes, mask)


def test_a_seg_over_a_series_tilted_past_the_limit_is_refused_saying_why(tmp_path: Path) -> None:
    seg = tilted_study(tmp_path, 40.0, drawn())
    scenes, report = read_all(seg, "dicom_seg", images=tmp_path / "ct")
    (reject,) = report.entries
    assert scenes == [] and reject.file == str(seg) and "regularly-spaced" in reject.reason


def big_endian(path: Path, out: Path) -> Path:
    """`path` written again in Explicit VR Big Endian (retired, but in old archives)."""
    dataset = pydicom.dcmread(path)
    dataset.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
    out.parent.mkdir(parents=True, exist_ok=True)
    pydicom.dcmwrite(out, dataset, implicit_vr=False, little_endian=False, force_encoding=True)
    return out


@pytest.mark.parametrize("kind", ["BINARY", "FRACTIONAL"])
def test_a_big_endian_seg_is_read_as_its_little_endian_twin(kind: str, tmp_path: Path) -> None:
    """Before: a reject, highdicom's "Parsing of datasets is only valid for datasets with little
    endian transfer syntaxes"."""
    mask = drawn()
    seg = tilted_study(tmp_path, 0.0, mask, kind)
    swapped = big_endian(seg, tmp_path / "be" / "seg.dcm")
    assert pydicom.dcmread(swapped).file_meta.TransferSyntaxUID == ExplicitVRBigEndian
    scenes, report = read_all(swapped, "dicom_seg", images=tmp_path / "ct", slice_images=tmp_path / "png",
                              square_pixels=False)
    assert report.entries == []
    assert_on_their_images(scenes, mask)
    assert [s.names for s in scenes] == [("liver",)] * 4
