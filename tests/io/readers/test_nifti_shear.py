"""NIfTI label maps of sheared affine (`_label_map_files.affine_shear`; reader option ``tilt``): a
CT series of tilted gantry converted without correction stores its axial images as they are, its
slice axis leaning off their normal. A box square in the patient (its sides along x, y and z)
then shows slanted edges on coronal slices (a tilt about y) or sagittal ones (about x); with
``tilt="correct"`` (the default) they are square within a pixel, with ``tilt="keep"`` the slices
are the stored ones, as before. A shear no tilt correction undoes (the images' own axes skewed, a
lean past 30 degrees) is kept and said. Axial slices, and files of square affines, are read as
before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

nib = pytest.importorskip("nibabel")  # in the test extra: never skipped by `make test`
pytest.importorskip("scipy")

from PIL import Image  # noqa: E402

from veriscene.errors import ReaderOptionError  # noqa: E402
from veriscene.io.readers._label_map_files import plane, squared_slice  # noqa: E402
from veriscene.scene.jsonl import scene_to_dict  # noqa: E402
from veriscene.scene.masks import decode_mask  # noqa: E402
from veriscene.scene.model import Scene  # noqa: E402

from .reader_helpers import read_all  # noqa: E402

SHAPE = (48, 44, 12)  # (x, y, z) voxels as stored: axial images of 48 x 44, 12 of them
PIXEL_MM, STEP_MM = 0.8, 2.5  # the images' pixel size, the slice step (along the leaning axis)
BOX_MM = ((14.0, 24.0), (13.0, 23.0), (5.0, 20.0))  # the box in the patient, x, y, z (mm): in every image


def affine(degrees: float, about: str = "y", skew: float = 0.0) -> np.ndarray:
    """(4, 4): axial images of PIXEL_MM square pixels stacked STEP_MM apart along an axis leaning
    by `degrees` from z, about y (into x) or x (into y); `skew` tilts the images' y axis into x."""
    t = np.radians(degrees)
    lean = [STEP_MM * np.sin(t), 0.0] if about == "y" else [0.0, STEP_MM * np.sin(t)]
    out = np.eye(4)
    out[:3, :3] = [[PIXEL_MM, PIXEL_MM * np.sin(np.radians(skew)), lean[0]],
                   [0.0, PIXEL_MM * np.cos(np.radians(skew)), lean[1]],
                   [0.0, 0.0, STEP_MM * np.cos(t)]]
    return out


def write(path: Path, matrix: np.ndarray, image: bool = False) -> Path:
    """The box as the file's voxels hold it (each voxel inside where its centre is)."""
    ijk = np.indices(SHAPE).reshape(3, -1)
    x, y, z = (matrix[:3, :3] @ ijk + matrix[:3, 3:]).reshape(3, *SHAPE)
    inside = np.ones(SHAPE, bool)
    for at, (low, high) in zip((x, y, z), BOX_MM):
        inside &= (at > low) & (at < high)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = inside.astype(np.float32) * 300 - 100 if image else inside.astype(np.uint8)
    nib.save(nib.Nifti1Image(data, matrix), str(path))
    return path


def slices(path: Path, axis: int, **options: Any) -> tuple[list[Scene], Any]:
    scenes, report = read_all(path, "label_map", axis=axis, **options)
    assert not report.entries
    return scenes, report


def mask_of(scene: Scene) -> np.ndarray:
    """The box's mask (rows, columns) bool: the scene's one object."""
    assert scene.masks is not None and len(scene.masks) == 1
    return decode_mask(scene.masks[0]).astype(bool)


def edge_spread(scene: Scene) -> tuple[int, int]:
    """How far the box's left and right edges move across its rows (pixels)."""
    mask = mask_of(scene)
    rows = [np.flatnonzero(r) for r in mask if r.any()]
    left, right = [int(r[0]) for r in rows], [int(r[-1]) for r in rows]
    return max(left) - min(left), max(right) - min(right)


