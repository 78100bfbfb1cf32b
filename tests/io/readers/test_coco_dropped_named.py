"""COCO's polygons of fewer than three points, and the masks of a scene some of whose objects have
none, are left out without a reject: counted in the report's repairs, as before, and now named,
the first few (image, annotation and field), in one warning per file (helper-205)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from veriscene.io.readers._coco_masks import NAMED

from .reader_helpers import read_all

SQUARE = [2, 2, 12, 2, 12, 8, 2, 8]


def _coco(tmp_path: Path, anns: list[dict[str, Any]], images: int = 1) -> Path:
    path = tmp_path / "instances.json"
    path.write_text(json.dumps({
        "images": [{"id": k + 1, "file_name": f"{k + 1}.jpg", "width": 20, "height": 10} for k in range(images)],
        "annotations": [{"id": 10 + k, "category_id": 1, "bbox": [2, 2, 10, 6], "image_id": 1, **a}
                        for k, a in enumerate(anns)],
        "categories": [{"id": 1, "name": "cup"}]}))
    return path


def _read(path: Path) -> tuple[list[str], Any, Any]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenes, report = read_all(path, "coco")
    return [str(w.message) for w in caught], scenes, report


def test_the_polygons_left_out_and_the_masks_dropped_are_named(tmp_path: Path) -> None:
    path = _coco(tmp_path, [{"segmentation": [SQUARE, [4, 4]]}, {"segmentation": [[]]}])
    said, (scene,), report = _read(path)
    assert scene.masks is None and report.total == 0
    assert report.repairs["degenerate_polygons_dropped"] == 2 and report.repairs["masks_dropped_partial"] == 1
    assert said == [
        f"{path}: 2 polygon(s) of fewer than 3 points left out (they outline nothing), counted as "
        "degenerate_polygons_dropped: image 1, annotations[0] (id 10).segmentation[1] (1 point); "
        "image 1, annotations[1] (id 11).segmentation[0] (0 points)",
        f"{path}: 1 scene(s) whose masks were dropped, as some of their objects have none (a scene holds masks "
        "for all its objects or none), counted as masks_dropped_partial: image 1, 1 of 2 objects without a mask: "
        "annotations[1] (id 11)",
    ]


def test_the_first_few_are_named_and_all_counted(tmp_path: Path) -> None:
    n = NAMED + 2
    said, _, report = _read(_coco(tmp_path, [{"segmentation": [SQUARE, [1, 1, 3, 3]]} for _ in range(n)]))
    assert report.repairs["degenerate_polygons_dropped"] == n
    (message,) = said
    assert message.count(".segmentation[1] (2 points)") == NAMED and message.endswith("; and 2 more")
    assert f": {n} polygon(s)" in message


def test_a_rejected_scene_names_nothing(tmp_path: Path) -> None:
    # its polygon is left out, but the scene goes for its other annotation's box: neither counted nor named
    said, scenes, report = _read(_coco(tmp_path, [{"segmentation": [SQUARE, [4, 4]]}, {"bbox": [1, "x", 2, 2]}]))
    assert scenes == [] and report.rejected["scene"] == 1
    assert "degenerate_polygons_dropped" not in report.repairs and said == []


def test_a_file_with_nothing_left_out_warns_of_nothing(tmp_path: Path) -> None:
    said, (scene,), report = _read(_coco(tmp_path, [{"segmentation": [SQUARE]}]))
    assert scene.masks is not None and said == [] and not report.repairs


def test_the_command_says_them(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app

    path = _coco(tmp_path, [{"segmentation": [SQUARE, [4, 4]]}])
    result = CliRunner().invoke(app, ["convert", str(path), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "warning: " in said and "annotations[0] (id 10).segmentation[1] (1 point)" in said


@pytest.mark.parametrize("segmentation", [[[]], [[4, 4]]])
def test_an_object_of_only_such_polygons_is_named_as_without_a_mask(tmp_path: Path, segmentation: list[Any]) -> None:
    said, (scene,), _ = _read(_coco(tmp_path, [{"segmentation": [SQUARE]}, {"segmentation": segmentation}]))
    assert scene.masks is None
    assert said[1].endswith("image 1, 1 of 2 objects without a mask: annotations[1] (id 11)")
