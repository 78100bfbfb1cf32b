"""The medical readers on real files: the DICOM test files pydicom ships (a real RT Structure Set
stored without the DICOM preamble, a real liver SEG, CT and MR images in several transfer syntaxes,
a truncated MR) and the NIfTI volumes nibabel ships (intensity images, 4D series, a CIFTI-2 file).
Each is found in its installed package; none is copied into the repository. Files derived from
them (a series around the real structure set, an image written without its preamble) are written
to the test's temporary folder."""

from __future__ import annotations

import io
import shutil
import warnings
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("highdicom")
nib = pytest.importorskip("nibabel")
pydicom = pytest.importorskip("pydicom")
pytest.importorskip("scipy")

from PIL import Image  # noqa: E402
from pydicom.data import get_testdata_file  # noqa: E402
from pydicom.sr.codedict import codes  # noqa: E402

from tests.io.readers.dicom_builders import description, write_rtstruct, write_seg  # noqa: E402
from veriscene.io.readers import detect, read  # noqa: E402
from veriscene.io.readers._windows import PERCENTILE  # noqa: E402
from veriscene.io.readers.detect import FormatDetectionError  # noqa: E402
from veriscene.io.rejects import RejectReport  # noqa: E402
from veriscene.scene.masks import decode_mask  # noqa: E402

NIBABEL_DATA = Path(nib.__file__).parent / "tests" / "data"
# the frame of reference and series the real structure set (pydicom's rtstruct.dcm) names
RT_FRAME = "1.2.826.0.1.3680043.8.498.2010020400001.2"
RT_SERIES = "1.2.826.0.1.3680043.8.498.2010020400001.2.1.1"


def pydicom_file(name: str) -> Path:
    found = get_testdata_file(name)
    if found is None:
        pytest.skip(f"pydicom's test file {name} is not installed")
    return Path(found)


def nibabel_file(name: str) -> Path:
    path = NIBABEL_DATA / name
    if not path.is_file():
        pytest.skip(f"nibabel's test file {name} is not installed")
    return path


def read_all(path: Path, fmt: str, **options: Any) -> tuple[list[Any], RejectReport]:
    report = RejectReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom's about the test files' own oddities
        return list(read(path, fmt, report=report, **options)), report


def bare(dataset: Any, path: Path) -> Path:
    """`dataset` written without the 128-byte preamble, 'DICM' marker and file meta: the bare data
    set older systems store (as pydicom's rtstruct.dcm is)."""
    from pydicom.filebase import DicomFileLike
    from pydicom.filewriter import write_dataset

    buffer = io.BytesIO()
    out = DicomFileLike(buffer)
    out.is_little_endian, out.is_implicit_VR = True, True
    write_dataset(out, dataset)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return path


# ---- DICOM RT Structure Set: pydicom's rtstruct.dcm (a bare data set, no preamble) -----------


def series_for_the_real_structure_set(folder: Path) -> None:
    """Three axial slices at z -200, -190, -180 mm (the planes of rtstruct.dcm's "patient"
    contours) in its frame of reference and series, made from the real CT_small.dcm's header and
    pixels: 128 x 128 pixels of 4 mm, the first centred at (-256, -256) mm."""
    for k, z in enumerate((-200.0, -190.0, -180.0)):
        ds = pydicom.dcmread(pydicom_file("CT_small.dcm"))
        ds.FrameOfReferenceUID, ds.SeriesInstanceUID = RT_FRAME, RT_SERIES
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = f"{RT_SERIES}.{k + 1}"
        ds.ImagePositionPatient, ds.PixelSpacing, ds.SliceThickness = [-256.0, -256.0, z], [4.0, 4.0], 10.0
        ds.InstanceNumber = k + 1
        folder.mkdir(parents=True, exist_ok=True)
        ds.save_as(folder / f"ct{k}.dcm")


