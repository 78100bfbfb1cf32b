import warnings

import numpy as np
import pytest

from veriscene.errors import SceneValidationError
from veriscene.scene import Scene
from tests.conftest import make_scene


def test_columns_are_typed_and_attributes_sorted(street: Scene) -> None:
    assert street.boxes.dtype == np.float32 and street.boxes.shape == (4, 4)
    assert street.attributes[0] == ("large", "red", "shiny")
    assert street.depth is not None and street.depth.dtype == np.float32
    assert len(street) == 4
    assert street.object(2).name == "square"
    assert street.object(2).box == (60.0, 20.0, 100.0, 55.0)


def test_empty_scene_is_valid() -> None:
    scene = make_scene([])
    assert len(scene) == 0 and scene.boxes.shape == (0, 4)


@pytest.mark.parametrize(
    ("objects", "relations", "field", "message"),
    [
        ([{"name": "a", "box": [10, 10, 5, 20]}], (), "objects[0].box", "x0 < x1"),
        ([{"name": "a", "box": [10, 10, 20, 10]}], (), "objects[0].box", "y0 < y1"),
        ([{"name": "a", "box": [150, 10, 250, 20]}], (), "objects[0].box", "outside"),
        ([{"name": "a", "box": [-5, 10, 20, 20]}], (), "objects[0].box", "outside"),
        ([{"name": "a", "box": [0, 0, float("nan"), 20]}], (), "objects[0].box", "non-finite"),
        ([{"name": "", "box": [0, 0, 5, 5]}], (), "objects[0].name", "non-empty"),
        ([{"name": "a", "box": [0, 0, 5, 5]}], [(0, "on", 3)], "relations[0].object", "out of range"),
        ([{"name": "a", "box": [0, 0, 5, 5]}], [(-1, "on", 0)], "relations[0].subject", "out of range"),
        ([{"name": "a", "box": [0, 0, 5, 5]}, {"name": "b", "box": [0, 0, 5, 5]}], [(0, "", 1)],
         "relations[0].predicate", "non-empty"),
        ([{"name": "a", "box": [0, 0, 5, 5]}], [(0, "on", 0)], "relations[0]", "itself"),
        ([{"name": "a", "box": [0, 0, 5, 5], "depth": float("inf")}], (), "objects[0].depth", "finite"),
        ([{"name": "a", "box": [0, 0, 5, 5]}, {"name": "b", "box": [0, 0, float("inf"), 5]}], (), "objects[1].box",
         "non-finite"),
        ([{"name": "a", "box": [0, 0, 5, 5]}, {"name": "b", "box": [0, 0, 5, 5]}], [(True, "on", 1)],
         "relations[0].subject", "out of range"),
        ([{"name": "a", "box": [0, 0, 5, 5]}, {"name": "b", "box": [0, 0, 5, 5]}], [(0, "on", 1), (0, 7, 1)],
         "relations[1].predicate", "non-empty"),
        ([{"name": "a", "box": [0, 0, 5, 5]}, {"name": "b", "box": [0, 0, 5, 5]}], [(0, "on", 1), (0, "on")],
         "relations[1]", "[subject, predicate, object]"),
    ],
)
def test_validation_names_field_and_value(objects, relations, field, message) -> None:
    with pytest.raises(SceneValidationError) as info:
        make_scene(objects, relations, width=100, height=100)
    assert info.value.field == field
    assert message in str(info.value)


def test_a_box_written_as_xywh_is_said_so() -> None:
    """A scene file of COCO's [x, y, width, height] boxes was refused 'box [100.0, 50.0, 30.0, 40.0] is
    not xyxy with x0 < x1 and y0 < y1', the order meant unsaid."""
    with pytest.raises(SceneValidationError) as info:
        make_scene([{"name": "a", "box": [100, 50, 30, 40]}], width=640, height=480)
    assert info.value.reason == ("box [100.0, 50.0, 30.0, 40.0] is not xyxy with x0 < x1 and y0 < y1 (boxes are "
                                 "[x0, y0, x1, y1] in pixels; read as COCO's [x, y, width, height] it would be "
                                 "[100.0, 50.0, 130.0, 90.0])")
    with pytest.raises(SceneValidationError) as info:  # no [x, y, w, h] reading fits the image: no hint
        make_scene([{"name": "a", "box": [90, 50, 30, 40]}], width=100, height=100)
    assert info.value.reason == "box [90.0, 50.0, 30.0, 40.0] is not xyxy with x0 < x1 and y0 < y1"


def test_relations_of_numpy_indices_and_boxes_within_the_slack_are_valid() -> None:
    class Predicate(str):
        pass

    objects = [{"name": "a", "box": [-0.0005, 0, 5, 5]}, {"name": "b", "box": [0, 0, 100.0005, 100]}]
    scene = make_scene(objects, [(np.int64(0), "on", 1), (1, Predicate("near"), np.int32(0)), [0, "by", 1]],
                       width=100, height=100)
    assert scene.relations == ((0, "on", 1), (1, "near", 0), (0, "by", 1))
    assert all(type(s) is int and type(o) is int for s, _, o in scene.relations)


