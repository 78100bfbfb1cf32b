from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from veriscene.io.readers import detect_format

from .reader_helpers import assert_round_trip, read_all

BOX_HEADER = "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside\n"
BOXES = [
    "a1,xclick,/m/man,1,0.1,0.5,0.2,0.9,0,0,0,0,0",
    "a1,xclick,/m/man,1,0.6,0.7,0.2,0.9,0,0,0,0,0",
    "a1,xclick,/m/guitar,1,0.4,0.8,0.5,0.7,0,0,0,0,0",
    "a1,xclick,/m/man,1,0.0,1.0,0.0,0.3,1,0,1,0,0",   # a group of people
    "b2,xclick,/m/chair,1,0.0,0.3,0.6,1.0,0,0,0,0,0",
    "c3,xclick,/m/dog,1,0.2,0.4,0.2,0.4,0,0,0,0,0",
]
LABEL_HEADER = "ImageID,Source,LabelName,Confidence\n"
LABELS = [
    "a1,verification,/m/man,1",
    "a1,verification,/m/dog,0",        # verified absent
    "a1,verification,/m/guitar,1",
    "b2,verification,/m/chair,1",
    "b2,verification,/m/chair,1",
    "b2,verification,/m/man,0",
    "z9,verification,/m/man,0",         # an image without boxes: no scene
]
REL_HEADER = "ImageID,LabelName1,LabelName2,XMin1,XMax1,YMin1,YMax1,XMin2,XMax2,YMin2,YMax2,RelationshipLabel\n"
RELATIONS = [
    "a1,/m/man,/m/guitar,0.1,0.5,0.2,0.9,0.4,0.8,0.5,0.7,plays",
    "a1,/m/guitar,/m/wooden,0.4,0.8,0.5,0.7,0.4,0.8,0.5,0.7,is",
    "b2,/m/man,/m/chair,0.5,0.9,0.1,0.9,0.0,0.3,0.6,1.0,on",   # a man no box file row has
]


