"""Sizes read from image headers are those of the photo as shown (EXIF orientation applied), as
`scene.upright` and every viewer show it: boxes drawn on the upright photo fit, normalised Open
Images coordinates scale to upright pixels, and a 2D label map fits its photo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from veriscene.io.readers._base import header_size
from veriscene.io.readers._images import read_header, upright_array
from veriscene.scene.masks import decode_mask

from .reader_helpers import read_all, write_json

STORED = (80, 40)  # (width, height) of the pixels in the file; shown 40 wide and 80 high when sideways


def phone_photo(path: Path, turn: int | None) -> Path:
    """An 80x40 JPEG stored with EXIF orientation `turn` (no EXIF block when None)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.new("RGB", STORED, (200, 30, 30))
    if turn is None:
        im.save(path, format="JPEG")
    else:
        exif = Image.Exif()
        exif[0x0112] = turn
        im.save(path, format="JPEG", exif=exif)
    return path


@pytest.mark.parametrize("turn, shown", [
    (None, (80, 40)), (1, (80, 40)), (2, (80, 40)), (3, (80, 40)), (4, (80, 40)),
    (5, (40, 80)), (6, (40, 80)), (7, (40, 80)), (8, (40, 80)),
])
def test_header_size_is_the_size_shown(tmp_path: Path, turn: int | None, shown: tuple[int, int]) -> None:
    path = phone_photo(tmp_path / "p.jpg", turn)
    assert header_size(path) == shown
    with Image.open(path) as im:
        assert ImageOps.exif_transpose(im).size == shown  # what viewers and scene.upright show
    assert header_size(tmp_path / "missing.jpg") is None


# A box in the lower part of the upright (40 wide, 80 high) photo: outside the stored 80x40 one.
UPRIGHT_BOX = [5.0, 50.0, 35.0, 75.0]  # x0, y0, x1, y1


def _coco(tmp_path: Path) -> Path:
    x0, y0, x1, y1 = UPRIGHT_BOX
    return write_json(tmp_path / "instances.json", {
        "images": [{"id": 1, "file_name": "phone.jpg"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [x0, y0, x1 - x0, y1 - y0],
                         "iscrowd": 0, "area": 750}],
        "categories": [{"id": 1, "name": "cup"}]})


