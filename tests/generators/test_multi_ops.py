"""Multi-image ops (ops_multi) and the helpers shared by the multi-image generator tests.

The hand-built world (200 x 100 images):

    A  circle   red large shiny    [10, 10, 40, 40]     relations: circle left of square
       square   blue small matte   [100, 10, 140, 40]              (and square right of circle)
    B  circle   green large shiny  [10, 10, 40, 40]     both circles left of the triangle
       circle   red small matte    [60, 50, 80, 70]
       triangle green small shiny  [150, 10, 190, 40]
    C  square   red large matte    [10, 10, 50, 50]     square left of triangle
       triangle red small shiny    [100, 10, 140, 40]
       star     yellow small shiny [150, 50, 190, 90]
    D  square   blue large matte   [10, 10, 40, 40]     square left of circle (A mirrored)
       circle   blue small shiny   [100, 10, 140, 40]
    E  triangle red small shiny    [10, 10, 50, 40]     triangle left of both circles (B mirrored)
       circle   green large shiny  [100, 10, 130, 40]
       circle   red small matte    [150, 50, 170, 70]

Questions name images "Image k"; `group_qa` rewrites "Image k" as "[<image id>]" and image-index
answers as image ids, so expected pairs do not depend on the (random) order of a group.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from veriscene.engine.pool import ScenePool
from veriscene.errors import ExecutionFailure
from veriscene.generators import Vocabulary, get_generator
from veriscene.generators.agreement import agree
from veriscene.generators.base import Candidate, Deferred, GroupContext, one_by_one
from veriscene.program import ExecutionContext, SceneIndex, execute
from veriscene.scene import Scene

VOCAB = Vocabulary(
    names=Counter({"circle": 5, "square": 4, "triangle": 3, "star": 1}),
    attributes=Counter({"red": 3, "blue": 2, "green": 2, "yellow": 1, "small": 3, "large": 3, "shiny": 3, "matte": 2}),
    predicates=Counter({"left of": 3, "right of": 3, "above": 1, "below": 1}),
)


def _obj(name: str, box: Sequence[int], *attributes: str) -> dict[str, Any]:
    return {"name": name, "box": list(box), "attributes": list(attributes)}


def _lr(a: int, b: int) -> list[tuple[int, str, int]]:
    return [(a, "left of", b), (b, "right of", a)]


WORLD = {
    "A": Scene.from_objects("A", 200, 100, [
        _obj("circle", [10, 10, 40, 40], "red", "large", "shiny"),
        _obj("square", [100, 10, 140, 40], "blue", "small", "matte"),
    ], _lr(0, 1)),
    "B": Scene.from_objects("B", 200, 100, [
        _obj("circle", [10, 10, 40, 40], "green", "large", "shiny"),
        _obj("circle", [60, 50, 80, 70], "red", "small", "matte"),
        _obj("triangle", [150, 10, 190, 40], "green", "small", "shiny"),
    ], _lr(0, 2) + _lr(1, 2)),
    "C": Scene.from_objects("C", 200, 100, [
        _obj("square", [10, 10, 50, 50], "red", "large", "matte"),
        _obj("triangle", [100, 10, 140, 40], "red", "small", "shiny"),
        _obj("star", [150, 50, 190, 90], "yellow", "small", "shiny"),
    ], _lr(0, 1)),
    "D": Scene.from_objects("D", 200, 100, [
        _obj("square", [10, 10, 40, 40], "blue", "large", "matte"),
        _obj("circle", [100, 10, 140, 40], "blue", "small", "shiny"),
    ], _lr(0, 1)),
    "E": Scene.from_objects("E", 200, 100, [
        _obj("triangle", [10, 10, 50, 40], "red", "small", "shiny"),
        _obj("circle", [100, 10, 130, 40], "green", "large", "shiny"),
        _obj("circle", [150, 50, 170, 70], "red", "small", "matte"),
    ], _lr(0, 1) + _lr(0, 2)),
}


def group_context(anchor: str, partners: str, seed: int = 0) -> GroupContext:
    """Context of anchor WORLD[anchor] with a pool of the partner scenes named by letters."""
    scene = WORLD[anchor]
    pool = ScenePool.from_scenes([WORLD[p] for p in partners])
    return GroupContext(scene, SceneIndex(scene), ExecutionContext(scene), np.random.default_rng(seed), VOCAB, pool)


def made(proposed: Any) -> list[Candidate]:
    """A generator's proposals, every one consumed first as the runner does, then deferred ones
    made in turn as if picked (those that cannot be made left out)."""
    out = []
    for cand in list(one_by_one(proposed)):
        if isinstance(cand, Deferred):
            cand = cand.make()
            if cand is None:
                continue
        out.append(cand)
    return out


def group_candidates(name: str, anchor: str, partners: str, *, sizes: tuple[int, ...] = (2,), seed: int = 0,
                     max_candidates: int = 10) -> list[tuple[Any, Any]]:
    """(candidate, answer) for every candidate; each `expected` must equal the program's answer."""
    gen = get_generator(name)()
    gen.group_sizes = sizes  # type: ignore[misc]
    gen.max_candidates = max_candidates  # type: ignore[misc]
    out = []
    for cand in made(gen.propose(group_context(anchor, partners, seed))):
        assert cand.scenes is not None and any(s is WORLD[anchor] for s in cand.scenes)
        assert len(cand.scenes) in sizes and len({s.image_id for s in cand.scenes}) == len(cand.scenes)
        try:
            answer = execute(cand.get_program(), ExecutionContext(cand.scenes))
        except ExecutionFailure:
            assert cand.expected is None, cand.slots
            continue
        if cand.expected is not None:
            assert answer == cand.expected, (cand.slots, answer, cand.expected)
        correct = gen.choice_text(answer, cand.scenes[0])
        assert all(gen.choice_text(d, cand.scenes[0]) != correct for d in cand.distractors), cand.slots
        out.append((cand, answer))
    return out


