"""DICOM SEG reader: synthetic CT series and SEG objects written with pydicom and highdicom in the
test, read back through highdicom into slice scenes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest

pytest.importorskip("highdicom")
pytest.importorskip("nibabel")
pytest.importorskip("scipy")

from PIL import Image  # noqa: E402
from pydicom.dataset import Dataset  # noqa: E402
from pydicom.sr.codedict import codes  # noqa: E402

from tests.io.readers.dicom_builders import ct_series, description, write_seg  # noqa: E402

from veriscene.io.convert import convert  # noqa: E402
from veriscene.io.readers import detect, read  # noqa: E402
from veriscene.io.readers.dicom_seg import read_dicom_seg, segment_name  # noqa: E402
from veriscene.io.rejects import RejectReport  # noqa: E402
from veriscene.scene.jsonl import scene_to_dict  # noqa: E402
from veriscene.scene.masks import decode_mask  # noqa: E402

ROWS, COLS, SLICES = 32, 40, 6


def abdomen_mask() -> np.ndarray:
    """(slices, rows, columns, 3): a liver on slices 1-4, a lesion inside it on slices 2-3, a left
    kidney on slice 4 (in the array's own rows and columns)."""
    mask = np.zeros((SLICES, ROWS, COLS, 3), dtype=bool)
    mask[1:5, 5:20, 5:25, 0] = True
    mask[2:4, 8:12, 8:12, 1] = True
    mask[4, 22:30, 28:36, 2] = True
    return mask


ABDOMEN = [
    ("Liver", codes.SCT.Liver, None),
    ("Tumour 1", codes.SCT.Lesion, None),
    ("kidney_left", codes.SCT.Kidney, ("7771000", "SCT", "Left")),
]


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("dicom")
    source = ct_series(root / "ct")
    seg = write_seg(root / "seg" / "abdomen.dcm", source, abdomen_mask(),
                    [description(k + 1, label, kind, mod) for k, (label, kind, mod) in enumerate(ABDOMEN)])
    return seg, root / "ct"


def scenes_of(path: Path, **options: object) -> tuple[list[dict], RejectReport]:
    """The scenes on the series' own pixel grid (its pixels are 0.7 x 0.8 mm: `square_pixels`
    would resample them; see test_non_square_pixels_are_resampled)."""
    report = RejectReport()
    options.setdefault("square_pixels", False)
    scenes = [scene_to_dict(s) for s in read(path, "dicom_seg", report=report, **options)]
    return scenes, report


def test_slices_objects_relations_and_images(study: tuple[Path, Path], tmp_path: Path) -> None:
    seg, ct = study
    scenes, report = scenes_of(seg, images=ct, slice_images=tmp_path / "slices")
    assert [s["image_id"] for s in scenes] == [f"abdomen_z{k:04d}" for k in (1, 2, 3, 4)]
    assert report.repairs["empty_slices_skipped"] == 2
    names = [[o["name"] for o in s["objects"]] for s in scenes]
    assert names == [["liver"], ["liver", "lesion"], ["liver", "lesion"], ["liver", "left kidney"]]
    liver, lesion = scenes[1]["objects"]
    # the image is shown as stored (axial, identity orientation is already the radiological view)
    assert liver["box"] == [5.0, 5.0, 25.0, 20.0] and lesion["box"] == [8.0, 8.0, 12.0, 12.0]
    assert decode_mask(lesion["mask"]).sum() == 16
    assert [1, "surrounded by", 0] in scenes[1]["relations"] and [0, "surrounded by", 1] not in scenes[1]["relations"]
    meta = scenes[1]["meta"]
    assert meta["orientation"] == "radiological" and meta["slice"] == 2 and meta["dicom_seg"] == str(seg)
    # PixelSpacing [0.8, 0.7] is (between rows, between columns): pixels 0.7 mm wide, 0.8 tall
    assert meta["plane"] == "axial" and meta["pixel_size_mm"] == [0.7, 0.8]
    assert meta["exhaustive"] == ["left kidney", "lesion", "liver"]  # the SEG's segments, not all a CT shows
    assert meta["single"] == ["left kidney", "liver"]  # one object each by construction; lesions split
    picture = np.asarray(Image.open(scenes[1]["image"]))
    assert picture.shape == (ROWS, COLS)
    bright = np.argwhere(picture == picture.max())
    assert bright.min(axis=0).tolist() == [2, 30] and bright.max(axis=0).tolist() == [5, 33]


def test_without_the_series_scenes_span_the_seg(study: tuple[Path, Path]) -> None:
    seg, _ = study
    scenes, report = scenes_of(seg)  # the series is not beside the SEG
    assert len(scenes) == 4 and all(s["image"] is None for s in scenes)
    assert report.repairs["series_not_found"] == 1
    assert report.repairs["scenes_without_image"] == 4
    assert scenes[0]["objects"][0]["box"] == [5.0, 5.0, 25.0, 20.0]


def test_names_from_labels(study: tuple[Path, Path]) -> None:
    seg, _ = study
    scenes, _ = scenes_of(seg, names="label")
    assert [o["name"] for o in scenes[3]["objects"]] == ["liver", "left kidney"]
    assert [o["name"] for o in scenes[1]["objects"]] == ["liver", "tumour 1"]


def test_segment_name_falls_back() -> None:
    item = Dataset()
    item.SegmentNumber, item.SegmentLabel = 3, "Spleen"
    assert segment_name(item, "type") == "Spleen"
    empty = Dataset()
    empty.SegmentNumber = 4
    assert segment_name(empty, "label") == "segment 4"


def test_flipped_rows_are_turned_to_the_radiological_view(tmp_path: Path) -> None:
    source = ct_series(tmp_path / "ct", orientation=(-1, 0, 0, 0, 1, 0))  # columns run to the patient's right
    mask = np.zeros((SLICES, ROWS, COLS, 1), dtype=bool)
    mask[2, 5:20, 5:25, 0] = True
    seg = write_seg(tmp_path / "seg.dcm", source, mask, [description(1, "Liver", codes.SCT.Liver)])
    scenes, _ = scenes_of(seg, images=tmp_path / "ct", slice_images=tmp_path / "slices")
    assert len(scenes) == 1
    # shown with the patient's right on the image's left: the columns are mirrored
    assert scenes[0]["objects"][0]["box"] == [COLS - 25.0, 5.0, COLS - 5.0, 20.0]
    picture = np.asarray(Image.open(scenes[0]["image"]))
    bright = np.argwhere(picture == picture.max())
    assert bright[:, 1].min() == COLS - 34 and bright[:, 1].max() == COLS - 31


def test_folder_with_series_and_seg(study: tuple[Path, Path], tmp_path: Path) -> None:
    seg, ct = study
    folder = tmp_path / "study"
    folder.mkdir()
    for p in ct.iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    (folder / "seg.dcm").write_bytes(seg.read_bytes())
    (folder / "notes.txt").write_text("not DICOM")
    fmt, reason = detect(folder)
    assert fmt == "dicom_seg" and "SEG" in reason
    assert detect(seg)[0] == "dicom_seg"
    scenes, report = scenes_of(folder, images=folder)
    assert len(scenes) == 4 and report.repairs["dicom_files_not_seg"] == SLICES
    # without images=, the series beside the SEG is found
    scenes, report = scenes_of(folder, slice_images=tmp_path / "png")
    assert report.repairs["series_found_beside_the_seg"] == 1 and all(Path(s["image"]).is_file() for s in scenes)
    assert scenes[0]["meta"]["image_series"] == str(folder)


def test_components_and_min_pixels(study: tuple[Path, Path]) -> None:
    seg, _ = study
    scenes, report = scenes_of(seg, min_pixels=20)
    assert [o["name"] for o in scenes[1]["objects"]] == ["liver"]  # the 16-pixel lesion is dropped
    assert report.repairs["small_pieces_dropped"] == 2


def test_bad_files_are_reported_and_reading_goes_on(study: tuple[Path, Path], tmp_path: Path) -> None:
    seg, _ = study
    folder = tmp_path / "segs"
    folder.mkdir()
    (folder / "a.dcm").write_bytes(seg.read_bytes())
    data = seg.read_bytes()
    (folder / "b.dcm").write_bytes(data[: len(data) - 300])  # truncated pixel data
    scenes, report = scenes_of(folder)
    assert len(scenes) == 4
    rejects = [r for r in report.entries if (r.file or "").endswith("b.dcm")]
    assert rejects and "cannot read the DICOM SEG" in rejects[0].reason
    with pytest.raises(FileNotFoundError, match="does not exist"):
        list(read_dicom_seg(tmp_path / "missing"))
    (tmp_path / "plain").mkdir()
    with pytest.raises(FileNotFoundError, match="no DICOM Segmentation"):
        list(read_dicom_seg(tmp_path / "plain"))
    with pytest.raises(ValueError, match="names must be"):
        list(read_dicom_seg(seg, names="code"))


def test_generate_and_verify_end_to_end(study: tuple[Path, Path], tmp_path: Path) -> None:
    import veriscene

    seg, ct = study
    summary = convert(seg, tmp_path / "scenes.jsonl", "dicom_seg", images=ct, slice_images=tmp_path / "slices")
    assert summary.scenes_written == 4
    veriscene.generate(tmp_path / "scenes.jsonl", tmp_path / "run", seed=0)
    report = veriscene.verify(tmp_path / "run")
    assert report.ok and report.verified > 20
    samples = [orjson.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_bytes().splitlines()]
    assert any("surround" in s["question"].lower() or "lesion" in s["question"].lower() for s in samples)


@pytest.mark.parametrize("fmt", ["dicom_seg", "dicom_rt"])
def test_a_file_that_is_not_dicom_is_named_not_a_traceback(tmp_path: Path, fmt: str) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app
    from veriscene.io.readers.detect import FormatDetectionError

    junk = tmp_path / "seg.dcm"
    junk.write_bytes(b"not a DICOM file at all\n" * 20)
    with pytest.raises(FormatDetectionError, match=f"seg.dcm: not a DICOM file .*--from {fmt}"):
        list(read(junk, fmt))
    result = CliRunner().invoke(app, ["convert", str(junk), "--from", fmt, "--out", str(tmp_path / "s.jsonl")])
    # (rich wraps a long temporary path where the terminal width falls: compared whitespace aside)
    assert result.exit_code == 2 and "not a DICOM file" in " ".join(result.output.split())
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_slices_holding_only_slivers_are_counted_not_rejected(study: tuple[Path, Path]) -> None:
    seg, ct = study
    scenes, report = scenes_of(seg, images=ct, min_pixels=301)  # the liver has 300 pixels a slice, the rest fewer
    assert scenes == [] and report.entries == []
    assert report.repairs["slices_below_min_pixels"] == 4 and report.repairs["empty_slices_skipped"] == 2


def test_non_square_pixels_are_resampled(study: tuple[Path, Path], tmp_path: Path) -> None:
    """The series' pixels are 0.7 mm wide and 0.8 tall: its 32 rows become 37 of 0.6919 mm."""
    seg, ct = study
    scenes, _ = scenes_of(seg, images=ct, slice_images=tmp_path / "slices", square_pixels=True)
    s = scenes[1]
    assert (s["width"], s["height"]) == (COLS, 37) == (40, 37)
    assert (s["meta"]["pixel_size_mm"], s["meta"]["resampled_from"]) == ([0.7, 0.6919], [40, 32])
    assert np.asarray(Image.open(s["image"])).shape == (37, 40)
    liver = s["objects"][0]
    assert liver["box"] == [5.0, 6.0, 25.0, 23.0]  # rows 5-19 become 6-22 (nearest pixel centre)


def test_ct_window(study: tuple[Path, Path], tmp_path: Path) -> None:
    """The series is read in HU (its rescale applied): stored 100 is -924 HU, the bright square's
    2000 is 976 HU; the bone window shows -500 to 1300 HU."""
    seg, ct = study
    scenes, report = scenes_of(seg, images=ct, slice_images=tmp_path / "slices", window="bone")
    assert "volumes_not_in_hounsfield_units" not in report.repairs
    for s in scenes:
        assert s["meta"]["window"] == {"name": "bone", "width": 1800.0, "level": 400.0}
        assert (s["meta"]["modality"], s["meta"]["modality_from"]) == ("CT", "dicom_modality")
        assert set(np.unique(np.asarray(Image.open(s["image"]))).tolist()) == {0, 209}


def series_and_seg(root: Path, **series: object) -> tuple[Path, Path]:
    source = ct_series(root / "series", **series)  # type: ignore[arg-type]
    seg = write_seg(root / "seg.dcm", source, abdomen_mask(),
                    [description(k + 1, label, kind, mod) for k, (label, kind, mod) in enumerate(ABDOMEN)])
    return seg, root / "series"


def test_the_modality_tag_decides_what_a_ct_window_applies_to(tmp_path: Path) -> None:
    """An MR series whose values (rescaled: -924 and 976) would pass for HU: its Modality says MR,
    so a CT window is not applied; the scenes say so."""
    seg, series = series_and_seg(tmp_path, modality="MR")
    scenes, report = scenes_of(seg, images=series, slice_images=tmp_path / "slices", window="soft_tissue")
    assert report.repairs["volumes_not_in_hounsfield_units"] == 1
    for s in scenes:
        assert s["meta"]["window"]["name"] == "percentile"
        assert (s["meta"]["modality"], s["meta"]["modality_from"]) == ("MR", "dicom_modality")


def test_stored_window(tmp_path: Path) -> None:
    """window=stored: the WindowCenter / WindowWidth most files hold (a file's first pair when it
    holds several); stored 100 is -924 HU (black), the square's 2000 976 HU (white)."""
    windows = [("40", "400")] * 5 + [(["-600", "40"], ["1500", "400"])]
    seg, series = series_and_seg(tmp_path, windows=windows)
    scenes, report = scenes_of(seg, images=series, slice_images=tmp_path / "slices", window="stored")
    assert scenes and "volumes_without_stored_window" not in report.repairs
    for s in scenes:
        assert s["meta"]["window"] == {"name": "stored", "width": 400.0, "level": 40.0, "from": "dicom_window"}
        assert set(np.unique(np.asarray(Image.open(s["image"]))).tolist()) == {0, 255}
    seg, series = series_and_seg(tmp_path / "none")
    scenes, report = scenes_of(seg, images=series, slice_images=tmp_path / "slices2", window="stored")
    assert report.repairs["volumes_without_stored_window"] == 1
    assert {s["meta"]["window"]["name"] for s in scenes} == {"percentile"}


def test_a_lesion_segment_is_split_by_its_3d_pieces(tmp_path: Path) -> None:
    """A lesion segment holding a U-shaped lesion (two columns on slices 2-4, joined on slice 1)
    and a small one on slices 2-3: one object per lesion on each slice, one id each throughout."""
    source = ct_series(tmp_path / "series")
    mask = np.zeros((SLICES, ROWS, COLS, 2), dtype=bool)
    mask[:, 2:30, 2:38, 0] = True  # the liver
    mask[1:5, 8:12, 8:11, 1] = mask[1:5, 8:12, 14:17, 1] = True
    mask[1, 8:12, 8:17, 1] = True
    mask[2:4, 20:24, 25:29, 1] = True
    seg = write_seg(tmp_path / "seg.dcm", source, mask, [description(1, "Liver", codes.SCT.Liver, None),
                                                          description(2, "Metastases", codes.SCT.Lesion, None)])
    scenes, _ = scenes_of(seg)
    lesions = [{i: int(decode_mask(o["mask"]).sum()) for i, o in zip(s["meta"]["object_ids"], s["objects"])
                if o["name"] == "lesion"} for s in scenes]
    u_id = next(iter(lesions[1]))
    other = ({"2.1", "2.2"} - {u_id}).pop()
    assert lesions == [{}, {u_id: 36}, {u_id: 24, other: 16}, {u_id: 24, other: 16}, {u_id: 24}, {}]


def test_components_naming_no_segment_is_said_once_read(study: tuple[Path, Path]) -> None:
    """A SEG's segment names are known once it is read: a name none has is warned of at the end."""
    seg, _ = study
    with pytest.warns(UserWarning, match=r"no structure of .* is named 'kidney' \(did you mean 'left kidney'\?\).*"
                                         r"the structures read: left kidney, lesion, liver"):
        scenes, _ = scenes_of(seg, components="kidney")
    assert len(scenes) == 4


def _without_the_file(scenes: list[dict]) -> list[dict]:
    """Scenes with the parts naming their file (image ids, `meta["dicom_seg"]`) left out."""
    return [{**s, "image_id": None, "image": None, "meta": {**s["meta"], "dicom_seg": None}} for s in scenes]


@pytest.mark.parametrize("palette", [False, True])
def test_a_label_map_segmentation_reads_as_its_binary_twin(tmp_path: Path, palette: bool) -> None:
    """A Label Map Segmentation (SOP class 1.2.840.10008.5.1.4.1.1.66.7: one label a pixel, in grey
    levels or through a palette) makes the scenes a BINARY SEG of the same, non-overlapping,
    segments makes; before, it was refused as not a SEG."""
    import highdicom as hd
    import pydicom

    source = ct_series(tmp_path / "ct")
    one_hot = abdomen_mask()
    one_hot[..., 0] &= ~one_hot[..., 1]  # a label map cannot hold the lesion inside the liver: cut out of it
    labels = np.zeros(one_hot.shape[:3], dtype=np.uint8)
    for k in range(one_hot.shape[-1]):
        labels[one_hot[..., k]] = k + 1
    descriptions = [description(k + 1, label, kind, mod) for k, (label, kind, mod) in enumerate(ABDOMEN)]
    binary = write_seg(tmp_path / "binary" / "abdomen.dcm", source, one_hot, descriptions)
    if palette:
        lut = hd.PaletteColorLUTTransformation.from_colors(["black", "red", "yellow", "blue"])
        seg = hd.seg.Segmentation(
            source_images=source, pixel_array=labels, segmentation_type=hd.seg.SegmentationTypeValues.LABELMAP,
            segment_descriptions=descriptions, series_instance_uid=pydicom.uid.generate_uid(), series_number=2,
            sop_instance_uid=pydicom.uid.generate_uid(), instance_number=1, manufacturer="veriscene",
            manufacturer_model_name="test", software_versions="0", device_serial_number="1",
            palette_color_lut_transformation=lut)
        label_map = tmp_path / "labels" / "abdomen.dcm"
        label_map.parent.mkdir()
        seg.save_as(label_map)
    else:
        label_map = write_seg(tmp_path / "labels" / "abdomen.dcm", source, labels, descriptions, "LABELMAP")
    header = pydicom.dcmread(label_map, stop_before_pixels=True)
    assert header.SOPClassUID == "1.2.840.10008.5.1.4.1.1.66.7"
    assert header.PhotometricInterpretation == ("PALETTE COLOR" if palette else "MONOCHROME2")
    assert detect(label_map)[0] == "dicom_seg" and detect(label_map.parent)[0] == "dicom_seg"
    scenes, report = scenes_of(label_map, images=tmp_path / "ct")
    twins, _ = scenes_of(binary, images=tmp_path / "ct")
    assert report.entries == [] and len(scenes) == 4
    assert [[o["name"] for o in s["objects"]] for s in scenes] == [
        ["liver"], ["liver", "lesion"], ["liver", "lesion"], ["liver", "left kidney"]]
    assert _without_the_file(scenes) == _without_the_file(twins)


def test_a_16_bit_label_map_keeps_every_segment(tmp_path: Path) -> None:
    """300 segments, one 4 x 4 block each, 50 a slice: a label map of 16 bits a pixel. highdicom's
    own split left segments 256-300 empty; all 300 are objects."""
    import pydicom

    source = ct_series(tmp_path / "ct")
    labels = np.zeros((SLICES, ROWS, COLS), dtype=np.uint16)
    for k in range(300):
        block = k // SLICES
        row, col = (block // 10) * 4, (block % 10) * 4
        labels[k % SLICES, row:row + 4, col:col + 4] = k + 1
    descriptions = [description(k + 1, f"Tumour {k + 1}", codes.SCT.Lesion) for k in range(300)]
    seg = write_seg(tmp_path / "seg" / "many.dcm", source, labels, descriptions, "LABELMAP")
    assert pydicom.dcmread(seg, stop_before_pixels=True).BitsAllocated == 16
    scenes, report = scenes_of(seg, images=tmp_path / "ct", names="label", components="none")
    assert report.entries == [] and [len(s["objects"]) for s in scenes] == [50] * SLICES
    names = sorted(int(o["name"].split()[-1]) for s in scenes for o in s["objects"])
    assert names == list(range(1, 301))
    assert all(decode_mask(o["mask"]).sum() == 16 for s in scenes for o in s["objects"])
