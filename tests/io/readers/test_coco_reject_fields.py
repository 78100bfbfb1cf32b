"""COCO rejects name an annotation by its position in the file and its id (`annotations[0] (id
10).bbox`), never by its id as if it were a position."""

from __future__ import annotations

from pathlib import Path

import pytest

from veriscene.io.readers.coco import annotation_field

from .reader_helpers import fields, read_all, write_json

H, W = 20, 30
IMAGES = [{"id": 1, "file_name": "a.jpg", "width": W, "height": H},
          {"id": 2, "file_name": "b.jpg", "width": W, "height": H}]
CATEGORIES = [{"id": 1, "name": "person"}]


def ann(aid: int | None, bbox: object, image_id: object = 1, **extra: object) -> dict:
    out = {"image_id": image_id, "category_id": 1, "bbox": bbox, "iscrowd": 0, **extra}
    if aid is not None:
        out["id"] = aid
    return out


@pytest.mark.parametrize("annotations, record, field", [
    # the first annotation of the file, id 10: position 0 (it was named annotations[10])
    ([ann(10, [5, 5, -2, 3])], "1", "annotations[0] (id 10).bbox"),
    # the third annotation, second of image 1: its position in the file, not in its image
    ([ann(10, [0, 0, 5, 5]), ann(11, [0, 0, 5, 5], image_id=2), ann(7, "box")], "1", "annotations[2] (id 7).bbox"),
    ([ann(10, [0, 0, 5, 5], category_id=9)], "1", "annotations[0] (id 10).category_id"),
    ([ann(10, [0, 0, 5, 5], iscrowd="1")], "1", "annotations[0] (id 10).iscrowd"),
    ([ann(None, [5, 5, 0, 3])], "1", "annotations[0].bbox"),  # no id: its position alone
    # refused as the file is read, before annotations are grouped by image: the same names
    ([ann(10, [0, 0, 5, 5]), ann(12, [0, 0, 5, 5], image_id=[1])], "annotations[1] (id 12)",
     "annotations[1] (id 12).image_id"),
    ([ann(10, [0, 0, 5, 5]), "not an object"], "annotations[1]", "annotations[1]"),
])
def test_reject_fields_name_the_annotation_by_position_and_id(tmp_path: Path, annotations: list, record: str,
                                                              field: str) -> None:
    path = write_json(tmp_path / "c.json", {"images": IMAGES, "annotations": annotations,
                                            "categories": CATEGORIES})
    _, report = read_all(path, "coco", drop_bad_parts=True)
    assert fields(report) == [(record, field)]


@pytest.mark.parametrize("index, value, within, named", [
    (0, {"id": 10}, "annotations", "annotations[0] (id 10)"),
    (3, {"bbox": []}, "annotations", "annotations[3]"),
    (2, {"id": 7}, "annotations[4].segments_info", "annotations[4].segments_info[2] (id 7)"),
    (1, [1, 2], "annotations", "annotations[1]"),
])
def test_annotation_field(index: int, value: object, within: str, named: str) -> None:
    assert annotation_field(index, value, within) == named
