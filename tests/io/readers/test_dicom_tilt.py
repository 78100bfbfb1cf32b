"""Tilt correction (`_dicom_tilt`, reader option ``tilt``): a CT series tilted as a gantry tilts
(planes turned about the left-right axis, positions stepping 2.5 mm along z) holding a box that is
square to the series' own frame (its sides along the images' rows, columns and true normal). Each
image shows the box shifted 2.5 mm x sin(tilt) along its columns from the last; sagittal and
coronal slices show it unsheared with the default ``tilt="correct"``, sheared by tan(tilt) with
``tilt="keep"``. Axial slices and untilted series are read as before."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("highdicom")
pytest.importorskip("pydicom")
pytest.importorskip("nibabel")
pytest.importorskip("scipy")

from pydicom.sr.codedict import codes  # noqa: E402

from tests.io.readers.dicom_builders import ct_series, description, write_rtstruct, write_seg  # noqa: E402
from tests.io.readers.reader_helpers import read_all  # noqa: E402
from veriscene.errors import ReaderOptionError  # noqa: E402
from veriscene.io.readers._dicom_tilt import Tilt  # noqa: E402
from veriscene.scene.jsonl import scene_to_dict  # noqa: E402
from veriscene.scene.masks import decode_mask  # noqa: E402
from veriscene.scene.model import Scene  # noqa: E402

SLICES, ROWS, COLS = 8, 32, 24
ROW_MM, COL_MM, STEP_MM = 0.8, 0.7, 2.5  # the images' pixel spacing (ct_series) and z step
BOX_ROWS, BOX_COLS = (7.5, 16.5), (7.5, 15.5)  # the box on the series' true grid (pixel edges)
BOX_SLICES = range(1, 7)


def shift(degrees: float, about: str = "x") -> tuple[float, float]:
    """Where image k truly lies on the series' grid, (rows, columns) per slice. Tilted about the
    left-right axis (x) its planes' normal is (0, sin, cos), so a 2.5 mm step along z leaves
    2.5 x sin(tilt) mm along its columns (back up the rows); about the front-back axis (y),
    (sin, 0, cos), along its rows."""
    moved = -STEP_MM * float(np.sin(np.radians(degrees)))
    return (moved / ROW_MM, 0.0) if about == "x" else (0.0, moved / COL_MM)


def boxes(degrees: float, about: str = "x") -> np.ndarray:
    """(slices, rows, columns) bool: the box as each image holds it (moved by the shift)."""
    mask = np.zeros((SLICES, ROWS, COLS), bool)
    r, c = np.arange(ROWS)[:, None], np.arange(COLS)[None, :]
    down, across = shift(degrees, about)
    for k in BOX_SLICES:
        true_r, true_c = r + down * k, c + across * k
        mask[k] = (true_r > BOX_ROWS[0]) & (true_r < BOX_ROWS[1]) & (true_c > BOX_COLS[0]) & (true_c < BOX_COLS[1])
    return mask


def orientation(degrees: float, about: str = "x") -> tuple[float, ...]:
    cos, sin = float(np.cos(np.radians(degrees))), float(np.sin(np.radians(degrees)))
    return (1, 0, 0, 0, cos, -sin) if about == "x" else (cos, 0, -sin, 0, 1, 0)


def seg_study(folder: Path, degrees: float, about: str = "x", **series: object) -> Path:
    """A series tilted by `degrees` (bright in the box) and a SEG of the box over it; the SEG."""
    mask = boxes(degrees, about)
    source = ct_series(folder / "ct", orientation=orientation(degrees, about), slices=SLICES, rows=ROWS, cols=COLS,
                       pixels=np.where(mask, 2000, 100), **series)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # highdicom's, of the test patient's data
        return write_seg(folder / "seg.dcm", source, mask, [description(1, "Liver", codes.SCT.Liver)])


def rt_study(folder: Path, degrees: float) -> Path:
    """The same series and the box drawn as an RT structure set's contours, image by image."""
    source = ct_series(folder / "ct", orientation=orientation(degrees), slices=SLICES, rows=ROWS, cols=COLS,
                       pixels=np.where(boxes(degrees), 2000, 100))
    (c0, c1), (r0, r1) = BOX_COLS, BOX_ROWS
    down = shift(degrees)[0]
    planes = {k: [[(c0, r0 - down * k), (c1, r0 - down * k), (c1, r1 - down * k), (c0, r1 - down * k)]]
              for k in BOX_SLICES}
    return write_rtstruct(folder / "rt.dcm", source, [("Liver", planes)], types=["ORGAN"])


