from collections import Counter

import pytest

from veriscene.demo.world import iter_scene_graphs
from veriscene.generators import SceneRunner, Vocabulary, derive_seed, select_generators
from veriscene.sample import SAMPLE_FIELDS


def _run(scenes, **kw):
    vocab = Vocabulary.from_scenes(scenes)
    runner = SceneRunner([g() for g in select_generators()], vocab, **kw)
    return [s for scene in scenes for s in runner.run(scene)], runner


def test_derive_seed_is_stable() -> None:
    # a fixed value: must never change across versions, processes or PYTHONHASHSEED
    assert derive_seed(0, "demo-000000") == derive_seed(0, "demo-000000")
    assert derive_seed(0, "a") != derive_seed(1, "a")
    assert 0 <= derive_seed("x") < 2**63


def test_answer_groups_are_drawn_uniformly(street) -> None:
    """Nine candidates answer yes and one answers no: picks are still half yes, half no."""
    from veriscene.generators import Candidate, Generator

    class Lopsided(Generator):
        answer_type = "bool"
        templates = {"default": ("Is there a {n}?", "Can you see a {n}?")}

        def propose(self, ctx):
            for name in ["circle"] * 9 + ["giraffe"]:
                program = [{"op": "scene", "inputs": [], "args": [0]},
                           {"op": "filter_name", "inputs": [0], "args": [name]},
                           {"op": "exists", "inputs": [1], "args": []}]
                yield Candidate(program, {"n": name}, expected=name == "circle", distractors=[name != "circle"])

    Lopsided.name, Lopsided.family = "test.lopsided.v1", "test"
    runner = SceneRunner([Lopsided()], Vocabulary(), modes=("qa",))
    answers = Counter()
    for seed in range(1000):
        runner.seed = seed
        answers.update(s.answer for s in runner.run(street))
    assert abs(answers[True] / 1000 - 0.5) < 0.05


def test_records_complete_and_answers_balanced() -> None:
    scenes = list(iter_scene_graphs(300, seed=7))
    samples, runner = _run(scenes, seed=1, modes=("qa",))
    assert all(set(s.to_dict()) == set(SAMPLE_FIELDS) for s in samples)
    bools = [s.answer for s in samples if s.answer_type == "bool"]
    assert 0.45 <= sum(bools) / len(bools) <= 0.55
    for task in {s.task for s in samples}:
        answers = Counter(str(s.answer) for s in samples if s.task == task and s.answer_type in ("str", "int", "bool"))
        if answers:
            assert answers.most_common(1)[0][1] / sum(answers.values()) <= 0.6, (task, answers.most_common(3))


def test_same_seed_same_samples_other_seed_differs() -> None:
    scenes = list(iter_scene_graphs(20, seed=3))
    a, _ = _run(scenes, seed=5)
    b, _ = _run(scenes, seed=5)
    c, _ = _run(scenes, seed=6)
    assert [s.to_dict() for s in a] == [s.to_dict() for s in b]
    assert [s.id for s in a] != [s.id for s in c]


def test_scene_output_independent_of_other_generators() -> None:
    scenes = list(iter_scene_graphs(10, seed=2))
    vocab = Vocabulary.from_scenes(scenes)
    alone = SceneRunner([g() for g in select_generators("object.count.v1")], vocab, seed=0)
    together = SceneRunner([g() for g in select_generators()], vocab, seed=0)
    for scene in scenes:
        mine = [s.to_dict() for s in alone.run(scene)]
        assert mine == [s.to_dict() for s in together.run(scene) if s.task == "object.count.v1"]


def test_ambiguous_referents_never_rendered() -> None:
    """No question says 'the X' when two objects match the description it uses."""
    scenes = list(iter_scene_graphs(60, seed=11))
    samples, _ = _run(scenes, seed=0, modes=("qa",))
    by_id = {s.image_id: s for s in scenes}
    from veriscene.program import ExecutionContext, run_nodes

    for sample in samples:
        ctx = ExecutionContext(by_id[sample.images[0]["id"]])
        values = run_nodes(sample.program, ctx)
        for node, value in zip(sample.program, values):
            if node["op"] == "unique":
                assert len(values[node["inputs"][0]].idx) == 1


def _in_order_generator(names, made):
    """A generator answered by construction: it records which candidates were made."""
    from veriscene.generators import Candidate, Generator
    from veriscene.generators.base import Deferred

    class InOrder(Generator):
        answer_type = "int"
        in_order = True
        templates = {"default": ("How many {n}s?",)}

        def propose(self, ctx):
            for name in names:
                def make(name=name):
                    made.append(name)
                    program = [{"op": "scene", "inputs": [], "args": [0]},
                               {"op": "filter_name", "inputs": [0], "args": [name]},
                               {"op": "count", "inputs": [1], "args": []}]
                    return Candidate(program, {"n": name}, distractors=[7, 8, 9])
                yield Deferred(name, make)

    InOrder.name, InOrder.family = "test.in_order.v1", "test"
    return InOrder()


