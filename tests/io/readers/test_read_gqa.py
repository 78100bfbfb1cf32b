from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from veriscene.errors import SceneValidationError
from veriscene.io.readers import read

from .reader_helpers import assert_round_trip, fields, read_all, write_json


def gqa_scene(**objects: dict) -> dict:
    return {"width": 100, "height": 80, "location": "park", "objects": objects}


def obj(name: str, x: float, y: float, w: float, h: float, attrs=(), rels=()) -> dict:
    return {
        "name": name, "x": x, "y": y, "w": w, "h": h, "attributes": list(attrs),
        "relations": [{"name": n, "object": o} for n, o in rels],
    }


@pytest.fixture
def gqa_file(tmp_path: Path) -> Path:
    return write_json(tmp_path / "val_sceneGraphs.json", {
        "2370799": gqa_scene(
            **{"1": obj("Men", 10, 10, 20, 30, ["Tall ", "standing"], [("to the LEFT of", "2")]),
               "2": obj("dogs", 90, 50, 30, 40, ["brown"])}),
        "2370800": gqa_scene(**{"7": obj("cup", 0, 0, 5, 5)}),
    })


def test_reads_boxes_names_attributes_relations(gqa_file: Path, tmp_path: Path) -> None:
    scenes, report = read_all(gqa_file, "gqa")
    assert [s.image_id for s in scenes] == ["2370799", "2370800"]
    s = scenes[0]
    assert s.names == ("man", "dog")
    np.testing.assert_allclose(s.boxes, [[10, 10, 30, 40], [90, 50, 100, 80]])  # second clipped
    assert s.attributes == (("standing", "tall"), ("brown",))
    assert s.relations == ((0, "left of", 1),)  # GQA's "to the left of", said as the ops read it
    assert s.meta["object_ids"] == ["1", "2"] and s.meta["location"] == "park"
    assert report.total == 0 and report.boxes_clipped == 1
    assert_round_trip(scenes, tmp_path)


@pytest.mark.parametrize(
    "bad_object, field, reason",
    [
        (obj("cat", 10, 10, -5, 30), "objects[1].box", "negative width"),
        (obj("cat", 10, 10, 0, 30), "objects[1].box", "no area"),
        (obj("cat", 200, 10, 5, 30), "objects[1].box", "outside"),
        (obj(5, 10, 10, 5, 5), "objects[1].name", "must be a string"),
        (obj("cat", "10", 10, 5, 5), "objects[1].box", "finite numbers"),
        ({"name": "cat", "x": 1}, "objects[1]", "lacks y, w, h"),
        ({**obj("cat", 1, 1, 5, 5), "attributes": "red"}, "objects[1].attributes", "list of strings"),
        (obj("cat", 1, 1, 5, 5, rels=[("near", "99")]), "objects[1].relations[0]", "dangling"),
        (obj("cat", 1, 1, 5, 5, rels=[("near", "1")]), "objects[1].relations[0]", "itself"),
    ],
)
def test_bad_records_are_rejected_with_field(tmp_path: Path, bad_object: dict, field: str, reason: str) -> None:
    path = write_json(tmp_path / "g.json", {"a": gqa_scene(**{"1": bad_object}), "b": gqa_scene(**{"1": obj("cup", 0, 0, 5, 5)})})
    scenes, report = read_all(path, "gqa")
    assert [s.image_id for s in scenes] == ["b"]
    assert fields(report) == [("a", field)]
    assert reason in report.entries[0].reason
    assert report.entries[0].file == str(path)


def test_drop_bad_parts_keeps_the_rest(tmp_path: Path) -> None:
    path = write_json(tmp_path / "g.json", {"a": gqa_scene(**{
        "1": obj("cat", 1, 1, 5, 5, rels=[("near", "2"), ("on", "3")]),
        "2": obj("mat", 10, 10, -1, 5),
        "3": obj("rug", 20, 20, 5, 5),
    })})
    scenes, report = read_all(path, "gqa", drop_bad_parts=True)
    (s,) = scenes
    assert s.names == ("cat", "rug") and s.relations == ((0, "on", 1),)
    assert dict(report.rejected) == {"object": 1}
    assert report.repairs["relations_dropped_with_object"] == 1


