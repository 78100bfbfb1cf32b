"""Relation rules of the demo world on hand-made geometry."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriscene.demo import relations as rel
from veriscene.demo.relations import RelationThresholds
from veriscene.vocab import CONVERSE_PREDICATES

T = RelationThresholds()


def _boxes(*rows: tuple[float, float, float, float]) -> np.ndarray:
    return np.array(rows, dtype=np.float64)


@pytest.mark.parametrize(
    ("b", "expected"),
    [
        ((60, 0, 100, 40), True),  # 10 px clear gap, same row
        ((54, 0, 94, 40), True),  # exactly margin_px
        ((53, 0, 93, 40), False),  # 3 px gap: closer than margin_px
        ((40, 0, 80, 40), False),  # overlapping along x
        ((60, 100, 100, 140), False),  # clear gap but far below: not the same row
        ((60, 35, 100, 75), True),  # lower but within one box height
    ],
)
def test_left_of_needs_margin_and_same_row(b: tuple[float, ...], expected: bool) -> None:
    boxes = _boxes((10, 0, 50, 40), b)  # type: ignore[arg-type]
    left = rel.left_of(boxes)
    assert bool(left[0, 1]) is expected
    assert not left[1, 0]


def test_above_is_left_of_on_the_transposed_axes() -> None:
    boxes = _boxes((0, 10, 40, 50), (0, 60, 40, 100), (5, 200, 45, 240))
    up = rel.above(boxes)
    assert up[0, 1] and up[1, 2] and up[0, 2]
    assert not up[1, 0] and not up.diagonal().any()


@pytest.mark.parametrize(("x0", "expected"), [(51, True), (70, True), (71, False), (50, False)])
def test_near_is_a_small_gap_between_disjoint_boxes(x0: float, expected: bool) -> None:
    boxes = _boxes((10, 0, 50, 40), (x0, 0, x0 + 40, 40))
    assert bool(rel.near(boxes)[0, 1]) is expected
    assert bool(rel.near(boxes)[1, 0]) is expected


def test_in_front_needs_depth_order_and_real_overlap() -> None:
    areas = np.array([1000, 400, 400])
    overlap = np.array([[1000, 100, 30], [100, 400, 0], [30, 0, 400]])
    depth = np.array([0.9, 0.5, 0.1])  # object 2 is the closest
    front = rel.in_front_of(depth, overlap, areas)
    assert front[1, 0]  # 100 px >= 10% of 400
    assert not front[2, 0]  # 30 px < 10% of 400: a sliver
    assert not front[0, 1] and not front[1, 2]


def test_on_top_of_is_a_small_front_shape_on_the_upper_part() -> None:
    shape_boxes = _boxes((100, 100, 180, 180), (125, 70, 155, 115), (125, 150, 155, 200))
    areas = np.array([6400, 900, 900])
    front = np.array([[False, False, False], [True, False, False], [True, False, False]])
    top = rel.on_top_of(shape_boxes, front, areas)
    assert top[1, 0]  # bottom at y=115, within the upper half (100..140) of the base
    assert not top[2, 0]  # bottom at y=200, below the base
    assert not top[0, 1]


def _random_boxes(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.integers(2, 8))
    rows = []
    for _ in range(n):
        x0 = draw(st.integers(0, 400))
        y0 = draw(st.integers(0, 300))
        rows.append((x0, y0, x0 + draw(st.integers(5, 80)), y0 + draw(st.integers(5, 80))))
    return np.array(rows, dtype=np.float64)


@st.composite
def scenes(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    boxes = _random_boxes(draw)
    n = len(boxes)
    depth = np.array(draw(st.permutations(list(range(n)))), dtype=np.float64)
    areas = np.array([draw(st.integers(100, 5000)) for _ in range(n)])
    ov = np.zeros((n, n), dtype=np.int64)
    for i in range(n):
        for j in range(i + 1, n):
            ov[i, j] = ov[j, i] = draw(st.integers(0, int(min(areas[i], areas[j]))))
    np.fill_diagonal(ov, areas)
    return boxes, depth, ov, areas


@settings(max_examples=60, deadline=None)
@given(scenes())
def test_relations_have_converses_and_no_self_links(
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    boxes, depth, overlap, areas = data
    triples = rel.compute_relations(boxes, depth, boxes, overlap, areas)
    found = set(triples)
    assert len(found) == len(triples)
    for s, p, o in triples:
        assert s != o
        assert p in rel.PREDICATES
        if p in CONVERSE_PREDICATES:
            assert (o, CONVERSE_PREDICATES[p], s) in found
        if p == "on top of":
            assert (s, "in front of", o) in found
    keys = [(s, o, rel.PREDICATES.index(p)) for s, p, o in triples]
    assert keys == sorted(keys)
    assert not rel.ambiguous_pairs(boxes, overlap, areas).diagonal().any()
    amb = rel.ambiguous_pairs(boxes, overlap, areas)
    assert (amb == amb.T).all()


def test_ambiguous_pairs_flag_near_misses() -> None:
    areas = np.array([1600, 1600])
    no_overlap = np.array([[1600, 0], [0, 1600]])
    touching = _boxes((10, 0, 50, 40), (52, 0, 92, 40))  # 2 px apart in the same row
    clear = _boxes((10, 0, 50, 40), (60, 0, 100, 40))  # 10 px apart: left of and near
    edge_of_near = _boxes((10, 0, 50, 40), (75, 0, 115, 40))  # 25 px, just beyond near_px
    assert rel.ambiguous_pairs(touching, no_overlap, areas)[0, 1]
    assert not rel.ambiguous_pairs(clear, no_overlap, areas)[0, 1]
    assert rel.ambiguous_pairs(edge_of_near, no_overlap, areas)[0, 1]
    sliver = np.array([[1600, 20], [20, 1600]])
    overlapping = _boxes((10, 0, 50, 40), (20, 10, 60, 50))
    assert rel.ambiguous_pairs(overlapping, sliver, areas)[0, 1]
