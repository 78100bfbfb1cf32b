"""EXIF orientations as turns of (rows, columns) arrays: a label map or a depth map of a photo's
stored pixels laid on the photo as shown.

A phone stores a portrait photo's pixels sideways and records the turn in the EXIF orientation
tag (1 to 8, `scene.upright`); Pillow's `ImageOps.exif_transpose` turns the pixels for showing.
An array made of the stored pixels (a depth model or a labelling tool that read the file with
Pillow or cv2 alone) is turned the same way to lay on the scene (`upright_array`), pixel for
pixel: numpy views (flips, transposes), so a memory-mapped file is not read by turning it.
"""

from __future__ import annotations

import numpy as np

ORIENTATIONS = range(1, 9)  # the EXIF tag's values: 1 upright, 2-4 mirrored or half a turn, 5-8 a quarter
SIDEWAYS = frozenset({5, 6, 7, 8})  # turns by a quarter: width and height swap


def upright_array(array: np.ndarray, turn: int) -> np.ndarray:
    """A 2D array of the image's stored pixels (rows, columns) turned as EXIF orientation `turn`
    turns the picture for showing (what Pillow's `ImageOps.exif_transpose` does to pixels); a
    view of `array`, not a copy."""
    if turn in (2, 4):  # mirrored left-right, or top-bottom
        return array[:, ::-1] if turn == 2 else array[::-1, :]
    if turn == 3:  # half a turn
        return array[::-1, ::-1]
    if turn == 5:  # mirrored about the main diagonal
        return array.T
    if turn == 6:  # stored a quarter turn anticlockwise: shown turned clockwise
        return np.rot90(array, k=-1)
    if turn == 7:  # mirrored about the other diagonal
        return array[::-1, ::-1].T
    if turn == 8:  # stored a quarter turn clockwise: shown turned anticlockwise
        return np.rot90(array, k=1)
    return array


def then(first: int, second: int) -> int:
    """The one orientation that turns an array as `first` and then `second` do (the eight form a
    group: any two in a row are one of them), found by turning a 2x3 array of distinct values."""
    probe = np.arange(6).reshape(2, 3)
    both = upright_array(upright_array(probe, first), second)
    for turn in ORIENTATIONS:
        one = upright_array(probe, turn)
        if one.shape == both.shape and (one == both).all():
            return turn
    raise AssertionError(f"orientations {first} then {second} are no orientation")  # (the group is closed)