def test_missing_size_rejected_unless_image_root_or_default(tmp_path: Path, tiny_png) -> None:
    scene = {"objects": {"1": obj("cup", 0, 0, 5, 5)}}
    path = write_json(tmp_path / "g.json", {"42": scene})
    scenes, report = read_all(path, "gqa")
    assert scenes == [] and report.entries[0].field == "width"
    assert "image size missing" in report.entries[0].reason
    tiny_png("images/42.jpg", 64, 48)
    scenes, report = read_all(path, "gqa", image_root=tmp_path / "images")
    assert (scenes[0].width, scenes[0].height) == (64, 48) and report.total == 0
    scenes, _ = read_all(path, "gqa", image_size=(30, 20))
    assert (scenes[0].width, scenes[0].height) == (30, 20)


@pytest.mark.parametrize("text", ['{"a": {"width": 10', "", "[1, 2]"])
def test_unreadable_file_is_one_file_reject(tmp_path: Path, text: str) -> None:
    path = tmp_path / "g.json"
    path.write_text(text)
    scenes, report = read_all(path, "gqa")
    assert scenes == [] and dict(report.rejected) == {"file": 1}


def test_strict_raises_first_reject(tmp_path: Path) -> None:
    path = write_json(tmp_path / "g.json", {"a": gqa_scene(**{"1": obj("cat", 1, 1, 0, 5)})})
    with pytest.raises(SceneValidationError) as info:
        list(read(path, "gqa", strict=True))
    assert info.value.record == "a" and info.value.field == "objects[1].box"


def test_wrong_types_never_traceback(tmp_path: Path) -> None:
    path = write_json(tmp_path / "g.json", {
        "a": "not a scene", "b": {"width": 10, "height": 10, "objects": [1, 2]},
        "c": {"width": -3, "height": 10, "objects": {}},
        "d": {"width": 10, "height": 10, "objects": {"1": {**obj("x", 0, 0, 1, 1), "relations": [{"name": 3, "object": []}]}}},
    })
    scenes, report = read_all(path, "gqa")
    assert scenes == [] and report.total == 4


