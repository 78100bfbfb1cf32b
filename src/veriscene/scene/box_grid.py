"""Which boxes may meet a window, and which may meet each of many others, found without testing
every pair: an (N, N) float64 table of a scene of 10,000 objects is 800 MB per temporary (one of
224,000 objects would be 400 GB), and a test of every box per lookup is N x N work.

Both give candidates, not answers: every box whose closed extent [x0, x1] x [y0, y1] meets the
closed window is among them (so every box that overlaps it by a positive area, and every box a
test with strict or loose inequalities could find), with some that do not. Callers test the
candidates with their own arithmetic, so what they find is what testing every box finds.

- `BoxGrid`: boxes bucketed on a grid of square cells, for one window at a time (the masks near
  an object, `scene.masks.SceneMasks`). A cell is as wide as the median box's longer side, so a
  box spans a few cells; one spanning more than `WIDE_SPAN` cells along a side (a sky region
  over a crowd of small objects) is kept aside, a candidate of every window.
- `nearby_blocks`: many query boxes cut into blocks of neighbours, each with the boxes that may
  meet one of them, for tables of a block at a time (the boxes that overlap, the regions that
  can mean one object alone).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

WIDE_SPAN = 16  # cells along a side past which a box is a candidate of every window
_MAX_CELLS = 1 << 20  # cells along a side at most (ids stay within int64 for any image)
_MAX_ROWS = 64  # a window spanning more cell rows takes every box as a candidate


def _expanded(first: np.ndarray, last: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """(cell ids, owner) of every cell of every cell range (N, 2) `first` .. `last` (inclusive,
    (column, row)), owner being the range's row in `first`: a range of 2 x 3 cells gives 6."""
    span = last - first + 1
    counts = span[:, 0] * span[:, 1]
    owner = np.repeat(np.arange(len(first)), counts)
    starts = np.cumsum(counts) - counts
    k = np.arange(int(counts.sum())) - starts[owner]  # position within the range, row-major
    cols = first[owner, 0] + k % span[owner, 0]
    rows = first[owner, 1] + k // span[owner, 0]
    return rows * columns + cols, owner


class BoxGrid:
    """Candidates among (N, 4) xyxy boxes (any units) for windows (`near`): for many lookups in
    one scene (`nearby_blocks` finds the boxes near each of many others at once)."""

    def __init__(self, boxes: np.ndarray) -> None:
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        self.n = len(boxes)
        low, high = np.minimum(boxes[:, :2], boxes[:, 2:]), np.maximum(boxes[:, :2], boxes[:, 2:])
        self.origin = low.min(axis=0) if self.n else np.zeros(2)
        extent = (high.max(axis=0) - self.origin) if self.n else np.zeros(2)
        longer = (high - low).max(axis=1) if self.n else np.ones(1)
        self.cell = max(float(np.median(longer)), 1.0, float(extent.max()) / (_MAX_CELLS - 1))
        self.columns, self.rows = (int(v) + 1 for v in np.floor(extent / self.cell))
        self.first, self.last = self.cells(low), self.cells(high)  # (N, 2) (column, row) each
        wide = ((self.last - self.first + 1) > WIDE_SPAN).any(axis=1)
        self.wide = np.flatnonzero(wide)  # candidates of every window, ascending
        bucketed = np.flatnonzero(~wide)
        ids, owner = _expanded(self.first[bucketed], self.last[bucketed], self.columns)
        order = np.lexsort((bucketed[owner], ids))  # by cell, then box
        self._ids, self._boxes = ids[order], bucketed[owner][order]

    def cells(self, points: np.ndarray) -> np.ndarray:
        """(M, 2) points -> (M, 2) int64 (column, row) of the cell holding each; points off the
        grid go to its nearest cell (monotone: a range of points maps onto a range of cells)."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        found = np.floor((points - self.origin) / self.cell)
        limit = np.array([self.columns - 1, self.rows - 1], dtype=np.float64)
        return np.minimum(np.maximum(found, 0.0), limit).astype(np.int64)

    def near(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Ascending indices of candidate boxes for the window [x0, x1] x [y0, y1]: every box
        whose closed extent meets it, and some others."""
        if self.n == 0:
            return np.empty(0, dtype=np.int64)
        corners = np.array([[min(x0, x1), min(y0, y1)], [max(x0, x1), max(y0, y1)]])
        (c0, r0), (c1, r1) = self.cells(corners)
        if r1 - r0 + 1 > _MAX_ROWS:
            return np.arange(self.n)
        rows = np.arange(r0, r1 + 1) * self.columns
        starts = np.searchsorted(self._ids, rows + c0, "left")
        ends = np.searchsorted(self._ids, rows + c1, "right")
        parts = [self._boxes[s:e] for s, e in zip(starts.tolist(), ends.tolist()) if e > s]
        return np.unique(np.concatenate([self.wide, *parts]))


def nearby_blocks(queries: np.ndarray, boxes: np.ndarray,
                  size: int = 256) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Blocks of at most `size` query boxes (M, 4) that lie near each other, each with the
    indices of the boxes (N, 4) whose closed extent meets the block's bounding box: every box
    that meets one of the block's queries is among them. Every query is in one block. A caller
    that tests each block's queries against its boxes (a (boxes, size) table at a time) finds
    what testing every pair finds, at a cost that grows with the boxes near each query rather
    than with all of them. Queries are taken in bands of rows, along each band by x, so that a
    block covers a square of the image where the queries are spread evenly."""
    queries = np.asarray(queries, dtype=np.float64).reshape(-1, 4)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(queries) == 0:
        return
    low_q = np.minimum(queries[:, :2], queries[:, 2:])
    high_q = np.maximum(queries[:, :2], queries[:, 2:])
    low_b, high_b = np.minimum(boxes[:, :2], boxes[:, 2:]), np.maximum(boxes[:, :2], boxes[:, 2:])
    centers = (low_q + high_q) / 2
    spread = np.maximum(centers.max(axis=0) - centers.min(axis=0), 1.0)
    band = max(float(np.sqrt(size * spread[0] * spread[1] / len(queries))), 1.0)  # a block's side
    order = np.lexsort((centers[:, 0], np.floor((centers[:, 1] - centers[:, 1].min()) / band)))
    for start in range(0, len(queries), size):
        block = order[start : start + size]
        (x0, y0), (x1, y1) = low_q[block].min(axis=0), high_q[block].max(axis=0)
        meets = (low_b[:, 0] <= x1) & (high_b[:, 0] >= x0)
        meets &= (low_b[:, 1] <= y1) & (high_b[:, 1] >= y0)
        yield block, np.flatnonzero(meets)
