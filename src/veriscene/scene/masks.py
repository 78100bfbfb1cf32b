"""Instance masks as COCO RLE, through pycocotools (never hand-rolled RLE)."""

from __future__ import annotations

from typing import Any

import numpy as np
from pycocotools import mask as mask_utils


def encode_mask(binary: np.ndarray) -> dict[str, Any]:
    """(H, W) bool/uint8 -> JSON-ready COCO RLE ``{"size": [H, W], "counts": str}``."""
    rle = mask_utils.encode(np.asfortranarray(np.asarray(binary, dtype=np.uint8)))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}


def _as_coco(rle: dict[str, Any]) -> dict[str, Any]:
    counts = rle["counts"]
    if isinstance(counts, list):  # uncompressed RLE -> compressed
        h, w = rle["size"]
        return mask_utils.frPyObjects(rle, h, w)
    return {"size": rle["size"], "counts": counts.encode("ascii") if isinstance(counts, str) else counts}


def decode_mask(rle: dict[str, Any]) -> np.ndarray:
    """COCO RLE (compressed or uncompressed) -> (H, W) bool array."""
    return mask_utils.decode(_as_coco(rle)).astype(bool)


def _xywh(coco: dict[str, Any]) -> tuple[int, int, int, int]:
    """Tight (x, y, w, h) box of a pycocotools RLE, read without decoding."""
    x, y, w, h = (int(v) for v in mask_utils.toBbox(coco).tolist())
    return x, y, w, h


def decode_mask_box(rle: dict[str, Any]) -> tuple[int, int, np.ndarray]:
    """(x0, y0, pixels): the mask's tight box corner and the (h, w) bool pixels inside that box.
    Only the box is converted from the decoded frame, so small masks on large images are cheap."""
    coco = _as_coco(rle)
    x, y, w, h = _xywh(coco)
    return x, y, mask_utils.decode(coco)[y : y + h, x : x + w] != 0


def mask_area(rle: dict[str, Any]) -> int:
    return int(mask_utils.area(_as_coco(rle)))


def mask_to_box(rle: dict[str, Any]) -> np.ndarray:
    """Tight xyxy box of a mask, in pixels."""
    x, y, w, h = _xywh(_as_coco(rle))
    return np.array([x, y, x + w, y + h], dtype=np.float32)
