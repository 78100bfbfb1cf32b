"""COCO polygon values: the quick check of a polygon's numbers (`coco._numbers`) agrees with
checking each value, and a polygon of bad values rejects its annotation, naming it."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from veriscene.io.readers._fields import is_number
from veriscene.io.readers.coco import _numbers

from .reader_helpers import read_all


@pytest.mark.parametrize("values", [
    [1, 2.5, 3, 4, 5, 6], [], [True, 1, 2, 3, 4, 5], [1, "2", 3, 4, 5, 6], [1, None, 3, 4, 5, 6],
    [1, math.nan, 3, 4, 5, 6], [math.inf, 2, 3, 4, 5, 6], [math.inf, -math.inf, 3, 4, 5, 6],
    [1e308, 1e308, 3, 4, 5, 6],  # finite values whose sum overflows
    [1, [2], 3, 4, 5, 6],
])
def test_quick_check_agrees_with_each_value(values: list) -> None:
    assert _numbers(values) == all(is_number(v) for v in values)


@pytest.mark.parametrize(("value", "reason"), [
    (math.nan, "polygon must be a list of numbers"), (True, "polygon must be a list of numbers"),
    ("7", "polygon must be a list of numbers"), (1e308, "far outside the 20x10 image"),
])
def test_bad_polygon_value_rejects_its_annotation(tmp_path: Path, value: object, reason: str) -> None:
    poly = [1, 1, 5, 1, 5, 5, 1, value]
    path = tmp_path / "instances.json"
    path.write_text(json.dumps({"images": [{"id": 1, "file_name": "a.jpg", "width": 20, "height": 10}],
                                "annotations": [{"id": 9, "image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 4],
                                                 "segmentation": [[1, 1, 5, 1, 5, 5, 1, 5], poly]}],
                                "categories": [{"id": 1, "name": "cup"}]}))
    scenes, report = read_all(path, "coco")
    (entry,) = report.entries
    assert scenes == [] and entry.field == "annotations[0] (id 9).segmentation[1]" and reason in entry.reason


def test_integer_polygons_give_the_mask_float_ones_do(tmp_path: Path) -> None:
    masks = []
    for poly in ([2, 2, 12, 2, 12, 8, 2, 8], [2.0, 2.0, 12.0, 2.0, 12.0, 8.0, 2.0, 8.0]):
        path = tmp_path / "instances.json"
        path.write_text(json.dumps({"images": [{"id": 1, "file_name": "a.jpg", "width": 20, "height": 10}],
                                    "annotations": [{"id": 9, "image_id": 1, "category_id": 1, "bbox": [2, 2, 10, 6],
                                                     "segmentation": [poly]}],
                                    "categories": [{"id": 1, "name": "cup"}]}))
        (scene,), _ = read_all(path, "coco")
        masks.append(scene.masks[0])
    assert masks[0] == masks[1]


def _one_image(tmp_path: Path, segmentations: list) -> Path:
    anns = [{"id": 9 + k, "image_id": 1, "category_id": 1, "bbox": [1, 1, 10, 6], "segmentation": seg}
            for k, seg in enumerate(segmentations)]
    path = tmp_path / "instances.json"
    path.write_text(json.dumps({"images": [{"id": 1, "file_name": "a.jpg", "width": 20, "height": 10}],
                                "annotations": anns, "categories": [{"id": 1, "name": "cup"}]}))
    return path


SQUARE = [2, 2, 12, 2, 12, 8, 2, 8]


@pytest.mark.parametrize(("extra", "said"), [([], None), ([1, 1, 3, 3], "polygon of 2 points left out"),
                                             ([4, 4], "polygon of 1 point left out")])
def test_polygon_of_under_three_points_is_left_out_and_reported(tmp_path: Path, extra: list, said: str | None) -> None:
    (scene,), report = read_all(_one_image(tmp_path, [[SQUARE, extra]]), "coco")
    (plain,), _ = read_all(_one_image(tmp_path, [[SQUARE]]), "coco")
    assert scene.masks == plain.masks and scene.masks is not None
    if said is None:  # an empty one: nothing left out, counted
        assert report.total == 0 and report.repairs["empty_polygons_dropped"] == 1
    else:
        (entry,) = report.entries
        assert (entry.record, entry.field, entry.level) == ("1", "annotations[0] (id 9).segmentation[1]", "mask")
        assert entry.reason.startswith(said) and not report.repairs


def test_box_only_export_with_empty_polygons_keeps_every_object_without_masks(tmp_path: Path) -> None:
    # `"segmentation": [[]]` on every annotation, as some box-only exporters write it: no reject
    scenes, report = read_all(_one_image(tmp_path, [[[]], [[]]]), "coco")
    (scene,) = scenes
    assert len(scene) == 2 and scene.masks is None and report.total == 0
    assert report.repairs["empty_polygons_dropped"] == 2
    # one object with a mask beside one without: the scene's masks go, as for "segmentation": []
    (scene,), report = read_all(_one_image(tmp_path, [[SQUARE], [[]]]), "coco")
    assert len(scene) == 2 and scene.masks is None
    (entry,) = report.entries
    assert (entry.field, entry.level) == ("annotations[1] (id 10).segmentation", "mask")