def _visual_genome(tmp_path: Path) -> Path:
    x0, y0, x1, y1 = UPRIGHT_BOX
    return write_json(tmp_path / "scene_graphs.json", [{"image_id": 1, "url": "https://x/VG_100K/phone.jpg",
        "objects": [{"object_id": 1, "names": ["cup"], "x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0}],
        "relationships": []}])


def _gqa(tmp_path: Path) -> Path:
    x0, y0, x1, y1 = UPRIGHT_BOX
    return write_json(tmp_path / "gqa.json", {"phone": {"objects": {"1": {
        "name": "cup", "x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0, "attributes": [], "relations": []}}}})


def _provision(tmp_path: Path) -> Path:
    return write_json(tmp_path / "set" / "object-detection-annotations.json", {"phone": {
        "data_path": "/elsewhere/phone.jpg", "annotation": {"labels": ["cup"], "bboxes": [UPRIGHT_BOX]}}}).parent


def _open_images_boxes(tmp_path: Path) -> Path:
    x0, y0, x1, y1 = UPRIGHT_BOX  # normalised by the upright size: 40 wide, 80 high
    path = tmp_path / "validation-annotations-bbox.csv"
    path.write_text("ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,"
                    f"IsDepiction,IsInside\nphone,xclick,/m/cup,1,{x0 / 40},{x1 / 40},{y0 / 80},{y1 / 80},0,0,0,0,0\n")
    return path


def _open_images(tmp_path: Path) -> Path:
    x0, y0, x1, y1 = UPRIGHT_BOX
    path = tmp_path / "oidv6-train-annotations-vrd.csv"
    norm = f"{x0 / 40},{x1 / 40},{y0 / 80},{y1 / 80}"
    path.write_text("ImageID,LabelName1,LabelName2,XMin1,XMax1,YMin1,YMax1,XMin2,XMax2,YMin2,YMax2,"
                    f"RelationshipLabel\nphone,/m/cup,/m/table,{norm},0,1,0,0.5,on\n")
    return path


@pytest.mark.parametrize("fmt, write, image", [
    ("coco", _coco, "phone.jpg"), ("visual_genome", _visual_genome, "1.jpg"), ("gqa", _gqa, "phone.jpg"),
    ("provision", _provision, "phone.jpg"), ("open_images", _open_images_boxes, "phone.jpg"),
    ("open_images", _open_images, "phone.jpg"),
])
def test_readers_size_a_sideways_photo_upright(tmp_path: Path, fmt: str, write, image: str) -> None:
    """Every reader that takes sizes from image headers: the scene is 40x80 (as shown) and the
    box drawn on the upright photo is kept as it is, neither refused nor clipped."""
    path = write(tmp_path)
    phone_photo(tmp_path / "images" / image, 6)
    scenes, report = read_all(path, fmt, image_root=tmp_path / "images")
    assert report.entries == []
    (scene,) = scenes
    assert (scene.width, scene.height) == (40, 80)
    np.testing.assert_allclose(scene.boxes[0], UPRIGHT_BOX, atol=1e-4)
    assert report.boxes_clipped == 0
    assert report.repairs["sizes_from_image_header"] == 1 and report.repairs["sizes_of_upright_image"] == 1


def test_clevr_scene_sized_from_a_turned_image(tmp_path: Path) -> None:
    scene = {"image_index": 0, "image_filename": "CLEVR_val_000000.png", "split": "val",
             "objects": [{"shape": "cube", "color": "red", "material": "rubber", "size": "large",
                          "pixel_coords": [20, 60, 8.0], "3d_coords": [0, 0, 0], "bbox": [5, 50, 30, 25]}],
             "relationships": {"left": [[]], "right": [[]], "front": [[]], "behind": [[]]}}
    write_json(tmp_path / "scenes" / "CLEVR_val_000000.json", scene)
    phone_photo(tmp_path / "images" / "val" / "CLEVR_val_000000.png", 6)
    (s,), report = read_all(tmp_path / "scenes", "clevr", image_root=tmp_path / "images")
    assert (s.width, s.height) == (40, 80) and report.boxes_clipped == 0
    np.testing.assert_allclose(s.boxes[0], UPRIGHT_BOX)


@pytest.mark.parametrize("turn", range(1, 9))
def test_upright_array_turns_as_pillow_turns_pixels(turn: int) -> None:
    stored = (np.arange(7 * 12).reshape(7, 12) % 251).astype(np.uint8)
    im = Image.fromarray(stored)
    exif = im.getexif()
    exif[0x0112] = turn
    im.info["exif"] = exif.tobytes()
    np.testing.assert_array_equal(upright_array(stored, turn), np.asarray(ImageOps.exif_transpose(im)))


def test_a_label_map_of_the_stored_pixels_is_turned_with_its_photo(tmp_path: Path) -> None:
    pytest.importorskip("scipy")
    stored = np.zeros((40, 80), np.uint8)  # made on the stored pixels: 80 wide, 40 high
    stored[5:15, 50:70] = 1
    maps = tmp_path / "maps"
    maps.mkdir()
    Image.fromarray(stored).save(maps / "phone.png")
    phone_photo(tmp_path / "images" / "phone.jpg", 6)
    (s,), report = read_all(maps / "phone.png", "label_map", images=tmp_path / "images")
    assert (s.width, s.height) == (40, 80) and report.repairs["label_maps_turned_upright"] == 1
    np.testing.assert_array_equal(decode_mask(s.masks[0]), np.rot90(stored, k=-1) == 1)  # as the photo is shown
    # a map already drawn on the upright photo is read as it is
    Image.fromarray(np.ascontiguousarray(np.rot90(stored, k=-1))).save(maps / "phone.png")
    (s,), report = read_all(maps / "phone.png", "label_map", images=tmp_path / "images")
    assert (s.width, s.height) == (40, 80) and "label_maps_turned_upright" not in report.repairs
    np.testing.assert_array_equal(decode_mask(s.masks[0]), np.rot90(stored, k=-1) == 1)


def test_a_label_map_of_neither_size_names_the_orientation(tmp_path: Path) -> None:
    pytest.importorskip("scipy")
    (tmp_path / "maps").mkdir()
    Image.fromarray(np.ones((30, 30), np.uint8)).save(tmp_path / "maps" / "phone.png")
    phone_photo(tmp_path / "images" / "phone.jpg", 6)
    scenes, report = read_all(tmp_path / "maps" / "phone.png", "label_map", images=tmp_path / "images")
    assert scenes == [] and report.entries[0].field == "image"
    assert "40x80 as shown (EXIF orientation 6 applied)" in report.entries[0].reason


def test_an_image_too_large_to_open_is_a_reject_not_a_traceback(tmp_path: Path, monkeypatch) -> None:
    phone_photo(tmp_path / "images" / "phone.jpg", None)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow refuses 2x this even for a header
    with pytest.raises(Exception) as info:
        read_header(tmp_path / "images" / "phone.jpg")
    assert "cannot read the image header" in str(info.value)
    scenes, report = read_all(_coco(tmp_path), "coco", image_root=tmp_path / "images")
    assert scenes == [] and report.entries[0].field == "image"
