"""Boxes that look normalised (0-1) where pixels are expected: the scene is refused, never guessed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from veriscene.errors import SceneValidationError
from veriscene.io.readers import read
from veriscene.io.rejects import RejectReport
from veriscene.scene.box_units import looks_normalised
from veriscene.scene.jsonl import read_scenes, scene_from_dict


def record(image_id: str, boxes: list[list[float]], width: int = 640, height: int = 480, **meta: str) -> dict:
    return {"image_id": image_id, "width": width, "height": height, "meta": meta,
            "objects": [{"name": f"thing{i}", "box": box} for i, box in enumerate(boxes)]}


def test_normalised_scene_is_refused_naming_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "scenes.jsonl"
    lines = [record("a", [[0.1, 0.2, 0.5, 0.6], [0.5, 0.5, 0.9, 1.0]]),
             record("b", [[0, 0, 1, 1], [10, 10, 100, 100]])]  # a real tiny object among big ones
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    errors: list[SceneValidationError] = []
    assert [s.image_id for s in read_scenes(path, errors.append)] == ["b"]
    (error,) = errors
    assert (error.source, error.record, error.field) == (str(path), 1, "objects[0].box")
    assert "look normalised" in error.reason and "[0.1, 0.2, 0.5, 0.6]" in error.reason
    assert "multiply x0 and x1 by the image's width (640) and y0 and y1 by its height (480)" in error.reason

    report = RejectReport()  # the reader of the core format: a scene reject, counted
    assert [s.image_id for s in read(path, "veriscene_jsonl", report=report)] == ["b"]
    assert report.total == 1 and report.entries[0].field == "objects[0].box" and report.entries[0].level == "scene"


@pytest.mark.parametrize(("boxes", "width", "height", "normalised"), [
    ([[0.1, 0.2, 0.5, 0.6]], 640, 480, True),
    ([[0, 0, 1, 1]], 640, 480, True),  # one whole-image box, normalised
    ([[0, 0, 1, 1], [0.5, 0.5, 1.5, 1.5]], 33, 33, True),
    ([[0.1, 0.2, 0.5, 0.6]], 32, 480, False),  # a thumbnail: tiny boxes may be pixels
    ([[0, 0, 1, 1], [1, 1, 2, 2]], 640, 480, False),  # 2 > 1.5: pixels
    ([[0, 0, 1, 1], [10, 10, 100, 100]], 640, 480, False),
    ([], 640, 480, False),
])
def test_looks_normalised_only_when_every_box_is_that_small(boxes: list, width: int, height: int,
                                                            normalised: bool) -> None:
    array = np.array(boxes, dtype=np.float32).reshape(-1, 4)
    assert looks_normalised(array, width, height) is normalised


def test_boxes_measured_from_labelled_pixels_pass() -> None:
    # a label map's one labelled pixel in the corner: a box of pixels, whatever its size
    scene = scene_from_dict(record("m", [[0, 0, 1, 1]], source_format="label_map"))
    assert scene.boxes.tolist() == [[0, 0, 1, 1]]
    with pytest.raises(SceneValidationError, match="look normalised"):
        scene_from_dict(record("m", [[0, 0, 1, 1]], source_format="coco"))


def test_coco_file_of_normalised_bboxes_is_refused_per_image(tmp_path: Path) -> None:
    data = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 640, "height": 480},
                   {"id": 2, "file_name": "b.jpg", "width": 640, "height": 480}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0.1, 0.2, 0.4, 0.4]},
            {"id": 2, "image_id": 1, "category_id": 1, "bbox": [0.5, 0.5, 0.3, 0.2]},
            {"id": 3, "image_id": 2, "category_id": 1, "bbox": [0, 0, 1, 1]},  # a tiny real object
            {"id": 4, "image_id": 2, "category_id": 1, "bbox": [50, 60, 100, 80]},
        ],
        "categories": [{"id": 1, "name": "person"}],
    }
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(data))
    report = RejectReport()
    assert [s.image_id for s in read(path, "coco", report=report)] == ["2"]
    (entry,) = report.entries
    assert (entry.record, entry.field, entry.level) == ("1", "annotations[0] (id 1).bbox", "scene")
    assert "look normalised" in entry.reason
    assert "[x, y, width, height] in pixels: multiply x and width by the image's width (640)" in entry.reason