def test_a_real_structure_set_without_preamble_is_read_and_filled_on_its_series(tmp_path: Path) -> None:
    shutil.copy(pydicom_file("rtstruct.dcm"), tmp_path / "rtstruct.dcm")
    series_for_the_real_structure_set(tmp_path / "ct")
    assert detect(tmp_path / "rtstruct.dcm")[0] == "dicom_rt"
    # its one contoured region is the body outline ("patient", EXTERNAL): read with rois=all
    scenes, report = read_all(tmp_path / "rtstruct.dcm", "dicom_rt", images=tmp_path / "ct", rois="all")
    assert report.entries == []
    # the box -200..200 mm (x) by -150..150 mm (y) on 4 mm pixels from -256 mm: columns 14-113
    # (pixel centres on its left edge inside, on its right edge outside), rows 26.5-101.5: 27-101
    assert [s.meta["slice"] for s in scenes] == [0, 1, 2]
    for scene in scenes:
        assert list(scene.names) == ["patient"] and (scene.width, scene.height) == (128, 128)
        assert scene.boxes.tolist() == [[14.0, 27.0, 114.0, 102.0]]
        expected = np.zeros((128, 128), bool)
        expected[27:102, 14:114] = True
        assert np.array_equal(decode_mask(scene.masks[0]).astype(bool), expected)
        assert scene.meta["pixel_size_mm"] == [4.0, 4.0]
        assert scene.meta["rt_roi_types"] == ["EXTERNAL"] and scene.meta["rt_targets"] == []
    assert report.repairs["contours_not_closed_planar"] == 2  # the two isocentres, POINT contours


def test_a_real_structure_set_holding_no_anatomy_is_a_reject_naming_what_was_left_out(tmp_path: Path) -> None:
    """rtstruct.dcm's ROIs are the body outline ("patient", EXTERNAL) and two isocentres
    (ISOCENTER): no anatomy, so by default no scene, and the reject says which and how to keep them."""
    shutil.copy(pydicom_file("rtstruct.dcm"), tmp_path / "rtstruct.dcm")
    series_for_the_real_structure_set(tmp_path / "ct")
    scenes, report = read_all(tmp_path / "rtstruct.dcm", "dicom_rt", images=tmp_path / "ct")
    assert scenes == []
    (reject,) = report.entries
    assert reject.level == "file" and reject.field == "RTROIInterpretedType"
    assert "'patient' (ROI 1, EXTERNAL), 'Isocenter 1' (ROI 2, ISOCENTER)" in reject.reason
    assert "-r rois=all" in reject.reason
    assert report.repairs["rt_rois_left_out_body_outline"] == 1
    assert report.repairs["rt_rois_left_out_isocenter"] == 2


def test_a_real_structure_set_without_its_series_is_a_reject_naming_its_frame(tmp_path: Path) -> None:
    shutil.copy(pydicom_file("rtstruct.dcm"), tmp_path / "rtstruct.dcm")
    shutil.copy(pydicom_file("CT_small.dcm"), tmp_path / "CT_small.dcm")  # another frame of reference
    scenes, report = read_all(tmp_path, "dicom_rt", rois="all")
    assert scenes == []
    (reject,) = report.entries
    assert reject.file == str(tmp_path / "rtstruct.dcm") and reject.field == "images"
    assert f"no image of frame of reference {RT_FRAME} under {tmp_path}" in reject.reason


def nicom_series(folder: Path) -> list[Any]:
    """nibabel's nicom 0.dcm and 1.dcm (two slices 3 mm apart of a Siemens MR series tilted by
    0.3 degrees, positions stepping along z) copied to `folder`, read."""
    source = Path(nib.__file__).parent / "nicom" / "tests" / "data"
    if not (source / "0.dcm").is_file():
        pytest.skip("nibabel's nicom test files are not installed")
    folder.mkdir(parents=True)
    for name in ("0.dcm", "1.dcm"):
        shutil.copy(source / name, folder / name)
    return [pydicom.dcmread(folder / name) for name in ("0.dcm", "1.dcm")]


