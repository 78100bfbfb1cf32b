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

from veriscene.errors import SceneValidationError
from veriscene.scene.colour_profiles import profile_name
from veriscene.scene.image_files import ImageFileError, opened
from veriscene.scene.orientations import SIDEWAYS, upright_array
from veriscene.scene.upright import orientation

# (SIDEWAYS, the quarter turns, and upright_array are `scene.orientations`')
__all__ = ["SIDEWAYS", "ImageHeader", "read_header", "upright_array"]


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
