"""Images of samples that carry marks (`veriscene.scene.marks`: points a question names by label,
"Which point is closer to the camera: A or B?"), as exports hand them on: with the marks drawn.

An export never points a model at the unmarked file of a marked question:

    embedded bytes   (parquet, hf, trl/verl Parquet with --embed-images) the image with its marks
                     drawn (`scene.mark_drawing.marked_payload`: JPEG at quality 95 for a JPEG,
                     else PNG); the cell's path names the marked copy a by-path export would
                     write (no file is written)
    by path          (llava, sharegpt, trl JSONL, verl, parquet without --embed-images) a marked
                     copy is written once per export into ``marked_images/`` of the folder that
                     receives the export (`MARKED_FOLDER`), and the record names it: ship that
                     folder with the export. Copies are named after the image and a hash of the
                     image's path and marks (``demo-000001-3f2a9c01b4d2.png``, ``.jpg`` for a
                     JPEG; the image's own name, or its URL path's, up to 100 characters,
                     any but letters, digits, "-", "_" and "." written "_"): the same name
                     and the same bytes on every export

Each (image, marks) is decoded and drawn once per export (the last `KEPT` kept). An image that
cannot be decoded is counted missing, as an unmarked one is.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence
from urllib.parse import urlsplit

import orjson

from veriscene.engine.fetch import read_urls
from veriscene.engine.remote import is_url
from veriscene.scene.image_files import ImageFileError
from veriscene.scene.mark_drawing import marked_payload

if TYPE_CHECKING:
    from veriscene.io.writers.common import ImageRef, ImageResolver

MARKED_FOLDER = "marked_images"  # beside the export: its marked copies of images
KEPT = 16  # marked images whose bytes are kept (a scene's marked samples come one after another)


def marked_name(name: str, marks: Sequence[dict[str, Any]], mime: str) -> str:
    """The file name of the marked copy of image `name` (a path or URL) with `marks`, whose bytes
    are of MIME type `mime` (image/jpeg or image/png)."""
    digest = hashlib.sha256(orjson.dumps([name, list(marks)])).hexdigest()[:12]
    where = urlsplit(name).path if is_url(name) else name  # (a URL's query is no part of the name)
    stem = Path(where.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]).stem
    # a name any file system takes: characters other than letters, digits, "-", "_" and "." as
    # "_", and at most `STEM_CHARS` of them (a file name of 250 characters stays one, not 267)
    stem = _UNSAFE.sub("_", stem)[:STEM_CHARS] or "image"
    return f"{stem}-{digest}{'.jpg' if mime == 'image/jpeg' else '.png'}"


STEM_CHARS = 100  # of the image's own name kept in its marked copy's
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class MarkedImages:
    """The marked images of one export: their bytes (drawn once, the last `KEPT` kept), and the
    copies written into `folder` (None: an export that cannot write them)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._bytes: OrderedDict[tuple[str, bytes], tuple[bytes, str]] = OrderedDict()  # -> (bytes, MIME)
        self.written: set[Path] = set()  # copies written by this export
        self.embedded = 0  # image references embedded with their marks drawn

    def payload(self, name: str, marks: Sequence[dict[str, Any]], data: bytes | None = None) -> tuple[bytes, str]:
        """(bytes, MIME type) of image `name` (its file's bytes `data` when read already) with
        `marks` drawn (`marked_payload`). ImageFileError / FileNotFoundError as
        `image_files.read_rgb` raises them."""
        key = (name, orjson.dumps(list(marks)))
        kept = self._bytes.get(key)
        if kept is not None:
            self._bytes.move_to_end(key)
            return kept
        made = self._bytes[key] = marked_payload(name, marks, data)
        if len(self._bytes) > KEPT:
            self._bytes.popitem(last=False)
        return made

    def copy(self, name: str, marks: Sequence[dict[str, Any]], data: bytes | None, raw: str) -> Path:
        """The marked copy of image `name` (the sample's path `raw`) in `folder`, written
        (atomically) the first time this export asks for it. ValueError when this export has no
        folder for copies."""
        if self.folder is None:
            raise ValueError("its image carries marks (points the question names by label) and this export writes "
                             "images by path to no local folder where a marked copy could be written: export with "
                             "--embed-images (the image with its marks drawn), or to a local folder")
        sent, mime = self.payload(name, marks, data)
        path = self.folder / marked_name(raw, marks, mime)
        if path not in self.written:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(sent)
            os.replace(tmp, path)
            self.written.add(path)
        return path

    def note(self) -> str | None:
        """The export's note of the marked copies it wrote (None: none)."""
        if not self.written or self.folder is None:
            return None
        return (f"{len(self.written)} marked image(s) written to {self.folder} (the points the questions name by label "
                f"drawn on the images): the records name these copies; ship the folder with the export")


def resolve_marked(images: "ImageResolver", image_id: str, raw: str, marks: tuple[dict[str, Any], ...]) -> "ImageRef":
    """`ImageResolver.resolve` of an image with marks (module notes): embedded with its marks
    drawn, its path the name of its marked copy; else that copy, written beside the export, is
    the image written. A missing image, or one that cannot be decoded, is counted missing."""
    from veriscene.io.writers.common import ImageRef

    marked: MarkedImages = images.marked
    url = is_url(raw)
    if url:
        ref = images._at_url(image_id, raw) if images.embed else ImageRef(image_id, None, raw, True)
        name, source = raw, None
    else:
        source, _, found = images._locate(raw)
        ref, name = ImageRef(image_id, source, None, found), str(source)
    if not ref.exists:
        return ImageRef(image_id, source, ref.path, False)
    try:
        if images.embed:
            data = images._url_data.get(raw) if url else None
            sent, mime = marked.payload(name, marks, data if isinstance(data, bytes) else None)
            if not url:  # (one at a URL is counted by `_at_url`)
                images.summary.images_embedded += 1
            marked.embedded += 1
            copy = (marked.folder or Path()) / marked_name(raw, marks, mime)
            return ImageRef(image_id, source, _written(images, copy), True, sent, marks, raw if url else None)
        copy = marked.copy(name, marks, _url_bytes(raw) if url else None, raw)
    except ImageFileError as exc:
        if name not in images._missing_seen:
            images._missing_seen.add(name)
            images._missing(str(exc))
        return ImageRef(image_id, source, None, False)
    return ImageRef(image_id, copy, _written(images, copy), True)


def _url_bytes(url: str) -> bytes:
    """The bytes of an image at a URL that a by-path export draws marks on (read from the store)."""
    data = read_urls([url]).get(url)
    if isinstance(data, FileNotFoundError) or data is None:
        raise ImageFileError(url, "no such image in the store")
    if isinstance(data, Exception):  # the store cannot be read: said, not hidden
        raise data
    return data


def _written(images: "ImageResolver", path: Path) -> str:
    """What an export writes for the local file `path`: relative to its image_root, or absolute."""
    if images.absolute_paths:
        return path.absolute().as_posix()
    try:
        return Path(os.path.relpath(path, images.image_root)).as_posix()
    except ValueError:  # different drive on Windows: no relative path exists
        return path.as_posix()


__all__ = ["KEPT", "MARKED_FOLDER", "MarkedImages", "marked_name", "resolve_marked"]
