"""Single-image attribute questions read an object annotated with two synonyms of the asked type
("big" and "large", "gray" and "grey": one value) as `query_attribute` answers it: by the first
word (`ops.one_value`). They were never asked (the generators wanted exactly one word of the
type), though the program has one answer. Two values ("blue" and "green") stay unasked."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import make_scene
from tests.generators.helpers import candidates, rect_mask
from veriscene.generators import Vocabulary
from veriscene.program import ExecutionContext
from veriscene.program.executor import run_nodes
from veriscene.scene import Scene
from veriscene.vocab import attribute_class

W, H = 200, 100

# index  name    box                  attributes
# 0      circle  [10, 10, 50, 50]     big, large (one size), red
# 1      circle  [140, 50, 160, 70]   blue, green (two colours: no colour to ask), small
# 2      square  [80, 20, 110, 50]    gray, grey (one colour), matte
# The square holds the big circle; the small circle wears the square (relations no viewer reads
# from the boxes, so each hop leads to one object).
BOXES = ([10, 10, 50, 50], [140, 50, 160, 70], [80, 20, 110, 50])
ATTRIBUTES = (("big", "large", "red"), ("blue", "green", "small"), ("gray", "grey", "matte"))


def _scene(attributes: tuple[tuple[str, ...], ...] = ATTRIBUTES) -> Scene:
    objects = [{"name": name, "box": box, "attributes": list(attrs), "mask": rect_mask(W, H, [box])}
               for name, box, attrs in zip(("circle", "circle", "square"), BOXES, attributes)]
    return make_scene(objects, [(2, "holding", 0), (1, "wearing", 2)], width=W, height=H)


VOCAB = Vocabulary(
    names=Counter({"circle": 2, "square": 1, "star": 1}),
    attributes=Counter({"big": 1, "large": 2, "huge": 1, "small": 2, "red": 2, "blue": 1, "green": 1,
                        "gray": 2, "grey": 1, "yellow": 1, "matte": 1, "shiny": 1}),
    predicates=Counter({"holding": 1, "wearing": 1, "near": 1}),
)


def _asked(scene: Scene, generator: str) -> dict[tuple[int, str], set[str]]:
    """(object asked about, attribute type) -> the answers of the generator's attribute questions
    (each program computes its candidate's answer: `helpers.candidates`). Checks that no option
    is a synonym of the answer."""
    found: dict[tuple[int, str], set[str]] = {}
    for cand, answer in candidates(scene, generator, VOCAB):
        last = cand.get_program()[-1]
        if last["op"] != "query_attribute":
            continue
        obj = run_nodes(cand.get_program(), ExecutionContext(scene))[last["inputs"][0]]
        found.setdefault((obj.index, last["args"][0]), set()).add(answer)
        same = attribute_class(answer)
        synonyms = [d for d in cand.distractors if attribute_class(d) == same]
        assert not synonyms, (answer, synonyms)
    return found


@pytest.mark.parametrize("generator, expected", [
    ("attribute.query.v1", {(0, "size"): {"big"}, (2, "color"): {"gray"}}),
    ("segmentation.point_object.v1", {(0, "size"): {"big"}, (2, "color"): {"gray"}}),
    # the square is the only one of its name: it has no extremes
    ("spatial.extreme.v1", {(0, "size"): {"big"}}),
    # "the object the square is holding", "the object the small circle is wearing"
    ("scene_graph.multihop.v1", {(0, "size"): {"big"}, (2, "color"): {"gray"}}),
])
def test_an_object_with_two_synonyms_is_asked_its_one_value(generator: str, expected: dict) -> None:
    asked = _asked(_scene(), generator)
    for key, answers in expected.items():
        assert asked.get(key) == answers, (key, asked)  # was never asked
    assert (1, "color") not in asked  # "blue" and "green": no single answer


@pytest.mark.parametrize("generator", ["attribute.query.v1", "segmentation.point_object.v1",
                                       "spatial.extreme.v1", "scene_graph.multihop.v1"])
def test_an_object_with_one_word_of_a_type_is_asked_as_before(generator: str) -> None:
    asked = _asked(_scene(), generator)
    # the small circle's size, the big circle's and the square's other words
    assert asked[(1, "size")] == {"small"}
    if generator != "spatial.extreme.v1":
        assert asked[(2, "finish")] == {"matte"}
        assert asked[(0, "color")] == {"red"}


@pytest.mark.parametrize("generator", ["attribute.query.v1", "segmentation.point_object.v1",
                                       "spatial.extreme.v1", "scene_graph.multihop.v1"])
def test_overlapping_words_are_not_one_value(generator: str) -> None:
    # "big" and "huge": a huge circle is big, but which size is it? query_attribute fails: not asked
    asked = _asked(_scene((("big", "huge", "red"), *ATTRIBUTES[1:])), generator)
    assert (0, "size") not in asked
    assert asked[(1, "size")] == {"small"}


def test_attribute_exists_asks_a_value_annotated_in_two_synonyms_once() -> None:
    """'big' and 'large' on one circle are one size: asked once ('big', the first), with one
    negative size beside it; before, both were asked 'yes' and two negatives drawn."""
    asked = Counter()
    for cand, answer in candidates(_scene(), "attribute.exists.v1", VOCAB):
        attr = cand.slots["attr"]
        asked[(cand.slots["one"], attr, answer)] += 1
    circle_sizes = [(attr, answer) for (one, attr, answer) in asked if one == "circle"
                    and attr in ("big", "large", "huge", "small")]
    assert sorted(circle_sizes) == [("big", True), ("small", True)]  # 'small' from the other circle
    square_colours = sorted((attr, answer) for (one, attr, answer) in asked if one == "square"
                            and attr in ("gray", "grey", "red", "blue", "green", "yellow"))
    assert [a for a in square_colours if a[1]] == [("gray", True)]
    assert len([a for a in square_colours if not a[1]]) == 1
