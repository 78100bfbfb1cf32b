"""Pictures for the viewer: mask overlays drawn from a scene's RLE masks, and images scaled
down and encoded for embedding (the static export)."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

from veriscene.scene.masks import decode_mask
from veriscene.scene.model import Scene
from veriscene.scene.image_files import ImageFileError, read_rgb

MASK_ALPHA = 110  # of 255: the image stays readable under the overlay


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def mask_overlay(scene: Scene, objects: Sequence[int], colours: Sequence[str], max_side: int = 0) -> bytes:
    """PNG (RGBA, the scene's size, or scaled to `max_side`) with the masks of `objects` painted
    in their colours (`colours[i % len(colours)]` for object i), transparent elsewhere. Objects
    without a usable mask are left out; later objects paint over earlier ones."""
    rgba = np.zeros((scene.height, scene.width, 4), dtype=np.uint8)
    if scene.masks is not None:
        for i in objects:
            if not 0 <= i < len(scene.masks) or not scene.masks[i]:
                continue
            try:
                mask = decode_mask(scene.masks[i])
            except (KeyError, TypeError, ValueError):
                continue
            if mask.shape != rgba.shape[:2]:
                continue
            rgba[mask] = (*_rgb(colours[i % len(colours)]), MASK_ALPHA)
    picture = Image.fromarray(rgba, mode="RGBA")
    if max_side and max(picture.size) > max_side:
        picture.thumbnail((max_side, max_side), Image.Resampling.NEAREST)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


def data_uri(payload: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


def thumbnail(path: Path, max_side: int = 640, quality: int = 85) -> bytes | None:
    """A JPEG of the image with its longer side at most `max_side`, decoded as every command
    decodes it (`scene.image_files.read_rgb`: upright, as its scene graph's boxes are); None if it
    cannot be read (`image_files.ImageFileError`, or no such file)."""
    try:
        im = read_rgb(path)
    except (ImageFileError, OSError):
        return None
    im.thumbnail((max_side, max_side))
    out = io.BytesIO()
    im.save(out, format="JPEG", quality=quality)
    return out.getvalue()


MIME_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
              ".bmp": "image/bmp", ".webp": "image/webp", ".tif": "image/tiff", ".tiff": "image/tiff"}
