"""`Scene.from_objects` names a bad object row. Before, a misspelt key ("atributes") was left
out, attributes given as one text ("red") became the attributes r, e, d, a row without a box was
KeyError: 'box', and objects=None "'NoneType' object is not iterable"."""

from __future__ import annotations

import pytest

from veriscene.errors import SceneValidationError
from veriscene.scene import Scene, scene_to_dict


def _objects(**row) -> list[dict]:
    return [{"name": "circle", "box": [0, 0, 10, 10]} | row]


@pytest.mark.parametrize(("objects", "field", "said"), [
    (_objects(atributes=["red"]), "objects[0].atributes",
     "unknown field 'atributes' (did you mean 'attributes'?); an object has attributes, box, depth, mask, name"),
    (_objects(attributes="red"), "objects[0].attributes", "attributes must be a list of non-empty strings, got 'red'"),
    (_objects(attributes=None), "objects[0].attributes", "attributes must be a list of non-empty strings, got None"),
    ([{"name": "circle"}], "objects[0].box", "missing required field 'box'"),
    ([{"box": [0, 0, 10, 10]}], "objects[0].name", "missing required field 'name'"),
    (["circle"], "objects[0]", ("object must be a dict {'name', 'box', 'attributes'?, 'depth'?, 'mask'?}, "
                               "got 'circle'")),
])
def test_a_bad_row_is_named(objects: list, field: str, said: str) -> None:
    with pytest.raises(SceneValidationError) as info:
        Scene.from_objects("a", 20, 20, objects)
    assert info.value.field == field and info.value.reason == said


def test_objects_that_are_no_list_are_a_type_error() -> None:
    for objects in (None, {"name": "circle", "box": [0, 0, 10, 10]}, "circle"):
        with pytest.raises(TypeError, match="objects must be a list of object dicts"):
            Scene.from_objects("a", 20, 20, objects)  # type: ignore[arg-type]


def test_good_rows_make_the_same_scene() -> None:
    scene = Scene.from_objects("a", 20, 20, _objects(attributes=("red", "large"), depth=0.5) + [
        {"name": "square", "box": [5, 5, 15, 15], "attributes": {"blue"}, "depth": 0.7}])
    assert scene.attributes == (("large", "red"), ("blue",)) and scene.depth is not None
    with pytest.raises(TypeError, match="scene must be a Scene, got dict"):
        scene_to_dict(scene_to_dict(scene))  # type: ignore[arg-type]
