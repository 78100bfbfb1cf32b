"""Step-level checks: intermediate node values of multi-hop programs and the process reward."""

from __future__ import annotations

import pytest

from veriscene.errors import ExecutionFailure
from veriscene.program import ProgramBuilder
from veriscene.rewards import (
    process_reward,
    process_targets,
    program_steps,
    reference_trace,
    score_trace,
)
from veriscene.rewards.process_score import ProcessTargets, split_statements
from veriscene.scene import Scene

W, H = 400, 200


@pytest.fixture
def scene() -> Scene:
    """index name      box (px)              attributes
       0     circle    [20, 120, 60, 160]    red       left of the square
       1     square    [100, 110, 160, 170]  blue      below the triangle
       2     triangle  [110, 20, 150, 60]    green
       3     circle    [300, 120, 340, 160]  green
       4     star      [200, 20, 240, 60]    yellow
       5     hexagon   [340, 20, 390, 60]    red"""
    objects = [
        {"name": "circle", "box": [20, 120, 60, 160], "attributes": ["red"]},
        {"name": "square", "box": [100, 110, 160, 170], "attributes": ["blue"]},
        {"name": "triangle", "box": [110, 20, 150, 60], "attributes": ["green"]},
        {"name": "circle", "box": [300, 120, 340, 160], "attributes": ["green"]},
        {"name": "star", "box": [200, 20, 240, 60], "attributes": ["yellow"]},
        {"name": "hexagon", "box": [340, 20, 390, 60], "attributes": ["red"]},
    ]
    relations = [(0, "left of", 1), (1, "right of", 0), (2, "above", 1), (1, "below", 2)]
    return Scene.from_objects("hop", W, H, objects, relations)


def two_hop() -> list[dict]:
    """What color is the circle left of the square below the triangle?  -> red"""
    b = ProgramBuilder()
    tri = b.add("unique", b.add("filter_name", b.add("scene", args=[0]), args=["triangle"]))
    below = b.add("relate", tri, args=["above", "subject"])          # {square}
    square = b.add("unique", below)
    circles = b.add("filter_name", b.add("scene", args=[0]), args=["circle"])
    left = b.add("filter_relation", circles, below, args=["left of", "subject"])  # {circle 0}
    b.add("query_attribute", b.add("unique", left), args=["color"])
    assert square == 4
    return b.program


def counting() -> list[dict]:
    """Are there more circles than squares?  -> yes"""
    b = ProgramBuilder()
    n_circles = b.add("count", b.add("filter_name", b.add("scene", args=[0]), args=["circle"]))
    n_squares = b.add("count", b.add("filter_name", b.add("scene", args=[0]), args=["square"]))
    b.add("compare_int", n_circles, n_squares, args=["greater"])
    return b.program


def sample(program: list[dict]) -> dict:
    return {"program": program, "meta": {"box_format": "norm1", "image_size": [W, H]}}


def test_intermediate_values_of_a_two_hop_program(scene):
    steps = program_steps(two_hop(), scene)
    assert [(s.node, s.op, s.kind) for s in steps] == [
        (2, "unique", "object"), (3, "relate", "object"), (7, "filter_relation", "object")]
    assert [s.value["name"] for s in steps] == ["triangle", "square", "circle"]
    assert steps[2].value["box"] == [20.0, 120.0, 60.0, 160.0]
    assert steps[0].text == "the green triangle at [0.275, 0.100, 0.375, 0.300]"
    every = program_steps(two_hop(), scene, select="all")
    assert [s.node for s in every] == [1, 3, 6, 7]  # the triangle (first as a set) and the circles
    assert every[2].text == "two circles at [0.050, 0.600, 0.150, 0.800], [0.750, 0.600, 0.850, 0.800]"


def test_counts_are_steps(scene):
    steps = program_steps(counting(), scene)
    assert [(s.kind, s.value) for s in steps] == [
        ("count", {"count": 2, "name": "circle"}), ("count", {"count": 1, "name": "square"})]
    assert [s.text for s in steps] == ["two circles", "a square"]


def test_failing_program_raises(scene):
    b = ProgramBuilder()
    b.add("query_name", b.add("unique", b.add("filter_name", b.add("scene", args=[0]), args=["circle"])))
    with pytest.raises(ExecutionFailure):
        program_steps(b.program, scene)


