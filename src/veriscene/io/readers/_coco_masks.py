"""COCO masks: a segmentation (polygons, uncompressed or compressed RLE) checked and turned to a
compressed RLE with text counts (`_rle_from_segmentation`, through pycocotools), and a panoptic
PNG's segment ids (`_panoptic_ids`: R + 256 G + 256^2 B). Bad input is a `bad(...)` error naming
the field (``annotations[0] (id 10).segmentation[1]``). A polygon of fewer than three points
is left out and its annotation kept: the reader reports it (`coco._scene`: a reject entry of level
"mask" for one of one or two points; an empty one, ``[[]]`` as box-only exporters write, is
counted as `EMPTY`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from veriscene.io.readers._base import _NUMBER_TYPES, bad, is_number
from veriscene.scene.masks import bad_counts

# pycocotools counts a mask's pixels in 32 bits: the runs of a larger frame wrap around (a wrong
# mask, said nowhere), and drawing a polygon in one can write past its buffers and kill the process
MAX_MASK_PIXELS = 2**32 - 1
EMPTY = "empty_polygons_dropped"  # the report's repair kind of a polygon of no point ([] in [[]])


def _numbers(values: list[Any]) -> bool:
    """Whether every value is a finite number (no bool, no text): `is_number` of each, a quarter
    of a COCO conversion's time done one value at a time, decided for the usual polygon by its
    types and its sum (NaN or an infinity makes the sum so); only an unusual one is checked value
    by value (a sum that overflows). `fsum`, as fast as `sum` here, takes each value as a float:
    an int past a float's range (10**400, which no sum may cancel: -10**400 beside it) raises."""
    try:
        if {type(v) for v in values} <= _NUMBER_TYPES and math.isfinite(math.fsum(values)):
            return True
    except (OverflowError, ValueError):  # an int too large for a float; or an infinity less another
        pass
    return all(is_number(v) for v in values)


def _rle_from_segmentation(seg: Any, height: int, width: int, field: str,
                           degenerate: Callable[[str, int], None] = lambda field, points: None) -> dict[str, Any] | None:
    """COCO segmentation (polygons / RLE) -> compressed RLE with str counts, or None when empty.
    A polygon of fewer than three points (none: ``[[]]``, as box-only exporters write; or two,
    which COCO itself has a few of) outlines nothing: it is left out and `degenerate(its field,
    its points)` told of it (the caller reports it), and a segmentation of only such polygons is
    none."""
    if seg is None or (isinstance(seg, (list, dict)) and not seg):
        return None
    if height * width > MAX_MASK_PIXELS:
        raise bad(f"the {width}x{height} image is too large for a COCO mask ({height * width} pixels; pycocotools "
                  f"counts them in 32 bits, at most {MAX_MASK_PIXELS}): read it with masks=False to keep its boxes"[:300],
                  field)
    if isinstance(seg, list):
        polygons = []
        for k, poly in enumerate(seg):
            if not isinstance(poly, list) or not _numbers(poly):
                raise bad(f"polygon must be a list of numbers, got {poly!r}"[:200], f"{field}[{k}]")
            if len(poly) % 2:
                raise bad(f"polygon needs an even number (>= 6) of coordinates, got {len(poly)}", f"{field}[{k}]")
            if len(poly) < 6:
                # no area; and pycocotools would read a 4-number list as a box
                degenerate(f"{field}[{k}]", len(poly) // 2)
                continue
            xs, ys = poly[0::2], poly[1::2]
            if min(xs) < -width or max(xs) > 2 * width or min(ys) < -height or max(ys) > 2 * height:
                # pycocotools draws every pixel of the outline: a far-off vertex would take gigabytes
                raise bad(f"polygon reaches x {min(xs)}..{max(xs)}, y {min(ys)}..{max(ys)}, far outside the "
                          f"{width}x{height} image", f"{field}[{k}]")
            polygons.append(poly)  # pycocotools reads ints and floats alike
        if not polygons:
            return None
        rle = mask_utils.merge(mask_utils.frPyObjects(polygons, height, width))
    elif isinstance(seg, dict):
        size, counts = seg.get("size"), seg.get("counts")
        if not isinstance(size, list) or [*size] != [height, width]:
            raise bad(f"RLE size {size!r} does not match the image [height, width] [{height}, {width}]", field + ".size")
        if isinstance(counts, list):
            if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts):
                raise bad("uncompressed RLE counts must be non-negative integers", field + ".counts")
            if sum(counts) != height * width:
                raise bad(f"uncompressed RLE counts sum to {sum(counts)}, expected height*width = {height * width}", field + ".counts")
            rle = mask_utils.frPyObjects({"size": size, "counts": counts}, height, width)
        elif isinstance(counts, str) and counts:
            wrong = bad_counts([counts], height, width)
            if wrong is not None:
                raise bad(f"compressed RLE counts are malformed: {wrong[1]}", field + ".counts")
            rle = {"size": [height, width], "counts": counts}
        else:
            raise bad(f"RLE counts must be a list of ints or a string, got {type(counts).__name__}", field + ".counts")
    else:
        raise bad(f"segmentation must be polygons or an RLE dict, got {type(seg).__name__}", field)
    counts_out = rle["counts"]
    return {"size": [height, width], "counts": counts_out.decode("ascii") if isinstance(counts_out, bytes) else counts_out}


def _panoptic_ids(png: Path, height: int, width: int) -> np.ndarray:
    if not png.is_file():
        raise bad(f"missing mask file {png}", "file_name")
    from PIL import Image

    try:
        with Image.open(png) as im:
            rgb = np.asarray(im.convert("RGB"), dtype=np.uint32)
    except OSError as exc:
        raise bad(f"cannot read mask file {png}: {exc}", "file_name") from None
    if rgb.shape[:2] != (height, width):
        raise bad(f"mask file {png} is {rgb.shape[1]}x{rgb.shape[0]}, the image is {width}x{height}", "file_name")
    return rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]
