"""Visual Genome object ids that the files give again with another name or box.

An object is read from the entry that first gives its id (objects.json's, else the first attribute
or relationship entry embedding it). The files of a release do not always agree on it (v1.2
attributes.json calls an object "girl" that v1.4 relationships.json calls "woman", and their boxes
are often pixels apart): the first is kept and every entry saying otherwise is counted, never
passed over in silence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .reader_helpers import read_all, write_json


def ent(oid: int, name: Any, box: tuple[Any, Any, Any, Any], *, key: str = "names", **extra: Any) -> dict[str, Any]:
    """One object as the split files give it: v1.4 uses "names", v1.2's embedded ends "name"."""
    x, y, w, h = box
    return {"object_id": oid, "x": x, "y": y, "w": w, "h": h, key: [name] if key == "names" else name, **extra}


def rel(predicate: str, subject: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    return {"predicate": predicate, "subject": subject, "object": obj}


GIRL = (10, 20, 30, 60)
CHAIR = (50, 40, 30, 40)


def split(tmp_path: Path, *, attributes: list[dict[str, Any]] | None = None,
          relationships: list[dict[str, Any]] | None = None) -> Path:
    """A split-layout image 7 (200 x 100) whose objects.json gives a girl (id 1) and a chair (2)."""
    write_json(tmp_path / "image_data.json", [{"image_id": 7, "width": 200, "height": 100}])
    write_json(tmp_path / "objects.json", [{"image_id": 7, "objects": [ent(1, "girl", GIRL), ent(2, "chair", CHAIR)]}])
    if attributes is not None:
        write_json(tmp_path / "attributes.json", [{"image_id": 7, "attributes": attributes}])
    if relationships is not None:
        write_json(tmp_path / "relationships.json", [{"image_id": 7, "relationships": relationships}])
    return tmp_path


def test_another_name_for_an_object_is_counted_and_the_first_kept(tmp_path: Path) -> None:
    """objects.json says "girl", two relationship entries (v1.2 style "name") say "woman": the
    object stays a girl at objects.json's box, and both entries are counted."""
    woman = ent(1, "woman", GIRL, key="name")
    chair = ent(2, "chair", CHAIR, key="name")
    split(tmp_path, relationships=[rel("sitting on", woman, chair), rel("next to", woman, chair)])
    (scene,), report = read_all(tmp_path, "visual_genome")
    assert scene.names == ("girl", "chair")
    assert scene.boxes.tolist()[0] == [10.0, 20.0, 40.0, 80.0]
    assert scene.relations == ((0, "sitting on", 1), (0, "next to", 1))
    assert report.total == 0
    assert report.repairs == {"conflicting_object_names_first_kept": 2}


@pytest.mark.parametrize(("again", "repairs"), [
    (ent(1, "girl", (12, 20, 30, 60)), {"conflicting_object_boxes_first_kept": 1}),  # x0 and x1 2 px off
    (ent(1, "girl", (10, 20, 30, 62)), {"conflicting_object_boxes_first_kept": 1}),  # y1 2 px off
    (ent(1, "girl", (10, 20, 31.5, 60)), {"conflicting_object_boxes_first_kept": 1}),  # x1 1.5 px off
    (ent(1, "girls", GIRL), {"conflicting_object_names_first_kept": 1}),  # a group of girls is not one girl
    (ent(1, "woman", (90, 20, 30, 60)), {"conflicting_object_names_first_kept": 1,
                                         "conflicting_object_boxes_first_kept": 1}),
    (ent(1, 5, GIRL), {"conflicting_object_names_first_kept": 1}),  # a name that is no name differs
    (ent(1, "girl", ("10", 20, 30, 60)), {"conflicting_object_boxes_first_kept": 1}),  # nor is a text a coordinate
])
def test_an_attribute_entry_giving_the_object_again(tmp_path: Path, again: dict[str, Any],
                                                    repairs: dict[str, int]) -> None:
    """attributes.json gives object 1 again: its attributes are added, the name and box stay
    objects.json's, and a name or a box (corner more than 1 px off) said otherwise is counted.
    The scene is kept whatever the repeat's name and box are: the object is not read from it."""
    split(tmp_path, attributes=[{**again, "attributes": ["smiling"]}])
    (scene,), report = read_all(tmp_path, "visual_genome")
    assert scene.names == ("girl", "chair")
    assert scene.boxes.tolist()[0] == [10.0, 20.0, 40.0, 80.0]
    assert scene.attributes == (("smiling",), ())
    assert report.total == 0
    assert report.repairs == repairs


def test_only_entries_that_say_otherwise_are_counted(tmp_path: Path) -> None:
    """Entries giving object 1 again that agree with objects.json (the same name once normalised,
    corners at most `BOX_TOLERANCE` = 1 px off, or no name and box at all) are not counted; the
    one whose box is 2 px off is."""
    split(tmp_path, attributes=[
        ent(1, "girl", GIRL, attributes=["smiling"]),  # the same entry again
        ent(1, "Girl ", GIRL),  # the same name once normalised
        ent(1, "girl", (11, 19, 29, 61)),  # corners (11, 19, 40, 80) vs (10, 20, 40, 80)
        ent(1, "girl", (10.4, 20, 30.6, 60)),  # float corners within 1 px
        {"object_id": 1, "attributes": ["tall"]},  # no name, no box: nothing said otherwise
        ent(1, "girl", (10, 20, 30, 58)),  # y1 2 px off
    ])
    (scene,), report = read_all(tmp_path, "visual_genome")
    assert scene.names == ("girl", "chair")
    assert scene.attributes == (("smiling", "tall"), ())
    assert report.repairs == {"conflicting_object_boxes_first_kept": 1}


def test_the_first_embedding_is_kept_when_no_objects_file_gives_the_object(tmp_path: Path) -> None:
    """relationships.json alone, one id in three entries: read from the first, the two others
    (one renamed, one with a box 5 px off) counted."""
    chair = ent(2, "chair", CHAIR)
    write_json(tmp_path / "relationships.json", {"image_id": 7, "width": 200, "height": 100, "relationships": [
        rel("sitting on", ent(1, "girl", GIRL), chair),
        rel("next to", ent(1, "woman", GIRL), chair),
        rel("near", ent(1, "girl", (15, 20, 30, 60)), chair),
    ]})
    (scene,), report = read_all(tmp_path / "relationships.json", "visual_genome")
    assert scene.names == ("girl", "chair")
    assert scene.boxes.tolist()[0] == [10.0, 20.0, 40.0, 80.0]
    assert report.repairs == {"conflicting_object_names_first_kept": 1, "conflicting_object_boxes_first_kept": 1}


def test_an_id_merged_into_an_object_is_not_a_conflict(tmp_path: Path) -> None:
    """An id the object lists in `merged_object_ids` names it, though its own entry gives another
    name and box (that is what merging them says): not counted. The object's own id given with
    another name is."""
    write_json(tmp_path / "image_data.json", [{"image_id": 7, "width": 200, "height": 100}])
    write_json(tmp_path / "objects.json", [{"image_id": 7, "objects": [
        ent(21, "computer tower", (50, 40, 20, 30), merged_object_ids=[20]), ent(2, "chair", CHAIR)]}])
    write_json(tmp_path / "attributes.json", [{"image_id": 7, "attributes": [
        ent(20, "cpu", (52, 44, 16, 25), attributes=["black"])]}])
    write_json(tmp_path / "relationships.json", [{"image_id": 7, "relationships": [
        rel("next to", ent(20, "cpu", (52, 44, 16, 25), key="name"), ent(2, "chair", CHAIR, key="name")),
        rel("near", ent(21, "computer", (50, 40, 20, 30), key="name"), ent(2, "chair", CHAIR, key="name"))]}])
    (scene,), report = read_all(tmp_path, "visual_genome")
    assert scene.names == ("computer tower", "chair")
    assert scene.attributes == (("black",), ())
    assert scene.relations == ((0, "next to", 1), (0, "near", 1))
    assert report.repairs == {"conflicting_object_names_first_kept": 1}


def test_conflicts_of_a_rejected_scene_are_not_counted(tmp_path: Path) -> None:
    """Repairs count in accepted scenes only: image 8, rejected for a bad relationship, takes its
    conflict with it; image 7's is counted."""
    chair = ent(2, "chair", CHAIR, key="name")
    woman = ent(1, "woman", GIRL, key="name")
    write_json(tmp_path / "relationships.json", [
        {"image_id": 7, "width": 200, "height": 100, "relationships": [
            rel("sitting on", ent(1, "girl", GIRL), chair), rel("next to", woman, chair)]},
        {"image_id": 8, "width": 200, "height": 100, "relationships": [
            rel("sitting on", ent(1, "girl", GIRL), chair), rel("next to", woman, chair),
            {"predicate": "near", "subject": chair}]},
    ])
    scenes, report = read_all(tmp_path / "relationships.json", "visual_genome")
    assert [scene.image_id for scene in scenes] == ["7"]
    assert report.total == 1
    assert report.repairs == {"conflicting_object_names_first_kept": 1, "scenes_rejected_for_one_bad_part": 1}


def test_conflicts_are_in_the_convert_summary(tmp_path: Path) -> None:
    """`veriscene convert`: the counts are in the summary it returns and prints."""
    import typer
    from typer.testing import CliRunner

    from veriscene.commands.convert import register
    from veriscene.io.convert import convert

    chair = ent(2, "chair", CHAIR, key="name")
    split(tmp_path / "vg", attributes=[ent(1, "girl", (10, 20, 30, 70), attributes=["smiling"])],
          relationships=[rel("sitting on", ent(1, "woman", GIRL, key="name"), chair)])
    summary = convert(tmp_path / "vg", tmp_path / "out" / "scenes.jsonl", "visual_genome")
    assert summary.scenes_written == 1
    assert summary.repairs == {"conflicting_object_boxes_first_kept": 1, "conflicting_object_names_first_kept": 1}
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # a second command, so `convert` is a subcommand as in the CLI
    result = CliRunner().invoke(app, ["convert", str(tmp_path / "vg"), "--from", "visual_genome", "--out",
                                      str(tmp_path / "o.jsonl")], terminal_width=200)
    assert result.exit_code == 0, result.output
    rows = {cells[0]: cells[1] for line in result.output.splitlines()
            if len(cells := [cell.strip() for cell in line.split("│")[1:3]]) == 2}
    assert rows["conflicting object names first kept"] == "1"
    assert rows["conflicting object boxes first kept"] == "1"
