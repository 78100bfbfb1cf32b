"""COCO's polygons of one or two points, and the masks of a scene some of whose objects have none,
are left out of scenes that are kept: each is a reject entry of level "mask" naming the file, the
image and the annotation's field, counted by level in the conversion's summary, and never a Python
warning only (helper-210; helper-205 named the first five in a warning). An empty polygon
(``[[]]``, a box-only exporter's "no mask") is counted only."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import orjson
import pytest

from veriscene.io.convert import convert

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


def _read(path: Path, **options: Any) -> tuple[list[str], Any, Any]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenes, report = read_all(path, "coco", **options)
    return [str(w.message) for w in caught], scenes, report


def _said(report: Any) -> list[tuple[Any, ...]]:
    return [(e.file, e.record, e.field, e.level) for e in report.entries]


def test_the_polygons_left_out_and_the_masks_dropped_are_rejects_of_level_mask(tmp_path: Path) -> None:
    path = _coco(tmp_path, [{"segmentation": [SQUARE, [4, 4]]}, {"segmentation": [[]]}])
    warned, (scene,), report = _read(path)
    assert scene.masks is None and len(scene) == 2 and warned == []
    assert _said(report) == [(str(path), "1", "annotations[0] (id 10).segmentation[1]", "mask"),
                             (str(path), "1", "annotations[1] (id 11).segmentation", "mask")]
    polygon, masks = (e.reason for e in report.entries)
    assert polygon.startswith("polygon of 1 point left out: fewer than 3 outline nothing")
    assert masks.startswith("the masks of this scene's 2 objects are dropped, as 1 of them have none "
                            "(annotations[1] (id 11))")
    assert dict(report.rejected) == {"mask": 2} and report.total == 2
    assert report.repairs == {"empty_polygons_dropped": 1}  # [[]]: no polygon, nothing left out


def test_every_one_is_named(tmp_path: Path) -> None:
    n = 7  # the warning named five and counted the others
    _, (scene,), report = _read(_coco(tmp_path, [{"segmentation": [SQUARE, [1, 1, 3, 3]]} for _ in range(n)]))
    assert scene.masks is not None  # each object keeps its square
    assert [e.field for e in report.entries] == [f"annotations[{k}] (id {10 + k}).segmentation[1]" for k in range(n)]
    assert all("polygon of 2 points left out" in e.reason for e in report.entries)


def test_a_rejected_scene_reports_only_its_rejection(tmp_path: Path) -> None:
    # its polygon is left out, but the scene goes for its other annotation's box: one entry, the scene's
    _, scenes, report = _read(_coco(tmp_path, [{"segmentation": [SQUARE, [4, 4]]}, {"bbox": [1, "x", 2, 2]}]))
    assert scenes == [] and [(e.field, e.level) for e in report.entries] == [("annotations[1] (id 11).bbox", "scene")]


def test_a_file_with_nothing_left_out_reports_nothing(tmp_path: Path) -> None:
    warned, (scene,), report = _read(_coco(tmp_path, [{"segmentation": [SQUARE]}]))
    assert scene.masks is not None and warned == [] and report.entries == [] and not report.repairs


def test_strict_reports_them_and_keeps_going(tmp_path: Path) -> None:
    # strict stops at a record refused; a polygon left out of a record kept is reported, not raised
    _, (scene,), report = _read(_coco(tmp_path, [{"segmentation": [SQUARE, [4, 4]]}]), strict=True)
    assert scene.masks is not None and _said(report)[0][2:] == ("annotations[0] (id 10).segmentation[1]", "mask")


@pytest.mark.parametrize(("segmentation", "polygons"), [([[]], 0), ([[4, 4]], 1)])
def test_an_object_of_only_such_polygons_is_named_as_without_a_mask(tmp_path: Path, segmentation: list[Any],
                                                                     polygons: int) -> None:
    _, (scene,), report = _read(_coco(tmp_path, [{"segmentation": [SQUARE]}, {"segmentation": segmentation}]))
    assert scene.masks is None and report.rejected["mask"] == polygons + 1
    assert report.entries[-1].field == "annotations[1] (id 11).segmentation"


def test_convert_writes_them_in_its_reject_report_and_counts_them(tmp_path: Path) -> None:
    path = _coco(tmp_path, [{"segmentation": [SQUARE, [4, 4]]}, {"segmentation": []}])
    done = convert(path, tmp_path / "out.jsonl", "coco")
    lines = [orjson.loads(line) for line in Path(done.rejects).read_bytes().splitlines()]
    assert [(r["file"], r["record"], r["field"], r["level"]) for r in lines] == [
        (str(path), "1", "annotations[0] (id 10).segmentation[1]", "mask"),
        (str(path), "1", "annotations[1] (id 11).segmentation", "mask")]
    assert done.scenes_written == 1 and done.scenes_rejected == 0
    assert done.rejected == 2 and done.rejected_by_level == {"mask": 2}


def test_the_command_says_them(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app

    path = _coco(tmp_path, [{"segmentation": [SQUARE, [4, 4]]}])
    result = CliRunner().invoke(app, ["convert", str(path), "-o", str(tmp_path / "out.jsonl"), "--strict"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "masks rejected" in said and "1 reject(s)" in said and "warning" not in said
    (line,) = (tmp_path / "rejects.jsonl").read_bytes().splitlines()
    assert orjson.loads(line)["field"] == "annotations[0] (id 10).segmentation[1]"
