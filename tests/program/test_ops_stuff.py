"""Stuff regions (``meta["stuff"]``, COCO panoptic's ``isthing: 0``: sky, grass, a merged region of
trees): programs treat them as crowd regions, and texts name them without a number."""

import pytest

from tests.conftest import make_scene
from tests.program.test_ops_crowd import _mask, at, named, run
from veriscene.errors import ExecutionFailure, SceneValidationError
from veriscene.program import ExecutionContext
from veriscene.program.ops_multi import describe_images
from veriscene.scene.caption import scene_caption
from veriscene.scene.describe import refer, referents


def _objects() -> list[dict]:
    """Sky (0), a merged region of trees (1), a tree (2), two dogs (3, 4)."""
    return [
        {"name": "sky", "box": [0, 0, 200, 30], "mask": _mask(0, 0, 200, 30)},
        {"name": "tree", "box": [100, 30, 200, 70], "mask": _mask(100, 30, 200, 70)},
        {"name": "tree", "box": [10, 30, 30, 70], "mask": _mask(10, 30, 30, 70)},
        {"name": "dog", "box": [40, 70, 60, 90], "mask": _mask(40, 70, 60, 90)},
        {"name": "dog", "box": [70, 70, 95, 95], "mask": _mask(70, 70, 95, 95)},
    ]


@pytest.fixture
def stuffed():
    return make_scene(_objects(), meta={"stuff": [0, 1]})


@pytest.fixture
def plain():
    return make_scene(_objects())


def test_counts_and_extremes_fail_on_a_set_holding_a_stuff_region(stuffed, plain) -> None:
    assert run(plain, lambda b: b.add("count", named(b, "tree"))) == 2
    with pytest.raises(ExecutionFailure, match=r"the count is unknown: object 1 is a stuff region \(an area of 'tree'"):
        run(stuffed, lambda b: b.add("count", named(b, "tree")))
    with pytest.raises(ExecutionFailure, match="the largest object is unknown: object 0 is a stuff region"):
        run(stuffed, lambda b: b.add("query_name", b.add("extreme", named(b), args=["largest"])))
    with pytest.raises(ExecutionFailure, match="how often each name occurs is unknown"):
        run(stuffed, lambda b: b.add("frequent_name", named(b), args=["most"]))
    # sets of things are counted and compared as before; a stuff region shows that there is sky
    assert run(stuffed, lambda b: b.add("count", named(b, "dog"))) == 2
    assert run(stuffed, lambda b: b.add("query_name", b.add("extreme", named(b, "dog"), args=["largest"]))) == "dog"
    assert run(stuffed, lambda b: b.add("exists", named(b, "sky"))) is True
    assert run(stuffed, lambda b: b.add("query_name", at(b, 50, 10))) == "sky"


def test_a_stuff_region_is_never_one_object(stuffed, plain) -> None:
    assert run(plain, lambda b: b.add("query_box", b.add("unique", named(b, "sky")))) == [0.0, 0.0, 200.0, 30.0]
    with pytest.raises(ExecutionFailure, match="no single 'sky': the image has a stuff region of them"):
        run(stuffed, lambda b: b.add("query_box", b.add("unique", named(b, "sky"))))
    with pytest.raises(ExecutionFailure, match="the box of one object is unknown: object 0 is a stuff region"):
        run(stuffed, lambda b: b.add("query_box", at(b, 50, 10)))
    with pytest.raises(ExecutionFailure, match="which points lie on one object is unknown"):
        run(stuffed, lambda b: b.add("point_on", at(b, 150, 50), b.add("point", args=[190, 60]),
                                     b.add("point", args=[50, 80]), args=["same"]))
    index = ExecutionContext(stuffed).index(0)
    assert sorted(referents(index, allow_relations=False)) == [] and refer(index, 0) is None
    assert index.regions == {0, 1} and index.stuff == {0, 1} and not index.crowd


def test_stuff_regions_do_not_hide_what_fills_a_box(stuffed) -> None:
    # unlike a crowd, an area of sky or trees behind a dog holds no other dog of the same size
    region = lambda b: b.add("query_name", b.add(  # noqa: E731
        "object_in_region", named(b), b.add("region", args=[40, 70, 60, 90])))
    assert run(stuffed, region) == "dog"


def test_captions_name_stuff_without_a_number(stuffed, plain) -> None:
    assert scene_caption(plain).startswith("The image shows five objects:")
    caption = scene_caption(stuffed)
    # left to right by centre: the trees (a region of them and one tree), the dogs, the sky
    assert caption == "The image shows trees, two dogs and sky."
    assert run(stuffed, lambda b: b.add("describe_scene", args=[0])) == caption
    dogs = make_scene([{"name": "dog", "box": [0, 0, 10, 10]}, {"name": "tree", "box": [20, 0, 30, 10]}], image_id="s1")
    text = describe_images(ExecutionContext([stuffed, dogs]))
    assert "Only Image 1 contains sky." in text
    assert "Both images contain trees: some in Image 1 and one in Image 2." in text
    assert "Both images contain dogs: two in Image 1 and one in Image 2." in text
    both = describe_images(ExecutionContext([stuffed, stuffed]))
    assert "Both images contain sky." in both and "Both images contain trees." in both
    third = make_scene([{"name": "sky", "box": [0, 0, 10, 10]}, {"name": "sky", "box": [20, 0, 30, 10]}],
                       image_id="s3")
    assert "Sky appears in Image 1 and Image 3 (some in Image 1 and two in Image 3)." in describe_images(
        ExecutionContext([stuffed, dogs, third]))


def test_crowd_and_stuff_together() -> None:
    scene = make_scene([{"name": "person", "box": [0, 0, 50, 50]}, {"name": "grass", "box": [0, 50, 200, 100]},
                        {"name": "dog", "box": [60, 60, 80, 80]}], meta={"crowd": [0], "stuff": [1]})
    assert scene_caption(scene) == "The image shows many people, a dog and grass."
    with pytest.raises(ExecutionFailure, match="crowd region"):
        run(scene, lambda b: b.add("count", named(b)))
    assert run(scene, lambda b: b.add("query_name", b.add("unique", named(b, "dog")))) == "dog"


def test_stuff_indices_are_validated() -> None:
    objects = [{"name": "sky", "box": [10, 10, 30, 60]}, {"name": "dog", "box": [70, 60, 90, 90]}]
    for stuff, field in (([2], "meta.stuff[0]"), ([0, 0], "meta.stuff[1]"), ([True], "meta.stuff[0]"),
                         ("0", "meta.stuff"), ([-1], "meta.stuff[0]")):
        with pytest.raises(SceneValidationError) as info:
            make_scene(objects, meta={"stuff": stuff})
        assert info.value.field == field
    assert make_scene(objects, meta={"stuff": []}).meta["stuff"] == []