TRI = "[0.28, 0.10, 0.38, 0.30]"
SQUARE = "[0.25, 0.55, 0.40, 0.85]"
RED_CIRCLE = "[0.05, 0.60, 0.15, 0.80]"
GREEN_CIRCLE = "[0.75, 0.60, 0.85, 0.80]"
STAR = "[0.50, 0.10, 0.60, 0.30]"
HEXAGON = "[0.85, 0.10, 0.97, 0.30]"


@pytest.mark.parametrize(("trace", "expected", "options"), [
    ((f"Step 1: the triangle at {TRI}.\nStep 2: the square below it at {SQUARE}.\n"
      f"Step 3: the circle left of the square at {RED_CIRCLE}."), 1.0, {}),
    ("The triangle is at the top. Below it is the square. The circle to its left is red.", 1.0, {}),
    ("The triangle is at the top. Below it is the square. The circle to its left is red.", 0.0,
     {"require_boxes": True}),
    # wrong intermediate object: the green circle instead of the red one; R = P = 2/3
    (f"<step>triangle {TRI}</step><step>square {SQUARE}</step><step>circle {GREEN_CIRCLE}</step>", 2 / 3, {}),
    # only the anchor: R = 1/3, P = 1
    (f"The triangle is at {TRI}.", 0.5, {}),
    # a wrong attribute for the right name does not count: R = 2/3, P = 2/3
    ("I see the green triangle. The square is below it. The green circle is left of it.", 2 / 3, {}),
    ("", 0.0, {}),
    ("%$#@! 17 [9, 9]", 0.0, {}),
])
def test_trace_scores(scene, trace, expected, options):
    targets = process_targets(sample(two_hop()), scene)
    completion = f"<think>{trace}</think><answer>red</answer>"
    assert score_trace(completion, targets, **options).score == pytest.approx(expected)


def test_listing_every_object_does_not_pay(scene):
    targets = process_targets(sample(two_hop()), scene)
    everything = "\n".join(f"object at {b}" for b in (TRI, SQUARE, RED_CIRCLE, GREEN_CIRCLE, STAR, HEXAGON))
    result = score_trace(f"<think>{everything}</think><answer>red</answer>", targets)
    assert result.recall == 1.0 and result.precision == pytest.approx(0.5)
    assert result.score == pytest.approx(2 / 3)
    names = "\n".join(f"the {n}" for n in ("triangle", "square", "circle", "star", "hexagon"))
    assert score_trace(f"<think>{names}</think>", targets).score < 0.8


@pytest.mark.parametrize(("trace", "expected"), [
    ("There are 2 circles. There is one square. So more circles.", 1.0),
    ("There are three circles and one square.", 0.5),       # split at "and": one right, one wrong
    ("There are 3 circles. There is 1 square.", 0.5),
    ("1 2 3 4 5", 0.0),
    ("Step 1: two circles.\nStep 2: a square.", 1.0),      # the words of `reference_trace`
    ("There are 2 circles. There is a single blue square.", 1.0),
    ("There are 2 circles. There is a triangle.", 2 / 3),    # "a" counts one of what it names only
])
def test_count_steps(scene, trace, expected):
    targets = process_targets(sample(counting()), scene)
    assert score_trace(trace, targets).score == pytest.approx(expected)


def test_reference_trace_scores_full_marks(scene):
    targets = process_targets(sample(two_hop()), scene)
    trace = reference_trace(targets.steps, "red")
    assert trace.startswith("<think>\nStep 1: the green triangle at [0.275, 0.100, 0.375, 0.300].")
    assert score_trace(trace, targets).score == 1.0
    assert split_statements("<step>a</step> x <step>b</step>") == ["a", "b"]