def masks(scenes: list[Scene]) -> list[np.ndarray]:
    return [decode_mask(s.masks[0]).astype(bool) for s in scenes if s.masks is not None]


def edges(mask: np.ndarray) -> np.ndarray:
    """(rows holding the box, 2): the first and last column of the box on each of them."""
    rows = [np.flatnonzero(row) for row in mask if row.any()]
    return np.array([[cols[0], cols[-1]] for cols in rows])


@pytest.mark.parametrize("degrees", [8.0, 20.0, 29.0])
def test_a_sagittal_slice_of_a_tilted_series_is_unsheared(degrees: float, tmp_path: Path) -> None:
    """Before (and with tilt=keep): the box's sides lean across the sagittal slice, its first
    column moving |shift| pixels a slice, tan(tilt) in mm of the slices' spacing (2.5 mm x cos)."""
    seg = seg_study(tmp_path, degrees)
    options: dict[str, Any] = {"images": tmp_path / "ct", "axis": 0, "square_pixels": False, "min_pixels": 1}
    fixed, report = read_all(seg, "dicom_seg", **options)
    kept, kept_report = read_all(seg, "dicom_seg", tilt="keep", **options)
    assert report.entries == [] and report.repairs["tilted_series_corrected"] == 1
    assert kept_report.repairs["tilted_series_kept"] == 1 and "tilted_series_corrected" not in kept_report.repairs
    assert len(fixed) == len(kept) == 8  # the box's 8 columns (x), each a sagittal slice
    for scene in fixed:
        assert scene.meta["tilt_corrected_degrees"] == pytest.approx(degrees, abs=0.01)
        assert scene.names == ("liver",) and scene.meta["object_ids"] == ["1"]
    for mask in masks(fixed):  # each slice of the box across it at the same columns, within a pixel
        sides = edges(mask)
        assert len(sides) == 6 and np.ptp(sides, axis=0).max() <= 1
        assert np.all(sides[:, 1] - sides[:, 0] + 1 == 9)  # 9 rows of 0.8 mm, from pixel 8 to 16
    pixel_mm = kept[0].meta["pixel_size_mm"]  # across (rows, 0.8), down (slices along the normal)
    assert pixel_mm == [0.8, round(STEP_MM * np.cos(np.radians(degrees)), 4)]
    for mask in masks(kept):
        sides = edges(mask)
        lean = abs(np.polyfit(np.arange(len(sides)), sides[:, 0], 1)[0])  # pixels a slice
        assert lean == pytest.approx(abs(shift(degrees)[0]), abs=0.15)
        assert lean * pixel_mm[0] / pixel_mm[1] == pytest.approx(np.tan(np.radians(degrees)), abs=0.07)