def test_in_order_generator_makes_only_the_candidates_it_needs(street) -> None:
    made: list[str] = []
    names = sorted(set(street.names))
    runner = SceneRunner([_in_order_generator(names, made)], Vocabulary.from_scenes([street]), modes=("qa", "mc"))
    samples = runner.run(street)
    assert [s.meta["mode"] for s in samples] == ["qa", "mc"]
    assert made == names[:2]  # one candidate per mode, in proposal order; the rest never made


def test_in_order_generator_reuses_a_candidate_when_propose_runs_dry(street) -> None:
    made: list[str] = []
    name = street.names[0]
    runner = SceneRunner([_in_order_generator([name], made)], Vocabulary.from_scenes([street]), modes=("qa", "mc"))
    samples = runner.run(street)
    assert made == [name]
    assert [s.meta["mode"] for s in samples] == ["qa", "mc"]
    assert samples[0].answer == samples[1].answer == street.names.count(name)


def _counting(names, made, batched):
    """A generator asking "how many X?" for each name, as one Batch or as Deferred candidates,
    with a fixed Candidate between them (proposals of both kinds mix)."""
    from veriscene.generators import Candidate, Generator
    from veriscene.generators.base import Batch, Deferred

    def make(name):
        made.append(name)
        program = [{"op": "scene", "inputs": [], "args": [0]},
                   {"op": "filter_name", "inputs": [0], "args": [name]},
                   {"op": "count", "inputs": [1], "args": []}]
        return None if name == "unmakeable" else Candidate(program, {"n": name}, expected=counts[name],
                                                            distractors=[7, 8, 9])

    counts = {n: 0 for n in names}

    class Counting(Generator):
        answer_type = "int"
        templates = {"default": ("How many {n}s?", "Count the {n}s.")}

        def propose(self, ctx):
            counts.update({n: ctx.scene.names.count(n) for n in names})
            first, rest = names[:1], names[1:]
            yield make(first[0])
            if batched:
                yield Batch.of([counts[n] for n in rest], [(n,) for n in rest], make)
            else:
                for n in rest:
                    yield Deferred(counts[n], lambda n=n: make(n))

    Counting.name, Counting.family = "test.counting.v1", "test"
    return Counting()


def test_a_batch_gives_the_samples_of_its_deferred_candidates(street) -> None:
    names = sorted(set(street.names)) + ["giraffe", "unicorn", "unmakeable"]
    vocab = Vocabulary.from_scenes([street])
    out = {}
    for batched in (False, True):
        made: list[str] = []
        runner = SceneRunner([_counting(names, made, batched)], vocab, modes=("qa", "mc"))
        runner.generators[0].config = type(runner.generators[0].config)(per_scene=3)
        samples = [s for seed in range(20) for s in SceneRunner(runner.generators, vocab, seed=seed,
                                                                modes=("qa", "mc")).run(street)]
        out[batched] = ([s.to_dict() for s in samples], made)
    assert out[True] == out[False]
    assert len(out[True][0]) > 40
    # only picked candidates are made: never all of them on every run
    assert len(out[True][1]) < 20 * len(names)


def test_batch_needs_one_argument_tuple_per_key() -> None:
    import pytest

    from veriscene.generators.base import Batch
    with pytest.raises(ValueError, match="one argument tuple per key"):
        Batch.of([1, 2], [(1,)], print)


def test_batch_keys_group_as_their_json_forms() -> None:
    from veriscene.generators.candidate_pool import _group_batch, _key

    for values in ([True, 1, 0, False, 1, True], [3, 1, 3, 2], ["a", "b", "a"], [["x", 1], ["x", 1], 1.0, 1]):
        grouped: dict[bytes, list[int]] = {_key(values[0]): [0, 2]}  # earlier members come first
        _group_batch(values, 5, {}, grouped)
        expected: dict[bytes, list[int]] = {_key(values[0]): [0, 2]}
        for j, value in enumerate(values, 5):
            expected.setdefault(_key(value), []).append(j)
        assert grouped == expected


