"""Dense depth maps of a photo's stored pixels (``meta["depth_map_exif_orientation"]``,
`scene.depth_maps`): read turned as Pillow's `ImageOps.exif_transpose` turns the photo, pixel for
pixel, in all 8 orientations, whole and a pixel at a time; and the readers that find such a map
(veriscene JSONL mapped by ``drawn_on``, ProVision beside a sideways photo) name it so instead of
keeping it only as a note."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from tests.conftest import make_scene
from veriscene.scene.depth_maps import ORIENTATION_KEY, DepthMapError, anchored, load_depth_map, open_depth_map
from veriscene.scene.orientations import ORIENTATIONS, SIDEWAYS, then, upright_array

SW, SH = 7, 5  # the stored pixels' width and height


def stored_map() -> np.ndarray:
    """(SH, SW) depths, every pixel its own (1.0 to 35.0): a pixel read from another place shows."""
    return np.arange(1, SW * SH + 1, dtype=np.float32).reshape(SH, SW)


def pillow_turned(values: np.ndarray, turn: int) -> np.ndarray:
    """`values` as Pillow shows a photo of those pixels tagged with EXIF orientation `turn`."""
    im = Image.fromarray(values.astype(np.float32), "F")
    im.getexif()[0x0112] = turn
    return np.asarray(ImageOps.exif_transpose(im))


def shown_size(turn: int) -> tuple[int, int]:
    return (SH, SW) if turn in SIDEWAYS else (SW, SH)


def scene_of(path: Path, turn: int | None, **meta: object) -> object:
    width, height = shown_size(turn or 1)
    if turn is not None:
        meta[ORIENTATION_KEY] = turn
    return make_scene([{"name": "box", "box": [0, 0, 2, 2]}], width=width, height=height, depth_map=str(path),
                      meta=meta)


@pytest.mark.parametrize("kind", ["npy", "png"])
@pytest.mark.parametrize("turn", list(ORIENTATIONS))
def test_a_map_of_stored_pixels_is_read_as_exif_transpose_turns_its_photo(tmp_path: Path, turn: int, kind: str) -> None:
    path = tmp_path / f"d.{kind}"
    if kind == "npy":
        np.save(path, stored_map())
    else:  # millimetres, 16-bit
        Image.fromarray((stored_map() * 1000).astype(np.uint16)).save(path)
    expected = pillow_turned(stored_map() * (1000 if kind == "png" else 1), turn)
    scene = scene_of(path, turn)
    np.testing.assert_array_equal(load_depth_map(scene), expected)
    pixels = open_depth_map(scene)
    at = np.array([[pixels.at(r, c) for c in range(expected.shape[1])] for r in range(expected.shape[0])])
    np.testing.assert_array_equal(at, expected)


def test_the_turn_is_kept_apart_from_the_encoding(tmp_path: Path) -> None:
    np.save(tmp_path / "d.npy", stored_map())
    got = load_depth_map(scene_of(tmp_path / "d.npy", 6, depth_map_encoding="inverse"))
    np.testing.assert_allclose(got, 1.0 / pillow_turned(stored_map(), 6), rtol=1e-6)


def test_a_map_of_the_shown_shape_named_sideways_is_refused_naming_the_turn(tmp_path: Path) -> None:
    np.save(tmp_path / "d.npy", stored_map())
    scene = make_scene([{"name": "box", "box": [0, 0, 2, 2]}], width=SW, height=SH, depth_map=str(tmp_path / "d.npy"),
                       meta={ORIENTATION_KEY: 8})
    with pytest.raises(DepthMapError, match=r"d\.npy of scene 's0': the map turned as EXIF orientation 8 turns its "
                                            r"photo \(meta\.depth_map_exif_orientation\) is 5x7, the scene 7x5"):
        load_depth_map(scene)


@pytest.mark.parametrize("bad", [0, 9, "6", True, 6.0])
def test_an_orientation_that_is_none_is_refused_before_the_file_is_read(bad: object) -> None:
    scene = scene_of(Path("/no/such/map.npy"), None, **{ORIENTATION_KEY: bad})
    with pytest.raises(DepthMapError, match=r"meta\.depth_map_exif_orientation must be an EXIF orientation, 1 to 8") as caught:
        load_depth_map(scene)
    assert caught.value.field == f"meta.{ORIENTATION_KEY}"


def test_two_orientations_in_a_row_are_one() -> None:
    values = stored_map()
    for first in ORIENTATIONS:
        for second in ORIENTATIONS:
            np.testing.assert_array_equal(upright_array(upright_array(values, first), second),
                                          upright_array(values, then(first, second)))


# ---- readers --------------------------------------------------------------------------------


def _photo(path: Path, turn: int) -> None:
    """A JPEG of the stored size tagged with `turn`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    exif[0x0112] = turn
    Image.new("RGB", (SW, SH), (90, 90, 90)).save(path, exif=exif)


