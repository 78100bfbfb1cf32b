"""Referring expressions by a relation are not readable as another object, and captions say
"of" with the subject's noun.

A visual audit of the demo found "the circle to the left of the red square" where only one
circle was annotated left of the square but another stood left of it too, by the boxes (26 of 318
relation referents), and captions said "The leg is of the table."
"""

from __future__ import annotations

from typing import Any, Sequence

import pytest

from veriscene.program import ExecutionContext, SceneIndex
from veriscene.program.executor import run_nodes
from veriscene.scene import Scene
from veriscene.scene.caption import scene_caption
from veriscene.scene.describe import refer

SQUARE = [100, 40, 120, 60]  # the anchor, in a 200 x 100 image


def _circles(other: Sequence[float], predicate: str, sparse: bool = False) -> SceneIndex:
    """Circle 0 annotated `predicate` the square (object 2); circle 1 at `other`, unannotated."""
    first = {"left of": [60, 40, 80, 60], "above": [100, 0, 120, 20], "near": [85, 40, 95, 60]}[predicate]
    rows = [{"name": "circle", "box": first}, {"name": "circle", "box": list(other)},
            {"name": "square", "box": SQUARE}]
    meta = {"sparse": ["relations"]} if sparse else None
    return SceneIndex(Scene.from_objects("c", 200, 100, rows, [(0, predicate, 2)], meta=meta))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize(("predicate", "other", "phrase"), [
    # the other circle is left of the square too (further left): either is "the circle to the left"
    ("left of", [10, 40, 30, 60], None),
    # ... diagonally, well below the square's row: still left of it as seen
    ("left of", [10, 75, 30, 95], None),
    # the other circle is right of the square: one circle is to the left
    ("left of", [150, 40, 170, 60], "the circle to the left of the square"),
    ("above", [140, 0, 160, 20], None),  # up and to the right: above, as seen
    ("above", [100, 75, 120, 95], "the circle above the square"),
    ("near", [125, 40, 135, 60], None),  # 5 px away on the other side: near too
    ("near", [10, 40, 20, 60], "the circle near the square"),
])
def test_a_relation_referent_is_read_of_one_object(predicate: str, other: list[float], phrase: str | None,
                                                   sparse: bool) -> None:
    index = _circles(other, predicate, sparse)
    found = refer(index, 0)
    assert (found.the if found is not None else None) == phrase
    if found is not None:  # and its program selects circle 0
        nodes = [*found.nodes, {"op": "unique", "inputs": [len(found.nodes) - 1], "args": []}]
        assert run_nodes(nodes, ExecutionContext(index.scene))[-1].index == 0


def test_a_predicate_without_a_geometric_reading_goes_by_its_annotation() -> None:
    """Both men stand left of the cup, one annotated holding it: "the man holding the cup"."""
    rows = [{"name": "man", "box": [10, 40, 30, 60]}, {"name": "man", "box": [60, 40, 80, 60]},
            {"name": "cup", "box": SQUARE}]
    index = SceneIndex(Scene.from_objects("m", 200, 100, rows, [(1, "holding", 2)]))
    found = refer(index, 1)
    assert found is not None and found.the == "the man holding the cup"
    assert refer(index, 0) is None


def _caption(names: Sequence[str], relations: Sequence[tuple[int, str, int]], overlapping: bool = False,
             **meta: Any) -> str:
    """The caption of objects in a row 12 px apart (`overlapping`: 1 px apart, too close to be told
    apart by place)."""
    step = 1 if overlapping else 12
    rows = [{"name": name, "box": [step * i, 0, step * i + 10, 10]} for i, name in enumerate(names)]
    index = SceneIndex(Scene.from_objects("r", 200, 100, rows, list(relations), meta=meta or None))
    return scene_caption(index.scene, index=index)


@pytest.mark.parametrize(("names", "meta", "sentence"), [
    (["leg", "table"], {}, "The leg is a leg of the table."),
    (["leg", "leg", "table"], {}, "The left leg is a leg of the table."),  # one of two legs, by its place
    (["jeans", "table"], {}, "The jeans are jeans of the table."),
    (["jeans", "jeans", "table"], {}, "The left jeans are jeans of the table."),
    (["leg", "leg", "table"], {"overlapping": True}, "A leg is a leg of the table."),  # two legs, not told apart
    (["jeans", "jeans", "table"], {"overlapping": True}, "A pair of jeans is a pair of jeans of the table."),
    (["hair", "table"], {}, "The hair is part of the table."),  # a substance
    (["person", "table"], {"crowd": [0]}, "A group of people is a group of people of the table."),
    (["tree", "table"], {"stuff": [0]}, "Trees are trees of the table."),
    (["sky", "table"], {"stuff": [0]}, "Sky is part of the table."),
])
def test_captions_say_of_with_the_subjects_noun(names: list[str], meta: dict[str, Any], sentence: str) -> None:
    caption = _caption(names, [(0, "of", len(names) - 1)], **meta)
    assert caption.endswith(" " + sentence), caption


@pytest.mark.parametrize(("names", "sentence"), [
    (["leg", "table"], "The leg is on the table."),
    (["jeans", "table"], "The jeans are on the table."),
])
def test_captions_of_other_predicates_are_unchanged(names: list[str], sentence: str) -> None:
    assert _caption(names, [(0, "on", 1)]).endswith(" " + sentence)
