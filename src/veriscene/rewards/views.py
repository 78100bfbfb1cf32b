"""Image views for the environment: fit an image (or a crop of it) into a fixed-size array.

Observations have one fixed shape (height, width, 3) uint8, so images of other sizes are
fitted into it:

    "stretch"    resize to exactly (width, height); normalised coordinates (norm1, norm1000)
                 of the view equal those of the image, pixels scale per axis
    "letterbox"  resize keeping the aspect ratio, then pad right and bottom with black; the
                 image keeps the top-left origin, so pixel coordinates scale by one factor

A `View` records what the array shows: the region of the original image (pixels, xyxy) and
where it lies in the array, so that coordinates can be mapped between the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from PIL import Image

from veriscene.scene.image_files import read_rgb, shown_size
from veriscene.scene.mark_drawing import marked_rgb

FITS = ("stretch", "letterbox")


@dataclass(frozen=True)
class View:
    """What an observation array shows.

    region      [x0, y0, x1, y1] of the original image in pixels (the whole image, or a zoom)
    content     [x0, y0, x1, y1] of the array the region fills (pixels of the array; padding
                lies outside it)
    image_size  (width, height) of the original image
    array_size  (width, height) of the observation array
    """

    region: tuple[float, float, float, float]
    content: tuple[int, int, int, int]
    image_size: tuple[int, int]
    array_size: tuple[int, int]

    def to_dict(self) -> dict[str, Any]:
        return {"region": list(self.region), "content": list(self.content),
                "image_size": list(self.image_size), "array_size": list(self.array_size)}


def load_rgb(path: str | Path, marks: Sequence[dict[str, Any]] | None = None) -> Image.Image:
    """An image file as RGB, upright, decoded as every command decodes it
    (`scene.image_files.read_rgb`), with `marks` drawn (the points its question names by label:
    `scene.mark_drawing`); `ImageFileError` naming the file when it cannot be."""
    return marked_rgb(path, marks) if marks else read_rgb(path)


def fit_view(image: Image.Image, region: tuple[float, float, float, float] | None,
             array_size: tuple[int, int], fit: str = "stretch") -> tuple[np.ndarray, View]:
    """Crop `region` (pixels; None = whole image) and fit it into an array of `array_size`
    = (width, height). Returns the (height, width, 3) uint8 array and its View."""
    if fit not in FITS:
        raise ValueError(f"fit must be one of {FITS}, got {fit!r}")
    w, h = image.size
    x0, y0, x1, y1 = region if region is not None else (0.0, 0.0, float(w), float(h))
    aw, ah = array_size
    # crop on whole pixels covering the region (at least one pixel each way)
    box = (int(np.floor(x0)), int(np.floor(y0)), max(int(np.ceil(x1)), int(np.floor(x0)) + 1),
           max(int(np.ceil(y1)), int(np.floor(y0)) + 1))
    crop = image.crop(box)
    if fit == "stretch":
        cw, ch = aw, ah
    else:
        scale = min(aw / crop.width, ah / crop.height)
        cw, ch = max(1, min(aw, round(crop.width * scale))), max(1, min(ah, round(crop.height * scale)))
    resized = crop.resize((cw, ch), Image.Resampling.BILINEAR) if (cw, ch) != crop.size else crop
    array = np.zeros((ah, aw, 3), dtype=np.uint8)
    array[:ch, :cw] = np.asarray(resized, dtype=np.uint8)
    view = View(region=tuple(float(v) for v in box), content=(0, 0, cw, ch),  # type: ignore[arg-type]
                image_size=(w, h), array_size=(aw, ah))
    return array, view


def image_size_of(path: str | Path) -> tuple[int, int]:
    """(width, height) as shown (`scene.upright`), from the file header, without decoding the pixels;
    `ImageFileError` naming the file when it cannot be opened."""
    return shown_size(path)