@pytest.mark.parametrize("count", [1, 40])  # boxes checked in Python, and by numpy
def test_boxes_reach_the_slack_rounded_to_float32(count: int) -> None:
    """A box edge may lie on width + 0.001 as float32 (1.0010000467 for width 1), not past it."""
    edge = np.float32(1 + 1e-3)
    boxes = np.zeros((count, 4), dtype=np.float32) + [0, 0, 1, 1]
    boxes[-1] = [np.float32(-1e-3), 0, edge, 1]
    assert len(Scene("x", 1, 1, boxes, ("a",) * count, ((),) * count)) == count
    boxes[-1, 2] = np.nextafter(edge, np.float32(2))
    with pytest.raises(SceneValidationError, match="outside") as info:
        Scene("x", 1, 1, boxes, ("a",) * count, ((),) * count)
    assert info.value.field == f"objects[{count - 1}].box"


def test_attribute_list_length_mismatch() -> None:
    with pytest.raises(SceneValidationError, match="attributes has 1 entries but there are 2 objects"):
        Scene("x", 10, 10, np.zeros((2, 4)) + [0, 0, 1, 1], ("a", "b"), (("red",),))


def test_mask_size_must_match_image() -> None:
    from veriscene.scene import encode_mask

    mask = encode_mask(np.ones((5, 5), dtype=bool))
    with pytest.raises(SceneValidationError, match="does not match image"):
        make_scene([{"name": "a", "box": [0, 0, 5, 5], "mask": mask}], width=10, height=10)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", True])
def test_width_must_be_positive_int(bad) -> None:
    with pytest.raises(SceneValidationError, match="width"):
        Scene("x", bad, 10, np.zeros((0, 4)), (), ())


@pytest.mark.parametrize(("boxes", "depth", "field", "message"), [
    (np.array([[0, 0, 1e300, 1e300]]), None, "objects[0].box", "box has non-finite values [0.0, 0.0, inf, inf]"),
    ([[0, 0, 5, 5], [-1e39, 0, 5, 5]], None, "objects[1].box", "box has non-finite values [-inf, 0.0, 5.0, 5.0]"),
    (np.array([[0, 0, 5, 5]]), np.array([1e300]), "objects[0].depth", "depth must be finite"),
])
def test_values_past_float32_are_refused_without_a_warning(boxes, depth, field, message) -> None:
    """float64 values past float32's range become inf in the cast: numpy warned before the reject."""
    n = len(boxes)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(SceneValidationError) as info:
            Scene("x", 10, 10, boxes, ("a",) * n, ((),) * n, depth=depth)
        assert info.value.field == field and message in str(info.value)
        with pytest.raises(SceneValidationError) as info:
            make_scene([{"name": "a", "box": list(box), **({} if depth is None else {"depth": depth[k]})}
                        for k, box in enumerate(boxes)], width=10, height=10)
        assert info.value.field == field and message in str(info.value)


@pytest.mark.parametrize("line, hinted", [
    (b'{"image_id": 18446744073709551616, "width": 5, "height": 5, "objects": []}', True),  # 2**64: a float
    (b'{"image_id": -9223372036854775809, "width": 5, "height": 5, "objects": []}', True),
    (b'{"image_id": 1.5, "width": 5, "height": 5, "objects": []}', False),
    (b'{"image_id": 3.0, "width": 5, "height": 5, "objects": []}', False),
])
def test_an_id_past_64_bits_is_refused_with_why_it_is_a_float(line: bytes, hinted: bool) -> None:
    """orjson reads an integer past 64 bits as a float, whose digits are lost: the refusal says
    so, and how to write the id; a float written as one gets no such hint."""
    import orjson

    from veriscene.scene import scene_from_dict

    with pytest.raises(SceneValidationError, match="image_id must be a non-empty string") as refused:
        scene_from_dict(orjson.loads(line))
    assert refused.value.field == "image_id"
    assert ("more than 64 bits" in str(refused.value)) == hinted


def test_names_given_as_one_text_are_refused_not_read_letter_by_letter() -> None:
    # before: names="cat" with three boxes made the objects "c", "a" and "t"
    boxes = np.array([[0, 0, 1, 1], [1, 1, 2, 2], [2, 2, 3, 3]], np.float32)
    with pytest.raises(SceneValidationError) as info:
        Scene(image_id="a", width=10, height=10, boxes=boxes, names="cat", attributes=None)  # type: ignore[arg-type]
    assert str(info.value) == "field 'names': names must be a list of object names, one per box, got the text 'cat'"
