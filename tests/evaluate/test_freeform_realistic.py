"""Free-form scoring of replies as VLMs write them (helper-180's audit, session 62): lists before
and after a relation, words for the setting, synonyms of names, broader names, attributes of one
of several objects, annotated predicates in other words, directions read from the boxes, "there
is no ...", and scene graphs that annotate no attributes (COCO)."""

from __future__ import annotations

import pytest

from veriscene.evaluate.freeform import Lexicon, RuleExtractor, score_texts
from veriscene.scene.model import Scene

SPARSE = {"sparse": ["attributes", "relations"]}


def _extract(text: str, predicates: tuple[str, ...] = ()) -> set[str]:
    lex = Lexicon()
    lex.add(names=["circle", "square", "hexagon", "star", "triangle"], predicates=predicates)
    return {c.text for c in RuleExtractor(lex).extract(text)}


def _verdicts(scene: Scene, text: str) -> dict[str, bool | None]:
    (score,), _, _ = score_texts([(scene.image_id, text)], {scene.image_id: scene}, matcher="lexical")
    return {c["text"]: c["supported"] for c in score.claims}


# -- which mentions a relation links -------------------------------------------------------------

@pytest.mark.parametrize(("text", "relations"), [
    # a place that names no object takes the relation: not the list after it ("at" a VG predicate)
    ("At the bottom there are two red circles, a gray square and a star.", set()),
    ("A small gray circle sits near the top center, and a star is on the left.", set()),
    # of a list before a relation, the mention right before it
    ("A hexagon, a square and a red star near a triangle.", {"red star near triangle"}),
    ("A hexagon, a square and a red star are left of a triangle.",
     {"hexagon left of triangle", "square left of triangle", "red star left of triangle"}),
    ("The circle and the square are left of the star.", {"circle left of star", "square left of star"}),
    # the mention right after it, and those "and" joins to it; not past a comma or a pronoun
    ("The circle is left of the square and the star.", {"circle left of square", "circle left of star"}),
    ("A star is near a square, a circle and a hexagon.", {"star near square"}),
    ("A red star with a gray triangle below it, and an orange star to its right.", set()),
    ("A square is below the circle and a star is above the hexagon.", {"square below circle", "star above hexagon"}),
    ("The star is below the circle and left of the square.", {"star below circle", "star left of square"}),
    ("The circle is left of the square, which is above the star.", {"circle left of square", "square above star"}),
    # "right" saying which square, not a place (the demo's own captions)
    ("The circle is to the left of the right large square.", {"circle left of big square"}),
])
def test_relations_link_the_mentions_next_to_them(text: str, relations: set[str]) -> None:
    got = {t for t in _extract(text, predicates=("at",)) if any(p in t for p in (" left of ", " near ", " below ", " above ", " at "))}
    assert got == relations


@pytest.mark.parametrize("text", [
    "The image shows shapes on a light background.",  # "light" was an object
    "A large red star is in the upper middle, and a circle is on the far left.",  # "upper", "far"
    "This cozy living room has a circle.",  # "living" was an object
    "A square made of wood holds a star.",  # "hold" was an object
])
def test_words_for_the_setting_or_a_verb_name_no_object(text: str) -> None:
    names = {t for t in _extract(text) if " " not in t}
    assert names <= {"circle", "square", "star"}


def test_a_preposition_after_an_attribute_is_no_object() -> None:
    lex = Lexicon()
    lex.add(names=["dog", "grass"], attributes=["running"])
    # "across" was an object that is running (a hallucination in a complete scene graph)
    assert {c.text for c in RuleExtractor(lex).extract("A dog is running across the grass.")} == {
        "dog", "dog is running", "grass"}


def test_one_after_is_counts() -> None:
    assert "1 x circle" in _extract("There is one circle and one of the squares is red.")
    assert not any(t.endswith("x square") for t in _extract("One of the squares is red."))


# -- matching against the scene graph ------------------------------------------------------------

def _living_room() -> Scene:
    return Scene.from_objects("room", 400, 300, [
        {"name": "cat", "box": [100, 100, 160, 140], "attributes": ["orange"]},
        {"name": "couch", "box": [50, 80, 350, 200], "attributes": ["gray"]},
        {"name": "pillow", "box": [60, 90, 100, 120], "attributes": ["red"]},
        {"name": "pillow", "box": [300, 90, 340, 120], "attributes": ["yellow"]},
        {"name": "car", "box": [0, 250, 60, 300], "attributes": ["parked"]},
        {"name": "street", "box": [0, 240, 400, 300], "attributes": []},
        {"name": "man", "box": [360, 100, 390, 200], "attributes": []},
        {"name": "woman", "box": [200, 210, 230, 290], "attributes": []},
    ], relations=[(0, "on", 1), (4, "parked on", 5), (6, "next to", 1)], meta={**SPARSE, "exhaustive": [
        "cat", "couch", "pillow", "car", "street", "man", "woman"]})


