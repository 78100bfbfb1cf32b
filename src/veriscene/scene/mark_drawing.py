"""Drawing a sample image's marks (`veriscene.scene.marks`): points labelled "A", "B" as BLINK and
pointing data sets show them, on the image every command hands to a model or a person.

`draw_marks` is deterministic (the same bytes every time on one Pillow: its own font, no system
font) and sized from the image's shorter side: ring radius 2.5 % of it (6 px or more), a dot of
a third of that on the point, the label in a box beside the ring, up and to the right (kept
inside the image). Red (`MARK_COLOUR`) edged in black, the label white on red edged in black:
readable on light and dark pixels alike. The point's own pixel (floor(x), floor(y)) is the dot's
centre, so it has the mark's colour.

`marked_rgb` and `marked_payload` are `image_files.read_rgb` and `payload` with the marks drawn:
the image as veriscene shows it (upright, sRGB, first frame), then marked.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

from veriscene.scene.image_files import read_rgb
from veriscene.scene.marks import Mark

MARK_COLOUR = (255, 0, 0)  # ring, dot and label box
EDGE_COLOUR = (0, 0, 0)  # their edges: the mark stands out on light pixels too
TEXT_COLOUR = (255, 255, 255)
RING_SHARE = 0.025  # ring radius: this share of the image's shorter side ...
MIN_RING = 6  # ... and this many pixels or more


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's own font (no file read from the system: the same glyphs on every machine with the
    same Pillow) at `size` pixels; its bitmap font where Pillow has no FreeType."""
    return ImageFont.load_default(size=size)


def mark_sizes(width: int, height: int) -> tuple[int, int, int, int]:
    """(ring radius, ring width, dot radius, label font size) in pixels for an image of this size."""
    ring = max(MIN_RING, round(RING_SHARE * min(width, height)))
    return ring, max(2, ring // 4), max(2, ring // 3), max(12, round(ring * 2))


def draw_marks(im: Image.Image, marks: Sequence[Mark]) -> Image.Image:
    """A copy of `im` (RGB) with `marks` drawn: a ring around each point and a dot on it, red
    edged in black, and its label in a red box edged in black beside the ring, kept inside the
    image. Rings first, then labels (no ring hides a label), then dots (no label hides a point)."""
    out = im.convert("RGB") if im.mode != "RGB" else im.copy()
    if not marks:
        return out
    draw = ImageDraw.Draw(out)
    ring, width, dot, size = mark_sizes(*out.size)
    font = _font(size)
    centres = [(int(float(m["point"][0])), int(float(m["point"][1]))) for m in marks]
    for cx, cy in centres:
        draw.ellipse((cx - ring - 1, cy - ring - 1, cx + ring + 1, cy + ring + 1), outline=EDGE_COLOUR, width=width + 2)
        draw.ellipse((cx - ring, cy - ring, cx + ring, cy + ring), outline=MARK_COLOUR, width=width)
    pad = max(2, size // 5)
    for mark, (cx, cy) in zip(marks, centres):
        label = str(mark["label"])
        x0, y0, x1, y1 = draw.textbbox((0, 0), label, font=font)
        box_w, box_h = x1 - x0 + 2 * pad, y1 - y0 + 2 * pad
        # up and to the right of the ring; to the left / below where the image ends
        left = cx + ring if cx + ring + box_w <= out.width else cx - ring - box_w
        top = cy - ring - box_h if cy - ring - box_h >= 0 else cy + ring
        left = min(max(left, 0), max(out.width - box_w, 0))
        top = min(max(top, 0), max(out.height - box_h, 0))
        draw.rectangle((left, top, left + box_w - 1, top + box_h - 1), fill=MARK_COLOUR, outline=EDGE_COLOUR,
                       width=max(1, pad // 2))
        draw.text((left + pad - x0, top + pad - y0), label, fill=TEXT_COLOUR, font=font)
    for cx, cy in centres:  # dots last: a label beside one point never hides another
        draw.ellipse((cx - dot - 1, cy - dot - 1, cx + dot + 1, cy + dot + 1), fill=EDGE_COLOUR)
        draw.ellipse((cx - dot, cy - dot, cx + dot, cy + dot), fill=MARK_COLOUR)
    return out


def marked_rgb(path: str | Path, marks: Sequence[Mark] | None, data: bytes | None = None) -> Image.Image:
    """`read_rgb(path, data)` with `marks` drawn (as it is without marks)."""
    im = read_rgb(path, data)
    return draw_marks(im, marks) if marks else im


def marked_payload(path: str | Path, marks: Sequence[Mark], data: bytes | None = None) -> tuple[bytes, str]:
    """(bytes, MIME type) of the image file with `marks` drawn, to hand on: PNG (lossless: a
    JPEG's blocks would blur the label's edges), the same bytes for the same file and marks."""
    out = io.BytesIO()
    marked_rgb(path, marks, data).save(out, format="PNG")
    return out.getvalue(), "image/png"
