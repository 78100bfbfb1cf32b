"""names_among: a set's names restricted to a question's listed words (ops_sets), on the hand-built
world of tests/generators/test_multi_ops (A: circle, square; B: circle x2, triangle; C: square,
triangle, star; D: square, circle)."""

import json
from typing import Any

import pytest

from tests.conftest import make_scene
from tests.generators.test_multi_ops import WORLD
from veriscene.errors import ExecutionFailure, ProgramError
from veriscene.program import ExecutionContext, ProgramBuilder, check_program, execute
from veriscene.program.registry import get_op


def _among(words: Any, image: int = 0, name: str | None = None) -> list[dict[str, Any]]:
    b = ProgramBuilder()
    node = b.add("scene", args=[image])
    if name is not None:
        node = b.add("filter_name", node, args=[name])
    b.add("names_among", node, args=[words])
    return b.program


@pytest.mark.parametrize(("scene", "words", "answer"), [
    ("C", ["star", "circle", "kite"], ["star"]),  # listed order is not the answer's: sorted
    ("C", ["triangle", "square", "star"], ["square", "star", "triangle"]),
    ("B", ["square", "kite"], []),  # none of them: the empty set ("none")
    ("B", ["circle"], ["circle"]),  # two circles, one name
])
def test_names_among_is_the_set_s_names_that_are_listed(scene: str, words: list[str], answer: list[str]) -> None:
    assert execute(_among(words), ExecutionContext([WORLD[scene]])) == answer


def test_names_among_of_a_filtered_set_and_over_images() -> None:
    assert execute(_among(["circle", "square"], name="square"), ExecutionContext([WORLD["A"]])) == ["square"]
    # "which of star, square, circle are in C but not in D?"
    b = ProgramBuilder()
    words = ["star", "square", "circle"]
    mine, other = (b.add("names_among", b.add("scene", args=[k]), args=[words]) for k in (0, 1))
    b.add("set_difference", mine, other)
    assert execute(b.program, ExecutionContext([WORLD["C"], WORLD["D"]])) == ["star"]
    again = json.loads(json.dumps(b.program))  # the words survive JSON as an array
    assert again == b.program and execute(again, ExecutionContext([WORLD["C"], WORLD["D"]])) == ["star"]


@pytest.mark.parametrize("words", ["circle", [], ["circle", "circle"], ["circle", 1], ["circle", ""], [" circle"],
                                   [["circle"]], None])
def test_the_checker_refuses_any_argument_but_a_list_of_distinct_words(words: Any) -> None:
    with pytest.raises(ProgramError, match=r"node 1 \(names_among\): argument 0 must be WordList, got "):
        check_program(_among(words))


def test_names_among_is_described_with_its_argument_type() -> None:
    spec = get_op("names_among")
    assert spec.describe_args() == ["WordList"] and spec.inputs == ("Objects",) and spec.out == "StrSet"


def test_names_among_fails_where_the_set_may_miss_objects() -> None:
    # cups may be missed (only dogs are annotated in full): a listed "cup" may be in the image
    scene = make_scene([{"name": "cup", "box": [10, 10, 20, 20]}, {"name": "dog", "box": [50, 50, 90, 90]}],
                       meta={"exhaustive": ["dog"]})
    with pytest.raises(ExecutionFailure, match="which of the listed names the set holds is unknown"):
        execute(_among(["cup", "dog"]), ExecutionContext([scene]))
    assert execute(_among(["cup", "dog"], name="dog"), ExecutionContext([scene])) == ["dog"]