def test_process_reward_trl_convention(scene):
    hop = process_targets(sample(two_hop()), scene).to_json()
    b = ProgramBuilder()
    b.add("count", b.add("filter_name", b.add("scene", args=[0]), args=["circle"]))
    single = process_targets(sample(b.program), scene)
    assert single.steps == ()
    good = [{"role": "assistant", "content": f"<think>triangle {TRI}\nsquare {SQUARE}\ncircle {RED_CIRCLE}</think>"
                                             "<answer>red</answer>"}]
    out = process_reward(prompts=["q"] * 3, completions=[good, "junk", "2"], process=[hop, hop, single.to_json()])
    assert out == [1.0, 0.0, None]
    assert ProcessTargets.from_json(hop) == process_targets(sample(two_hop()), scene)
    with pytest.raises(ValueError, match="process"):
        process_reward(prompts=["q"], completions=["x"])


def test_demo_relation_samples(demo_run, demo_samples):
    from veriscene.answers import format_box
    from veriscene.scene.jsonl import read_scenes

    scenes = {s.image_id: s for s in read_scenes(demo_run / "scenes.jsonl")}
    hops = [s for s in demo_samples if any(n["op"] == "filter_relation" for n in s["program"])]
    assert hops
    for s in hops:
        targets = process_targets(s, [scenes[img["id"]] for img in s["images"]])
        assert targets.steps, s["id"]
        answer = format_box(s["answer"], s["meta"]["image_size"]) if s["answer_type"] == "box" else str(s["answer"])
        assert score_trace(reference_trace(targets.steps, answer), targets).score == 1.0, s["id"]


def test_count_of_a_name_the_scene_lacks(scene):
    b = ProgramBuilder()
    n_diamonds = b.add("count", b.add("filter_name", b.add("scene", args=[0]), args=["diamond"]))
    n_stars = b.add("count", b.add("filter_name", b.add("scene", args=[0]), args=["star"]))
    b.add("compare_int", n_diamonds, n_stars, args=["less"])
    targets = process_targets(sample(b.program), scene)
    assert [s.text for s in targets.steps] == ["zero diamonds", "a star"]
    assert score_trace(reference_trace(targets.steps, "yes"), targets).score == 1.0
    assert score_trace("There are no diamonds. There is one star.", targets).score == 1.0
    assert score_trace("There are no diamonds.", targets).score == pytest.approx(2 / 3)  # R 1/2, P 1


def test_every_demo_reference_trace_scores_full_marks(demo_run, demo_samples):
    from veriscene.scene.jsonl import read_scenes

    scenes = {s.image_id: s for s in read_scenes(demo_run / "scenes.jsonl")}
    scored = 0
    for s in demo_samples:
        targets = process_targets(s, [scenes[img["id"]] for img in s["images"]])
        if targets.steps:
            scored += 1
            assert score_trace(reference_trace(targets.steps, "x"), targets).score == 1.0, (s["task"], s["id"])
    assert scored > 100


def test_process_reward_reads_reasoning_a_chat_parser_split_off(scene):
    hop = process_targets(sample(two_hop()), scene).to_json()
    parsed = [{"role": "assistant", "content": "<answer>red</answer>",
               "reasoning_content": f"triangle {TRI}\nsquare {SQUARE}\ncircle {RED_CIRCLE}"}]
    assert process_reward(prompts=["q"], completions=[parsed], process=[hop]) == [1.0]


@pytest.mark.parametrize(("cell", "why"), [("{bad", "JSONDecodeError"), ('{"steps": []}', "KeyError: 'names'")])
def test_process_reward_names_a_bad_cell(cell, why):
    with pytest.raises(ValueError, match=rf"column 'process', row 1: .*{why}"):
        process_reward(prompts=["q", "q"], completions=["x", "y"], process=[None, cell])


def test_an_image_label_is_no_number_claim() -> None:
    """"Image 2" names an image: a bool said beside it is read, and no count is claimed."""
    from veriscene.rewards.process import Step

    targets = ProcessTargets(steps=(Step(3, "exists", "bool", True, "yes"),), names=("star",), attributes=())
    scored = score_trace("<think>In Image 2 there is a star, yes.</think><answer>Image 2</answer>", targets)
    assert (scored.score, scored.claims) == (1.0, 0)
    assert score_trace("<think>There are 2 stars, yes.</think>", targets).claims == 1  # a count is still one


