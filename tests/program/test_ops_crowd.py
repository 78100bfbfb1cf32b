"""Crowd regions (``meta["crowd"]``, COCO's iscrowd): the ops whose answer they leave unknown
fail, the others are unchanged."""

import numpy as np
import pytest

from tests.conftest import make_scene
from veriscene.errors import ExecutionFailure, SceneValidationError
from veriscene.program import ExecutionContext, ProgramBuilder, execute
from veriscene.program.ops_multi import describe_images
from veriscene.scene.caption import scene_caption
from veriscene.scene.describe import refer, referents
from veriscene.scene.masks import encode_mask


def _mask(x0: int, y0: int, x1: int, y1: int) -> dict:
    m = np.zeros((100, 200), dtype=bool)
    m[y0:y1, x0:x1] = True
    return encode_mask(m)


def _objects() -> list[dict]:
    """Two people, a crowd of people (index 2), a dog and a ball."""
    return [
        {"name": "person", "box": [10, 10, 30, 60], "mask": _mask(10, 10, 30, 60)},
        {"name": "person", "box": [40, 10, 60, 60], "mask": _mask(40, 10, 60, 60)},
        {"name": "person", "box": [100, 5, 190, 40], "mask": _mask(100, 5, 190, 40)},
        {"name": "dog", "box": [70, 60, 90, 90], "mask": _mask(70, 60, 90, 90)},
        {"name": "ball", "box": [150, 80, 160, 90], "mask": _mask(150, 80, 160, 90)},
    ]


@pytest.fixture
def crowded():
    return make_scene(_objects(), meta={"crowd": [2]})


@pytest.fixture
def plain():
    return make_scene(_objects())


def run(scene, build):
    b = ProgramBuilder()
    build(b)
    return execute(b.program, scene)


def named(b, name=None):
    n = b.add("scene", args=[0])
    return b.add("filter_name", n, args=[name]) if name else n


def at(b, x, y):
    return b.add("object_at_point", b.add("scene", args=[0]), b.add("point", args=[x, y]))


def test_count_fails_on_a_set_holding_a_crowd_region(crowded, plain) -> None:
    assert run(plain, lambda b: b.add("count", named(b, "person"))) == 3
    with pytest.raises(ExecutionFailure, match="the count is unknown: object 2 is a crowd region"):
        run(crowded, lambda b: b.add("count", named(b, "person")))
    with pytest.raises(ExecutionFailure, match="crowd region"):
        run(crowded, lambda b: b.add("count", named(b)))
    # sets without it are counted as before, and a crowd region shows that there are people
    assert run(crowded, lambda b: b.add("count", named(b, "dog"))) == 1
    assert run(crowded, lambda b: b.add("exists", named(b, "person"))) is True
    assert run(crowded, lambda b: b.add("names_in", named(b))) == ["ball", "dog", "person"]


def test_unique_fails_for_a_name_with_a_crowd_region() -> None:
    scene = make_scene([
        {"name": "person", "box": [10, 10, 30, 60]},
        {"name": "person", "box": [100, 5, 190, 40]},
        {"name": "dog", "box": [70, 60, 90, 90]},
    ], meta={"crowd": [1]})
    with pytest.raises(ExecutionFailure, match="found 2"):
        run(scene, lambda b: b.add("query_box", b.add("unique", named(b, "person"))))
    # one person and a crowd of them: "the person" has no single referent
    only = make_scene([{"name": "person", "box": [10, 10, 30, 60]}, {"name": "dog", "box": [70, 60, 90, 90]},
                       {"name": "person", "box": [100, 5, 190, 40]}], meta={"crowd": [2]})
    b = ProgramBuilder()
    b.add("query_box", b.add("unique", b.add("difference", named(b, "person"),
                                             b.add("as_set", b.add("extreme", named(b, "person"), args=["leftmost"])))))
    with pytest.raises(ExecutionFailure, match="crowd region"):
        execute(b.program, only)
    crowd_only = make_scene([{"name": "person", "box": [100, 5, 190, 40]}, {"name": "dog", "box": [70, 60, 90, 90]}],
                            meta={"crowd": [0]})
    with pytest.raises(ExecutionFailure, match="no single 'person': the image has a crowd region of them"):
        run(crowd_only, lambda b: b.add("query_box", b.add("unique", named(b, "person"))))
    assert run(crowd_only, lambda b: b.add("query_name", b.add("unique", named(b, "dog")))) == "dog"


@pytest.mark.parametrize("which", ["leftmost", "largest", "smallest", "topmost"])
def test_extremes_of_a_set_holding_a_crowd_region_fail(crowded, plain, which) -> None:
    run(plain, lambda b: b.add("query_name", b.add("extreme", named(b), args=[which])))
    with pytest.raises(ExecutionFailure, match=f"the {which} object is unknown"):
        run(crowded, lambda b: b.add("query_name", b.add("extreme", named(b), args=[which])))
    without = lambda b: b.add("union", named(b, "dog"), named(b, "ball"))  # noqa: E731
    assert run(crowded, lambda b: b.add("query_name", b.add("extreme", without(b), args=["largest"]))) == "dog"


