"""Pixels of a depth map that lie on a surface, not on the blurred step between two.

Monocular depth models (Depth Anything, MiDaS, DPT, ZoeDepth, and so ProVision's maps) smooth a
depth step over 5 to 30 pixels: between a box at 3 m and a wall at 8 m the map passes through
every depth in between. A pixel in that ramp has a depth that is neither surface's, and no step
between neighbours is large there (3 m to 8 m over 30 px is 2-5 % a pixel), so a test of neighbouring
steps (`depth_maps.steady_pixels`) lets it through. What tells it from a surface is the scale:
a ramp is as wide as the blur and ends in two kinks; a surface goes on.

The test (`on_surfaces`): a pixel is on a surface when one of the four squares of
(radius + 1)^2 pixels having it at a corner (up-left, up-right, down-left, down-right) is a plane
in inverse depth: the least-squares plane g = a + b u + c v over the square fits its pixels within
`tolerance` (root mean square) and the pixel itself within `tolerance` (its own residual). Why a
plane in inverse depth: a plane of the world (floor, wall, table, the face of a box) seen by a
pinhole camera has 1 / z affine in the pixel coordinates, exactly, however steeply it recedes;
and a monocular model's disparity known up to a scale and a shift (encodings "relative") is an
affine function of it, so planes stay planes. Why a corner square: a point near an edge has the
square on its own side clean; a point in a ramp narrower than the square has every square
crossing a kink of the ramp (a ramp wider than the square looks like a steep plane: `radius` must
exceed the blur's full width). Tolerance is a share of the pixel's inverse depth (its depth, to
first order: 2.5 % of 1 / z is 2.5 % of z), or of the map's range for a relative map.

The figures behind the defaults (radius 32 px, tolerance 0.025; `benchmarks/depth_map_points.py
--figures`: a 640x480 room, a floor receding from 2.6 m to a wall at 8 m, a side wall, a box's
face at 3 m, a ball of 0.5 m at 4 m; the map blurred in inverse depth, as models blur it, by a
Gaussian of sigma 2 to 10 px or a linear ramp of 4 to 30 px; `steady_pixels`' 5x5 step test alone,
then with this test): pixels accepted whose map depth is more than 10 % off the unblurred depth
there: sigma 4: 674 -> 0, 7: 10,966 -> 0, 10: 23,836 (every one) -> 33; ramp 8 px: 143 -> 0, 15:
2,703 -> 0, 22: 12,951 -> 0, 30: 21,518 -> 125. More than 5 % off: sigma 7 17,018 -> 84, ramp 30
25,887 -> 1,544. Kept of the pixels kept before: the floor 99.6-99.9 % (sharp or blurred), the
walls 99-91 %, the box's face 100-70 %, the ball 99-62 % (a ball is not a plane, and blurred its
silhouette is a ramp); on the sharp map 99.8, 99.0, 100 and 98.4 %. Radius 16 left most of the
wide ramps (sigma 10: 18,165 of 23,836; ramp 30: 19,001), radius 24 a quarter to half (5,664;
9,913), radius 40 none, but more of the ball (51 % kept at sigma 10); tolerance 0.04 let 3,364
through at sigma 10. So the radius must exceed the blur's full width, and the generator sets it as a share
of the image (0.067 of the shorter side: 32 px of 480, 72 of 1080): models predict at 384-518 px
and their maps are scaled to the image, so the blur grows with it. The tolerance, 2.5 %, is a
quarter of the gap depth.map_points asks for (10 %): two points each within 2.5 % of their
surface keep the order of a pair 10 % apart with a margin as large again for the map's own error.
The price: an object smaller than the square both ways gives no point, nor a strongly curved one.
On a sharp map (a sensor's: NYU, KITTI) there is no ramp to straddle, so the test takes squares of
4 x 4 pixels there (`surface_radius`: `SHARP_RADIUS`), when the map's big steps are one or two pixels
wide (`is_sharp`, `step_widths`: 90 % of its big steps narrower than the square, and 50 sampled or
more; a model's map blurred over 3 px or more has none that narrow, and one with too few big steps
keeps the radius). `benchmarks/depth_map_points.py --figures`, the room with 27 square faces of 6 to
64 px: sharp, 18 of them (6-32 px) had no point at radius 32, none has at 3 px, and no point is
more than 10 % off (nor 5 %); every blurred map (Gaussian sigma 1-10, ramps 3-30 px) is told
blurred and keeps radius 32 (a ramp of 2 px may be told either way: sound both ways).

Halos (0.31): the corner test alone, at radius 32, let through points far off their surface around
small objects far before a wall or the floor (`--figures`, the room with 27 faces of 6-64 px:
accepted >10 % off, Gaussian sigma 5: 32, 7: 523, 10: 4,565; ramp 15: 10, 22: 501, 30: 3,441; the
room alone: 0 to 125). A face narrower than the blur is a smooth bump, not a plateau with kinks: on
its flank a corner square of 33 px is a plane within 2.5 %, and its pixel at the corner too, while
the pixel's depth is a mix of the face's and the wall's; on the face itself the bump never reaches
the face's depth. So on a blurred map the test is set by the blur's own width w, measured on the
map (`blur_width`: the median of `step_widths` over its big steps, a ramp of w px reading w, a
Gaussian of sigma s 2.5 s; `surface_scales`): (a) a pixel's square of 2 ceil(w) + 1 px centred on it
must be a plane too (within the same tolerance, over it and at the pixel, and inside the map: near
its border a step could lie just outside), so a step within w of the pixel, whose blur reaches it,
is seen on both sides of it; (b) a point inside the box of an object narrower than that square
(`in_small_boxes`, the generator's) is not taken: a blur can smooth a small face into its
background so far that the map is a plane there (a bump of 3 % for 6-8 px at sigma 10) and only
the scene's box tells the image shows the face; (c) the corner squares are of radius 2 w (at least
3, at most `radius`) rather than `radius`: the centred square guards the halos, and a square of
twice the ramp's width still ends in its kinks, so objects wider than about 4 w keep their points
(on a map in depth; a relative map, whose tolerance is a share of its range, keeps `radius`: with
smaller corners the blurred limb of the ball passed, 26 pixels >10 % of the range off at sigma 4;
with `radius` none at any blur, from up to 5,447 with 0.30.0's test).
A map with too few big steps to measure (fewer than `MIN_STEPS`) keeps the corner radius and takes
a centred square of half of it; a sharp map neither (no blur, no halo). `--figures` (accepted >10 %
off, 0.30.0 -> now; share kept of the sound points 0.30.0 accepted): the room with the 27 faces,
every blur of sigma 1-10 and ramps of 2-30 px: 0 (from up to 4,565); >5 % off: sigma 7 1,703 -> 55,
10 9,351 -> 311; kept 98-100 % at sigma 1 or ramps 2-3, 80-91 % at sigma 2-4 or ramps 4-8, 54-77 % at
sigma 5-10 or ramps 15-30; the room alone: 0 (from 33 and 125 at sigma 10 and ramp 30), kept 99-100 %
to 57 % (ramp 30: the centred square leaves a band of 30 px along the border and 30 px around every
step). Faces with a sound point (<= 10 % off), of 27: sigma 1 9 -> 21, 2 9 -> 15, 3 6 -> 12; ramp 2
9 -> 24, 4 9 -> 18, 8 7 -> 12; under wider blurs fewer than before (sigma 7 4 -> 1, ramp 30 6 -> 0): the
points 0.30.0 gave them lay where the blur reaches, within 10 % by chance of the depths. A blur
of sigma 7 leaves no pixel within 5 % on a face under 32 px (sigma 5: under 24 px), so none can
have a point there. ``blur_window=0`` is 0.30.0's test; ``radius=0`` turns the test off.
Cost: `is_sharp`, once per scene, looks along every 8th row and column (about 10-20 ms at 640x480,
45-135 ms at 1920x1080 on a loaded machine: half the steady-pixel pass's). `on_surfaces`, the whole map, is four integral images and a few passes (about 50 ms at
640x480 on a loaded machine); `on_surface_at` fits the squares of the few points drawn (about
1 ms for 96 points at 640x480).
"""

