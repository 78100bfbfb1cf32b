"""Programs, referring expressions and chains read relations as the generators do: a box
shifted a direction's way may be read that way (`geometry.may_read`), a synonym as its class
("to the left of", "next to": `context.geometric_reading`), and an object is named by a direction
only where the boxes show it (`SceneIndex.shows`). Last, `relation.query`'s options hold a
converse pair whole or not at all."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from tests.conftest import make_scene
from tests.generators.helpers import candidates, offered, qa
from tests.generators.test_multi_ops import WORLD, made
from veriscene.engine.pool import ScenePool
from veriscene.errors import ExecutionFailure
from veriscene.generators import Vocabulary, get_generator
from veriscene.generators.base import GroupContext
from veriscene.generators.multi_image.select import clearly_not
from veriscene.generators.visual import GenerousReader, direction_shown, readable
from veriscene.program import ExecutionContext, ProgramBuilder, SceneIndex, execute
from veriscene.program.context import geometric_reading
from veriscene.scene.describe import refer
from veriscene.scene.model import Scene

# helper-175's plant and mug (GQA 2335871): the plant overlaps 40% of the mug's width, reaches
# further left and its centre lies 35 px left of the mug's: "left of" may be read, not shown
PLANT, MUG, CUP = [0, 120, 60, 240], [40, 200, 90, 260], [500, 0, 520, 20]


def _plants(relations: list[tuple[int, str, int]], sparse: bool = True) -> Scene:
    objects = [{"name": "plant", "box": PLANT}, {"name": "mug", "box": MUG}, {"name": "cup", "box": CUP}]
    return make_scene(objects, relations, width=640, height=480, meta={"sparse": ["relations"]} if sparse else None)


def _has(scene: Scene, a: str, predicate: str, b: str) -> bool:
    prog = ProgramBuilder()
    first = prog.add("unique", prog.add("filter_name", prog.add("scene", args=[0]), args=[a]))
    second = prog.add("unique", prog.add("filter_name", prog.add("scene", args=[0]), args=[b]))
    prog.add("has_relation", first, second, args=[predicate])
    answer: bool = execute(prog.program, scene)
    return answer


@pytest.mark.parametrize("predicate", ["left of", "to the left of"])
def test_a_sparse_no_is_never_one_a_viewer_may_read(predicate: str) -> None:
    scene = _plants([])
    index = SceneIndex(scene)
    # as the generators read it (`GenerousReader.could_hold`): the plant may be read left of the mug
    assert GenerousReader.of(index).could_hold(0, predicate, 1)
    assert index.could_hold(0, predicate, 1)
    with pytest.raises(ExecutionFailure, match="may hold|unknown"):
        _has(scene, "plant", predicate, "mug")  # it answered "no" ("mostly left" only)
    # the opposite annotated does not decide it either where the boxes show the plant that way
    with pytest.raises(ExecutionFailure, match="may hold|unknown"):
        _has(_plants([(0, "right of", 1)]), "plant", predicate, "mug")
    # clearly not: the mug is not left of the plant, in any wording
    assert _has(scene, "mug", predicate, "plant") is False


def test_a_synonym_of_near_is_read_from_the_boxes() -> None:
    scene = _plants([])
    assert geometric_reading("next to") == "near" and geometric_reading("on") == ""
    assert _has(scene, "cup", "next to", "mug") is False  # far apart ("unknown" before)
    with pytest.raises(ExecutionFailure):
        _has(scene, "plant", "next to", "mug")  # they overlap: may be next to it
    with pytest.raises(ExecutionFailure):
        _has(scene, "cup", "on", "mug")  # the boxes do not decide "on"


def test_readable_reads_synonyms_of_directions() -> None:
    index = SceneIndex(_plants([], sparse=False))
    assert readable(index, 0, "to the left of", 1) and readable(index, 0, "left of", 1)
    assert not readable(index, 1, "to the left of", 0)
    # shown: mostly that way, not merely shifted, in any wording
    assert not direction_shown(index, 0, "to the left of", 1) and not index.shows(0, "left of", 1)
    assert index.shows(0, "near", 1) and index.shows(0, "on", 1)


# Two circles and a square of one row (boxes xyxy, 200 x 100 image): the first circle is annotated
# left of the square.
SQUARE = [100, 0, 140, 40]


def _circles(first: list[float], second: list[float], predicate: str = "left of") -> Scene:
    objects = [{"name": "circle", "box": first}, {"name": "circle", "box": second},
               {"name": "square", "box": SQUARE, "attributes": ["blue"]}]
    return make_scene(objects, [(0, predicate, 2)])


VOCAB = Vocabulary(names=Counter({"circle": 2, "square": 1, "star": 1}), attributes=Counter({"blue": 1, "red": 1}),
                   predicates=Counter({"left of": 2, "right of": 1, "to the left of": 1, "near": 1}))


@pytest.mark.parametrize("predicate", ["left of", "to the left of"])
def test_no_object_is_named_by_a_direction_the_boxes_do_not_show(predicate: str) -> None:
    # the first circle overlaps most of the square's width (annotated from its own left, say)
    scene = _circles([90, 0, 130, 40], [160, 50, 190, 90], predicate)
    assert refer(SceneIndex(scene), 0) is None  # it was "the circle to the left of the square"
    assert candidates(scene, "grounding.refexp.v1", VOCAB) == []
    assert not any(predicate in q for q in qa(scene, "scene_graph.multihop.v1", VOCAB))
    # shown: named so, and asked about
    shown = _circles([0, 0, 40, 40], [160, 50, 190, 90], predicate)
    found = refer(SceneIndex(shown), 0)
    assert found is not None and found.phrase.startswith("circle to the left of")
    assert [a for _, a in candidates(shown, "grounding.refexp.v1", VOCAB)] == [[0.0, 0.0, 40.0, 40.0]]
    assert qa(shown, "scene_graph.multihop.v1", VOCAB)["What kind of object is the object that is to the left of the square?"] == "circle"


def test_no_object_is_named_by_a_direction_another_may_be_read_in() -> None:
    # the second circle is shifted left of the square (its centre 25 px left of the square's,
    # both edges further left), not mostly left of it: a viewer may read it "left of" too
    scene = _circles([0, 0, 40, 40], [75, 50, 115, 90])
    assert refer(SceneIndex(scene), 0) is None  # "the circle to the left of the square" is either
    index = SceneIndex(_circles([0, 0, 40, 40], [75, 50, 115, 90]))
    assert index.could_hold(1, "left of", 2) and not index.shows(1, "left of", 2)
    # a second circle right of the square leaves the first the only one
    assert refer(SceneIndex(_circles([0, 0, 40, 40], [150, 50, 190, 90])), 0) is not None


def _pair(circle: list[float], predicate: str, image_id: str) -> Scene:
    """A circle and a square (200 x 100 image), the circle annotated `predicate` the square."""
    objects = [{"name": "circle", "box": circle}, {"name": "square", "box": SQUARE}]
    return make_scene(objects, [(0, predicate, 1)], image_id=image_id)


def test_which_image_has_a_relation_asks_only_directions_shown_and_clear_negatives() -> None:
    def asked(anchor: Scene) -> list[str]:
        partner = WORLD["C"]  # a square, no circle
        ctx = GroupContext(anchor, SceneIndex(anchor), ExecutionContext(anchor), np.random.default_rng(0), VOCAB,
                           ScenePool.from_scenes([partner]))
        gen = get_generator("multi.has_relation.v1")()
        gen.group_sizes = (2,)  # type: ignore[attr-defined]
        return [c.slots["rel"] for c in made(gen.propose(ctx))]

    assert asked(_pair([0, 0, 40, 40], "left of", "a")) == ["to the left of"]
    assert asked(_pair([90, 0, 130, 40], "left of", "a")) == []  # over most of the square's width
    # every circle annotated right of every square, but one shifted left of it: no clear negative
    shifted = SceneIndex(_pair([60, 0, 110, 40], "right of", "b"))
    assert not clearly_not(shifted, "circle", "left of", "square")
    assert clearly_not(SceneIndex(_pair([150, 0, 190, 40], "right of", "c")), "circle", "left of", "square")


def test_query_options_hold_a_converse_pair_whole_or_not_at_all() -> None:
    # the circle above the square and shifted left of it ("left of" may be read: never offered);
    # a star and a triangle side by side give the scene "left of" and "right of" answers
    objects = [{"name": "circle", "box": [20, 0, 60, 30]}, {"name": "square", "box": [40, 50, 80, 90]},
               {"name": "star", "box": [120, 10, 140, 30]}, {"name": "triangle", "box": [170, 10, 190, 30]}]
    relations = [(0, "above", 1), (1, "below", 0), (2, "left of", 3), (3, "right of", 2)]
    vocab = Vocabulary(names=Counter({"circle": 1, "square": 1, "star": 1, "triangle": 1}), attributes=Counter(),
                       predicates=Counter({"left of": 2, "right of": 2, "above": 1, "below": 1}))
    answers, wrong = offered(make_scene(objects, relations), "relation.query.v1", vocab, seeds=range(40),
                             keep=lambda cand: cand.slots == {"the_a": "the circle", "the_b": "the square"})
    # "right of" alone beside "above" and "below" told the answer was one of those two
    assert answers == {"above"} and wrong == {"below"}
    # the star's question is offered its converse only: "above" and "below" are wrong for it, but
    # a set of three must be wrong for each of its answers' questions ("right of" may be read of
    # the square below the circle: `option_blocks`), so the scene's sets are the two pairs
    _, wrong = offered(make_scene(objects, relations), "relation.query.v1", vocab, seeds=range(40),
                       keep=lambda cand: cand.slots == {"the_a": "the star", "the_b": "the triangle"})
    assert wrong == {"right of"}