def write(tmp_path: Path, name: str, header: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(header + "\n".join(rows) + "\n")
    return path


def files(tmp_path: Path, boxes=BOXES, labels=LABELS, relations=RELATIONS) -> dict[str, Path]:
    (tmp_path / "oidv6-class-descriptions.csv").write_text(
        "LabelName,DisplayName\n/m/man,Man\n/m/guitar,Guitar\n/m/chair,Chair\n/m/dog,Dog\n")
    (tmp_path / "oidv6-attributes-description.csv").write_text("/m/wooden,Wooden\n")
    return {"boxes": write(tmp_path, "validation-annotations-bbox.csv", BOX_HEADER, boxes),
            "labels": write(tmp_path, "validation-annotations-human-imagelabels-boxable.csv", LABEL_HEADER, labels),
            "relationships": write(tmp_path, "validation-annotations-vrd.csv", REL_HEADER, relations)}


def test_boxes_labels_and_relationships(tmp_path: Path) -> None:
    """Sorted files, as Open Images ships them: read in step, one image at a time."""
    f = files(tmp_path)
    assert detect_format(f["boxes"]) == "open_images"
    scenes, report = read_all(f["boxes"], "open_images", image_size=(200, 100), labels=f["labels"],
                              relationships=f["relationships"])
    a, b, c = scenes
    assert a.names == ("man", "man", "guitar", "man") and a.meta["crowd"] == [3]
    np.testing.assert_allclose(a.boxes[2], [80, 50, 160, 70])
    assert a.relations == ((0, "plays", 2),) and a.attributes[2] == ("wooden",)
    # boxed classes are complete, and so is the dog LabelName verified absent
    assert a.meta["exhaustive"] == ["dog", "guitar", "man"]
    assert a.meta["sparse"] == ["attributes", "relations"]  # relationships of some pairs only
    # b2: the relationship's man has no box: added, and men are no longer complete there
    assert b.names == ("chair", "man") and b.relations == ((1, "on", 0),)
    assert b.meta["exhaustive"] == ["chair"] and b.meta["crowd"] == []
    # c3 has no labels: only its boxed class is known in full
    assert c.meta["exhaustive"] == ["dog"]
    # z9 has labels but no box: its row is reported under the labels file, not dropped silently
    assert [(Path(e.file).name, e.record, e.level) for e in report.entries] == [
        ("validation-annotations-human-imagelabels-boxable.csv", "z9", "object")]
    assert_round_trip(scenes, tmp_path)

    alone, _ = read_all(f["boxes"], "open_images", image_size=(200, 100))
    assert [s.meta["exhaustive"] for s in alone] == [["guitar", "man"], ["chair"], ["dog"]]
    assert alone[0].relations == ()


@pytest.mark.parametrize("unsorted", ["all", "boxes", "labels"])
def test_unsorted_files_give_the_same_scenes(tmp_path: Path, unsorted: str) -> None:
    """An unsorted file is grouped in a temporary file first; when the box file is the unsorted
    one, the sorted side files cannot be read in step with it either."""
    f = files(tmp_path)
    expected, _ = read_all(f["boxes"], "open_images", image_size=(200, 100), labels=f["labels"],
                           relationships=f["relationships"])
    (tmp_path / "unsorted").mkdir()
    boxes = [BOXES[4], *BOXES[:4], BOXES[5]] if unsorted in ("all", "boxes") else BOXES
    g = files(tmp_path / "unsorted", boxes=boxes, labels=LABELS[::-1] if unsorted in ("all", "labels") else LABELS,
              relations=RELATIONS[::-1] if unsorted == "all" else RELATIONS)
    scenes, _ = read_all(g["boxes"], "open_images", image_size=(200, 100), labels=g["labels"],
                         relationships=g["relationships"])
    by_id = {s.image_id: s for s in scenes}
    assert [s.image_id for s in scenes] == (["a1", "b2", "c3"] if unsorted == "labels" else ["b2", "a1", "c3"])
    for s in expected:
        assert by_id[s.image_id].names == s.names and by_id[s.image_id].meta["exhaustive"] == s.meta["exhaustive"]
        assert by_id[s.image_id].relations == s.relations


def test_bad_rows_and_files(tmp_path: Path) -> None:
    f = files(tmp_path, boxes=[*BOXES[:2], "a1,xclick,/m/guitar,1,x,0.8,0.5,0.7,0,0,0,0,0", "b2,xclick"],
              labels=["a1,verification,/m/dog,maybe"])
    scenes, report = read_all(f["boxes"], "open_images", image_size=(200, 100), labels=f["labels"],
                              drop_bad_parts=True)
    assert [s.image_id for s in scenes] == ["a1"] and len(scenes[0]) == 2
    fields = {(e.record, e.field) for e in report.entries}
    assert ("a1", "line 4.XMin") in fields and ("a1", "line 2.Confidence") in fields
    assert next(e for e in report.entries if e.field == "line 2.Confidence").file == str(f["labels"])
    malformed = next(e for e in report.entries if e.record == "line 5")
    assert malformed.file == str(f["boxes"]) and "malformed row" in malformed.reason

    no_columns = write(tmp_path, "labels.csv", "ImageID,LabelName\n", ["a1,/m/dog"])
    scenes, report = read_all(f["boxes"], "open_images", image_size=(200, 100), labels=no_columns,
                              drop_bad_parts=True)
    entry = next(e for e in report.entries if e.level == "file")
    assert "Confidence" in entry.reason and entry.file.endswith("labels.csv")
    # a box file without IsGroupOf is still a box file: the missing column is named
    no_group = write(tmp_path, "boxes.csv", BOX_HEADER.replace(",IsGroupOf", ""), [])
    scenes, report = read_all(no_group, "open_images", image_size=(200, 100), labels=f["labels"])
    assert scenes == [] and "lacks column(s) IsGroupOf" in report.entries[-1].reason
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        read_all(f["boxes"], "open_images", image_size=(200, 100), labels=tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="go with an Open Images box file"):
        read_all(f["relationships"], "open_images", image_size=(200, 100), labels=f["labels"])


@pytest.mark.parametrize("sorted_side", [True, False])
def test_side_rows_of_images_without_boxes_are_reported(tmp_path: Path, sorted_side: bool) -> None:
    """Label and relationship rows of an image the box file lacks (before, between and after its
    images; read in step or grouped first) are each reported once, under their own file."""
    labels = ["a0,verification,/m/dog,0", *LABELS[:3], "b1,verification,/m/cat,0", "b1,verification,/m/dog,0",
              *LABELS[3:6], "z9,verification,/m/man,0"]
    relations = [*RELATIONS, "d4,/m/man,/m/chair,0.1,0.5,0.2,0.9,0.0,0.3,0.6,1.0,on"]
    f = files(tmp_path, labels=labels if sorted_side else labels[::-1],
              relations=relations if sorted_side else relations[::-1])
    scenes, report = read_all(f["boxes"], "open_images", image_size=(200, 100), labels=f["labels"],
                              relationships=f["relationships"])
    assert [s.image_id for s in scenes] == ["a1", "b2", "c3"]
    lost = {(Path(e.file).name, e.record, e.field, e.level) for e in report.entries}
    label_file, rel_file = f["labels"].name, f["relationships"].name
    assert lost == {(label_file, "a0", "ImageID", "object"), (label_file, "b1", "ImageID", "object"),
                    (label_file, "z9", "ImageID", "object"), (rel_file, "d4", "ImageID", "relation")}
    b1 = next(e for e in report.entries if e.record == "b1")
    assert "has no box in the box file" in b1.reason and "2 row(s)" in b1.reason
    assert report.rejected == {"object": 3, "relation": 1}


def test_bad_relationship_row_is_reported_under_its_file(tmp_path: Path) -> None:
    f = files(tmp_path, relations=[RELATIONS[0].replace("0.1,0.5", "0.5,0.1", 1)])  # inverted box 1
    scenes, report = read_all(f["boxes"], "open_images", image_size=(200, 100),
                              relationships=f["relationships"], drop_bad_parts=True)
    (entry,) = report.entries
    assert (entry.file, entry.record, entry.field) == (str(f["relationships"]), "a1", "line 2.XMin1")  # the column at fault
    assert scenes[0].relations == ()


def test_class_table_with_a_byte_order_mark(tmp_path: Path) -> None:
    f = files(tmp_path)
    table = tmp_path / "oidv6-class-descriptions.csv"
    table.write_bytes(b"\xef\xbb\xbf/m/man,Man\n/m/guitar,Guitar\n/m/chair,Chair\n/m/dog,Dog\n")
    boxes = f["boxes"]
    boxes.write_bytes(b"\xef\xbb\xbf" + boxes.read_bytes())
    scenes, report = read_all(boxes, "open_images", image_size=(200, 100), labels=f["labels"])
    assert scenes[0].names == ("man", "man", "guitar", "man") and scenes[0].meta["exhaustive"] == ["dog", "guitar", "man"]


@pytest.mark.parametrize("column, value", [
    ("IsGroupOf", "2"), ("IsGroupOf", "x"), ("IsOccluded", "yes"), ("IsTruncated", "0.5"),
    ("IsDepiction", ""), ("IsInside", "2"), ("Confidence", "high"), ("Confidence", "nan"), ("Confidence", "2"),
])
def test_a_bad_flag_or_confidence_is_refused_naming_file_line_and_column(
        tmp_path: Path, column: str, value: str) -> None:
    columns = BOX_HEADER.strip().split(",")
    row = "a1,xclick,/m/man,1,0.1,0.5,0.2,0.9,0,0,0,0,0".split(",")
    row[columns.index(column)] = value
    f = files(tmp_path, boxes=[",".join(row), *BOXES[1:]], labels=[])
    scenes, report = read_all(f["boxes"], "open_images", image_size=(200, 100))
    assert [s.image_id for s in scenes] == ["b2", "c3"]  # the image of the bad row is refused
    (entry,) = report.entries
    assert (entry.file, entry.record, entry.field) == (str(f["boxes"]), "a1", f"line 2.{column}")
    assert repr(value) in entry.reason
    # asked to keep the rest of the scene: only that row goes, and its class is no longer complete
    scenes, report = read_all(f["boxes"], "open_images", image_size=(200, 100), drop_bad_parts=True)
    a1 = scenes[0]
    assert a1.image_id == "a1" and len(a1) == 3 and report.rejected["object"] == 1
    assert a1.meta["exhaustive"] == ["guitar"]


@pytest.mark.parametrize("value", ["-1", " 0", "1"])
def test_flags_of_zero_one_and_unknown_are_read(tmp_path: Path, value: str) -> None:
    depiction = "0" if value == "1" else value  # a depiction is left out (test below)
    f = files(tmp_path, boxes=[f"a1,xclick,/m/man,1,0.1,0.5,0.2,0.9,{value},{value},0,{depiction},{value}"], labels=[])
    (scene,), report = read_all(f["boxes"], "open_images", image_size=(200, 100))
    assert report.entries == [] and list(scene.names) == ["man"]


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0.5x"])
def test_a_label_confidence_that_is_no_probability_is_refused(tmp_path: Path, value: str) -> None:
    f = files(tmp_path, labels=[f"a1,verification,/m/dog,{value}"])
    scenes, report = read_all(f["boxes"], "open_images", image_size=(200, 100), labels=f["labels"])
    (entry,) = report.entries
    assert (entry.file, entry.record, entry.field) == (str(f["labels"]), "a1", "line 2.Confidence")
    assert "a1" not in [s.image_id for s in scenes]


def test_a_depiction_is_left_out_and_its_class_is_not_complete(tmp_path: Path) -> None:
    """A toy dog (IsDepiction 1) beside a real one: "How many dogs?" has no one answer, so the toy
    is left out, counted, and dogs are no longer taken as annotated in full."""
    boxes = ["c3,xclick,/m/dog,1,0.2,0.4,0.2,0.4,0,0,0,0,0",
             "c3,xclick,/m/dog,1,0.6,0.8,0.2,0.4,0,0,0,1,0",   # a toy dog
             "c3,xclick,/m/chair,1,0.0,0.3,0.6,1.0,0,0,0,0,0"]
    relations = ["c3,/m/dog,/m/chair,0.6,0.8,0.2,0.4,0.0,0.3,0.6,1.0,on",   # the toy dog: left out with it
                 "c3,/m/dog,/m/chair,0.2,0.4,0.2,0.4,0.0,0.3,0.6,1.0,near"]
    f = files(tmp_path, boxes=boxes, labels=["c3,verification,/m/chair,1"], relations=relations)
    (scene,), report = read_all(f["boxes"], "open_images", image_size=(200, 100), labels=f["labels"],
                                relationships=f["relationships"])
    assert list(scene.names) == ["dog", "chair"] and scene.relations == ((0, "near", 1),)
    assert scene.meta["exhaustive"] == ["chair"]
    assert report.repairs["depictions_left_out"] == 1 and report.repairs["relations_of_depictions_left_out"] == 1


def test_the_relations_and_attributes_of_a_relationship_object_dropped_are_counted(tmp_path: Path) -> None:
    """An object only the relationship file gives, dropped (`drop_bad_parts`: an empty LabelName1),
    is reported once under that file; its other rows are counted (`relations_dropped_with_object`,
    `attributes_dropped_with_object`), not lost unsaid (helper-210)."""
    f = files(tmp_path, relations=["a1,,/m/guitar,0.5,0.9,0.1,0.9,0.4,0.8,0.5,0.7,plays",
                                   "a1,,/m/guitar,0.5,0.9,0.1,0.9,0.4,0.8,0.5,0.7,holds",
                                   "a1,,/m/wooden,0.5,0.9,0.1,0.9,0.5,0.9,0.1,0.9,is"])
    scenes, report = read_all(f["boxes"], "open_images", image_size=(200, 100), relationships=f["relationships"],
                              drop_bad_parts=True)
    assert scenes[0].relations == ()
    assert [(e.file, e.record, e.field, e.level) for e in report.entries] == [
        (str(f["relationships"]), "a1", "line 2.LabelName", "object")]
    assert report.repairs["relations_dropped_with_object"] == 2
    assert report.repairs["attributes_dropped_with_object"] == 1
