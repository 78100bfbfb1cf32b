"""The depth order a viewer may read between a scene's objects: "in front of" and "behind".

One reading, shared by the generators (`generators.visual.GenerousReader`: what a question may
not take as the only answer) and by free-form scoring (`evaluate.freeform.score`: whether a
reply's "A behind B" holds). Depth is per object, relative, smaller = closer (`Scene.depth`).

- The order shows where the boxes overlap (one hides the other) and, where the depth was measured
  over a photo (a dense depth map: perspective shows it too), where they share columns (one
  stands on the other's line of sight) or are near (`could_read`'s "near"). The demo's flat shapes
  show depth by occlusion only.
- A difference in depth under `DEPTH_TIE` of the scene's depth range tells no order: either may
  be read (`may_lead`); one of that much or more puts an object clearly in front (`clearly_leads`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from veriscene.scene.geometry import could_read

# Predicates of depth order: whether they say their subject is the nearer of the pair.
DEPTH_ORDER = {"in front of": True, "behind": False, "in back of": False, "at back of": False}
# A difference in depth under this share of the scene's depth range tells no order (as
# `depth.closer`'s `min_depth_gap`, under which a pair is not asked): either may be read.
DEPTH_TIE = 0.05


class DepthOrder:
    """The depth order a viewer may read between a scene's objects (module notes)."""

    def __init__(self, depth: np.ndarray, dense: bool) -> None:
        self.values: list[float] = depth.tolist()
        self.array = np.asarray(self.values, dtype=np.float64)
        self.tie = DEPTH_TIE * ((max(self.values) - min(self.values)) or 1.0)
        self.dense = dense  # measured over a photo: the order shows between near boxes too

    @classmethod
    def of(cls, scene: Any) -> DepthOrder | None:
        """The order of a `Scene`'s depth; None for a scene without depth."""
        if scene.depth is None or not len(scene.depth):
            return None
        return cls(scene.depth, scene.depth_map is not None or "source_depth_map" in scene.meta)

    def may_lead(self, front: int, back: int) -> bool:
        """Whether `front` may be read nearer than `back`: not clearly farther (by `tie`)."""
        return self.values[front] < self.values[back] + self.tie

    def clearly_leads(self, front: int, back: int) -> bool:
        """Whether `front` is clearly nearer than `back` (by `tie` or more): `back` may not be
        read nearer (`may_lead(back, front)` is false)."""
        return not self.may_lead(back, front)

    def may_lead_all(self, anchor: int, x_front: bool) -> np.ndarray:
        """(N,) `may_lead(x, anchor)` (x in front, `x_front`) or `may_lead(anchor, x)`."""
        d = self.array
        return d < d[anchor] + self.tie if x_front else d[anchor] < d + self.tie

    def shown(self, a: list[float], b: list[float], reading: tuple[float, float, float]) -> bool:
        """Whether boxes a and b (xyxy pixels) show their order: they overlap, or, dense, they
        share columns or are near (`reading`: the image's longer side, the directional slack and
        the near fraction, `could_read`'s arguments after the predicate)."""
        # min(a[2], b[2]) > max(a[0], b[0]), ...: min and max written out as the builtins compare
        # (min(x, y): y if y < x else x; no calls: asked of every pair read in depth)
        columns = (b[2] if b[2] < a[2] else a[2]) > (b[0] if b[0] > a[0] else a[0])
        if columns and (self.dense or (b[3] if b[3] < a[3] else a[3]) > (b[1] if b[1] > a[1] else a[1])):
            return True
        return self.dense and could_read(a, b, "near", *reading)

    def shown_all(self, boxes: np.ndarray, anchor: int, gaps: np.ndarray,
                  reading: tuple[float, float, float]) -> np.ndarray:
        """(N,) `shown` of each box with the anchor's, from the (N,) `gaps` to it."""
        a = boxes[anchor]
        columns = np.minimum(boxes[:, 2], a[2]) > np.maximum(boxes[:, 0], a[0])
        if not self.dense:
            return columns & (np.minimum(boxes[:, 3], a[3]) > np.maximum(boxes[:, 1], a[1]))
        longer, _, near_frac = reading
        return columns | (gaps <= near_frac * longer)
