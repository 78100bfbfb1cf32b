"""veriscene JSONL scene graphs made by a pipeline of the user's own on a photo's stored pixels
(`drawn_on`, `_stored_pixels`), as the other readers take them: mapped onto the photo shown when
told (`stored`) or when the scene's size is the stored size of a photo turned a quarter (`auto`),
checked and refused as `shown`; without `drawn_on` the scenes are read as written, no image
opened. Photos as in test_drawn_on_stored: white shapes on black JPEGs tagged by Pillow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from veriscene.errors import ReaderOptionError
from veriscene.io.readers import reader_options
from veriscene.io.readers._stored_pixels import MAPPED
from veriscene.io.readers.veriscene_jsonl import DEPTH_MAPS_OF_STORED_PIXELS
from veriscene.scene.jsonl import write_scenes
from veriscene.scene.masks import decode_mask, encode_mask
from veriscene.scene.model import Scene

from .reader_helpers import read_all
from .test_drawn_on_stored import BOX, H, W, _filled, _l_shape, _photo, _shown

TURNED = "images_turned_by_exif_orientation"


def _scenes(tmp_path: Path, size: tuple[int, int], image: str = "phone.jpg") -> Path:
    """One scene of the L's box and mask drawn on pixels of `size` (the stored W x H, or H x W)."""
    mask = _l_shape() if size == (W, H) else np.zeros((size[1], size[0]), bool)
    scene = Scene(image_id="phone", width=size[0], height=size[1], boxes=np.array([BOX], np.float32),
                  names=("cup",), attributes=((),), image=image, masks=(encode_mask(mask),))
    path = tmp_path / "scenes.jsonl"
    write_scenes([scene], path)
    return path


@pytest.mark.parametrize("turn", [2, 3, 6, 8])
def test_drawn_on_stored_maps_the_box_and_mask_onto_the_photo_shown(tmp_path: Path, turn: int) -> None:
    photo = _photo(tmp_path / "images" / "phone.jpg", _l_shape(), turn)
    scenes, report = read_all(_scenes(tmp_path, (W, H)), "veriscene_jsonl", image_root=tmp_path / "images",
                              drawn_on="stored")
    assert report.entries == [] and report.repairs[MAPPED] == 1 and report.repairs[TURNED] == 0
    (scene,) = scenes
    shown = _shown(photo)
    assert (scene.width, scene.height) == (shown.shape[1], shown.shape[0])
    np.testing.assert_array_equal(_filled(shown.shape, scene.boxes[0]), _filled(shown.shape, _box_of(shown)))
    assert scene.masks is not None
    np.testing.assert_array_equal(decode_mask(scene.masks[0]).astype(bool), shown)


