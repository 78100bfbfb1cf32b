"""Colour profiles: an image whose file embeds an ICC profile other than sRGB, shown in sRGB.

A JPEG, PNG, WebP or TIFF may embed an ICC profile that says what its numbers mean: an iPhone's
photos are in Display P3, a camera's in Adobe RGB when set so, a print file's CMYK in a press
profile. A browser (and so every browser-based annotation tool, and the people who named a
shirt "red" in it) converts the pixels through that profile to the screen's sRGB; Pillow, and so
transformers' `load_image`, `datasets`' Image feature and vLLM, ignore it and read the numbers as
sRGB: a Display P3 photo looks washed out, an Adobe RGB one dull, a CMYK one garish. veriscene
shows what the browser shows (`conversion`, applied by `scene.image_files.to_rgb`), and hands
such a file on re-encoded in sRGB, which every loader reads alike.

    no profile, or one that changes no colour by more than 1 of 255    used as it is (nothing done)
    an RGB, grey or CMYK profile that fits the pixels' mode          converted to sRGB by LittleCMS
                                                                     (relative colorimetric)
    a profile that cannot be read, or one of another colour space    ignored, as browsers ignore it
      than the pixels (an RGB profile in a CMYK file)

Relative colorimetric keeps every colour inside sRGB as it is; the perceptual tables of some
profiles (sRGB v4 "preference") would move even those (29 to 102 levels in a test). A profile is
judged once per process (`_conversion`, by its bytes: a data set's photos share a handful), by
converting a grid of 4,096 colours; a file without a profile costs one dictionary look-up.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image

# the ICC header's colour space (bytes 16-20) -> the Pillow mode a transform from it takes
_SPACES = {b"RGB ": "RGB", b"GRAY": "L", b"CMYK": "CMYK"}
# Pillow modes of an image -> the ICC colour space its profile must have to fit it
_FITS = {"RGB": b"RGB ", "RGBA": b"RGB ", "RGBX": b"RGB ", "P": b"RGB ", "PA": b"RGB ",
         "L": b"GRAY", "LA": b"GRAY", "I;16": b"GRAY", "I;16B": b"GRAY", "I;16L": b"GRAY", "I;16N": b"GRAY",
         "I": b"GRAY", "CMYK": b"CMYK"}
_TOLERANCE = 1  # levels of 255: a profile that moves no colour further is sRGB (rounding of its curves)


@dataclass(frozen=True)
class Conversion:
    """How to show an image of an embedded profile in sRGB: `transform` from pixels of `mode`
    ("RGB", "L" or "CMYK") to sRGB "RGB"; `name`, the profile's description (for notes)."""

    name: str
    mode: str
    transform: Any  # PIL.ImageCms.ImageCmsTransform

    def apply(self, im: Image.Image) -> Image.Image:
        """`im` (of a mode that fits: `_FITS`) in sRGB: RGB, or RGBA keeping its alpha."""
        from PIL import ImageCms

        if im.mode in ("P", "PA"):  # the palette's colours are those the profile describes
            im = im.convert("RGBA" if "transparency" in im.info or im.mode == "PA" else "RGB")
        alpha = im.getchannel("A") if "A" in im.getbands() else None
        out = ImageCms.applyTransform(im if im.mode == self.mode else im.convert(self.mode), self.transform)
        assert out is not None  # (applyTransform returns None only in place)
        # sRGB now: the profile is no longer the pixels' (Pillow would write it into a PNG saved of
        # them, and a browser would convert them twice)
        out.info = {key: value for key, value in out.info.items() if key != "icc_profile"}
        if alpha is not None:
            out.putalpha(alpha)
        return out


def conversion(im: Image.Image) -> Conversion | None:
    """The conversion to sRGB of an opened image's embedded ICC profile; None when it has none, or
    one that changes no colour, cannot be read, or does not fit its pixels (module notes)."""
    icc = im.info.get("icc_profile")
    if not icc:
        return None
    fits = _FITS.get(im.mode)
    return None if fits is None else _conversion(bytes(icc), fits)


def profile_name(im: Image.Image) -> str | None:
    """The description of the profile an opened image is converted by (`conversion`), else None."""
    found = conversion(im)
    return None if found is None else found.name


@lru_cache(maxsize=64)
def _conversion(icc: bytes, fits: bytes) -> Conversion | None:
    if len(icc) < 128 or icc[16:20] != fits:  # not a profile of the pixels' colour space
        return None
    from PIL import ImageCms

    mode = _SPACES[fits]
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        transform = ImageCms.buildTransform(source, _srgb(), mode, "RGB",
                                            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                                            flags=ImageCms.Flags.NOCACHE)  # (shared by the viewer's threads)
        name = (source.profile.profile_description or "").strip() or "an embedded ICC profile"
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError):  # a broken profile: ignored
        return None
    found = Conversion(name, mode, transform)
    return None if mode != "CMYK" and _changes_nothing(found) else found


def _changes_nothing(found: Conversion) -> bool:
    """Whether converting a grid of colours (16 levels a channel: 4,096 colours; 256 greys) moves
    none of them by more than `_TOLERANCE`: an sRGB profile of its own (a camera's), whose
    conversion would only add rounding. CMYK is never so: its numbers are not sRGB's."""
    levels = np.arange(0, 256, 17, dtype=np.uint8)
    if found.mode == "L":
        grey = np.arange(256, dtype=np.uint8).reshape(16, 16)
        grid, expected = Image.fromarray(grey, "L"), np.repeat(grey[..., None], 3, axis=2)
    else:
        expected = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(64, 64, 3)
        grid = Image.fromarray(expected, "RGB")
    shown = np.asarray(found.apply(grid), dtype=np.int16)
    return int(np.abs(shown - expected).max()) <= _TOLERANCE


@lru_cache(maxsize=1)
def _srgb() -> Any:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