from __future__ import annotations

import numpy as np


def on_surfaces(depth: np.ndarray, radius: int = 32, tolerance: float = 0.025,
                spread: float | None = None, centre: int = 0) -> np.ndarray:
    """(H, W) bool: pixels of `depth` ((H, W), smaller = closer, NaN: none) on a plane of inverse
    depth over one of their four corner squares of (radius + 1)^2 pixels (module notes); with
    `spread` (a "relative" map: values affine in inverse depth), the values themselves are fitted
    and `tolerance` is a share of `spread`. All True for ``radius=0``. With `centre` > 0, also on
    a plane over the square of (2 centre + 1)^2 pixels centred on them, which must lie in the map:
    the blur's own scale (module notes, "Halos")."""
    h, w = depth.shape
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g = depth.astype(np.float64)
        if spread is None:
            np.divide(1.0, g, out=g)
        if spread is None:
            scale = np.abs(1.0 / depth.astype(np.float32)) * np.float32(tolerance)  # (tolerance in inverse depth)
        else:
            scale = np.full((h, w), np.float32(tolerance * spread), dtype=np.float32)
    bad = ~np.isfinite(g)
    g[bad] = 0.0
    g -= g.mean()  # (values near 0: less cancellation in the sum of squares minus the fit's)
    out = _corner_fits(g, bad, scale, radius)
    if centre > 0:
        out &= _centred_fits(g, bad, scale, centre)
    return out


