"""Malformed inputs found by feeding each reader broken files: each is a reject naming file and
record (the reading goes on), never a traceback, a whole run lost, or a silent drop."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from veriscene.io.readers import coco as coco_reader
from veriscene.io.readers import read

from .reader_helpers import read_all, write_json

OI_HEADER = "ImageID,LabelName1,LabelName2,XMin1,XMax1,YMin1,YMax1,XMin2,XMax2,YMin2,YMax2,RelationshipLabel\n"
OI_ROW = "{},/m/man,/m/chair,0.1,0.5,0.2,0.9,0.4,0.8,0.5,0.7,on\n"
BOX_HEADER = "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside\n"
BOX_ROW = "{},xclick,/m/man,1,0.1,0.5,0.2,0.9,0,0,0,0,0\n"


@pytest.mark.parametrize("name, header, row", [
    ("oidv6-train-annotations-vrd.csv", OI_HEADER, OI_ROW),
    ("validation-annotations-bbox.csv", BOX_HEADER, BOX_ROW),
])
def test_a_csv_row_that_is_not_utf8_is_one_reject(tmp_path: Path, name: str, header: str, row: str) -> None:
    """A byte that is not UTF-8 used to end the whole run (UnicodeDecodeError, no file named)."""
    path = tmp_path / name
    path.write_bytes(header.encode() + row.format("a").encode() + row.format("b").replace("/m/man", "/m/m\xe4n").encode("latin-1")
                     + row.format("c").encode())
    scenes, report = read_all(path, "open_images", image_size=(100, 100))
    assert [s.image_id for s in scenes] == ["a", "c"]
    (entry,) = report.entries
    assert entry.record == "line 3" and entry.file == str(path) and "not UTF-8 text (byte 0xe4)" in entry.reason


def test_a_class_table_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "oidv6-train-annotations-vrd.csv"
    path.write_text(OI_HEADER + OI_ROW.format("a"))
    (tmp_path / "oidv6-class-descriptions.csv").write_bytes("/m/man,M\xe4n\n".encode("latin-1"))
    with pytest.raises(ValueError, match="oidv6-class-descriptions.csv: class-name table is not UTF-8"):
        read_all(path, "open_images", image_size=(100, 100))


@pytest.mark.parametrize("text", ['{"images": "x", "annotations": [], "categories": []}', '{"images": [1], "annotations": 5}',
                                  '{"images": [], "annotations": [{"image_id": 1}'])
def test_coco_temporary_files_are_closed_after_a_file_reject(tmp_path: Path, monkeypatch, text: str) -> None:
    """A file-level reject used to leave the two spools' temporary files open until collected."""
    opened: list[object] = []
    for name in ("Spool", "GroupedSpool"):
        base = getattr(coco_reader, name)

        class Tracked(base):  # type: ignore[misc, valid-type]
            def __init__(self) -> None:
                super().__init__()
                opened.append(self)

        monkeypatch.setattr(coco_reader, name, Tracked)
    path = tmp_path / "instances.json"
    path.write_text(text)
    scenes, report = read_all(path, "coco")
    assert scenes == [] and report.rejected["file"] == 1
    assert len(opened) == 2 and all(spool._fh.closed for spool in opened)


@pytest.mark.parametrize("array, reason", [
    (np.full((12, 12), 1e30), "too large for a label"),  # cast to int64 used to overflow to garbage labels
    (np.zeros((3, 4, 0), np.uint8), "empty (shape (3, 4, 0))"),  # used to give nothing, said nowhere
    (np.zeros((0, 0), np.uint8), "empty (shape (0, 0))"),
])
def test_label_maps_of_no_usable_labels(tmp_path: Path, array: np.ndarray, reason: str) -> None:
    pytest.importorskip("scipy")
    np.save(tmp_path / "m.npy", array)
    scenes, report = read_all(tmp_path / "m.npy", "label_map")
    assert scenes == [] and report.rejected == {"file": 1} and reason in report.entries[0].reason


@pytest.mark.parametrize("annotation, field, reason", [
    ({"seg_mask_id": 5}, "seg_mask_id", "must be a file name, got int 5"),  # used to be ignored: no masks, said nowhere
    ({"depth_mask_id": ["d.npy"]}, "depth_mask_id", "must be a file name"),
    ({"depth_mask_id": "d.npy"}, "depth_mask_id", "must hold numbers"),
])
def test_provision_mask_fields_of_the_wrong_kind(tmp_path: Path, annotation: dict, field: str, reason: str) -> None:
    np.save(tmp_path / "d.npy", np.array([["a"] * 10] * 10))
    path = write_json(tmp_path / "det.json", {"img": {"data_path": "/x/img.jpg", "annotation": {
        "width": 10, "height": 10, "labels": ["cup"], "bboxes": [[1, 1, 5, 5]], **annotation}}})
    scenes, report = read_all(path, "provision")
    assert scenes == [] and report.entries[0].field == field and reason in report.entries[0].reason


def test_a_broken_compressed_file_in_a_folder_of_scenes_is_a_file_reject(tmp_path: Path) -> None:
    """It used to end the reading with CompressedFileError, the folder's other files unread."""
    record = {"image_id": "a", "width": 10, "height": 10, "objects": [{"name": "cat", "box": [1, 1, 5, 5]}]}
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(json.dumps(record).encode() + b"\n")[:-10])
    (tmp_path / "b.jsonl").write_text(json.dumps({**record, "image_id": "b"}) + "\n")
    scenes, report = read_all(tmp_path, "veriscene_jsonl")
    assert [s.image_id for s in scenes] == ["b"]
    assert report.rejected == {"file": 1} and report.entries[0].file == str(tmp_path / "a.jsonl.gz")
    assert "cannot read the gzip-compressed" in report.entries[0].reason
    with pytest.raises(Exception, match="a.jsonl.gz"):
        list(read(tmp_path, "veriscene_jsonl", strict=True))