@pytest.mark.parametrize(("text", "expected"), [
    # synonyms of names (were open: sofa, automobile; their attributes and relations false)
    ("An orange cat is on a gray sofa.", {"cat": True, "cat is orange": True, "couch": True, "couch is gray": True,
                                          "orange cat on gray couch": True}),
    ("Two automobiles are parked on the street.", {"car": True, "2 x car": False, "car is parked": True,
                                                    "street": True, "car on street": True}),
    # each attribute of some object the mention names (yellow was checked of the red pillow)
    ("There are red and yellow pillows.", {"pillow": True, "pillow is red": True, "pillow is yellow": True}),
    # an annotated predicate in other words: "next to" is "near", "parked on" is "on"
    ("The man is near the couch.", {"man": True, "couch": True, "man near couch": True}),
    # a broader name counts the narrower ones
    # (their number is open: people of other names may be unannotated)
    ("Two people are in the room.", {"person": True, "2 x person": None}),
    # an object the scene graph leaves open leaves its attributes and relations open (were false)
    ("A red frisbee lies on the couch.", {"frisbee": None, "frisbee is red": None, "couch": True,
                                          "red frisbee on couch": None}),
    # "there is no ...": the scene says whether it is so, where it annotates the name in full
    ("There is no cat in the image.", {"no cat": False}),
    ("There is no dog.", {"no dog": None}),
])
def test_claims_as_the_scene_graph_says_them(text: str, expected: dict[str, bool | None]) -> None:
    assert _verdicts(_living_room(), text) == expected


def _shapes() -> Scene:
    # a star at the left; a square at the top right (not in the star's row); a circle below the star
    return Scene.from_objects("shapes", 480, 360, [
        {"name": "star", "box": [27, 97, 101, 171], "attributes": ["red"]},
        {"name": "square", "box": [384, 15, 449, 80], "attributes": ["gray"]},
        {"name": "circle", "box": [40, 250, 90, 300], "attributes": ["blue"]},
        {"name": "hexagon", "box": [80, 240, 140, 300], "attributes": ["green"]},
    ], relations=[(0, "above", 2), (2, "below", 0)])


@pytest.mark.parametrize(("text", "verdict"), [
    ("The square is to the right of the star.", True),  # apart on that axis: held (was false)
    ("The star is to the right of the square.", False),  # the boxes rule it out
    ("The circle is to the left of the hexagon.", None),  # boxes overlap a little: a viewer might say so
    ("The star is above the circle.", True),  # annotated
])
def test_directions_not_annotated_are_read_from_the_boxes(text: str, verdict: bool | None) -> None:
    relations = {t: v for t, v in _verdicts(_shapes(), text).items() if " of " in t or " above " in t}
    assert list(relations.values()) == [verdict]


def test_plural_names_of_two_words() -> None:
    scene = Scene.from_objects("toys", 300, 100, [
        {"name": "teddy bear", "box": [0, 0, 50, 50]}, {"name": "teddy bear", "box": [100, 0, 150, 50]},
        {"name": "potted plant", "box": [200, 0, 250, 90]}])
    # "teddy bears" was a "bear" that is "teddy" (both false); "plant" is COCO's "potted plant"
    assert _verdicts(_shapes(), "A blue sphere.") == {"circle": True, "circle is blue": True}  # the demo's shading
    assert _verdicts(scene, "Two teddy bears and a plant.") == {
        "teddy bear": True, "2 x teddy bear": True, "plant": True}


def test_both_and_all_say_each() -> None:
    scene = Scene.from_objects("two", 200, 100, [
        {"name": "circle", "box": [0, 0, 20, 20], "attributes": ["small", "red"]},
        {"name": "circle", "box": [100, 0, 160, 60], "attributes": ["large", "red"]}])
    assert _verdicts(scene, "Both circles are small.") == {"circle": True, "every circle is small": False}
    assert _verdicts(scene, "All the circles are red.") == {"circle": True, "every circle is red": True}
    assert _verdicts(scene, "The circle is small.") == {"circle": True, "circle is small": True}


def test_complete_scene_absence_and_coco_attributes() -> None:
    shapes = _shapes()
    assert _verdicts(shapes, "There is no hexagon.") == {"no hexagon": False}
    assert _verdicts(shapes, "There is no dog in this picture.") == {"no dog": True}
    room = _living_room()
    in_room = Scene.from_objects(room.image_id, room.width, room.height, [
        {"name": n, "box": b.tolist()} for n, b in zip(room.names, room.boxes)], relations=[(0, "in", 1)])
    assert _verdicts(in_room, "There is no cat in this picture.") == {"no cat": False}  # "in" a predicate there
    # a negated mention that a verb or a relation qualifies is no absence ("no circle" was false)
    assert _verdicts(shapes, "No circle is green.") == {}
    assert _verdicts(shapes, "There is no circle near the square.") == {}
    # "none of the circles is red" states nothing of a circle ("circle is red" was false)
    assert _verdicts(shapes, "None of the circles is red.") == {}
    # a scene graph without any attribute (COCO) leaves them open; its names stay complete
    coco = Scene.from_objects("coco", 640, 480, [
        {"name": "chair", "box": [0, 0, 100, 100]}, {"name": "person", "box": [300, 0, 400, 300]}])
    # "on" is a relation on any scene: the man's is open (he is the person or not), the one of a
    # dog there is not is false ("near a dog" may be the man's or the chair's: false of both)
    assert _verdicts(coco, "A man sits on a wooden chair near a dog.") == {
        "man": None, "chair": True, "chair is wood": None, "dog": False, "man on wood chair": None,
        "man or wood chair near dog": False}