def _corner_fits(g: np.ndarray, bad: np.ndarray, scale: np.ndarray, radius: int) -> np.ndarray:
    """`on_surfaces`' corner test on the centred values `g` (inverse depth, or a relative map's)."""
    h, w = g.shape
    n = radius + 1
    if radius <= 0:
        return np.ones((h, w), dtype=bool)
    if h < n or w < n:
        return np.zeros((h, w), dtype=bool)
    a, b, c, sse = _planes(g, bad, n)
    hb, wb = a.shape
    gp = g.astype(np.float32)
    out = np.zeros((h, w), dtype=bool)
    fit = np.empty_like(a)
    for dv in (0, radius):  # the pixel at the square's top (dv 0) or bottom row
        for du in (0, radius):  # ... and its left (du 0) or right column
            allowed = scale[dv:dv + hb, du:du + wb]
            np.multiply(b, np.float32(du), out=fit)
            fit += a
            fit += c * np.float32(dv)
            fit -= gp[dv:dv + hb, du:du + wb]
            with np.errstate(invalid="ignore"):
                fits = np.abs(fit, out=fit) <= allowed
                fits &= sse <= allowed * allowed * np.float32(n * n)
            out[dv:dv + hb, du:du + wb] |= fits
    return out


def _centred_fits(g: np.ndarray, bad: np.ndarray, scale: np.ndarray, centre: int) -> np.ndarray:
    """`on_surfaces`' centred test: each pixel's square of (2 centre + 1)^2 centred on it a plane
    within `scale` over it and at the pixel; False where that square leaves the map."""
    h, w = g.shape
    n = 2 * centre + 1
    out = np.zeros((h, w), dtype=bool)
    if h < n or w < n:
        return out
    a, b, c, sse = _planes(g, bad, n)
    hb, wb = a.shape
    allowed = scale[centre:centre + hb, centre:centre + wb]
    with np.errstate(invalid="ignore"):
        fit = np.abs(a + (b + c) * np.float32(centre) - g[centre:centre + hb, centre:centre + wb].astype(np.float32))
        out[centre:centre + hb, centre:centre + wb] = (fit <= allowed) & (sse <= allowed * allowed * np.float32(n * n))
    return out


