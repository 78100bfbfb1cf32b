from __future__ import annotations

from pathlib import Path

import numpy as np

from veriscene.io.readers import detect_format

from .reader_helpers import assert_round_trip, read_all

HEADER = "ImageID,LabelName1,LabelName2,XMin1,XMax1,YMin1,YMax1,XMin2,XMax2,YMin2,YMax2,RelationshipLabel\n"
ROWS = [
    "img1,/m/man,/m/guitar,0.1,0.5,0.2,0.9,0.4,0.8,0.5,0.7,plays",
    "img1,/m/guitar,/m/wooden,0.4,0.8,0.5,0.7,0.4,0.8,0.5,0.7,is",
    "img1,/m/man,/m/chair,0.1,0.5,0.2,0.9,0.0,0.3,0.6,1.05,on",  # box 2 partly outside: clipped
    "img2,/m/man,/m/chair,0.1,0.5,0.2,0.9,0.5,0.5,0.6,0.9,at",    # zero-width box 2
]


def write_csv(tmp_path: Path, rows=ROWS, tables=True) -> Path:
    path = tmp_path / "oidv6-train-annotations-vrd.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    if tables:
        (tmp_path / "oidv6-class-descriptions.csv").write_text(
            "LabelName,DisplayName\n/m/man,Man\n/m/guitar,Guitars\n/m/chair,Chair\n")
        (tmp_path / "oidv6-attributes-description.csv").write_text("/m/wooden,Wooden\n")
    return path


def test_relationships_attributes_and_names(tmp_path: Path) -> None:
    path = write_csv(tmp_path)
    assert detect_format(path) == "open_images"
    scenes, report = read_all(path, "open_images", image_size=(200, 100))
    (s,) = scenes
    assert s.names == ("man", "guitar", "chair")
    assert s.attributes == ((), ("wooden",), ())
    assert s.relations == ((0, "plays", 1), (0, "on", 2))
    np.testing.assert_allclose(s.boxes[0], [20, 20, 100, 90])
    np.testing.assert_allclose(s.boxes[2], [0, 60, 60, 100])
    assert report.boxes_clipped == 1
    assert s.meta["exhaustive"] == []  # only objects in a relationship: no name is there in full
    assert s.meta["sparse"] == ["attributes", "relations"]  # relationships of some pairs only
    assert [(e.record, e.reason[:10]) for e in report.entries] == [("img2", "box [100.0")]
    assert_round_trip(scenes, tmp_path)


def test_without_tables_label_ids_are_names_and_sizes_from_headers(tmp_path: Path, tiny_png) -> None:
    path = write_csv(tmp_path, ROWS[:1], tables=False)
    scenes, report = read_all(path, "open_images")
    assert scenes == [] and "image size missing" in report.entries[0].reason
    tiny_png("images/img1.jpg", 100, 50)
    scenes, _ = read_all(path, "open_images", image_root=tmp_path / "images")
    assert scenes[0].names == ("/m/man", "/m/guitar") and scenes[0].width == 100


def test_malformed_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["img1,/m/man,/m/guitar,abc,0.5,0.2,0.9,0.4,0.8,0.5,0.7,plays", "img3,/m/man"])
    scenes, report = read_all(path, "open_images", image_size=(10, 10))
    assert scenes == []
    assert {(e.record, e.field) for e in report.entries} == {("img1", "line 2.XMin1"), ("line 3", None)}


def test_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "rel.csv"
    path.write_text("ImageID,LabelName1\nx,y\n")
    scenes, report = read_all(path, "open_images")
    assert scenes == [] and report.entries[0].level == "file" and "XMin1" in report.entries[0].reason


def test_relationship_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = write_csv(tmp_path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    scenes, report = read_all(path, "open_images", image_size=(200, 100))
    assert [s.names for s in scenes] == [("man", "guitar", "chair")]
    assert [e.record for e in report.entries] == ["img2"]


def test_display_names_that_are_no_object_names_are_made_plain(tmp_path: Path) -> None:
    """'(made of)Leather' is the material 'leather'; 'Luggage and bags' is 'luggage' ("a piece of
    luggage", never "a luggage and bag")."""
    path = write_csv(tmp_path, ["img1,/m/bags,/m/leather,0.1,0.5,0.2,0.9,0.1,0.5,0.2,0.9,is",
                                "img1,/m/man,/m/bags,0.1,0.5,0.2,0.9,0.1,0.5,0.2,0.9,holds"], tables=False)
    (tmp_path / "oidv6-class-descriptions.csv").write_text("LabelName,DisplayName\n/m/man,Man\n/m/bags,Luggage and bags\n")
    (tmp_path / "oidv6-attributes-description.csv").write_text("/m/leather,(made of)Leather\n")
    (s,), _ = read_all(path, "open_images", image_size=(200, 100))
    assert s.names == ("luggage", "man") and s.attributes[0] == ("leather",)


def test_the_relations_and_attributes_of_an_object_dropped_are_counted(tmp_path: Path) -> None:
    """An object dropped (`drop_bad_parts`: an empty LabelName1) is reported once, at the row
    that gives it; each row relating it, or giving it an "is" attribute, is counted
    (`relations_dropped_with_object`, `attributes_dropped_with_object`), not refused again as a
    "duplicate object id" nor lost unsaid (helper-210)."""
    path = write_csv(tmp_path, ["img1,,/m/guitar,0.1,0.5,0.2,0.9,0.4,0.8,0.5,0.7,plays",
                                "img1,,/m/chair,0.1,0.5,0.2,0.9,0.0,0.3,0.6,1.0,on",
                                "img1,,/m/wooden,0.1,0.5,0.2,0.9,0.1,0.5,0.2,0.9,is",
                                "img1,/m/man,/m/chair,0.5,0.9,0.1,0.9,0.0,0.3,0.6,1.0,on"])
    (scene,), report = read_all(path, "open_images", image_size=(200, 100), drop_bad_parts=True)
    assert scene.names == ("man", "chair") and scene.relations == ((0, "on", 1),)
    assert [(e.record, e.field, e.level) for e in report.entries] == [("img1", "line 2.LabelName1", "object")]
    assert report.repairs["relations_dropped_with_object"] == 2
    assert report.repairs["attributes_dropped_with_object"] == 1