def test_an_empty_relation_search_is_named_after_what_it_searches(scene):
    """Diamonds above a circle, in a scene without diamonds: the step is "no diamonds" (it was
    named after the circles the relation is to, so a trace saying the truth missed it)."""
    b = ProgramBuilder()
    diamonds = b.add("filter_name", b.add("scene", args=[0]), args=["diamond"])
    circles = b.add("filter_name", b.add("scene", args=[0]), args=["circle"])
    b.add("exists", b.add("filter_relation", diamonds, circles, args=["above", "subject"]))
    targets = process_targets(sample(b.program), scene)
    assert [(s.kind, s.value, s.text) for s in targets.steps] == [
        ("objects", {"name": "diamond", "count": 0, "boxes": []}, "no diamonds")]
    assert score_trace("<think>There are no diamonds there.</think><answer>no</answer>", targets).score == 1.0
    assert score_trace("<think>There are no circles there.</think><answer>no</answer>", targets).score == 0.0


def test_a_list_of_boxes_joined_by_and_is_one_statement(scene):
    """ "They are at [a] and [b]" states a set of two (as `veriscene.rationale` words it); counts
    joined by "and" are still two statements."""
    assert split_statements(f"They are at {RED_CIRCLE}, {SQUARE} and {GREEN_CIRCLE}.") == [
        f"They are at {RED_CIRCLE}, {SQUARE} and {GREEN_CIRCLE}."]
    assert split_statements("three circles and one square") == ["three circles", "one square"]
    assert split_statements(f"a circle at {RED_CIRCLE} and the square") == [f"a circle at {RED_CIRCLE}", "the square"]
    targets = process_targets(sample(two_hop()), scene, select="all")  # the two circles are a step
    said = f"The triangle at {TRI}. The square at {SQUARE}. Circles at {RED_CIRCLE} and {GREEN_CIRCLE}. " \
           f"The one left of the square at {RED_CIRCLE}."
    assert score_trace(said, targets).score == 1.0


@pytest.mark.parametrize(("meta", "box_format", "first"), [
    ({"config": {"box_format": "pixel"}}, "pixel", "the green triangle at [110, 20, 150, 60]"),
    ({"config": {"box_format": "norm1000"}}, "norm1000", "the green triangle at [275, 100, 375, 300]"),
    ({"box_format": "norm1", "config": {"box_format": "pixel"}}, "norm1", "the green triangle at [0.275, 0.100, 0.375, 0.300]"),
    ({}, "norm1", "the green triangle at [0.275, 0.100, 0.375, 0.300]"),
])
def test_a_sample_without_boxes_of_its_own_has_its_generators_box_format(scene, meta, box_format, first):
    """A run configured for pixel (or norm1000) boxes: a sample asking no box (a color, a place)
    records the convention in its config only; its steps, and its rationale, give boxes in it
    (the process targets were in norm1 while the rationale said pixels: every box a false claim)."""
    from veriscene.rationale import rationale, reasoning_target

    record = {"program": two_hop(), "meta": meta}
    targets = process_targets(record, scene)
    assert (targets.box_format, targets.steps[0].text) == (box_format, first)
    said = rationale(record, scene)
    assert first.removeprefix("the green triangle ") in said
    assert score_trace(reasoning_target(said, "red"), targets).score == 1.0


@pytest.mark.parametrize(("box_format", "square", "circle"), [
    ("norm1", "[0.125, 0.183, 0.200, 0.283]", "[0.375, 0.500, 0.500, 0.667]"),
    ("norm1000", "[125, 183, 200, 283]", "[375, 500, 500, 667]"),
    ("pixel", "[100, 110, 160, 170]", "[300, 300, 400, 400]"),
])
def test_boxes_of_a_second_image_of_another_size(box_format, square, circle):
    """Images of a multi-image sample may differ in size: a box of Image 2 is normalised by Image
    2's size, as the rationale says it (it was normalised by Image 1's, clipped to [0.750, 1.000,
    1.000, 1.000], and the rationale's true boxes scored 0.0)."""
    from veriscene.rationale import rationale, reasoning_target

    first = Scene.from_objects("a", 400, 200, [{"name": "circle", "box": [20, 120, 60, 160], "attributes": ["red"]}], [])
    second = Scene.from_objects("b", 800, 600, [{"name": "square", "box": [100, 110, 160, 170], "attributes": ["blue"]},
                                                {"name": "circle", "box": [300, 300, 400, 400], "attributes": ["green"]}],
                                [(1, "right of", 0)])
    b = ProgramBuilder()
    squares = b.add("filter_name", b.add("scene", args=[1]), args=["square"])
    circles = b.add("filter_name", b.add("scene", args=[1]), args=["circle"])
    b.add("query_attribute", b.add("unique", b.add("filter_relation", circles, squares, args=["right of", "subject"])),
          args=["color"])
    record = {"program": b.program, "meta": {"box_format": box_format}}
    targets = process_targets(record, [first, second])
    assert [s.text for s in targets.steps] == [f"the blue square at {square}", f"the green circle at {circle}"]
    assert [s.value["image"] for s in targets.steps] == [1, 1]
    assert targets.image_sizes == ((400, 200), (800, 600))
    assert ProcessTargets.from_json(targets.to_json()) == targets
    said = rationale(record, [first, second])
    assert said.startswith(f"In Image 2, there is one circle to the right of the blue square at {square}: ")
    assert score_trace(reasoning_target(said, "green"), targets).score == 1.0
    assert score_trace(reference_trace(targets.steps, "green"), targets).score == 1.0
    assert score_trace(f"<think>The green circle at {square}.</think>", targets).score < 0.7  # the square's box