@pytest.mark.parametrize("turn", list(ORIENTATIONS)[1:])
def test_a_jsonl_scene_drawn_on_stored_pixels_has_its_map_read_turned(tmp_path: Path, turn: int) -> None:
    from veriscene.io.readers._stored_pixels import DEPTH_MAP_TURNED, MAPPED
    from veriscene.scene.jsonl import write_scenes
    from veriscene.scene.model import Scene

    from tests.io.readers.reader_helpers import read_all

    _photo(tmp_path / "images" / "phone.jpg", turn)
    (tmp_path / "depth").mkdir()
    np.save(tmp_path / "depth" / "phone.npy", stored_map())
    scene = Scene(image_id="phone", width=SW, height=SH, boxes=np.array([[1, 1, 3, 2]], np.float32), names=("cup",),
                  attributes=((),), image="phone.jpg", depth_map="depth/phone.npy")
    write_scenes([scene], tmp_path / "scenes.jsonl")
    (read,), report = read_all(tmp_path / "scenes.jsonl", "veriscene_jsonl", image_root=tmp_path / "images",
                               drawn_on="stored")
    assert report.repairs[MAPPED] == 1 and report.repairs[DEPTH_MAP_TURNED] == 1
    assert read.depth_map == "depth/phone.npy" and read.meta[ORIENTATION_KEY] == turn
    assert (read.width, read.height) == shown_size(turn)
    np.testing.assert_array_equal(load_depth_map(anchored(read, tmp_path)), pillow_turned(stored_map(), turn))


def test_a_scene_whose_map_was_turned_already_is_turned_by_both(tmp_path: Path) -> None:
    # the scene (stored pixels of a photo tagged 6) says its map is turned 2 from its own pixels:
    # mapped, its map is read turned by 2 then 6
    from veriscene.io.readers._stored_pixels import shown_scene  # (what ReadContext.scene applies)

    np.save(tmp_path / "d.npy", pillow_turned(stored_map(), 1))
    scene = make_scene([{"name": "box", "box": [0, 0, 2, 2]}], width=SW, height=SH, depth_map=str(tmp_path / "d.npy"),
                       meta={ORIENTATION_KEY: 2})
    shown = shown_scene(scene, 6)
    assert shown.meta[ORIENTATION_KEY] == then(2, 6)
    np.testing.assert_array_equal(load_depth_map(shown), upright_array(upright_array(stored_map(), 2), 6))
    back = shown_scene(make_scene([{"name": "box", "box": [0, 0, 2, 2]}], width=SW, height=SH,
                                  depth_map=str(tmp_path / "d.npy"), meta={ORIENTATION_KEY: 3}), 3)
    assert ORIENTATION_KEY not in back.meta  # half a turn twice: the file lays on the scene as stored


def test_a_run_over_a_scene_drawn_on_stored_pixels_asks_about_its_turned_map(tmp_path: Path) -> None:
    # before, the map was cleared (kept as a note): depth.map_points asked nothing of the scene
    import orjson

    from veriscene import generate, verify
    from veriscene.scene.jsonl import write_scenes
    from veriscene.scene.model import Scene

    sw, sh = 64, 48
    stored = np.repeat((6.0 - 4.0 * np.arange(sh) / (sh - 1))[:, None], sw, axis=1).astype(np.float32)
    stored[10:30, 5:25] = 1.0  # a box at 1 m on a floor from 2 to 6 m
    (tmp_path / "images").mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (sw, sh)).save(tmp_path / "images" / "p.jpg", exif=exif)
    np.save(tmp_path / "p.npy", stored)
    write_scenes([Scene.from_objects("p", sw, sh, [{"name": "box", "box": [5, 10, 25, 30]}], image="p.jpg",
                                     depth_map="p.npy")], tmp_path / "scenes.jsonl")
    summary = generate(tmp_path / "scenes.jsonl", tmp_path / "run", seed=1, generators="depth.map_points.v1",
                       reader_options={"drawn_on": "stored", "image_root": str(tmp_path / "images")})
    assert summary.samples > 0 and summary.generator_stats.get("failed:depth.map_points.v1", 0) == 0
    shown = upright_array(stored, 6)  # (48 wide, 64 high: the photo shown)
    for record in map(orjson.loads, (tmp_path / "run" / "samples.jsonl").read_bytes().splitlines()):
        (x1, y1), (x2, y2) = (node["args"] for node in record["program"] if node["op"] == "point")
        which = next(node["args"][0] for node in record["program"] if node["op"] == "closer_point_in_map")
        first_closer = shown[int(y1), int(x1)] < shown[int(y2), int(x2)]
        expected = [x1, y1] if first_closer == (which == "closer") else [x2, y2]
        assert record["answer"] == expected, record
    assert verify(tmp_path / "run").ok
