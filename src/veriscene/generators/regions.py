"""Coordinates in questions: render boxes and points, and sample points on visible object pixels.

A question shows a box or point in the generator's `box_format` (see `veriscene.answers.coords`:
"norm1" 0-1 with two decimals by default, "norm1000", "pixel"). Its program holds the coordinates
*as shown*, read back to pixels (`shown_box`, `shown_point`), so that rounding can never make the
wording and the program disagree. Rendered coordinates are clipped to the image and ordered.
Samples that show coordinates carry `box_format` and `image_size` in their meta (`coord_meta`).

Points are drawn from the *interior* of an object's visible mask (pixels at least `margin_px`
from its edge), so a point is clearly on the object for a person looking at the image, and the
shown (rounded) point is checked to still lie on that interior.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from veriscene.answers.coords import format_box, format_point, to_pixels
from veriscene.program.context import ExecutionContext
from veriscene.program.ops_masks import label_map
from veriscene.scene.geometry import box_area, box_intersection_area, box_iou
from veriscene.scene.model import Scene


def coord_meta(scene: Scene, box_format: str) -> dict[str, Any]:
    """Meta entries of a sample whose question shows coordinates."""
    return {"box_format": box_format, "image_size": [scene.width, scene.height]}


def shown_box(scene: Scene, box: Sequence[float], box_format: str) -> tuple[str, list[float]]:
    """(text shown in the question, the same box back in pixels rounded to 0.01)."""
    size = (scene.width, scene.height)
    text = format_box(box, size, box_format)
    values = [float(v) for v in text.strip("[]").split(",")]
    return text, [round(v, 2) for v in to_pixels(values, box_format, size)]


def shown_point(scene: Scene, p: Sequence[float], box_format: str) -> tuple[str, list[float]]:
    """(text shown in the question, the same point back in pixels rounded to 0.01)."""
    size = (scene.width, scene.height)
    text = format_point(p, size, box_format)
    values = [float(v) for v in text.strip("[]").split(",")]
    x, y = to_pixels(values, box_format, size)
    # a point on the right/bottom edge would fall off the image's last pixel
    return text, [round(min(x, scene.width - 0.01), 2), round(min(y, scene.height - 0.01), 2)]


def region_is_clear(scene: Scene, i: int, region: Sequence[float], max_other_iou: float = 0.3,
                    max_inside: float = 0.5) -> bool:
    """Whether "the object in region" can only mean object i: the region matches i's box
    (IoU >= 0.5) and no other object's box matches it (IoU < `max_other_iou`) or lies mostly
    inside it (share of its box area inside < `max_inside`, e.g. a small object on a large one)."""
    r = np.asarray(region, dtype=np.float64).reshape(1, 4)
    ious = box_iou(scene.boxes, r)[:, 0]
    inside = box_intersection_area(scene.boxes, r)[:, 0] / np.maximum(box_area(scene.boxes), 1e-9)
    others = np.arange(len(scene)) != i
    return bool(ious[i] >= 0.5 and not np.any(others & ((ious >= max_other_iou) | (inside >= max_inside))))


def _erode(mask: np.ndarray, r: int) -> np.ndarray:
    """Binary erosion by a (2r+1)^2 square: pixels whose whole neighbourhood is in the mask
    (pixels beyond the array's edge count as outside)."""
    out = mask.copy()
    for axis in (0, 1):
        shifted = out.copy()
        for k in range(1, r + 1):
            fwd = np.zeros_like(out)
            back = np.zeros_like(out)
            if axis == 0:
                fwd[:-k] = out[k:]
                back[k:] = out[:-k]
            else:
                fwd[:, :-k] = out[:, k:]
                back[:, k:] = out[:, :-k]
            shifted &= fwd & back
        out = shifted
    return out


class PointSampler:
    """Draws points on the interior of objects' visible masks of one scene (masks decoded once,
    through the ops' label-map cache of the execution context)."""

    def __init__(self, exec_ctx: ExecutionContext, box_format: str, margin_px: int = 4) -> None:
        self.scene = exec_ctx.scene(0)
        self.labels = label_map(exec_ctx, 0)
        self.box_format = box_format
        self.margin_px = margin_px
        # object -> (x0, y0, interior crop (h, w) bool, its pixel rows, its pixel columns)
        self._interior: dict[int, tuple[int, int, np.ndarray, np.ndarray, np.ndarray]] = {}

    def _crop(self, i: int) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray]:
        """Pixels of object i at least `margin_px` inside its visible mask, within its box."""
        if i not in self._interior:
            x0, y0, x1, y1 = (int(v) for v in self.scene.boxes[i])
            x1, y1 = min(x1 + 1, self.scene.width), min(y1 + 1, self.scene.height)
            crop = _erode(self.labels[y0:y1, x0:x1] == i, self.margin_px)  # outside the crop = not i
            rows, cols = np.nonzero(crop)
            self._interior[i] = (x0, y0, crop, rows + y0, cols + x0)
        return self._interior[i]

    def inside(self, i: int, p: Sequence[float]) -> bool:
        """Whether point p (pixels) lies on object i's interior."""
        x0, y0, crop, _, _ = self._crop(i)
        r, c = int(p[1]) - y0, int(p[0]) - x0
        return bool(0 <= r < crop.shape[0] and 0 <= c < crop.shape[1] and crop[r, c])

    def sample(self, rng: np.random.Generator, i: int, k: int = 1,
               min_distance: float = 0.0) -> list[tuple[str, list[float]]] | None:
        """k shown points on object i, pairwise at least `min_distance` pixels apart, each still
        on i's interior after rounding; None when the object has too little interior."""
        _, _, _, rows, cols = self._crop(i)
        if len(rows) == 0:
            return None
        found: list[tuple[str, list[float]]] = []
        for _ in range(8 * k):
            j = int(rng.integers(len(rows)))
            text, p = shown_point(self.scene, (cols[j] + 0.5, rows[j] + 0.5), self.box_format)
            if not self.inside(i, p):
                continue
            if any(np.hypot(p[0] - q[0], p[1] - q[1]) < max(min_distance, 1.0) for _, q in found):
                continue
            found.append((text, p))
            if len(found) == k:
                return found
        return None