def _by_id(text: str, ids: Sequence[str]) -> str:
    """"Image k" -> "[<id of image k>]"."""
    return re.sub(r"Image (\d)", lambda m: f"[{ids[int(m.group(1)) - 1]}]", text)


def group_qa(name: str, anchor: str, partners: str, *, sizes: tuple[int, ...] = (2,), seed: int = 0,
             template: int = 0) -> dict[str, Any]:
    """{question (template `template`, "Image k" -> "[id]"): answer (image index -> id)}."""
    gen = get_generator(name)
    out: dict[str, Any] = {}
    for cand, answer in group_candidates(name, anchor, partners, sizes=sizes, seed=seed):
        ids = [s.image_id for s in cand.scenes]
        templates = gen.templates[cand.group]
        text = agree(templates[min(template, len(templates) - 1)], cand.plural).format(**cand.slots)  # as rendered
        text = _by_id(text[:1].upper() + text[1:], ids)
        if gen.answer_type == "image_index":
            answer = ids[answer]
        elif gen.answer_type == "text":
            answer = _by_id(answer, ids)
        out[text] = answer
    return out


# ---- the ops -----------------------------------------------------------------------------------

def _run(program: list[dict[str, Any]], *ids: str) -> Any:
    return execute(program, ExecutionContext([WORLD[i] for i in ids]))


def _node(op: str, inputs: Sequence[int] = (), args: Sequence[Any] = ()) -> dict[str, Any]:
    return {"op": op, "inputs": list(inputs), "args": list(args)}


def _exists(image: int, name: str, at: int) -> list[dict[str, Any]]:
    return [_node("scene", args=[image]), _node("filter_name", [at], [name]), _node("exists", [at + 1])]


def _count(image: int, name: str, at: int) -> list[dict[str, Any]]:
    return [_node("scene", args=[image]), _node("filter_name", [at], [name]), _node("count", [at + 1])]


@pytest.mark.parametrize("name, ids, answer", [
    ("star", "ABC", 2), ("triangle", "ACD", 1), ("square", "BD", 1),
])
def test_select_image_picks_the_only_true_image(name: str, ids: str, answer: int) -> None:
    program = [n for i in range(len(ids)) for n in _exists(i, name, 3 * i)]
    program.append(_node(f"select_image{len(ids)}", [3 * i + 2 for i in range(len(ids))]))
    assert _run(program, *ids) == answer


def test_select_image_fails_unless_exactly_one() -> None:
    program = _exists(0, "circle", 0) + _exists(1, "circle", 3) + [_node("select_image2", [2, 5])]
    with pytest.raises(ExecutionFailure, match="2 images qualify"):
        _run(program, "A", "B")


def test_argmax_and_argmin_fail_on_ties() -> None:
    program = _count(0, "circle", 0) + _count(1, "circle", 3) + _count(2, "circle", 6)
    assert _run(program + [_node("argmax_image3", [2, 5, 8])], "A", "B", "C") == 1
    assert _run(program + [_node("argmin_image3", [2, 5, 8])], "A", "B", "C") == 2
    with pytest.raises(ExecutionFailure, match="tie"):
        _run(program + [_node("argmax_image3", [2, 5, 8])], "A", "D", "C")


def test_set_ops_and_totals() -> None:
    names = [_node("scene", args=[0]), _node("names_in", [0]), _node("scene", args=[1]), _node("names_in", [2])]
    assert _run(names + [_node("set_intersect", [1, 3])], "A", "D") == ["circle", "square"]
    assert _run(names + [_node("set_difference", [3, 1])], "A", "B") == ["triangle"]
    assert _run(names + [_node("set_union", [1, 3])], "A", "C") == ["circle", "square", "star", "triangle"]
    colors = [_node("scene", args=[0]), _node("attribute_values", [0], ["color"])]
    assert _run(colors, "B") == ["green", "red"]
    total = _count(0, "circle", 0) + _count(1, "circle", 3) + [_node("add_int", [2, 5])]
    assert _run(total, "B", "D") == 3


