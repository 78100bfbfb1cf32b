"""Shape outlines and the one exact rasteriser shared by scene sampling and rendering.

Conventions:
- Image coordinates in pixels, x to the right, y DOWN; pixel (row y, column x) covers the unit
  square [x, x+1) x [y, y+1) and is sampled at its centre (x + 0.5, y + 0.5).
- A shape is given by its name, centre (cx, cy), size radius `r` (pixels; roughly half the side of
  its box when upright) and rotation (degrees, clockwise on screen because y points down).
- `rasterise` returns the shape's pixels inside the image as a boolean patch plus the patch's
  integer offset. Masks (sampling) and colours (rendering) both come from this function, so a mask
  pixel and a painted pixel can never disagree.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star", "hexagon", "diamond")

# Outline proportions relative to the size radius r, chosen so the six shapes have similar
# visual weight at the same size class.
_CIRCLE_R = 0.92  # circle radius / r
_SQUARE_HALF = 0.82  # half side / r
_TRIANGLE_R = 1.12  # circumradius / r (equilateral, apex up)
_TRIANGLE_DY = 0.18  # move the triangle down by this * r so its box is centred near cy
_STAR_OUTER, _STAR_INNER = 1.08, 0.46  # tip and notch radii / r (five points, one up)
_HEXAGON_R = 0.98  # circumradius / r (flat top)
_DIAMOND_W, _DIAMOND_H = 0.66, 1.0  # half width / r, half height / r (a rhombus, never a square)


class Patch(NamedTuple):
    """A shape's pixels: `mask` (h, w) bool covering image rows y0..y0+h and columns x0..x0+w."""

    x0: int
    y0: int
    mask: np.ndarray


def _unit_outline(shape: str) -> np.ndarray:
    """(V, 2) vertices of the upright shape for r = 1, centred at the origin, y down."""
    if shape == "square":
        s = _SQUARE_HALF
        return np.array([[-s, -s], [s, -s], [s, s], [-s, s]])
    if shape == "triangle":
        angles = np.deg2rad([-90.0, 30.0, 150.0])
        pts = _TRIANGLE_R * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        return pts + np.array([0.0, _TRIANGLE_DY])
    if shape == "star":
        angles = np.deg2rad(-90.0 + 36.0 * np.arange(10))
        radii = np.where(np.arange(10) % 2 == 0, _STAR_OUTER, _STAR_INNER)
        return np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)
    if shape == "hexagon":
        angles = np.deg2rad(60.0 * np.arange(6))
        return _HEXAGON_R * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    if shape == "diamond":
        w, h = _DIAMOND_W, _DIAMOND_H
        return np.array([[0.0, -h], [w, 0.0], [0.0, h], [-w, 0.0]])
    raise ValueError(f"unknown shape {shape!r}; expected one of {', '.join(SHAPES)}")


_UNIT_OUTLINES = {name: _unit_outline(name) for name in SHAPES if name != "circle"}


def outline(shape: str, cx: float, cy: float, r: float, rotation: float) -> np.ndarray:
    """(V, 2) polygon vertices in image pixels (not defined for circles)."""
    if shape not in _UNIT_OUTLINES:
        raise ValueError(f"shape {shape!r} has no polygon outline; expected one of {sorted(_UNIT_OUTLINES)}")
    t = math.radians(rotation)
    c, s = math.cos(t), math.sin(t)
    rot = np.array([[c, s], [-s, c]])  # row vectors: p @ rot rotates clockwise on screen (y down)
    return _UNIT_OUTLINES[shape] @ rot * r + np.array([cx, cy])


def extent(shape: str, cx: float, cy: float, r: float, rotation: float) -> tuple[float, float, float, float]:
    """Continuous xyxy extent of the full shape (pixels); the rasterised box lies inside it."""
    if shape == "circle":
        rc = _CIRCLE_R * r
        return (cx - rc, cy - rc, cx + rc, cy + rc)
    pts = outline(shape, cx, cy, r, rotation)
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    return (float(x0), float(y0), float(x1), float(y1))