def _box_of(pixels: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(pixels)
    return np.array([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1])


def test_auto_maps_a_sideways_photo_s_scene_of_its_stored_size(tmp_path: Path) -> None:
    photo = _photo(tmp_path / "images" / "phone.jpg", _l_shape(), 6)
    scenes, report = read_all(_scenes(tmp_path, (W, H)), "veriscene_jsonl", image_root=tmp_path / "images",
                              drawn_on="auto")
    (scene,) = scenes
    assert report.repairs[MAPPED] == 1 and (scene.width, scene.height) == (H, W) and scene.masks is not None
    np.testing.assert_array_equal(decode_mask(scene.masks[0]).astype(bool), _shown(photo))


def test_without_drawn_on_the_scenes_are_read_as_written(tmp_path: Path) -> None:
    _photo(tmp_path / "images" / "phone.jpg", _l_shape(), 6)
    scenes, report = read_all(_scenes(tmp_path, (W, H)), "veriscene_jsonl", image_root=tmp_path / "images")
    assert report.entries == [] and report.repairs[MAPPED] == 0
    assert (scenes[0].width, scenes[0].height) == (W, H) and scenes[0].boxes[0].tolist() == list(BOX)


def test_shown_refuses_a_stored_size_naming_the_line(tmp_path: Path) -> None:
    _photo(tmp_path / "images" / "phone.jpg", _l_shape(), 6)
    scenes, report = read_all(_scenes(tmp_path, (W, H)), "veriscene_jsonl", image_root=tmp_path / "images",
                              drawn_on="shown")
    (entry,) = report.entries
    assert scenes == [] and entry.record == 1 and "drawn_on=stored or auto" in entry.reason


def test_a_scene_of_the_size_shown_is_kept_and_counted_as_turned(tmp_path: Path) -> None:
    _photo(tmp_path / "images" / "phone.jpg", _l_shape(), 6)
    scenes, report = read_all(_scenes(tmp_path, (H, W)), "veriscene_jsonl", image_root=tmp_path / "images",
                              drawn_on="auto")
    assert report.repairs[MAPPED] == 0 and report.repairs[TURNED] == 1
    assert scenes[0].boxes[0].tolist() == list(BOX)


def test_stored_needs_the_images(tmp_path: Path) -> None:
    assert "drawn_on" in reader_options("veriscene_jsonl")
    with pytest.raises(ReaderOptionError, match="image_root"):
        read_all(_scenes(tmp_path, (W, H)), "veriscene_jsonl", drawn_on="stored")
    with pytest.raises(ReaderOptionError, match="drawn_on must be one of"):
        read_all(_scenes(tmp_path, (W, H)), "veriscene_jsonl", image_root=tmp_path, drawn_on="upright")


def _depth_scene(tmp_path: Path, size: tuple[int, int] = (W, H), **given: Any) -> Path:
    """One scene of the L's box drawn on the stored pixels, its objects' depths given and its dense
    depth map (a file of the stored pixels, never opened) named by `given`."""
    scene = Scene(image_id="phone", width=size[0], height=size[1], boxes=np.array([BOX], np.float32), names=("cup",),
                  attributes=((),), image="phone.jpg", depth=np.array([0.25], np.float32), **given)
    path = tmp_path / "scenes.jsonl"
    write_scenes([scene], path)
    return path


@pytest.mark.parametrize("turn", [2, 3, 6])
def test_a_depth_map_of_the_stored_pixels_is_read_turned_when_its_scene_is_mapped(tmp_path: Path, turn: int) -> None:
    # the map file is not rewritten: the scene says it holds the stored pixels of a photo of that
    # orientation, and depth.map_points reads it turned as the photo is (mirrored or turned 180
    # degrees it has the scene's size: read as stored, it was the wrong way round)
    _photo(tmp_path / "images" / "phone.jpg", _l_shape(), turn)
    path = _depth_scene(tmp_path, depth_map="depth/phone.png")
    scenes, report = read_all(path, "veriscene_jsonl", image_root=tmp_path / "images", drawn_on="stored")
    (scene,) = scenes
    assert report.repairs[MAPPED] == 1 and scene.depth_map == "depth/phone.png"
    assert report.repairs[DEPTH_MAPS_OF_STORED_PIXELS] == 1 == report.repairs["depth_maps_of_stored_pixels_read_turned"]
    assert scene.meta == {"depth_map_exif_orientation": turn}  # (no note: the map is the scene's)
    assert scene.depth is not None and scene.depth.tolist() == [0.25]  # per object: right wherever its box moves


def test_a_source_depth_map_the_scene_gives_gains_the_turn(tmp_path: Path) -> None:
    _photo(tmp_path / "images" / "phone.jpg", _l_shape(), 8)
    given = {"path": "/maps/phone_depth.npy", "encoding": "uint8 0-255, larger = closer"}
    scenes, _ = read_all(_depth_scene(tmp_path, meta={"source_depth_map": given}), "veriscene_jsonl",
                         image_root=tmp_path / "images", drawn_on="stored")
    assert scenes[0].meta["source_depth_map"] == {**given, "exif_orientation": 8}
    scenes, report = read_all(_depth_scene(tmp_path, depth_map="/maps/phone.npy", meta={"source_depth_map": given}),
                              "veriscene_jsonl", image_root=tmp_path / "images", drawn_on="stored")
    assert scenes[0].depth_map == "/maps/phone.npy" and report.repairs[DEPTH_MAPS_OF_STORED_PIXELS] == 1
    assert scenes[0].meta == {"source_depth_map": {**given, "exif_orientation": 8}, "depth_map_exif_orientation": 8}


@pytest.mark.parametrize("turn, size", [(None, (W, H)), (6, (H, W))])
def test_a_depth_map_of_a_scene_not_mapped_is_left_as_written(tmp_path: Path, turn: int | None,
                                                              size: tuple[int, int]) -> None:
    # an untagged photo; a sideways one whose scene has the size shown: the map is of the pixels shown
    _photo(tmp_path / "images" / "phone.jpg", _l_shape(), turn)
    path = _depth_scene(tmp_path, size, depth_map="depth/phone.png")
    scenes, report = read_all(path, "veriscene_jsonl", image_root=tmp_path / "images", drawn_on="auto")
    assert report.repairs[MAPPED] == 0 and "source_depth_map" not in scenes[0].meta
    assert scenes[0].depth_map == "depth/phone.png"
