"""Drawing a sample image's marks (`veriscene.scene.marks`): points labelled "A", "B" as BLINK and
pointing data sets show them, on the image every command hands to a model or a person.

`draw_marks` is deterministic (the same bytes every time on one Pillow: its own font, no system
font) and sized from the image's shorter side: ring radius 2.5 % of it (6 px or more), a dot of
a third of that on the point, the label in a square box beside the ring (`scene.marks.label_box`) at the corner its
mark names (``label_at``: the generator chose it, hiding none of the other marks and as little of
what the question is about as it could), else the first of up right, up left, down right, down
left kept inside the image and clear of the other marks where it can be. Red (`MARK_COLOUR`) edged in white
and black, the label white on red edged in black: readable on red, light and dark pixels alike. The point's own pixel (floor(x), floor(y)) is the dot's
centre, so it has the mark's colour.

`marked_rgb` and `marked_payload` are `image_files.read_rgb` and `payload` with the marks drawn:
the image as veriscene shows it (upright, sRGB, first frame), then marked.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, Sequence

from PIL import Image, ImageDraw, ImageFont

from veriscene.scene.image_files import read_rgb
from veriscene.scene.marks import (
    LABEL_CORNERS, MIN_RING, RING_SHARE, Mark, boxes_meet, inside_image, label_pad, label_side, mark_sizes, ring_box,
)

MARK_COLOUR = (255, 0, 0)  # ring, dot and label box
EDGE_COLOUR = (0, 0, 0)  # their outer edge: the mark stands out on light pixels
TEXT_COLOUR = (255, 255, 255)  # the label, and the ring's and dot's inner edge: on red and dark pixels


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's own font (no file read from the system: the same glyphs on every machine with the
    same Pillow) at `size` pixels; its bitmap font where Pillow has no FreeType."""
    return ImageFont.load_default(size=size)


class DrawnMark(NamedTuple):
    """Where `draw_marks` draws one mark on an image (pixels): the pixel its ring and dot are
    centred on, its label, and the label's box (x0, y0, x1, y1; x1 and y1 exclusive)."""

    label: str
    centre: tuple[int, int]
    label_box: tuple[int, int, int, int]


def mark_layout(marks: Sequence[Mark], size: tuple[int, int]) -> list[DrawnMark]:
    """Where `draw_marks` draws `marks` on an image of `size` (width, height), in their order:
    each ring centred on its point's pixel, each label box at the corner its ``label_at`` names
    when that lies inside the image, else the first corner (up right, up left, down right, down
    left) inside the image meeting no other ring and no label placed before it. The viewer shows
    marks from it (`viewer.figures`), so a person sees them where a model does."""
    ring, _, _, font_size = mark_sizes(*size)
    font, pad, side = _font(font_size), label_pad(font_size), label_side(*size)
    centres = [(int(float(m["point"][0])), int(float(m["point"][1]))) for m in marks]
    taken = [ring_box((cx, cy), *size) for cx, cy in centres]  # x0 y0 x1 y1
    placed = []
    for k, (mark, (cx, cy)) in enumerate(zip(marks, centres)):
        label = str(mark["label"])
        x0, y0, x1, y1 = (int(v) for v in font.getbbox(label))
        w, h = max(side, x1 - x0 + 2 * pad), max(side, y1 - y0 + 2 * pad)  # (a longer label: wider)
        box = _label_box(size, (cx, cy), ring + 2, (w, h), [t for j, t in enumerate(taken) if j != k],
                         mark.get("label_at"))
        taken.append(box)
        placed.append(DrawnMark(label, (cx, cy), box))
    return placed