def test_a_series_tilted_about_the_front_back_axis_is_corrected_in_its_coronal_slices(tmp_path: Path) -> None:
    """Tilted about y (an oblique stack), each image is shifted along its rows: the box leans
    across coronal slices (x, z), 1.22 pixels of 0.7 mm a slice at 20 degrees, until corrected."""
    seg = seg_study(tmp_path, 20.0, about="y")
    options: dict[str, Any] = {"images": tmp_path / "ct", "axis": 1, "square_pixels": False, "min_pixels": 1}
    fixed, report = read_all(seg, "dicom_seg", **options)
    kept, _ = read_all(seg, "dicom_seg", tilt="keep", **options)
    assert report.repairs["tilted_series_corrected"] == 1 and len(fixed) == 9
    assert {s.meta["tilt_corrected_degrees"] for s in fixed} == {20.0}
    for mask in masks(fixed):
        sides = edges(mask)
        assert len(sides) == 6 and np.ptp(sides, axis=0).max() <= 1 and np.all(sides[:, 1] - sides[:, 0] == 7)
    pixel_mm = kept[0].meta["pixel_size_mm"]
    assert pixel_mm[0] == COL_MM
    for mask in masks(kept):
        lean = abs(np.polyfit(np.arange(6), edges(mask)[:, 0], 1)[0])
        assert lean * pixel_mm[0] / pixel_mm[1] == pytest.approx(np.tan(np.radians(20.0)), abs=0.07)


def test_coronal_slices_cut_the_box_square(tmp_path: Path) -> None:
    """A coronal slice cuts the box along its rows: corrected, each of the 9 slices through it
    holds it on all 6 of its slices (48 pixels); kept sheared, 14 slices hold some of it, the
    outer ones a slice or two of it (the box looks 14 rows deep: 11.2 mm, not 7.2)."""
    seg = seg_study(tmp_path, 20.0)
    options: dict[str, Any] = {"images": tmp_path / "ct", "axis": 1, "square_pixels": False, "min_pixels": 1}
    fixed, _ = read_all(seg, "dicom_seg", **options)
    kept, _ = read_all(seg, "dicom_seg", tilt="keep", **options)
    assert [int(m.sum()) for m in masks(fixed)] == [48] * 9
    areas = [int(m.sum()) for m in masks(kept)]
    assert len(kept) == 14 and areas[:2] == [8, 16] and areas[-2:] == [16, 8]


def test_the_slice_images_are_corrected_with_the_masks(tmp_path: Path) -> None:
    """The series' picture (bright in the box) is resampled onto the same grid, linearly: on each
    slice through the box its brightness is centred where the mask is (within half a pixel);
    kept sheared, its centre moves |shift| pixels a slice, as the mask's does."""
    from PIL import Image

    def centres(picture: np.ndarray) -> np.ndarray:  # each slice's centre of brightness, in columns
        lit = picture.astype(np.float64)[picture.max(axis=1) > 0]
        return (lit * np.arange(picture.shape[1])).sum(axis=1) / lit.sum(axis=1)

    seg = seg_study(tmp_path, 20.0)
    for tilt, lean in (("correct", 0.0), ("keep", abs(shift(20.0)[0]))):
        scenes, _ = read_all(seg, "dicom_seg", images=tmp_path / "ct", axis=0, square_pixels=False, min_pixels=1,
                             slice_images=tmp_path / tilt, window="soft_tissue", tilt=tilt)
        for scene, mask in zip(scenes, masks(scenes)):
            assert scene.image is not None
            picture = np.asarray(Image.open(scene.image))
            assert picture.shape == mask.shape == ((8, 40) if tilt == "correct" else (8, 32))  # widened 7.5 rows
            bright, drawn = centres(picture), centres(mask.astype(np.uint8))
            assert np.abs(bright - drawn).max() < 0.5
            assert abs(np.polyfit(np.arange(6), bright, 1)[0]) == pytest.approx(lean, abs=0.1)