def _planes(g: np.ndarray, bad: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The least-squares planes g ~ a + b u + c v over each n x n square of `g` (indexed by its
    top-left pixel: (H - n + 1, W - n + 1) each), u the column and v the row in the square, and
    each square's sum of squared residuals (inf over a square with a pixel of `bad`); float32."""
    h, w = g.shape
    # per square: sums over its n x n pixels, each through one integral image (a float64 buffer
    # filled in turn: fresh ones cost more)
    sums = _SquareSums(h, w, n)
    cols = np.arange(w, dtype=np.float64)
    rows = np.arange(h, dtype=np.float64)[:, None]
    s64 = sums.of(g)
    su = sums.of(g * cols, float32=True)  # sum of u g, u = col - the square's first col
    su -= (cols[:w - n + 1] * s64).astype(np.float32)
    sv = sums.of(g * rows, float32=True)  # sum of v g, v = row - its first row
    sv -= (rows[:h - n + 1] * s64).astype(np.float32)
    s2 = sums.of(g * g, float32=True)
    holes = sums.of(bad, float32=True) > 0.5
    s = s64.astype(np.float32)
    del s64, sums
    # least squares g ~ a + b u + c v over the square: (a, b, c) = M^-1 (s, su, sv), M the sum of
    # (1, u, v)(1, u, v)^T over u, v in 0..n-1 (the same for every square)
    m = np.linalg.inv(_normal_matrix(n)).astype(np.float32)
    a = m[0, 0] * s + m[0, 1] * su + m[0, 2] * sv
    b = m[1, 0] * s + m[1, 1] * su + m[1, 2] * sv
    c = m[2, 0] * s + m[2, 1] * su + m[2, 2] * sv
    sse = s2 - (a * s + b * su + c * sv)  # each square's sum of squared residuals
    sse[holes] = np.inf
    return a, b, c, sse


class _SquareSums:
    """Sums of an (H, W) array over each n x n square, indexed by its top-left pixel:
    (H - n + 1, W - n + 1), through an integral image in one float64 buffer used in turn."""

    def __init__(self, h: int, w: int, n: int) -> None:
        self.n, self.total = n, np.zeros((h + 1, w + 1), dtype=np.float64)

    def of(self, values: np.ndarray, float32: bool = False) -> np.ndarray:
        n, total = self.n, self.total
        total[1:, 1:] = values  # (row 0 and column 0 stay 0)
        np.cumsum(total, axis=0, out=total)
        np.cumsum(total, axis=1, out=total)
        square = total[n:, n:] - total[:-n, n:]
        square -= total[n:, :-n]
        square += total[:-n, :-n]
        return square.astype(np.float32) if float32 else square


def _normal_matrix(n: int) -> np.ndarray:
    """(3, 3): sum over an n x n square of (1, u, v)(1, u, v)^T, u the column and v the row in it."""
    k = np.arange(n, dtype=np.float64)
    s1, s2 = k.sum() * n, (k * k).sum() * n  # sum of u (or v), of u^2 (or v^2) over the square
    suv = k.sum() ** 2
    return np.array([[n * n, s1, s1], [s1, s2, suv], [s1, suv, s2]])


def on_surface_at(depth: np.ndarray, rows: np.ndarray, cols: np.ndarray, radius: int = 32,
                  tolerance: float = 0.025, spread: float | None = None, centre: int = 0) -> np.ndarray:
    """(K,) bool: `on_surfaces` at the K pixels (rows[k], cols[k]) alone, each of its four corner
    squares (and with `centre`, its centred square) fitted directly (K x 4 x (radius + 1)^2 values,
    not the whole map): what the generator asks of the few points it draws. The same test; the
    residuals summed directly rather than through integral images, so a pixel at the threshold
    itself may differ in the last bits."""
    rows, cols = np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)
    k = len(rows)
    h, w = depth.shape
    out = np.ones(k, dtype=bool)
    if radius > 0:
        n = radius + 1
        out[:] = False
        if h >= n and w >= n:
            for dv in (0, radius):  # the pixel at the square's top (dv 0) or bottom row
                for du in (0, radius):  # ... and its left (du 0) or right column
                    top, left = rows - dv, cols - du
                    inside = (top >= 0) & (left >= 0) & (top + n <= h) & (left + n <= w) & ~out
                    if inside.any():
                        out[np.flatnonzero(inside)[_fits_at(depth, top[inside], left[inside], n, dv, du,
                                                            tolerance, spread)]] = True
    if centre > 0:  # (the centred square must lie in the map: near its border a step could lie just outside)
        n = 2 * centre + 1
        top, left = rows - centre, cols - centre
        tested = np.flatnonzero(out & (top >= 0) & (left >= 0) & (top + n <= h) & (left + n <= w))
        out[:] = False
        if len(tested):
            out[tested] = _fits_at(depth, top[tested], left[tested], n, centre, centre, tolerance, spread)
    return out


