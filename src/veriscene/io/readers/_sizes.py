"""Image sizes as the readers take them: the annotation's, checked against the image file when
the images are given (`image_root`), else the size in the file's header, else the `image_size`
option. `ImageSizes` is a base of `ReadContext`, which holds the options and counts the repairs."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from veriscene.errors import SceneValidationError
from veriscene.io.readers._fields import bad
from veriscene.io.readers._images import ImageHeader, read_header
from veriscene.io.readers._stored_pixels import AUTO, MAPPED, SHOWN, STORED

# The repair count of an image with no file under `image_root` (or none named): its size, the
# annotation's or `image_size`, is kept unchecked. Most images counted so: the wrong image root.
IMAGE_NOT_FOUND = "sizes_unchecked_image_not_found"
# The repair count of an image whose file carries an EXIF orientation other than upright: its
# annotation is taken as drawn on the photo as shown (turned: `scene.image_files`), as browser-based
# tools draw. A set annotated on the stored pixels (tools reading with cv2 or Pillow alone, some OCR
# sets) is then wrong where the turn keeps the size (upside down, mirrored, square): said by this
# count, so that it can be converted again with `drawn_on=stored` (`_stored_pixels`).
TURNED = "images_turned_by_exif_orientation"
# The count of images whose file embeds a colour profile other than sRGB (an iPhone's Display P3, a
# camera's Adobe RGB, a CMYK press profile): every veriscene command shows them converted to sRGB,
# as browsers do (`scene.colour_profiles`); a trainer given their paths reads them as sRGB, unless
# handed them re-encoded (export --embed-images). Nothing in the scene changes.
COLOUR_PROFILE = "images_shown_in_srgb_from_their_colour_profile"


class ImageSizes:
    """`ReadContext`'s image sizes (`image_size_of`), from the options it sets."""

    image_root: Path | None  # images on disk, whose headers are read (None: not given, or at a URL)
    image_root_url: str | os.PathLike[str] | None  # images at a URL: not read
    image_size: tuple[int, int] | None  # the `image_size` option, (width, height)
    drawn_on: str = SHOWN  # the `drawn_on` option: the pixels annotation was drawn on (`_stored_pixels`)
    # the EXIF orientation the record being read is to be turned by once built in its stored pixels
    # (1: none; `ReadContext.scene` turns it and sets it back)
    turn: int = 1

    def repair(self, kind: str, n: int = 1) -> None:
        raise NotImplementedError  # ReadContext.repair

    def image_size_of(
        self, width: Any, height: Any, candidates: Iterable[str | os.PathLike[str]] = ()
    ) -> tuple[int, int]:
        """Image (width, height): from the annotation, else the image header (the size shown,
        EXIF orientation applied: `_images`), else `image_size`. An annotated size is checked
        against the header when `image_root` is given and the file is there (`_check_size`); a
        size kept without its file found under `image_root` is counted (`IMAGE_NOT_FOUND`).
        Annotation drawn on the stored pixels of a turned photo (`drawn_on`) is read in them: the
        stored size is returned and `turn` set to the orientation the scene is then turned by."""
        if width is not None or height is not None:
            size = _dimension(width, "width"), _dimension(height, "height")
            if self.image_root is not None:  # headers are read only when the user points at the images
                self._check_size(size, candidates)
            return size
        for candidate in candidates:
            path = Path(candidate)
            if not path.is_absolute() and self.image_root is not None:
                path = self.image_root / path
            if path.is_absolute() or self.image_root is not None:
                header = read_header(path)
                if header is not None:
                    self.repair("sizes_from_image_header")
                    if header.profile is not None:
                        self.repair(COLOUR_PROFILE)
                    if self.drawn_on == STORED and header.orientation != 1:  # auto cannot tell: as shown
                        self._map(header)
                        return header.stored
                    if header.size != header.stored:  # a photo stored sideways: its upright size
                        self.repair("sizes_of_upright_image")
                    if header.orientation != 1:
                        self.repair(TURNED)
                    return header.size
        if self.image_size is not None:
            if self.image_root is not None:  # looked for under the root and not there: said, as below
                self.repair(IMAGE_NOT_FOUND)
            return self.image_size
        hint = ("no image file found under the image root" if self.image_root else
                f"images at a URL ({self.image_root_url}) are not read for their sizes" if self.image_root_url else
                "no image root given")
        raise bad(
            f"image size missing: the annotation has no width/height and {hint}; pass image_root=DIR "
            "(--image-root, reads the image header) or image_size=(W, H) (--image-size WxH)",
            "width",
        )

    def _check_size(self, size: tuple[int, int], candidates: Iterable[str | os.PathLike[str]]) -> None:
        """Refuse an annotated (width, height) that is not the size of the image file shown (its
        EXIF orientation applied), as the first of `candidates` found under `image_root` has it.

        Every box is in the annotated size's pixels, and is drawn, cropped and normalised against
        the image that is shown: with another size (a resized copy of the image, the wrong image
        root, or a sideways-stored photo annotated by its stored size) every box lands in the
        wrong place. Which of the two is right cannot be told from the files, so the scene is
        rejected naming both sizes rather than kept with boxes that may not fit. A file Pillow
        cannot read leaves the size unchecked (counted): the annotation's size is kept. So does an
        image with no file under `image_root` (counted as `IMAGE_NOT_FOUND`): a wrong root leaves
        every size unchecked, and the scene file's image paths wrong, so it must not pass unsaid."""
        for candidate in candidates:
            path = Path(candidate)
            path = path if path.is_absolute() else self.image_root / path  # type: ignore[operator]
            try:
                header = read_header(path)
            except SceneValidationError:  # not an image Pillow reads: the size cannot be checked
                self.repair("sizes_unchecked_unreadable_image")
                return
            if header is None:
                continue
            if header.profile is not None:
                self.repair(COLOUR_PROFILE)
            shown = f"{header.size[0]}x{header.size[1]}"
            if header.orientation != 1 and self.drawn_on == STORED:
                if size == header.stored:
                    self._map(header)
                    return
                if size == header.size:  # sideways: the annotation says it was drawn on the photo shown
                    raise bad(f"annotated size {size[0]}x{size[1]} is the size of {path} as shown (EXIF orientation "
                              f"{header.orientation}), not its stored size {header.stored[0]}x{header.stored[1]}: "
                              "drawn on the photo as shown? (drawn_on=stored maps boxes drawn on the stored pixels; "
                              "drawn_on=auto takes each image by its annotated size)", "width")
            if size == header.size:
                if header.orientation != 1:
                    self.repair(TURNED)
                return
            if size == header.stored:
                if self.drawn_on == AUTO:  # a quarter turn, annotated by the size stored: drawn on those pixels
                    self._map(header)
                    return
                raise bad(f"annotated size {size[0]}x{size[1]} is the stored size of {path}, a photo shown "
                          f"turned (EXIF orientation {header.orientation}) as {shown}: its boxes were drawn on "
                          "the sideways pixels and would not fit the photo shown (drawn_on=stored or auto maps "
                          "them onto it)", "width")
            raise bad(f"annotated size {size[0]}x{size[1]} is not the size of the image file {path} ({shown}): "
                      "a resized copy, or the wrong image root? its boxes would not fit", "width")
        self.repair(IMAGE_NOT_FOUND)

    def _map(self, header: ImageHeader) -> None:
        """The record is drawn on the stored pixels of `header`'s image: read in them, then turned."""
        self.turn = header.orientation
        self.repair(MAPPED)


# The widest (and tallest) image a scene takes (`Scene`): a scene file holds 64-bit integers.
_MAX_SIDE = 2**64 - 1


def _dimension(value: Any, field: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise bad(f"{field} must be a positive integer, got {value!r}"[:200], field)
    if value > _MAX_SIDE:  # 1e308, 10**400: refused before anything is drawn at that size
        digits = str(value)
        shown = digits if len(digits) <= 30 else f"{digits[:12]}... ({len(digits)} digits)"
        raise bad(f"{field} must be at most 2**64 - 1, got {shown}", field)
    return value


def header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of the image as shown, its EXIF orientation applied (`_images`: annotation
    is made on the upright photo), from its header (pixels not decoded); None without the file."""
    header = read_header(path)
    return None if header is None else header.size
