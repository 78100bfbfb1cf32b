"""An existential's list after a place (helper-281): "There is a cat on the sofa and a lamp." says
a cat is on the sofa and a lamp is there, not that the cat is on the lamp (0.32.0 read "cat on
lamp", so the true reply scored 0.889). A noun phrase after "and" with its own indefinite
determiner ("a lamp", "two chairs") is a new thing the existential says is there; "and the chair"
stays a second object of the place, as elsewhere ("the cat is near the sofa and a lamp", no
existential, too)."""

from __future__ import annotations

import pytest

from veriscene.evaluate.freeform import Lexicon, RuleExtractor, score_texts
from veriscene.scene.model import Scene


def _claims(text: str) -> set[str]:
    lex = Lexicon()
    lex.add(names=["cat", "sofa", "lamp", "chair", "dog", "window", "cup", "plate", "table"])
    return {c.text for c in RuleExtractor(lex).extract(text)}


def _relations(text: str) -> set[str]:
    return {c for c in _claims(text) if " on " in c or " near " in c}


@pytest.mark.parametrize(("text", "relations"), [
    ("There is a cat on the sofa and a lamp.", {"cat on sofa"}),  # was also "cat on lamp"
    ("There's a cat on the sofa and a lamp.", {"cat on sofa"}),
    ("There is a cat on the sofa and two chairs.", {"cat on sofa"}),
    ("There are two cats on the sofa and a lamp.", {"cat on sofa"}),
    ("There is a cat next to a dog and a lamp.", {"cat near dog"}),
    ("In the room there is a cat on the sofa and a lamp.", {"cat on sofa"}),
    # hedge words between "and" and the new thing: the new thing still (hedged)
    ("There is a cat on the sofa and maybe a lamp.", {"cat on sofa"}),
    ("There is a cat on the sofa and I think a lamp.", {"cat on sofa"}),
    ("There is a cat on the sofa and also a lamp.", {"cat on sofa"}),
    # the new thing may have its own place
    ("There is a cat on the sofa and a lamp next to the window.", {"cat on sofa", "lamp near window"}),
    # a definite noun phrase names a thing already known: a second object of the place, as before
    ("There is a cat on the sofa and the chair.", {"cat on sofa", "cat on chair"}),
    # no existential: as before, "and" joins the objects
    ("The cat is near the sofa and a lamp.", {"cat near sofa", "cat near lamp"}),
    # the place opening the clause: its subjects are the list after the verb, as before
    ("On the table there is a cup and a plate.", {"cup on table", "plate on table"}),
])
def test_a_new_thing_after_an_existentials_place(text: str, relations: set[str]) -> None:
    assert _relations(text) == relations


def test_the_new_thing_is_claimed_to_be_there() -> None:
    claims = _claims("There is a cat on the sofa and two chairs.")
    assert {"cat", "sofa", "chair", "2 x chair"} <= claims


def _scene() -> Scene:
    return Scene.from_objects("room", 400, 300, [
        {"name": "cat", "box": [160, 110, 200, 150]},
        {"name": "sofa", "box": [100, 100, 300, 250]},
        {"name": "lamp", "box": [320, 20, 380, 200]},
    ], relations=[(0, "on", 1)], meta={"exhaustive": ["cat", "sofa", "lamp", "dog"]})


def test_a_true_reply_is_true_and_the_new_thing_is_checked() -> None:
    (true, absent), _, _ = score_texts(
        [("room", "There is a cat on the sofa and a lamp."), ("room", "There is a cat on the sofa and a dog.")],
        {"room": _scene()}, matcher="lexical")
    assert true.truthfulness == 1.0 and true.hallucinations == []
    assert absent.hallucinations == ["dog"]  # no dog: the new thing said to be there is false
