"""Image files as veriscene decodes them: one rule for every command that opens an image.

A scene graph's width, height, boxes and masks are in the pixels of the image as it is shown
(`scene.upright`). Every command that decodes an image (annotate, the viewer, the RL environment,
eval's local models) and every one that hands an image on (eval's requests to a server, the
viewer's /image, export --embed-images) follows the same rule, so that a model is shown the
pixels the boxes were drawn on:

    upright      a camera's EXIF orientation applied (a phone's portrait photo is stored sideways)
    sRGB         an embedded ICC profile other than sRGB (Display P3, Adobe RGB, CMYK) converted
                 to sRGB, as a browser shows it (`colour_profiles`)
    first frame  of an animation (GIF, WebP, APNG): the frame annotate sized and boxed
    RGB, 8 bits  16-bit grey scaled (0-65535 -> 0-255; Pillow's own conversion clips it, leaving a
                 16-bit photo almost all white); transparency composited onto white, as
                 transformers' `convert_to_rgb` and vLLM do; CMYK and other modes converted
    refused      a file Pillow cannot identify (whatever its suffix says: the content decides), one
                 cut short, or one over twice Pillow's decompression-bomb limit
                 (`Image.MAX_IMAGE_PIXELS`, 89 Mpx: above 179 Mpx): `ImageFileError`, naming the file.
                 The limit is the user's to set: `VERISCENE_MAX_IMAGE_PIXELS` (`set_max_image_pixels`)

A file handed on is sent as its own bytes when any decoder shows it as this rule does (`as_is`:
one frame of JPEG, PNG, WebP or GIF, 8-bit RGB, grey or palette without transparency, stored
upright, in sRGB); any other is re-encoded from the decoded pixels (`payload`), so that a server or a
trainer that ignores EXIF, or keeps a transparent pixel's hidden colour, sees the same picture.
"""

from __future__ import annotations

import io
import os
import re
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

from veriscene.errors import DataError
from veriscene.scene.colour_profiles import conversion
from veriscene.scene.upright import SIDEWAYS, orientation, upright

# what Pillow raises on a broken file, besides OSError (its plugins are not uniform)
_BROKEN = (OSError, ValueError, SyntaxError, EOFError, struct.error, IndexError, KeyError, TypeError,
           ZeroDivisionError, Image.DecompressionBombError)
_SIXTEEN_BIT = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I"})
_PLAIN_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
_PLAIN_MODES = frozenset({"RGB", "L", "1", "P"})
_SNIFFED = {b"\xff\xd8\xff\xe0": "JPEG", b"\xff\xd8\xff\xe1": "JPEG", b"\xff\xd8\xff\xdb": "JPEG",
            b"\x89PNG": "PNG", b"GIF8": "GIF"}  # first 4 bytes -> format, to say a broken file is cut short
WHITE = (255, 255, 255, 255)