def test_labels_are_resampled_by_nearest_neighbour_and_images_linearly() -> None:
    """A label volume keeps its ids (never a value between two), and every slice keeps its pixels
    (the grid is widened to hold them); an image takes values between its pixels'."""
    labels = np.zeros((6, 10, 5), np.uint16)  # canonical (x, y, z); its images stacked along z
    labels[1:4, 2:5, :] = 3
    labels[3:5, 5:8, :] = 250
    to_true = np.eye(4)
    to_true[1, 2] = 0.6  # stored slice z lies 0.6 z voxels further along y
    tilt = Tilt(31.0, to_true, own_axis=2)
    out = tilt.resample(labels, nearest=True)
    assert out.dtype == np.uint16 and out.shape == (6, 13, 5) and set(np.unique(out)) == {0, 3, 250}
    for z in range(5):
        assert np.array_equal(out[..., z][out[..., z] > 0], labels[..., z][labels[..., z] > 0])
        assert np.flatnonzero(out[1, :, z] == 3)[0] == 2 + round(0.6 * z)
    mask = tilt.resample(labels == 3, nearest=True)
    assert mask.dtype == np.bool_ and np.array_equal(mask, out == 3)
    image = tilt.resample(labels.astype(np.float32), nearest=False, cval=-1.0)
    assert image.dtype == np.float32 and np.any((image > 3) & (image < 250)) and image.min() == -1.0


def axial_volume(slices: int = 10) -> object:
    """highdicom's volume of `slices` axial slices of 20 x 30 pixels, 1 x 1 x 2 mm, at the origin."""
    import highdicom as hd

    affine = np.eye(4)
    affine[:3, :3] = [[0, 0, 1.0], [0, 1.0, 0], [2.0, 0, 0]]  # (slice, row, column) -> (x, y, z) LPS mm
    return hd.Volume(np.zeros((slices, 20, 30)), affine, "PATIENT")


@pytest.mark.parametrize("rows_a_slice, jitter, expected", [
    (0.0, 0.0, None),  # untilted
    (0.05, 0.0, None),  # 0.45 pixels first to last: no voxel of a mask would move
    (0.5, 0.0, (14.04, True)),  # atan(0.5 mm / 2 mm)
    (0.5, 1.0, (14.85, False)),  # every other image a pixel off the line: no one tilt (its fitted line's)
])
def test_a_tilt_is_found_from_where_the_images_lie(rows_a_slice: float, jitter: float,
                                                   expected: tuple[float, bool] | None) -> None:
    from veriscene.io.readers._dicom_tilt import volume_tilt

    k = np.arange(10.0)
    positions = np.stack([np.zeros(10), rows_a_slice * k + jitter * (k % 2), 2.0 * k], axis=1)  # x, y, z mm
    tilt = volume_tilt(axial_volume(), positions)
    assert (None if tilt is None else (round(tilt.degrees, 2), tilt.straight)) == expected
    if tilt is not None:
        assert tilt.own_axis == 2  # canonical z: the images' own (axial) plane


def test_an_uneven_tilt_is_kept_and_counted() -> None:
    from veriscene.io.readers.dicom_seg import _Case, untilted
    from veriscene.io.rejects import RejectReport

    report = RejectReport()
    case = _Case(np.ones((4, 5, 6, 1), bool), {0: "liver"}, [1], None, tilt=Tilt(12.345, np.eye(4), 2, straight=False))
    for axis, meta in ((0, {"tilt_kept_degrees": 12.35}), (2, {})):
        kept, said = untilted(report, case, axis, "correct", pictures=False)
        assert kept is case and said == meta
    assert report.repairs["tilted_series_uneven_kept"] == 1 and "tilted_series_corrected" not in report.repairs


def test_an_rt_structure_sets_sagittal_slices_are_corrected_too(tmp_path: Path) -> None:
    rt = rt_study(tmp_path, 20.0)
    options: dict[str, Any] = {"images": tmp_path / "ct", "axis": 0, "square_pixels": False, "min_pixels": 1}
    fixed, report = read_all(rt, "dicom_rt", **options)
    kept, _ = read_all(rt, "dicom_rt", tilt="keep", **options)
    assert report.entries == [] and report.repairs["tilted_series_corrected"] == 1
    assert [s.meta["tilt_corrected_degrees"] for s in fixed] == [20.0] * 8
    assert all(np.ptp(edges(m), axis=0).max() <= 1 for m in masks(fixed))
    assert all(np.ptp(edges(m)[:, 0]) >= 5 for m in masks(kept))
    assert [s.meta["tilt_kept_degrees"] for s in kept] == [20.0] * 8


