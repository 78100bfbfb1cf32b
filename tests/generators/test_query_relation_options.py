"""`relation.query` options are never a second right answer a viewer could read in the image,
and never tell the answer by themselves.

A visual audit of the demo found 22 of 190 multiple-choice "Where is A relative to B?" samples
offering, beside the answer, an option that also holds as seen: "near" beside "behind" for boxes
that touch, "on top of" beside "in front of". Each case below is one of them on a tiny scene (a
scene of one answer: its wrong option is drawn from the data set's).

A scene of several answers offers sets of them only, each set offered to the question of each of
its values (`option_blocks`): on 3,000 demo scenes, sets where one value was always or never right
("behind" and "left of": 50 of 50 "behind") were a guess by the whole option set 41.3% right against
a chance of 38.6%.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import pytest

from tests.conftest import make_scene
from tests.generators.helpers import candidates
from tests.generators.query_options import query_options
from veriscene.generators import Vocabulary
from veriscene.generators.single_image.relations import readable_predicates
from veriscene.program import SceneIndex
from veriscene.scene import Scene

PREDICATES = ["left of", "right of", "above", "below", "near", "in front of", "behind", "on top of"]
VOCAB = Vocabulary(names=Counter({"circle": 1, "square": 1}), attributes=Counter(),
                   predicates=Counter(PREDICATES))


def _pair(circle: Sequence[float], square: Sequence[float], predicate: str) -> Scene:
    """A circle and a square (200 x 100 image), the circle annotated `predicate` the square."""
    return make_scene([{"name": "circle", "box": list(circle)}, {"name": "square", "box": list(square)}],
                      [(0, predicate, 1)])


@pytest.mark.parametrize(("circle", "square", "predicate", "options"), [
    # overlapping boxes (the circle 5 px up and left: no direction): "near" is as right as "behind"
    ([55, 25, 95, 65], [60, 30, 100, 70], "behind", {"left of", "right of", "above", "below", "in front of", "on top of"}),
    # in front of and overlapping: "on top of" and "near" may be read too
    ([55, 25, 95, 65], [60, 30, 100, 70], "in front of", {"left of", "right of", "above", "below", "behind"}),
    # the circle shifted 10 px up and left (a quarter of its side): "left of" and "above" may be
    # read, not their converses
    ([50, 20, 90, 60], [60, 30, 100, 70], "behind", {"right of", "below", "in front of", "on top of"}),
    # left of with a 5 px gap (near: up to 16 px): "near" is right too
    ([10, 20, 50, 60], [55, 20, 95, 60], "left of", {"right of", "above", "below", "in front of", "behind", "on top of"}),
    # far apart: "near" is a fair wrong option
    ([10, 20, 30, 40], [170, 20, 190, 40], "left of",
     {"right of", "above", "below", "near", "in front of", "behind", "on top of"}),
])
def test_options_are_never_readable_from_the_boxes(circle: list[float], square: list[float], predicate: str,
                                                   options: set[str]) -> None:
    scene = _pair(circle, square, predicate)
    assert {answer for _, answer in candidates(scene, "relation.query.v1", VOCAB)} == {predicate}
    assert query_options(scene, VOCAB) == options  # (asked open: the scene's one answer)


def test_each_option_set_is_offered_to_the_question_of_each_of_its_values() -> None:
    # the circle above the square and shifted left of it ("left of" may be read of the circle,
    # "right of" of the square); a star left of a triangle, apart. The star's question may be
    # offered "above" and "below", but the circle's may not be offered "left of": a set of three
    # or four would be right for the star and the triangle only
    objects = [{"name": "circle", "box": [20, 0, 60, 30]}, {"name": "square", "box": [40, 50, 80, 90]},
               {"name": "star", "box": [120, 10, 140, 30]}, {"name": "triangle", "box": [170, 10, 190, 30]}]
    relations = [(0, "above", 1), (1, "below", 0), (2, "left of", 3), (3, "right of", 2)]
    scene = make_scene(objects, relations)
    by_set: dict[frozenset[str], Counter[str]] = {}
    for seed in range(20):
        for cand, answer in candidates(scene, "relation.query.v1", VOCAB, seed=seed):
            by_set.setdefault(frozenset({answer, *cand.distractors}), Counter())[answer] += 1
    assert by_set == {frozenset({"above", "below"}): Counter({"above": 20, "below": 20}),
                      frozenset({"left of", "right of"}): Counter({"left of": 20, "right of": 20})}


@pytest.mark.parametrize(("predicate", "readable"), [
    ("behind", ("behind", "near")),
    ("in front of", ("in front of", "near", "on top of")),
])
def test_readable_predicates_are_the_annotated_and_the_generous_ones(predicate: str, readable: tuple[str, ...]) -> None:
    scene = _pair([55, 25, 95, 65], [60, 30, 100, 70], predicate)
    assert readable_predicates(SceneIndex(scene), 0, 1) == readable
    assert readable_predicates(SceneIndex(scene), 1, 0) == ("near",)  # the converse is not annotated
    shifted = _pair([50, 20, 90, 60], [60, 30, 100, 70], predicate)  # a quarter of the side up and left
    assert readable_predicates(SceneIndex(shifted), 0, 1) == (predicate, "left of", "above", *readable[1:])
    assert readable_predicates(SceneIndex(shifted), 1, 0) == ("right of", "below", "near")
