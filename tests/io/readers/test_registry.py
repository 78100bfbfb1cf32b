from __future__ import annotations

import json
from pathlib import Path

import pytest

from veriscene.io.readers import (
    READERS,
    FormatDetectionError,
    ReaderOptionError,
    detect,
    detect_format,
    read,
    register_reader,
    resolve_format,
)
from veriscene.io.rejects import RejectReport
from veriscene.option_names import cli_names


def test_registered_formats_snapshot() -> None:
    assert sorted(READERS) == [
        "clevr", "coco", "dicom_rt", "dicom_seg", "gqa", "label_map", "open_images", "provision", "veriscene_jsonl", "visual_genome",
    ]


def test_duplicate_registration_is_refused() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_reader("gqa", READERS["gqa"])


@pytest.mark.parametrize("alias, name", [("vg", "visual_genome"), ("COCO-panoptic", "coco"), ("jsonl", "veriscene_jsonl"), ("nifti", "label_map"), ("dicom", "dicom_seg")])
def test_aliases(alias: str, name: str) -> None:
    assert resolve_format(alias) == name


def test_unknown_format_suggests_close_names() -> None:
    with pytest.raises(KeyError, match="did you mean clevr"):
        resolve_format("clever")


def test_options_for_other_formats(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"1": {"width": 5, "height": 5, "objects": {}}}))
    assert len(list(read(path, "gqa", allow_pickle=False))) == 1  # unset: ignored
    with pytest.raises(ReaderOptionError, match="does not apply to format 'gqa'"):
        read(path, "gqa", allow_pickle=True)


@pytest.mark.parametrize("fmt, option", [("coco", "skip_crowd"), ("coco", "masks"), ("clevr", "approximate_boxes"),
                                         ("provision", "allow_pickle"), ("gqa", "drop_bad_parts")])
def test_true_false_options_refuse_other_values(tmp_path: Path, fmt: str, option: str) -> None:
    """`-r skip_crowd=flase` reaches the reader as text, which any truth test takes for true."""
    path = tmp_path / "a.json"
    path.write_text("{}")
    with pytest.raises(ReaderOptionError, match=f"option '{option}' of format '{fmt}' must be true or false.*'flase'"):
        read(path, fmt, **{option: "flase"})


def test_a_command_line_word_given_in_python_is_not_said_to_be_taken(tmp_path: Path) -> None:
    """convert(..., masks="no") was refused saying 'must be true or false (yes/no, on/off, 1/0), got
    'no'': the word it refused was among those it named."""
    path = tmp_path / "a.json"
    path.write_text("{}")
    with pytest.raises(ReaderOptionError) as info:
        read(path, "coco", masks="no")
    assert str(info.value) == ("option 'masks' of format 'coco' must be true or false (True or False in Python; "
                               "on the command line yes/no, on/off, 1/0 too), got 'no'")


def test_command_line_true_false_words_become_bools() -> None:
    from veriscene.commands.convert import parse_reader_options

    assert parse_reader_options(["skip_crowd=No", "masks=on", "approximate_boxes=0"]) == {
        "skip_crowd": False, "masks": True, "approximate_boxes": "0"}  # 1 and 0: the reader's to read
    assert parse_reader_options(["skip_crowd=flase"]) == {"skip_crowd": "flase"}  # refused by the reader


@pytest.mark.parametrize("text, value", [("1", True), ("0", False)])
def test_one_and_zero_are_true_and_false_to_a_true_false_option(text: str, value: bool) -> None:
    from veriscene.io.readers import _fit_options, read_coco, read_label_map

    assert _fit_options(read_coco, "coco", {"masks": text, "sparse": text}) == {"masks": value, "sparse": value}
    assert _fit_options(read_label_map, "label_map", {"components": text}) == {"components": value}


