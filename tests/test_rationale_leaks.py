"""What would answer a sample if said before its question (`rationale_leaks`)."""

from __future__ import annotations

import pytest

from veriscene.program import ExecutionContext, ProgramBuilder
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
    ("describe_object", [], f"The object in the region {BOX} is the small red circle.", True),
    ("describe_object", [], f"The object in the region {BOX} is the red circle.", False),  # not all it is
    ("query_name", [], f"The object in the region {BOX} is the small red circle.", True),
    ("query_box", [], f"The only object is at {BOX}.", True),
])
def test_markers_find_the_answer_said_of_the_same_object(ctx: ExecutionContext, op: str, args: list[str],
                                                         earlier: str, leaked: bool) -> None:
    sample = _sample(op, *args)
    markers = answer_markers(sample, ctx, "norm1")
    assert markers and leaks(markers, earlier) is leaked


def test_a_count_is_given_away_by_the_sentence_its_rationale_says(ctx: ExecutionContext) -> None:
    b = ProgramBuilder()
    b.add("count", b.add("filter_name", b.add("scene", args=[0]), args=["circle"]))
    sample = {"program": b.program, "meta": {"mode": "qa"}}
    markers = answer_markers(sample, ctx, "norm1")
    assert leaks(markers, f"Yes. There is one circle: the small red circle at {BOX}.")
    assert not leaks(markers, "There is one circle to the left of the square: ...")  # another set


def _counts(ctx: ExecutionContext, last: str, *args: str) -> dict:
    b = ProgramBuilder()
    circles = b.add("count", b.add("filter_name", b.add("scene", args=[0]), args=["circle"]))
    squares = b.add("count", b.add("filter_name", b.add("scene", args=[0]), args=["square"]))
    b.add(last, circles, squares, args=list(args))
    return {"program": b.program, "meta": {"mode": "qa"}}


@pytest.mark.parametrize("last, args", [("compare_int", ["equal"]), ("add_int", [])])
def test_a_comparison_or_sum_of_counts_is_given_away_by_every_count(ctx: ExecutionContext, last: str,
                                                                    args: list[str]) -> None:
    markers = answer_markers(_counts(ctx, last, *args), ctx, "norm1")
    assert leaks(markers, f"There is one circle: the small red circle at {BOX}. There is one square.")
    assert not leaks(markers, "There is one circle.")  # the squares' count is not said
    assert not leaks(markers, "There is one red circle. There is one square.")  # another set


def _two_images() -> ExecutionContext:
    star = {"name": "star", "box": [0, 0, 10, 10], "attributes": []}
    square = {"name": "square", "box": [0, 0, 10, 10], "attributes": []}
    return ExecutionContext([Scene.from_objects("a", 100, 100, [square], []),
                             Scene.from_objects("b", 100, 100, [star, square], [])])


def _per_image(last: str, tested: str = "star") -> dict:
    b = ProgramBuilder()
    tests = [b.add(tested, b.add("filter_name", b.add("scene", args=[k]), args=["star"])) for k in (0, 1)]
    b.add(last, *tests)
    return {"program": b.program, "meta": {"mode": "qa"}}


def test_a_false_and_is_given_away_by_one_image_a_true_or_too() -> None:
    ctx = _two_images()
    no = "In Image 1, is there any star? No, there are no stars there."
    yes = "In Image 2, is there any star? Yes."
    assert leaks(answer_markers(_per_image("and", "exists"), ctx, "norm1"), no)
    assert not leaks(answer_markers(_per_image("and", "exists"), ctx, "norm1"), yes)  # the other image decides
    assert leaks(answer_markers(_per_image("or", "exists"), ctx, "norm1"), yes)
    assert leaks(answer_markers(_per_image("select_image2", "exists"), ctx, "norm1"), yes)


def test_a_sum_over_images_is_given_away_by_each_image_s_count_not_by_another_image_s() -> None:
    ctx = _two_images()
    markers = answer_markers(_per_image("add_int", "count"), ctx, "norm1")
    assert leaks(markers, "In Image 1, there are no stars. In Image 2, there is one star.")
    assert not leaks(markers, "In Image 2, there is one star. In Image 2, there are no squares.")


