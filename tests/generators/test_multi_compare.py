"""multi_compare generators on the hand-built world of test_multi_ops (see its docstring)."""

from tests.generators.test_multi_ops import group_candidates, group_qa


def test_most_and_least() -> None:
    assert group_qa("multi.most_objects.v1", "B", "AD", sizes=(3,)) == {"Which image has the most circles?": "B"}
    # of two images, the comparative: "Which image has fewer circles?", not "the fewest"
    assert group_qa("multi.least_objects.v1", "A", "B") == {"Which image has fewer circles?": "A"}
    # B 2 circles, A and D 1 each: the fewest is tied, never asked
    assert group_qa("multi.least_objects.v1", "B", "AD", sizes=(3,)) == {}


def test_count_compare_yields_yes_and_no() -> None:
    assert group_qa("multi.count_compare.v1", "A", "B") == {
        "Are there more circles in [B] than in [A]?": True,
        "Are there fewer circles in [B] than in [A]?": False,
        "Are there as many circles in [B] as in [A]?": False,
    }


def test_attribute_diff_names_the_one_differing_property() -> None:
    # A's and D's squares differ in size only; the circles differ in colour and size (never asked)
    found = {}
    for seed in range(6):
        found.update(group_qa("multi.attribute_diff.v1", "A", "D", seed=seed))
    # the two images said together are said in their order (it read "Image 2 and Image 1 each show")
    assert found == {
        "[A] and [D] each show one square. In which property do the two squares differ: color, finish or size?": "size",
    }
    for seed in range(6):
        for cand, _ in group_candidates("multi.attribute_diff.v1", "A", "D", seed=seed):
            # no square of another image differs from A's in colour alone, nor in finish alone:
            # neither could be the answer, so neither is offered (open question only)
            assert cand.distractors == []
            assert cand.slots["both"] == "Image 1 and Image 2"


def test_attribute_same() -> None:
    assert group_qa("multi.attribute_same.v1", "A", "D") == {
        "Does the circle in [A] have the same finish as the circle in [D]?": True,
        "Does the square in [D] have the same color as the square in [A]?": True,
        "Does the circle in [A] have the same color as the circle in [D]?": False,
        "Does the circle in [D] have the same size as the circle in [A]?": False,
    }


def test_attribute_same_needs_both_answers() -> None:
    # D's circle (blue small shiny) against B's circles: every comparison a shared description
    # allows answers "no" (the finish, shared with the green circle, would need "shiny" to describe it)
    assert group_qa("multi.attribute_same.v1", "D", "B") == {}


def _seeds(name: str, anchor: str, partners: str, seeds: int = 4) -> dict[str, object]:
    found: dict[str, object] = {}
    for seed in range(seeds):
        found.update(group_qa(name, anchor, partners, seed=seed))
    return found


def test_repeated_names_are_described_by_shared_attributes() -> None:
    # B has two circles: each is described by attributes both it and A's circle have, and the
    # description never uses the attribute kind asked about
    found = _seeds("multi.attribute_same.v1", "A", "B")
    assert found == {
        "Does the large circle in [A] have the same color as the large circle in [B]?": False,
        "Does the large circle in [A] have the same finish as the large circle in [B]?": True,
        "Does the large circle in [B] have the same color as the large circle in [A]?": False,
        "Does the large circle in [B] have the same finish as the large circle in [A]?": True,
        "Does the shiny circle in [A] have the same size as the shiny circle in [B]?": True,
        "Does the shiny circle in [B] have the same size as the shiny circle in [A]?": True,
        "Does the red circle in [A] have the same finish as the red circle in [B]?": False,
        "Does the red circle in [B] have the same finish as the red circle in [A]?": False,
    }
    # the size names the circle, so it is not offered: A's and B's large circles differ in colour
    # (in either order of the images, each said in its order)
    assert _seeds("multi.attribute_diff.v1", "A", "B") == {
        "[A] and [B] each show one large circle. In which property do the two large circles differ: "
        "color or finish?": "color",
        "[B] and [A] each show one large circle. In which property do the two large circles differ: "
        "color or finish?": "color",
    }
    for cand, _ in group_candidates("multi.attribute_diff.v1", "A", "B"):
        assert cand.distractors == ["finish"]


def test_relation_diff_describes_repeated_names() -> None:
    # both circles of B and of E: left of the triangle in B, right of it in E; the small circles
    # also lie below the triangle (10 px), a diagonal pair whose direction is not sure: never asked
    found = _seeds("multi.relation_diff.v1", "B", "E", seeds=8)
    assert found["The large circle and the triangle are arranged differently in [B] and [E]. "
                 "Where is the large circle relative to the triangle in [E]?"] == "right of"
    assert found["The triangle and the large circle are arranged differently in [B] and [E]. "
                 "Where is the triangle relative to the large circle in [B]?"] == "right of"
    # four questions, each with the two images in either order (as they are placed in the group)
    assert len({q.replace("[E] and [B]", "[B] and [E]") for q in found}) == 4
    assert all("the circle" not in question and "small circle" not in question for question in found), found


def test_relation_diff() -> None:
    assert group_qa("multi.relation_diff.v1", "A", "D") == {
        "The circle and the square are arranged differently in [A] and [D]. "
        "Where is the circle relative to the square in [D]?": "right of",
        "The square and the circle are arranged differently in [D] and [A]. "
        "Where is the square relative to the circle in [D]?": "left of",
    }
    # the two images said together in their order (it read "in Image 2 and Image 1")
    assert {cand.slots["both"] for cand, _ in group_candidates("multi.relation_diff.v1", "A", "D")} == {
        "Image 1 and Image 2"}
    # C's square is left of a triangle, not of a circle: no partner, no question
    assert group_qa("multi.relation_diff.v1", "A", "C") == {}


def test_relation_diff_options_are_places_for_where_questions() -> None:
    """With actions and other spellings in the vocabulary, "Where is the circle relative to the
    square?" offers places only (not "holding" or "belonging to", wrong by grammar alone)."""
    from collections import Counter

    import numpy as np

    from tests.generators.test_multi_ops import WORLD
    from veriscene.engine.pool import ScenePool
    from veriscene.generators import Vocabulary, get_generator
    from veriscene.generators.base import GroupContext
    from veriscene.program import ExecutionContext, SceneIndex

    vocab = Vocabulary(names=Counter({"circle": 5, "square": 4}), attributes=Counter({"red": 1}),
                       predicates=Counter({"left of": 3, "right of": 3, "above": 1, "below": 1, "holding": 2,
                                           "belonging to": 2, "riding": 1, "to the right of": 1}))
    gen = get_generator("multi.relation_diff.v1")()
    gen.group_sizes = (2,)  # type: ignore[misc]
    seen = 0
    for seed in range(6):
        scene = WORLD["A"]
        ctx = GroupContext(scene, SceneIndex(scene), ExecutionContext(scene), np.random.default_rng(seed), vocab,
                           ScenePool.from_scenes([WORLD["D"]]))
        for cand in gen.propose(ctx):
            assert cand.expected in ("left of", "right of")
            places = {"left of", "right of", "above", "below", "to the right of"} - {cand.expected}
            assert set(cand.distractors) <= places, cand.distractors
            seen += 1
    assert seen
