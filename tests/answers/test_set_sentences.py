"""Set answers (`str_set`) given as sentences, label-value lists or bare runs of words are read as
the known words of the gold items' kinds they name (`candidates.set_items`); listing every
candidate still earns nothing."""

from __future__ import annotations

import pytest

from veriscene.answers import match_answer

SHAPES = ["circle", "square", "triangle"]
LOOKS = ["gray", "matte", "small"]


@pytest.mark.parametrize(("reply", "gold"), [
    ("Circle, square, and triangle appear in every image.", SHAPES),
    ("The common objects are circles, squares, and triangles.", SHAPES),
    ("Every image contains a circle, a square and a triangle.", SHAPES),
    ("Both images have red and orange objects.", ["orange", "red"]),
    ("The colors red and orange are found in every image.", ["orange", "red"]),
    ("Color: gray, finish: matte, size: small", LOOKS),
    ("**Color:** gray\n**Finish:** matte\n**Size:** small", LOOKS),
    ("Attributes: gray (color), matte (finish), small (size)", LOOKS),
    ("small gray matte", LOOKS),
    ("No object types are unique to Image 2.", []),
    ("There are no unique objects in Image 2.", []),
])
def test_sentences_name_their_items(reply: str, gold: list[str]) -> None:
    result = match_answer(reply, gold, "str_set")
    assert result.correct, (reply, result.parsed, result.reason)


@pytest.mark.parametrize(("reply", "gold", "score"), [
    # every candidate, as a sentence: far from the gold, no credit
    ("Every image contains circles, squares, triangles, stars, hexagons and diamonds.", SHAPES, 0.0),
    ("circle square triangle star hexagon diamond", SHAPES, 0.0),
    # a part of the gold keeps its partial credit (2 of 3 right)
    ("Circles and squares appear in every image.", SHAPES, 2 / 3),
    # a wrong item is wrong
    ("Stars appear in every image.", ["circle"], 0.0),
])
def test_listing_still_earns_nothing(reply: str, gold: list[str], score: float) -> None:
    assert match_answer(reply, gold, "str_set").score == pytest.approx(score)


def test_words_of_other_kinds_do_not_make_items() -> None:
    # the gold items are kinds of objects: "a red circle" is a circle, "red" no item of its own
    result = match_answer("a red circle, a square", ["circle", "square"], "str_set")
    assert result.parsed == ["circle", "square"] and result.correct
    # an unknown phrase stays as written
    assert match_answer("a blob, a square", ["circle", "square"], "str_set").parsed == ["blob", "square"]