# --- statements that name every candidate state none -----------------------------------------

def _targets(*steps: tuple[str, object]) -> ProcessTargets:
    from veriscene.rewards.process import Step
    return ProcessTargets(steps=tuple(Step(k + 1, "op", kind, value, str(value)) for k, (kind, value) in enumerate(steps)),
                          names=("circle", "hexagon", "square", "star", "triangle"),
                          attributes=("blue", "green", "red", "yellow", "large", "small"),
                          image_size=(W, H))


@pytest.mark.parametrize(("step", "trace", "expected"), [
    # a count in a run of numbers: "0 1 2 3 4 5" stated every count with precision 1
    (("count", {"count": 2, "name": "star"}), "There are 0 1 2 3 4 5 stars.", 0.0),
    (("count", {"count": 2, "name": "star"}), "There are 1, 2 or 3 stars.", 0.0),
    (("count", {"count": 2, "name": "star"}), "There are 2 stars or maybe 3.", 0.0),
    (("count", {"count": 2, "name": "star"}), "0 1 2 3 circles squares stars hexagons.", 0.0),
    (("count", {"count": 2, "name": "star"}), "There are two stars.", 1.0),
    (("count", {"count": 2, "name": "star"}), "Altogether 1 + 1 = 2: two stars.", 1.0),  # arithmetic
    (("count", {"count": 2, "name": "star"}), "One square is fewer than two stars.", 1.0),  # a comparison
    # a value among others that cannot hold with it
    (("value", "green"), "The color is red, green, blue or yellow.", 0.0),
    (("value", "green"), "The triangle is green.", 1.0),
    (("value", "large"), "The large star is tall.", 1.0),  # a height is no second size
    (("value", "left of"), "It is left of, right of, above or below it.", 0.0),
    (("value", "left of"), "The circle is left of the square.", 1.0),
    # a set among more
    (("values", ["hexagon", "square"]), "circle, hexagon, square, star, triangle", 0.0),
    (("values", ["hexagon", "square"]), "The images share hexagon, square", 1.0),
    (("values", ["green", "red"]), "red, green, blue, yellow", 0.0),
    (("values", ["green", "red"]), "Colors in common: red, green", 1.0),
    # both answers
    (("bool", True), "Yes or no.", 0.0),
    (("bool", False), "Yes or no.", 0.0),
    (("bool", True), "Yes.", 1.0),
    (("bool", True), "Yes, it is not red.", 1.0),
])
def test_statements_naming_every_candidate_state_none(step, trace, expected):
    assert score_trace(f"<think>{trace}</think><answer>x</answer>", _targets(step)).score == pytest.approx(expected)


def test_a_trace_listing_everything_earns_little(scene):
    everything = ("The color is red, green, blue, yellow. Yes or no. It is left of, right of, above, below. "
                  "There are 0 1 2 3 4 5 circles squares triangles stars hexagons.")
    for program in (two_hop(), counting()):
        targets = process_targets(sample(program), scene)
        assert score_trace(f"<think>{everything}</think>", targets).score == 0.0
