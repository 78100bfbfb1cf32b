"""The box grid and nearby blocks give candidates: every box whose closed extent meets a window
(or a block's query) is among them, whatever the layout (tiny, huge, touching, on one line)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriscene.scene.box_grid import WIDE_SPAN, BoxGrid, nearby_blocks


def _meets(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) bool: closed extents meet (the plain definition the candidates cover)."""
    return ((a[:, None, 0] <= b[None, :, 2]) & (b[None, :, 0] <= a[:, None, 2])
            & (a[:, None, 1] <= b[None, :, 3]) & (b[None, :, 1] <= a[:, None, 3]))


def _boxes(rng: np.random.Generator, n: int, layout: str) -> np.ndarray:
    if layout == "grid":  # an automatic mask generator's: small squares in rows, touching edges
        k = np.arange(n)
        x0, y0 = (k % 20) * 10.0, (k // 20) * 10.0
        return np.stack([x0, y0, x0 + 10, y0 + 10], 1)
    x0, y0 = rng.uniform(0, 500, n), rng.uniform(0, 400, n)
    side = rng.choice([0.5, 4.0, 30.0, 600.0], size=n) * rng.uniform(0.2, 1.0, n)  # some span everything
    boxes = np.stack([x0, y0, x0 + side, y0 + side * rng.uniform(0.3, 3.0, n)], 1)
    return np.round(boxes) if layout == "integer" else boxes


@pytest.mark.parametrize("layout", ["float", "integer", "grid"])
@pytest.mark.parametrize("n", [0, 1, 7, 300])
def test_near_holds_every_box_meeting_the_window(layout: str, n: int) -> None:
    rng = np.random.default_rng(n)
    boxes = _boxes(rng, n, layout)
    grid = BoxGrid(boxes)
    windows = np.concatenate([_boxes(rng, 40, layout), boxes[:40]])
    truth = _meets(windows, boxes) if n else np.zeros((len(windows), 0), dtype=bool)
    for window, meets in zip(windows.tolist(), truth):
        found = grid.near(*window)
        assert found.tolist() == sorted(set(found.tolist()))  # ascending, each once
        assert set(np.flatnonzero(meets).tolist()) <= set(found.tolist())


def test_a_box_spanning_many_cells_is_a_candidate_of_every_window() -> None:
    boxes = np.array([[0, 0, 10, 10]] * 50 + [[0, 0, 10 * (WIDE_SPAN + 5), 10]], dtype=np.float64)
    grid = BoxGrid(boxes)
    assert grid.wide.tolist() == [50]
    assert 50 in grid.near(150, 5, 151, 6).tolist()


@pytest.mark.parametrize("layout", ["float", "integer", "grid"])
@pytest.mark.parametrize(("m", "n", "size"), [(1, 0, 4), (5, 9, 2), (300, 250, 32), (257, 400, 256)])
def test_nearby_blocks_cover_every_query_and_its_boxes(layout: str, m: int, n: int, size: int) -> None:
    rng = np.random.default_rng(m + n)
    queries, boxes = _boxes(rng, m, layout), _boxes(rng, n, "float")
    seen = []
    for block, near in nearby_blocks(queries, boxes, size):
        assert 0 < len(block) <= size
        seen += block.tolist()
        met = np.flatnonzero(_meets(queries[block], boxes).any(axis=0)) if n else []
        assert set(met) <= set(near.tolist())
    assert sorted(seen) == list(range(m))


@given(st.lists(st.tuples(st.floats(0, 1000), st.floats(0, 1000), st.floats(0, 300), st.floats(0, 300)),
                min_size=1, max_size=60),
       st.tuples(st.floats(0, 1000), st.floats(0, 1000), st.floats(0, 500), st.floats(0, 500)))
def test_candidates_cover_the_boxes_met_on_any_layout(rows, window) -> None:
    boxes = np.array([[x, y, x + w, y + h] for x, y, w, h in rows])
    x, y, w, h = window
    query = np.array([[x, y, x + w, y + h]])
    met = set(np.flatnonzero(_meets(query, boxes)[0]).tolist())
    assert met <= set(BoxGrid(boxes).near(x, y, x + w, y + h).tolist())
    ((block, near),) = nearby_blocks(query, boxes)
    assert block.tolist() == [0] and met <= set(near.tolist())
