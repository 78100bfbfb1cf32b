"""Images as VLM data sets hold them, made with Pillow in a test's folder, and every way veriscene
decodes or hands on an image: the shared parts of test_image_kinds and test_bad_image_files.

Each kind is written with the pixels a viewer shows (`expected`: upright, transparency over
white, the first frame), worked out here with numpy alone, not with the code under test."""

from __future__ import annotations

import base64
import io
import struct
import threading
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from veriscene.annotate.batches import load_image
from veriscene.errors import SceneValidationError
from veriscene.evaluate.adapters import transformers_local
from veriscene.evaluate.adapters.base import image_payload
from veriscene.io.writers.common import ExportSummary, ImageResolver
from veriscene.rewards.views import load_rgb
from veriscene.viewer.images import thumbnail
from veriscene.viewer.server import make_server

RED, GREEN, BLUE, YELLOW, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 255, 255)


def quadrants(width: int = 48, height: int = 24) -> np.ndarray:
    """(height, width, 3) uint8: red, green / blue, yellow quadrants (top-left first)."""
    a = np.zeros((height, width, 3), np.uint8)
    a[: height // 2, : width // 2], a[: height // 2, width // 2:] = RED, GREEN
    a[height // 2:, : width // 2], a[height // 2:, width // 2:] = BLUE, YELLOW
    return a


def exif(turn: int) -> bytes:
    tags = Image.Exif()
    tags[0x0112] = turn
    return tags.tobytes()


def png_rgb16(path: Path, pixels: np.ndarray) -> None:
    """A 16-bit RGB PNG written by hand (Pillow writes none): each 8-bit value v as v * 257."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    h, w = pixels.shape[:2]
    rows = b"".join(b"\x00" + (pixels[y].astype(">u2") * 257).tobytes() for y in range(h))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def make_kind(kind: str, folder: Path) -> tuple[Path, np.ndarray]:
    """(file, the RGB pixels a viewer shows of it) of one kind of image."""
    q = quadrants()
    left_clear = np.zeros((24, 48), bool)
    left_clear[:, :24] = True
    over_white = q.copy()
    over_white[left_clear] = WHITE
    if kind == "phone_exif6.jpg":  # stored sideways, shown turned a quarter clockwise
        Image.fromarray(q).save(folder / kind, quality=95, exif=exif(6))
        return folder / kind, np.rot90(q, k=-1)
    if kind == "upside_down_exif3.jpg":
        Image.fromarray(q).save(folder / kind, quality=95, exif=exif(3))
        return folder / kind, q[::-1, ::-1]
    if kind == "mirrored_exif6.png":  # a PNG's eXIf chunk turns it as a JPEG's does
        Image.fromarray(q).save(folder / kind, exif=exif(6))
        return folder / kind, np.rot90(q, k=-1)
    if kind == "grey16.png":  # 0 to 65535 across: 0 to 255 shown
        values = np.tile(np.linspace(0, 65535, 48).round().astype(np.uint16), (24, 1))
        Image.fromarray(values).save(folder / kind)
        grey = np.round(values / 257.0).astype(np.uint8)
        return folder / kind, np.repeat(grey[..., None], 3, axis=2)
    if kind == "rgb16.png":
        png_rgb16(folder / kind, q)
        return folder / kind, q
    if kind == "transparent.png":  # the left half clear: its hidden colours are not shown
        rgba = np.dstack([q, np.where(left_clear, 0, 255).astype(np.uint8)])
        Image.fromarray(rgba, "RGBA").save(folder / kind)
        return folder / kind, over_white
    if kind == "grey_alpha.png":
        grey = np.asarray(Image.fromarray(q).convert("L"))
        Image.fromarray(np.dstack([grey, np.where(left_clear, 0, 255).astype(np.uint8)]), "LA").save(folder / kind)
        shown = np.repeat(grey[..., None], 3, axis=2)
        shown[left_clear] = WHITE
        return folder / kind, shown
    if kind == "palette_transparent.png":  # index 0 (red) is transparent
        indices = np.select([q[..., 0] == 255, q[..., 1] == 255], [0, 1], 2).astype(np.uint8)
        indices[q.sum(axis=2) == 510] = 3  # yellow
        indices[(q == BLUE).all(axis=2)] = 2
        im = Image.fromarray(indices, "P")
        im.putpalette([*RED, *GREEN, *BLUE, *YELLOW])
        im.save(folder / kind, transparency=0)
        shown = q.copy()
        shown[(q == RED).all(axis=2)] = WHITE
        return folder / kind, shown
    if kind == "cmyk.jpg":
        Image.fromarray(q).convert("CMYK").save(folder / kind, quality=95)
        return folder / kind, q
    if kind in ("animated.gif", "animated.webp"):  # the first frame is what annotate boxed
        frames = [Image.fromarray(q), Image.fromarray(q[::-1].copy())]
        extra: dict[str, Any] = {"lossless": True} if kind.endswith("webp") else {}
        frames[0].save(folder / kind, save_all=True, append_images=frames[1:], duration=100, loop=0, **extra)
        return folder / kind, q
    if kind == "tiff_named.jpg":  # the suffix lies: the content decides
        Image.fromarray(q).save(folder / kind, format="TIFF")
        return folder / kind, q
    if kind == "png_named.jpg":
        Image.fromarray(q).save(folder / kind, format="PNG")
        return folder / kind, q
    raise KeyError(kind)


KINDS = ["phone_exif6.jpg", "upside_down_exif3.jpg", "mirrored_exif6.png", "grey16.png", "rgb16.png",
         "transparent.png", "grey_alpha.png", "palette_transparent.png", "cmyk.jpg", "animated.gif",
         "animated.webp", "tiff_named.jpg", "png_named.jpg"]


# --- the ways veriscene decodes an image (in this process) ---------------------------------------


def _annotate(path: Path) -> Image.Image:
    loaded = load_image(path)
    if isinstance(loaded, SceneValidationError):
        raise loaded
    return loaded


def _thumbnail(path: Path) -> Image.Image:
    encoded = thumbnail(path, max_side=4096, quality=95)
    if encoded is None:
        raise ValueError(f"no thumbnail of {path}")
    return Image.open(io.BytesIO(encoded))


DECODERS: dict[str, Callable[[Path], Image.Image]] = {
    "annotate": _annotate,
    "viewer thumbnail (html export)": _thumbnail,
    "rewards env": load_rgb,
    "eval hf: model": transformers_local._rgb,
}


# --- the ways veriscene hands an image on: (bytes, MIME type) -----------------------------------


def _eval_data_url(path: Path) -> tuple[bytes, str]:
    _, url = image_payload(path)
    head, encoded = url.split(",", 1)
    return base64.b64decode(encoded), head[len("data:"):-len(";base64")]


class _OneImage:
    """What the viewer's /image route asks of a catalog."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def refresh(self) -> None:
        pass

    def image_file(self, image_id: str) -> Path | None:
        return self.path if image_id == "x" else None

    def close(self) -> None:
        pass


def viewer_get(path: Path) -> tuple[int, str, bytes]:
    """(status, Content-Type, body) of the viewer's /image of the file at `path`, over HTTP."""
    server = make_server(_OneImage(path), port=0)  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/image/x"
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                return r.status, r.headers["Content-Type"], r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers["Content-Type"], exc.read()
    finally:
        server.shutdown()
        server.server_close()


def _viewer_image(path: Path) -> tuple[bytes, str]:
    status, mime, body = viewer_get(path)
    if status != 200:
        raise ValueError(body.decode("utf-8", "replace"))
    return body, mime


def export_resolver(folder: Path) -> ImageResolver:
    return ImageResolver(ExportSummary(format="parquet", out=folder / "o.parquet", image_root=folder),
                         sample_root=folder, embed=True)


def _export_embedded(path: Path) -> tuple[bytes, str]:
    ref = export_resolver(path.parent).resolve({"id": "x", "path": path.name})
    if ref.data is None:
        raise ValueError(f"{path} not embedded")
    with Image.open(io.BytesIO(ref.data)) as im:
        return ref.data, Image.MIME[str(im.format)]


HANDED_ON: dict[str, Callable[[Path], tuple[bytes, str]]] = {
    "eval openai: data URL": _eval_data_url,
    "viewer /image": _viewer_image,
    "export --embed-images": _export_embedded,
}


def naive_rgb(data: bytes, mime: str) -> np.ndarray:
    """The pixels a server or trainer sees of bytes handed on, when it applies no EXIF orientation
    and drops alpha (`Image.open(...).convert("RGB")`); checks the bytes leave it no choice: one
    frame, no orientation tag turning it, no transparency, of the format `mime` says."""
    with Image.open(io.BytesIO(data)) as im:
        assert Image.MIME[str(im.format)] == mime, (im.format, mime)
        assert im.format in ("JPEG", "PNG", "WEBP", "GIF"), im.format
        assert not getattr(im, "is_animated", False)
        assert im.getexif().get(0x0112, 1) == 1
        assert "A" not in im.getbands() and "transparency" not in im.info, im.mode
        assert im.mode in ("RGB", "L", "P", "1"), im.mode
        return np.asarray(im.convert("RGB"))


def as_array(im: Any) -> np.ndarray:
    return np.asarray(im.convert("RGB") if isinstance(im, Image.Image) else im)
