"""CT windows and the percentile stretch: how slices of image volumes become 8-bit PNGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from veriscene.io.readers._windows import (
    PERCENTILE, VolumeFacts, Window, dicom_facts, modality_in_text, parse_window, volume_modality, volume_window,
)
from veriscene.io.rejects import RejectReport

from .reader_helpers import read_all, write_json

nib = pytest.importorskip("nibabel")
from PIL import Image  # noqa: E402


@pytest.mark.parametrize("given, expected", [
    (None, PERCENTILE),
    ("percentile", PERCENTILE),
    ("soft_tissue", Window("soft_tissue", 400.0, 40.0)),
    ("Soft-Tissue", Window("soft_tissue", 400.0, 40.0)),
    ("lung", Window("lung", 1500.0, -600.0)),
    ("bone", Window("bone", 1800.0, 400.0)),
    ("brain", Window("brain", 80.0, 40.0)),
    ("stored", Window("stored")),
    ("Stored", Window("stored")),
    ("350,50", Window("custom", 350.0, 50.0)),
    (" 2000 , -500 ", Window("custom", 2000.0, -500.0)),
])
def test_parse_window(given: str | None, expected: Window) -> None:
    assert parse_window(given) == expected


@pytest.mark.parametrize("given, message", [
    ("mediastinal", "window must be one of percentile, stored, soft_tissue, lung, bone, brain or 'WIDTH,LEVEL'"),
    ("400,abc", "the level must be a number of Hounsfield units, got 'abc' in '400,abc'"),
    ("inf,40", "the width must be a number"),
    ("0,40", "the width must be positive, got 0 in '0,40'"),
    ("-400,40", "the width must be positive"),
])
def test_bad_windows_are_refused(given: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_window(given)


def test_ct_window_maps_hounsfield_units_linearly() -> None:
    hu = np.array([[-1000.0, -160.0, 40.0], [140.0, 240.0, 3000.0]])
    # soft tissue: -160 HU black, 240 HU white, 400 HU over 255 grey levels
    assert parse_window("soft_tissue").to_8bit(hu).tolist() == [[0, 0, 128], [191, 255, 255]]
    # lung: -1350 to 150 HU
    assert parse_window("lung").to_8bit(hu).tolist() == [[60, 202, 236], [253, 255, 255]]
    # brain: 0 to 80 HU
    assert parse_window("brain").to_8bit(np.array([0.0, 20.0, 40.0, 80.0])).tolist() == [0, 64, 128, 255]


def test_percentile_stretch_is_per_slice() -> None:
    values = np.arange(201, dtype=np.float64)  # 0.5th percentile 1, 99.5th 199
    out = PERCENTILE.to_8bit(values)
    assert out[[0, 1, 100, 199, 200]].tolist() == [0, 0, 128, 255, 255]
    assert PERCENTILE.to_8bit(values + 5000).tolist() == out.tolist()  # the same picture whatever its units
    assert PERCENTILE.to_8bit(np.full((3, 3), 7.0)).tolist() == [[0] * 3] * 3  # a flat slice is black


@pytest.mark.parametrize("lowest, expected, counted", [
    (-1024.0, "soft_tissue", 0),  # air in HU: a CT
    (-501.0, "soft_tissue", 0),
    (-499.0, "percentile", 1),  # no air: not taken as HU
    (0.0, "percentile", 1),  # an MR
])
def test_windows_apply_to_volumes_in_hounsfield_units(lowest: float, expected: str, counted: int) -> None:
    report = RejectReport()
    volume = np.array([[[lowest, 100.0]]])
    assert volume_window(report, parse_window("soft_tissue"), volume).name == expected
    assert report.repairs.get("volumes_not_in_hounsfield_units", 0) == counted
    assert volume_window(report, PERCENTILE, volume) is PERCENTILE and volume_window(report, PERCENTILE, None) is PERCENTILE


def ct_case(root: Path, hu: dict[int, float], background: float) -> tuple[Path, Path]:
    """A 20x16x6 label volume, a liver (1) and a spleen (2) in slices 2-4, and its image volume of
    `hu[label]` in each structure and `background` elsewhere: (the label map, the images folder)."""
    x, y, z = np.meshgrid(np.arange(20), np.arange(16), np.arange(6), indexing="ij")
    labels = np.zeros((20, 16, 6), np.uint8)
    labels[(x >= 14) & (y >= 8) & (z >= 2) & (z <= 4)] = 1
    labels[(x <= 4) & (y >= 10) & (z >= 2) & (z <= 4)] = 2
    image = np.full(labels.shape, background, np.float32)
    for value, level in hu.items():
        image[labels == value] = level
    (root / "labels").mkdir(parents=True, exist_ok=True)
    (root / "images").mkdir(exist_ok=True)
    affine = np.diag([0.8, 0.8, 0.8, 1.0])
    nib.save(nib.Nifti1Image(labels, affine), root / "labels" / "ct.nii.gz")
    nib.save(nib.Nifti1Image(image, affine), root / "images" / "ct.nii.gz")
    write_json(root / "labels" / "labels.json", {"1": "liver", "2": "spleen"})
    return root / "labels" / "ct.nii.gz", root / "images"


def greys(scene: object) -> dict[str, set[int]]:
    """The grey levels of a slice's PNG under each structure's mask, and elsewhere."""
    from veriscene.scene.masks import decode_mask

    picture = np.asarray(Image.open(scene.image))  # type: ignore[attr-defined]
    out, covered = {}, np.zeros(picture.shape, bool)
    for name, mask in zip(scene.names, scene.masks):  # type: ignore[attr-defined]
        inside = decode_mask(mask)
        out[name] = set(np.unique(picture[inside]).tolist())
        covered |= inside
    out["background"] = set(np.unique(picture[~covered]).tolist())
    return out


@pytest.mark.parametrize("window, expected, meta", [
    # the default: each slice between its percentiles; air is the low end, the spleen the high one
    (None, {"liver": {237}, "spleen": {255}, "background": {0}},
     {"name": "percentile", "percentiles": [0.5, 99.5]}),
    ("soft_tissue", {"liver": {140}, "spleen": {191}, "background": {0}},
     {"name": "soft_tissue", "width": 400.0, "level": 40.0}),
    ("lung", {"liver": {240}, "spleen": {253}, "background": {60}},
     {"name": "lung", "width": 1500.0, "level": -600.0}),
    ("100,70", {"liver": {102}, "spleen": {255}, "background": {0}},
     {"name": "custom", "width": 100.0, "level": 70.0}),
])
def test_nifti_ct_slices_written_through_the_window(tmp_path: Path, window: str | None,
                                                    expected: dict[str, set[int]], meta: dict) -> None:
    label_path, images = ct_case(tmp_path / "in", {1: 60.0, 2: 140.0}, -1000.0)
    options = {"window": window} if window is not None else {}
    scenes, report = read_all(label_path, "label_map", images=images, slice_images=tmp_path / "s", **options)
    assert [s.image_id for s in scenes] == ["ct_z0002", "ct_z0003", "ct_z0004"]
    for s in scenes:
        assert s.meta["window"] == meta
        assert greys(s) == expected
    assert "volumes_not_in_hounsfield_units" not in report.repairs


def test_mr_volume_keeps_the_percentile_stretch(tmp_path: Path) -> None:
    """An MR's intensities are no Hounsfield units: a CT window would make it one grey (all above
    240 HU: white); it is stretched between its percentiles, and that is said and counted."""
    label_path, images = ct_case(tmp_path / "in", {1: 600.0, 2: 900.0}, 0.0)
    scenes, report = read_all(label_path, "label_map", images=images, slice_images=tmp_path / "s",
                              window="soft_tissue")
    assert report.repairs["volumes_not_in_hounsfield_units"] == 1  # once for the volume, not per slice
    for s in scenes:
        assert s.meta["window"]["name"] == "percentile"
        assert greys(s) == {"liver": {170}, "spleen": {255}, "background": {0}}


def test_no_window_said_without_a_slice_image(tmp_path: Path) -> None:
    label_path, _ = ct_case(tmp_path / "in", {1: 60.0, 2: 140.0}, -1000.0)
    scenes, _ = read_all(label_path, "label_map", window="lung")
    assert scenes and all("window" not in s.meta for s in scenes)


def test_bad_window_raises_before_reading(tmp_path: Path) -> None:
    label_path, _ = ct_case(tmp_path / "in", {1: 60.0}, -1000.0)
    with pytest.raises(ValueError, match="window must be one of"):
        read_all(label_path, "label_map", window="abdomen")


@pytest.mark.parametrize("text, modality", [
    ("CT", "CT"), ("ct", "CT"), ("Abdomen CT 5mm", "CT"), ("computed tomography", "CT"),
    ("MRI", "MR"), ("T2w", "MR"), ("t1gd", "MR"), ("FLAIR", "MR"), ("ADC", "MR"), ("PET", "PT"),
    ("PET/CT", None), ("", None), ("noNorm", None), ("TE=2.5;Time=103512.000", None), ("contrast", None),
])
def test_modality_in_text(text: str, modality: str | None) -> None:
    assert modality_in_text(text) == modality


def test_dicom_facts_take_the_modality_and_the_window_most_files_store() -> None:
    headers = [{"Modality": "CT", "WindowCenter": "40", "WindowWidth": "400"},
               {"Modality": "CT", "WindowCenter": ["-600", "40"], "WindowWidth": ["1500", "400"]},
               {"Modality": "CT", "WindowCenter": ["-600", "40"], "WindowWidth": ["1500", "400"]},
               {"Modality": "CT", "WindowCenter": "", "WindowWidth": "abc"}]
    assert dicom_facts(headers) == VolumeFacts("CT", "dicom_modality", (1500.0, -600.0), "dicom_window")
    assert dicom_facts([{"Modality": "MR", "WindowCenter": "40", "WindowWidth": "0"}]) == VolumeFacts("MR", "dicom_modality")
    assert dicom_facts([{}]) == VolumeFacts()


@pytest.mark.parametrize("facts, lowest, expected, counted", [
    (VolumeFacts("MR", "dicom_modality"), -1024.0, "percentile", 1),  # the tag outweighs the values
    (VolumeFacts("CT", "dataset_json"), 0.0, "soft_tissue", 0),  # a CT without air in it: the tag says CT
    (VolumeFacts(), -1024.0, "soft_tissue", 0),  # nothing said: the values decide
])
def test_a_modality_said_decides_the_window(facts: VolumeFacts, lowest: float, expected: str, counted: int) -> None:
    report = RejectReport()
    volume = np.array([[[lowest, 100.0]]])
    assert volume_window(report, parse_window("soft_tissue"), volume, facts).name == expected
    assert report.repairs.get("volumes_not_in_hounsfield_units", 0) == counted


def test_volume_modality_and_where_it_was_read() -> None:
    hu, mr = np.array([[[-1000.0, 40.0]]]), np.array([[[0.0, 800.0]]])
    assert volume_modality(hu) == {"modality": "CT", "modality_from": "hounsfield_values"}
    assert volume_modality(mr) == {"modality": None, "modality_from": "hounsfield_values"}
    assert volume_modality(hu, VolumeFacts("MR", "nifti_descrip")) == {"modality": "MR", "modality_from": "nifti_descrip"}
    assert volume_modality(None) == {}


def set_header(path: Path, **fields: object) -> None:
    img = nib.load(path)
    data = np.asanyarray(img.dataobj)
    header = img.header.copy()
    for key, value in fields.items():
        header[key] = value
    nib.save(nib.Nifti1Image(data, img.affine, header), path)


@pytest.mark.parametrize("fields, hu, modality, window", [
    ({}, True, ("CT", "hounsfield_values"), "soft_tissue"),
    ({}, False, (None, "hounsfield_values"), "percentile"),
    ({"descrip": b"CT abdomen"}, False, ("CT", "nifti_descrip"), "soft_tissue"),
    ({"descrip": b"T2 FLAIR"}, True, ("MR", "nifti_descrip"), "percentile"),
    ({"intent_name": b"MRI"}, True, ("MR", "nifti_intent_name"), "percentile"),
])
def test_nifti_header_says_the_modality(tmp_path: Path, fields: dict, hu: bool, modality: tuple, window: str) -> None:
    label_path, images = ct_case(tmp_path / "in", {1: 60.0, 2: 140.0} if hu else {1: 600.0, 2: 900.0},
                                 -1000.0 if hu else 0.0)
    if fields:
        set_header(images / "ct.nii.gz", **fields)
    scenes, _ = read_all(label_path, "label_map", images=images, slice_images=tmp_path / "s", window="soft_tissue")
    assert {(s.meta["modality"], s.meta["modality_from"]) for s in scenes} == {modality}
    assert {s.meta["window"]["name"] for s in scenes} == {window}


@pytest.mark.parametrize("key, channel, expected", [
    ("modality", "MRI", ("MR", "dataset_json")),  # MSD
    ("channel_names", "CT", ("CT", "dataset_json")),  # nnU-Net v2
    ("channel_names", "noNorm", ("CT", "hounsfield_values")),  # a name that is no modality: the values decide
])
def test_dataset_json_says_the_modality_of_its_first_channel(tmp_path: Path, key: str, channel: str,
                                                             expected: tuple) -> None:
    label_path, images = ct_case(tmp_path, {1: 60.0, 2: 140.0}, -1000.0)
    (tmp_path / "labels" / "labels.json").unlink()
    write_json(tmp_path / "dataset.json", {
        "labels": {"0": "background", "1": "liver", "2": "spleen"}, key: {"0": channel, "1": "T1"},
        "training": [{"image": "./images/ct.nii.gz", "label": "./labels/ct.nii.gz"}]})
    scenes, report = read_all(tmp_path, "label_map", slice_images=tmp_path / "s", window="soft_tissue")
    assert {(s.meta["modality"], s.meta["modality_from"]) for s in scenes} == {expected}
    assert report.repairs.get("volumes_not_in_hounsfield_units", 0) == (expected[0] != "CT")


def test_stored_window_of_a_nifti_is_its_display_range(tmp_path: Path) -> None:
    """cal_min -160, cal_max 240: the soft-tissue window, stored."""
    label_path, images = ct_case(tmp_path / "in", {1: 60.0, 2: 140.0}, -1000.0)
    set_header(images / "ct.nii.gz", cal_min=-160.0, cal_max=240.0)
    scenes, report = read_all(label_path, "label_map", images=images, slice_images=tmp_path / "s", window="stored")
    for s in scenes:
        assert s.meta["window"] == {"name": "stored", "width": 400.0, "level": 40.0, "from": "nifti_cal_range"}
        assert greys(s) == {"liver": {140}, "spleen": {191}, "background": {0}}  # as soft_tissue shows them
    assert "volumes_without_stored_window" not in report.repairs
    label_path, images = ct_case(tmp_path / "bare", {1: 60.0, 2: 140.0}, -1000.0)
    scenes, report = read_all(label_path, "label_map", images=images, slice_images=tmp_path / "s2", window="stored")
    assert report.repairs["volumes_without_stored_window"] == 1
    assert {s.meta["window"]["name"] for s in scenes} == {"percentile"}
