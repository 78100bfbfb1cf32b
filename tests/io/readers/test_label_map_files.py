"""Slices of canonical volumes: their plane, their pixels' size in mm and where anatomy lands; the
image (volume) a label map annotates, given with `images`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from veriscene.io.readers._label_map_files import _resample, canonical_voxel_mm, slice_meta

from .reader_helpers import read_all, write_json

nib = pytest.importorskip("nibabel")


def lps_volume(root: Path) -> Path:
    """A 10x12x4 label volume stored LPS (voxel i toward the patient's left, j posterior, k
    superior) with voxels of 0.8 x 0.6 x 5 mm: a liver (1) at the patient's right front, a left
    kidney (2) at the left back, both boxes of voxels in slices k = 1 and 2."""
    labels = np.zeros((10, 12, 4), np.uint8)
    labels[0:3, 0:4, 1:3] = 1  # low i: right; low j: anterior
    labels[6:10, 8:12, 1:3] = 2  # high i: left; high j: posterior
    affine = np.diag([-0.8, -0.6, 5.0, 1.0])  # RAS affine of LPS storage
    root.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(labels, affine), root / "ct.nii.gz")
    write_json(root / "labels.json", {"1": "liver", "2": "kidney_left"})
    return root / "ct.nii.gz"


@pytest.mark.parametrize("axis, plane, size, pixel_mm, liver, kidney", [
    # axial: the patient's right on the image's left, the front at the top
    (2, "axial", (10, 12), [0.8, 0.6], [0.0, 0.0, 3.0, 4.0], [6.0, 8.0, 10.0, 12.0]),
    # coronal: right on the left, the head at the top (k 1-2 of 0-3: rows 1-2 from the top)
    (1, "coronal", (10, 4), [0.8, 5.0], [0.0, 1.0, 3.0, 3.0], [6.0, 1.0, 10.0, 3.0]),
    # sagittal: the front on the left, the head at the top
    (0, "sagittal", (12, 4), [0.6, 5.0], [0.0, 1.0, 4.0, 3.0], [8.0, 1.0, 12.0, 3.0]),
])
def test_slices_say_their_plane_and_pixel_size_on_the_voxel_grid(tmp_path: Path, axis: int, plane: str, size: tuple[int, int],
                                               pixel_mm: list[float], liver: list[float], kidney: list[float]) -> None:
    scenes, _ = read_all(lps_volume(tmp_path), "label_map", axis=axis, min_pixels=1, square_pixels=False)
    for s in scenes:
        assert (s.width, s.height) == size
        assert {k: v for k, v in s.meta.items() if k in ("plane", "pixel_size_mm", "orientation")} == {
            "plane": plane, "pixel_size_mm": pixel_mm, "orientation": "radiological"}
    boxes = {(name, tuple(box)) for s in scenes for name, box in zip(s.names, s.boxes.tolist())}
    assert boxes == {("liver", tuple(liver)), ("left kidney", tuple(kidney))}  # the same box on every slice


def test_numpy_volumes_have_no_plane(tmp_path: Path) -> None:
    """A NumPy volume's axes are not known to be anatomical: no plane, no pixel size."""
    volume = np.zeros((4, 5, 3), np.uint8)
    volume[1:3, 1:4, 1] = 1
    np.save(tmp_path / "v.npy", volume)
    (s,), _ = read_all(tmp_path / "v.npy", "label_map", orientation="radiological", min_pixels=1)
    assert s.meta["orientation"] == "radiological" and "plane" not in s.meta and "pixel_size_mm" not in s.meta


@pytest.mark.parametrize("affine, expected", [
    (np.diag([0.8, 0.6, 5.0, 1.0]), (0.8, 0.6, 5.0)),
    (np.diag([-0.8, -0.6, 5.0, 1.0]), (0.8, 0.6, 5.0)),
    # stored (z, y, x): the first voxel axis runs superior, 5 mm a step; canonical order is x, y, z
    (np.array([[0, 0, -0.7, 0], [0, 0.9, 0, 0], [5.0, 0, 0, 0], [0, 0, 0, 1]]), (0.7, 0.9, 5.0)),
])
def test_canonical_voxel_size(affine: np.ndarray, expected: tuple[float, ...]) -> None:
    assert canonical_voxel_mm(affine) == pytest.approx(expected)


def test_slice_meta_without_voxel_size() -> None:
    assert slice_meta(2, 7, None) == {"axis": 2, "slice": 7, "plane": "axial", "orientation": "radiological"}


