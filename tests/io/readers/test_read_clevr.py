from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from veriscene.io.readers import detect_format

from .reader_helpers import assert_round_trip, fields, read_all, write_json


def clevr_obj(shape: str, x: float, y: float, depth: float, size="large", **extra) -> dict:
    return {"shape": shape, "color": "red", "material": "rubber", "size": size,
            "pixel_coords": [x, y, depth], "3d_coords": [0, 0, 0], **extra}


def clevr_scene(index: int, objects: list, relationships: dict | None = None) -> dict:
    n = len(objects)
    return {
        "image_index": index, "image_filename": f"CLEVR_val_{index:06d}.png", "split": "val",
        "objects": objects,
        "relationships": relationships if relationships is not None else {
            "left": [[] for _ in range(n)], "right": [[] for _ in range(n)],
            "front": [[] for _ in range(n)], "behind": [[] for _ in range(n)],
        },
    }


def two_objects() -> dict:
    # object 0 (cube) is left of and in front of object 1 (sphere)
    return clevr_scene(0, [clevr_obj("cube", 100, 200, 8.0), clevr_obj("sphere", 300, 150, 12.0, size="small")], {
        "left": [[], [0]], "right": [[1], []], "front": [[], [0]], "behind": [[1], []],
    })


def test_scenes_file(tmp_path: Path) -> None:
    path = write_json(tmp_path / "CLEVR_val_scenes.json", {"info": {}, "scenes": [two_objects()]})
    assert detect_format(path) == "clevr"
    scenes, report = read_all(path, "clevr", image_size=(480, 320))
    (s,) = scenes
    assert s.image_id == "CLEVR_val_000000" and s.names == ("cube", "sphere")
    assert s.attributes[0] == ("large", "red", "rubber")
    np.testing.assert_allclose(s.depth, [8.0, 12.0])  # camera distance: smaller = closer
    assert set(s.relations) == {
        (0, "left of", 1), (1, "right of", 0), (0, "in front of", 1), (1, "behind", 0),
    }
    # approximated boxes are centred on pixel_coords; the nearer, larger cube gets the bigger box
    centres = (s.boxes[:, :2] + s.boxes[:, 2:]) / 2
    np.testing.assert_allclose(centres, [[100, 200], [300, 150]], atol=1e-3)
    widths = s.boxes[:, 2] - s.boxes[:, 0]
    assert widths[0] > widths[1]
    assert s.meta["box_source"].startswith("approximated") and report.repairs["boxes_approximated"] == 2
    assert_round_trip(scenes, tmp_path)


def test_bbox_per_scene_files_and_image_header(tmp_path: Path, tiny_png) -> None:
    scene = two_objects()
    scene["objects"][0]["bbox"] = [80, 180, 40, 40]
    scene["objects"][1]["bbox"] = [290, 140, 20, 20]
    write_json(tmp_path / "scenes" / "CLEVR_val_000000.json", scene)
    write_json(tmp_path / "scenes" / "CLEVR_val_000001.json", {**clevr_scene(1, [clevr_obj("cylinder", 10, 10, 5, bbox=[0, 0, 20, 20])])})
    assert detect_format(tmp_path / "scenes") == "clevr"
    tiny_png("images/val/CLEVR_val_000000.png", 480, 320)
    tiny_png("images/val/CLEVR_val_000001.png", 480, 320)
    scenes, report = read_all(tmp_path / "scenes", "clevr", image_root=tmp_path / "images")
    assert [s.image_id for s in scenes] == ["CLEVR_val_000000", "CLEVR_val_000001"]
    np.testing.assert_allclose(scenes[0].boxes[0], [80, 180, 120, 220])
    assert "box_source" not in scenes[0].meta and report.total == 0


def test_missing_size_is_rejected_with_hint(tmp_path: Path) -> None:
    path = write_json(tmp_path / "s.json", {"scenes": [two_objects()]})
    scenes, report = read_all(path, "clevr")
    assert scenes == [] and "--image-size" in report.entries[0].reason


@pytest.mark.parametrize(
    "mutate, field, reason",
    [
        (lambda s: s["relationships"].update(left=[[]]), "relationships.left", "one list per object"),
        (lambda s: s["relationships"].update(left=[[], [5]]), "relationships.left[1]", "dangling"),
        (lambda s: s["objects"][0].update(pixel_coords=[1, 2]), "objects[0].pixel_coords", "[x, y, depth]"),
        (lambda s: s["objects"][0].update(bbox=[10, 10, 0, 5]), "objects[0].bbox", "no area"),
        (lambda s: s["objects"][0].pop("shape"), "objects[0]", "lacks shape"),
        (lambda s: s["objects"][0].update(color=7), "objects[0].color[0]", "must be a string"),
    ],
)
def test_bad_scenes(tmp_path: Path, mutate, field: str, reason: str) -> None:
    bad = two_objects()
    mutate(bad)
    good = clevr_scene(1, [clevr_obj("cube", 50, 50, 9.0)])
    path = write_json(tmp_path / "s.json", {"scenes": [bad, good]})
    scenes, report = read_all(path, "clevr", image_size=(480, 320))
    assert [s.image_id for s in scenes] == ["CLEVR_val_000001"]
    assert fields(report) == [("CLEVR_val_000000.png", field)] and reason in report.entries[0].reason


def test_no_approximation_when_disabled(tmp_path: Path) -> None:
    path = write_json(tmp_path / "s.json", {"scenes": [two_objects()]})
    scenes, report = read_all(path, "clevr", image_size=(480, 320), approximate_boxes=False)
    assert scenes == [] and report.entries[0].field == "objects[0].bbox"


def test_byte_order_mark_and_nan_read_like_streamed_files(tmp_path: Path) -> None:
    """A whole-file JSON may start with a BOM, and a NaN in one scene rejects that scene only
    (orjson refuses NaN tokens; the file is read as the streamed readers read theirs)."""
    bad = clevr_scene(1, [clevr_obj("cube", float("nan"), 50, 9.0)])
    path = tmp_path / "CLEVR_val_scenes.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"scenes": [two_objects(), bad]}).encode())
    assert b"NaN" in path.read_bytes()
    scenes, report = read_all(path, "clevr", image_size=(480, 320))
    assert [s.image_id for s in scenes] == ["CLEVR_val_000000"]
    assert fields(report) == [("CLEVR_val_000001.png", "objects[0].pixel_coords")]
    assert report.rejected == {"scene": 1}


@pytest.mark.parametrize(("index", "shown"), [(2**64, "18446744073709551616"), (-(2**63) - 1, "-9223372036854775809")])
def test_an_index_past_64_bits_is_refused_as_written(tmp_path: Path, index: int, shown: str) -> None:
    """The whole file is loaded at once: orjson read such an integer as a float, and the reject
    said "got float 1.8446744073709552e+19" of an index written 18446744073709551616."""
    wide = clevr_scene(1, [clevr_obj("cube", 100, 200, 8.0)])
    del wide["image_filename"]
    wide["image_index"] = index
    path = write_json(tmp_path / "CLEVR_val_scenes.json", {"scenes": [two_objects(), wide]})
    scenes, report = read_all(path, "clevr", image_size=(480, 320))
    assert [s.image_id for s in scenes] == ["CLEVR_val_000000"]
    (entry,) = report.entries
    assert (Path(entry.file).name, entry.record, entry.field) == ("CLEVR_val_scenes.json", "scenes[1]", "image_index")
    assert entry.reason == f"image_index must be a non-negative integer below 2**63, got int {shown}"
