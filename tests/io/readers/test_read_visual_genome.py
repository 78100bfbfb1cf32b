from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from veriscene.io.readers import detect_format

from .reader_helpers import assert_round_trip, fields, read_all, write_json


def vg_obj(oid: int, name: str, x=0, y=0, w=10, h=10, attrs=None, key="names", id_key="object_id") -> dict:
    names = [name] if key in ("names", "object_names") else name
    out = {id_key: oid, "x": x, "y": y, "w": w, "h": h, key: names, "synsets": [f"{name}.n.01"]}
    if attrs is not None:
        out["attributes"] = attrs
    return out


SCENE_GRAPHS = [
    {
        "image_id": 1,
        "objects": [vg_obj(10, "Shirts", 5, 5, 20, 20, ["White"]), vg_obj(11, "man", 0, 0, 50, 90)],
        "relationships": [{"relationship_id": 1, "predicate": "ON", "subject_id": 10, "object_id": 11}],
    },
    {"image_id": 2, "objects": [vg_obj(20, "tree", 90, 10, 30, 30)], "relationships": []},
]
IMAGE_DATA = [{"image_id": 1, "width": 100, "height": 100}, {"id": 2, "width": 100, "height": 50}]


def test_scene_graphs_json(tmp_path: Path) -> None:
    path = write_json(tmp_path / "scene_graphs.json", SCENE_GRAPHS)
    write_json(tmp_path / "image_data.json", IMAGE_DATA)
    assert detect_format(path) == "visual_genome" and detect_format(tmp_path) == "visual_genome"
    scenes, report = read_all(path, "visual_genome")
    a, b = scenes
    assert a.names == ("shirt", "man") and a.attributes == (("white",), ())
    assert a.relations == ((0, "on", 1),)
    assert a.meta["object_ids"] == ["10", "11"] and a.meta["synsets"] == ["Shirts.n.01", "man.n.01"]
    np.testing.assert_allclose(b.boxes, [[90, 10, 100, 40]])  # clipped to width 100
    assert (b.width, b.height) == (100, 50)
    assert report.total == 0 and report.boxes_clipped == 1
    assert_round_trip(scenes, tmp_path)


def test_split_layout_v12(tmp_path: Path) -> None:
    write_json(tmp_path / "image_data.json", IMAGE_DATA)
    write_json(tmp_path / "objects.json", [
        {"image_id": 1, "objects": [vg_obj(10, "shirt"), vg_obj(11, "man", 0, 0, 50, 90)]},
    ])
    write_json(tmp_path / "attributes.json", [
        {"image_id": 1, "attributes": [{**vg_obj(10, "shirt"), "attributes": ["white", "striped"]}]},
    ])
    write_json(tmp_path / "relationships.json", [
        {"image_id": 1, "relationships": [
            {"predicate": "wears", "subject": vg_obj(11, "man", 0, 0, 50, 90), "object": vg_obj(10, "shirt")},
            # the hat is only known from this relationship: it is added with its box
            {"predicate": "has", "subject": vg_obj(11, "man"), "object": vg_obj(12, "hat", 1, 1, 5, 5)},
        ]},
        {"image_id": 2, "relationships": []},
    ])
    for given in (tmp_path, tmp_path / "objects.json", tmp_path / "relationships.json"):
        scenes, report = read_all(given, "vg")
        assert [s.image_id for s in scenes] == ["1", "2"], given
        s = scenes[0]
        assert s.names == ("shirt", "man", "hat")
        assert s.attributes[0] == ("striped", "white")
        assert s.relations == ((1, "wears", 0), (1, "has", 2))
        assert report.total == 0
    assert_round_trip(scenes, tmp_path)


def test_v10_keys_and_single_image_dict(tmp_path: Path) -> None:
    write_json(tmp_path / "objects.json", {  # one image dict, not a list
        "id": 7, "width": 40, "height": 30,
        "objects": [vg_obj(1, "cats", id_key="id", key="object_names"), vg_obj(2, "mat", 0, 20, 40, 10, id_key="id", key="name")],
    })
    write_json(tmp_path / "relationships.json", {"id": 7, "relationships": [
        {"predicate": "on", "subject": {"id": 1, "name": "cat"}, "object": {"id": 2, "name": "mat"}},
    ]})
    scenes, report = read_all(tmp_path, "visual_genome")
    (s,) = scenes
    assert s.image_id == "7" and s.names == ("cat", "mat") and s.relations == ((0, "on", 1),)
    assert report.total == 0