def _fits_at(depth: np.ndarray, top: np.ndarray, left: np.ndarray, n: int, dv: np.ndarray | int,
             du: np.ndarray | int, tolerance: float, spread: float | None) -> np.ndarray:
    """(K,) bool: the n x n squares at (top[k], left[k]) are planes of inverse depth (of the values,
    with `spread`) within `tolerance` over them and at their pixel (dv[k], du[k]) (row, column in
    the square)."""
    squares = np.lib.stride_tricks.sliding_window_view(depth, (n, n))  # (H-n+1, W-n+1, n, n), a view
    k_ = np.arange(n, dtype=np.float64)
    design = np.stack([np.ones(n * n), np.tile(k_, n), np.repeat(k_, n)], axis=1)  # (n^2, 3): 1, u (column), v (row)
    m_inv = np.linalg.inv(_normal_matrix(n))
    dv_, du_ = np.broadcast_to(dv, top.shape), np.broadcast_to(du, top.shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g = squares[top, left].reshape(-1, n * n).astype(np.float64)  # (K, n^2)
        if spread is None:
            g = 1.0 / g
        own = g[np.arange(len(top)), dv_ * n + du_].copy()
        g -= own[:, None]  # (values near 0: the sum of squares minus the fit's loses nothing)
        moments = g @ design  # (K, 3): sums of g, u g, v g
        coef = moments @ m_inv  # (K, 3): the plane a + b u + c v (M is symmetric)
        sse = (g * g).sum(axis=1) - (coef * moments).sum(axis=1)
        fit_own = coef[:, 0] + coef[:, 1] * du_ + coef[:, 2] * dv_  # the plane at the pixel (whose g is 0 now)
        allowed = tolerance * (np.abs(own) if spread is None else spread)
        fits = (sse <= allowed * allowed * (n * n)) & (np.abs(fit_own) <= allowed)
    return np.asarray(fits & np.isfinite(g).all(axis=1))


# --- sharp maps: a sensor's steps are one pixel wide, so a small square is enough ------------------
SHARP_RADIUS = 3  # the square's radius on a sharp map: 4 x 4 pixels, a plane fitted over 16
SHARP_WIDTH = 2.0  # a map whose big steps are this wide or less (pixels) is sharp ...
BIG_STEP = 0.5  # ... a big step: a change of half the nearer side's inverse depth (or of a relative map's range) ...
MIN_STEPS = 50  # ... and it has so many of them (sampled) or more, else it is taken as blurred ...
SHARP_SHARE = 0.9  # ... and they are this share of its steps narrower than the square or more
_STRIDE = 8  # every 8th row (column) is looked along: an eighth of the cost, the same widths


def step_widths(depth: np.ndarray, window: int, spread: float | None = None) -> np.ndarray:
    """How wide the map's big steps are, in pixels: along every 8th row and column, at each pixel
    step that is the largest of its neighbours', the sum of the steps the same way (up or down)
    among the 2 * window - 1 around it divided by that step: 1 for a step of one pixel (with a
    little more for a surface's slope beside it), the ramp's width for a linear ramp, about 2.5
    sigma for a Gaussian blur, wide for a smooth surface receding fast; at the steps where that
    sum is `BIG_STEP` of the nearer side or more (a small object's two edges, up then down, are
    two steps). Empty when the map is too small for the window. In inverse depth, or the values
    themselves with `spread` (a "relative" map: a big step is `BIG_STEP` of `spread`)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g = depth.astype(np.float64) if spread is not None else 1.0 / depth.astype(np.float64)
    k = max(2, int(window))
    widths = [np.zeros(0)]
    for lines in (g[::_STRIDE, :], g[:, ::_STRIDE].T):
        n = lines.shape[1]
        if n < 2 * k + 2:
            continue
        with np.errstate(invalid="ignore"):
            steps = np.diff(lines, axis=1)  # (L, n - 1): step j is from pixel j to j + 1
            ups = np.zeros((len(lines), n), dtype=np.float64)  # cumulated steps up, then down
            downs = np.zeros((len(lines), n), dtype=np.float64)
            np.cumsum(np.where(steps > 0, steps, 0.0), axis=1, out=ups[:, 1:])
            np.cumsum(np.where(steps < 0, -steps, 0.0), axis=1, out=downs[:, 1:])
            size = np.abs(steps)
            m = n - 2 * k  # steps j = k - 1 .. n - k - 2: the window's steps j - k + 1 .. j + k - 1 inside
            step, signed = size[:, k - 1:k - 1 + m], steps[:, k - 1:k - 1 + m]
            peak = (step >= size[:, k - 2:k - 2 + m]) & (step >= size[:, k:k + m]) & (step > 0)
            up = ups[:, 2 * k:2 * k + m] - ups[:, :m]
            down = downs[:, 2 * k:2 * k + m] - downs[:, :m]
            change = np.where(signed > 0, up, down)
            sides = np.minimum(np.abs(lines[:, k - 1:k - 1 + m]), np.abs(lines[:, k:k + m]))
            nearer = sides if spread is None else spread
            found = peak & (change >= BIG_STEP * nearer) & np.isfinite(change) & np.isfinite(step)
        widths.append(change[found] / step[found])
    return np.concatenate(widths)


def is_sharp(depth: np.ndarray, window: int, spread: float | None = None) -> bool:
    """Whether the map's steps are not blurred (a sensor's map, or any map whose steps are one
    pixel wide): of its big steps narrower than the window (`step_widths`: a surface receding fast
    reads wider), `SHARP_SHARE` or more are `SHARP_WIDTH` px wide or less, and `MIN_STEPS` or more
    are. A model's map, blurred over 3 px or more, has no step that narrow; a map with too few
    big steps to tell is taken as blurred."""
    return _sharp(step_widths(depth, window, spread), window)


def _sharp(widths: np.ndarray, window: int) -> bool:
    """`is_sharp` from the map's `step_widths`."""
    narrow = int((widths <= SHARP_WIDTH).sum())
    return narrow >= MIN_STEPS and narrow >= SHARP_SHARE * int((widths <= window).sum())