def test_yes_no_questions_are_asked_only_where_no_can_be_said() -> None:
    """On a scene that leaves absences open (`meta["exhaustive"]`), a yes/no generator whose "no"
    candidates all fail would answer only yes: it asks nothing there, counted as one-sided."""
    from tests.conftest import make_scene
    from veriscene.generators import get_generator

    objects = [{"name": "circle", "box": [10, 10, 30, 30]}, {"name": "square", "box": [50, 50, 80, 80]}]
    vocab = Vocabulary()
    vocab.add_names(["circle", "square", "star", "triangle"], [], [])

    def answers(meta):
        runner = SceneRunner([get_generator("object.exists.v1")()], vocab, modes=("qa",))
        found = Counter(s.answer for k in range(40) for s in runner.run(make_scene(objects, image_id=f"s{k}", meta=meta)))
        return found, runner.stats

    complete, _ = answers({})
    assert complete[True] > 5 and complete[False] > 5
    # nothing verified absent: no question at all, rather than yes every time
    none, stats = answers({"exhaustive": []})
    assert not none and stats["one_sided:object.exists.v1"] == 40
    # stars verified absent: "no" can be said, and both answers come
    some, stats = answers({"exhaustive": ["star"]})
    assert some[True] > 5 and some[False] > 5 and not stats["one_sided:object.exists.v1"]


def test_left_and_right_are_said_to_be_the_images_on_radiological_scenes() -> None:
    from dataclasses import replace

    from veriscene.generators.runner import IMAGE_SIDES_NOTE

    scenes = list(iter_scene_graphs(30, seed=3))
    flipped = [replace(s, meta={**s.meta, "orientation": "radiological"}) for s in scenes]
    vocab = Vocabulary.from_scenes(scenes)

    def run(group):
        runner = SceneRunner([g() for g in select_generators("spatial.*,object.extreme_among.v1")], vocab)
        return [s for scene in group for s in runner.run(scene)]

    plain, noted = run(scenes), run(flipped)
    assert len(plain) == len(noted)
    sideways = 0
    for a, b in zip(plain, noted):
        assert a.answer == b.answer and a.program == b.program  # only the wording changes
        speaks_of_sides = any(w in a.question for w in ("left", "right"))
        assert (IMAGE_SIDES_NOTE in b.question) == speaks_of_sides
        assert IMAGE_SIDES_NOTE not in a.question
        sideways += speaks_of_sides
    assert sideways > 10


def _failing_after(modes_done: int):
    """A generator asking how many objects a scene has, raising on the scene "s2" once it has made
    the samples of `modes_done` modes (0: in `propose`)."""
    from veriscene.generators import Candidate, Generator

    program = [{"op": "scene", "inputs": [], "args": [0]}, {"op": "count", "inputs": [0], "args": []}]

    class Failing(Generator):
        answer_type = "int"
        templates = {"default": ("How many objects are there?",)}

        def propose(self, ctx):
            if ctx.scene.image_id == "s2" and modes_done == 0:
                raise KeyError("no such object")
            yield Candidate(program, {}, expected=len(ctx.scene), distractors=[97, 98, 99])

        def choice_text(self, value, scene):
            if scene.image_id == "s2" and modes_done == 1:
                return str(1 / 0)  # in multiple choice, after the qa sample was made
            return str(value)

    Failing.name, Failing.family = "test.failing.v1", "test"
    return Failing()


def test_a_generator_failing_on_a_scene_is_raised_or_contained() -> None:
    import pytest

    from veriscene.generators.runner import describe_failure

    import dataclasses

    scenes = [dataclasses.replace(s, image_id=f"s{i}") for i, s in enumerate(iter_scene_graphs(4, seed=3))]
    vocab = Vocabulary.from_scenes(scenes)
    others = [g() for g in select_generators("object.*")]
    alone = SceneRunner(others, vocab, seed=5)
    expected = {s.image_id: [x.id for x in alone.run(s)] for s in scenes}
    for modes_done, error in ((0, "KeyError: 'no such object'"), (1, "ZeroDivisionError: division by zero")):
        failing = _failing_after(modes_done)
        strict = SceneRunner([*others, failing], vocab, seed=5)
        with pytest.raises((KeyError, ZeroDivisionError)):
            for scene in scenes:
                strict.run(scene)
        runner = SceneRunner([*others, failing], vocab, seed=5, raise_errors=False)
        for scene in scenes:
            ids = [x.id for x in runner.run(scene) if x.task != "test.failing.v1"]
            mine = [x for x in runner.run(scene) if x.task == "test.failing.v1"]
            assert ids == expected[scene.image_id]  # the other generators' samples, as without it
            if scene.image_id == "s2":  # none of its samples of that scene, whichever mode failed
                assert mine == [] and [name for name, _ in runner.failures] == ["test.failing.v1"]
                assert runner.failures[0][1].startswith(error) and "test_runner.py:" in runner.failures[0][1]
            else:
                assert [x.meta["mode"] for x in mine] == ["qa", "mc"] and runner.failures == []
        assert runner.stats["failed:test.failing.v1"] == 2  # s2, run twice above
    try:
        {}["x"]
    except KeyError as exc:
        assert describe_failure(exc).startswith("KeyError: 'x' (at test_runner.py:")