def tilted_ct_series(folder: Path, slices: int = 20, degrees: float = 1.0) -> list[Any]:
    """CT_small.dcm's image repeated as a series whose planes are tilted by `degrees` about the
    patient's left-right axis while their positions step 3 mm along z (as a scanner stacks a
    tilted acquisition): each image lies 3 mm x sin(tilt) further along its columns than the last."""
    tilt = np.radians(degrees)
    folder.mkdir(parents=True)
    out = []
    for k in range(slices):
        ds = pydicom.dcmread(pydicom_file("CT_small.dcm"))
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, float(np.cos(tilt)), float(-np.sin(tilt))]
        ds.ImagePositionPatient = [-40.0, -40.0, 3.0 * k]
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = f"{ds.SeriesInstanceUID}.{k + 1}"
        ds.InstanceNumber = k + 1
        ds.save_as(folder / f"ct{k:02d}.dcm")
        out.append(ds)
    return out


@pytest.mark.parametrize("make, drawn_on", [(nicom_series, [0, 1]), (tilted_ct_series, [0, 19]),
                                            (partial(tilted_ct_series, degrees=15.0), [0, 19])])
def test_contours_of_a_tilted_series_are_filled_on_their_own_images(make: Any, drawn_on: list[int],
                                                                     tmp_path: Path) -> None:
    """A polygon whose vertices are pixel centres of the image it was drawn on covers those pixels
    of that image. highdicom models the series as a volume whose slices lie along the planes'
    normal, each image's own position shifted from it in its plane (0.0087 pixels for the real MR;
    for the 1-degree CT, up to 7.8 pixels across 100 slices): before, the contours were placed by
    the model, one row off on the real MR's first image and off by rows on the CT's far slices. A
    series tilted 15 degrees (past highdicom's 2.5) was refused as "not a regularly-spaced volume"."""
    source = make(tmp_path / "series")
    square, hole = [(20, 30), (60, 30), (60, 50), (20, 50)], [(30, 35), (40, 35), (40, 40), (30, 40)]
    first, last = drawn_on
    write_rtstruct(tmp_path / "rt.dcm", source, [("Liver", {first: [square, hole], last: [square]})])
    scenes, report = read_all(tmp_path / "rt.dcm", "dicom_rt", images=tmp_path / "series", square_pixels=False)
    assert report.entries == [] and len(scenes) == 2
    for scene in scenes:  # axial, identity orientation: shown as stored; slice k is image k (the lowest first)
        has_hole = scene.meta["slice"] == first
        expected = np.zeros((source[0].Rows, source[0].Columns), bool)
        expected[30:50, 20:60] = True
        if has_hole:
            expected[35:40, 30:40] = False
        assert np.array_equal(decode_mask(scene.masks[0]).astype(bool), expected)


@pytest.mark.parametrize("name, fmt, said", [
    ("CT_small.dcm", "dicom_rt", r"CT Image Storage \(Modality CT\) file, not one of the DICOM RT Structure Set"),
    ("rtdose.dcm", "dicom_rt", r"RT Dose Storage \(Modality RTDOSE\) file, not one of"),
    ("liver_1frame.dcm", "dicom_rt", r"not one of the DICOM RT .*\(read it with --from dicom_seg\)"),
    ("rtstruct.dcm", "dicom_seg", r"RT Structure Set Storage .*not one of the DICOM Segmentation .*--from dicom_rt"),
    ("MR_small.dcm", "dicom_seg", r"MR Image Storage \(Modality MR\) file, not one of the DICOM Segmentation"),
])
def test_a_dicom_file_of_another_kind_is_refused_saying_what_it_is(name: str, fmt: str, said: str) -> None:
    with pytest.raises(FormatDetectionError, match=said):
        read_all(pydicom_file(name), fmt)


