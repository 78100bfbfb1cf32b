"""Box geometry on xyxy float arrays (absolute pixels). Pure numpy functions, no scene state."""

from __future__ import annotations

import numpy as np


def box_area(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) xyxy -> (N,) areas in square pixels."""
    boxes = np.asarray(boxes, dtype=np.float64)
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def box_center(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) xyxy -> (N, 2) centres (x, y)."""
    boxes = np.asarray(boxes, dtype=np.float64)
    return np.stack([(boxes[..., 0] + boxes[..., 2]) / 2, (boxes[..., 1] + boxes[..., 3]) / 2], axis=-1)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU: (N, 4) x (M, 4) -> (N, M). Boxes of zero area give IoU 0."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    return iou_of(box_intersection_area(a, b), box_area(a), box_area(b))


def iou_of(inter: np.ndarray, area_a: np.ndarray, area_b: np.ndarray) -> np.ndarray:
    """`box_iou` from pairwise intersection areas (N, M) and each side's areas (N,) and (M,),
    for callers that need the intersections too."""
    union = area_a[:, None] + area_b[None, :] - inter
    positive = union > 0
    return np.where(positive, inter / np.where(positive, union, 1), 0.0)


def box_intersection_area(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection areas: (N, 4) x (M, 4) -> (N, M)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.maximum(rb - lt, 0)  # what np.clip(rb - lt, 0, None) computes, without its dispatch
    return wh[..., 0] * wh[..., 1]


def normalise_box(box: np.ndarray, width: int, height: int) -> np.ndarray:
    """xyxy pixels -> xyxy in [0, 1] of the image size."""
    return np.asarray(box, dtype=np.float64) / np.array([width, height, width, height], dtype=np.float64)


def denormalise_box(box: np.ndarray, width: int, height: int) -> np.ndarray:
    """xyxy in [0, 1] -> xyxy pixels."""
    return np.asarray(box, dtype=np.float64) * np.array([width, height, width, height], dtype=np.float64)
