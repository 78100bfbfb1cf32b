"""window=stored on DICOM series: each file's own VOI transform (its window under its VOI LUT
Function, or its VOI LUT), on synthetic series written in the test. The series' stored 100 is
-924 HU (the background), its 4x4 square's 2000 is 976 HU (rows 2-5, columns 30-33)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
import pytest

pytest.importorskip("highdicom")
pytest.importorskip("nibabel")
pytest.importorskip("scipy")

from PIL import Image  # noqa: E402
from pydicom.dataset import Dataset  # noqa: E402
from pydicom.sr.codedict import codes  # noqa: E402

from tests.io.readers.dicom_builders import ct_series, description, write_rtstruct, write_seg  # noqa: E402
from veriscene.io.readers import read  # noqa: E402
from veriscene.io.readers._dicom_windows import PER_FILE, file_window  # noqa: E402
from veriscene.io.readers._windows import Window  # noqa: E402
from veriscene.io.rejects import RejectReport  # noqa: E402
from veriscene.scene.jsonl import scene_to_dict  # noqa: E402

SLICES, ROWS, COLS = 6, 32, 40
SQUARE_HU, BACKGROUND_HU = 976.0, -924.0


def linear(hu: float, level: float, width: float) -> int:
    """DICOM's LINEAR window (PS3.3 C.11.2.1.2.1) as an 8-bit grey."""
    low = level - 0.5 - (width - 1) / 2
    return int(np.round(np.clip((hu - low) / (width - 1), 0.0, 1.0) * 255))


def study(root: Path, edit: Callable[[Dataset, int], None], modality: str = "MR") -> tuple[Path, Path]:
    """A series whose file k is changed by `edit(dataset, k)`, and a SEG of a block on slices 1-4."""
    source = ct_series(root / "series", modality=modality)
    for k, ds in enumerate(source):
        edit(ds, k)
        pydicom.dcmwrite(root / "series" / f"ct{k:03d}.dcm", ds, enforce_file_format=True)
    mask = np.zeros((SLICES, ROWS, COLS, 1), dtype=bool)
    mask[1:5, 10:20, 10:20, 0] = True
    seg = write_seg(root / "seg.dcm", source, mask, [description(1, "Liver", codes.SCT.Liver)])
    return seg, root / "series"


def scenes_of(seg: Path, series: Path, out: Path, **options: object) -> tuple[list[dict], RejectReport]:
    report = RejectReport()
    scenes = [scene_to_dict(s) for s in read(seg, "dicom_seg", images=series, slice_images=out, window="stored",
                                             square_pixels=False, report=report, **options)]
    return scenes, report


def square_grey(scene: dict) -> int:
    picture = np.asarray(Image.open(scene["image"]))
    assert len(np.unique(picture[2:6, 30:34])) == 1
    return int(picture[2, 30])


# each file its own window: an MR series fitted slice by slice
LEVELS = [500.0, 600.0, 700.0, 800.0, 900.0, 1000.0]


def per_slice(ds: Dataset, k: int) -> None:
    ds.WindowCenter, ds.WindowWidth = LEVELS[k], 1000.0


def test_each_slice_is_shown_through_its_own_files_window(tmp_path: Path) -> None:
    seg, series = study(tmp_path, per_slice)
    scenes, report = scenes_of(seg, series, tmp_path / "png")
    assert [s["meta"]["slice"] for s in scenes] == [1, 2, 3, 4]
    for s in scenes:
        level = LEVELS[s["meta"]["slice"]]
        assert s["meta"]["window"] == {"name": "stored", "width": 1000.0, "level": level, "from": "dicom_window"}
        assert square_grey(s) == linear(SQUARE_HU, level, 1000.0)
    assert [square_grey(s) for s in scenes] == [224, 198, 173, 147]  # one window for all would show one grey
    assert "volumes_without_stored_window" not in report.repairs


def frozen(meta: dict) -> tuple:
    return tuple(sorted(meta.items()))


