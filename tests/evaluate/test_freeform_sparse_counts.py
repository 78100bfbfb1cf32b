"""Counts of attributed objects where attributes are sparse (Visual Genome, GQA) (helper-188): open
only where objects of the name may have the attributes unannotated; "two blue pillows" of a red
and a yellow pillow is false (it was open), of two pillows with no colour open."""

from __future__ import annotations

import pytest

from veriscene.evaluate.freeform import score_texts
from veriscene.scene.model import Scene

SPARSE = {"sparse": ["attributes", "relations"]}


def _count(attributes: list[list[str]], text: str, name: str = "pillow") -> bool | None:
    objects = [{"name": name, "box": [10.0 + 60 * k, 10.0, 60.0 + 60 * k, 60.0], "attributes": a}
               for k, a in enumerate(attributes)]
    objects.append({"name": "couch", "box": [0.0, 0.0, 300.0, 100.0], "attributes": ["gray"]})
    scene = Scene.from_objects("room", 300, 100, objects, meta=SPARSE)
    (score,), _, _ = score_texts([("room", text)], {"room": scene}, matcher="lexical")
    (verdict,) = [c["supported"] for c in score.claims if c["kind"] == "count"]
    return verdict


@pytest.mark.parametrize(("attributes", "text", "verdict"), [
    # each pillow has a colour, neither blue: false (was open)
    ([["red"], ["yellow"]], "There are two blue pillows.", False),
    # one is blue, the other red: no second blue one (was open)
    ([["blue"], ["red"]], "There are two blue pillows.", False),
    # no colour annotated on one of them: it may be blue
    ([["blue"], ["soft"]], "There are two blue pillows.", None),
    ([[], []], "There are two blue pillows.", None),
    # a colour does not rule out a word of another type, nor a size of another sub-kind
    ([["red"], ["yellow"]], "There are two fluffy pillows.", None),
    ([["big"], ["big"]], "There are two tall pillows.", None),
    # a narrower or synonymous word of the colour annotated does not rule it out
    ([["blue"], ["navy"]], "There are two blue pillows.", True),
    ([["gray"], ["silver"]], "There are two grey pillows.", True),
    ([["blue"], ["blue"]], "There are three blue pillows.", False),  # more than the pillows
    ([["blue"], ["blue"]], "There are two blue pillows.", True),
])
def test_count_of_attributed_objects(attributes: list[list[str]], text: str, verdict: bool | None) -> None:
    assert _count(attributes, text) is verdict


@pytest.mark.parametrize(("attributes", "verdict"), [
    # a bus annotated with one of the colours said together may have the other one too
    ([["red", "white"], ["red"]], None),
    ([["red", "white"], ["white"]], None),
    ([["red", "white"], ["blue"]], False),  # a blue bus is not red and white
    ([["red", "white"], ["red", "white"]], True),
])
def test_two_coloured_objects(attributes: list[list[str]], verdict: bool | None) -> None:
    assert _count(attributes, "Two red and white buses drive by.", name="bus") is verdict


def test_a_red_and_a_white_bus_are_not_two_red_buses() -> None:
    # GQA's street (helper-185's fixture): one red bus, one white; "two red buses" was open
    assert _count([["double decker", "red"], ["white"]], "Two red buses drive down the road.", name="bus") is False


def _attribute(attributes: list[list[str]], text: str, name: str = "pillow") -> dict[str, bool | None]:
    objects = [{"name": name, "box": [10.0 + 60 * k, 10.0, 60.0 + 60 * k, 60.0], "attributes": a}
               for k, a in enumerate(attributes)]
    scene = Scene.from_objects("room", 300, 100, objects, meta=SPARSE)
    (score,), _, _ = score_texts([("room", text)], {"room": scene}, matcher="lexical")
    return {c["text"]: c["supported"] for c in score.claims if c["kind"] == "attribute"}


@pytest.mark.parametrize(("attributes", "text", "expected"), [
    # an attribute is read as a count is: open where some object it may be could have it
    ([["red"], []], "The pillow is blue.", {"pillow is blue": None}),  # the one with no colour (was false)
    ([["tall"]], "The man is big.", {"man is big": None}),  # a height is no ruling on bigness (was false)
    ([["red"]], "A red and white bus.", {"bus is red": True, "bus is white": None}),  # (white was false)
    ([["blue"]], "A red and white bus.", {"bus is red": False, "bus is white": False}),
    ([["red"], ["yellow"]], "The pillow is blue.", {"pillow is blue": False}),
    ([["white"]], "The bus is red.", {"bus is red": False}),
])
def test_attribute_of_an_object_that_may_have_it(attributes: list[list[str]], text: str,
                                                 expected: dict[str, bool | None]) -> None:
    name = "man" if "man" in text else "bus" if "bus" in text else "pillow"
    assert _attribute(attributes, text, name=name) == expected
