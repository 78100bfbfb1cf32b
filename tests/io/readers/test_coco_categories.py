"""COCO category ids listed twice (files merged by hand): harmless with one name, refused with two."""

from __future__ import annotations

import json
from pathlib import Path

from .reader_helpers import read_all


def _coco(tmp_path: Path, categories: list[dict]) -> Path:
    path = tmp_path / "instances.json"
    path.write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.jpg", "width": 20, "height": 10},
                   {"id": 2, "file_name": "b.jpg", "width": 20, "height": 10}],
        "annotations": [{"id": 7, "image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 4]},
                        {"id": 8, "image_id": 2, "category_id": 3, "bbox": [1, 1, 4, 4]}],
        "categories": categories}))
    return path


def test_an_id_listed_twice_with_one_name_is_counted_not_rejected(tmp_path: Path) -> None:
    path = _coco(tmp_path, [{"id": 1, "name": "person"}, {"id": 3, "name": "car"}, {"id": 1, "name": "Person"}])
    scenes, report = read_all(path, "coco", masks=False)
    assert [s.names for s in scenes] == [("person",), ("car",)]
    assert report.total == 0 and report.repairs["duplicate_categories_ignored"] == 1


def test_an_id_listed_with_two_names_refuses_its_annotations_naming_both(tmp_path: Path) -> None:
    path = _coco(tmp_path, [{"id": 1, "name": "person"}, {"id": 3, "name": "car"}, {"id": 1, "name": "human"},
                            {"id": 1, "name": "rider"}])
    scenes, report = read_all(path, "coco", masks=False)
    assert [s.image_id for s in scenes] == ["2"]  # the car's image; the person's is refused, not mis-named
    said = "category id 1 is listed twice with different names: categories[0] 'person', categories[2] 'human'"
    files = [e for e in report.entries if e.level == "file"]
    assert [(e.field, e.reason.startswith(said)) for e in files] == [("categories[2].id", True), ("categories[3].id", True)]
    assert files[1].reason.endswith("and again as 'rider'")
    (scene,) = [e for e in report.entries if e.level == "scene"]
    assert (scene.record, scene.field, scene.reason) == ("1", "annotations[0] (id 7).category_id", said)


def test_a_category_rejected_names_its_annotations_as_its_own(tmp_path: Path) -> None:
    path = _coco(tmp_path, [{"id": 1, "name": None}, {"id": 3, "name": "car"}])
    scenes, report = read_all(path, "coco", masks=False)
    assert [s.image_id for s in scenes] == ["2"]
    (file, scene) = report.entries
    assert (file.level, file.field) == ("file", "categories[0].name")
    assert (scene.record, scene.field) == ("1", "annotations[0] (id 7).category_id")
    assert scene.reason == ("category_id 1 is that of categories[0], rejected (name must be a string, got NoneType "
                            "None): its annotations are rejected with it")  # not 'unknown category_id 1'
    # another entry of the id, read: its annotations have that one's name
    path = _coco(tmp_path, [{"id": 1, "name": None}, {"id": 3, "name": "car"}, {"id": 1, "name": "person"}])
    scenes, report = read_all(path, "coco", masks=False)
    assert [s.names for s in scenes] == [("person",), ("car",)] and [e.level for e in report.entries] == ["file"]


def test_lvis_qualifiers_are_dropped_where_no_other_category_shares_the_name(tmp_path: Path) -> None:
    """Questions said "an orange (fruit)", "two buses (vehicle)", "a jean", and a drinking glass
    without its qualifier read "three glasses"; the two bows keep theirs."""
    path = tmp_path / "lvis_v1_val.json"
    cats = ["orange_(fruit)", "bus_(vehicle)", "bow_(weapon)", "bow_(decorative_ribbons)", "bat_(animal)", "bat", "jean",
            "glass_(drink_container)"]
    path.write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.jpg", "width": 20, "height": 10}],
        "annotations": [{"id": k, "image_id": 1, "category_id": k, "bbox": [1, 1, 4, 4]} for k in range(1, len(cats) + 1)],
        "categories": [{"id": k, "name": name} for k, name in enumerate(cats, 1)]}))
    (scene,), report = read_all(path, "coco", masks=False)
    assert scene.names == ("orange", "bus", "bow (weapon)", "bow (decorative ribbons)", "bat (animal)", "bat", "jeans",
                           "drinking glass")
    assert report.total == 0