def middle(scenes: list[Scene]) -> Scene:
    return scenes[len(scenes) // 2]


@pytest.mark.parametrize("degrees", [8, 20, 29])
@pytest.mark.parametrize(("about", "axis"), [("y", 1), ("x", 0)])  # coronal slices, sagittal slices
def test_slices_across_the_images_are_square_once_corrected(tmp_path: Path, degrees: float, about: str,
                                                             axis: int) -> None:
    path = write(tmp_path / "box.nii.gz", affine(degrees, about))
    kept, report_kept = slices(path, axis, tilt="keep")
    corrected, report = slices(path, axis)
    # the problem: as stored, edges slanted by the box's height (15 mm) times tan(tilt), in pixels
    slant = (BOX_MM[2][1] - BOX_MM[2][0]) * np.tan(np.radians(degrees)) / PIXEL_MM  # 2.6, 6.8, 10.4
    assert min(edge_spread(middle(kept))) >= int(slant) - 1
    for scene in corrected:
        assert max(edge_spread(scene)) <= 1
        assert scene.meta["tilt_corrected_degrees"] == pytest.approx(degrees, abs=0.01)
        assert "stored_slice" not in scene.meta  # resampled: no one slice of the file
    assert report.repairs["tilted_series_corrected"] == 1
    assert report_kept.repairs["tilted_series_kept"] == 1
    # the corrected voxel's height: the true step between the images, 2.5 cos t mm (2.5 mm as stored)
    unsquared, _ = slices(path, axis, square_pixels=False)
    true_step = round(STEP_MM * float(np.cos(np.radians(degrees))), 4)
    assert all(s.meta["pixel_size_mm"] == [PIXEL_MM, true_step] for s in unsquared)
    # the box's height (z) in mm: 25, its rows times their height, within a voxel
    scene = middle(corrected)
    rows = int(np.any(mask_of(scene), axis=1).sum())
    assert rows * scene.meta["pixel_size_mm"][1] == pytest.approx(BOX_MM[2][1] - BOX_MM[2][0], abs=true_step)
    # the box's width across the slice: 10 mm (x, y are 10 mm both), within a pixel each side
    cols = int(np.any(mask_of(scene), axis=0).sum())
    assert cols * scene.meta["pixel_size_mm"][0] == pytest.approx(10.0, abs=2 * PIXEL_MM)


def test_keep_reads_the_stored_slices(tmp_path: Path) -> None:
    """tilt="keep": each slice is the file's, squared as before, its shear said."""
    path = write(tmp_path / "box.nii.gz", affine(20))
    kept, _ = slices(path, 1, tilt="keep")
    canonical = np.asanyarray(nib.as_closest_canonical(nib.load(str(path))).dataobj)
    for scene in kept:
        assert scene.meta["tilt_kept_degrees"] == pytest.approx(20, abs=0.01)
        meta = {"pixel_size_mm": [PIXEL_MM, STEP_MM]}  # the stored voxel: its column norms
        assert scene.meta["stored_slice"] == [1, scene.meta["slice"]]
        expected, _ = squared_slice(meta, plane(canonical, 1, scene.meta["slice"], True))
        assert np.array_equal(mask_of(scene), expected == 1)
        assert scene.meta["pixel_size_mm"] == meta["pixel_size_mm"]


def test_axial_slices_are_the_same_as_of_a_square_file(tmp_path: Path) -> None:
    """The images' own plane is never resampled: an axial slice of the sheared file is the
    axial slice of the same voxels under a square affine, meta and all (no tilt said)."""
    sheared = write(tmp_path / "a" / "box.nii.gz", affine(20))
    voxels = np.asanyarray(nib.load(str(sheared)).dataobj)
    square = tmp_path / "b" / "box.nii.gz"
    square.parent.mkdir()
    nib.save(nib.Nifti1Image(voxels, affine(0)), str(square))

    def dicts(path: Path, **options: Any) -> list[dict[str, Any]]:
        scenes, report = slices(path, 2, **options)
        assert not any("tilt" in kind or "shear" in kind for kind in report.repairs)
        out = [scene_to_dict(s) for s in scenes]
        for d in out:
            d["meta"].pop("label_map")
        return out

    base = dicts(square)
    assert base and dicts(sheared) == base and dicts(sheared, tilt="keep") == base
    assert not any("tilt" in key for d in base for key in d["meta"])


@pytest.mark.parametrize("matrix", [
    affine(0),
    # turned (oblique, yet square: no shear), its float32 sform carrying rounding of 1e-8
    np.array([[0.8 * np.cos(0.3), -0.8 * np.sin(0.3), 0, 0], [0.8 * np.sin(0.3), 0.8 * np.cos(0.3), 0, 0],
              [0, 0, 2.5, 0], [0, 0, 0, 1]]),
])
def test_square_affines_are_read_as_they_are(tmp_path: Path, matrix: np.ndarray) -> None:
    path = write(tmp_path / "box.nii.gz", matrix)
    for axis in (0, 1):
        corrected, report = slices(path, axis)
        kept, _ = slices(path, axis, tilt="keep")
        assert [scene_to_dict(s) for s in corrected] == [scene_to_dict(s) for s in kept]
        assert all("stored_slice" in s.meta and not any("tilt" in k for k in s.meta) for s in corrected)
        assert not any("tilt" in kind or "shear" in kind for kind in report.repairs)


def test_a_skew_of_the_images_is_kept_and_said(tmp_path: Path) -> None:
    """The images' own axes skewed (not a tilt): no slice is corrected, every one says it."""
    path = write(tmp_path / "skew.nii.gz", affine(10, skew=12))
    for axis in (1, 2):
        with pytest.warns(UserWarning, match=r"skew\.nii\.gz: sheared affine, 12 degrees, not corrected: "
                                             r"the images' own axes are 12\.0 degrees off square"):
            scenes, report = slices(path, axis)
        with pytest.warns(UserWarning, match="not corrected"):
            kept, _ = slices(path, axis, tilt="keep")
        assert report.repairs["sheared_affines_not_corrected"] == 1
        assert "tilted_series_corrected" not in report.repairs
        assert all(s.meta["tilt_kept_degrees"] == 12 for s in scenes)
        assert [scene_to_dict(s) for s in scenes] == [scene_to_dict(s) for s in kept]


def test_a_lean_past_a_gantry_tilt_is_kept_and_said(tmp_path: Path) -> None:
    path = write(tmp_path / "lean.nii.gz", affine(40))
    with pytest.warns(UserWarning, match=r"lean\.nii\.gz: sheared affine, 40 degrees, not corrected: its slices "
                                         r"lean more than a gantry tilts \(30 degrees\)"):
        scenes, report = slices(path, 1)
    assert report.repairs["sheared_affines_not_corrected"] == 1
    assert all(s.meta["tilt_kept_degrees"] == 40 and "stored_slice" in s.meta for s in scenes)
    axial, report = slices(path, 2)  # the images themselves: square, nothing to say
    assert not any("tilt" in k for s in axial for k in s.meta) and "sheared_affines_not_corrected" not in report.repairs


def test_the_image_volume_is_corrected_with_its_labels(tmp_path: Path) -> None:
    labels = write(tmp_path / "labels" / "box.nii.gz", affine(20))
    image = write(tmp_path / "images" / "box.nii.gz", affine(20), image=True)
    scenes, _ = slices(labels, 1, images=image, slice_images=tmp_path / "png")
    for scene in scenes:
        assert scene.image is not None
        mask = mask_of(scene)
        with Image.open(scene.image) as png:
            pixels = np.asarray(png)
        assert pixels.shape == mask.shape
        assert pixels[mask].mean() > pixels[~mask].mean() + 100  # the box bright where its mask is
        assert max(edge_spread(scene)) <= 1


def test_tilt_option_is_checked(tmp_path: Path) -> None:
    path = write(tmp_path / "box.nii.gz", affine(20))
    with pytest.raises(ReaderOptionError, match="tilt must be one of"):
        read_all(path, "label_map", tilt="straighten")
