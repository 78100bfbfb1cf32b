"""Visual Genome's split files: a reject names the file its fault is in, and an image missing
from image_data.json says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from .reader_helpers import read_all, write_json
from .test_read_visual_genome import vg_obj


def _split(folder: Path, *, predicate: object = "on", attributes: object = ("white",)) -> None:
    man, shirt = vg_obj(11, "man", 0, 0, 50, 90), vg_obj(10, "shirt", 5, 5, 20, 20)
    write_json(folder / "objects.json", [{"image_id": 1, "objects": [man, shirt]},
                                        {"image_id": 2, "objects": [vg_obj(20, "tree", 5, 5, 10, 10)]}])
    write_json(folder / "attributes.json", [{"image_id": 1, "attributes": [{**shirt, "attributes": attributes}]}])
    write_json(folder / "relationships.json", [{"image_id": 1, "relationships": [
        {"relationship_id": 1, "predicate": predicate, "subject": shirt, "object": man}]}])
    write_json(folder / "image_data.json", [{"image_id": 1, "width": 100, "height": 100},
                                            {"image_id": 2, "width": 100, "height": 100}])


@pytest.mark.parametrize(("kwargs", "file", "field"), [
    ({"predicate": ""}, "relationships.json", "relationships[0].predicate"),
    ({"predicate": 7}, "relationships.json", "relationships[0].predicate"),
    ({"attributes": "white"}, "attributes.json", "attributes[0].attributes"),
])
def test_reject_names_the_split_file_holding_the_fault(tmp_path: Path, kwargs: dict, file: str, field: str) -> None:
    _split(tmp_path, **kwargs)
    scenes, report = read_all(tmp_path, "visual_genome")
    assert [s.image_id for s in scenes] == ["2"]
    (entry,) = report.entries
    assert (Path(entry.file).name, entry.record, entry.field) == (file, "1", field)


def test_dropped_part_names_its_split_file(tmp_path: Path) -> None:
    _split(tmp_path, predicate="")
    scenes, report = read_all(tmp_path, "visual_genome", drop_bad_parts=True)
    assert [s.image_id for s in scenes] == ["1", "2"] and scenes[0].relations == ()
    (entry,) = report.entries
    assert (Path(entry.file).name, entry.level) == ("relationships.json", "relation")


def test_object_faults_and_size_faults_name_objects_json(tmp_path: Path) -> None:
    _split(tmp_path)
    write_json(tmp_path / "objects.json", [{"image_id": 1, "objects": [vg_obj(11, "man", 0, 0, -5, 90)]},
                                           {"image_id": 2, "objects": [vg_obj(20, "tree", 5, 5, 10, 10)]}])
    write_json(tmp_path / "image_data.json", [{"image_id": 1, "width": 100, "height": 100}])
    scenes, report = read_all(tmp_path, "visual_genome")
    assert scenes == []
    box, size = report.entries
    assert (Path(box.file).name, box.record, box.field) == ("objects.json", "1", "objects[11].box")
    assert (Path(size.file).name, size.record, size.field) == ("objects.json", "2", "width")
    assert "image 2 is not listed in image_data.json" in size.reason


def test_image_missing_from_image_data_is_read_with_an_image_size(tmp_path: Path) -> None:
    _split(tmp_path)
    write_json(tmp_path / "image_data.json", [{"image_id": 1, "width": 100, "height": 100}])
    scenes, report = read_all(tmp_path, "visual_genome", image_size=(64, 48))
    assert [(s.image_id, s.width, s.height) for s in scenes] == [("1", 100, 100), ("2", 64, 48)]
    assert report.total == 0


def test_merged_object_ids_name_the_object_they_were_merged_into(tmp_path: Path) -> None:
    man = {**vg_obj(11, "man", 0, 0, 50, 90), "merged_object_ids": [19, 18]}
    write_json(tmp_path / "scene_graphs.json", [{"image_id": 1, "width": 100, "height": 100, "objects": [
        man, vg_obj(10, "shirt", 5, 5, 20, 20), vg_obj(18, "hat", 5, 0, 10, 5)],
        "relationships": [{"predicate": "wearing", "subject_id": 19, "object_id": 10},
                          {"predicate": "wearing", "subject_id": 11, "object_id": 18}]}])
    scenes, report = read_all(tmp_path / "scene_graphs.json", "visual_genome")
    (scene,) = scenes
    # 19 is the man; 18 is an object of its own (a hat), not an alias of him
    assert scene.names == ("man", "shirt", "hat") and scene.relations == ((0, "wearing", 1), (0, "wearing", 2))
    assert scene.meta["object_ids"] == ["11", "10", "18"] and report.total == 0