def test_a_mask_that_cannot_be_decoded_fails_the_generators_that_look_at_it_not_the_process() -> None:
    """A scene whose mask's RLE runs past the frame (it would make pycocotools write past its
    buffer): the mask generators asking about it fail on that scene, named and counted; the
    others, and the other scenes, are as without it."""
    import dataclasses

    scenes = [dataclasses.replace(s, image_id=f"s{i}") for i, s in enumerate(iter_scene_graphs(3, seed=4))]
    masks = list(scenes[1].masks)
    masks[0] = {**masks[0], "counts": masks[0]["counts"] + "1"}
    broken = dataclasses.replace(scenes[1], masks=tuple(masks))
    vocab = Vocabulary.from_scenes(scenes)
    runner = SceneRunner([g() for g in select_generators("*")], vocab, seed=2, raise_errors=False)
    clean = {s.image_id: [x.id for x in runner.run(s)] for s in scenes}
    assert runner.run(scenes[0]) and [x.id for x in runner.run(scenes[0])] == clean["s0"]
    kept = runner.run(broken)
    failed = {name for name, _ in runner.failures}
    assert failed and all(
        why.startswith("SceneValidationError: field 'objects[0].mask.counts': mask cannot be decoded: the runs add "
                       "up to 172815 pixels, not 360x480") for _, why in runner.failures), runner.failures
    assert all(runner.stats[f"failed:{name}"] == 1 for name in failed)
    assert [x.id for x in kept] == [i for i, x in zip(clean["s1"], runner.run(scenes[1])) if x.task not in failed]


@pytest.mark.parametrize("plane, sides_note, top_note", [
    ("axial", "IMAGE_SIDES_NOTE", "AXIAL_TOP_NOTE"),
    ("coronal", "IMAGE_SIDES_NOTE", None),  # its top is the patient's head: "above" means what it says
    ("sagittal", "SAGITTAL_SIDES_NOTE", None),  # its left is the patient's front, not right side
])
def test_each_plane_says_what_its_directions_are(plane: str, sides_note: str, top_note: str | None) -> None:
    from dataclasses import replace

    from veriscene.generators import runner as runner_module

    scenes = list(iter_scene_graphs(30, seed=3))
    sliced = [replace(s, meta={**s.meta, "orientation": "radiological", "plane": plane}) for s in scenes]
    runner = SceneRunner([g() for g in select_generators("spatial.*,object.extreme_among.v1")],
                         Vocabulary.from_scenes(scenes))
    samples = [s for scene in sliced for s in runner.run(scene)]
    notes = {"IMAGE_SIDES_NOTE": runner_module.IMAGE_SIDES_NOTE, "SAGITTAL_SIDES_NOTE": runner_module.SAGITTAL_SIDES_NOTE,
             "AXIAL_TOP_NOTE": runner_module.AXIAL_TOP_NOTE}
    said = {"sides": 0, "top": 0}
    for s in samples:
        asked = s.question.split("?")[0]
        sideways = any(w in asked for w in ("left", "right"))
        upright = any(w in asked for w in ("top", "bottom", "above", "below"))
        expected = notes[sides_note] if sideways else (notes[top_note] if upright and top_note else None)
        assert [n for n in notes.values() if n in s.question] == ([expected] if expected else []), s.question
        said["sides"] += sideways
        said["top"] += upright
    assert said["sides"] > 10 and said["top"] > 10


def test_questions_write_initialisms_in_capitals_and_keep_the_annotated_answer() -> None:
    """COCO's "tv": "How many TVs are there?" (it said "tvs"); the answer stays the name."""
    from tests.conftest import make_scene

    scene = make_scene([{"name": "tv", "box": [0, 0, 10, 10]}, {"name": "tv", "box": [20, 0, 30, 10]},
                        {"name": "cup", "box": [40, 0, 50, 10]}])
    samples, _ = _run([scene], modes=("qa",))
    questions = [s.question for s in samples]
    assert questions and not any(w in q.split() for q in questions for w in ("tv", "tvs", "tv?", "tvs?", "Tvs"))
    assert any("TVs" in q for q in questions)
    answers = {s.task: s.answer for s in samples}
    assert answers["spatial.extreme.v1"] == "tv"  # "Which object is furthest to the left?": the name
    assert answers["scene_graph.caption.v1"] == "The image shows three objects: two TVs and a cup."
