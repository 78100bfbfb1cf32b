"""relation.query is not asked where another reading answers "how is A related to B?" as well
(`relations.open_rivals`): asked open, the question would accept one of two right answers."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.generators.helpers import qa
from veriscene.generators import Vocabulary
from veriscene.generators.single_image.relations import open_rivals
from veriscene.program.context import SceneIndex
from veriscene.scene.model import Scene

VOCAB = Vocabulary(names=Counter({"sofa": 3, "lamp": 2, "cup": 2, "plate": 2}), attributes=Counter(),
                   predicates=Counter({"next to": 6, "near": 2, "behind": 4, "in front of": 4, "on": 5,
                                       "left of": 3, "right of": 3, "above": 2, "below": 2}))
ASKED = "Where is the lamp relative to the sofa?"


def _room(depth: bool) -> Scene:
    """A lamp next to the sofa, overlapping its right end (shifted right, not clearly right of
    it); `depth`: measured over a photo, the lamp farther: the image shows it behind the sofa."""
    rows = [{"name": "sofa", "box": [20, 100, 220, 220]}, {"name": "lamp", "box": [200, 60, 240, 230]}]
    kw: dict = {}
    if depth:
        rows[0]["depth"], rows[1]["depth"] = 0.4, 0.6
        kw = {"depth_map": "room_depth.png"}
    return Scene.from_objects("room", 320, 240, rows, [(1, "next to", 0)], **kw)


@pytest.mark.parametrize("depth", [False, True])
def test_query_not_asked_where_depth_shows_another_answer(depth: bool) -> None:
    """The task's lamp: "How is the lamp positioned relative to the sofa? next to", "behind" too."""
    got = qa(_room(depth), "relation.query.v1", VOCAB)
    assert (ASKED in got) != depth, got
    if not depth:
        assert got[ASKED] == "next to"
    assert open_rivals(SceneIndex(_room(depth)), VOCAB, 1, 0, "next to") == (["behind"] if depth else [])


def _table(cup: list[float]) -> Scene:
    rows = [{"name": "cup", "box": cup}, {"name": "plate", "box": [100, 100, 200, 150]}]
    return Scene.from_objects("table", 320, 240, rows, [(0, "near", 1)])


@pytest.mark.parametrize(("cup", "rivals"), [
    ([40, 100, 90, 150], ["left of"]),  # clearly left of the plate (10 px apart): "left of" is as right
    ([90, 90, 130, 140], []),  # overlapping it, shifted left only: "near" is the answer
])
def test_query_not_asked_where_a_direction_clearly_holds(cup: list[float], rivals: list[str]) -> None:
    scene = _table(cup)
    assert open_rivals(SceneIndex(scene), VOCAB, 0, 1, "near") == rivals
    got = qa(scene, "relation.query.v1", VOCAB)
    assert ("Where is the cup relative to the plate?" in got) == (not rivals), got


def test_rivals_leave_out_what_may_hold_with_the_answer() -> None:
    """A cup on a plate, above it: "above" may hold with "on" (`may_hold`); "near" says less."""
    scene = Scene.from_objects("table", 320, 240, [{"name": "cup", "box": [120, 60, 160, 104]},
                                                   {"name": "plate", "box": [100, 100, 200, 150]}], [(0, "on", 1)])
    assert open_rivals(SceneIndex(scene), VOCAB, 0, 1, "on") == []
    assert qa(scene, "relation.query.v1", VOCAB)["Where is the cup relative to the plate?"] == "on"
