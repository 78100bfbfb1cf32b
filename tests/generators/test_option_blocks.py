"""Option sets of a scene's answers, each of its values as often right where it is offered
(`option_blocks`): whatever the data set, a guess that sees only the options is right 1/k."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriscene.generators.option_blocks import EXHAUSTIVE, Allocation, allocate, draw


def _bits(*values: int) -> int:
    return sum(1 << v for v in values)


def masses(safe: list[list[int]], out: Allocation) -> dict[int, dict[int, float]]:
    """set mask -> value -> the chance that the runner (a value uniformly, then one of its
    candidates uniformly) asks that value with that set, times the number of values."""
    found: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for x, cands in enumerate(out):
        for offered in cands:
            for mask, p in offered:
                found[mask][x] += p / len(safe[x])
    return found


def check(safe: list[list[int]], size: int) -> Allocation:
    out = allocate(safe, size)
    for x, cands in enumerate(out):
        for j, offered in enumerate(cands):
            assert sum(p for _, p in offered) <= 1 + 1e-9
            for mask, p in offered:
                assert p > 0 and mask >> x & 1 and 2 <= bin(mask).count("1") <= size
                assert mask & ~(1 << x) & ~safe[x][j] == 0  # every other value safe for this candidate
    for mask, by_value in masses(safe, out).items():
        members = [x for x in range(len(safe)) if mask >> x & 1]
        assert len(by_value) == len(members)  # each value of a set is asked with it
        assert max(by_value.values()) - min(by_value.values()) < 1e-9, (mask, dict(by_value))
    return out


def test_a_value_shared_by_weight() -> None:
    # left of (two pairs: one may not be offered "above"), right of, above
    left, right, above = 0, 1, 2
    safe = [[_bits(right, above), _bits(right)], [_bits(left, above)], [_bits(left, right)]]
    out = check(safe, 4)
    three = _bits(left, right, above)
    # the set of three takes half of each value's weight (all of the first "left of" pair's)
    assert out[left] == [[(three, 1.0)], [(_bits(left, right), 1.0)]]
    assert out[right] == [[(three, 0.5), (_bits(left, right), 0.5)]]
    assert out[above] == [[(three, 0.5)]]  # asked open the other half


def test_a_pair_readable_across_keeps_the_converse_pairs_apart() -> None:
    # above (left of may be read), below (right of may be read), left of, right of
    above, below, left, right = 0, 1, 2, 3
    safe = [[_bits(below, right)], [_bits(above, left)], [_bits(right, above, below)], [_bits(left, above, below)]]
    out = check(safe, 4)
    assert out == [[[(_bits(above, below), 1.0)]], [[(_bits(above, below), 1.0)]],
                   [[(_bits(left, right), 1.0)]], [[(_bits(left, right), 1.0)]]]


def test_many_values_are_cut_into_whole_sets() -> None:
    n = EXHAUSTIVE + 4  # every value safe for every other: sets of 4 taken whole
    everything = (1 << n) - 1
    safe = [[everything & ~(1 << x)] for x in range(n)]
    out = check(safe, 4)
    assert [offered[0][0][1] for offered in out] == [1.0] * n
    assert len({offered[0][0][0] for offered in out}) == n // 4


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.integers(0, (1 << 12) - 1), min_size=1, max_size=3), min_size=1, max_size=12),
       st.integers(2, 5))
def test_every_set_is_as_often_right_for_each_of_its_values(raw: list[list[int]], size: int) -> None:
    n = len(raw)
    safe = [[m & ((1 << n) - 1) & ~(1 << x) for m in cands] for x, cands in enumerate(raw)]
    check(safe, size)


@pytest.mark.parametrize(("u", "drawn"), [(0.0, 3), (0.49, 3), (0.5, 5), (0.74, 5), (0.75, 0), (0.99, 0)])
def test_draw(u: float, drawn: int) -> None:
    assert draw([(3, 0.5), (5, 0.25)], u) == drawn
