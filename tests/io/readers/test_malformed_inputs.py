"""Malformed inputs found by feeding each reader broken files: each is a reject naming file and
record (the reading goes on), never a traceback, a whole run lost, or a silent drop."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from veriscene.io.convert import convert
from veriscene.io.readers import coco as coco_reader
from veriscene.io.readers import read

from .reader_helpers import fields, read_all, write_json

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
    assert "it ends early" in report.entries[0].reason and "complete line" in report.entries[0].reason  # how far
    with pytest.raises(Exception, match="a.jsonl.gz"):
        list(read(tmp_path, "veriscene_jsonl", strict=True))


# ---- found by tests/io/readers/test_reader_fuzz.py ------------------------------------------

W, H = 30, 20
GQA_OBJECT = {"name": "cup", "x": 1, "y": 1, "w": 5, "h": 5}


def coco_file(tmp_path: Path, image: dict | None = None, segmentation=None, **top) -> Path:
    ann = {"id": 10, "image_id": 1, "category_id": 1, "bbox": [3, 2, 6, 4]}
    if segmentation is not None:
        ann["segmentation"] = segmentation
    return write_json(tmp_path / "instances.json", {
        "images": [{"id": 1, "file_name": "a.jpg", "width": W, "height": H, **(image or {})}],
        "annotations": [ann], "categories": [{"id": 1, "name": "person"}], **top})


@pytest.mark.parametrize("name, fmt, options", [
    ("instances.json", "coco", {}),
    ("val_sceneGraphs.json", "gqa", {}),
    ("CLEVR_val_scenes.json", "clevr", {"image_size": (480, 320)}),
    ("det.json", "provision", {}),
    ("scene_graphs.json", "visual_genome", {}),
])
def test_a_file_of_only_null_is_a_file_reject(tmp_path: Path, name: str, fmt: str, options: dict) -> None:
    """It used to give no scene and no reject: the reader took the null for a file already reported."""
    path = tmp_path / name
    path.write_text("null\n")
    scenes, report = read_all(path, fmt, **options)
    assert scenes == [] and report.rejected == {"file": 1}
    assert report.entries[0].file == str(path) and "only null" in report.entries[0].reason


def test_visual_genome_image_data_of_another_shape_is_a_file_reject(tmp_path: Path) -> None:
    """It used to be ignored unsaid: each scene was rejected for a missing size, "no image root given"."""
    write_json(tmp_path / "image_data.json", 5)
    path = write_json(tmp_path / "scene_graphs.json", [{"image_id": 1, "objects": []}])
    scenes, report = read_all(path, "visual_genome")
    assert scenes == [] and report.rejected == {"file": 1, "scene": 1}
    assert report.entries[0].file == str(tmp_path / "image_data.json") and "got int" in report.entries[0].reason


@pytest.mark.parametrize("key", ["_origin", "_files", "_conflict", "_data_path", "_source"])
def test_provision_annotation_keys_named_like_the_readers_own(tmp_path: Path, key: str) -> None:
    """The merge kept its bookkeeping among the annotation's keys: "_origin" ended the reading with
    a KeyError, "_conflict" rejected the image, "_data_path" replaced its path."""
    annotation = {"width": W, "height": H, "labels": ["cup"], "bboxes": [[1, 1, 5, 5]], key: "/y/other.jpg"}
    path = write_json(tmp_path / "det.json", {"img": {"data_path": "/x/img.jpg", "source": "vg", "annotation": annotation}})
    (scene,), report = read_all(path, "provision")
    assert report.entries == [] and scene.names == ("cup",)
    assert scene.image == "/x/img.jpg" and scene.meta["source"] == "vg"


@pytest.mark.parametrize("record, field, reason", [
    ({"image_filename": ["a.png"]}, "image_filename", "must be a file name, got list"),  # was a TypeError, no field
    ({"image_filename": "/"}, "image_filename", "names no file"),
    ({"image_index": 10**30}, "image_index", "below 2**63"),  # was read, and writing it ended the run
    ({"image_index": True}, "image_index", "non-negative integer"),
])
def test_clevr_image_names_of_the_wrong_kind(tmp_path: Path, record: dict, field: str, reason: str) -> None:
    scene = {"image_index": 0, "image_filename": "CLEVR_val_000000.png", "objects": [], **record}
    path = write_json(tmp_path / "CLEVR_val_scenes.json", {"scenes": [scene]})
    scenes, report = read_all(path, "clevr", image_size=(480, 320))
    assert scenes == [] and report.entries[0].field == field and reason in report.entries[0].reason


@pytest.mark.parametrize("segments, reason", [
    (5, "got int 5"),  # was a TypeError, no field
    ({"id": 3}, "got dict"),  # these were read as no segments, said nowhere
    ("", "got str"),
    (None, "got NoneType"),
    (..., "got none"),  # absent
])
def test_coco_panoptic_segments_info_that_is_not_a_list(tmp_path: Path, segments, reason: str) -> None:
    first = {"image_id": 1, "file_name": "a.png"} | ({"segments_info": segments} if segments is not ... else {})
    path = write_json(tmp_path / "panoptic_val.json", {
        "images": [{"id": k, "file_name": f"{k}.jpg", "width": W, "height": H} for k in (1, 2)],
        "annotations": [first, {"image_id": 2, "file_name": "b.png",
                                "segments_info": [{"id": 3, "category_id": 1, "bbox": [1, 1, 5, 5]}]}],
        "categories": [{"id": 1, "name": "person", "isthing": 1}]})
    scenes, report = read_all(path, "coco")
    assert [s.image_id for s in scenes] == ["2"] and report.rejected == {"scene": 1}
    assert report.entries[0].field == "annotations[0].segments_info" and reason in report.entries[0].reason


def test_coco_categories_that_are_not_a_list(tmp_path: Path) -> None:
    """A number used to end the reading with a TypeError."""
    path = coco_file(tmp_path, categories=1)
    scenes, report = read_all(path, "coco")
    assert scenes == [] and report.rejected == {"file": 1, "scene": 1}
    assert report.entries[0].record == "categories" and "'categories' must be a list" in report.entries[0].reason
    assert "unknown category_id 1" in report.entries[1].reason


def test_integers_past_a_floats_range_in_boxes_and_polygons(tmp_path: Path) -> None:
    """JSON's 10**400 is an int to Python's decoder; checking it as a float raised OverflowError
    (a reject that named no field)."""
    graphs = {"1": {"width": W, "height": H, "objects": {"7": {**GQA_OBJECT, "x": 10**400}}}}
    scenes, report = read_all(write_json(tmp_path / "val_sceneGraphs.json", graphs), "gqa")
    assert scenes == [] and report.entries[0].field == "objects[7].box" and "finite numbers" in report.entries[0].reason
    path = coco_file(tmp_path, segmentation=[[10**400, 2, 9, 2, 9, 6]])
    scenes, report = read_all(path, "coco")
    assert scenes == [] and report.entries[0].field == "annotations[0] (id 10).segmentation[0]"
    assert "polygon must be a list of numbers" in report.entries[0].reason


@pytest.mark.parametrize("image, segmentation, field, reason", [
    # pycocotools counts pixels in 32 bits: this one killed the process (segmentation fault)
    ({"width": 2**31}, [[3, 2, 9, 2, 9, 6]], "annotations[0] (id 10).segmentation", "too large for a COCO mask"),
    ({"width": 70000, "height": 70000}, {"size": [70000, 70000], "counts": [0, 70000 * 70000]},
     "annotations[0] (id 10).segmentation", "too large for a COCO mask"),  # an OverflowError, no field
    ({"width": 1e308}, [[3, 2, 9, 2, 9, 6]], "width", "at most 2**64 - 1"),  # an OverflowError, no field
])
def test_coco_images_too_large_for_a_mask(tmp_path: Path, image: dict, segmentation, field: str, reason: str) -> None:
    scenes, report = read_all(coco_file(tmp_path, image, segmentation), "coco")
    assert scenes == [] and report.entries[0].field == field and reason in report.entries[0].reason


def test_coco_images_too_large_for_a_mask_keep_their_boxes_without_masks(tmp_path: Path) -> None:
    path = coco_file(tmp_path, {"width": 2**31}, [[3, 2, 9, 2, 9, 6]])
    (scene,), report = read_all(path, "coco", masks=False)
    assert report.entries == [] and scene.masks is None and scene.boxes.tolist() == [[3, 2, 9, 6]]


def test_coco_url_that_is_no_url(tmp_path: Path) -> None:
    """urlparse's ValueError ("Invalid IPv6 URL") used to reject the image: its path is unknown, no more."""
    path = coco_file(tmp_path, {"file_name": None, "coco_url": "http://[x/val2017/a.jpg"})
    (scene,), report = read_all(path, "coco")
    assert report.entries == [] and scene.image is None and len(scene) == 1


