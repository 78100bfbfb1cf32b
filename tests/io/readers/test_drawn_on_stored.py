"""Annotation drawn on a photo's stored pixels (`drawn_on`, `_stored_pixels`): each of the 8 EXIF
orientations maps boxes and masks as Pillow's `ImageOps.exif_transpose` moves the pixels, and the
readers map a scene so when told (`drawn_on=stored`), or when its annotated size is the stored
size of a photo turned a quarter (`auto`, the default). Images are JPEGs written by Pillow with
an EXIF orientation, white shapes on black (thresholded at 128 after decoding)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from veriscene.errors import ReaderOptionError
from veriscene.io.readers import reader_options
from veriscene.io.readers._stored_pixels import MAPPED, shown_boxes, shown_mask
from veriscene.scene.image_files import read_rgb
from veriscene.scene.masks import decode_mask, encode_mask

from .reader_helpers import read_all, write_json

TURNED = "images_turned_by_exif_orientation"
W, H = 96, 56  # stored size; blocks of 8 pixels, so that JPEG keeps every edge
BOX = (16, 8, 56, 32)  # xyxy in the stored pixels, off centre both ways


def _l_shape() -> np.ndarray:
    """(H, W) bool: an L, which no mirror or turn maps onto itself."""
    shape = np.zeros((H, W), dtype=bool)
    shape[8:32, 16:24] = True  # the upright stroke
    shape[24:32, 16:56] = True  # the foot
    return shape


def _photo(path: Path, pixels: np.ndarray, turn: int | None) -> Path:
    """A grey JPEG of the stored `pixels` (bool (H, W): white where true) tagged with `turn`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.fromarray(np.where(pixels, 255, 0).astype(np.uint8), mode="L")
    exif = Image.Exif()
    if turn is not None:
        exif[0x0112] = turn
    im.save(path, format="JPEG", quality=95, exif=exif)
    return path


def _shown(path: Path) -> np.ndarray:
    """(h, w) bool: the white pixels of the photo as Pillow shows it."""
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("L")) > 128


