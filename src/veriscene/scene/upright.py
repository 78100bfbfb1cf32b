"""Images as viewers show them: a camera's EXIF orientation applied.

A phone stores a portrait photo's pixels sideways and records the turn in the EXIF orientation
tag; viewers, browsers and `annotate` show and read the photo turned upright, so a scene graph's
width, height and boxes are those of the upright image. Everything that shows an image beside its
scene graph, or sends it to a model, turns it the same way (`upright`), else the boxes would fall
on other pixels. An image without the tag, or with the tag saying upright, is used as it is.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps

_ORIENTATION = 0x0112  # the EXIF tag
SIDEWAYS = frozenset({5, 6, 7, 8})  # turns by a quarter: width and height swap


def orientation(im: Image.Image) -> int:
    """The image's EXIF orientation (1, upright, when it has none), from its header: a PNG's eXIf
    chunk where the PNG specification puts it, before the pixels (Pillow's `getexif` would decode
    the whole image to look after them too: 4 ms for a 640x480 PNG, on every header read)."""
    try:
        if im.format == "PNG":
            exif = Image.Exif()
            if im.info.get("exif"):
                exif.load(im.info["exif"])
            return int(exif.get(_ORIENTATION, 1) or 1)
        return int(im.getexif().get(_ORIENTATION, 1) or 1)
    except (ValueError, TypeError, SyntaxError, OSError):  # a broken EXIF block: shown as stored
        return 1


def upright(im: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation says (itself when it says nothing)."""
    return ImageOps.exif_transpose(im) if orientation(im) != 1 else im


def displayed_size(path: str | Path) -> tuple[int, int]:
    """(width, height) of the image as shown, from its header (pixels not decoded); a file that
    cannot be opened raises `image_files.ImageFileError` naming it (`image_files.shown_size`)."""
    from veriscene.scene.image_files import shown_size

    return shown_size(path)