def _pixel_window(
    ext: tuple[float, float, float, float], width: int, height: int
) -> tuple[int, int, int, int]:
    """Integer pixel range [x0, x1) x [y0, y1) whose centres may fall inside `ext`, clipped."""
    x0 = max(0, math.floor(ext[0]))
    y0 = max(0, math.floor(ext[1]))
    x1 = min(width, math.ceil(ext[2]) + 1)
    y1 = min(height, math.ceil(ext[3]) + 1)
    return x0, y0, max(x0, x1), max(y0, y1)


def _fill_polygon(pts: np.ndarray, x0: int, y0: int, w: int, h: int) -> np.ndarray:
    """Even-odd fill of a closed polygon on a (h, w) pixel grid at offset (x0, y0), centre sampling.

    Per row, every edge crossing at x = xint flips the inside/outside state of all pixels whose
    centre lies right of xint; flips are counted with one bincount and a cumulative sum.
    """
    py = y0 + np.arange(h, dtype=np.float64)[:, None] + 0.5  # (h, 1) row centres
    nxt = np.append(pts[1:], pts[:1], axis=0)  # edge k runs from vertex k to vertex k+1
    xa, ya, xb, yb = pts[:, 0], pts[:, 1], nxt[:, 0], nxt[:, 1]
    crosses = (ya > py) != (yb > py)  # (h, E) edge spans this row's centre line
    dy = np.where(yb != ya, yb - ya, 1.0)
    xint = xa + (py - ya) * (xb - xa) / dy  # (h, E) crossing abscissa
    # Pixel column c (centre x0 + c + 0.5) is right of xint  <=>  c >= floor(xint - x0 + 0.5).
    col = np.clip(np.floor(xint - x0 + 0.5), 0, w).astype(np.int64)
    flat = (np.arange(0, h * (w + 1), w + 1)[:, None] + col)[crosses]  # row * (w + 1) + col
    flips = np.bincount(flat, minlength=h * (w + 1)).reshape(h, w + 1)
    return (np.cumsum(flips[:, :w], axis=1) & 1).astype(bool)


def rasterise(
    shape: str, cx: float, cy: float, r: float, rotation: float, width: int, height: int
) -> Patch:
    """The pixels of the full (unoccluded) shape inside a width x height image."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; expected one of {', '.join(SHAPES)}")
    pts = None if shape == "circle" else outline(shape, cx, cy, r, rotation)
    if pts is None:
        rc = _CIRCLE_R * r
        ext = (cx - rc, cy - rc, cx + rc, cy + rc)
    else:
        ext = (pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())
    x0, y0, x1, y1 = _pixel_window(ext, width, height)
    w, h = x1 - x0, y1 - y0
    if pts is None:
        px = x0 + np.arange(w, dtype=np.float64)[None, :] + 0.5 - cx
        py = y0 + np.arange(h, dtype=np.float64)[:, None] + 0.5 - cy
        rc = _CIRCLE_R * r
        mask = px * px + py * py <= rc * rc
    else:
        mask = _fill_polygon(pts, x0, y0, w, h)
    return Patch(x0, y0, mask)


def patch_box(patch: Patch) -> tuple[int, int, int, int] | None:
    """Tight integer xyxy box of a patch's set pixels (x1, y1 exclusive), or None if empty."""
    cols = np.flatnonzero(patch.mask.any(axis=0))
    if cols.size == 0:
        return None
    rows = np.flatnonzero(patch.mask.any(axis=1))
    return (
        patch.x0 + int(cols[0]),
        patch.y0 + int(rows[0]),
        patch.x0 + int(cols[-1]) + 1,
        patch.y0 + int(rows[-1]) + 1,
    )


def spec_patch(spec: dict[str, Any], width: int, height: int) -> Patch:
    """Rasterise one object of ``scene.meta["demo"]["objects"]`` (keys shape, center, radius,
    rotation)."""
    cx, cy = spec["center"]
    return rasterise(spec["shape"], cx, cy, spec["radius"], spec["rotation"], width, height)
