"""Every generator on 100 random demo scenes (masks and depth): every sample verifies, yes/no is
balanced and the correct multiple-choice option is uniformly placed."""

from collections import Counter

import pytest

from veriscene.demo.world import iter_scene_graphs
from veriscene.generators import SceneRunner, Vocabulary, select_generators
from veriscene.generators.base import MultiImageGenerator
from veriscene.program import ExecutionContext, execute
from veriscene.sample import OPTION_LETTERS
from veriscene.verify import answers_equal


@pytest.fixture(scope="module")
def run():
    scenes = list(iter_scene_graphs(100, seed=5))
    # single-image generators only: the multi-image ones need a partner pool (tests/generators/test_multi_global.py)
    generators = [g() for g in select_generators() if not issubclass(g, MultiImageGenerator)]
    runner = SceneRunner(generators, Vocabulary.from_scenes(scenes), seed=3, modes=("qa", "mc"))
    samples = [(scene, s) for scene in scenes for s in runner.run(scene)]
    return samples, {g.name: g for g in generators}


def test_every_sample_verifies(run) -> None:
    samples, generators = run
    contexts: dict[str, ExecutionContext] = {}  # one per scene: masks are decoded once
    for scene, s in samples:
        ctx = contexts.setdefault(scene.image_id, ExecutionContext(scene))
        found = execute(s.program, ctx)
        assert answers_equal(s.answer, found, s.answer_type), (s.task, s.question, s.answer, found)
        if s.choices is not None:
            letter = s.meta["answer_letter"]
            assert s.choices[OPTION_LETTERS.index(letter)] == generators[s.task].choice_text(found, scene)
            assert len(set(s.choices)) == len(s.choices)


def test_every_single_image_generator_produces_samples(run) -> None:
    samples, generators = run
    counts = Counter(s.task for _, s in samples)
    assert len(generators) >= 25
    # (the demo's scenes name no dense depth map: depth.map_points is tested on maps of its own,
    # tests/generators/test_depth_map_points.py)
    demo_lacks = {name for name, g in generators.items() if "depth_map" in g.requires}
    assert demo_lacks == {"depth.map_points.v1"}
    assert {name for name in generators if counts[name] < 20} == demo_lacks, counts


def test_coordinates_in_questions_are_inside_and_ordered(run) -> None:
    import re

    for _, s in run[0]:
        for node in s.program:
            if node["op"] in ("point", "region"):
                assert s.meta["box_format"] == "norm1" and s.meta["image_size"] == [480, 360]
        for numbers in re.findall(r"\[([0-9., ]+)\]", s.question.split("\nOptions:")[0]):
            values = [float(v) for v in numbers.split(",")]
            assert all(0.0 <= v <= 1.0 for v in values), s.question
            if len(values) == 4:
                assert values[0] <= values[2] and values[1] <= values[3], s.question


def test_yes_no_balanced(run) -> None:
    bools = [s.answer for _, s in run[0] if s.answer_type == "bool"]
    assert len(bools) > 500
    assert 0.45 <= sum(bools) / len(bools) <= 0.55


def test_multiple_choice_positions_uniform(run) -> None:
    positions = Counter((len(s.choices), s.meta["answer_letter"]) for _, s in run[0] if s.choices)
    for n in {k for k, _ in positions}:
        counts = [positions[(n, OPTION_LETTERS[i])] for i in range(n)]
        if sum(counts) >= 300:  # fewer samples cannot resolve 5 points
            assert max(abs(c / sum(counts) - 1 / n) for c in counts) <= 0.05, (n, counts)