def test_one_and_zero_are_numbers_to_a_numeric_option(tmp_path: Path) -> None:
    """`-r axis=0` slices a volume along its first axis (it was read as false, and refused)."""
    import numpy as np

    from veriscene.commands.convert import parse_reader_options

    volume = np.zeros((3, 4, 5), dtype=np.uint8)
    volume[1, 1:3, 1:4] = 2
    np.save(tmp_path / "v.npy", volume)
    options = parse_reader_options(["axis=0", "step=1", "min_pixels=1"])
    assert options == {"axis": "0", "step": "1", "min_pixels": "1"}
    scenes = list(read(tmp_path / "v.npy", "label_map", **options))
    assert [(s.image_id, s.width, s.height, s.boxes.tolist()) for s in scenes] == [("v_x0001", 5, 4, [[1.0, 1.0, 4.0, 3.0]])]


@pytest.mark.parametrize(
    "name, content, fmt",
    [
        ("a.json", {"1": {"width": 5, "height": 5, "objects": {"2": {"name": "x", "x": 0, "y": 0, "w": 1, "h": 1, "relations": []}}}}, "gqa"),
        ("a.json", {"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": []}, "coco"),
        ("a.json", [{"image_id": 1, "objects": [{"object_id": 1}]}], "visual_genome"),
        ("a.json", {"scenes": [{"image_index": 0, "objects": []}]}, "clevr"),
        ("a.json", {"x": {"annotation": {"labels": [], "bboxes": []}}}, "provision"),
        ("relationships.json", [], "visual_genome"),
    ],
)
def test_detect_json(tmp_path: Path, name: str, content: object, fmt: str) -> None:
    path = tmp_path / name
    path.write_text(json.dumps(content))
    assert detect_format(path) == fmt
    assert detect(path)[1]  # a reason is given


def test_detect_failures(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"hello": 1}')
    (tmp_path / "y.csv").write_text("a,b\n")
    for p in (tmp_path / "x.json", tmp_path / "y.csv", tmp_path):
        with pytest.raises(FormatDetectionError, match="pass from_format=FORMAT$"):  # (detect()'s; the CLI's --from)
            detect_format(p)
    with cli_names(), pytest.raises(FormatDetectionError, match="pass --from FORMAT$"):  # as `veriscene convert` says
        detect_format(tmp_path / "x.json")
    with pytest.raises(FileNotFoundError):
        detect_format(tmp_path / "nope.json")


def test_auto_read(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"1": {"width": 5, "height": 5, "objects": {"a": {"name": "x", "x": 0, "y": 0, "w": 1, "h": 1}}}}))
    report = RejectReport()
    assert [s.image_id for s in read(path, report=report)] == ["1"]


def test_detect_compressed_files(tmp_path: Path) -> None:
    import bz2
    import gzip
    import lzma

    named = tmp_path / "scenes.gz"  # no .jsonl in the name: told by its first record
    named.write_bytes(gzip.compress(b'{"image_id": "a", "width": 4, "height": 4, "objects": []}\n'))
    assert detect(named) == ("veriscene_jsonl", "its first record has image_id and objects (gzip-compressed)")
    coco = tmp_path / "instances.json.gz"  # annotation files are told as their decompressed selves
    coco.write_bytes(gzip.compress(b'{"images": [], "annotations": [], "categories": []}'))
    assert detect(coco) == ("coco", "COCO key 'categories' (gzip-compressed)")
    boxes = tmp_path / "boxes.csv.bz2"
    boxes.write_bytes(bz2.compress(b"ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsGroupOf\n"))
    assert detect(boxes) == ("open_images", "CSV header with LabelName/IsGroupOf (boxes) (bz2-compressed)")
    (tmp_path / "vg").mkdir()
    (tmp_path / "vg" / "objects.json.xz").write_bytes(lzma.compress(b"[]"))
    assert detect(tmp_path / "vg") == ("visual_genome", "folder holds objects.json.xz")
    broken = tmp_path / "broken.gz"
    broken.write_bytes(named.read_bytes()[:12])
    # cut short: said so (is it complete?), not "cannot tell the format" as of a whole file
    with pytest.raises(FormatDetectionError, match=r"broken.gz: cannot read the gzip-compressed annotation file "
                                                   r"to its end \(.*\); is it complete\?.*pass from_format=FORMAT"):  # (detect()'s)
        detect(broken)
    nifti = tmp_path / "labels.nii.gz"  # gzip too, but a label map, as before
    nifti.write_bytes(gzip.compress(b"\x00" * 400))
    assert detect(nifti)[0] == "label_map"
