"""Ops on coordinates and masks: point, region, object_in_region, relative_position,
object_at_point, point_on, closer_point, filter_overlap, filter_depth, frequent_name,
describe_object."""

import numpy as np
import pytest

from tests.conftest import make_scene
from veriscene.errors import ExecutionFailure
from veriscene.program import ExecutionContext, ProgramBuilder, execute
from veriscene.scene.masks import encode_mask


@pytest.fixture
def masked():
    """Square [10, 10, 40, 40) behind a circle [30, 30, 60, 60) (depth 0.2 < 0.7); star apart."""
    sq = np.zeros((100, 200), dtype=bool)
    sq[10:40, 10:40] = True
    ci = np.zeros_like(sq)
    ci[30:60, 30:60] = True
    sq &= ~ci
    st = np.zeros_like(sq)
    st[10:20, 150:160] = True
    return make_scene([
        {"name": "square", "box": [10, 10, 40, 40], "attributes": ["red"], "depth": 0.7, "mask": encode_mask(sq)},
        {"name": "circle", "box": [30, 30, 60, 60], "attributes": ["blue", "large"], "depth": 0.2, "mask": encode_mask(ci)},
        {"name": "star", "box": [150, 10, 160, 20], "attributes": ["red"], "depth": 0.5, "mask": encode_mask(st)},
    ])


def run(scene, build):
    b = ProgramBuilder()
    build(b)
    return execute(b.program, scene)


def at(b, x, y):
    return b.add("object_at_point", b.add("scene", args=[0]), b.add("point", args=[x, y]))


def test_object_at_point_uses_visible_masks(masked) -> None:
    assert run(masked, lambda b: b.add("query_name", at(b, 15.5, 15.5))) == "square"
    assert run(masked, lambda b: b.add("query_name", at(b, 35.0, 35.0))) == "circle"  # hidden part of the square
    with pytest.raises(ExecutionFailure, match="background"):
        run(masked, lambda b: b.add("query_name", at(b, 100.0, 80.0)))
    with pytest.raises(ExecutionFailure, match="outside"):
        run(masked, lambda b: b.add("query_name", at(b, 200.0, 5.0)))


def test_point_on_and_closer_point(masked) -> None:
    def pick(side):
        def build(b):
            obj = at(b, 12.0, 12.0)
            b.add("point_on", obj, b.add("point", args=[55.0, 55.0]), b.add("point", args=[20.0, 20.0]), args=[side])
        return build

    assert run(masked, pick("same")) == [20.0, 20.0]
    assert run(masked, pick("different")) == [55.0, 55.0]
    closer = lambda which: lambda b: b.add("closer_point", b.add("point", args=[12.0, 12.0]),
                                           b.add("point", args=[50.0, 50.0]), args=[which])
    assert run(masked, closer("closer")) == [50.0, 50.0]  # the circle: depth 0.2 < 0.7
    assert run(masked, closer("farther")) == [12.0, 12.0]


def test_mask_lookups_are_built_once_per_scene_index(masked) -> None:
    from veriscene.program.ops_masks import BACKGROUND, CONTESTED, object_index_at, scene_masks

    ctx = ExecutionContext(masked)
    assert scene_masks(ctx, 0) is scene_masks(ctx, 0)
    assert object_index_at(ctx, 0, (35.0, 35.0)) == 1 and object_index_at(ctx, 0, (0.0, 0.0)) == BACKGROUND
    overlapping = make_scene([dict(o, mask=encode_mask(np.ones((100, 200), dtype=bool))) for o in
                              ({"name": "square", "box": [0, 0, 200, 100]}, {"name": "circle", "box": [0, 0, 200, 100]})])
    assert object_index_at(ExecutionContext(overlapping), 0, (5.0, 5.0)) == CONTESTED


def test_region_and_relative_position(street) -> None:
    def in_region(box):
        return lambda b: b.add("query_name", b.add("object_in_region", b.add("scene", args=[0]),
                                                   b.add("region", args=box)))

    assert run(street, in_region([12.0, 8.0, 50.0, 52.0])) == "circle"
    with pytest.raises(ExecutionFailure, match="0 objects"):
        run(street, in_region([0.0, 60.0, 30.0, 90.0]))
    with pytest.raises(ExecutionFailure, match="ordered box"):
        run(street, in_region([50.0, 8.0, 12.0, 52.0]))

    def pos(a, o, axis):
        def build(b):
            s = b.add("scene", args=[0])
            na = b.add("unique", b.add("filter_name", s, args=[a]))
            no = b.add("unique", b.add("filter_name", s, args=[o]))
            b.add("relative_position", na, no, args=[axis])
        return build

    assert run(street, pos("square", "triangle", "horizontal")) == "left"
    assert run(street, pos("triangle", "square", "horizontal")) == "right"
    with pytest.raises(ExecutionFailure, match="overlap"):
        run(street, pos("square", "triangle", "vertical"))


def test_depth_overlap_frequency_describe(masked, street) -> None:
    def around(side):
        def build(b):
            s = b.add("scene", args=[0])
            anchor = b.add("unique", b.add("filter_name", s, args=["square"]))
            b.add("count", b.add("filter_depth", b.add("filter_overlap", s, anchor), anchor, args=[side]))
        return build

    assert run(masked, around("closer")) == 1 and run(masked, around("farther")) == 0
    most = lambda which: lambda b: b.add("frequent_name", b.add("scene", args=[0]), args=[which])
    assert run(street, most("most")) == "circle"
    with pytest.raises(ExecutionFailure, match="tie"):
        run(street, most("least"))  # square and triangle: one each
    assert run(masked, lambda b: b.add("describe_object", at(b, 50.0, 50.0))) == "a large blue circle"
