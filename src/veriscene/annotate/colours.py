"""The colour of an object, read from its pixels: the colour word most of them have, if any.

Pixels are named in HSV (`PIL.Image.convert("HSV")`, all channels 0-255): dark ones black, pale
ones white or gray, the rest by hue, with dark oranges and reds brown. Only the middle of the box is
read (`inner`: the share of its width and height kept), where the object is more likely than
around its edges; a colour is named when at least `share` of those pixels have it. The words are
the colour words of `veriscene.vocab` (their type is "color").
"""

from __future__ import annotations

import numpy as np

COLOURS = ("black", "white", "gray", "red", "orange", "yellow", "green", "blue", "purple", "pink", "brown")
# hue bands on PIL's 0-255 hue scale (degrees x 255 / 360): upper bounds, exclusive
_HUES = ((11, "red"), (28, "orange"), (50, "yellow"), (120, "green"), (184, "blue"), (206, "purple"),
         (245, "pink"), (256, "red"))
_DARK, _PALE, _BRIGHT = 50, 40, 200  # value below: black; saturation below: white/gray (value above _BRIGHT: white)
_BROWN_VALUE = 150  # a red or orange hue darker than this reads as brown


def pixel_colours(hsv: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 HSV pixels -> (...) indices into `COLOURS`."""
    h, s, v = (hsv[..., k].astype(np.int16) for k in range(3))
    out = np.full(h.shape, COLOURS.index("gray"), dtype=np.int8)
    hue = np.zeros(h.shape, dtype=np.int8)
    lower = 0
    for upper, name in _HUES:
        hue[(h >= lower) & (h < upper)] = COLOURS.index(name)
        lower = upper
    brownish = ((hue == COLOURS.index("red")) | (hue == COLOURS.index("orange"))) & (v < _BROWN_VALUE)
    hue[brownish] = COLOURS.index("brown")
    coloured = s >= _PALE
    out[coloured] = hue[coloured]
    out[~coloured & (v >= _BRIGHT)] = COLOURS.index("white")
    out[v < _DARK] = COLOURS.index("black")
    return out


def dominant_colour_of(pixels: np.ndarray, share: float = 0.5) -> str | None:
    """The colour word of at least `share` of (..., 3) HSV `pixels` (an object's, under its
    mask); None when no colour has that many, or there are no pixels."""
    if pixels.size == 0:
        return None
    counts = np.bincount(pixel_colours(pixels).ravel(), minlength=len(COLOURS))
    best = int(np.argmax(counts))
    return COLOURS[best] if counts[best] >= share * counts.sum() else None


def dominant_colour(hsv: np.ndarray, box: list[float], *, inner: float = 0.5, share: float = 0.5) -> str | None:
    """The colour word of at least `share` of the pixels in the middle `inner` of `box` (xyxy
    pixels) of an (H, W, 3) HSV image; None when no colour has that many."""
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) * (1 - inner) / 2, (y1 - y0) * (1 - inner) / 2
    c0, c1 = int(np.floor(x0 + dx)), int(np.ceil(x1 - dx))
    r0, r1 = int(np.floor(y0 + dy)), int(np.ceil(y1 - dy))
    return dominant_colour_of(hsv[max(r0, 0): max(r1, r0 + 1), max(c0, 0): max(c1, c0 + 1)], share)