def test_a_ct_image_or_series_given_to_auto_detection_is_said_to_be_images(tmp_path: Path) -> None:
    """Before, "cannot tell the annotation format from its first 1024 KiB; pass --from FORMAT"."""
    with pytest.raises(FormatDetectionError, match=r"CT_small.dcm: a DICOM CT Image Storage \(Modality CT\) file, "
                                                   r"not annotations; .*--from dicom_seg.*--from dicom_rt"):
        detect(pydicom_file("CT_small.dcm"))
    shutil.copy(pydicom_file("CT_small.dcm"), tmp_path / "1.2.840.113619.2.55.3.1")  # named by its UID
    with pytest.raises(FormatDetectionError, match=r"a folder of DICOM files holding no Segmentation \(SEG\) or RT "
                                                   r"Structure Set \(RTSTRUCT\) \(1.2.840.113619.2.55.3.1: a DICOM CT"):
        detect(tmp_path)


# ---- DICOM SEG: pydicom's liver_1frame.dcm, and SEG objects over its real images --------------


def test_a_real_seg_gives_the_mask_pydicom_reads(tmp_path: Path) -> None:
    path = Path(shutil.copy(pydicom_file("liver_1frame.dcm"), tmp_path / "liver.dcm"))
    pixels = pydicom.dcmread(path).pixel_array.astype(bool)  # one frame, axial, identity orientation
    (scene,), report = read_all(path, "dicom_seg")
    assert list(scene.names) == ["liver"] and report.entries == []
    assert np.array_equal(decode_mask(scene.masks[0]).astype(bool), pixels)
    rows, cols = np.nonzero(pixels)
    assert scene.boxes.tolist() == [[cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]]
    assert scene.meta["pixel_size_mm"] == [0.8105, 0.8105]
    assert report.repairs["series_not_found"] == 1  # its CT series is not shipped


def seg_over(image: Path, folder: Path) -> tuple[Path, np.ndarray]:
    """A SEG of one block over the real image `image` (copied to `folder/series/`) and the block."""
    ds = pydicom.dcmread(image)
    try:
        pixels = ds.pixel_array
    except (RuntimeError, ValueError, NotImplementedError) as exc:  # no plugin installed for its compression
        pytest.skip(f"pydicom cannot decode {image.name} here: {exc}")
    (folder / "series").mkdir(parents=True)
    shutil.copy(image, folder / "series" / image.name)
    rows, cols = pixels.shape
    block = np.zeros((1, rows, cols), bool)
    block[0, rows // 4: rows // 2, cols // 8: cols // 2] = True
    return write_seg(folder / "seg.dcm", [ds], block, [description(1, "Liver", codes.SCT.Liver)]), block[0]


@pytest.mark.parametrize("name", [
    "CT_small.dcm", "MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "MR_small_RLE.dcm",
    "MR_small_jpeg_ls_lossless.dcm", "MR_small_jp2klossless.dcm",
])
def test_slices_of_real_images_are_their_pixels(name: str, tmp_path: Path) -> None:
    """The slice PNG of a real CT or MR image (uncompressed, big endian, RLE, JPEG-LS, JPEG 2000)
    is its pixels as pydicom decodes them, rescaled and stretched (axial, identity orientation:
    shown as stored), and the SEG's block lies where it was drawn."""
    image = pydicom_file(name)
    seg, block = seg_over(image, tmp_path)
    (scene,), report = read_all(seg, "dicom_seg", images=tmp_path / "series", slice_images=tmp_path / "png")
    assert report.entries == []
    ds = pydicom.dcmread(image)
    values = ds.pixel_array * float(ds.get("RescaleSlope", 1)) + float(ds.get("RescaleIntercept", 0))
    assert np.array_equal(np.asarray(Image.open(scene.image)), PERCENTILE.to_8bit(values))
    assert np.array_equal(decode_mask(scene.masks[0]).astype(bool), block)
    assert scene.meta["modality"] == ds.Modality


def test_slices_of_a_real_image_in_jpeg_lossless_are_its_pixels(tmp_path: Path) -> None:
    """JPEG Lossless (process 14, selection value 1), the compression most archives keep CT and MR
    in: MR_small.dcm re-encoded by GDCM, which the `dicom` extra installs to decode it (pydicom's
    own plugins and Pillow do not). Before, every image of such a series was a reject."""
    gdcm = pytest.importorskip("gdcm")  # in the dicom extra: never skipped by `make test`
    reader = gdcm.ImageReader()
    reader.SetFileName(str(pydicom_file("MR_small.dcm")))
    assert reader.Read()
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.JPEGLosslessProcess14_1))
    change.SetInput(reader.GetImage())
    assert change.Change()
    writer = gdcm.ImageWriter()
    writer.SetFileName(str(tmp_path / "MR_small_jpeg_lossless.dcm"))
    writer.SetFile(reader.GetFile())
    writer.SetImage(change.GetOutput())
    assert writer.Write()
    image = tmp_path / "MR_small_jpeg_lossless.dcm"
    assert pydicom.dcmread(image).file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.70"
    seg, block = seg_over(image, tmp_path / "run")
    (scene,), report = read_all(seg, "dicom_seg", images=tmp_path / "run" / "series", slice_images=tmp_path / "png")
    assert report.entries == []
    original = pydicom.dcmread(pydicom_file("MR_small.dcm")).pixel_array.astype(np.float64)
    assert np.array_equal(np.asarray(Image.open(scene.image)), PERCENTILE.to_8bit(original))
    assert np.array_equal(decode_mask(scene.masks[0]).astype(bool), block)


