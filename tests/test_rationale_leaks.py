"""What would answer a sample if said before its question (`rationale_leaks`)."""

from __future__ import annotations

import pytest

from veriscene.program import ExecutionContext, ProgramBuilder
from veriscene.rationale import rationale
from veriscene.rationale_leaks import answer_markers, leaks
from veriscene.scene import Scene

BOX = "[0.050, 0.600, 0.150, 0.800]"  # the red circle's


@pytest.fixture
def ctx() -> ExecutionContext:
    objects = [{"name": "circle", "box": [20, 120, 60, 160], "attributes": ["red", "small"]},
               {"name": "square", "box": [100, 110, 160, 170], "attributes": ["blue"]}]
    return ExecutionContext(Scene.from_objects("r", 400, 200, objects, [(0, "left of", 1)]))


def _sample(op: str, *args: str) -> dict:
    b = ProgramBuilder()
    circle = b.add("unique", b.add("filter_name", b.add("scene", args=[0]), args=["circle"]))
    b.add(op, circle, args=list(args))
    return {"program": b.program, "meta": {"mode": "qa"}}


@pytest.mark.parametrize("op, args, earlier, leaked", [
    ("query_attribute", ["color"], f"There is one circle: the small red circle at {BOX}.", True),
    ("query_attribute", ["color"], f"The size of the circle at {BOX} is small.", False),  # another attribute
    ("query_attribute", ["color"], "There is one square: the blue square at [0.250, 0.550, 0.400, 0.850]. A red "
                                   "thing.", False),  # red, but not of this object
    ("query_name", [], f"The point lies on the small red circle at {BOX}.", True),
    ("query_name", [], f"There are two objects, at {BOX} and [0.250, 0.550, 0.400, 0.850].", False),
    ("describe_object", [], f"A small red circle at {BOX}, a blue square.", True),
    ("query_box", [], f"The only object is at {BOX}.", True),
])
def test_markers_find_the_answer_said_of_the_same_object(ctx: ExecutionContext, op: str, args: list[str],
                                                         earlier: str, leaked: bool) -> None:
    sample = _sample(op, *args)
    markers = answer_markers(sample, ctx, "norm1", rationale(sample, ctx))
    assert markers and leaks(markers, earlier) is leaked


def test_a_count_is_given_away_by_the_sentence_its_rationale_says(ctx: ExecutionContext) -> None:
    b = ProgramBuilder()
    b.add("count", b.add("filter_name", b.add("scene", args=[0]), args=["circle"]))
    sample = {"program": b.program, "meta": {"mode": "qa"}}
    markers = answer_markers(sample, ctx, "norm1", rationale(sample, ctx))
    assert leaks(markers, f"Yes. There is one circle: the small red circle at {BOX}.")
    assert not leaks(markers, "There is one circle to the left of the square: ...")  # another set


def test_a_sum_has_no_marker(ctx: ExecutionContext) -> None:
    b = ProgramBuilder()
    n = b.add("count", b.add("filter_name", b.add("scene", args=[0]), args=["circle"]))
    b.add("add_int", n, n)
    assert answer_markers({"program": b.program, "meta": {}}, ctx, "norm1") == []