@pytest.mark.parametrize("affine, axis, expected", [
    # stored from the head down (z reversed): the file's slice 1 is canonical slice 8 of 10
    (np.diag([-1.0, -1.0, -3.0, 1.0]), 2, [("v_z0008", [2, 1])]),
    # stored LPS: a sagittal slice along the file's i, reversed (patient's left first)
    (np.diag([-1.0, -1.0, -3.0, 1.0]), 0, [(f"v_x{k:04d}", [0, 7 - k]) for k in (3, 4, 5)]),
    # stored (z, y, x): canonical axis 2 is the file's axis 0
    (np.array([[0, 0, 1.0, 0], [0, 1.0, 0, 0], [3.0, 0, 0, 0], [0, 0, 0, 1]]), 2, [("v_z0002", [0, 2])]),
])
def test_slices_say_where_they_are_in_the_file(tmp_path: Path, affine: np.ndarray, axis: int,
                                               expected: list[tuple[str, list[int]]]) -> None:
    """A slice's number is the canonical volume's; `stored_slice` finds it in the file as stored."""
    labels = np.zeros((8, 8, 10), np.uint8)
    if affine[2, 0]:  # stored (z, y, x): slice 2 along the file's first axis
        labels[2, 2:5, 2:5] = 1
    else:
        labels[2:5, 2:5, 1] = 1
    nib.save(nib.Nifti1Image(labels, affine), tmp_path / "v.nii.gz")
    scenes, _ = read_all(tmp_path / "v.nii.gz", "label_map", axis=axis, min_pixels=1)
    assert [(s.image_id, s.meta["stored_slice"]) for s in scenes] == expected


@pytest.mark.parametrize("axis, size, pixel_mm, voxels, liver", [
    # 10 x 12 voxels of 0.8 x 0.6 mm: 13 columns of 0.6154 mm; the liver's 3 columns become 4
    (2, (13, 12), [0.6154, 0.6], [10, 12], [0.0, 0.0, 4.0, 4.0]),
    # 10 x 4 voxels of 0.8 x 5 mm: 25 rows of 0.8 mm; the liver's 2 slices become 13 rows
    (1, (10, 25), [0.8, 0.8], [10, 4], [0.0, 6.0, 3.0, 19.0]),
    # 12 x 4 voxels of 0.6 x 5 mm: 33 rows of 0.6061 mm
    (0, (12, 33), [0.6, 0.6061], [12, 4], [0.0, 8.0, 4.0, 25.0]),
])
def test_slices_of_pixels_that_are_not_square_are_resampled(tmp_path: Path, axis: int, size: tuple[int, int],
                                                            pixel_mm: list[float], voxels: list[int],
                                                            liver: list[float]) -> None:
    """Drawn a pixel per voxel, a coronal slice of 5 mm slices looks squashed 6 to 1."""
    scenes, _ = read_all(lps_volume(tmp_path), "label_map", axis=axis, min_pixels=1)
    s = next(s for s in scenes if "liver" in s.names)
    assert (s.width, s.height) == size
    assert (s.meta["pixel_size_mm"], s.meta["resampled_from"]) == (pixel_mm, voxels)
    assert s.boxes[s.names.index("liver")].tolist() == liver


def test_resampling_keeps_pixel_centres() -> None:
    ramp = np.arange(4, dtype=np.float64)[:, None] * np.ones((1, 2))  # rows 0, 1, 2, 3
    # new centres at old rows -0.25, 0.25, ... 3.25: between old rows, the edges held
    assert _resample(ramp, (8, 2), nearest=False)[:, 0].tolist() == [0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0]
    assert _resample(ramp, (8, 2), nearest=True)[:, 0].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert _resample(ramp, (2, 2), nearest=True)[:, 0].tolist() == [1, 3]  # the pixel under each new centre


# ---- `images` for one label map: the image volume (or image) it annotates ----------------------


def ct_and_segmentation(root: Path, image_shape: tuple[int, int, int] = (12, 10, 5)) -> tuple[Path, Path]:
    """seg.nii.gz: a 12x10x5 label volume, a liver (1) in slices 1-3; ct.nii.gz: a CT of
    `image_shape` in HU, air (-1000) but for the liver (240 HU: white in a soft-tissue window)."""
    labels = np.zeros((12, 10, 5), np.uint8)
    labels[2:8, 3:9, 1:4] = 1
    ct = np.full(image_shape, -1000.0, np.float32)
    if image_shape == labels.shape:
        ct[labels == 1] = 240.0
    root.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(labels, np.eye(4)), root / "seg.nii.gz")
    nib.save(nib.Nifti1Image(ct, np.eye(4)), root / "ct.nii.gz")
    return root / "seg.nii.gz", root / "ct.nii.gz"


