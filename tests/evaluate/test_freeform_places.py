"""Relations of place on any scene (helper-188): "on" was read only where the input's scenes
annotate it, so "there may be a teddy bear on a chair" said no relation on COCO (no relations);
a relation of an object the scene says is not there is false, one of an object whose identity is
open ("a man" where a person is annotated) open."""

from __future__ import annotations

import pytest

from veriscene.evaluate.freeform import Lexicon, RuleExtractor, score_texts
from veriscene.scene.model import Scene


def _relations(text: str) -> set[str]:
    lex = Lexicon()  # no scene: no predicate of a scene's relations
    lex.add(names=["teddy bear", "chair", "cup", "table", "dog", "cat"])
    return {c.text for c in RuleExtractor(lex).extract(text) if c.kind == "relation"}


@pytest.mark.parametrize(("text", "relations"), [
    ("There may be a teddy bear on a chair.", {"maybe teddy bear on chair"}),  # was none
    ("A cup sits on top of the table.", {"cup on top of table"}),
    ("The dog is under the table.", {"dog below table"}),
    ("A cat next to a dog.", {"cat near dog"}),
    ("A dog is behind the chair, and a cat is in front of it.", {"dog behind chair"}),
    ("The cup is left of the teddy bear.", {"cup left of teddy bear"}),
    # a place that names no object takes the relation ("on the left", "on the wall" of no object)
    ("A chair on the left and a cup on the right.", set()),
    # "rests" is a verb, not "rest" (a word for a part of the image: it took the relation)
    ("A small cup rests on top of a table.", {"small cup on top of table"}),
])
def test_places_are_relations_without_a_scene(text: str, relations: set[str]) -> None:
    assert _relations(text) == relations


def _room() -> Scene:
    # COCO-like: names annotated in full, no attribute and no relation
    return Scene.from_objects("room", 640, 480, [
        {"name": "person", "box": [300, 100, 400, 400]},
        {"name": "chair", "box": [100, 250, 220, 450]},
        {"name": "cup", "box": [500, 300, 530, 330]},
        {"name": "dining table", "box": [450, 320, 630, 470]},
    ], meta={"exhaustive": ["person", "chair", "cup", "dining table", "teddy bear", "dog"]})


def _verdicts(text: str) -> dict[str, bool | None]:
    (score,), _, _ = score_texts([("room", text)], {"room": _room()}, matcher="lexical")
    return {c["text"]: c["supported"] for c in score.claims if c["kind"] == "relation"}


@pytest.mark.parametrize(("text", "expected"), [
    # no teddy bear: its relation is false (was not read)
    ("There may also be a teddy bear on a chair.", {"maybe teddy bear on chair": False}),
    # both there, "on" not annotated and not read from boxes: open
    ("A cup is on the table.", {"cup on table": None}),
    # an absent object's relation is false though the other name is open (was open)
    ("A dog lies on the grass.", {"dog on grass": False}),
    # a man where a person is annotated: which one he is, is open (was false: no object "man")
    ("A man is near the chair.", {"man near chair": None}),
    ("A man sits on the chair.", {"man on chair": None}),
    # directions are still read from the boxes
    ("The chair is to the left of the cup.", {"chair left of cup": True}),
    ("The cup is to the left of the chair.", {"cup left of chair": False}),
])
def test_relations_on_a_scene_without_relations(text: str, expected: dict[str, bool | None]) -> None:
    assert _verdicts(text) == expected
