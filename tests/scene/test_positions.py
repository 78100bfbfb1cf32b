"""Objects described alike, told apart by their places in the image."""

from __future__ import annotations

from typing import Any

import pytest

from veriscene.program import SceneIndex
from veriscene.scene import Scene
from veriscene.scene.caption import scene_caption
from veriscene.scene.positions import placed_phrases


def _index(boxes: list[list[float]], names: list[str] | None = None, relations: list[tuple[int, str, int]] | None = None,
           **meta: Any) -> SceneIndex:
    names = names or ["circle"] * len(boxes)
    rows = [{"name": n, "box": b} for n, b in zip(names, boxes)]
    return SceneIndex(Scene.from_objects("p", 400, 300, rows, relations or [], meta=meta or None))


def _placed(index: SceneIndex) -> dict[int, str]:
    return placed_phrases(index, list(index.scene.names))


@pytest.mark.parametrize(("boxes", "said"), [
    # side by side, listed right one first: by x
    ([[200, 0, 240, 40], [0, 0, 40, 40]], {0: "right circle", 1: "left circle"}),
    # one above the other (same x): by y
    ([[0, 100, 40, 140], [0, 0, 40, 40]], {0: "lower circle", 1: "upper circle"}),
    ([[0, 0, 40, 40], [100, 0, 140, 40], [200, 0, 240, 40]],
     {0: "leftmost circle", 1: "middle circle", 2: "rightmost circle"}),
    ([[0, 0, 40, 40], [0, 100, 40, 140], [0, 200, 40, 240]],
     {0: "topmost circle", 1: "middle circle", 2: "bottommost circle"}),
    ([[0, 0, 40, 40], [100, 0, 140, 40], [200, 0, 240, 40], [300, 0, 340, 40]],
     {0: "leftmost circle", 1: "second circle from the left", 2: "third circle from the left", 3: "rightmost circle"}),
    # apart along x by less than half a box, and along y not at all: not told apart
    ([[0, 0, 40, 40], [15, 0, 55, 40]], {}),
    # 10 px apart in a 400 px image, boxes 4 px wide: too close to tell apart (under 3% of the width)
    ([[0, 0, 4, 4], [10, 0, 14, 4]], {}),
])
def test_objects_alike_are_placed_along_the_axis_they_lie_apart_on(boxes: list[list[float]], said: dict[int, str]) -> None:
    assert _placed(_index(boxes)) == said


def test_only_objects_described_alike_are_placed() -> None:
    index = _index([[0, 0, 40, 40], [100, 0, 140, 40], [200, 0, 240, 40]], ["circle", "square", "circle"])
    assert _placed(index) == {0: "left circle", 2: "right circle"}


@pytest.mark.parametrize("meta", [
    {"sparse": ["attributes"]},  # another circle may be red, unannotated
    {"exhaustive": ["square"]},  # circles annotated in part: another may lie further left
    {"crowd": [0, 1]},
    {"stuff": [0, 1]},
])
def test_no_place_is_said_where_the_annotation_may_miss_one(meta: dict[str, Any]) -> None:
    assert _placed(_index([[0, 0, 40, 40], [200, 0, 240, 40]], **meta)) == {}


def test_a_caption_names_objects_alike_by_place_and_says_a_sentence_once() -> None:
    square = [150, 200, 190, 240]
    placed = _index([[0, 0, 40, 40], [300, 0, 340, 40], square], ["circle", "circle", "square"],
                    [(0, "above", 2), (1, "above", 2), (0, "left of", 1)])
    caption = scene_caption(placed.scene, index=placed)
    assert caption.endswith("The left circle is above the square. A circle is to the left of another circle. "
                            "The right circle is above the square."), caption
    # overlapping circles cannot be told apart: "A circle is above the square" once, not twice
    alike = _index([[0, 0, 40, 40], [5, 5, 45, 45], square], ["circle", "circle", "square"],
                   [(0, "above", 2), (1, "above", 2)])
    caption = scene_caption(alike.scene, index=alike)
    assert caption.endswith("two circles and a square. A circle is above the square."), caption
