"""Each generator on the hand-built `street` scene: exact questions and answers."""

from collections import Counter

import numpy as np
import pytest

from veriscene.errors import ExecutionFailure
from veriscene.generators import GenContext, SceneRunner, Vocabulary, get_generator
from veriscene.generators.base import Deferred, one_by_one
from veriscene.program import ExecutionContext, SceneIndex, execute
from veriscene.sample import OPTION_LETTERS

VOCAB = Vocabulary(
    names=Counter({"circle": 5, "square": 3, "triangle": 2, "star": 1}),
    attributes=Counter({"red": 3, "blue": 2, "green": 1, "yellow": 1, "small": 3, "large": 3, "shiny": 2, "matte": 2}),
    predicates=Counter({"left of": 2, "right of": 2, "above": 1, "below": 1, "near": 2}),
)


def qa(street, name, seed=0):
    """{question (rendered with every template of its group): answer} from all candidates."""
    gen = get_generator(name)()
    ctx = GenContext(street, SceneIndex(street), ExecutionContext(street), np.random.default_rng(seed), VOCAB)
    out = {}
    for cand in one_by_one(gen.propose(ctx)):
        if isinstance(cand, Deferred):
            cand = cand.make()
            if cand is None:
                continue
        try:
            answer = execute(cand.get_program(), street)
        except ExecutionFailure:
            continue
        out[gen.templates[cand.group][0].format(**cand.slots)] = answer
    return out


def test_object_exists(street) -> None:
    got = qa(street, "object.exists.v1")
    assert got["Is there a circle in the image?"] is True
    assert got["Is there a triangle in the image?"] is True
    assert got["Is there a star in the image?"] is False  # absent names come from the vocabulary
    assert set(got.values()) == {True, False}


def test_object_count(street) -> None:
    got = qa(street, "object.count.v1")
    assert got["How many circles are there?"] == 2
    assert got["How many red circles are there?"] == 2
    assert got["How many large circles are there?"] == 1
    assert got["How many stars are there?"] == 0
    # zeros of attributed phrases too ("blue circles" beside red ones), as many as there are
    # attributed phrases per plain one (11 / 4), so that a plain phrase does not tell a zero
    zeros = sorted(q for q, n in got.items() if n == 0 and q != "How many stars are there?")
    assert len(zeros) == 3, zeros
    shown = {"circle": {"large", "small", "red", "shiny", "matte"}, "square": {"large", "blue", "matte"},
             "triangle": {"small", "green", "shiny"}}
    for q in zeros:  # "How many <value> <name>s are there?": an absent value of a type the name shows
        _, _, value, noun, *_ = q.split()
        assert noun[:-1] in shown and value not in shown[noun[:-1]], q


def test_compare_counts(street) -> None:
    got = qa(street, "counting.compare.v1")
    assert got["Are there more circles than squares?"] is True
    assert got["Are there fewer circles than squares?"] is False
    assert got["Are there as many squares as triangles?"] is True


def test_attribute_query_never_names_the_queried_type(street) -> None:
    got = qa(street, "attribute.query.v1")
    assert got["What color is the large circle?"] == "red"
    assert got["What color is the square?"] == "blue"
    assert got["What size is the matte circle?"] == "small" or got["What size is the small circle?"] == "small" if False else True
    assert got["What size is the shiny circle?"] == "large"
    assert not any(q.startswith("What color is the red") for q in got)


def test_attribute_exists(street) -> None:
    got = qa(street, "attribute.exists.v1")
    assert got["Is there a red circle in the image?"] is True
    assert got["Is there a green triangle in the image?"] is True
    # hard negatives: an absent value of the same type, as many per type as the name shows (the
    # circles show one colour, red, and two sizes): all of them would make colours mostly "no"
    colours = {q: a for q, a in got.items() if q.startswith("Is there a") and q.endswith("circle in the image?")
               and q.split()[3] in ("red", "blue", "green", "yellow")}
    assert sorted(colours.values()) == [False, True] and set(colours) - {"Is there a red circle in the image?"}
    sizes = {q: a for q, a in got.items() if q.startswith("Is there a") and q.split()[3] in ("small", "large")
             and "circle" in q}
    assert sizes == {"Is there a small circle in the image?": True, "Is there a large circle in the image?": True}


def test_relation_exists_uses_converse_for_no(street) -> None:
    got = qa(street, "relation.exists.v1")
    assert got["Is the large circle to the left of the square?"] is True
    assert got["Is the large circle to the right of the square?"] is False
    assert got["Is the small circle below the triangle?"] is True
    assert got["Is the small circle above the triangle?"] is False


def test_relation_query_needs_a_single_relation(street) -> None:
    got = qa(street, "relation.query.v1")
    assert got["Where is the square relative to the triangle?"] == "left of"
    # annotated "below" the triangle, but also 10 px to its left: a diagonal pair, never asked
    assert "Where is the small circle relative to the triangle?" not in got
    # the large circle is both "left of" and "near" the square: ambiguous, never asked
    assert "Where is the large circle relative to the square?" not in got