def test_sizes_from_image_header(tmp_path: Path, tiny_png) -> None:
    path = write_json(tmp_path / "scene_graphs.json", SCENE_GRAPHS[1:])
    scenes, report = read_all(path, "visual_genome")
    assert scenes == [] and "image size missing" in report.entries[0].reason
    tiny_png("imgs/VG_100K/2.jpg", 200, 150)
    scenes, report = read_all(path, "visual_genome", image_root=tmp_path / "imgs")
    assert (scenes[0].width, scenes[0].height) == (200, 150)
    assert report.repairs["sizes_from_image_header"] == 1


@pytest.mark.parametrize(
    "record, field, reason",
    [
        ({"image_id": 1, "objects": [vg_obj(10, "a"), vg_obj(10, "b")]}, "objects[10]", "duplicate object id"),
        ({"image_id": 1, "objects": [vg_obj(10, "a")], "relationships": [{"predicate": "on", "subject_id": 10, "object_id": 99}]},
         "relationships[0]", "dangling"),
        ({"image_id": 1, "objects": [vg_obj(10, "a", w=-4)]}, "objects[10].box", "negative"),
        ({"image_id": 1, "objects": [vg_obj(10, "a", attrs=[3])]}, "objects[10].attributes[0]", "must be a string"),
        ({"image_id": 1, "objects": [{**vg_obj(10, "a"), "names": []}]}, "objects[10].names", "non-empty list"),
        ({"image_id": 1, "objects": "nope"}, "objects", "must be a list"),
        ({"image_id": 1, "objects": [vg_obj(10, "a")], "attributes": [{"object_id": 55, "attributes": ["red"]}]},
         "attributes[0]", "does not have"),
    ],
)
def test_bad_records(tmp_path: Path, record: dict, field: str, reason: str) -> None:
    path = write_json(tmp_path / "scene_graphs.json", [record, SCENE_GRAPHS[1]])
    write_json(tmp_path / "image_data.json", IMAGE_DATA)
    scenes, report = read_all(path, "visual_genome")
    assert [s.image_id for s in scenes] == ["2"]
    assert fields(report) == [("1", field)] and reason in report.entries[0].reason


def test_duplicate_image_ids_and_truncated_file(tmp_path: Path) -> None:
    path = write_json(tmp_path / "scene_graphs.json", [SCENE_GRAPHS[1], SCENE_GRAPHS[1]])
    write_json(tmp_path / "image_data.json", IMAGE_DATA)
    scenes, report = read_all(path, "visual_genome")
    assert len(scenes) == 1 and "duplicate image id" in report.entries[0].reason
    path.write_text(path.read_text()[:-20])
    scenes, report = read_all(path, "visual_genome")
    # the file is read one record at a time: the record before the cut is kept, the cut reported
    assert [s.image_id for s in scenes] == ["2"]
    assert [e.level for e in report.entries] == ["file"]
    assert report.entries[0].reason.startswith("truncated or malformed JSON: Unterminated string starting at character ")
    assert report.entries[0].reason.endswith("; the 1 records before it were read")


def _split_files(tmp_path: Path, orders: dict[str, list[int]]) -> None:
    """objects/attributes/relationships.json listing images in the given orders."""
    write_json(tmp_path / "image_data.json", [{"image_id": k, "width": 100, "height": 100} for k in range(1, 400)])
    records = {
        "objects": lambda k: {"image_id": k, "objects": [vg_obj(10 * k, "man", 0, 0, 50, 90), vg_obj(10 * k + 1, "hat")]},
        "attributes": lambda k: {"image_id": k, "attributes": [{**vg_obj(10 * k + 1, "hat"), "attributes": [f"a{k}"]}]},
        "relationships": lambda k: {"image_id": k, "relationships": [
            {"predicate": "wears", "subject": vg_obj(10 * k, "man", 0, 0, 50, 90), "object": vg_obj(10 * k + 1, "hat")}]},
    }
    for name, order in orders.items():
        write_json(tmp_path / f"{name}.json", [records[name](k) for k in order])


def test_split_files_joined_in_the_first_files_order(tmp_path: Path) -> None:
    # attributes.json in another order, without image 3 and with image 6; relationships.json without 2
    _split_files(tmp_path, {"objects": [1, 2, 3, 4, 5], "attributes": [5, 6, 2, 1, 4],
                            "relationships": [1, 3, 4, 5]})
    scenes, report = read_all(tmp_path, "visual_genome")
    assert [s.image_id for s in scenes] == ["1", "2", "3", "4", "5", "6"] and report.total == 0
    by_id = {s.image_id: s for s in scenes}
    assert by_id["1"].attributes == ((), ("a1",)) and by_id["1"].relations == ((0, "wears", 1),)
    assert by_id["2"].attributes == ((), ("a2",)) and by_id["2"].relations == ()
    assert by_id["3"].attributes == ((), ()) and by_id["3"].relations == ((0, "wears", 1),)
    assert by_id["6"].names == ("hat",) and by_id["6"].attributes == (("a6",),)