def surface_radius(depth: np.ndarray, radius: int, spread: float | None = None) -> int:
    """The radius the surface test takes on this map: `SHARP_RADIUS` when its big steps are sharp
    (`is_sharp` over a window of `radius`: a sensor's map, or any map whose steps are not blurred,
    where a small square cannot straddle a ramp that is not there), else `radius` (a model's
    blurred map, or a map with too few big steps to tell). 0 stays 0. (0.30.0's corner radius: the
    generator now takes `surface_scales`, which sets the squares by the blur's width.)"""
    if radius <= SHARP_RADIUS:
        return radius
    return SHARP_RADIUS if is_sharp(depth, radius, spread) else radius


# --- blurred maps: the blur's own scale (module notes, "Halos") -----------------------------------
CORNER_WIDTHS = 2.0  # the corner squares' radius on a blurred map: twice its blur's width (at most `radius`)


def blur_width(depth: np.ndarray, window: int, spread: float | None = None) -> float | None:
    """The width of the map's blurred steps, in pixels: the median of `step_widths` over the big
    steps narrower than `window` (a linear ramp of w px reads w, a Gaussian of sigma s about
    2.5 s); None when fewer than `MIN_STEPS` were found (too few to tell)."""
    return _median_width(step_widths(depth, window, spread), window)


def _median_width(widths: np.ndarray, window: int) -> float | None:
    inside = widths[widths <= window]
    return float(np.median(inside)) if len(inside) >= MIN_STEPS else None


def surface_scales(depth: np.ndarray, radius: int, spread: float | None = None,
                   blur_window: float = 1.0) -> tuple[int, int]:
    """The squares the surface test takes on this map: (the corner squares' radius, the centred
    square's; 0: no centred square). A sharp map (`is_sharp`): (`SHARP_RADIUS`, 0). A blurred map
    whose blur's width w is measured (`blur_width`): (2 w, `blur_window` w), rounded up, the corner
    radius at least `SHARP_RADIUS`, both at most `radius` (a relative map, `spread` given, keeps
    the corner radius `radius`: its tolerance, a share of the map's range, is loose at far pixels,
    and smaller corners let through the blurred limb of a ball, 26 pixels >10 % of the range off at
    sigma 4 in the room with 27 faces); one with too few big steps to measure:
    (`radius`, `blur_window` * `radius` / 2). ``blur_window=0``: (`radius`, 0), 0.30.0's test
    (`surface_radius`). A `radius` of `SHARP_RADIUS` or less is taken as it is: (radius, 0)."""
    if radius <= SHARP_RADIUS:
        return radius, 0
    widths = step_widths(depth, radius, spread)
    if _sharp(widths, radius):
        return SHARP_RADIUS, 0
    if blur_window <= 0:
        return radius, 0
    width = _median_width(widths, radius)
    if width is None:
        return radius, max(1, min(radius, int(np.ceil(blur_window * radius / 2))))
    corner = max(SHARP_RADIUS, min(radius, int(np.ceil(CORNER_WIDTHS * width)))) if spread is None else radius
    return corner, max(1, min(radius, int(np.ceil(blur_window * width))))


def in_small_boxes(boxes: np.ndarray, rows: np.ndarray, cols: np.ndarray, centre: int) -> np.ndarray:
    """(K,) bool: whether the centre of pixel (rows[k], cols[k]) lies in one of `boxes` ((N, 4),
    xyxy in pixels) whose shorter side is 2 `centre` px or less: an object the blur may have
    smoothed into its background, so that the map holds the background's depth where the image
    shows the object (module notes, "Halos"). None for `centre` 0."""
    rows, cols = np.asarray(rows, dtype=np.float64), np.asarray(cols, dtype=np.float64)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    small = boxes[np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) <= 2 * centre] if centre > 0 else boxes[:0]
    if len(small) == 0 or len(rows) == 0:
        return np.zeros(len(rows), dtype=bool)
    x, y = cols[:, None] + 0.5, rows[:, None] + 0.5
    x0, y0, x1, y1 = (small[:, i][None, :] for i in range(4))
    return np.asarray(((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)).any(axis=1))