def test_a_seg_over_a_real_tilted_mr_series_is_placed_on_it(tmp_path: Path) -> None:
    """nibabel's nicom 0.dcm and 1.dcm: two slices 3 mm apart of a Siemens MR series tilted by
    0.3 degrees, each keeping its window (468, 1016). Its SEG's slice spacing (2.999958 mm) and
    the series' (2.999916 mm) differ past highdicom's default tolerance: before, the SEG was a
    reject ("Non-integer scale factor required.")."""
    source = nicom_series(tmp_path / "series")
    block = np.zeros((2, 256, 256), bool)
    block[:, 64:128, 32:128] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # highdicom's, of the file's one-word patient name
        seg = write_seg(tmp_path / "seg.dcm", source, block, [description(1, "Liver", codes.SCT.Liver)])
    scenes, report = read_all(seg, "dicom_seg", images=tmp_path / "series", slice_images=tmp_path / "png",
                              window="stored")
    assert report.entries == [] and [s.meta["slice"] for s in scenes] == [0, 1]  # 0.dcm is the lower (z -75.1 mm)
    for scene, ds in zip(scenes, source):
        assert np.array_equal(decode_mask(scene.masks[0]).astype(bool), block[0])
        assert scene.meta["window"] == {"name": "stored", "width": 1016.0, "level": 468.0, "from": "dicom_window"}
        # DICOM's LINEAR window: (x - (c - 0.5)) / (w - 1) + 0.5, clipped to 0..1
        x = ds.pixel_array * float(ds.get("RescaleSlope", 1)) + float(ds.get("RescaleIntercept", 0))
        expected = np.round(np.clip((x - 467.5) / 1015.0 + 0.5, 0.0, 1.0) * 255.0)
        assert np.array_equal(np.asarray(Image.open(scene.image)), expected)


def test_an_image_stored_without_preamble_is_read_into_its_series(tmp_path: Path) -> None:
    seg, _ = seg_over(pydicom_file("CT_small.dcm"), tmp_path)
    ds = pydicom.dcmread(tmp_path / "series" / "CT_small.dcm")
    (tmp_path / "series" / "CT_small.dcm").unlink()
    bare(ds, tmp_path / "series" / "CT_small.dcm")
    (scene,), report = read_all(seg, "dicom_seg", images=tmp_path / "series", slice_images=tmp_path / "png")
    assert report.entries == []
    hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    assert np.array_equal(np.asarray(Image.open(scene.image)), PERCENTILE.to_8bit(hu))


