"""ProVision depth maps of a phone photo's stored pixels (`provision._upright_depth`): a depth
model that read a sideways photo with Pillow alone made a map of the stored shape; beside
annotation of the photo shown it is turned as the photo is, so each object's depth comes from its
own part of the map, and the scene says the file holds stored pixels. The photo is a JPEG tagged
by Pillow; the map holds a near (250) and a far (10) block, each object boxed on one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from veriscene.io.readers._stored_pixels import MAPPED, shown_boxes
from veriscene.scene.depth_maps import load_depth_map
from veriscene.scene.orientations import upright_array

from .reader_helpers import read_all

W, H = 96, 56  # stored size
STORED_BOXES = np.array([[8, 8, 40, 24], [56, 32, 88, 48]], np.float32)  # near, far
NEAR, FAR = 1 - 250 / 255, 1 - 10 / 255  # internal depths: smaller = closer
DEPTH_TURNED = "depth_maps_turned_by_exif_orientation"  # for the objects' depths
READ_TURNED = "depth_maps_of_stored_pixels_read_turned"  # the scene's dense map


def _stored_depth() -> np.ndarray:
    depth = np.zeros((H, W), np.uint8)
    depth[8:24, 8:40], depth[32:48, 56:88] = 250, 10
    return depth


def _inverse(values: np.ndarray) -> np.ndarray:
    """The depth `load_depth_map` reads from ProVision's 0-255 map (encoding "relative_inverse":
    -v, smaller = closer; 0, the farthest, a value like any other)."""
    return -values.astype(np.float32)


def _set(tmp_path: Path, turn: int | None, size: tuple[int, int], boxes: np.ndarray) -> Path:
    """A ProVision folder of one image (`size` and `boxes` as annotated) with the depth map of the
    stored pixels, and the photo under tmp_path/images tagged with `turn` (untagged: of `size`)."""
    (tmp_path / "images").mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    if turn is not None:
        exif[0x0112] = turn
    photo = _stored_depth() if turn is not None else np.zeros((size[1], size[0]), np.uint8)  # untagged: as annotated
    Image.fromarray(photo).save(tmp_path / "images" / "pic.jpg", exif=exif)
    folder = tmp_path / "set"
    (folder / "depth_masks").mkdir(parents=True, exist_ok=True)
    np.save(folder / "depth_masks" / "pic_depth.npy", _stored_depth())
    (folder / "object-detection-annotations.json").write_text(json.dumps({"pic": {
        "data_path": "/data/pic.jpg", "annotation": {
            "width": size[0], "height": size[1], "labels": ["near", "far"], "bboxes": boxes.tolist(),
            "depth_mask_id": "pic_depth.npy"}}}))
    return folder


@pytest.mark.parametrize("turn", [5, 6, 7, 8])
def test_a_map_of_the_stored_pixels_beside_annotation_of_the_photo_shown_is_turned(tmp_path: Path, turn: int) -> None:
    boxes = shown_boxes(STORED_BOXES, (W, H), turn)  # the same blocks, boxed on the photo shown
    (scene,), report = read_all(_set(tmp_path, turn, (H, W), boxes), "provision", image_root=tmp_path / "images")
    assert report.entries == [] and report.repairs[DEPTH_TURNED] == 1 and report.repairs["maps_transposed"] == 0
    assert scene.depth is not None
    np.testing.assert_allclose(scene.depth, [NEAR, FAR], atol=1e-6)
    assert scene.meta["source_depth_map"]["exif_orientation"] == turn
    # the file, of the stored pixels, is the scene's dense map too: read turned as the photo is
    assert scene.depth_map == str(tmp_path / "set" / "depth_masks" / "pic_depth.npy")
    assert scene.meta["depth_map_exif_orientation"] == turn and report.repairs[READ_TURNED] == 1
    np.testing.assert_array_equal(load_depth_map(scene), _inverse(upright_array(_stored_depth(), turn)))


def test_a_map_drawn_on_with_the_stored_pixels_turns_with_the_scene(tmp_path: Path) -> None:
    # boxes of the stored pixels too (auto maps the scene): the map is read as it is
    (scene,), report = read_all(_set(tmp_path, 6, (W, H), STORED_BOXES), "provision", image_root=tmp_path / "images")
    assert report.repairs[MAPPED] == 1 and report.repairs[DEPTH_TURNED] == 0 and scene.depth is not None
    np.testing.assert_allclose(scene.depth, [NEAR, FAR], atol=1e-6)
    assert scene.meta["source_depth_map"]["exif_orientation"] == 6
    assert scene.meta["depth_map_exif_orientation"] == 6 and report.repairs[READ_TURNED] == 1
    assert (scene.width, scene.height) == (H, W)  # the photo shown: the map, of the stored pixels, read turned
    np.testing.assert_array_equal(load_depth_map(scene), _inverse(upright_array(_stored_depth(), 6)))


@pytest.mark.parametrize("turn, image_root", [(None, True), (6, False)])
def test_without_a_sideways_photo_to_go_by_a_swapped_map_is_read_as_provision_documents(
        tmp_path: Path, turn: int | None, image_root: bool) -> None:
    # ProVision documents maps laid out [w, h]: transposed, as before
    boxes = STORED_BOXES[:, [1, 0, 3, 2]]  # the blocks transposed
    root = {"image_root": tmp_path / "images"} if image_root else {}
    (scene,), report = read_all(_set(tmp_path, turn, (H, W), boxes), "provision", **root)
    assert report.repairs["maps_transposed"] == 1 and report.repairs[DEPTH_TURNED] == 0 and scene.depth is not None
    np.testing.assert_allclose(scene.depth, [NEAR, FAR], atol=1e-6)
    assert "exif_orientation" not in scene.meta["source_depth_map"]
    assert scene.depth_map is None and report.repairs[READ_TURNED] == 0  # transposed here: not the file's layout
