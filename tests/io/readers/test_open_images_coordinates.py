"""Open Images coordinates: a swapped min and max, or pixels where fractions belong, are refused
naming the columns (not as an 'inverted box' of scaled numbers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .reader_helpers import read_all
from .test_read_open_images_boxes import BOX_HEADER, write


@pytest.mark.parametrize(("coords", "field", "reason"), [
    ("0.6,0.4,0.2,0.9", "line 2.XMin", "XMin 0.6 is greater than XMax 0.4"),
    ("0.1,0.4,0.9,0.2", "line 2.YMin", "YMin 0.9 is greater than YMax 0.2"),
    ("12,140,30,200", "line 2.XMin", "XMin, YMin, XMax, YMax = 12, 30, 140, 200: Open Images coordinates are "
                                     "fractions of the image's width and height, in [0, 1] (pixels?)"),
])
def test_bad_coordinates_name_the_columns(tmp_path: Path, coords: str, field: str, reason: str) -> None:
    boxes = write(tmp_path, "boxes.csv", BOX_HEADER, [f"a1,xclick,/m/man,1,{coords},0,0,0,0,0",
                                                       "b2,xclick,/m/dog,1,0.1,0.2,0.1,0.2,0,0,0,0,0"])
    scenes, report = read_all(boxes, "open_images", image_size=(100, 100))
    assert [s.image_id for s in scenes] == ["b2"]
    (entry,) = report.entries
    assert (entry.record, entry.field, entry.reason) == ("a1", field, reason)


def test_a_fraction_slightly_past_the_edge_is_clipped(tmp_path: Path) -> None:
    boxes = write(tmp_path, "boxes.csv", BOX_HEADER, ["a1,xclick,/m/man,1,0.5,1.02,0.1,0.9,0,0,0,0,0"])
    (scene,), report = read_all(boxes, "open_images", image_size=(100, 100))
    assert scene.boxes.tolist() == [[50.0, 10.0, 100.0, 90.0]] and report.repairs["boxes_clipped"] == 1