def test_a_truncated_image_of_the_series_is_named(tmp_path: Path) -> None:
    """MR_truncated.dcm is MR_small.dcm cut short in its pixel data: the reject names it, not only the SEG."""
    seg, _ = seg_over(pydicom_file("MR_small.dcm"), tmp_path)
    (tmp_path / "series" / "MR_small.dcm").unlink()
    shutil.copy(pydicom_file("MR_truncated.dcm"), tmp_path / "series" / "MR_truncated.dcm")
    for images in (tmp_path / "series", None):  # given, or found beside the SEG
        if images is None:
            shutil.move(seg, tmp_path / "series" / "seg.dcm")
            seg = tmp_path / "series" / "seg.dcm"
        scenes, report = read_all(seg, "dicom_seg", images=images, slice_images=tmp_path / "png")
        (reject,) = report.entries
        assert scenes == [] and reject.file == str(seg) and reject.field == "PixelData"
        assert reject.reason.startswith(f"image {tmp_path / 'series' / 'MR_truncated.dcm'} of series ")
        assert "series_not_found" not in report.repairs


def test_two_copies_of_one_image_in_the_series_are_named(tmp_path: Path) -> None:
    """MR_small.dcm and MR_small_RLE.dcm are one image (one SOP Instance UID) in two encodings."""
    seg, _ = seg_over(pydicom_file("MR_small.dcm"), tmp_path)
    shutil.copy(pydicom_file("MR_small_RLE.dcm"), tmp_path / "series" / "MR_small_RLE.dcm")
    scenes, report = read_all(seg, "dicom_seg", images=tmp_path / "series")
    (reject,) = report.entries
    assert scenes == [] and reject.field == "SOPInstanceUID"
    assert (f"{tmp_path / 'series' / 'MR_small.dcm'} and {tmp_path / 'series' / 'MR_small_RLE.dcm'} are the same "
            "image of series") in reject.reason


# ---- label maps: nibabel's NIfTI volumes ----------------------------------------------------------


def test_a_real_binary_volume_is_sliced_as_nibabel_reads_it() -> None:
    """standard.nii.gz: 4 x 5 x 7 voxels of 1 x 3 x 2 mm, RAS, 0 and 255. Each axial slice is
    shown radiologically (rows from anterior, columns from the patient's right) and resampled to
    square pixels of 1 mm (each row of voxels three rows of pixels)."""
    path = nibabel_file("standard.nii.gz")
    volume = np.asanyarray(nib.as_closest_canonical(nib.load(path)).dataobj)
    scenes, report = read_all(path, "label_map")
    assert report.entries == []
    kept = [k for k in range(volume.shape[2]) if np.count_nonzero(volume[:, :, k]) * 3 >= 10]  # min_pixels
    assert [s.meta["slice"] for s in scenes] == kept
    for scene in scenes:
        expected = np.repeat(volume[::-1, ::-1, scene.meta["slice"]].T != 0, 3, axis=0)
        assert np.array_equal(decode_mask(scene.masks[0]).astype(bool), expected)
        assert list(scene.names) == ["label 255"] and scene.meta["resampled_from"] == [4, 5]


def test_a_cifti_file_is_a_reject_and_the_folder_is_read(tmp_path: Path) -> None:
    """row_major.dconn.nii is a CIFTI-2 dense connectivity file (.nii, but no voxel grid): before,
    nibabel's AttributeError ended the whole run."""
    shutil.copy(nibabel_file("row_major.dconn.nii"), tmp_path / "row_major.dconn.nii")
    shutil.copy(nibabel_file("standard.nii.gz"), tmp_path / "standard.nii.gz")
    scenes, report = read_all(tmp_path, "label_map")
    assert {s.meta["label_map"] for s in scenes} == {str(tmp_path / "standard.nii.gz")}
    (reject,) = report.entries
    assert reject.file == str(tmp_path / "row_major.dconn.nii") and reject.field == "pixels"
    assert reject.reason.startswith("a CIFTI-2 file (intent ConnDense, shape (10, 10)), not a volume")