def test_names_compared_over_images_are_given_away_by_each_image_s_kinds() -> None:
    ctx = _two_images()
    b = ProgramBuilder()
    b.add("set_intersect", *(b.add("names_in", b.add("scene", args=[k])) for k in (0, 1)))
    markers = answer_markers({"program": b.program, "meta": {}}, ctx, "norm1")
    assert leaks(markers, "In Image 1, the kinds of objects are: square. In Image 2, the kinds of objects are: "
                          "square, star. Of the first, not in the second: none.")
    assert not leaks(markers, "In Image 2, the kinds of objects are: square, star.")


def test_the_less_frequent_kind_is_given_away_by_both_counts() -> None:
    objects = [{"name": name, "box": [10 * k, 0, 10 * k + 5, 5], "attributes": []}
               for k, name in enumerate(("circle", "circle", "square"))]
    ctx = ExecutionContext(Scene.from_objects("f", 100, 100, objects, []))
    b = ProgramBuilder()
    kinds = [b.add("filter_name", b.add("scene", args=[0]), args=[name]) for name in ("circle", "square")]
    b.add("frequent_name", b.add("union", *kinds), args=["least"])
    markers = answer_markers({"program": b.program, "meta": {}}, ctx, "norm1")
    assert leaks(markers, "There is one square: the square at [...]. There are two circles, at [...] and [...].")
    assert not leaks(markers, "There is one square. There are two red circles.")


def test_which_of_two_is_larger_is_given_away_by_either_extreme(ctx: ExecutionContext) -> None:
    b = ProgramBuilder()
    circle, square = (b.add("unique", b.add("filter_name", b.add("scene", args=[0]), args=[name]))
                      for name in ("circle", "square"))
    largest = b.add("extreme", b.add("union", b.add("as_set", circle), b.add("as_set", square)), args=["largest"])
    b.add("same_object", largest, circle)
    markers = answer_markers({"program": b.program, "meta": {}}, ctx, "norm1")
    assert leaks(markers, "Of all objects, the largest is the blue square at [0.250, 0.550, 0.400, 0.850].")
    assert leaks(markers, f"Of the objects (circles and squares), the smallest is the small red circle at {BOX}.")
    assert not leaks(markers, f"Of all objects, the leftmost is the small red circle at {BOX}.")


def test_a_relation_said_before_a_colon_is_one_sentence(ctx: ExecutionContext) -> None:
    b = ProgramBuilder()
    circle, square = (b.add("unique", b.add("filter_name", b.add("scene", args=[0]), args=[name]))
                      for name in ("circle", "square"))
    b.add("relative_position", circle, square, args=["horizontal"])
    markers = answer_markers({"program": b.program, "meta": {}}, ctx, "norm1")
    assert leaks(markers, f"There is one object to the left of the blue square at [0.250, 0.550, 0.400, 0.850]: "
                          f"the small red circle at {BOX}.")


def test_captions_have_no_marker(ctx: ExecutionContext) -> None:
    b = ProgramBuilder()
    b.add("describe_scene", args=[0])
    assert answer_markers({"program": b.program, "meta": {}}, ctx, "norm1") == []


def test_listed_names_compared_over_images_are_given_away_by_each_image_s_listed_kinds() -> None:
    ctx = _two_images()
    b = ProgramBuilder()
    mine, theirs = (b.add("names_among", b.add("scene", args=[k]), args=[["star", "square"]]) for k in (0, 1))
    b.add("set_difference", theirs, mine)
    markers = answer_markers({"program": b.program, "meta": {}}, ctx, "norm1")
    assert leaks(markers, "In Image 1, the listed kinds of objects present are: square. In Image 2, the listed "
                          "kinds of objects present are: square, star.")
    assert not leaks(markers, "In Image 2, the listed kinds of objects present are: square, star.")