def test_split_files_in_one_order_are_read_in_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from veriscene.io.readers import visual_genome

    order = list(range(1, 301))
    _split_files(tmp_path, {"objects": order, "attributes": order, "relationships": order})
    read: dict[str, int] = {}
    records = visual_genome._records

    def counted(path, ctx):
        for item in records(path, ctx):
            read[path.stem] = read.get(path.stem, 0) + 1
            yield item

    monkeypatch.setattr(visual_genome, "_records", counted)
    scenes = visual_genome.read_visual_genome(tmp_path)
    for k in range(1, 301):
        assert next(scenes).image_id == str(k)
        # one record of each file per image: none is held back for later
        assert read == {"objects": k, "attributes": k, "relationships": k}
    assert next(scenes, None) is None


def test_objects_annotated_twice_are_merged(tmp_path: Path) -> None:
    """Raw Visual Genome annotates many objects twice (same name, nearly the same box): they are
    one object, or "How many men?" would count one man twice."""
    path = write_json(tmp_path / "scene_graphs.json", [{
        "image_id": 1, "width": 200, "height": 100,
        "objects": [
            vg_obj(1, "man", 10, 10, 40, 80, ["tall"]),
            vg_obj(2, "Man", 11, 10, 40, 79, ["smiling", "tall"]),  # IoU 0.95 with 1: merged
            vg_obj(3, "man", 100, 10, 40, 80),  # another man
            vg_obj(4, "shirt", 12, 20, 30, 30),
            vg_obj(5, "shirt", 12, 20, 30, 26),  # IoU 0.87: kept
            vg_obj(6, "hat", 12, 0, 20, 10),
        ],
        "relationships": [
            {"predicate": "wearing", "subject_id": 1, "object_id": 4},
            {"predicate": "wearing", "subject_id": 2, "object_id": 4},  # the same relation, once merged
            {"predicate": "wearing", "subject_id": 2, "object_id": 6},  # moves to man 1
            {"predicate": "next to", "subject_id": 1, "object_id": 2},  # within one man: dropped
            {"predicate": "next to", "subject_id": 3, "object_id": 2},
        ],
    }])
    (scene,), report = read_all(path, "visual_genome")
    assert scene.names == ("man", "man", "shirt", "shirt", "hat")
    assert scene.meta["object_ids"] == ["1", "3", "4", "5", "6"]
    assert scene.attributes[0] == ("smiling", "tall")
    assert set(scene.relations) == {(0, "wearing", 2), (0, "wearing", 4), (1, "next to", 0)}
    assert scene.meta["synsets"] == ["man.n.01", "man.n.01", "shirt.n.01", "shirt.n.01", "hat.n.01"]
    assert report.repairs == {"duplicate_objects_merged": 1, "duplicate_relations_merged": 1,
                              "relations_within_merged_object_dropped": 1}
    assert report.total == 0

    (kept,), _ = read_all(path, "visual_genome", merge_duplicates=False)
    assert kept.names == ("man", "man", "man", "shirt", "shirt", "hat") and len(kept.relations) == 5
    (strict,), _ = read_all(path, "visual_genome", merge_duplicates="0.8")  # the shirts too
    assert strict.names == ("man", "man", "shirt", "hat")
    with pytest.raises(ValueError, match="merge_duplicates must be true, false or an IoU threshold"):
        read_all(path, "visual_genome", merge_duplicates="most")


def test_attributes_and_relations_are_marked_sparse(tmp_path: Path) -> None:
    """Visual Genome's annotators wrote some attributes and relations of an object, not all that
    hold: scenes say so (``meta["sparse"]``) unless told otherwise (`sparse` option)."""
    path = write_json(tmp_path / "scene_graphs.json", SCENE_GRAPHS)
    write_json(tmp_path / "image_data.json", IMAGE_DATA)
    scenes, _ = read_all(path, "visual_genome")
    assert [s.meta["sparse"] for s in scenes] == [["attributes", "relations"]] * 2
    assert_round_trip(scenes, tmp_path)
    for value, expected in ((False, None), ("none", None), ("attributes", ["attributes"]),
                            ("relations, attributes", ["attributes", "relations"]), (["relations"], ["relations"]),
                            (True, ["attributes", "relations"])):
        (first, _), _ = read_all(path, "visual_genome", sparse=value)
        assert first.meta.get("sparse") == expected, value
    with pytest.raises(ValueError, match=r"sparse must be true, false, none or some of attributes, relations; got \['colours'\]"):
        read_all(path, "visual_genome", sparse="colours")