def test_a_slice_across_the_files_says_their_windows_differ(tmp_path: Path) -> None:
    """A coronal slice crosses every file: each of its rows through its own file's window."""
    seg, series = study(tmp_path, per_slice)
    scenes, _ = scenes_of(seg, series, tmp_path / "png", axis=1)
    assert scenes and {frozen(s["meta"]["window"]) for s in scenes} == {frozen(PER_FILE.meta())}
    assert PER_FILE.meta() == {"name": "stored", "from": "dicom_windows_per_file"}
    seg, series = study(tmp_path / "same", lambda ds, k: per_slice(ds, 2))
    scenes, _ = scenes_of(seg, series, tmp_path / "png2", axis=1)
    assert {frozen(s["meta"]["window"]) for s in scenes} == {
        frozen({"name": "stored", "width": 1000.0, "level": 700.0, "from": "dicom_window"})}


def test_sigmoid_voi_lut_function(tmp_path: Path) -> None:
    """SIGMOID: the level shows mid-grey (0.5), far below it black."""
    def sigmoid(ds: Dataset, k: int) -> None:
        ds.WindowCenter, ds.WindowWidth, ds.VOILUTFunction = SQUARE_HU, 400.0, "SIGMOID"

    seg, series = study(tmp_path, sigmoid)
    scenes, _ = scenes_of(seg, series, tmp_path / "png")
    for s in scenes:
        assert s["meta"]["window"] == {"name": "stored", "width": 400.0, "level": SQUARE_HU, "function": "SIGMOID",
                                       "from": "dicom_window"}
        assert square_grey(s) == 128
        assert np.asarray(Image.open(s["image"]))[20, 5] == 0


def test_a_voi_lut_sequence_outweighs_the_window(tmp_path: Path) -> None:
    """A VOI LUT of three entries from -924 HU (0, 2048, 4095): the background black, the square
    past its end white; the file's window (all black) is not used."""
    def lut(ds: Dataset, k: int) -> None:
        ds.WindowCenter, ds.WindowWidth = 5000.0, 10.0
        item = Dataset()
        item.add_new("LUTDescriptor", "SS", [3, int(BACKGROUND_HU), 16])  # (its VR: SS for a signed first value)
        item.add_new("LUTData", "US", [0, 2048, 4095])
        ds.VOILUTSequence = [item]

    seg, series = study(tmp_path, lut, modality="CT")
    scenes, _ = scenes_of(seg, series, tmp_path / "png")
    for s in scenes:
        assert s["meta"]["window"] == {"name": "stored", "from": "dicom_voi_lut"}
        assert square_grey(s) == 255 and np.asarray(Image.open(s["image"]))[20, 5] == 0


def one_value_lut(ds: Dataset, k: int, data: object = (1000, 1000, 1000), vr: str = "US") -> None:
    """A VOI LUT of three entries all 1000 (highdicom stretched it by 0 into NaN, a black picture)."""
    item = Dataset()
    item.add_new("LUTDescriptor", "SS", [3, int(BACKGROUND_HU), 16])
    item.add_new("LUTData", vr, list(data) if vr == "US" else data)
    ds.VOILUTSequence = [item]


def test_a_voi_lut_of_one_value_is_no_transform(tmp_path: Path) -> None:
    """Left out and counted: the file's window pair is used; with none, the series keeps the
    percentile stretch (no NaN, the square white); an OW LUT of one value alike."""
    def with_window(ds: Dataset, k: int) -> None:
        one_value_lut(ds, k)
        ds.WindowCenter, ds.WindowWidth = 900.0, 1000.0

    seg, series = study(tmp_path / "window", with_window, modality="CT")
    scenes, report = scenes_of(seg, series, tmp_path / "png")
    assert report.repairs["dicom_voi_luts_of_one_value"] == SLICES
    assert {square_grey(s) for s in scenes} == {linear(SQUARE_HU, 900.0, 1000.0)}
    assert {s["meta"]["window"]["from"] for s in scenes} == {"dicom_window"}
    seg, series = study(tmp_path / "alone", lambda ds, k: one_value_lut(ds, k, b"\xe8\x03" * 3, "OW"),
                        modality="CT")
    scenes, report = scenes_of(seg, series, tmp_path / "png2")
    assert report.repairs["dicom_voi_luts_of_one_value"] == SLICES
    assert report.repairs["volumes_without_stored_window"] == 1
    assert {s["meta"]["window"]["name"] for s in scenes} == {"percentile"}
    assert {square_grey(s) for s in scenes} == {255}


