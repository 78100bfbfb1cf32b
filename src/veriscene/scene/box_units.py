"""Boxes written as fractions of the image (normalised, 0-1) where pixels are expected.

A scene file of a user's own, or a COCO, Visual Genome, GQA or ProVision file, whose boxes were
written normalised ([0.1, 0.2, 0.5, 0.6] on a 640x480 image) passes every pixel check: each box
lies inside the image, a few pixels in its top-left corner, and the training targets made of it
are wrong. A scene is refused as such when EVERY coordinate of EVERY box lies within
[0, `NORMALISED_LIMIT`] on an image wider and taller than `NORMALISED_MIN_SIDE` pixels: a real
dataset's tiny object (a 1x1 box) sits among others that are not, so its scene passes. The boxes
are never read as normalised (no guess): the error says how to give pixels.

Boxes measured from pixel labels (a label map's, a DICOM segmentation's or structure set's) are
pixels whatever their size: `MEASURED_FORMATS`, by the scene's ``meta["source_format"]``, are not
checked.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from veriscene.errors import SceneValidationError
from veriscene.scene.floats import float32_json

NORMALISED_LIMIT = 1.5
NORMALISED_MIN_SIDE = 32
# formats whose boxes are measured from labelled pixels: never normalised
MEASURED_FORMATS = frozenset({"label_map", "dicom_seg", "dicom_rt"})

XYXY = "boxes are [x0, y0, x1, y1] in pixels: multiply x0 and x1 by the image's width ({w}) and y0 and y1 by its height ({h})"
XYWH = ("its boxes are [x, y, width, height] in pixels: multiply x and width by the image's width ({w}) and y and "
        "height by its height ({h})")


def looks_normalised(boxes: np.ndarray, width: Any, height: Any) -> bool:
    """True when every coordinate of `boxes` (n x 4, n > 0) lies within [0, NORMALISED_LIMIT]
    and the image is larger than NORMALISED_MIN_SIDE pixels a side."""
    if not boxes.size or not isinstance(width, int) or not isinstance(height, int):
        return False
    if min(width, height) <= NORMALISED_MIN_SIDE:
        return False
    return bool(boxes.max() <= NORMALISED_LIMIT and boxes.min() >= 0)


def measured(meta: Any) -> bool:
    """Whether a scene's meta says its boxes were measured from labelled pixels (`MEASURED_FORMATS`)."""
    source = meta.get("source_format") if isinstance(meta, dict) else None
    return isinstance(source, str) and source in MEASURED_FORMATS


def normalised_error(boxes: np.ndarray, width: int, height: int, field: str,
                     how: str = XYXY) -> SceneValidationError:
    """The error of a scene whose boxes look normalised: says the first box, the image's size and
    how to give pixels (`how`, formatted with w and h)."""
    n = len(boxes)
    every = "the one box" if n == 1 else f"all {n} boxes"
    return SceneValidationError(
        f"{every} of the scene lie within [0, {NORMALISED_LIMIT}] on a {width}x{height} image (the first "
        f"{float32_json(np.asarray(boxes[0], dtype=np.float32))}): the boxes look normalised (fractions of the "
        f"image's size), not pixels, and are not read as such; {how.format(w=width, h=height)}",
        field=field,
    )
