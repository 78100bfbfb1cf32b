"""Synthetic dense depth maps of demo scenes: the demo world draws no depth map (its scenes carry
per-object depth only), so generators needing one (`depth.map_points.v1`, ``requires:
depth_map``) ask nothing on it. `veriscene generators` shows their example on demo scenes given
one of these (`generators.catalog`); a user's own scenes get real maps from a depth model
(`veriscene annotate --depth MODEL --depth-maps DIR`) or a sensor (a scene's ``depth_map``).

The map is as simple as a scene the eye reads: a floor receding from `FLOOR_NEAR` metres at the
image's bottom row to `FLOOR_FAR` at its top, and each object flat, facing the camera, over its
visible mask (its box without one) at `OBJECT_NEAR` + `OBJECT_SPAN` x its demo depth (the demo
world's (n - k) / n, smaller = closer: 1 to 3 m), so closer objects are closer in the map and
every object stands before the floor. Sharp steps (a sensor's map, not a model's blur).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Iterable

import numpy as np

from veriscene.scene.masks import decode_mask
from veriscene.scene.model import Scene

FLOOR_NEAR, FLOOR_FAR = 4.0, 8.0  # metres, at the image's bottom and top rows
OBJECT_NEAR, OBJECT_SPAN = 1.0, 2.0  # an object at demo depth d: 1 + 2 d metres


def synthetic_depth_map(scene: Scene) -> np.ndarray:
    """(H, W) float32 depth in metres (smaller = closer) of a demo scene (module notes): the
    floor receding towards the image's top, each object at its depth over its visible mask
    (`scene.masks`; its box without one), the closer painted last. ValueError for a scene
    without per-object depth."""
    if scene.depth is None:
        raise ValueError(f"scene {scene.image_id!r} has no per-object depth to make a depth map from")
    rows = np.linspace(FLOOR_FAR, FLOOR_NEAR, scene.height, dtype=np.float64) if scene.height > 1 else \
        np.full(1, FLOOR_NEAR)
    depth = np.repeat(rows[:, None], scene.width, axis=1).astype(np.float32)
    for i in np.argsort(-np.asarray(scene.depth, dtype=np.float64), kind="stable").tolist():  # far to near
        value = np.float32(OBJECT_NEAR + OBJECT_SPAN * float(scene.depth[i]))
        rle = scene.masks[i] if scene.masks is not None else None
        if rle:
            depth[decode_mask(rle)] = value
        else:
            x0, y0, x1, y1 = (int(round(float(v))) for v in scene.boxes[i])
            depth[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = value
    return depth


def with_synthetic_depth_maps(scenes: Iterable[Scene], folder: str | os.PathLike[str]) -> list[Scene]:
    """The scenes, each with its `synthetic_depth_map` written to `folder` (``<image_id>.npy``, an
    existing folder: a temporary one, removed by its caller) and named as its ``depth_map``."""
    out = []
    for scene in scenes:
        path = Path(folder) / f"{scene.image_id}.npy"
        np.save(path, synthetic_depth_map(scene))
        out.append(replace(scene, depth_map=str(path)))
    return out