def first_volume_of_example4d(tmp_path: Path) -> Path:
    """The first volume of example4d.nii.gz (an MR series, int16, 0 to 1162) as a 3D NIfTI."""
    img = nib.load(nibabel_file("example4d.nii.gz"))
    out = tmp_path / "mr.nii.gz"
    nib.save(nib.Nifti1Image(np.asanyarray(img.dataobj)[..., 0], img.affine), out)
    return out


def ct_small_pixels(tmp_path: Path) -> Path:
    """CT_small.dcm's stored pixel values (0 to 2191, before the rescale to HU) as a 2D array."""
    out = tmp_path / "ct.npy"
    np.save(out, pydicom.dcmread(pydicom_file("CT_small.dcm")).pixel_array)
    return out


@pytest.mark.parametrize("make", [first_volume_of_example4d, ct_small_pixels])
def test_an_intensity_image_given_as_a_label_map_is_a_reject(make: Any, tmp_path: Path) -> None:
    """An image of non-negative integers read as labels gave hundreds of "label 523" structures
    (example4d's first volume: 24 scenes, 4,684 objects, exit 0)."""
    path = make(tmp_path)
    scenes, report = read_all(path, "label_map")
    (reject,) = report.entries
    assert scenes == [] and reject.field == "pixels"
    assert reject.reason.startswith("an intensity image, not a label map: ")


@pytest.mark.parametrize("name, said", [
    ("anatomical.nii", "the label map holds a negative label (-610)"),
    ("functional.nii", "expected a 2D map or a 3D volume, got an array of shape (17, 21, 3, 20)"),
    ("example_nifti2.nii.gz", "expected a 2D map or a 3D volume, got an array of shape (32, 20, 12, 2)"),
    ("reoriented_anat_moved.nii", "the label map holds values that are not integers"),
])
def test_other_real_images_given_as_label_maps_are_rejects_saying_why(name: str, said: str) -> None:
    scenes, report = read_all(nibabel_file(name), "label_map")
    (reject,) = report.entries
    assert scenes == [] and reject.reason == said and reject.file == str(nibabel_file(name))


def test_a_resampled_mr_is_not_taken_for_a_ct(tmp_path: Path) -> None:
    """anatomical.nii, an MR normalised by SPM, undershoots to -610 in 3 of its 33,825 voxels:
    before, that one value made it a CT ("hounsfield_values"), shown through a CT window (white)."""
    image = nibabel_file("anatomical.nii")
    img = nib.load(image)
    values = np.asanyarray(img.dataobj)
    labels = np.where(values > 12000, 1, np.where(values > 9000, 2, 0)).astype(np.uint8)
    nib.save(nib.Nifti1Image(labels, img.affine), tmp_path / "anatomical.nii.gz")
    scenes, report = read_all(tmp_path / "anatomical.nii.gz", "label_map", images=image,
                              slice_images=tmp_path / "png", window="soft_tissue")
    assert scenes and report.entries == []
    assert {(s.meta["modality"], s.meta["window"]["name"]) for s in scenes} == {(None, "percentile")}
    assert report.repairs["volumes_not_in_hounsfield_units"] == 1
    canonical = np.asanyarray(nib.as_closest_canonical(img).dataobj)  # stored L to R: turned
    for scene in scenes:
        plane = canonical[::-1, ::-1, scene.meta["slice"]].T
        for value, mask in zip(scene.meta["object_ids"], scene.masks):
            structure = plane > 12000 if value == "1" else (plane > 9000) & (plane <= 12000)
            assert np.array_equal(decode_mask(mask).astype(bool), structure)