def test_a_label_file_takes_its_image_volume_as_images(tmp_path: Path) -> None:
    """One CT and one segmentation: `images=ct.nii.gz` gives every slice its image."""
    from PIL import Image

    from veriscene.scene.masks import decode_mask

    seg, ct = ct_and_segmentation(tmp_path / "in")
    write_json(tmp_path / "in" / "labels.json", {"1": "liver"})
    scenes, report = read_all(seg, "label_map", images=ct, slice_images=tmp_path / "slices", window="soft_tissue")
    assert [s.image_id for s in scenes] == ["seg_z0001", "seg_z0002", "seg_z0003"]
    assert "scenes_without_image" not in report.repairs and report.entries == []
    for s in scenes:
        assert s.image == str(tmp_path / "slices" / f"{s.image_id}.png")
        assert s.meta["image_volume"] == str(ct) and s.meta["modality"] == "CT"
        assert s.meta["window"]["name"] == "soft_tissue"
        pixels = np.asarray(Image.open(s.image))
        assert np.array_equal(pixels, np.where(decode_mask(s.masks[0]), 255, 0))  # the liver white, air black


def test_an_image_volume_without_slice_images_is_counted(tmp_path: Path) -> None:
    seg, ct = ct_and_segmentation(tmp_path / "in")
    scenes, report = read_all(seg, "label_map", images=ct)
    assert len(scenes) == 3 and all(s.image is None and s.meta["image_volume"] == str(ct) for s in scenes)
    assert report.repairs["image_volumes_not_sliced"] == 1 and report.repairs["scenes_without_image"] == 3


def test_an_image_volume_of_another_shape_is_a_reject_naming_both(tmp_path: Path) -> None:
    seg, ct = ct_and_segmentation(tmp_path / "in", image_shape=(12, 10, 4))
    scenes, report = read_all(seg, "label_map", images=ct, slice_images=tmp_path / "slices")
    assert scenes == []
    (entry,) = report.entries
    assert (entry.file, entry.field) == (str(ct), "image")
    assert entry.reason.startswith("the image volume has shape (12, 10, 4), the label map (12, 10, 5): they must be")


def test_a_2d_map_takes_its_image_file_as_images(tmp_path: Path) -> None:
    from PIL import Image

    labels = np.zeros((6, 8), np.uint8)
    labels[1:5, 2:7] = 1
    np.save(tmp_path / "xray_labels.npy", labels)
    Image.fromarray(np.zeros((6, 8), np.uint8)).save(tmp_path / "chest.png")
    (s,), _ = read_all(tmp_path / "xray_labels.npy", "label_map", images=tmp_path / "chest.png", min_pixels=1)
    assert s.image == str(tmp_path / "chest.png") and s.boxes.tolist() == [[2.0, 1.0, 7.0, 5.0]]


def test_images_that_cannot_be_used_are_refused(tmp_path: Path) -> None:
    from veriscene.errors import ReaderOptionError

    seg, ct = ct_and_segmentation(tmp_path / "one")
    with pytest.raises(FileNotFoundError, match="images: .*missing.nii.gz: no such file or folder"):
        read_all(seg, "label_map", images=tmp_path / "missing.nii.gz")
    # a label table that is not there is named by its option too (before: "[Errno 2] No such file ...")
    with pytest.raises(FileNotFoundError, match=r"^labels: .*nolabels\.json: no such file \(a label table"):
        read_all(seg, "label_map", labels=tmp_path / "nolabels.json")
    # a folder of two label maps and one image file: which map is it of?
    maps = tmp_path / "maps"
    maps.mkdir()
    for name in ("a.npy", "b.npy"):
        np.save(maps / name, np.ones((4, 4), np.uint8))
    with pytest.raises(ReaderOptionError, match=r"images=.*ct.nii.gz is one file, but .*maps holds 2 label maps: give "
                                                r"the folder of their images") as caught:
        read_all(maps, "label_map", images=ct)
    assert (caught.value.option, caught.value.value) == ("images", str(ct))
    # an MSD folder's dataset.json names each case's image
    msd = tmp_path / "msd"
    (msd / "labelsTr").mkdir(parents=True)
    np.save(msd / "labelsTr" / "a.npy", np.ones((4, 4), np.uint8))
    write_json(msd / "dataset.json", {"labels": {"0": "background", "1": "liver"},
                                      "training": [{"image": "imagesTr/a.npy", "label": "labelsTr/a.npy"}]})
    with pytest.raises(ReaderOptionError, match="the dataset.json of .*msd names each case's image"):
        read_all(msd, "label_map", images=ct)
    # a folder of one mask per structure takes its image volume, a file
    masks = tmp_path / "s0001" / "segmentations"
    masks.mkdir(parents=True)
    nib.save(nib.Nifti1Image(np.ones((4, 4, 2), np.uint8), np.eye(4)), masks / "liver.nii.gz")
    with pytest.raises(ReaderOptionError, match="images=.* is a folder; for a folder of one mask per structure"):
        read_all(masks, "label_map", images=maps)
