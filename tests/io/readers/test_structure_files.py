"""Folders of one binary mask per structure (TotalSegmentator's layout), read as one case each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from veriscene.io.readers import detect_format
from veriscene.scene.masks import decode_mask

from .reader_helpers import read_all

nib = pytest.importorskip("nibabel")
from PIL import Image  # noqa: E402

AFFINE = np.diag([-0.8, -0.8, 2.5, 1.0])  # stored LPS, as DICOM-converted CTs often are
SHAPE = (12, 10, 5)  # voxels i (toward the patient's left), j (toward the back), k (toward the head)


def save(path: Path, array: np.ndarray, affine: np.ndarray = AFFINE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(array, affine), path)
    return path


def subject(folder: Path, masks_dir: str = "segmentations") -> Path:
    """A case: a liver at the patient's right (low i) in slices 1-3 holding a lesion in slice 2, a
    left kidney (high i) in slices 2-3, an empty aorta, and its CT."""
    liver, lesion, kidney = (np.zeros(SHAPE, np.uint8) for _ in range(3))
    liver[0:5, 0:6, 1:4] = 1
    lesion[2:4, 2:4, 2] = 1  # inside the liver: the two masks overlap
    kidney[8:11, 6:9, 2:4] = 1
    for name, mask in [("liver", liver), ("liver_lesion", lesion), ("kidney_left", kidney),
                       ("aorta", np.zeros(SHAPE, np.uint8))]:
        save(folder / masks_dir / f"{name}.nii.gz", mask)
    save(folder / "ct.nii.gz", (liver * 100 + kidney * 200).astype(np.int16))
    return folder


def test_totalsegmentator_dataset(tmp_path: Path) -> None:
    root = tmp_path / "Totalsegmentator_dataset"
    subject(root / "s0001")
    subject(root / "s0002")
    (root / "meta.csv").write_text("image_id;age\ns0001;60\ns0002;50\n")
    assert detect_format(root) == "label_map"
    scenes, report = read_all(root, "label_map", min_pixels=1, slice_images=tmp_path / "slices")
    assert [s.image_id for s in scenes] == ["s0001_z0001", "s0001_z0002", "s0001_z0003",
                                            "s0002_z0001", "s0002_z0002", "s0002_z0003"]
    assert report.repairs["empty_masks"] == 2 and report.repairs["empty_slices_skipped"] == 4
    s = scenes[1]
    # names from the files (sorted: aorta 1, kidney_left 2, liver 3, liver_lesion 4), ids their numbers
    assert s.names == ("left kidney", "liver", "liver lesion")
    assert s.meta["object_ids"] == ["2", "3", "4"]
    # every file's structure is annotated in full, the empty aorta's too: "Is there an aorta?" no
    assert s.meta["exhaustive"] == ["aorta", "left kidney", "liver", "liver lesion"]
    kidney, liver, lesion = s.boxes.tolist()
    assert liver == [0.0, 0.0, 5.0, 6.0] and kidney == [8.0, 6.0, 11.0, 9.0]  # right on the image's left
    assert lesion == [2.0, 2.0, 4.0, 4.0]
    assert decode_mask(s.masks[1]).sum() == 30  # the liver keeps the lesion's pixels
    assert (2, "surrounded by", 1) in s.relations
    assert {k: s.meta[k] for k in ("label_map", "plane", "pixel_size_mm", "stored_slice", "image_volume")} == {
        "label_map": str(root / "s0001" / "segmentations"), "plane": "axial", "pixel_size_mm": [0.8, 0.8],
        "stored_slice": [2, 2], "image_volume": str(root / "s0001" / "ct.nii.gz")}
    picture = np.asarray(Image.open(s.image))
    assert picture.shape == (10, 12) and picture[0, 0] < picture[7, 9]  # the kidney brighter than the liver


@pytest.mark.parametrize("layout", ["case", "segmentations"])
def test_one_case_or_its_segmentations_folder(tmp_path: Path, layout: str) -> None:
    case = subject(tmp_path / "s0011")
    path = case if layout == "case" else case / "segmentations"
    assert detect_format(path) == "label_map"
    scenes, _ = read_all(path, "label_map", min_pixels=1, slice_images=tmp_path / "slices")
    assert [s.image_id for s in scenes] == ["s0011_z0001", "s0011_z0002", "s0011_z0003"]
    assert all(s.image is not None for s in scenes)  # ct.nii.gz beside segmentations/


def test_structure_files_forced_on_another_folder_with_its_image(tmp_path: Path) -> None:
    case = subject(tmp_path / "patient", masks_dir="masks")
    scenes, report = read_all(case / "masks", "label_map", structure_files=True, min_pixels=1,
                              images=case / "ct.nii.gz", slice_images=tmp_path / "slices")
    assert [s.image_id for s in scenes] == ["masks_z0001", "masks_z0002", "masks_z0003"]
    assert scenes[0].names == ("liver",) and report.repairs["empty_masks"] == 1
    assert scenes[0].meta["image_volume"] == str(case / "ct.nii.gz")


def test_a_mask_off_the_grid_or_not_binary_is_rejected_and_the_others_read(tmp_path: Path) -> None:
    case = subject(tmp_path / "s0001")
    save(case / "segmentations" / "spleen.nii.gz", np.ones((12, 10, 6), np.uint8))
    save(case / "segmentations" / "stomach.nii.gz", np.ones(SHAPE, np.uint8), np.diag([0.8, 0.8, 2.5, 1.0]))
    labels = np.zeros(SHAPE, np.uint8)
    labels[1:3, 1:3, 1] = 7
    save(case / "segmentations" / "combined.nii.gz", labels)
    scenes, report = read_all(case, "label_map", min_pixels=1)
    assert [s.names for s in scenes][1] == ("left kidney", "liver", "liver lesion")
    faults = {Path(str(e.file)).name: e.reason for e in report.entries}
    assert set(faults) == {"spleen.nii.gz", "stomach.nii.gz", "combined.nii.gz"}
    assert "shape (12, 10, 6)" in faults["spleen.nii.gz"] and "that of aorta.nii.gz (shape (12, 10, 5)" in faults["spleen.nii.gz"]
    assert "affine" in faults["stomach.nii.gz"]
    assert faults["combined.nii.gz"].startswith("not a binary mask (it holds values other than 0 and 1, up to 7)")
    fields = {Path(str(e.file)).name: e.field for e in report.entries}  # the field that differs
    assert fields == {"spleen.nii.gz": "shape", "stomach.nii.gz": "affine", "combined.nii.gz": "pixels"}
    # the structures of masks rejected are not annotated: no slice says there is no spleen
    assert all(not {"spleen", "stomach", "combined"} & set(s.meta["exhaustive"]) for s in scenes)


@pytest.mark.parametrize(("dtype", "values", "fault"), [
    (np.uint8, (0, 1), None), (np.int16, (0, 1), None), (np.uint16, (0, 1), None), (np.float32, (0, 1), None),
    (np.int16, (0, -1), "up to 0"), (np.int16, (1, 2), "up to 2"), (np.uint16, (0, 300), "up to 300"),
    (np.float32, (0, 0.5), "up to 0.5"), (np.float32, (1, np.nan), "up to nan"),
])
def test_a_mask_is_binary_by_its_values_whatever_its_type(tmp_path: Path, dtype: type, values: tuple[float, float],
                                                          fault: str | None) -> None:
    # a spleen behind the liver in slice 2: the first value in its 4x4 voxels, the second in the 2x2 within
    case = subject(tmp_path / "s0001")
    spleen: np.ndarray = np.zeros(SHAPE, dtype)
    spleen[0:4, 6:10, 2] = values[0]
    spleen[1:3, 7:9, 2] = values[1]
    save(case / "segmentations" / "spleen.nii.gz", spleen)
    scenes, report = read_all(case, "label_map", min_pixels=1)
    faults = {Path(str(e.file)).name: e.reason for e in report.entries}
    if fault is not None:
        assert list(faults) == ["spleen.nii.gz"] and f"values other than 0 and 1, {fault})" in faults["spleen.nii.gz"]
        assert all("spleen" not in s.names for s in scenes)
        return
    assert faults == {}
    s = scenes[1]
    spleen_box = s.boxes[s.names.index("spleen")].tolist()
    pixels = 16 if values[0] else 4
    assert decode_mask(s.masks[s.names.index("spleen")]).sum() == pixels
    assert spleen_box == ([0.0, 6.0, 4.0, 10.0] if values[0] else [1.0, 7.0, 3.0, 9.0])  # as the liver's: i, j


def test_structure_files_needs_a_folder(tmp_path: Path) -> None:
    case = subject(tmp_path / "s0001")
    with pytest.raises(ValueError, match="structure_files reads a folder"):
        read_all(case / "ct.nii.gz", "label_map", structure_files=True)


def test_slices_holding_only_slivers_are_counted_not_rejected(tmp_path: Path) -> None:
    case = subject(tmp_path / "s0001")  # slice 1: the liver's 30 pixels; 2: 30 + 4 + 9; 3: 30 + 9
    scenes, report = read_all(case, "label_map", min_pixels=31)
    assert scenes == [] and report.entries == []
    assert report.repairs["slices_below_min_pixels"] == 3


def test_ct_window_on_a_case_of_mask_files(tmp_path: Path) -> None:
    case = subject(tmp_path / "s0001")
    liver, kidney = (np.asanyarray(nib.load(case / "segmentations" / f"{n}.nii.gz").dataobj) for n in ("liver", "kidney_left"))
    save(case / "ct.nii.gz", (-1000 + 1060 * liver.astype(np.int16) + 1140 * kidney.astype(np.int16)).astype(np.int16))
    scenes, report = read_all(case, "label_map", min_pixels=1, slice_images=tmp_path / "slices", window="soft_tissue")
    assert "volumes_not_in_hounsfield_units" not in report.repairs
    s = scenes[1]  # slice 2: the liver (60 HU), its lesion and the left kidney (140 HU)
    assert s.names == ("left kidney", "liver", "liver lesion")
    assert s.meta["window"] == {"name": "soft_tissue", "width": 400.0, "level": 40.0}
    picture = np.asarray(Image.open(s.image))
    assert [set(np.unique(picture[decode_mask(m)]).tolist()) for m in s.masks] == [{191}, {140}, {140}]
    assert picture.min() == 0  # air


def test_components_naming_no_mask_file_is_refused(tmp_path: Path) -> None:
    """The masks' names are their files' (known before reading): a list naming none is refused."""
    from veriscene.errors import ReaderOptionError

    case = subject(tmp_path / "s0001")
    with pytest.raises(ReaderOptionError, match=r"no structure of the mask files under .* is named 'kidney' \(did you mean "
                                                 r"'left kidney'\?\); its structures are aorta, left kidney, liver"):
        read_all(case, "label_map", components="kidney")
    scenes, _ = read_all(case, "label_map", components="left kidney")
    assert scenes


def test_a_mask_of_pieces_apart_is_absent_between_them_not_dropped(tmp_path: Path) -> None:
    """A mask of two pieces (slices 1 and 3, none in 2) is absent from slice 2, as a label map's
    value is: still annotated there ("Is there a kidney cyst?" no), no piece said dropped, and a
    slice holding nothing else is empty, not one of slivers. (Slices within the mask's span were
    taken as holding it: an empty mask counted as a piece under min_pixels.)"""
    cyst, liver = np.zeros(SHAPE, np.uint8), np.zeros(SHAPE, np.uint8)
    cyst[2:5, 2:5, [1, 3]] = 1
    liver[6:11, 3:8, 0:3] = 1  # slices 0-2: slice 3 holds the cyst alone
    for name, mask in [("kidney_cyst", cyst), ("liver", liver)]:
        save(tmp_path / "s0001" / "segmentations" / f"{name}.nii.gz", mask)
    scenes, report = read_all(tmp_path / "s0001", "label_map", min_pixels=1, components="none")
    assert [(s.meta["slice"], s.names) for s in scenes] == [(0, ("liver",)), (1, ("kidney cyst", "liver")),
                                                            (2, ("liver",)), (3, ("kidney cyst",))]
    assert all(s.meta["exhaustive"] == ["kidney cyst", "liver"] for s in scenes)
    assert "small_pieces_dropped" not in report.repairs and "slices_below_min_pixels" not in report.repairs
    assert report.repairs["empty_slices_skipped"] == 1  # slice 4

    only_cyst = tmp_path / "s0002" / "segmentations"
    save(only_cyst / "kidney_cyst.nii.gz", cyst)
    scenes, report = read_all(only_cyst.parent, "label_map", min_pixels=1, components="none")
    assert [s.meta["slice"] for s in scenes] == [1, 3]
    assert report.repairs["empty_slices_skipped"] == 3 and "slices_below_min_pixels" not in report.repairs