class ImageFileError(DataError):
    """An image file that cannot be decoded as veriscene's rule asks (module notes). `path`: the
    file; `reason`: why, without the file."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path, self.reason = str(path), reason
        super().__init__(f"cannot read the image {path}: {reason}"[:400])


# Pillow's decompression-bomb limit (`Image.MAX_IMAGE_PIXELS`: an image over it is decoded with a
# warning, one over twice it refused), set from this environment variable once, when this module is
# imported: in every process that opens images, so in every worker (pool processes and a local
# Ray's inherit the environment; a Ray cluster's nodes, joined by a run, are passed it in the job's
# runtime_env: `engine.ray_cluster.worker_env`). A positive number of pixels (1000000000, 1_000_000_000), or
# "none": no limit. Gigapixel pathology slides, satellite scenes and stitched panoramas need more
# than Pillow's 89 Mpx (refused above 179 Mpx).
MAX_PIXELS_ENV = "VERISCENE_MAX_IMAGE_PIXELS"


def parse_max_image_pixels(text: str, source: str = MAX_PIXELS_ENV) -> int | None:
    """The pixel limit `text` says (module notes): a positive whole number, or None for "none".
    ValueError naming `source`, the value and what it takes otherwise."""
    value = text.strip().lower()
    if value == "none":
        return None
    try:
        pixels = int(value)
    except ValueError:
        pixels = 0
    if pixels <= 0:
        raise ValueError(f"{source}={text!r}: expected a positive number of pixels (Pillow's decompression-bomb "
                         f"limit, Image.MAX_IMAGE_PIXELS: an image over it is decoded with a warning, one over twice "
                         f"it refused; Pillow's default is 89478485, 89 Mpx), such as 1000000000, or 'none' for no "
                         "limit")
    return pixels


def set_max_image_pixels(pixels: int | None) -> None:
    """Set the decompression-bomb limit every command opens images under (module notes; None: no
    limit) for this process, and for the worker processes it starts from now on (through
    `VERISCENE_MAX_IMAGE_PIXELS`, which they inherit, and which a run passes to the nodes of a Ray
    cluster it joins). Workers started before, a Ray already connected and a forkserver an
    earlier run started, take it with each task (`engine.backends.take_pixel_limit`). It is
    Pillow's own `Image.MAX_IMAGE_PIXELS`: the process's other Pillow uses see it too."""
    if pixels is not None and (isinstance(pixels, bool) or not isinstance(pixels, int) or pixels <= 0):
        raise ValueError(f"the image pixel limit must be a positive whole number or None (no limit), got {pixels!r}")
    global _bad_limit
    Image.MAX_IMAGE_PIXELS = pixels
    os.environ[MAX_PIXELS_ENV] = "none" if pixels is None else str(pixels)
    _bad_limit = None


_bad_limit: ValueError | None = None  # a VERISCENE_MAX_IMAGE_PIXELS found bad on import, raised on use


def _limit_from_environment() -> None:
    """Pillow's limit from the environment, on import. A bad value raises nothing here (an import
    error would be a traceback before any command could say it): `check_max_image_pixels` raises
    it, which the command line does before any work and `opened` before any image."""
    global _bad_limit
    text = os.environ.get(MAX_PIXELS_ENV)
    if text is not None and text.strip():
        try:
            Image.MAX_IMAGE_PIXELS = parse_max_image_pixels(text)
        except ValueError as exc:
            _bad_limit = exc


def check_max_image_pixels() -> None:
    """Raise the ValueError of a bad `VERISCENE_MAX_IMAGE_PIXELS` found on import, if any."""
    if _bad_limit is not None:
        raise ValueError(str(_bad_limit))


_limit_from_environment()


def _why_broken(path: str | Path, exc: BaseException, data: bytes | None) -> str:
    if isinstance(exc, Image.DecompressionBombError):
        size = re.search(r"\d+ pixels", str(exc))  # Pillow's message: "Image size (N pixels) exceeds ..."
        return (f"{size.group(0) if size else 'the image'} is over twice Pillow's decompression bomb limit "
                f"(Image.MAX_IMAGE_PIXELS: {Image.MAX_IMAGE_PIXELS}). Scale it down first, or if it is a real photo "
                f"raise the limit: {MAX_PIXELS_ENV}=PIXELS (or =none)")
    if isinstance(exc, Image.UnidentifiedImageError) or "cannot identify image file" in str(exc):
        if data is not None and not data:
            return "the file is empty (0 bytes)"
        return (f"Pillow cannot identify it as an image (its content decides, not its suffix "
                f"{Path(path).suffix or '(none)'!r}: not an image, or a format Pillow has no plugin for)")
    text = str(exc)
    if "truncated" in text.lower() or isinstance(exc, EOFError):
        return f"the file is cut short ({text or type(exc).__name__}): a download or copy that did not finish?"
    return f"{type(exc).__name__}: {text}"


@contextmanager
def opened(path: str | Path, data: bytes | None = None) -> Iterator[Image.Image]:
    """The image at `path` (or its bytes `data`, named `path`) opened by Pillow; what Pillow raises
    on it, in the block too (decoding happens there), as `ImageFileError` naming the file. A file
    that does not exist: FileNotFoundError naming it."""
    check_max_image_pixels()
    try:
        with Image.open(io.BytesIO(data) if data is not None else path) as im:
            _say_if_large(path, im)
            yield im
    except FileNotFoundError:
        raise FileNotFoundError(f"image file {path} does not exist") from None
    except ImageFileError:  # raised in the block, naming the file already
        raise
    except _BROKEN as exc:
        if data is None and Path(path).is_file():
            data = Path(path).read_bytes()  # (a broken file: read again to say why)
        cut = cut_short(data, _SNIFFED.get(data[:4], "WEBP" if data[8:12] == b"WEBP" else None)) if data else None
        reason = cut + ": a download or copy that did not finish?" if cut else _why_broken(path, exc, data)
        raise ImageFileError(path, reason) from None


class LargeImageWarning(UserWarning):
    """An image over Pillow's decompression-bomb limit but under twice it: decoded, and named
    (Pillow's own DecompressionBombWarning does not name the file)."""


def _say_if_large(path: str | Path, im: Image.Image) -> None:
    limit = Image.MAX_IMAGE_PIXELS
    if limit and im.size[0] * im.size[1] > limit:
        warnings.warn(f"{path}: {im.size[0]}x{im.size[1]} pixels, over Pillow's decompression-bomb limit of "
                      f"{limit:,} (Image.MAX_IMAGE_PIXELS): decoded, but twice the limit is refused",
                      LargeImageWarning, stacklevel=3)


def to_rgb(im: Image.Image) -> Image.Image:
    """An opened image (its current frame) as 8-bit RGB (module notes): 16-bit grey scaled, an
    embedded colour profile other than sRGB converted to sRGB, transparency composited onto white."""
    profile = conversion(im)  # (None for most files: those without a profile, or an sRGB one)
    if im.mode in _SIXTEEN_BIT:
        values = np.asarray(im, dtype=np.float64)
        im = Image.fromarray(np.clip(np.round(values / 257.0), 0, 255).astype(np.uint8), "L")
    if profile is not None:  # before compositing: a browser composites the colours it shows
        im = profile.apply(im)
    if "A" in im.getbands() or "transparency" in im.info:
        over = Image.new("RGBA", im.size, WHITE)
        return Image.alpha_composite(over, im.convert("RGBA")).convert("RGB")
    return im.convert("RGB")


def read_rgb(path: str | Path, data: bytes | None = None) -> Image.Image:
    """The image file as veriscene shows it (module notes): RGB, upright, its first frame.
    `data`: its bytes, when read already. ImageFileError naming the file when it cannot be."""
    with opened(path, data) as im:
        return to_rgb(upright(im))


def shown_size(path: str | Path) -> tuple[int, int]:
    """(width, height) of the image as shown (EXIF orientation applied), from its header (pixels
    not decoded). ImageFileError naming the file when Pillow cannot open it."""
    with opened(path) as im:
        width, height = im.size
        return (height, width) if orientation(im) in SIDEWAYS else (width, height)


def as_is(im: Image.Image) -> bool:
    """Whether any decoder shows the opened file's bytes as `read_rgb` does: one frame of JPEG,
    PNG, WebP or GIF, of 8-bit RGB, grey or palette without transparency, stored upright, in sRGB
    (no colour profile, or one that changes no colour: loaders other than browsers ignore it)."""
    return (im.format in _PLAIN_FORMATS and im.mode in _PLAIN_MODES and "transparency" not in im.info
            and not getattr(im, "is_animated", False) and orientation(im) == 1 and conversion(im) is None)


def why_encoded(im: Image.Image) -> str:
    """Why an opened file is not sent `as_is` (for counts and notes): the first reason found."""
    if orientation(im) != 1:
        return f"EXIF orientation {orientation(im)}"
    if getattr(im, "is_animated", False):
        return "animated (first frame)"
    if im.format not in _PLAIN_FORMATS:
        return f"{im.format or 'unknown'} format"
    if im.mode in _SIXTEEN_BIT:
        return "16-bit grey"
    if "A" in im.getbands() or "transparency" in im.info:
        return "transparent"
    if im.mode in _PLAIN_MODES:
        profile = conversion(im)
        if profile is not None:
            return f"colour profile {profile.name}"
    return f"{im.mode} pixels"


def cut_short(data: bytes, fmt: str | None) -> str | None:
    """Why a JPEG, PNG, WebP or GIF file's bytes stop before the image ends (None: they do not),
    from its structure alone (nothing decoded): a JPEG's entropy-coded data must reach its end
    marker, a PNG its IEND chunk, a WebP its RIFF length, a GIF its trailer byte."""
    if fmt == "JPEG":
        scan = _jpeg_scan_start(data)
        # (an end marker after the scan start, looked for from the end, where it is: 0.01 ms, not
        # the 2 ms of a forward search through a 2.4 MB photo's many 0xFF bytes)
        ended = scan is not None and data.rfind(b"\xff\xd9") >= scan
        return None if ended else "the file is cut short (no end of image after its scan data)"
    if fmt == "PNG":
        return None if data.rfind(b"IEND") > 8 else "the file is cut short (no IEND chunk)"
    if fmt == "WEBP" and len(data) >= 8:
        riff = int.from_bytes(data[4:8], "little") + 8
        return None if len(data) >= riff else f"the file is cut short ({len(data)} of the {riff} bytes its header says)"
    if fmt == "GIF":
        return None if data.rstrip(b"\x00").endswith(b";") else "the file is cut short (no GIF trailer)"
    return None


def _jpeg_scan_start(data: bytes) -> int | None:
    """The offset of a JPEG's first scan data (after its first SOS segment), its header segments
    (EXIF, whose thumbnail holds markers of its own) stepped over by their lengths."""
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        length = int.from_bytes(data[at + 2:at + 4], "big")
        if marker == 0xDA:  # start of scan
            return at + 2 + length
        at += 2 + length
    return None


def payload(path: str | Path, data: bytes | None = None) -> tuple[bytes, str, str | None]:
    """(bytes, MIME type, why re-encoded) of the image file to hand on: its own bytes when `as_is`
    (why: None), else `read_rgb`'s pixels encoded (JPEG at quality 95 for a JPEG, else PNG).
    ImageFileError naming the file when it cannot be decoded or is cut short."""
    if data is None:
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(f"image file {path} does not exist") from None
    with opened(path, data) as im:
        if as_is(im):
            cut = cut_short(data, im.format)
            if cut is not None:
                raise ImageFileError(path, cut + ": a download or copy that did not finish?")
            return data, _PLAIN_FORMATS[str(im.format)], None
        why, fmt = why_encoded(im), im.format
        rgb = to_rgb(upright(im))
    out = io.BytesIO()
    if fmt == "JPEG":
        rgb.save(out, format="JPEG", quality=95)
        return out.getvalue(), "image/jpeg", why
    rgb.save(out, format="PNG")
    return out.getvalue(), "image/png", why