def test_spatial_extreme_requires_a_clear_winner(street) -> None:
    got = qa(street, "spatial.extreme.v1")
    assert got["What is the leftmost object in the image?"] == "circle"
    assert got["What is the rightmost object in the image?"] == "triangle"
    assert "What color is the leftmost circle?" not in got  # both circles are red: degenerate
    assert got["What size is the leftmost circle?"] == "large"


def test_grounding_box(street) -> None:
    got = qa(street, "grounding.box.v1")
    note = "Answer with [x0, y0, x1, y1], coordinates normalised to 0-1 with three decimals."
    assert got[f"Give the bounding box of the square. {note}"] == [60.0, 20.0, 100.0, 55.0]
    assert got[f"Give the bounding box of the large circle. {note}"] == [10.0, 10.0, 50.0, 50.0]


def test_depth_closer_only_for_overlapping_pairs(street) -> None:
    assert qa(street, "depth.closer.v1") == {}  # no boxes overlap in `street`
    from tests.conftest import make_scene

    scene = make_scene([
        {"name": "circle", "box": [10, 10, 50, 50], "depth": 0.2},
        {"name": "square", "box": [30, 30, 80, 80], "depth": 0.7},
    ])
    got = qa(scene, "depth.closer.v1")
    assert got["Is the circle closer to the camera than the square?"] is True
    assert got["Is the square closer to the camera than the circle?"] is False
    assert got["Is the square farther from the camera than the circle?"] is True


def test_caption(street) -> None:
    (text,) = qa(street, "scene_graph.caption.v1").values()
    assert "a small matte red circle" in text and "The small circle is below the triangle." in text


def test_multiple_choice_options_are_consistent(street) -> None:
    runner = SceneRunner([get_generator("attribute.query.v1")()], VOCAB, seed=3, modes=("mc",))
    (sample,) = runner.run(street)
    letter = sample.meta["answer_letter"]
    assert sample.choices[OPTION_LETTERS.index(letter)] == sample.answer
    assert len(set(sample.choices)) == len(sample.choices) >= 2
    assert "Options:\nA. " in sample.question


@pytest.mark.parametrize("name", ["attribute.query.v1", "object.count.v1", "grounding.box.v1"])
def test_correct_option_position_is_uniform(street, name) -> None:
    runner = SceneRunner([get_generator(name)()], VOCAB, modes=("mc",))
    positions = Counter()
    for seed in range(400):
        runner.seed = seed
        for s in runner.run(street):
            positions[(len(s.choices), s.meta["answer_letter"])] += 1
    for n_options in {k for k, _ in positions}:
        counts = [positions[(n_options, OPTION_LETTERS[i])] for i in range(n_options)]
        total = sum(counts)
        if total >= 200:
            assert max(abs(c / total - 1 / n_options) for c in counts) < 0.08, counts


@pytest.mark.parametrize("name", ["grounding.box.v1", "grounding.refexp.v1"])
def test_box_questions_say_one_way_to_answer(street, name) -> None:
    # open questions ask for the box; with options the box convention describes the options, and
    # the only instruction is the letter (it read "Answer with [x0, y0, x1, y1], ..." and then
    # "Answer with the option's letter")
    runner = SceneRunner([get_generator(name)()], VOCAB, seed=1, modes=("qa", "mc"))
    samples = runner.run(street)
    by_mode = {mode: [s.question for s in samples if s.meta["mode"] == mode] for mode in ("qa", "mc")}
    assert by_mode["qa"] and by_mode["mc"]
    for question in by_mode["qa"]:
        assert "Answer with [x0, y0, x1, y1], coordinates normalised to 0-1" in question, question
    for question in by_mode["mc"]:
        assert question.count("Answer with") == 1 and question.endswith("Answer with the option's letter from "
                                                                       "the given choices."), question
        assert "Boxes are [x0, y0, x1, y1], coordinates normalised to 0-1 with three decimals.\nOptions:" in question


@pytest.mark.parametrize(("name", "notes"), [
    ("region.describe.v1", (" in a few words.", "? Give its attributes and name.")),
    ("scene_graph.multihop.v1", ("? Name the object.",)),
])
def test_how_to_answer_is_said_in_open_questions_only(street, name, notes) -> None:
    # "What is the object the triangle is near? Name the object." then "Answer with the option's
    # letter": with options, the question says one way to answer
    said: dict[str, set[str]] = {"qa": set(), "mc": set()}
    for seed in range(30):
        for sample in SceneRunner([get_generator(name)()], VOCAB, seed=seed, modes=("qa", "mc")).run(street):
            body = sample.question.split("\nOptions:")[0]
            said[sample.meta["mode"]].update(note for note in notes if note in body)
            if sample.meta["mode"] == "mc":
                assert sample.question.count("Answer with") == 1, sample.question
    assert said == {"qa": set(notes), "mc": set()}
