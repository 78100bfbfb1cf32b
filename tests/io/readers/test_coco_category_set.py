"""COCO scenes say that they annotate every instance of the file's categories and nothing else:
``meta["category_set"]``, the id of the category list (how many names, a digest of them), not the
list itself (helper-181)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from veriscene.category_sets import category_set_id, listed_categories
from veriscene.errors import SceneValidationError
from veriscene.scene.model import Scene

from .reader_helpers import assert_round_trip, read_all, write_json

_CATEGORIES = [{"id": 1, "name": "person"}, {"id": 18, "name": "dog"}, {"id": 62, "name": "chair"}]


def _coco(categories: list[dict], images: list[dict] | None = None) -> dict:
    return {"images": images or [{"id": 1, "file_name": "a.jpg", "width": 40, "height": 30},
                                 {"id": 2, "file_name": "b.jpg", "width": 40, "height": 30}],
            "annotations": [{"id": 5, "image_id": 1, "category_id": 18, "bbox": [1, 1, 10, 10]}],
            "categories": categories}


def test_every_scene_names_the_file_s_category_list(tmp_path: Path) -> None:
    scenes, _ = read_all(write_json(tmp_path / "instances_val.json", _coco(_CATEGORIES)), "coco")
    ids = {s.meta["category_set"] for s in scenes}  # image 2 has no annotation: the same categories
    assert len(scenes) == 2 and len(ids) == 1
    (value,) = ids
    assert re.fullmatch(r"3:[0-9a-f]{16}", value)  # 3 categories, a digest of their names
    assert "exhaustive" not in scenes[0].meta
    assert_round_trip(scenes, tmp_path)

    # another file of the same categories (listed in another order, other ids): the same list
    shuffled = [{"id": 7, "name": "chair"}, {"id": 1, "name": "person"}, {"id": 3, "name": "dog"}]
    data = _coco(shuffled)
    data["annotations"][0]["category_id"] = 3
    other, _ = read_all(write_json(tmp_path / "instances_train.json", data), "coco")
    assert {s.meta["category_set"] for s in other} == {value}
    # another list (one more category): another id
    more, _ = read_all(write_json(tmp_path / "more.json", _coco([*_CATEGORIES, {"id": 90, "name": "toothbrush"}])),
                       "coco")
    assert more[0].meta["category_set"].startswith("4:") and more[0].meta["category_set"] != value


def test_lvis_images_list_their_names_instead(tmp_path: Path) -> None:
    images = [{"id": 1, "file_name": "a.jpg", "width": 40, "height": 30, "neg_category_ids": [62],
               "not_exhaustive_category_ids": []}]
    scenes, _ = read_all(write_json(tmp_path / "lvis_v1_val.json", _coco(_CATEGORIES, images)), "coco")
    assert scenes[0].meta["exhaustive"] == ["chair", "dog"] and "category_set" not in scenes[0].meta


@pytest.mark.parametrize("value", ["", 80, ["person"], True])
def test_a_category_set_that_is_no_id_is_refused(value: object) -> None:
    with pytest.raises(SceneValidationError) as info:
        Scene.from_objects("a", 40, 30, [{"name": "dog", "box": [1, 1, 10, 10]}], meta={"category_set": value})
    assert info.value.field == "meta.category_set" and "non-empty string" in info.value.reason


def test_the_first_scene_of_a_file_carries_the_list(tmp_path: Path) -> None:
    """``meta["categories"]``: the file's category names, sorted, in the first scene read from it
    only (helper-183); its id is the set's (`listed_categories` reads it back)."""
    scenes, _ = read_all(write_json(tmp_path / "instances_val.json", _coco(_CATEGORIES)), "coco")
    assert scenes[0].meta["categories"] == ["chair", "dog", "person"]
    assert all("categories" not in s.meta for s in scenes[1:])
    assert listed_categories(scenes[0].meta) == (scenes[0].meta["category_set"], ("chair", "dog", "person"))
    assert scenes[0].meta["category_set"] == category_set_id(["person", "dog", "chair"])
    assert_round_trip(scenes, tmp_path)


def test_a_rejected_first_image_hands_the_list_on(tmp_path: Path) -> None:
    """The first image refused (a width that is no number): the next scene given carries the list."""
    data = _coco(_CATEGORIES)
    data["images"][0]["width"] = "wide"
    scenes, report = read_all(write_json(tmp_path / "instances_val.json", data), "coco")
    assert report.rejected["scene"] == 1 and [s.image_id for s in scenes] == ["2"]
    assert scenes[0].meta["categories"] == ["chair", "dog", "person"]


def test_lvis_scenes_carry_no_list(tmp_path: Path) -> None:
    images = [{"id": 1, "file_name": "a.jpg", "width": 40, "height": 30, "neg_category_ids": [62],
               "not_exhaustive_category_ids": []}]
    scenes, _ = read_all(write_json(tmp_path / "lvis_v1_val.json", _coco(_CATEGORIES, images)), "coco")
    assert "categories" not in scenes[0].meta


@pytest.mark.parametrize("meta, reason", [
    ({"categories": ["dog"]}, "needs the id of its set"),
    ({"category_set": "1:x", "categories": "dog"}, "must be a list of non-empty names"),
    ({"category_set": "1:x", "categories": ["dog", ""]}, "must be a list of non-empty names"),
    ({"category_set": category_set_id(["dog"]), "categories": ["dog", "cat"]}, "2 names that are not the list"),
    ({"category_set": category_set_id(["dog"]), "categories": ["dog", "dog"]}, "2 names that are not the list"),
])
def test_a_list_that_is_not_its_set_s_is_refused(meta: dict, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        listed_categories(meta)
    assert listed_categories({"category_set": "1:x"}) is None
