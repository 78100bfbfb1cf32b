"""Point-level relative depth from a dense depth map, as BLINK's "relative depth" task asks it:
two points given anywhere in the image (background, floor and wall included), which one is
closer to the camera?

- depth.map_points.v1 (depth_map): Which point is closer to the camera: [x, y] or [x, y]?
  Answer: the point. The scene's map (`Scene.depth_map`, `veriscene.scene.depth_maps`) decides;
  per-object depth (depth.points.v1) is not read.

Points are drawn among the map's steady pixels (`steady_pixels`): depth in the whole 5x5
neighbourhood (`edge_radius` 2) and no step between neighbouring pixels in it of more than
`edge_tolerance` (5 %; of the map's range on a "relative" map), so a point is off any depth edge (a box before a wall jumps far more) while
a floor receding smoothly is kept; the pixel of the shown (rounded) coordinates must be steady too. And a point
must lie on a surface, not on the ramp a depth model makes of a step (Depth Anything, MiDaS, ZoeDepth blur
one over 5-30 px: 2-5 % a pixel passes the step test, and the ramp's middle has a depth that is neither
surface's): one of the four squares of (radius + 1)^2 pixels at a corner of which the shown pixel lies
must be a plane of inverse depth, fitted within `surface_tolerance` (2.5 %) over the square and at the
pixel (`scene.depth_surfaces`, whose notes give the figures: on blurred synthetic 640x480 maps the
points more than 10 % off their surface's depth accepted fell from up to 21,518 to 0-125, a floor kept
99.6 %). The radius is `surface_radius` (0.067) of the shorter image side, 32 px of 480: models predict
at 384-518 px and their maps are scaled to the image, so their blur grows with it. The candidates are
drawn four times over among the steady pixels and the first `candidate_points` on a surface kept, in
the order drawn (uniform among the pixels passing both tests; the square test is made at those points
only, about 1 ms). On a sharp map (a sensor's: its big steps one or two pixels wide,
`depth_surfaces.is_sharp`) the squares are 4 x 4 pixels whatever `surface_radius`, as no ramp is
there to straddle: an object of 6 px or more keeps its points (at 33 px, objects under 33 px of 480
had none). On a blurred map the squares follow the blur's width w, measured on the map
(`depth_surfaces.surface_scales`, whose notes give the figures, "Halos"): the corner squares are of
radius 2 w (at most `surface_radius`; a relative map keeps `surface_radius`, its tolerance being a
share of its range), and the square of 2 ceil(w) + 1 px centred on the point must be a
plane too (`blur_window` w: 1), lying in the image, so no point lies in the halo a model blurs around a
small object far before its background (0.30.0's test let through points more than 10 % off there:
4,565 pixels of a synthetic room at sigma 10), nor in the box of an object narrower than that square
(`in_small_boxes`: the blur may have smoothed it away, the map holding its background's depth). On a
blurred map, when the four turns drawn give too few points, up to `MORE_TURNS` (12) more are drawn
among the steady pixels not drawn yet. ``blur_window: 0`` is 0.30.0's test; ``surface_radius: 0``
turns the test off. Two points
are compared only when their depths differ by `min_relative_gap` of the nearer one or more (10 %:
above the typical error of monocular depth models, AbsRel 0.05-0.1 on NYU Depth v2, and of
structured-light sensors at a few metres, so the order asked is the scene's and not the map's
noise; the test is the same on inverse depth: |a - b| / min(a, b) is unchanged by 1 / v); on a
map known only up to scale and shift (encodings "relative", `annotate --depth-maps`, and
"relative_inverse", ProVision's maps), by that share
of the map's range (2nd to 98th percentile, `depth_maps.value_range`) or more; and they lie
`min_distance` of the shorter image side apart or more (two marks that touch are not asked about).
Each pair is asked in both orders, closer and farther, so either point is the answer equally often.

With ``marks: true`` the points are drawn on the image as BLINK shows them (`veriscene.scene.marks`)
and the question names them: "Which point is closer to the camera: A or B?" (A: the point listed
first); the answer is the label (answer_type "str"), which the program computes from the map
(`mark_label` of the point `closer_point_in_map` picks), and images[0]["marks"] holds the points.
A marked point's steady neighbourhood is a mark's reach in radius (`scene.marks.mark_reach`) rather
than `edge_radius`, so no depth edge runs under its ring, in the image (a ring a step crosses
encloses two surfaces: the one its label names is the viewer's guess; on sharp maps of the demo's
scenes 85 of 544 marked points lay within 6 px of another surface, under a ring of 9 px).
Two points are then also far enough apart for their marks not to touch (`scene.marks.marks_apart`:
on an image whose shorter side is 160 px or less, 10 % of it is no more than two marks' reach); the
candidates of pairs left out for that alone are counted (``marks_clash:depth.map_points.v1`` in the
run's counts, `GenContext.count`), as depth.points.v1 and the segmentation point generators count theirs.

A scene without a map is skipped (its requirement); a map named but unreadable (missing, of
another size, an 8-bit PNG) fails the generator on that scene: counted as ``failed:`` and written
to rejects.jsonl with the file and the scene, the run goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
from mypy_extensions import mypyc_attr

from veriscene.generators.base import Batch, Candidate, GenContext, Generator, GeneratorConfig
from veriscene.generators.registry import register
from veriscene.generators.regions import (
    MARKS_CLASH, MARKS_UNPLACED, add_point, coord_meta, mark_meta, mark_text, placed_marks, point_text, shown_point,
)
from veriscene.program.builder import ProgramBuilder
from veriscene.program.ops_depth_map import depth_map_of
from veriscene.scene.depth_maps import RELATIVE, encoding_of, steady_pixels, value_range
from veriscene.scene.depth_surfaces import in_small_boxes, on_surface_at, surface_scales
from veriscene.scene.marks import mark_reach
from veriscene.scene.model import Scene


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class DepthMapPointsConfig(GeneratorConfig):
    min_relative_gap: float = 0.10  # |a - b| / min(a, b): depths of the two points differ by 10 % or more
    edge_radius: int = 2  # a point's neighbourhood: (2r + 1)^2 pixels, 5x5, all with depth ...
    edge_tolerance: float = 0.05  # ... and no step of more than 5 % between neighbouring pixels (no edge)
    surface_radius: float = 0.067  # ... and on a surface: a corner square of this share of the shorter image
    # side (32 px of 480, 72 of 1080; 3 px on a sharp map) a plane of inverse depth (0: no such test) ...
    surface_tolerance: float = 0.025  # ... within 2.5 % (module notes of scene.depth_surfaces)
    blur_window: float = 1.0  # on a blurred map, also a plane over the square centred on the point, of this many
    # times the blur's width (measured) in radius, and not in a box that square does not fit in (0: 0.30.0's test)
    candidate_points: int = 24  # points drawn per scene among the steady pixels (pairs: up to 276)
    min_distance: float = 0.1  # the two points lie this share of the shorter image side apart or more
    marks: bool = False  # draw the points on the image, labelled "A", "B", and ask about the labels


# (shown text, the point in pixels as shown, its depth)
_Point = tuple[str, list[float], float]


def map_range(ctx: GenContext) -> float:
    """The range of the scene's map (`value_range`), once per scene."""
    return ctx.index.memo("depth map range", lambda: value_range(depth_map_of(ctx.exec_ctx, 0)))


