"""Folders of one mask file per structure (TotalSegmentator's layout) of sheared affine: a tilted
CT series converted without tilt correction, its slices across the images resampled unsheared
(reader option ``tilt``) as a label map file's are (`test_nifti_shear`): the same masks, meta and
counts, once per folder. Folders of square affines read as before. The masks of a folder share
one grid, or the ones off it are rejected naming the field (shape, affine)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

nib = pytest.importorskip("nibabel")  # in the test extra: never skipped by `make test`
pytest.importorskip("scipy")

from PIL import Image  # noqa: E402

from veriscene.scene.jsonl import scene_to_dict  # noqa: E402
from veriscene.scene.masks import decode_mask  # noqa: E402
from veriscene.scene.model import Scene  # noqa: E402

from .reader_helpers import read_all  # noqa: E402
from .test_nifti_shear import BOX_MM, PIXEL_MM, affine, middle, write  # noqa: E402


def folder(root: Path, matrix: np.ndarray, ct: bool = False) -> Path:
    """A TotalSegmentator case on `matrix`: segmentations/ of the box (`test_nifti_shear.write`),
    two blocks (one at the field of view's left edge, x = 0) and an empty mask; with `ct`, its CT."""
    box = write(root / "segmentations" / "box.nii.gz", matrix)
    voxels = np.asanyarray(nib.load(str(box)).dataobj)
    left, block = np.zeros_like(voxels), np.zeros_like(voxels)
    left[0:3, 30:40, 1:11] = 1
    block[30:46, 2:12, 4:10] = 1
    for name, mask in [("edge", left), ("block", block), ("empty", np.zeros_like(voxels))]:
        nib.save(nib.Nifti1Image(mask, matrix), str(root / "segmentations" / f"{name}.nii.gz"))
    if ct:
        ct_hu = voxels.astype(np.int16) * 300 + left.astype(np.int16) * 200 + block.astype(np.int16) * 100 - 100
        nib.save(nib.Nifti1Image(ct_hu, matrix),
                 str(root / "ct.nii.gz"))
    return root


def label_map(root: Path, matrix: np.ndarray) -> Path:
    """The same structures as one label map file: box 1, block 2, edge 3 (`folder`'s order: block,
    box, edge)."""
    masks = {name: np.asanyarray(nib.load(str(root / "segmentations" / f"{name}.nii.gz")).dataobj)
             for name in ("box", "block", "edge")}
    labels = masks["box"] * 1 + masks["block"] * 2 + masks["edge"] * 3
    out = root.parent / f"{root.name}.nii.gz"
    nib.save(nib.Nifti1Image(labels.astype(np.uint8), matrix), str(out))
    return out


def read(path: Path, axis: int, **options: Any) -> tuple[list[Scene], Any]:
    scenes, report = read_all(path, "label_map", axis=axis, min_pixels=1, **options)
    assert not report.entries
    return scenes, report


def of(scenes: list[Scene], name: str) -> list[Scene]:
    return [s for s in scenes if name in s.names]


def mask_named(scene: Scene, name: str) -> np.ndarray:
    assert scene.masks is not None
    return decode_mask(scene.masks[scene.names.index(name)]).astype(bool)


def spread(scene: Scene, name: str) -> tuple[int, int]:
    """How far the structure's left and right edges move across its rows (pixels)."""
    rows = [np.flatnonzero(r) for r in mask_named(scene, name) if r.any()]
    left, right = [int(r[0]) for r in rows], [int(r[-1]) for r in rows]
    return max(left) - min(left), max(right) - min(right)


@pytest.mark.parametrize("degrees", [8, 20, 29])
@pytest.mark.parametrize(("about", "axis"), [("y", 1), ("x", 0)])  # coronal slices, sagittal slices
def test_a_tilted_folder_is_square_once_corrected(tmp_path: Path, degrees: float, about: str, axis: int) -> None:
    case = folder(tmp_path / "s0001", affine(degrees, about))
    kept, report_kept = read(case, axis, tilt="keep")
    corrected, report = read(case, axis)
    # as stored, the box's edges slant by its height (15 mm) times tan(tilt), in pixels
    slant = (BOX_MM[2][1] - BOX_MM[2][0]) * np.tan(np.radians(degrees)) / PIXEL_MM  # 2.6, 6.8, 10.4
    assert min(spread(middle(of(kept, "box")), "box")) >= int(slant) - 1
    for scene in of(corrected, "box"):
        assert max(spread(scene, "box")) <= 1
    assert corrected and all(s.meta["tilt_corrected_degrees"] == pytest.approx(degrees, abs=0.01)
                             and "stored_slice" not in s.meta for s in corrected)
    assert all(s.meta["tilt_kept_degrees"] == pytest.approx(degrees, abs=0.01) and "stored_slice" in s.meta
               for s in kept)
    # counted once for the folder, not once per mask
    assert report.repairs["tilted_series_corrected"] == 1 and "tilted_series_kept" not in report.repairs
    assert report_kept.repairs["tilted_series_kept"] == 1 and "tilted_series_corrected" not in report_kept.repairs


@pytest.mark.parametrize(("degrees", "about", "axis"), [(20, "y", 1), (29, "x", 0), (8, "y", 0), (20, "x", 2)])
@pytest.mark.parametrize("tilt", ["correct", "keep"])
def test_a_folder_reads_as_the_one_label_map_of_its_masks(tmp_path: Path, degrees: float, about: str, axis: int,
                                                          tilt: str) -> None:
    """Each mask resampled as its box: the very masks, meta and counts of the whole label volume
    resampled, the CT's pixels too."""
    matrix = affine(degrees, about)
    case = folder(tmp_path / "s0001", matrix, ct=True)
    single = label_map(case, matrix)
    options = {"tilt": tilt, "components": "none"}
    scenes, report = read(case, axis, slice_images=tmp_path / "a", **options)
    files, file_report = read(single, axis, slice_images=tmp_path / "b", images=case / "ct.nii.gz", **options)
    names = {"label 1": "box", "label 2": "block", "label 3": "edge"}

    def masks(found: list[Scene], rename: dict[str, str]) -> dict[tuple[int, str], list[int]]:
        return {(s.meta["slice"], rename.get(n, n)): np.flatnonzero(mask_named(s, n)).tolist()
                for s in found for n in s.names}

    assert masks(scenes, {}) == masks(files, names)
    same = ("slice", "plane", "pixel_size_mm", "resampled_from", "tilt_corrected_degrees", "tilt_kept_degrees",
            "stored_slice", "window")
    assert [{k: s.meta.get(k) for k in same} for s in scenes] == [{k: s.meta.get(k) for k in same} for s in files]
    for a, b in zip(scenes, files):
        assert a.image is not None and b.image is not None
        with Image.open(a.image) as png_a, Image.open(b.image) as png_b:
            assert np.array_equal(np.asarray(png_a), np.asarray(png_b))
    tilted = ("tilted_series_corrected", "tilted_series_kept")
    assert {k: report.repairs[k] for k in tilted if k in report.repairs} == \
           {k: file_report.repairs[k] for k in tilted if k in file_report.repairs}


def test_no_voxel_at_the_field_of_views_edge_is_lost(tmp_path: Path) -> None:
    """A structure at the edge of the images (x = 0) keeps every voxel through the correction, in
    a folder and in a label map file: nearest neighbour moves each image whole. (A point within
    half a voxel past the edge was taken as outside: a third of the structure was lost.)"""
    case = folder(tmp_path / "s0001", affine(20))
    single = label_map(case, affine(20))
    stored = int(np.asanyarray(nib.load(str(case / "segmentations" / "edge.nii.gz")).dataobj).sum())  # 300
    for path, name in [(case, "edge"), (single, "label 3")]:
        scenes, _ = read(path, 1, square_pixels=False)
        assert sum(int(mask_named(s, name).sum()) for s in of(scenes, name)) == stored


def test_a_skewed_folder_is_kept_and_said_once(tmp_path: Path) -> None:
    case = folder(tmp_path / "s0001", affine(10, skew=12))
    with pytest.warns(UserWarning, match=r"segmentations: sheared affine, 12 degrees, not corrected: "
                                         r"the images' own axes are 12\.0 degrees off square") as said:
        scenes, report = read(case, 1)
    assert len([w for w in said if "sheared affine" in str(w.message)]) == 1
    assert report.repairs["sheared_affines_not_corrected"] == 1 and "tilted_series_corrected" not in report.repairs
    assert scenes and all(s.meta["tilt_kept_degrees"] == 12 and "stored_slice" in s.meta for s in scenes)


def test_axial_slices_of_a_tilted_folder_are_as_stored(tmp_path: Path) -> None:
    """The images' own plane: as the same voxels on a square affine, nothing said."""
    sheared = folder(tmp_path / "a" / "s0001", affine(20))
    square = tmp_path / "b" / "s0001" / "segmentations"
    square.mkdir(parents=True)
    for mask in sorted((sheared / "segmentations").iterdir()):
        nib.save(nib.Nifti1Image(np.asanyarray(nib.load(str(mask)).dataobj), affine(0)), str(square / mask.name))

    def dicts(path: Path, **options: Any) -> list[dict[str, Any]]:
        scenes, report = read(path, 2, **options)
        assert not any("tilt" in kind or "shear" in kind for kind in report.repairs)
        out = [scene_to_dict(s) for s in scenes]
        for d in out:
            d["meta"].pop("label_map")
        return out

    base = dicts(square.parent)
    assert base and dicts(sheared) == base and dicts(sheared, tilt="keep") == base


@pytest.mark.parametrize("matrix", [
    np.diag([-0.8, -0.8, 2.5, 1.0]),  # stored LPS, as DICOM-converted CTs often are
    np.array([[0.8 * np.cos(0.3), -0.8 * np.sin(0.3), 0, 0], [0.8 * np.sin(0.3), 0.8 * np.cos(0.3), 0, 0],
              [0, 0, 2.5, 0], [0, 0, 0, 1]]),  # oblique, yet square
])
def test_square_folders_are_read_as_they_are(tmp_path: Path, matrix: np.ndarray) -> None:
    case = folder(tmp_path / "s0001", matrix)
    for axis in (0, 1, 2):
        corrected, report = read(case, axis)
        kept, _ = read(case, axis, tilt="keep")
        assert corrected and [scene_to_dict(s) for s in corrected] == [scene_to_dict(s) for s in kept]
        assert all("stored_slice" in s.meta and not any("tilt" in k for k in s.meta) for s in corrected)
        assert not any("tilt" in kind or "shear" in kind for kind in report.repairs)


def test_a_mask_off_the_folders_grid_is_rejected_naming_the_field(tmp_path: Path) -> None:
    """The grid is the one most masks share, even when the first file is the odd one: a mask of
    another affine (here square, beside tilted ones) or shape is rejected, its field named, its
    structure no longer said annotated; the others are read and corrected."""
    case = folder(tmp_path / "s0001", affine(20))
    masks = case / "segmentations"
    box = np.asanyarray(nib.load(str(masks / "box.nii.gz")).dataobj)
    nib.save(nib.Nifti1Image(box, affine(0)), str(masks / "aorta.nii.gz"))  # first by name: another affine
    nib.save(nib.Nifti1Image(box[:, :, :10], affine(20)), str(masks / "spleen.nii.gz"))  # another shape
    scenes, report = read_all(case, "label_map", axis=1, min_pixels=1)
    faults = {Path(str(e.file)).name: (e.field, e.reason) for e in report.entries}
    assert set(faults) == {"aorta.nii.gz", "spleen.nii.gz"}
    assert faults["aorta.nii.gz"][0] == "affine"
    assert faults["aorta.nii.gz"][1].startswith("the mask's affine [[0.8, 0.0, 0.0, 0.0], ")
    assert "is not that of block.nii.gz (affine [[0.8, 0.0, 0.855, 0.0], " in faults["aorta.nii.gz"][1]
    assert faults["aorta.nii.gz"][1].endswith("; up to 0.855 mm apart), the grid of 4 of the case's 6 masks: the "
                                              "masks of one case must share one grid")
    assert faults["spleen.nii.gz"] == ("shape", "the mask's shape (48, 44, 10) is not that of block.nii.gz (shape "
                                                "(48, 44, 12)), the grid of 4 of the case's 6 masks: the masks of "
                                                "one case must share one grid")
    assert report.repairs["tilted_series_corrected"] == 1
    assert scenes and all("tilt_corrected_degrees" in s.meta for s in scenes)
    # a rejected mask's structure is not annotated: no slice says there is no aorta, no spleen
    assert all("aorta" not in s.meta["exhaustive"] and "spleen" not in s.meta["exhaustive"] for s in scenes)
    assert all({"box", "block", "edge", "empty"} <= set(s.meta["exhaustive"]) for s in scenes)


def test_masks_on_two_grids_of_as_many_masks_reject_the_case(tmp_path: Path) -> None:
    """Two grids, two masks each: which is the CT's is not guessed; the folder is rejected,
    naming a mask of each grid, and nothing of it is read."""
    case = tmp_path / "s0001" / "segmentations"
    box = write(case / "a.nii.gz", affine(20))
    voxels = np.asanyarray(nib.load(str(box)).dataobj)
    nib.save(nib.Nifti1Image(voxels, affine(20)), str(case / "b.nii.gz"))
    for name in ("c", "d"):
        nib.save(nib.Nifti1Image(voxels, affine(0)), str(case / f"{name}.nii.gz"))
    scenes, report = read_all(case.parent, "label_map", axis=1)
    assert scenes == []
    [entry] = report.entries
    assert (Path(str(entry.file)), entry.field) == (case, "affine")
    assert entry.reason.startswith("the masks lie on 2 grids, none shared by more masks than another (2 each): "
                                   "a.nii.gz (shape (48, 44, 12), affine [[0.8, 0.0, 0.855, 0.0], ")
    assert "; c.nii.gz (shape (48, 44, 12), affine [[0.8, 0.0, 0.0, 0.0], " in entry.reason


@pytest.mark.parametrize("segments", [1, 3, 40])  # one volume; DICOM SEG's segments, packed 32 to a word
def test_tilt_resampling_keeps_every_voxel_of_masks_at_the_edge(segments: int) -> None:
    """`Tilt.resample` by nearest neighbour (label maps, mask folders, DICOM SEG masks) keeps the
    voxels of the volume's edge columns: a shear moves each image whole."""
    from veriscene.io.readers._dicom_tilt import Tilt

    to_true = np.eye(4)
    to_true[0, 2] = np.tan(np.radians(20)) * 2.5 / 0.8  # x shifts by 1.07 voxels a slice
    rng = np.random.default_rng(0)
    masks = np.zeros((20, 6, 8, segments), bool)
    masks[[0, 19]] = rng.random((2, 6, 8, segments)) < 0.7  # the first and last columns
    out = Tilt(20.0, to_true, own_axis=2).resample(masks if segments > 1 else masks[..., 0], nearest=True)
    kept = out.reshape(-1, segments).sum(axis=0) if segments > 1 else np.array([out.sum()])
    assert kept.tolist() == masks.reshape(-1, segments).sum(axis=0).tolist()


@pytest.mark.parametrize("layout", ["folder", "file"])
def test_an_image_volume_on_another_shear_than_its_labels_is_said(tmp_path: Path, layout: str) -> None:
    """Labels and their image of one shape are one voxel grid, as always; where their affines
    differ and either is sheared (a tilted CT and a segmentation written square by a tool that
    keeps no shear, or the other way round) the labels' affine rules how both are cut: said per
    image and counted (it passed unsaid). Square labels with a square image of another affine
    read as they always did, unsaid."""
    case = folder(tmp_path / "s0001", affine(20), ct=True)
    ct = case / "ct.nii.gz"
    before, _ = read(label_map(case, affine(20)) if layout == "file" else case, 1, slice_images=tmp_path / "a",
                     **({"images": ct} if layout == "file" else {}))
    nib.save(nib.Nifti1Image(np.asanyarray(nib.load(str(ct)).dataobj), affine(0)), str(ct))  # the image square
    path = label_map(case, affine(20)) if layout == "file" else case
    extra = {"images": ct} if layout == "file" else {}
    with pytest.warns(UserWarning, match=r"ct\.nii\.gz: the image volume's affine \(square: \[\[0\.8, 0\.0, 0\.0, 0\.0\], "
                                         rf".* is not that of {'the label map' if layout == 'file' else 'the masks'} "
                                         r"\(sheared, 20\.0 degrees: \[\[0\.8, 0\.0, 0\.855, 0\.0\], .*: its voxels are "
                                         r"taken as the labels'"):
        scenes, report = read(path, 1, slice_images=tmp_path / "b", **extra)
    assert report.repairs["image_affines_unlike_labels"] == 1 and report.repairs["tilted_series_corrected"] == 1
    # the image corrected by the labels' tilt, as it was
    assert [scene_to_dict(s)["objects"] for s in scenes] == [scene_to_dict(s)["objects"] for s in before]
    for a, b in zip(scenes, before):
        assert a.image is not None and b.image is not None
        with Image.open(a.image) as png_a, Image.open(b.image) as png_b:
            assert np.array_equal(np.asarray(png_a), np.asarray(png_b))
    # square both, 2 mm apart: one voxel grid, unsaid
    square = folder(tmp_path / "s0002", affine(0), ct=True)
    moved = affine(0)
    moved[0, 3] = 2.0
    nib.save(nib.Nifti1Image(np.asanyarray(nib.load(str(square / "ct.nii.gz")).dataobj), moved),
             str(square / "ct.nii.gz"))
    path = label_map(square, affine(0)) if layout == "file" else square
    extra = {"images": square / "ct.nii.gz"} if layout == "file" else {}
    scenes, report = read(path, 1, slice_images=tmp_path / "c", **extra)
    assert scenes and all(s.image is not None for s in scenes) and "image_affines_unlike_labels" not in report.repairs
