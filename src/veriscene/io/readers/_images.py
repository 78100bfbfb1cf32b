"""Image files as the readers see them: their size as shown (EXIF orientation applied), from the
header only, and label arrays turned the way the image is.

A phone stores a portrait photo's pixels sideways and records the turn in the EXIF orientation
tag (`veriscene.scene.upright`). Every viewer, browser-based annotation tool (CVAT, Label Studio,
labelme), training loader (Ultralytics' `exif_size`, detectron2's `read_image`) and veriscene's own
`annotate`, viewer and model adapters show and read the photo upright, so annotation made on such
a photo is in the upright image's pixels: the sizes a reader takes from a header are the upright
ones, and boxes are checked and normalised coordinates scaled against those.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from veriscene.errors import SceneValidationError
from veriscene.scene.colour_profiles import profile_name
from veriscene.scene.image_files import ImageFileError, opened
from veriscene.scene.upright import orientation

# EXIF orientations that turn the picture by a quarter: width and height swap when it is shown
SIDEWAYS = frozenset({5, 6, 7, 8})


@dataclass(frozen=True)
class ImageHeader:
    """What an image file's header says: its pixels' size as stored, its EXIF orientation, and
    the colour profile its colours are shown converted from (`scene.colour_profiles`)."""

    stored: tuple[int, int]  # (width, height) of the pixels in the file
    orientation: int  # 1 (upright) to 8; 1 when the file has no tag
    profile: str | None = None  # the embedded ICC profile's name, when not sRGB (None: sRGB, or none)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) as shown: the stored size, swapped for a quarter turn."""
        width, height = self.stored
        return (height, width) if self.orientation in SIDEWAYS else (width, height)


def read_header(path: Path) -> ImageHeader | None:
    """The header of the image at `path` (pixels not decoded); None when there is no such file.
    An unreadable image raises SceneValidationError naming the file (field "image")."""
    if not path.is_file():
        return None
    try:  # opened as every command opens an image (`scene.image_files`): the same refusals
        with opened(path) as im:
            return ImageHeader((int(im.size[0]), int(im.size[1])), orientation(im), profile_name(im))
    except (ImageFileError, OSError) as exc:
        # a decompression bomb (over ~179 megapixels) is refused even to read its header
        reason = exc.reason if isinstance(exc, ImageFileError) else str(exc)
        raise SceneValidationError(f"cannot read the image header of {path}: {reason}"[:300], field="image") from None


def upright_array(array: np.ndarray, turn: int) -> np.ndarray:
    """A 2D array of the image's stored pixels (rows, columns) turned as EXIF orientation `turn`
    turns the picture for showing (what Pillow's `ImageOps.exif_transpose` does to pixels)."""
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