def test_read_one_scene_graph_at_a_time(gqa_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a fault after the first scene graph: it is read, the fault reported where it is
    path = tmp_path / "cut.json"
    text = gqa_file.read_text()
    path.write_text(text[: text.index('"2370800"') + 20])
    scenes, report = read_all(path, "gqa")
    assert [s.image_id for s in scenes] == ["2370799"] and dict(report.rejected) == {"file": 1}
    reason = report.entries[0].reason
    assert reason.startswith("truncated or malformed JSON: ") and reason.endswith("the 1 scene graphs before it were read")
    # the whole file is never parsed at once: the first scene arrives before the reader sees the rest
    from veriscene.io.readers import gqa

    seen = []
    stream = gqa.stream_json

    def watched(p):
        for key, value in stream(p, chunk_chars=64):
            seen.append(key)
            yield key, value

    monkeypatch.setattr(gqa, "stream_json", watched)
    first = next(gqa.read_gqa(gqa_file))
    assert first.image_id == "2370799" and seen == ["2370799"]


def _objects_text(*members: tuple[str, dict]) -> str:
    """A GQA file's text whose first image lists `members` as written (repeated keys kept)."""
    body = ", ".join(f'"{key}": {json.dumps(value)}' for key, value in members)
    return ('{"10": {"width": 100, "height": 80, "objects": {' + body + "}}, "
            '"11": ' + json.dumps(gqa_scene(**{"1": obj("cup", 0, 0, 5, 5)})) + "}")


def test_repeated_object_id_is_refused_not_overwritten(tmp_path: Path) -> None:
    """JSON keeps the last of two objects with one id, and the relation to the first would then
    point at the second: the image is refused, naming the id."""
    path = tmp_path / "val_sceneGraphs.json"
    path.write_text(_objects_text(("1", obj("man", 0, 0, 20, 40, rels=[("left of", "2")])),
                                  ("2", obj("dog", 50, 10, 20, 20)), ("2", obj("cat", 70, 10, 20, 20))))
    scenes, report = read_all(path, "gqa")
    assert [s.image_id for s in scenes] == ["11"]
    assert fields(report) == [("10", "objects[2]")] and "'2' appears more than once" in report.entries[0].reason

    scenes, report = read_all(path, "gqa", drop_bad_parts=True)
    assert scenes[0].names == ("man",) and scenes[0].relations == ()
    assert [(e.field, e.level) for e in report.entries] == [("objects[2]", "object")]
    assert report.repairs["relations_dropped_with_object"] == 1


def test_repeated_key_inside_an_object_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "val_sceneGraphs.json"
    path.write_text(_objects_text(("1", obj("man", 0, 0, 20, 40))).replace('"name": "man"', '"name": "man", "name": "dog"'))
    scenes, report = read_all(path, "gqa")
    assert [s.image_id for s in scenes] == ["11"]
    assert fields(report) == [("10", "objects[1]")] and "'name' appear" in report.entries[0].reason


def test_relations_of_a_dropped_object_are_counted(tmp_path: Path) -> None:
    path = write_json(tmp_path / "g.json", {"5": gqa_scene(**{
        "1": obj("man", 0, 0, 20, 40), "2": obj("dog", 0, 0, 0, 40, rels=[("near", "1"), ("left of", "1")])})})
    scenes, report = read_all(path, "gqa", drop_bad_parts=True)
    assert scenes[0].names == ("man",) and fields(report) == [("5", "objects[2].box")]
    assert report.repairs["relations_dropped_with_object"] == 2


def test_plural_names_are_crowd_regions_and_absences_unknown(gqa_file: Path) -> None:
    scenes = list(read(gqa_file, "gqa"))
    assert scenes[0].names == ("man", "dog") and scenes[0].meta["crowd"] == [0, 1]
    assert scenes[0].meta["exhaustive"] == ["dog", "man"] and "crowd" not in scenes[1].meta
    complete = list(read(gqa_file, "gqa", objects="complete"))
    assert "exhaustive" not in complete[0].meta and complete[0].meta["crowd"] == [0, 1]


def test_collective_names_are_crowd_regions_of_their_members(tmp_path: Path) -> None:
    """GQA names a box around several as Visual Genome does: "group of people" and "crowd" are
    crowd regions of "person", "bunch of bananas" one of "banana"; "pair of jeans" is one thing."""
    path = write_json(tmp_path / "g.json", {"3": gqa_scene(**{
        "1": obj("group of people", 0, 0, 20, 40), "2": obj("person", 30, 0, 10, 40), "3": obj("crowd", 50, 0, 20, 40),
        "4": obj("bunch of bananas", 0, 50, 10, 10), "5": obj("pair of jeans", 30, 50, 10, 20)})})
    (scene,), _ = read_all(path, "gqa")
    assert scene.names == ("person", "person", "person", "banana", "jeans")
    assert scene.meta["crowd"] == [0, 2, 3]


@pytest.mark.parametrize("record, repairs", [
    ({"width": 100, "height": 80, "objects": None}, {"null_objects_read_as_none": 1}),  # read as none, counted
    ({"width": 100, "height": 80, "objects": {}}, {}),
    # no "objects" at all: GQA writes the key in every scene graph (no test split has graphs), so
    # its absence is a writer's failure or another file's layout, not an image without objects:
    # read as none, and counted as a null is (it was not, and a file of such scenes read as empty)
    ({"width": 100, "height": 80}, {"missing_objects_read_as_none": 1}),
])
def test_a_scene_without_objects(tmp_path: Path, record: dict, repairs: dict) -> None:
    (scene,), report = read_all(write_json(tmp_path / "gqa.json", {"7": record}), "gqa")
    assert len(scene) == 0 and report.entries == []
    assert dict(report.repairs) == repairs


@pytest.mark.parametrize("objects", [[], "none", 3])
def test_objects_that_are_not_an_object_reject_the_scene(tmp_path: Path, objects) -> None:
    scenes, report = read_all(write_json(tmp_path / "gqa.json", {"7": {"width": 100, "height": 80,
                                                                         "objects": objects}}), "gqa")
    assert scenes == [] and fields(report) == [("7", "objects")]


def test_convert_counts_a_scene_without_objects_in_its_summary(tmp_path: Path) -> None:
    from veriscene.io.convert import convert

    path = write_json(tmp_path / "gqa.json", {"7": {"width": 100, "height": 80}, "8": {"width": 100, "height": 80,
                                                                                       "objects": None}})
    done = convert(path, tmp_path / "out.jsonl", "gqa")
    assert done.scenes_written == 2 and done.rejected == 0
    assert done.repairs == {"missing_objects_read_as_none": 1, "null_objects_read_as_none": 1}