def draw_marks(im: Image.Image, marks: Sequence[Mark]) -> Image.Image:
    """A copy of `im` (RGB) with `marks` drawn: a ring around each point and a dot on it, red
    edged in white and black (seen on red, light and dark pixels alike), and its label in a red
    box edged in black beside the ring, where `mark_layout` puts it: at the corner its
    ``label_at`` names, else the first corner (up right, up left, down right, down left) where it
    meets no other ring or label, kept inside the image. Rings first, then labels
    (no ring hides a label), then dots (no label hides a point)."""
    out = im.convert("RGB") if im.mode != "RGB" else im.copy()
    if not marks:
        return out
    draw = ImageDraw.Draw(out)
    ring, width, dot, size = mark_sizes(*out.size)
    font = _font(size)
    layout = mark_layout(marks, out.size)
    for _, (cx, cy), _ in layout:
        _disc(draw, cx, cy, ring + 2, EDGE_COLOUR, width + 4)
        _disc(draw, cx, cy, ring + 1, TEXT_COLOUR, width + 2)
        _disc(draw, cx, cy, ring, MARK_COLOUR, width)
    pad = label_pad(size)
    for label, _, box in layout:
        x0, y0, x1, y1 = (int(v) for v in draw.textbbox((0, 0), label, font=font))
        w, h = box[2] - box[0], box[3] - box[1]
        draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=MARK_COLOUR, outline=EDGE_COLOUR,
                       width=max(1, pad // 2))
        # the label centred in its box
        draw.text((box[0] + (w - (x1 - x0)) // 2 - x0, box[1] + (h - (y1 - y0)) // 2 - y0), label,
                  fill=TEXT_COLOUR, font=font)
    for _, (cx, cy), _ in layout:
        _disc(draw, cx, cy, dot + 2, EDGE_COLOUR)
        _disc(draw, cx, cy, dot + 1, TEXT_COLOUR)
        _disc(draw, cx, cy, dot, MARK_COLOUR)
    return out


def _disc(draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int, colour: tuple[int, int, int],
          ring: int | None = None) -> None:
    """A filled disc of radius r around pixel (cx, cy), or a ring of that width."""
    if ring is None:
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    else:
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=colour, width=ring)


def _label_box(size: tuple[int, int], centre: tuple[int, int], reach: int, box: tuple[int, int],
               taken: Sequence[tuple[int, int, int, int]], at: str | None = None) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), x1 and y1 exclusive, of a label box of `box` (w, h) pixels beside the ring
    of radius `reach` around `centre`: at the corner `at` names (`scene.marks.LABEL_CORNERS`, the
    generator's choice) when it lies inside the image; else the first corner inside the image that
    meets none of the boxes `taken`, else the first inside the image, else the first (clipped into
    the image)."""
    (width, height), (cx, cy), (w, h) = size, centre, box
    corners = [(cx + reach, cy - reach - h), (cx - reach - w, cy - reach - h), (cx + reach, cy + reach),
               (cx - reach - w, cy + reach)]
    boxes = [(x, y, x + w, y + h) for x, y in corners]
    if at in LABEL_CORNERS:
        chosen = boxes[LABEL_CORNERS.index(at)]
        if inside_image(chosen, width, height):
            return chosen
    inside = [b for b in boxes if inside_image(b, width, height)]
    for b in inside:
        if not any(boxes_meet(b, t) for t in taken):
            return b
    if inside:
        return inside[0]
    x = min(max(boxes[0][0], 0), max(width - w, 0))
    y = min(max(boxes[0][1], 0), max(height - h, 0))
    return x, y, x + w, y + h


def marked_rgb(path: str | Path, marks: Sequence[Mark] | None, data: bytes | None = None) -> Image.Image:
    """`read_rgb(path, data)` with `marks` drawn (as it is without marks)."""
    im = read_rgb(path, data)
    return draw_marks(im, marks) if marks else im


def marked_payload(path: str | Path, marks: Sequence[Mark], data: bytes | None = None) -> tuple[bytes, str]:
    """(bytes, MIME type) of the image file with `marks` drawn, to hand on, as `image_files.payload`
    re-encodes: JPEG at quality 95 for a JPEG (without chroma subsampling, which would blur the
    red edges of the marks; a 12 Mpx photo as PNG is tens of megabytes, over what servers take
    in a request), else PNG. The same bytes for the same file and marks."""
    if data is None:
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(f"image file {path} does not exist") from None
    out = io.BytesIO()
    marked = marked_rgb(path, marks, data)
    if data[:3] == _JPEG_START:
        marked.save(out, format="JPEG", quality=95, subsampling=0)
        return out.getvalue(), "image/jpeg"
    marked.save(out, format="PNG")
    return out.getvalue(), "image/png"


__all__ = ["EDGE_COLOUR", "MARK_COLOUR", "MIN_RING", "RING_SHARE", "TEXT_COLOUR", "DrawnMark", "draw_marks", "mark_layout",
           "mark_sizes", "marked_payload", "marked_rgb"]

_JPEG_START = b"\xff\xd8\xff"  # a JPEG file's first bytes (its SOI marker and the next one's start)