def test_provision_mask_id_that_names_no_file(tmp_path: Path) -> None:
    annotation = {"width": W, "height": H, "labels": ["cup"], "bboxes": [[1, 1, 5, 5]], "seg_mask_id": "/"}
    path = write_json(tmp_path / "det.json", {"img": {"data_path": "/x/img.jpg", "annotation": annotation}})
    scenes, report = read_all(path, "provision")
    assert scenes == [] and report.entries[0].field == "seg_mask_id" and "names no file" in report.entries[0].reason


@pytest.mark.parametrize("graph, field", [
    ({"objects": {"7": {**GQA_OBJECT, "name": "cup\ud800"}}}, "objects[7].name"),
    ({"objects": {"7": {**GQA_OBJECT, "attributes": ["red\ud800"]}}}, "objects[7].attributes[0]"),
    ({"objects": {"\ud800": GQA_OBJECT}}, "meta.object_ids[0]"),
    ({"location": "\ud800", "objects": {}}, "meta.location"),
])
def test_lone_surrogates_are_rejected_not_written(tmp_path: Path, graph: dict, field: str) -> None:
    """JSON may escape half a surrogate pair ("\\ud800"), which Python's decoder reads but no UTF-8
    file can hold: such a scene was read, and writing it ended the conversion with a TypeError."""
    path = write_json(tmp_path / "val_sceneGraphs.json", {"1": {"width": W, "height": H, **graph},
                                                          "2": {"width": W, "height": H, "objects": {}}})
    summary = convert(path, tmp_path / "out" / "scenes.jsonl", "gqa")
    assert summary.scenes_written == 1
    (reject,) = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    assert reject["record"] == "1" and reject["field"] == field and "surrogate" in reject["reason"]


