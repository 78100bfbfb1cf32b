"""An attribute list that gives one word twice ("white", "White "): a scene holds each attribute
of an object once, so the repeat is merged, and counted (`duplicate_attributes_merged`, as a
relation given twice is `duplicate_relations_merged`), never dropped in silence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .reader_helpers import read_all, write_json


def gqa_object(name: str, attributes: list[str], relations: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"name": name, "x": 1, "y": 2, "w": 10, "h": 10, "attributes": attributes, "relations": relations or []}


@pytest.mark.parametrize(("attributes", "kept", "repeats"), [
    (["white", "white"], ("white",), 1),
    (["white", "White ", "large", "white"], ("large", "white"), 2),  # the same word once normalised
    (["white", "large"], ("large", "white"), 0),
])
def test_gqa_attributes_given_twice_are_counted(tmp_path: Path, attributes: list[str], kept: tuple[str, ...],
                                                repeats: int) -> None:
    path = write_json(tmp_path / "sg.json", {"10": {"width": 50, "height": 50, "objects": {
        "1": gqa_object("cup", attributes), "2": gqa_object("plate", ["round", "round"])}}})
    (scene,), report = read_all(path, "gqa")
    assert scene.attributes == (kept, ("round",))
    assert report.total == 0
    assert report.repairs == {"duplicate_attributes_merged": repeats + 1}


def test_visual_genome_attributes_given_twice_are_counted(tmp_path: Path) -> None:
    """A word repeated within one attribute list is counted; the same word in two entries of the
    object (objects.json's and attributes.json's) is two annotations agreeing, not counted."""
    write_json(tmp_path / "objects.json", [{"image_id": 1, "width": 100, "height": 100, "objects": [
        {"object_id": 5, "x": 1, "y": 2, "w": 10, "h": 10, "names": ["cup"], "attributes": ["white"]}]}])
    write_json(tmp_path / "attributes.json", [{"image_id": 1, "attributes": [
        {"object_id": 5, "x": 1, "y": 2, "w": 10, "h": 10, "names": ["cup"], "attributes": ["white", "full", "Full"]}]}])
    (scene,), report = read_all(tmp_path, "visual_genome")
    assert scene.attributes == (("full", "white"),)
    assert report.repairs == {"duplicate_attributes_merged": 1}
