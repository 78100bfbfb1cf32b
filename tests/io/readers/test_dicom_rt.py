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
from veriscene.io.readers.dicom_rt import fill_polygons, planning_name, read_dicom_rt  # noqa: E402
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


# ---- what each ROI is (RTROIObservationsSequence > RTROIInterpretedType) ----------------------

BODY = [(1, 1), (38, 1), (38, 31), (1, 31)]  # around everything: the body outline
COUCH = [(0, 29), (40, 29), (40, 32), (0, 32)]
NODULES = [[(26, 2), (30, 2), (30, 6), (26, 6)], [(33, 10), (37, 10), (37, 14), (33, 14)]]  # two lesions, 16 pixels each


@pytest.fixture(scope="module")
def typed_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rt_typed")
    source = ct_series(root)
    write_rtstruct(root / "rtstruct.dcm", source, [
        ("BODY", {2: [BODY]}),
        ("Liver", {2: [SQUARE]}),
        ("Nodule", {2: NODULES}),  # a lesion name: one object per piece, ids "3.1" and "3.2"
        ("Couch Surface", {2: [COUCH]}),
        ("z_ring", {2: [HOLE]}),  # a planning helper by its name, typed as an organ
        ("PTV_opt", {2: [KIDNEY]}),  # one by its name, typed as a target
        ("Kidney_Left", {2: [KIDNEY]}),  # no observation: kept, of no type
        ("Spinal cord PRV", {2: [HOLE]}),
    ], types=["EXTERNAL", "ORGAN", "GTV", "SUPPORT", "ORGAN", "PTV", None, "AVOIDANCE"])
    return root


def test_body_outline_and_planning_structures_are_left_out_and_counted(typed_plan: Path) -> None:
    (scene,), report = scenes_of(typed_plan / "rtstruct.dcm")
    assert [o["name"] for o in scene["objects"]] == ["liver", "nodule", "nodule", "left kidney"]
    assert scene["meta"]["object_ids"] == ["2", "3.1", "3.2", "7"]
    assert scene["meta"]["rt_roi_types"] == ["ORGAN", "GTV", "GTV", ""]
    assert scene["meta"]["rt_targets"] == [1, 2]
    assert {k: v for k, v in report.repairs.items() if k.startswith("rt_rois")} == {
        "rt_rois_left_out_body_outline": 1, "rt_rois_left_out_support": 1, "rt_rois_left_out_planning_name": 2,
        "rt_rois_left_out_avoidance": 1}
    assert report.entries == []


def test_rois_all_keeps_every_roi_and_rois_may_list_types(typed_plan: Path) -> None:
    (scene,), report = scenes_of(typed_plan / "rtstruct.dcm", rois="all")
    assert len(scene["objects"]) == 9 and scene["meta"]["object_ids"][0] == "1"
    assert scene["meta"]["rt_roi_types"] == ["EXTERNAL", "ORGAN", "GTV", "GTV", "SUPPORT", "ORGAN", "PTV", "",
                                             "AVOIDANCE"]
    assert scene["meta"]["rt_targets"] == [2, 3, 6]
    assert not [k for k in report.repairs if k.startswith("rt_rois")]
    (scene,), report = scenes_of(typed_plan / "rtstruct.dcm", rois="gtv, CTV,PTV")  # targets only, by their types
    assert [o["name"] for o in scene["objects"]] == ["nodule", "nodule"]
    assert report.repairs["rt_rois_left_out_organ"] == 1 and report.repairs["rt_rois_left_out_untyped"] == 1
    (scene,), _ = scenes_of(typed_plan / "rtstruct.dcm", rois="anatomy,AVOIDANCE,EXTERNAL")
    assert scene["objects"][0]["name"] == "body" and "rt_targets" in scene["meta"]
    assert scene["meta"]["rt_roi_types"] == ["EXTERNAL", "ORGAN", "GTV", "GTV", "", "AVOIDANCE"]


@pytest.mark.parametrize("name, helper", [
    ("z_ring", True), ("zPTV_High_opt", True), ("_PTV", True), ("zz tmp", True), ("PTV_opt", True), ("Ring 2cm", True),
    ("opt PTV", True), ("Zygoma_L", False), ("zygoma", False), ("OpticNerve_L", False), ("Optic Chiasm", False),
    ("Liver", False), ("Spinal cord PRV", False), ("Stringer", False),
])
def test_planning_helper_names(name: str, helper: bool) -> None:
    assert planning_name(name) is helper


@pytest.mark.parametrize("value, message", [
    ("organs", r"got 'organs' \(did you mean ORGAN\?\)"),
    ("anatomy,EXTRNAL", r"did you mean EXTERNAL\?"),
    ("", r"rois must be anatomy, all, or a comma-separated list"),
    (True, r"got True"),
])
def test_rois_option_refuses_unknown_words(typed_plan: Path, value: object, message: str) -> None:
    from veriscene.errors import ReaderOptionError

    with pytest.raises(ReaderOptionError, match=message):
        list(read_dicom_rt(typed_plan / "rtstruct.dcm", rois=value))  # type: ignore[arg-type]


