"""Rendering demo scenes: a pure function of `scene.meta["demo"]`, pixel-consistent with the masks.

The label map (which object is on top at each pixel) is rebuilt with the same rasteriser the
sampler used, then every object paints exactly its visible pixels:
- matte: its flat colour;
- shiny: the same hue with a gradient (lighter towards the upper left), a specular highlight
  blended towards white, and a 2-pixel outline at 55% brightness along the full shape's edge.
No anti-aliasing: an edge pixel belongs to exactly one object, as in the masks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from veriscene.demo.config import WorldConfig
from veriscene.demo.shapes import Patch, spec_patch
from veriscene.demo.world import label_from_patches
from veriscene.scene.model import Scene

OUTLINE_PX = 2  # width of the dark outline of shiny shapes, pixels
OUTLINE_SHADE = 0.55  # outline brightness relative to the object colour
HIGHLIGHT_OFFSET = (-0.35, -0.40)  # specular centre relative to the shape centre, in radii
HIGHLIGHT_RADIUS = 0.45  # specular spot radius, in radii
HIGHLIGHT_STRENGTH = 0.85  # max blend towards white at the spot centre
GRADIENT = (1.06, 0.20, 0.84)  # shade = clip(a - b * distance_from_spot / r, c, a)


def _specs(scene: Scene) -> list[dict[str, Any]]:
    demo = scene.meta.get("demo")
    if not isinstance(demo, dict) or "objects" not in demo:
        raise ValueError(
            f"scene {scene.image_id!r} has no meta['demo'] drawing parameters; "
            "only scenes made by veriscene.demo can be rendered"
        )
    specs = sorted(demo["objects"], key=lambda s: s["order"])
    if len(specs) != len(scene):
        raise ValueError(
            f"scene {scene.image_id!r}: meta['demo'] describes {len(specs)} objects, scene has {len(scene)}"
        )
    return specs


def label_map(scene: Scene) -> tuple[np.ndarray, list[Patch]]:
    """(H, W) int8 index of the top object per pixel (-1 = background), and each full-shape patch.

    The same function the sampler's masks come from, so masks and pixels agree exactly."""
    patches = [spec_patch(spec, scene.width, scene.height) for spec in _specs(scene)]
    return label_from_patches(patches, scene.height, scene.width), patches


def erode(mask: np.ndarray, steps: int) -> np.ndarray:
    """4-neighbour binary erosion; pixels outside the patch count as outside the shape."""
    out = mask
    for _ in range(steps):
        p = np.pad(out, 1, constant_values=False)
        out = p[1:-1, 1:-1] & p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    return out


def _shiny_colours(spec: dict[str, Any], patch: Patch) -> np.ndarray:
    """(h, w, 3) float colours of a shiny shape over its patch."""
    h, w = patch.mask.shape
    cx, cy = spec["center"]
    r = float(spec["radius"])
    rgb = np.asarray(spec["rgb"], dtype=np.float64)
    sx, sy = cx + HIGHLIGHT_OFFSET[0] * r, cy + HIGHLIGHT_OFFSET[1] * r
    xs = patch.x0 + np.arange(w, dtype=np.float64)[None, :] + 0.5 - sx
    ys = patch.y0 + np.arange(h, dtype=np.float64)[:, None] + 0.5 - sy
    d = np.sqrt(xs * xs + ys * ys) / r  # (h, w) distance from the specular spot, in radii
    a, b, c = GRADIENT
    shade = np.clip(a - b * d, c, a)[..., None]
    spot = (np.clip(1.0 - d / HIGHLIGHT_RADIUS, 0.0, 1.0) ** 2 * HIGHLIGHT_STRENGTH)[..., None]
    colours = np.clip(rgb * shade, 0, 255) * (1.0 - spot) + 255.0 * spot
    edge = patch.mask & ~erode(patch.mask, OUTLINE_PX)
    colours[edge] = rgb * OUTLINE_SHADE
    return colours


def render_scene(scene: Scene, config: WorldConfig | None = None) -> Image.Image:
    """Draw a demo scene as an RGB image of scene.width x scene.height.

    Everything drawn comes from `scene.meta["demo"]`, so the same scene always gives the same
    pixels. `config`, if given, is only checked against the scene's image size.
    """
    if config is not None and (config.width, config.height) != (scene.width, scene.height):
        raise ValueError(
            f"scene {scene.image_id!r} is {scene.width}x{scene.height} but the config says "
            f"{config.width}x{config.height}"
        )
    specs = _specs(scene)
    label, patches = label_map(scene)
    background = scene.meta["demo"].get("background", [236, 234, 228])
    image = np.empty((scene.height, scene.width, 3), dtype=np.uint8)
    image[...] = np.asarray(background, dtype=np.uint8)
    for k, (spec, patch) in enumerate(zip(specs, patches)):
        h, w = patch.mask.shape
        window = (slice(patch.y0, patch.y0 + h), slice(patch.x0, patch.x0 + w))
        mine = label[window] == k  # visible pixels of object k inside its patch
        if spec["material"] == "shiny":
            colours = np.rint(_shiny_colours(spec, patch)).astype(np.uint8)
            image[window][mine] = colours[mine]
        else:
            image[window][mine] = np.asarray(spec["rgb"], dtype=np.uint8)
    return Image.fromarray(image)
