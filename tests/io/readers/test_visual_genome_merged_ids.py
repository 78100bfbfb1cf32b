"""Visual Genome v1.4 `merged_object_ids`, in the shapes the released files give them.

v1.4 merged objects annotated twice into one: the surviving object lists the ids merged into it,
and its relationships were rewritten to its id. So `relationships.json` embeds objects that carry
`merged_object_ids` (not only `objects.json`), and some relationships now link an object to itself
("walk sign says walk sign" once "walk" was merged into the sign), while `attributes.json`, from
v1.2, still lists the merged-away objects under their own ids.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .reader_helpers import read_all, write_json


def ent(oid: int, name: str, x: int, y: int, w: int, h: int, *, key: str = "names", merged: list[int] | None = None,
        attrs: list[str] | None = None) -> dict[str, Any]:
    """One object as the split files embed it: v1.4 relationship ends use "names" and may carry
    `merged_object_ids`; v1.2 ends use "name"."""
    out: dict[str, Any] = {"object_id": oid, "x": x, "y": y, "w": w, "h": h, "synsets": [],
                           key: [name] if key == "names" else name}
    if merged is not None:
        out["merged_object_ids"] = merged
    if attrs is not None:
        out["attributes"] = attrs
    return out


def rel(predicate: str, subject: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    return {"predicate": predicate, "subject": subject, "object": obj}


def test_relationship_linking_an_object_to_itself_is_dropped_not_the_scene(tmp_path: Path) -> None:
    """A relationship whose two ends are one object (as v1.4's merging left some) says nothing of
    two objects: it is dropped and counted, and the image is kept."""
    sign = ent(5, "walk sign", 60, 20, 20, 10, key="name")
    sign_v14 = ent(5, "walk sign", 60, 20, 20, 10, merged=[9])
    man = ent(1, "man", 10, 10, 30, 80, key="name")
    write_json(tmp_path / "relationships.json", {"image_id": 2, "width": 100, "height": 100, "relationships": [
        rel("says", sign, sign_v14),  # the same id at both ends
        rel("next to", man, sign),
    ]})
    (scene,), report = read_all(tmp_path / "relationships.json", "visual_genome")
    assert scene.names == ("walk sign", "man")
    assert scene.relations == ((1, "next to", 0),)
    assert report.total == 0
    assert report.repairs == {"relations_within_merged_object_dropped": 1}


def test_merged_object_ids_of_embedded_objects_name_the_object(tmp_path: Path) -> None:
    """Without `objects.json` for an image, the ids a relationship end lists in
    `merged_object_ids` are that object too: the v1.2 attribute entries under those ids add their
    attributes to it instead of a second object over the same thing, and a relationship between
    an object and one merged into it is dropped (counted)."""
    write_json(tmp_path / "attributes.json", [{"image_id": 3, "width": 100, "height": 100, "attributes": [
        ent(20, "cpu", 50, 60, 20, 30, attrs=["black"]),  # merged into 21 in v1.4
        ent(21, "computer tower", 50, 60, 20, 28, attrs=["tall"]),
        ent(30, "desk", 0, 50, 100, 40),
        ent(31, "drawer", 5, 70, 20, 10, attrs=["open"]),  # merged into 30
    ]}])
    tower = ent(21, "computer tower", 50, 61, 20, 28, merged=[20])
    desk = ent(30, "desk", 0, 50, 100, 40, merged=[31])
    write_json(tmp_path / "relationships.json", [{"image_id": 3, "relationships": [
        rel("under", tower, desk),
        rel("has", ent(30, "desk", 0, 50, 100, 40, key="name"), ent(31, "drawer", 5, 70, 20, 10, key="name")),
        rel("on", ent(20, "cpu", 50, 60, 20, 30, key="name"), ent(30, "desk", 0, 50, 100, 40, key="name")),
    ]}])
    (scene,), report = read_all(tmp_path, "visual_genome")
    assert scene.names == ("computer tower", "desk")
    assert scene.meta["object_ids"] == ["21", "30"]
    assert scene.attributes == (("black", "tall"), ("open",))
    assert scene.relations == ((0, "under", 1), (0, "on", 1))
    assert report.total == 0
    assert report.repairs == {"relations_within_merged_object_dropped": 1}


def test_bad_merged_id_of_an_embedded_object_is_reported(tmp_path: Path) -> None:
    """An id in an embedded object's `merged_object_ids` that is no id rejects the scene, naming
    the file and field (or drops just that object with drop_bad_parts)."""
    man = ent(1, "man", 10, 10, 30, 80, key="name")
    write_json(tmp_path / "relationships.json", [{"image_id": 4, "width": 100, "height": 100, "relationships": [
        rel("holding", man, ent(2, "cup", 20, 40, 5, 5, merged=[3, None])),
    ]}])
    scenes, report = read_all(tmp_path / "relationships.json", "visual_genome")
    assert scenes == []
    (entry,) = report.entries
    assert (entry.record, entry.field) == ("4", "relationships[0].object.merged_object_ids[1]")
    assert entry.file is not None and entry.file.endswith("relationships.json")
    assert "id must be an integer or a non-empty string, got None" in entry.reason