def _filled(shape: tuple[int, int], box: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = (int(round(float(v))) for v in box)
    out = np.zeros(shape, dtype=bool)
    out[y0:y1, x0:x1] = True
    return out


@pytest.mark.parametrize("turn", range(1, 9))
def test_a_box_drawn_on_the_stored_pixels_covers_them_in_the_photo_shown(tmp_path: Path, turn: int) -> None:
    stored = _filled((H, W), np.array(BOX))
    shown = _shown(_photo(tmp_path / "p.jpg", stored, turn))
    (box,) = shown_boxes(np.array([BOX], dtype=np.float32), (W, H), turn)
    np.testing.assert_array_equal(_filled(shown.shape, box), shown)


@pytest.mark.parametrize("turn", range(1, 9))
def test_a_mask_drawn_on_the_stored_pixels_covers_them_in_the_photo_shown(tmp_path: Path, turn: int) -> None:
    shown = _shown(_photo(tmp_path / "p.jpg", _l_shape(), turn))
    mapped = shown_mask(encode_mask(_l_shape()), turn)
    assert mapped["size"] == list(shown.shape)
    np.testing.assert_array_equal(decode_mask(mapped).astype(bool), shown)


def _coco(tmp_path: Path, size: tuple[int, int], segmentation: object = None) -> Path:
    x0, y0, x1, y1 = BOX
    ann = {"id": 1, "image_id": 1, "category_id": 1, "bbox": [x0, y0, x1 - x0, y1 - y0], "iscrowd": 0}
    if segmentation is not None:
        ann["segmentation"] = segmentation
    return write_json(tmp_path / "instances.json", {
        "images": [{"id": 1, "file_name": "phone.jpg", "width": size[0], "height": size[1]}],
        "annotations": [ann], "categories": [{"id": 1, "name": "cup"}]})


# the L's outline, in the stored pixels' coordinates (a polygon as COCO writes one)
_L_POLYGON = [[16, 8, 24, 8, 24, 24, 56, 24, 56, 32, 16, 32]]


@pytest.mark.parametrize("turn", [5, 6, 7, 8])
def test_a_sideways_photo_annotated_by_its_stored_size_is_mapped_by_default(tmp_path: Path, turn: int) -> None:
    # before: rejected ("annotated size 96x56 is the stored size of ..."), though no other reading fits
    photo = _photo(tmp_path / "images" / "phone.jpg", _l_shape(), turn)
    scenes, report = read_all(_coco(tmp_path, (W, H), _L_POLYGON), "coco", image_root=tmp_path / "images")
    assert report.entries == [] and report.repairs[MAPPED] == 1 and report.repairs[TURNED] == 0
    (scene,) = scenes
    shown = np.asarray(read_rgb(photo).convert("L")) > 128  # as every command decodes the photo
    assert (scene.width, scene.height) == (H, W) == (shown.shape[1], shown.shape[0])
    rows, cols = np.nonzero(shown)
    assert scene.boxes[0].tolist() == [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]
    mask = decode_mask(scene.masks[0]).astype(bool)
    assert (mask & shown).sum() / (mask | shown).sum() > 0.9  # pycocotools' polygon edges, not the pixels'


@pytest.mark.parametrize("turn", [2, 3, 4, 6])
def test_drawn_on_stored_maps_every_turn_an_rle_mask_too(tmp_path: Path, turn: int) -> None:
    photo = _photo(tmp_path / "images" / "phone.jpg", _l_shape(), turn)
    rle = encode_mask(_l_shape())
    scenes, report = read_all(_coco(tmp_path, (W, H), rle), "coco", image_root=tmp_path / "images",
                              drawn_on="stored")
    assert report.entries == [] and report.repairs[MAPPED] == 1 and report.repairs[TURNED] == 0
    np.testing.assert_array_equal(decode_mask(scenes[0].masks[0]).astype(bool), _shown(photo))


def test_auto_takes_a_turn_that_keeps_the_size_as_shown(tmp_path: Path) -> None:
    # upside down: the sizes cannot tell, so the boxes stay as written, and the image is counted
    _photo(tmp_path / "images" / "phone.jpg", _l_shape(), 3)
    scenes, report = read_all(_coco(tmp_path, (W, H)), "coco", image_root=tmp_path / "images")
    assert scenes[0].boxes[0].tolist() == list(BOX) and report.repairs[TURNED] == 1 and report.repairs[MAPPED] == 0


def test_nothing_changes_for_an_untagged_photo(tmp_path: Path) -> None:
    _photo(tmp_path / "images" / "phone.jpg", _l_shape(), None)
    for drawn_on in ("auto", "shown", "stored"):
        scenes, report = read_all(_coco(tmp_path, (W, H)), "coco", image_root=tmp_path / "images", drawn_on=drawn_on)
        assert scenes[0].boxes[0].tolist() == list(BOX) and (scenes[0].width, scenes[0].height) == (W, H)
        assert report.repairs[MAPPED] == 0 and report.repairs[TURNED] == 0


def test_shown_keeps_refusing_the_stored_size_and_says_how_to_map_it(tmp_path: Path) -> None:
    _photo(tmp_path / "images" / "phone.jpg", _l_shape(), 6)
    scenes, report = read_all(_coco(tmp_path, (W, H)), "coco", image_root=tmp_path / "images", drawn_on="shown")
    assert scenes == [] and "drawn_on=stored or auto" in report.entries[0].reason


def test_stored_refuses_a_sideways_photo_annotated_by_its_size_shown(tmp_path: Path) -> None:
    _photo(tmp_path / "images" / "phone.jpg", _l_shape(), 6)
    scenes, report = read_all(_coco(tmp_path, (H, W)), "coco", image_root=tmp_path / "images", drawn_on="stored")
    assert scenes == [] and "is the size of" in report.entries[0].reason and "as shown" in report.entries[0].reason


def test_stored_needs_the_images_and_a_known_value(tmp_path: Path) -> None:
    path = _coco(tmp_path, (W, H))
    with pytest.raises(ReaderOptionError, match="image_root"):
        read_all(path, "coco", drawn_on="stored")
    with pytest.raises(ReaderOptionError, match="drawn_on must be one of auto, shown, stored"):
        read_all(path, "coco", image_root=tmp_path, drawn_on="upright")
    for fmt in ("coco", "visual_genome", "gqa", "provision", "open_images", "clevr"):
        assert "drawn_on" in reader_options(fmt)


def test_a_size_read_from_the_header_is_mapped_when_told(tmp_path: Path) -> None:
    # Visual Genome without width/height: the size comes from the photo; stored pixels when told
    x0, y0, x1, y1 = BOX
    path = write_json(tmp_path / "scene_graphs.json", [{"image_id": 1, "url": "https://x/VG_100K/1.jpg",
                      "objects": [{"object_id": 1, "names": ["cup"], "x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0}],
                      "relationships": []}])
    photo = _photo(tmp_path / "images" / "1.jpg", _filled((H, W), np.array(BOX)), 8)
    scenes, report = read_all(path, "visual_genome", image_root=tmp_path / "images", drawn_on="stored")
    assert report.repairs[MAPPED] == 1
    np.testing.assert_array_equal(_filled((W, H), scenes[0].boxes[0]), _shown(photo))
    scenes, report = read_all(path, "visual_genome", image_root=tmp_path / "images")  # auto: as shown
    assert report.repairs[MAPPED] == 0 and scenes[0].boxes[0].tolist() == list(BOX)


@pytest.mark.parametrize("turn", range(1, 9))
def test_a_mask_turned_by_its_box_is_the_whole_mask_turned(turn: int) -> None:
    # random masks, edges and an empty one: turning only the box turns every pixel
    from veriscene.io.readers._images import upright_array

    rng = np.random.default_rng(turn)
    for k in range(20):
        h, w = (int(v) for v in rng.integers(1, 30, 2))
        binary = rng.random((h, w)) < (0.0 if k == 0 else rng.random() * 0.3)
        if k == 1:
            binary[:, :] = True
        mapped = decode_mask(shown_mask(encode_mask(binary), turn)).astype(bool)
        np.testing.assert_array_equal(mapped, upright_array(binary, turn))


@pytest.mark.parametrize("fmt", ["coco", "visual_genome", "gqa", "provision", "clevr"])
def test_every_reader_of_annotated_sizes_maps_a_sideways_photo(tmp_path: Path, fmt: str) -> None:
    from .test_annotated_sizes import BOX as SIZED_BOX
    from .test_annotated_sizes import SIZED
    from .test_upright_sizes import phone_photo

    write = dict(SIZED)[fmt]
    phone_photo(tmp_path / "images" / "pic.jpg", 8)  # stored 80x40, shown 40x80
    (scene,), report = read_all(write(tmp_path, 80, 40), fmt, image_root=tmp_path / "images")
    assert (scene.width, scene.height) == (40, 80) and report.repairs[MAPPED] == 1
    x0, y0, x1, y1 = SIZED_BOX  # turn 8 sends stored (x, y) to (y, 80 - x)
    assert scene.boxes[0].tolist() == [y0, 80 - x1, y1, 80 - x0]