def test_a_record_named_by_a_lone_surrogate_is_reported(tmp_path: Path) -> None:
    """The reject of an image whose id is "\\ud800" could not be written to the report."""
    path = write_json(tmp_path / "val_sceneGraphs.json", {"\ud800": {"width": "x", "objects": {}}})
    summary = convert(path, tmp_path / "out" / "scenes.jsonl", "gqa")
    assert summary.scenes_written == 0
    (reject,) = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    assert reject["record"] == "\\ud800" and reject["field"] == "width"


def test_provision_list_entry_that_names_no_image_is_one_reject(tmp_path: Path) -> None:
    """One such entry used to reject the whole stage file, its other images' annotation unread."""
    annotation = {"width": W, "height": H, "labels": ["cup"], "bboxes": [[1, 1, 5, 5]]}
    path = write_json(tmp_path / "det.json", [{"image_id": "a", "annotation": annotation},
                                             {"image_id": None, "annotation": annotation},
                                             {"image_id": "c", "annotation": 5}])
    scenes, report = read_all(path, "provision")
    assert [s.image_id for s in scenes] == ["a"]
    assert fields(report) == [("index 1", "image_id"), ("index 2", "annotation")]


def test_provision_jsonl_entry_that_names_no_image_is_one_reject(tmp_path: Path) -> None:
    """It used to be read as an object {image_id: entry}: images named "image_id" and "annotation"."""
    annotation = {"width": W, "height": H, "labels": ["cup"], "bboxes": [[1, 1, 5, 5]]}
    path = tmp_path / "det.jsonl"
    path.write_text(json.dumps({"image_id": "a", "annotation": annotation}) + "\n"
                    + json.dumps({"image_id": [1], "annotation": annotation}) + "\n")
    scenes, report = read_all(path, "provision")
    assert [s.image_id for s in scenes] == ["a"] and fields(report) == [("line 2", "image_id")]
