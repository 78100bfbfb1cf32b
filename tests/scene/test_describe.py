"""Referring expressions: one object alone in one image, and one description shared by two."""

from __future__ import annotations

from typing import Any

import pytest

from veriscene.program import ExecutionContext, SceneIndex
from veriscene.program.executor import run_nodes
from veriscene.scene import Scene
from veriscene.scene.caption import scene_caption
from veriscene.scene.describe import refer, refer_by_attributes, shared_description
from tests.conftest import make_scene


def _scene(image_id: str, *objects: tuple[str, tuple[str, ...]]) -> SceneIndex:
    rows: list[dict[str, Any]] = [
        {"name": name, "box": [10 * i, 0, 10 * i + 5, 5], "attributes": list(attrs)}
        for i, (name, attrs) in enumerate(objects)
    ]
    return SceneIndex(Scene.from_objects(image_id, 100, 100, rows))


A = _scene("a", ("car", ("red", "large", "wooden")), ("car", ("blue", "large", "metal")), ("tree", ("green",)))
B = _scene("b", ("car", ("red", "small", "wooden")), ("car", ("red", "large", "metal")), ("tree", ()))


def test_unique_names_need_no_description() -> None:
    assert shared_description(A, 2, B, 2) == ()


def test_fewest_shared_attributes_that_pick_each_alone() -> None:
    # A's red car: "red" picks it alone in A, but B has two red cars; "wooden" does both
    assert shared_description(A, 0, B, 0) == ("wooden",)
    # A's red car and B's large metal car share red and large; neither alone picks both
    assert shared_description(A, 0, B, 1) == ("large", "red")
    assert shared_description(A, 0, B, 1, max_attributes=1) is None


def test_excluded_types_are_never_used() -> None:
    assert shared_description(A, 0, B, 0, exclude_types=("material",)) is None
    assert shared_description(A, 1, B, 1, exclude_types=("material",)) is None
    assert shared_description(A, 1, B, 1) == ("metal",)


def test_description_selects_in_both_images() -> None:
    # the program the multi-image generators build from it finds exactly the two objects
    for i, k in [(0, 0), (0, 1), (1, 1)]:
        description = shared_description(A, i, B, k)
        assert description is not None
        for image, (index, wanted) in enumerate([(A, i), (B, k)]):
            nodes: list[dict[str, Any]] = [{"op": "scene", "inputs": [], "args": [image]},
                                           {"op": "filter_name", "inputs": [0], "args": ["car"]}]
            for a in description:
                nodes.append({"op": "filter_attribute", "inputs": [len(nodes) - 1], "args": [a]})
            nodes.append({"op": "unique", "inputs": [len(nodes) - 1], "args": []})
            found = run_nodes(nodes, ExecutionContext([A.scene, B.scene]))[-1]
            assert (found.image, found.index) == (image, wanted)


def test_single_image_description_is_shortest() -> None:
    ref = refer_by_attributes(A, 0)
    assert ref is not None and ref.phrase in ("red car", "wooden car")
    assert refer_by_attributes(A, 2) is not None and refer_by_attributes(A, 2).phrase == "tree"  # type: ignore[union-attr]


def _related(objects: list[str], relations: list[tuple[int, str, int]], **meta: Any) -> SceneIndex:
    rows = [{"name": name, "box": [12 * i, 0, 12 * i + 10, 10], "attributes": []} for i, name in enumerate(objects)]
    return SceneIndex(Scene.from_objects("r", 200, 100, rows, relations, meta=meta or None))


@pytest.mark.parametrize(("predicate", "phrase"), [
    ("holding", "the man holding the cup"), ("holds", "the man holding the cup"),
    ("has", "the man with the cup"), ("wears", "the man wearing the cup"),
    ("part of", "the man that is part of the cup"), ("left of", "the man to the left of the cup"),
    ("are on", "the man on the cup"),
])
def test_relation_referents_phrase_the_predicate_as_a_noun_modifier(predicate: str, phrase: str) -> None:
    """"the man holds the cup" is a sentence, not a noun phrase (it was "Give the bounding box of
    the woman wears the tall man", "Which color does the bag has the shorts have?")."""
    # the second man is right of the cup: "the man to the left of the cup" reads as one of them
    index = _related(["man", "cup", "man"], [(0, predicate, 1)])
    found = refer(index, 0)
    assert found is not None and found.the == phrase
    assert run_nodes([*found.nodes, {"op": "unique", "inputs": [len(found.nodes) - 1], "args": []}],
                     ExecutionContext(index.scene))[-1].index == 0


def test_captions_call_a_crowd_a_group() -> None:
    """A crowd box ("people", read as a crowd of person) is listed as "many people" and, in a
    relation, "a group of people": never "a person" (one of them) or "a people"."""
    index = _related(["person", "bench", "dog"], [(0, "on", 1), (2, "near", 0)], crowd=[0])
    caption = scene_caption(index.scene, index=index)
    assert caption == ("The image shows many people, a bench and a dog. A group of people is on the bench. "
                       "The dog is near a group of people.")