def test_files_without_a_window_take_the_one_most_files_keep(tmp_path: Path) -> None:
    def some(ds: Dataset, k: int) -> None:
        if k != 2:
            ds.WindowCenter, ds.WindowWidth = 900.0, 1000.0

    seg, series = study(tmp_path, some)
    scenes, report = scenes_of(seg, series, tmp_path / "png")
    assert report.repairs["dicom_files_without_stored_window"] == 1
    assert {square_grey(s) for s in scenes} == {linear(SQUARE_HU, 900.0, 1000.0)}
    assert {s["meta"]["window"]["level"] for s in scenes} == {900.0}


def test_rtstruct_slices_use_their_files_windows_too(tmp_path: Path) -> None:
    source = ct_series(tmp_path / "ct", modality="MR")
    for k, ds in enumerate(source):
        per_slice(ds, k)
        pydicom.dcmwrite(tmp_path / "ct" / f"ct{k:03d}.dcm", ds, enforce_file_format=True)
    square = [(10.0, 10.0), (20.0, 10.0), (20.0, 20.0), (10.0, 20.0)]
    write_rtstruct(tmp_path / "plan" / "rt.dcm", source, [("Liver", {k: [square] for k in (1, 3)})])
    scenes = [scene_to_dict(s) for s in read(tmp_path / "plan" / "rt.dcm", "dicom_rt", images=tmp_path / "ct",
                                             slice_images=tmp_path / "png", window="stored", square_pixels=False)]
    assert [(s["meta"]["slice"], s["meta"]["window"]["level"]) for s in scenes] == [(1, 600.0), (3, 800.0)]


@pytest.mark.parametrize("header, expected", [
    ({"WindowCenter": "40", "WindowWidth": "400"}, Window("stored", 400.0, 40.0, "dicom_window", applied=True)),
    ({"WindowCenter": ["40", "-600"], "WindowWidth": ["400", "1500"], "VOILUTFunction": "linear_exact"},
     Window("stored", 400.0, 40.0, "dicom_window", "LINEAR_EXACT", applied=True)),
    ({"WindowCenter": "40", "WindowWidth": "1"}, None),  # LINEAR needs a width above 1
    ({"WindowCenter": "40", "WindowWidth": "1", "VOILUTFunction": "SIGMOID"},
     Window("stored", 1.0, 40.0, "dicom_window", "SIGMOID", applied=True)),
    ({"WindowCenter": "40", "WindowWidth": "400", "VOILUTFunction": "LOG"}, None),  # no DICOM function
    ({"WindowCenter": "", "WindowWidth": "400"}, None),
    ({}, None),
    ({"VOILUTSequence": [{"LUTData": [0, 7]}]}, Window("stored", source="dicom_voi_lut", applied=True)),
    ({"VOILUTSequence": [{"LUTData": [7, 7]}], "WindowCenter": "40", "WindowWidth": "400"},  # one value: no LUT
     Window("stored", 400.0, 40.0, "dicom_window", applied=True)),
])
def test_file_window(header: dict, expected: Window | None) -> None:
    assert file_window(header) == expected


def test_monochrome1_is_inverted_for_display_only(tmp_path: Path) -> None:
    """MONOCHROME1 (the lowest value white): a stored window shows it inverted, as a viewer does;
    the values stay HU (a CT window, or the air test, sees -924 and 976, not their inversion)."""
    def monochrome1(ds: Dataset, k: int) -> None:
        ds.PhotometricInterpretation = "MONOCHROME1"
        ds.WindowCenter, ds.WindowWidth = SQUARE_HU, 1000.0

    seg, series = study(tmp_path, monochrome1, modality="CT")
    scenes, _ = scenes_of(seg, series, tmp_path / "png")
    for s in scenes:
        assert square_grey(s) == 255 - linear(SQUARE_HU, SQUARE_HU, 1000.0) == 127
        assert np.asarray(Image.open(s["image"]))[20, 5] == 255
    report = RejectReport()
    scenes = [scene_to_dict(s) for s in read(seg, "dicom_seg", images=series, slice_images=tmp_path / "bone",
                                             window="bone", square_pixels=False, report=report)]
    assert {square_grey(s) for s in scenes} == {209}  # 976 HU in the bone window (-500 to 1300 HU)
    assert "volumes_not_in_hounsfield_units" not in report.repairs