def test_image_data_listing_an_image_twice(tmp_path: Path) -> None:
    """Two sizes for one image: its scene is refused, naming both entries; the same size twice
    (and a BOM before the file's text) is harmless."""
    path = write_json(tmp_path / "scene_graphs.json", SCENE_GRAPHS)
    image_data = [*IMAGE_DATA, {"image_id": 1, "width": 50, "height": 40}, {"image_id": 2, "width": 100, "height": 50}]
    (tmp_path / "image_data.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(image_data).encode())
    scenes, report = read_all(path, "visual_genome")
    assert [s.image_id for s in scenes] == ["2"] and (scenes[0].width, scenes[0].height) == (100, 50)
    assert fields(report) == [("1", "width")]
    assert report.entries[0].reason == ("image_data.json lists image 1 twice with different sizes: "
                                        "100x100 at index 0, 50x40 at index 2")


GROUPS = [{
    "image_id": 1,
    "objects": [vg_obj(1, "trees", 0, 0, 40, 30), vg_obj(2, "tree", 60, 0, 10, 30), vg_obj(3, "people", 0, 50, 40, 30),
                vg_obj(4, "cat", 50, 60, 10, 10), vg_obj(5, "jeans", 80, 60, 10, 20), vg_obj(6, "man", 70, 40, 10, 50),
                vg_obj(7, "plate", 85, 85, 10, 10)],
    "relationships": [{"predicate": "ON", "subject_id": 4, "object_id": 3},
                      {"predicate": "and", "subject_id": 6, "object_id": 7},
                      {"predicate": "has a", "subject_id": 6, "object_id": 7},
                      {"predicate": "are on", "subject_id": 7, "object_id": 4},
                      {"predicate": "hold", "subject_id": 1, "object_id": 2}],
}]


def _count(scene, name: str):
    from veriscene.errors import ExecutionFailure
    from veriscene.program import ExecutionContext, run_nodes

    program = [{"op": "scene", "inputs": [], "args": [0]}, {"op": "filter_name", "inputs": [0], "args": [name]},
               {"op": "count", "inputs": [1], "args": []}]
    try:
        return run_nodes(program, ExecutionContext([scene]))[-1]
    except ExecutionFailure:
        return None


def test_plural_names_are_crowd_regions_and_predicates_are_cleaned(tmp_path: Path) -> None:
    """"trees" is one box around several: a crowd region of "tree", never counted as one tree;
    raw predicates lose copulas and articles, and "and" (no relation) is dropped and counted."""
    from veriscene.scene.caption import scene_caption

    path = write_json(tmp_path / "scene_graphs.json", GROUPS)
    write_json(tmp_path / "image_data.json", [{"image_id": 1, "width": 100, "height": 100}])
    (scene,), report = read_all(path, "visual_genome", objects="complete")
    assert scene.names == ("tree", "tree", "person", "cat", "jeans", "man", "plate")
    assert scene.meta["crowd"] == [0, 2] and "exhaustive" not in scene.meta
    assert sorted(p for _, p, _ in scene.relations) == ["has", "hold", "on", "on"]
    assert report.repairs.get("meaningless_relations_dropped") == 1
    assert _count(scene, "tree") is None and _count(scene, "man") == 1  # a group of trees: unknown
    caption = scene_caption(scene)
    assert "many trees" in caption and "many people" in caption and "two trees" not in caption
    assert "The plate is on the cat." in caption and "The man has the plate." in caption


def _unique(scene, name: str):
    from veriscene.errors import ExecutionFailure
    from veriscene.program import ExecutionContext, run_nodes

    program = [{"op": "scene", "inputs": [], "args": [0]}, {"op": "filter_name", "inputs": [0], "args": [name]},
               {"op": "unique", "inputs": [1], "args": []}]
    try:
        return run_nodes(program, ExecutionContext([scene]))[-1].index
    except ExecutionFailure:
        return None


def test_collective_names_are_crowd_regions_of_their_members(tmp_path: Path) -> None:
    """"group of trees" beside "tree" made "How many trees?" 1 and "the tree" one tree: the group
    was a name of its own ("group of tree"). It is a crowd region of "tree", as "trees" is; a
    crowd is one of people; a pair of jeans stays one thing, a pair of shoes is two."""
    objects = [vg_obj(1, "group of trees", 0, 0, 40, 30), vg_obj(2, "tree", 60, 0, 10, 30),
               vg_obj(3, "crowd", 0, 50, 40, 30), vg_obj(4, "man", 70, 40, 10, 50),
               vg_obj(5, "person", 50, 50, 10, 30), vg_obj(6, "pair of jeans", 80, 60, 10, 20),
               vg_obj(7, "pair of shoes", 40, 85, 20, 10), vg_obj(8, "bunch of bananas", 85, 5, 10, 10),
               vg_obj(9, "piece of cake", 85, 30, 10, 10)]
    path = write_json(tmp_path / "scene_graphs.json", [{"image_id": 1, "objects": objects, "relationships": []}])
    write_json(tmp_path / "image_data.json", [{"image_id": 1, "width": 100, "height": 100}])
    (scene,), _ = read_all(path, "visual_genome")
    assert scene.names == ("tree", "tree", "person", "man", "person", "jeans", "shoe", "banana", "piece of cake")
    assert scene.meta["crowd"] == [0, 2, 6, 7]
    assert [_count(scene, n) for n in ("tree", "person", "shoe", "banana", "man", "jeans", "piece of cake")] == [
        None, None, None, None, 1, 1, 1]
    assert [_unique(scene, n) for n in ("tree", "person", "man", "jeans", "piece of cake")] == [None, None, 3, 5, 8]


@pytest.mark.parametrize(("objects", "exhaustive", "man_count"), [
    (None, ["cat", "jeans", "man", "person", "plate", "tree"], 1),  # default "present"
    ("present", ["cat", "jeans", "man", "person", "plate", "tree"], 1),
    ("sparse", [], None),
    ("complete", None, 1),
    ("Complete", None, 1),
])
def test_objects_option_says_which_names_are_annotated_in_full(tmp_path: Path, objects, exhaustive, man_count) -> None:
    path = write_json(tmp_path / "scene_graphs.json", GROUPS)
    write_json(tmp_path / "image_data.json", [{"image_id": 1, "width": 100, "height": 100}])
    (scene,), _ = read_all(path, "visual_genome", **({} if objects is None else {"objects": objects}))
    assert scene.meta.get("exhaustive") == exhaustive
    # a name the image annotates counts (unless "sparse" says no name is complete)
    assert _count(scene, "man") == man_count


def test_objects_option_refuses_unknown_values(tmp_path: Path) -> None:
    path = write_json(tmp_path / "scene_graphs.json", GROUPS)
    with pytest.raises(ValueError, match="objects must be one of complete, present, sparse"):
        read_all(path, "visual_genome", objects="all")


def test_image_ids_past_64_bits_in_image_data_are_read_exactly(tmp_path: Path) -> None:
    """image_data.json is loaded whole: orjson read an id of 2**64 as a float, refused as
    "1.8446744073709552e+19", and the image's scene then had no size. Ids are compared as text."""
    wide = 2**64
    path = write_json(tmp_path / "scene_graphs.json", [{**SCENE_GRAPHS[1], "image_id": wide}, SCENE_GRAPHS[0]])
    write_json(tmp_path / "image_data.json", [*IMAGE_DATA, {"image_id": wide, "width": 120, "height": 80}])
    scenes, report = read_all(path, "visual_genome")
    assert [(s.image_id, s.width, s.height) for s in scenes] == [("18446744073709551616", 120, 80), ("1", 100, 100)]
    assert report.total == 0


def test_the_attributes_of_an_object_dropped_are_counted(tmp_path: Path) -> None:
    """An object dropped (`drop_bad_parts`) takes its attributes.json entries with it: its words are
    counted (`attributes_dropped_with_object`), as its relations are, not lost unsaid (helper-210)."""
    write_json(tmp_path / "image_data.json", IMAGE_DATA)
    write_json(tmp_path / "objects.json", [
        {"image_id": 1, "objects": [vg_obj(10, "shirt", w=-5), vg_obj(11, "man", 0, 0, 50, 90)]}])
    write_json(tmp_path / "attributes.json", [
        {"image_id": 1, "attributes": [{**vg_obj(10, "shirt", w=-5), "attributes": ["white", "striped"]},
                                       {**vg_obj(11, "man", 0, 0, 50, 90), "attributes": ["tall"]}]}])
    write_json(tmp_path / "relationships.json", [
        {"image_id": 1, "relationships": [{"predicate": "wears", "subject_id": 11, "object_id": 10}]}])
    (scene,), report = read_all(tmp_path, "visual_genome", drop_bad_parts=True)
    assert scene.names == ("man",) and scene.attributes == (("tall",),)
    assert [(e.record, e.field, e.level) for e in report.entries] == [("1", "objects[10].box", "object")]
    assert report.repairs["attributes_dropped_with_object"] == 2
    assert report.repairs["relations_dropped_with_object"] == 1
