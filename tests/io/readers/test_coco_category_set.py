"""COCO scenes say that they annotate every instance of the file's categories and nothing else:
``meta["category_set"]``, the id of the category list (how many names, a digest of them), not the
list itself (helper-181)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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