def test_caption_verbs_agree_with_names_plural_in_form() -> None:
    index = _related(["jeans", "chair", "glasses", "cup"], [(0, "on", 1), (2, "has", 3)])
    caption = scene_caption(index.scene, index=index)
    assert "The jeans are on the chair." in caption and "The glasses have the cup." in caption
    # one of several told apart by place: "the left jeans are"
    index = _related(["jeans", "jeans", "chair"], [(0, "on", 2)])
    assert "The left jeans are on the chair." in scene_caption(index.scene, index=index)
    # one of several that cannot be told apart (one box over the other) is singular: "a pair of jeans is"
    rows = [{"name": "jeans", "box": [0, 0, 40, 40]}, {"name": "jeans", "box": [5, 5, 45, 45]},
            {"name": "chair", "box": [100, 0, 140, 40]}]
    index = SceneIndex(Scene.from_objects("j", 200, 100, rows, [(0, "on", 2)]))
    assert "A pair of jeans is on the chair." in scene_caption(index.scene, index=index)


def test_captions_name_a_stuff_region_as_an_area() -> None:
    index = _related(["tree", "man", "sky"], [(0, "behind", 1), (2, "above", 1)], stuff=[0, 2])
    caption = scene_caption(index.scene, index=index)
    assert caption.endswith("Trees are behind the man. Sky is above the man."), caption


def test_referring_expressions_read_attributes_by_meaning() -> None:
    # "the big dog" is not one dog beside a "large" one, nor "the big car" beside a "huge" one
    scene = make_scene([
        {"name": "dog", "box": [0, 0, 10, 10], "attributes": ["big", "brown"]},
        {"name": "dog", "box": [20, 0, 30, 10], "attributes": ["large", "black"]},
        {"name": "car", "box": [40, 0, 50, 10], "attributes": ["big", "red"]},
        {"name": "car", "box": [60, 0, 70, 10], "attributes": ["huge", "blue"]},
    ])
    index = ExecutionContext(scene).index(0)
    assert refer_by_attributes(index, 0).phrase == "brown dog"
    assert refer_by_attributes(index, 1).phrase == "black dog"
    assert refer_by_attributes(index, 2).phrase == "red car"
    assert refer_by_attributes(index, 3).phrase == "huge car"  # a big car is not taken to be huge


def test_shared_description_by_meaning() -> None:
    a = make_scene([{"name": "dog", "box": [0, 0, 10, 10], "attributes": ["big"]},
                    {"name": "dog", "box": [20, 0, 30, 10], "attributes": ["small"]}])
    b = make_scene([{"name": "dog", "box": [0, 0, 10, 10], "attributes": ["large"]},
                    {"name": "dog", "box": [20, 0, 30, 10], "attributes": ["tiny"]}], image_id="s1")
    ia, ib = ExecutionContext(a).index(0), ExecutionContext(b).index(0)
    assert shared_description(ia, 0, ib, 0) == ("big",)  # "the big dog": the large one in image b


@pytest.mark.parametrize(("name", "attributes", "phrase"), [
    ("circle", ("red", "large", "shiny"), "large shiny red circle"),  # the order by type, as before
    ("net", ("white", "black"), "black and white net"),  # it said "black white net"
    ("flag", ("white", "red", "blue"), "blue, red and white flag"),
    ("headlight", ("on",), "switched-on headlight"),  # it said "an on headlight"
    ("window", ("glass", "open"), "open glass window"),  # states before material: "glass open window"
    ("building", ("white", "old", "tall"), "tall old white building"),  # "tall white old building"
    ("train", ("yellow", "long"), "long yellow train"),
    ("tree", ("leafy", "green"), "green leafy tree"),  # other untyped words stay by the noun
    ("table", ("wooden", "brown", "small"), "small brown wooden table"),  # never "wooden brown small table"
    # coordinate adjectives (one type) between commas; materials joined like colours
    ("man", ("tall", "big"), "big, tall man"),  # it said "big tall man"
    ("shirt", ("striped", "plaid", "red"), "red plaid, striped shirt"),
    ("table", ("glass", "metal", "round"), "round glass and metal table"),  # it said "glass metal table"
    ("train", ("old", "long", "shiny", "glossy"), "long old glossy, shiny train"),  # states each alone
])
def test_noun_phrase_reads_as_english(name: str, attributes: tuple[str, ...], phrase: str) -> None:
    from veriscene.scene.describe import noun_phrase

    assert noun_phrase(name, attributes) == phrase


def test_captions_and_referring_expressions_use_the_noun_phrase() -> None:
    """Captions and "the ..." descriptions said "a black white net" and "the on lamp"."""
    scene = make_scene([
        {"name": "net", "box": [10, 10, 30, 90], "attributes": ["white", "black"]},
        {"name": "lamp", "box": [50, 10, 70, 50], "attributes": ["on", "black"]},
        {"name": "lamp", "box": [150, 10, 170, 50], "attributes": ["off", "black"]},
    ], [(1, "near", 0)])
    assert scene_caption(scene) == (
        "The image shows three objects: a black and white net, a switched-on black lamp and a switched-off "
        "black lamp. The switched-on lamp is near the net.")
    index = SceneIndex(scene)
    assert refer(index, 2).phrase == "switched-off lamp"


def test_caption_says_another_of_two_objects_described_alike() -> None:
    """It said "A striped zebra is next to a striped zebra.", as if of one zebra."""
    zebra = {"name": "zebra", "attributes": ["striped"]}
    scene = make_scene([{**zebra, "box": [10, 10, 40, 40]}, {**zebra, "box": [60, 10, 90, 40]},
                        {"name": "zebra", "box": [120, 10, 150, 40], "attributes": ["young"]}],
                       [(0, "next to", 1)])
    assert scene_caption(scene).endswith(" A striped zebra is next to another striped zebra.")
