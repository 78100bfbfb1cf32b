"""Images whose files carry an EXIF orientation are counted where a reader reads their headers
(`images_turned_by_exif_orientation`): their annotation is taken as drawn on the photo shown
(turned), which a set annotated on the stored pixels would contradict unseen where the turn keeps
the size (upside down, mirrored), so the count says how many were taken so."""

from __future__ import annotations

from pathlib import Path

import pytest

from .reader_helpers import read_all, write_json
from .test_upright_sizes import phone_photo

TURNED = "images_turned_by_exif_orientation"


def _coco(tmp_path: Path, width: int, height: int) -> Path:
    return write_json(tmp_path / "instances.json", {
        "images": [{"id": 1, "file_name": "phone.jpg", "width": width, "height": height}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [5, 5, 20, 20], "iscrowd": 0, "area": 400}],
        "categories": [{"id": 1, "name": "cup"}]})


@pytest.mark.parametrize("turn, size, counted", [
    (None, (80, 40), 0), (1, (80, 40), 0), (3, (80, 40), 1), (2, (80, 40), 1), (6, (40, 80), 1), (8, (40, 80), 1),
])
def test_an_annotated_size_checked_against_a_turned_photo_is_counted(
        tmp_path: Path, turn: int | None, size: tuple[int, int], counted: int) -> None:
    phone_photo(tmp_path / "images" / "phone.jpg", turn)
    scenes, report = read_all(_coco(tmp_path, *size), "coco", image_root=tmp_path / "images")
    assert report.entries == [] and len(scenes) == 1 and (scenes[0].width, scenes[0].height) == size
    assert report.repairs[TURNED] == counted


@pytest.mark.parametrize("turn, counted", [(None, 0), (3, 1), (6, 1)])
def test_a_size_read_from_a_turned_photo_is_counted(tmp_path: Path, turn: int | None, counted: int) -> None:
    path = write_json(tmp_path / "scene_graphs.json", [{"image_id": 1, "url": "https://x/VG_100K/phone.jpg",
                      "objects": [{"object_id": 1, "names": ["cup"], "x": 5, "y": 5, "w": 20, "h": 20}],
                      "relationships": []}])
    phone_photo(tmp_path / "images" / "1.jpg", turn)
    _, report = read_all(path, "visual_genome", image_root=tmp_path / "images")
    assert report.repairs[TURNED] == counted


def test_convert_says_what_was_taken_and_how_to_undo_it(tmp_path: Path) -> None:
    from veriscene.io.convert import convert

    phone_photo(tmp_path / "images" / "phone.jpg", 3)  # upside down: the size cannot tell
    summary = convert(_coco(tmp_path, 80, 40), tmp_path / "s.jsonl", "coco", image_root=tmp_path / "images")
    (said,) = [w for w in summary.warnings if "EXIF orientation" in w]
    assert said.startswith("1 image(s) carry an EXIF orientation: their boxes are taken as drawn on the photo as shown")
    assert "exiftool -Orientation=" in said
    phone_photo(tmp_path / "images" / "phone.jpg", None)
    assert not convert(_coco(tmp_path, 80, 40), tmp_path / "t.jsonl", "coco", image_root=tmp_path / "images").warnings