def _steady(ctx: GenContext, radius: int, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """The map's steady pixels (`steady_pixels`): (H, W) bool, and their flat indices
    (row * W + col), once per scene."""

    def compute() -> tuple[np.ndarray, np.ndarray]:
        spread = map_range(ctx) if encoding_of(ctx.scene) in RELATIVE else None
        steady = steady_pixels(depth_map_of(ctx.exec_ctx, 0), radius, tolerance, spread)
        return steady, np.flatnonzero(steady)

    return ctx.index.memo(("steady depth pixels", radius, tolerance), compute)


def map_surface_scales(ctx: GenContext, radius: int, spread: float | None, blur_window: float) -> tuple[int, int]:
    """The surface test's squares on the scene's map (`depth_surfaces.surface_scales`: the corner
    squares' radius, 3 px on a map whose big steps are sharp, twice the blur's width on a blurred
    one, at most `radius`; and the centred square's), once per scene."""
    return ctx.index.memo(("depth surface scales", radius, blur_window),
                          lambda: surface_scales(depth_map_of(ctx.exec_ctx, 0), radius, spread, blur_window))


_Drawn = tuple[int, int, str, list[float]]  # (flat index drawn, that of the shown pixel, text, point)
MORE_TURNS = 12  # on a blurred map, drawn up to 12 turns more when four were not enough (few points on surfaces)


def draw_points(ctx: GenContext, config: DepthMapPointsConfig) -> list[_Point]:
    """Up to `candidate_points` points at the centres of steady pixels, drawn with the scene's
    rng, kept when the pixel of their shown coordinates (rounded in `box_format`) is steady too
    and on a surface (`on_surface_at`; on a blurred map, not in a box narrower than the blur's
    window either: `in_small_boxes`): the first so many of four times as many drawn, in the order
    drawn (on a blurred map, when these are not enough, of up to `MORE_TURNS` times as many more,
    drawn from the steady pixels not drawn yet), then in the map's order (row by row)."""
    depth = depth_map_of(ctx.exec_ctx, 0)  # DepthMapError for a bad file: the runner counts it
    # marked: no edge under the ring either (a ring a depth step crosses encloses two surfaces)
    radius = max(config.edge_radius, mark_reach(ctx.scene.width, ctx.scene.height)) if config.marks else config.edge_radius
    is_steady, steady = _steady(ctx, radius, config.edge_tolerance)
    if len(steady) == 0:
        return []
    width = ctx.scene.width
    radius = round(config.surface_radius * min(width, ctx.scene.height))  # (pixels)
    over = 4 if radius > 0 else 1  # (drawn four times over: some are on ramps)
    picked = ctx.rng.choice(len(steady), size=min(over * config.candidate_points, len(steady)), replace=False)
    drawn = _shown(ctx, config, is_steady, steady[np.asarray(picked)].tolist())
    spread = map_range(ctx) if drawn and encoding_of(ctx.scene) in RELATIVE else None
    centre = 0
    if drawn and radius > 0:  # (the squares fit the map's blur: `surface_scales`)
        radius, centre = map_surface_scales(ctx, radius, spread, config.blur_window)
    kept = _on_surfaces(ctx, config, depth, drawn, radius, centre, spread)
    if centre > 0 and len(kept) < config.candidate_points and len(picked) < len(steady):
        rest = np.delete(steady, np.asarray(picked))  # (in the map's order)
        more = ctx.rng.choice(len(rest), size=min(MORE_TURNS * config.candidate_points, len(rest)), replace=False)
        kept += _on_surfaces(ctx, config, depth, _shown(ctx, config, is_steady, rest[more].tolist()), radius,
                             centre, spread, config.candidate_points - len(kept))
    kept = sorted(kept[:config.candidate_points], key=lambda d: d[0])
    return [(text, shown, float(depth.flat[pixel])) for _, pixel, text, shown in kept]


def _shown(ctx: GenContext, config: DepthMapPointsConfig, is_steady: np.ndarray, flats: list[int]) -> list[_Drawn]:
    """The pixels drawn (flat indices) as their points are shown (rounded in `box_format`), those
    whose shown pixel is steady too."""
    width = ctx.scene.width
    drawn: list[_Drawn] = []
    for flat in flats:
        row, col = divmod(int(flat), width)
        text, shown = shown_point(ctx.scene, (col + 0.5, row + 0.5), config.box_format)
        c, r = int(shown[0]), int(shown[1])
        if (c, r) != (col, row):  # rounded onto a neighbour: steady too?
            if not (0 <= c < width and 0 <= r < ctx.scene.height and is_steady[r, c]):
                continue
        drawn.append((int(flat), r * width + c, text, shown))
    return drawn


def _on_surfaces(ctx: GenContext, config: DepthMapPointsConfig, depth: np.ndarray, drawn: list[_Drawn], radius: int,
                 centre: int, spread: float | None, wanted: int | None = None) -> list[_Drawn]:
    """Of the points `drawn`, the first `wanted` (`candidate_points`) on a surface, tested in turns
    of `candidate_points` (most maps need one turn)."""
    wanted = config.candidate_points if wanted is None else wanted
    width = ctx.scene.width
    kept: list[_Drawn] = []
    for start in range(0, len(drawn), config.candidate_points):
        turn = drawn[start:start + config.candidate_points]
        at = np.asarray([d[1] for d in turn])
        rows, cols = at // width, at % width
        on = on_surface_at(depth, rows, cols, radius, config.surface_tolerance, spread, centre)
        if centre > 0:  # (an object narrower than the blur's window may be smoothed into its background)
            on &= ~in_small_boxes(ctx.scene.boxes, rows, cols, centre)
        kept += [d for d, ok in zip(turn, on.tolist()) if ok]
        if len(kept) >= wanted:
            break
    return kept[:wanted]


@mypyc_attr(allow_interpreted_subclasses=True)
class DepthMapPoints(Generator):
    """Which of two points anywhere in the image is closer to (farther from) the camera, by the
    scene's dense depth map."""

    answer_type = "point"
    requires = ("depth_map",)
    Config = DepthMapPointsConfig
    description = "Which of two points anywhere in the image is closer to the camera, by a dense depth map."
    templates = {
        "closer": ("Which point is closer to the camera: {p1} or {p2}?",
                   "Two points of the image are given by their coordinates, {p1} and {p2}. Which one is nearer to the viewer?",
                   "Of the points {p1} and {p2}, which shows something closer to the camera?"),
        "farther": ("Which point is farther from the camera: {p1} or {p2}?",
                    "Two points of the image are given by their coordinates, {p1} and {p2}. Which one is further away from the viewer?"),
        # ``marks: true``: the points drawn on the image, labelled {p1} ("A") and {p2} ("B")
        "closer_marks": ("Which point is closer to the camera: {p1} or {p2}?",
                         "Two points are marked on the image, {p1} and {p2}. Which one is nearer to the viewer?",
                         "Of the marked points {p1} and {p2}, which shows something closer to the camera?"),
        "farther_marks": ("Which point is farther from the camera: {p1} or {p2}?",
                          "Two points are marked on the image, {p1} and {p2}. Which one is further away from the viewer?"),
    }

    def __init__(self, config: DepthMapPointsConfig | None = None) -> None:
        super().__init__(config)
        # marked points are answered by their label
        self.answer_type = "str" if self.config.marks else "point"  # type: ignore[attr-defined,misc]

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        config: DepthMapPointsConfig = self.config  # type: ignore[assignment]
        points = draw_points(ctx, config)
        if len(points) < 2:
            return
        xy = np.asarray([p[1] for p in points], dtype=np.float64)  # (K, 2) pixels
        depth = np.asarray([p[2] for p in points], dtype=np.float64)  # (K,)
        apart = np.abs(depth[:, None] - depth[None, :])
        if encoding_of(ctx.scene) in RELATIVE:  # order only: a share of the map's range
            spread = map_range(ctx)
            gap = apart / spread if spread > 0 else np.zeros_like(apart)
        else:  # > 0: "depth" and "inverse" maps hold no value <= 0
            gap = apart / np.minimum(depth[:, None], depth[None, :])
        far = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) >= \
            config.min_distance * min(ctx.scene.width, ctx.scene.height)
        ok = np.triu((gap >= config.min_relative_gap) & far, k=1)
        if config.marks:  # and marks drawn at the two keep clear of each other (`scene.marks.marks_apart`)
            centres = np.floor(xy)
            clear = np.hypot(*(centres[:, None, :] - centres[None, :, :]).transpose(2, 0, 1)) > \
                2 * mark_reach(ctx.scene.width, ctx.scene.height)
            ctx.count(MARKS_CLASH, 4 * int((ok & ~clear).sum()))  # (the pairs' candidates: 2 orders, 2 ways)
            ok &= clear
        keys: list[list[Any]] = []
        asked: list[tuple[GenContext, _Point, _Point, str, bool]] = []
        for i, j in zip(*(side.tolist() for side in np.nonzero(ok))):
            for which in ("closer", "farther"):
                for i_first in (True, False):
                    keys.append([i, j, which])
                    asked.append((ctx, points[i], points[j], which, i_first))
        yield Batch.of(keys, asked, self._make)

    def _make(self, ctx: GenContext, a: _Point, b: _Point, which: str, a_first: bool) -> Candidate | None:
        """The question on points a and b, a's listed first or second."""
        a_wins = a[2] < b[2] if which == "closer" else a[2] > b[2]
        answer, other = (a[1], b[1]) if a_wins else (b[1], a[1])
        first, second = (a, b) if a_first else (b, a)
        if self.config.marks:  # type: ignore[attr-defined]
            return self._marked(ctx, first, second, which, answer is first[1])
        builder = ProgramBuilder()
        builder.add("closer_point_in_map", builder.add("point", args=first[1]), builder.add("point", args=second[1]),
                    args=[which])
        return Candidate(builder.program, {"p1": first[0], "p2": second[0]}, group=which, expected=answer,
                         distractors=[other], meta=coord_meta(ctx.scene, self.config.box_format))

    def _marked(self, ctx: GenContext, first: _Point, second: _Point, which: str,
                first_wins: bool) -> Candidate | None:
        """The question on the points drawn on the image, `first` labelled "A", `second` "B", each
        label where it hides the fewest small objects (`regions.label_corners`); None, counted,
        when a label has no corner inside the image clear of the other mark."""
        marks = placed_marks(ctx.exec_ctx, [first[1], second[1]], [None, None])
        if marks is None:
            ctx.count(MARKS_UNPLACED)
            return None
        (la, lb) = (m["label"] for m in marks)
        builder = ProgramBuilder()
        picked = builder.add("closer_point_in_map", add_point(builder, first[1], la), add_point(builder, second[1], lb),
                             args=[which])
        builder.add("mark_label", picked)
        answer, other = (la, lb) if first_wins else (lb, la)
        return Candidate(builder.program, {"p1": la, "p2": lb}, group=f"{which}_marks", expected=answer,
                         distractors=[other], meta=mark_meta(ctx.scene, [la, lb], answered=True), marks=marks)

    def choice_text(self, value: Any, scene: Scene) -> str:
        if self.config.marks:  # type: ignore[attr-defined]
            return mark_text(value)
        return point_text(scene, value, self.config.box_format)


register("depth.map_points.v1", family="depth")(DepthMapPoints)
