"""Relations said with the subject after the verb (helper-185): "to the right of the hexagon is a
circle", "behind the man there is a tree", "next to the bed stands a lamp". Before, they were
linked to the mention before the relation phrase ("the star is red, and to the left of the square
is a circle": the star left of the square) or not at all."""

from __future__ import annotations

import pytest

from veriscene.evaluate.freeform import Lexicon, RuleExtractor

_NAMES = ["circle", "square", "hexagon", "star", "triangle", "bed", "lamp", "man", "tree", "bench", "cat", "sofa",
          "blanket", "counter", "banana", "apple", "bowl", "sink", "faucet", "chair"]


def _relations(text: str) -> set[str]:
    lex = Lexicon()
    lex.add(names=_NAMES, predicates=("on", "in"))
    return {c.text for c in RuleExtractor(lex).extract(text) if c.kind == "relation"}


@pytest.mark.parametrize(("text", "relations"), [
    ("To the right of the hexagon is a blue circle.", {"blue circle right of hexagon"}),
    ("Next to the bed stands a lamp.", {"lamp near bed"}),
    ("Behind the man there is a tree.", {"tree behind man"}),
    ("Behind the man there are a tree and a bench.", {"tree behind man", "bench behind man"}),
    ("Above the sofa hangs a red circle.", {"red circle above sofa"}),  # a verb that is no copula
    ("Next to the sofa, the cat is sleeping on the blanket.", {"cat near sofa", "cat on blanket"}),
    ("On the counter there are a yellow banana, a red apple and a green apple, as well as a bowl.",
     {"yellow banana on counter", "red apple on counter", "green apple on counter", "bowl on counter"}),
    ("Behind the man there is a tree, which is next to a bench.", {"tree behind man", "tree near bench"}),
    # after a comma or "and", a relation phrase opens a clause of its own
    ("The star is red, and to the left of the square is a circle.", {"circle left of square"}),
    ("There is a large star, and below the star is a small triangle.", {"small triangle below star"}),
    ("A counter with a sink in it, and above the sink is a faucet.", {"faucet above sink"}),
])
def test_subject_after_the_verb(text: str, relations: set[str]) -> None:
    assert _relations(text) == relations


@pytest.mark.parametrize(("text", "relations"), [
    # the subject before the phrase, as before
    ("The star is below the circle, and left of the square.", {"star below circle", "star left of square"}),
    ("A hexagon, a circle and a star near a triangle.", {"star near triangle"}),
    ("The circle is left of the square, which is above the star.", {"circle left of square", "square above star"}),
    # a place or a pronoun after the phrase: no relation
    ("At the bottom there are two circles, a star and a square.", set()),
    ("The hexagon is large, and next to it is a star.", set()),
])
def test_subject_before_the_phrase_unchanged(text: str, relations: set[str]) -> None:
    assert _relations(text) == relations