def test_frequent_name_and_count_comparisons_fail(crowded, plain) -> None:
    assert run(plain, lambda b: b.add("frequent_name", named(b), args=["most"])) == "person"
    with pytest.raises(ExecutionFailure, match="how often each name occurs is unknown"):
        run(crowded, lambda b: b.add("frequent_name", named(b), args=["most"]))
    with pytest.raises(ExecutionFailure, match="the count is unknown"):
        run(crowded, lambda b: b.add("compare_int", b.add("count", named(b, "person")),
                                     b.add("count", named(b, "dog")), args=["greater"]))


def test_points_on_a_crowd_region(crowded, plain) -> None:
    # its name is known: every pixel of it is a person
    assert run(crowded, lambda b: b.add("query_name", at(b, 120, 20))) == "person"
    # which points share its instance is not, nor its box as one object's
    same = lambda b: b.add("point_on", at(b, 120, 20), b.add("point", args=[180, 30]),  # noqa: E731
                           b.add("point", args=[20, 20]), args=["same"])
    assert run(plain, same) == [180.0, 30.0]
    with pytest.raises(ExecutionFailure, match="which points lie on one object is unknown"):
        run(crowded, same)
    with pytest.raises(ExecutionFailure, match="the box of one object is unknown"):
        run(crowded, lambda b: b.add("query_box", at(b, 120, 20)))
    with pytest.raises(ExecutionFailure, match="crowd region"):
        run(crowded, lambda b: b.add("same_object", at(b, 120, 20), at(b, 180, 30)))
    with pytest.raises(ExecutionFailure, match="the description of one object is unknown"):
        run(crowded, lambda b: b.add("describe_object", at(b, 120, 20)))
    # an individual's points are judged as before
    other = lambda b: b.add("point_on", at(b, 20, 20), b.add("point", args=[120, 20]),  # noqa: E731
                            b.add("point", args=[25, 50]), args=["different"])
    assert run(crowded, other) == run(plain, other) == [120.0, 20.0]


def test_regions_met_by_a_crowd_region(crowded, plain) -> None:
    region = lambda box: lambda b: b.add("query_name", b.add(  # noqa: E731
        "object_in_region", named(b), b.add("region", args=box)))
    assert run(plain, region([100, 5, 190, 40])) == "person"
    with pytest.raises(ExecutionFailure, match="a crowd region .object 2. meets the region"):
        run(crowded, region([100, 5, 190, 40]))
    # a kite in front of the crowd: a person of the crowd may fill the region as well
    kite = make_scene([*_objects(), {"name": "kite", "box": [150, 10, 160, 20], "mask": _mask(150, 10, 160, 20)}], meta={"crowd": [2]})
    with pytest.raises(ExecutionFailure, match="meets the region"):
        run(kite, region([150, 10, 160, 20]))
    assert run(crowded, region([70, 60, 90, 90])) == "dog"


def test_relative_position_of_a_crowd_region_fails(crowded) -> None:
    b = ProgramBuilder()
    b.add("relative_position", at(b, 120, 20), b.add("unique", named(b, "dog")), args=["horizontal"])
    with pytest.raises(ExecutionFailure, match="the position of one object is unknown"):
        execute(b.program, crowded)


def test_captions_say_many(crowded, plain) -> None:
    assert scene_caption(plain).startswith("The image shows five objects: three people,")
    caption = scene_caption(crowded)
    assert caption.startswith("The image shows many people, a dog and a ball")
    assert "5 objects" not in caption
    assert run(crowded, lambda b: b.add("describe_scene", args=[0])) == caption
    other = make_scene([{"name": "person", "box": [0, 0, 10, 10]}, {"name": "person", "box": [20, 0, 30, 10]},
                        {"name": "dog", "box": [40, 0, 50, 10]}], image_id="s1")
    text = describe_images(ExecutionContext([crowded, other]))
    assert "Both images contain people: many in Image 1 and two in Image 2." in text
    assert "Both images contain exactly one dog." in text
    assert describe_images(ExecutionContext([crowded, crowded])).count("Both images contain many people.") == 1
    assert "Only Image 1 contains many people." in describe_images(
        ExecutionContext([crowded, make_scene([{"name": "dog", "box": [0, 0, 5, 5]}], image_id="s2")]))


def test_no_referring_expression_for_a_crowd_name(crowded) -> None:
    index = ExecutionContext(crowded).index(0)
    refs = referents(index, allow_relations=False)
    assert sorted(refs) == [3, 4]  # the dog and the ball; no "the person"
    assert refer(index, 2) is None and refer(index, 0) is None
    # a crowd region alone is not "the person" either
    alone = make_scene([{"name": "person", "box": [100, 5, 190, 40]}, {"name": "dog", "box": [70, 60, 90, 90]}],
                       meta={"crowd": [0]})
    assert sorted(referents(ExecutionContext(alone).index(0))) == [1]


def test_crowd_indices_are_validated() -> None:
    objects = [{"name": "person", "box": [10, 10, 30, 60]}, {"name": "dog", "box": [70, 60, 90, 90]}]
    for crowd, field in (([2], "meta.crowd[0]"), ([0, 0], "meta.crowd[1]"), ([True], "meta.crowd[0]"),
                         ("0", "meta.crowd"), ([1.0], "meta.crowd[0]")):
        with pytest.raises(SceneValidationError) as info:
            make_scene(objects, meta={"crowd": crowd})
        assert info.value.field == field
    assert make_scene(objects, meta={"crowd": []}).meta["crowd"] == []
