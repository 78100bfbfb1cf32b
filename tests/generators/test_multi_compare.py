"""multi_compare generators on the hand-built world of test_multi_ops (see its docstring)."""

from tests.generators.test_multi_ops import group_candidates, group_qa


def test_most_and_least() -> None:
    assert group_qa("multi.most_objects.v1", "B", "AD", sizes=(3,)) == {"Which image has the most circles?": "B"}
    assert group_qa("multi.least_objects.v1", "A", "B") == {"Which image has the fewest circles?": "A"}
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
    assert found == {
        "[A] and [D] each show one square. In which property do the two squares differ: color, finish or size?": "size",
        "[D] and [A] each show one square. In which property do the two squares differ: color, finish or size?": "size",
    }
    for seed in range(6):
        for cand, _ in group_candidates("multi.attribute_diff.v1", "A", "D", seed=seed):
            assert sorted(cand.distractors) == ["color", "finish"]


def test_attribute_same() -> None:
    assert group_qa("multi.attribute_same.v1", "A", "D") == {
        "Does the circle in [A] have the same finish as the circle in [D]?": True,
        "Does the square in [D] have the same color as the square in [A]?": True,
        "Does the circle in [A] have the same color as the circle in [D]?": False,
        "Does the circle in [D] have the same size as the circle in [A]?": False,
    }


def test_attribute_same_needs_both_answers() -> None:
    # B has two circles and A's square has no partner square: nothing to compare
    assert group_qa("multi.attribute_same.v1", "A", "B") == {}


def test_relation_diff() -> None:
    assert group_qa("multi.relation_diff.v1", "A", "D") == {
        "The circle and the square are arranged differently in [A] and [D]. "
        "Where is the circle relative to the square in [D]?": "right of",
        "The square and the circle are arranged differently in [D] and [A]. "
        "Where is the square relative to the circle in [A]?": "right of",
    }
    # C's square is left of a triangle, not of a circle: no partner, no question
    assert group_qa("multi.relation_diff.v1", "A", "C") == {}
