"""Ops on a scene's dense depth map (`Scene.depth_map`, read by `veriscene.scene.depth_maps`):
the depth at a point anywhere in the image (background, floor and wall included), and which of
two points is closer to the camera.

The ops read the map a pixel at a time (`depth_pixels_of`: an .npy memory-mapped, once per scene
index, as `scene_masks` decodes masks); generators read it whole (`depth_map_of`), the same values:
depth, smaller = closer (an inverse-depth map is turned into depth as it is read, a
"relative_inverse" one, ProVision's, flipped: -v). A point's depth is the value of the pixel it
lies on; a pixel without depth (NaN; 0 or less in a map of encoding "depth" or "inverse", where
sensors write 0 for nothing measured, but not in a relative map, where 0 is a value: ProVision's
farthest pixel) fails the program, as does a map that is missing or does not fit the scene (its
message names the file).
A map at a URL is read through its local copy, and one of a photo's stored pixels
(``meta["depth_map_exif_orientation"]``) turned as the photo is shown, by `scene.depth_maps`: a
point is always of the pixels shown.
"""

from __future__ import annotations

import numpy as np

from veriscene.program.context import ExecutionContext
from veriscene.program.ops import fail
from veriscene.program.ops_geometry import point_inside
from veriscene.program.ops_masks import DEPTH_ORDER
from veriscene.program.registry import op
from veriscene.program.types import FLOAT, POINT, Point
from veriscene.scene.depth_maps import DepthMapError, DepthPixels, load_depth_map, open_depth_map


def depth_map_of(ctx: ExecutionContext, image: int) -> np.ndarray:
    """The (H, W) float32 depth map of image `image` (NaN: no depth), read once per scene
    index; DepthMapError when it cannot be read (not kept: asked again, it is read again)."""
    index = ctx.index(image)
    whole = index.memo("depth map", lambda: load_depth_map(ctx.scene(image)))
    # the ops' pixels from it, not from the file again (a map at a URL: another request to the
    # store). Depth already ("relative": values as they are, NaN none): the same floats
    index.memo("depth pixels", lambda: DepthPixels(whole, "relative"))
    return whole


def depth_pixels_of(ctx: ExecutionContext, image: int) -> DepthPixels:
    """The depth map of image `image` read a pixel at a time (an .npy memory-mapped): what the ops
    keep per scene index, so that `verify`'s cached contexts do not each hold a whole map."""
    return ctx.index(image).memo("depth pixels", lambda: open_depth_map(ctx.scene(image)))


def map_depth_at(ctx: ExecutionContext, image: int, p: Point) -> float:
    """Depth of the map under point p (its pixel); fails outside the image, on a pixel without
    depth, and when the map cannot be read."""
    col, row = point_inside(ctx, image, p)
    try:
        value = depth_pixels_of(ctx, image).at(row, col)
    except DepthMapError as exc:
        fail(exc.reason)
    if value != value:  # NaN
        fail(f"point {list(p)} has no depth in the depth map")
    return value


@op("depth_at_point", inputs=[POINT], out=FLOAT, requires=("depth_map",))
def depth_at_point(ctx: ExecutionContext, p: Point) -> float:
    """The depth map's depth under a point of image 0 (smaller = closer)."""
    return map_depth_at(ctx, 0, p)


@op("closer_point_in_map", inputs=[POINT, POINT], args=[DEPTH_ORDER], out=POINT, requires=("depth_map",))
def closer_point_in_map(ctx: ExecutionContext, p1: Point, p2: Point, which: str) -> Point:
    """Of two points of image 0, the one closer to (farther from) the camera by the depth map;
    fails on a pixel without depth and on equal depth."""
    d1, d2 = map_depth_at(ctx, 0, p1), map_depth_at(ctx, 0, p2)
    if d1 == d2:
        fail("the two points have the same depth")
    first = d1 < d2 if which == "closer" else d1 > d2
    return p1 if first else p2
