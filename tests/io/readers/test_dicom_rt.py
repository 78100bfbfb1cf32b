"""DICOM RT Structure Set reader: contours written with pydicom over a synthetic CT series, filled on
its pixel grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("highdicom")
pytest.importorskip("nibabel")
pytest.importorskip("scipy")

from tests.io.readers.dicom_builders import ct_series, write_rtstruct  # noqa: E402
from veriscene.io.readers import detect, read  # noqa: E402
from veriscene.io.readers.dicom_rt import fill_polygons, read_dicom_rt  # noqa: E402
from veriscene.io.rejects import RejectReport  # noqa: E402
from veriscene.scene.jsonl import scene_to_dict  # noqa: E402
from veriscene.scene.masks import decode_mask  # noqa: E402

# (column, row) vertices on pixel centres: centres on the left and top edges are inside, those on the
# right and bottom edges outside (half-open, so polygons sharing an edge share no pixel)
SQUARE = [(5, 5), (24, 5), (24, 19), (5, 19)]  # columns 5-23, rows 5-18: 19 x 14 pixels
HOLE = [(10, 8), (14, 8), (14, 12), (10, 12)]
KIDNEY = [(28, 22), (35, 22), (35, 29), (28, 29)]


def scenes_of(path: Path, **options: object) -> tuple[list[dict], RejectReport]:
    """The scenes on the series' own pixel grid (its pixels are 0.7 x 0.8 mm, not resampled)."""
    options.setdefault("square_pixels", False)
    report = RejectReport()
    return [scene_to_dict(s) for s in read(path, "dicom_rt", report=report, **options)], report


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rt")
    source = ct_series(root)
    write_rtstruct(root / "rtstruct.dcm", source, [
        ("Liver", {1: [SQUARE], 2: [SQUARE], 3: [SQUARE, HOLE]}),
        ("GTV", {2: [HOLE]}),
        ("Kidney_Left", {3: [KIDNEY]}),
    ])
    return root


def test_fill_polygons_even_odd() -> None:
    square = np.array(SQUARE, float)
    mask = fill_polygons([square], 32, 40)
    assert mask.sum() == 19 * 14 and mask[5, 5] and mask[18, 23] and not mask[4, 5] and not mask[5, 24]
    holed = fill_polygons([square, np.array(HOLE, float)], 32, 40)
    assert holed.sum() == 19 * 14 - 4 * 4 and not holed[10, 12]
    tilted = fill_polygons([np.array([(10.5, 2.0), (14.0, 10.5), (7.0, 10.5)])], 16, 20)
    assert tilted[6, 10] and not tilted[3, 8] and tilted.sum() > 0
    assert not fill_polygons([np.array([(1, 1), (2, 2)], float)], 8, 8).any()


def test_contours_become_objects_on_their_slices(plan: Path, tmp_path: Path) -> None:
    scenes, report = scenes_of(plan / "rtstruct.dcm", slice_images=tmp_path / "slices")
    assert [s["image_id"] for s in scenes] == ["rtstruct_z0001", "rtstruct_z0002", "rtstruct_z0003"]
    names = [[o["name"] for o in s["objects"]] for s in scenes]
    assert names == [["liver"], ["liver", "gtv"], ["liver", "left kidney"]]
    liver, gtv = scenes[1]["objects"]
    assert liver["box"] == [5.0, 5.0, 24.0, 19.0] and gtv["box"] == [10.0, 8.0, 14.0, 12.0]
    assert decode_mask(liver["mask"]).sum() == 19 * 14
    assert [1, "surrounded by", 0] in scenes[1]["relations"]
    holed = decode_mask(scenes[2]["objects"][0]["mask"])
    assert holed.sum() == 19 * 14 - 16 and not holed[10, 12]
    assert scenes[0]["meta"]["dicom_rtstruct"] == str(plan / "rtstruct.dcm")
    assert scenes[0]["meta"]["orientation"] == "radiological"
    assert all(Path(s["image"]).is_file() for s in scenes)
    assert report.repairs["empty_slices_skipped"] == 3


def test_detection_and_folder(plan: Path) -> None:
    assert detect(plan)[0] == "dicom_rt"
    assert detect(plan / "rtstruct.dcm")[0] == "dicom_rt"
    scenes, _ = scenes_of(plan)
    assert len(scenes) == 3


def test_points_and_missing_series_are_reported(tmp_path: Path) -> None:
    source = ct_series(tmp_path / "ct")
    write_rtstruct(tmp_path / "plan" / "points.dcm", source, [("Marker", {1: [SQUARE]})], geometric_type="POINT")
    scenes, report = scenes_of(tmp_path / "plan" / "points.dcm", images=tmp_path / "ct")
    assert scenes == [] and report.repairs["contours_not_closed_planar"] == 1
    # the series is not beside the structure set: the file is a reject naming why
    write_rtstruct(tmp_path / "alone" / "rt.dcm", source, [("Liver", {1: [SQUARE]})])
    scenes, report = scenes_of(tmp_path / "alone" / "rt.dcm")
    assert scenes == [] and "no image of frame of reference" in report.entries[0].reason
    with pytest.raises(FileNotFoundError, match="no DICOM RT Structure Set"):
        list(read_dicom_rt(tmp_path / "ct"))


def test_generate_and_verify_end_to_end(plan: Path, tmp_path: Path) -> None:
    import veriscene

    veriscene.generate(plan, tmp_path / "run", seed=0, from_format="dicom_rt",
                       reader_options={"slice_images": str(tmp_path / "slices")})
    report = veriscene.verify(tmp_path / "run")
    assert report.ok and report.verified > 10