def test_a_structure_set_without_observations_is_read_whole_and_untyped(plan: Path) -> None:
    scenes, report = scenes_of(plan / "rtstruct.dcm")
    assert all("rt_roi_types" not in s["meta"] and "rt_targets" not in s["meta"] for s in scenes)
    assert not [k for k in report.repairs if k.startswith("rt_rois")]
    assert report.repairs["rt_structure_sets_without_roi_types"] == 1
    # rois has nothing to choose by: every ROI is read
    assert [[o["name"] for o in s["objects"]] for s in scenes_of(plan / "rtstruct.dcm", rois="ORGAN")[0]] == [
        ["liver"], ["liver", "gtv"], ["liver", "left kidney"]]


# ---- malformed ContourData: its ROI is a reject naming it, the other ROIs are read ---------------


def _even(text: bytes) -> bytes:
    return text if len(text) % 2 == 0 else text + b" "


@pytest.mark.parametrize("raw, reason", [
    (_even(b"1\\2\\3\\4\\5\\6\\7"), "ContourData holds 7 values, not x, y, z triples"),
    (_even(b"1\\2\\3\\4\\abc\\6\\7\\8\\9"), "ContourData value 4 is not a number: 'abc'"),
    (_even(b"1\\2\\3\\4\\nan\\6\\7\\8\\9"), "ContourData value 4 is nan (not finite)"),
    (_even(b"-10\\-20\\32.5\\0\\-20\\32.5\\0\\-10\\32.5"), "ContourData holds 3 points, NumberOfContourPoints says 4"),
])
def test_a_malformed_contour_rejects_its_roi_by_number_name_and_contour(tmp_path: Path, raw: bytes,
                                                                        reason: str) -> None:
    source = ct_series(tmp_path)
    write_rtstruct(tmp_path / "rt.dcm", source, [
        ("Liver", {1: [SQUARE], 2: [SQUARE]}),
        ("Kidney_Left", {2: [KIDNEY]}),
    ], types=["ORGAN", "ORGAN"], contour_data={(1, 1): raw})
    scenes, report = scenes_of(tmp_path / "rt.dcm")
    assert [[o["name"] for o in s["objects"]] for s in scenes] == [["left kidney"]]
    (reject,) = report.entries
    assert reject.level == "object" and reject.file == str(tmp_path / "rt.dcm") and reject.record == "ROI 1 (Liver)"
    assert reject.field == "ROIContourSequence[0].ContourSequence[1].ContourData"
    assert reject.reason.startswith("ROI 1 ('Liver'), contour 1 (from 0): ") and reason in reject.reason
    # the liver is no longer annotated on the slice: its absence is not claimed
    assert "liver" not in scenes[0]["meta"]["exhaustive"]


def test_a_structure_set_whose_every_roi_is_malformed_is_a_reject(tmp_path: Path) -> None:
    source = ct_series(tmp_path)
    write_rtstruct(tmp_path / "rt.dcm", source, [("Liver", {1: [SQUARE]})], contour_data={(1, 0): b"1\\2\\3\\4 "})
    scenes, report = scenes_of(tmp_path / "rt.dcm")
    assert scenes == [] and [e.level for e in report.entries] == ["object", "file"]
    assert report.entries[1].reason == ("no ROI with contours is left to read: 1 left out for a malformed contour "
                                        "(each a reject of its own)")


# ---- a contour left out of an ROI that is read: a reject of level "mask" (helper-210) ---------------


def test_a_contour_of_two_points_is_a_mask_reject_and_its_roi_is_read(tmp_path: Path) -> None:
    # before: counted with the POINT markers as contours_not_closed_planar, named nowhere
    source = ct_series(tmp_path)
    write_rtstruct(tmp_path / "rt.dcm", source, [("Liver", {1: [SQUARE], 2: [SQUARE, [(5, 5), (24, 5)]]})])
    scenes, report = scenes_of(tmp_path / "rt.dcm")
    assert [[o["name"] for o in s["objects"]] for s in scenes] == [["liver"], ["liver"]]
    (entry,) = report.entries
    assert (entry.file, entry.record, entry.field, entry.level) == (
        str(tmp_path / "rt.dcm"), "ROI 1 (Liver)", "ROIContourSequence[0].ContourSequence[2].ContourData", "mask")
    assert entry.reason.startswith("ROI 1 ('Liver'), contour 2 (from 0): 2 points, fewer than 3 outline nothing")
    assert "contours_not_closed_planar" not in report.repairs
    # strict stops at records refused: the ROI is read, the contour reported
    scenes, report = scenes_of(tmp_path / "rt.dcm", strict=True)
    assert len(scenes) == 2 and [e.level for e in report.entries] == ["mask"]


def test_a_contour_off_the_series_is_a_mask_reject(tmp_path: Path) -> None:
    # before: counted as contours_off_the_series only
    from tests.io.readers.dicom_builders import patient_point

    source = ct_series(tmp_path)
    far = [v for col, row in SQUARE for v in patient_point(source[1], col, row)[:2] + [999.5]]
    raw = _even("\\".join(f"{v:g}" for v in far).encode())
    write_rtstruct(tmp_path / "rt.dcm", source, [("Liver", {1: [SQUARE], 2: [SQUARE]})], contour_data={(1, 1): raw})
    scenes, report = scenes_of(tmp_path / "rt.dcm")
    assert [[o["name"] for o in s["objects"]] for s in scenes] == [["liver"]]
    (entry,) = report.entries
    assert (entry.record, entry.field, entry.level) == (
        "ROI 1 (Liver)", "ROIContourSequence[0].ContourSequence[1].ContourData", "mask")
    assert "off the image series" in entry.reason and "contours_off_the_series" not in report.repairs