def test_a_seg_without_its_series_is_corrected_by_its_own_frames(tmp_path: Path) -> None:
    """No series beside it: the SEG's frames' positions (its per-frame plane positions) say the tilt."""
    seg = seg_study(tmp_path / "study", 20.0)
    alone = tmp_path / "alone" / "seg.dcm"
    alone.parent.mkdir()
    shutil.copy(seg, alone)
    scenes, report = read_all(alone, "dicom_seg", axis=0, square_pixels=False, min_pixels=1)
    assert report.repairs["series_not_found"] == 1 and report.repairs["tilted_series_corrected"] == 1
    assert len(scenes) == 8 and all(np.ptp(edges(m), axis=0).max() <= 1 for m in masks(scenes))


def dicts(scenes: list[Scene]) -> list[dict[str, Any]]:
    return [scene_to_dict(s) for s in scenes]


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_an_untilted_series_is_read_as_before(axis: int, tmp_path: Path) -> None:
    """Nothing to correct: the scenes and their PNGs are the same with either mode, and no tilt is said."""
    seg = seg_study(tmp_path, 0.0)
    read = {mode: read_all(seg, "dicom_seg", images=tmp_path / "ct", axis=axis, tilt=mode,
                           slice_images=tmp_path / mode, min_pixels=1) for mode in ("correct", "keep")}
    (fixed, report), (kept, _) = read["correct"], read["keep"]
    assert fixed and dicts(fixed) == [{**d, "image": d["image"].replace("/keep/", "/correct/")} for d in dicts(kept)]
    assert [Path(str(s.image)).read_bytes() for s in fixed] == [Path(str(s.image)).read_bytes() for s in kept]
    assert not any(key.startswith("tilt") for s in fixed for key in s.meta)
    assert not any(key.startswith("tilted") for key in report.repairs)


def test_axial_slices_of_a_tilted_series_are_its_images(tmp_path: Path) -> None:
    """The series' own plane: each slice is an image as stored, whatever the mode."""
    seg = seg_study(tmp_path, 20.0)
    fixed, report = read_all(seg, "dicom_seg", images=tmp_path / "ct", square_pixels=False, min_pixels=1)
    kept, _ = read_all(seg, "dicom_seg", images=tmp_path / "ct", tilt="keep", square_pixels=False, min_pixels=1)
    assert dicts(fixed) == dicts(kept) and len(fixed) == 6
    assert not any(key.startswith("tilted") for key in report.repairs)
    assert [m.sum() for m in masks(fixed)] == [int(b.sum()) for b in boxes(20.0)[BOX_SLICES]]


def test_stored_windows_of_a_tilted_series_are_applied(tmp_path: Path) -> None:
    """Before: highdicom refused the series past 2.5 degrees where the stored windows are read
    (counted as stored_windows_not_applied, and each slice shown through a percentile stretch)."""
    seg = seg_study(tmp_path, 20.0, windows=[(40, 400)])
    scenes, report = read_all(seg, "dicom_seg", images=tmp_path / "ct", axis=0, window="stored",
                              slice_images=tmp_path / "png", square_pixels=False, min_pixels=1)
    assert "stored_windows_not_applied" not in report.repairs
    assert [s.meta["window"]["from"] for s in scenes] == ["dicom_window"] * 8
    assert report.repairs["tilted_series_corrected"] == 1


def test_an_unknown_tilt_mode_is_refused(tmp_path: Path) -> None:
    seg = seg_study(tmp_path, 5.0)
    with pytest.raises(ReaderOptionError, match="tilt must be one of"):
        read_all(seg, "dicom_seg", tilt="fix")