def test_differing_attribute_type_and_differ_str() -> None:
    a_circle = [_node("scene", args=[0]), _node("filter_name", [0], ["circle"]), _node("unique", [1])]
    d_circle = [_node("scene", args=[1]), _node("filter_name", [3], ["circle"]), _node("unique", [4])]
    prog = a_circle + d_circle + [_node("differing_attribute_type", [2, 5])]
    with pytest.raises(ExecutionFailure, match="2 attribute kinds differ"):  # colour and size
        _run(prog, "A", "D")
    a_sq = [_node("scene", args=[0]), _node("filter_name", [0], ["square"]), _node("unique", [1])]
    d_sq = [_node("scene", args=[1]), _node("filter_name", [3], ["square"]), _node("unique", [4])]
    assert _run(a_sq + d_sq + [_node("differing_attribute_type", [2, 5])], "A", "D") == "size"
    rel = a_circle + [_node("scene", args=[0]), _node("filter_name", [3], ["square"]), _node("unique", [4]),
                      _node("query_relation", [2, 5])]
    rel_d = [_node("scene", args=[1]), _node("filter_name", [7], ["circle"]), _node("unique", [8]),
             _node("scene", args=[1]), _node("filter_name", [10], ["square"]), _node("unique", [11]),
             _node("query_relation", [9, 12])]
    assert _run(rel + rel_d + [_node("differ_str", [6, 13])], "A", "D") == "right of"
    with pytest.raises(ExecutionFailure, match="same in both"):
        _run(rel + rel_d + [_node("differ_str", [6, 13])], "A", "A")


def test_describe_images() -> None:
    text = _run([_node("describe_images")], "A", "D")
    assert text == "Both images contain exactly one circle. Both images contain exactly one square."
    text = _run([_node("describe_images")], "B", "D", "A")
    # counts in words, "one in each" where they are equal (it said "(1 in Image 2 and 1 in Image 3)")
    assert text == ("Every image contains circles: two in Image 1, one in Image 2 and one in Image 3. "
                    "Squares appear in Image 2 and Image 3 (one in each). "
                    "Only Image 1 contains a triangle.")


def test_describe_images_says_a_count_held_by_one_image_alone_without_ambiguity() -> None:
    # "Only Image 1 contains two circles" could mean the others hold fewer (or more): the
    # program says no other image holds any, and how many this one holds
    text = _run([_node("describe_images")], "B", "C")
    assert "Circles appear only in Image 1, which contains two circles." in text
    assert "Only Image 2 contains a star." in text


@pytest.mark.parametrize(("first", "second", "expected"), [
    # Visual Genome names, not normalised: "men" (one box around several) reads "a group of men"
    # as "group of men" does; said apart, one sentence denied the other
    ([_obj("men", [0, 0, 10, 10]), _obj("group of men", [20, 0, 40, 10]), _obj("dog", [50, 0, 60, 10])],
     [_obj("men", [0, 0, 10, 10]), _obj("men", [20, 0, 40, 10])],
     "Only Image 1 contains a dog. Both images contain exactly two groups of men."),
    ([_obj("men", [0, 0, 10, 10]), _obj("group of men", [20, 0, 40, 10])],
     [_obj("group of men", [0, 0, 10, 10])],
     "Both images contain groups of men: two in Image 1 and one in Image 2."),
    ([_obj("grass", [0, 0, 10, 10]), _obj("patch of grass", [20, 0, 40, 10])], [_obj("dog", [0, 0, 10, 10])],
     "Only Image 2 contains a dog. Patches of grass appear only in Image 1, which contains two patches of grass."),
    # "man" is one man, not a group: a kind of its own
    ([_obj("man", [0, 0, 10, 10]), _obj("men", [20, 0, 40, 10])], [_obj("man", [0, 0, 10, 10])],
     "Both images contain exactly one man. Only Image 1 contains a group of men."),
])
def test_describe_images_says_names_that_read_alike_as_one_kind(first, second, expected) -> None:
    scenes = [Scene.from_objects(i, 200, 100, objs) for i, objs in (("a", first), ("b", second))]
    assert execute([_node("describe_images")], ExecutionContext(scenes)) == expected


def test_describe_images_capitalises_a_kind_without_lowering_the_rest() -> None:
    # COCO's "tv": it said "Tvs appear only in Image 1" (str.capitalize) and "(1 in Image 1 and 1 in Image 2)"
    first = [_obj("tv", [0, 0, 10, 10]), _obj("tv", [20, 0, 30, 10]), _obj("cup", [40, 0, 50, 10])]
    second = [_obj("dog", [0, 0, 10, 10]), _obj("cup", [20, 0, 30, 10])]
    scenes = [Scene.from_objects(i, 200, 100, objs) for i, objs in (("a", first), ("b", second))]
    assert execute([_node("describe_images")], ExecutionContext(scenes)) == (
        "Both images contain exactly one cup. Only Image 2 contains a dog. "
        "TVs appear only in Image 1, which contains two TVs.")
