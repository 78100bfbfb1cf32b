"""Shared parts of all writers: the export summary, image path resolution, provenance.

Image path rule (every format). A sample's `images[i]["path"]` is either absolute or relative to
`sample_root` (for `veriscene export RUN_DIR` that is RUN_DIR; when None, the current directory).
The path written to the export is `os.path.relpath(source, image_root)` in POSIX form, where
`image_root` defaults to the folder that receives the export (the parent of an output file, or the
output directory itself). `..` components are kept, so the export works wherever the trainer
resolves paths against `image_root` (LLaVA's `--image_folder`, LLaMA-Factory's `media_dir`).
With `absolute_paths=True` the resolved absolute path is written instead.

Each referenced image is checked once for existence; missing ones are counted and the first few
are listed in the summary. A missing image never stops an export (when embedding bytes, its
image cell is null: `arrow.image_cell`; verl skips the sample). An image with no path at all is
counted missing too, and the formats naming images by path (llava, sharegpt, trl JSONL, verl)
skip its sample with the reason (`require_paths`). The image counts of a skipped sample are taken
back (`convert_all`): `images_referenced` and `images_embedded` count what the export holds.

An image named by URL (``s3://bucket/images/1.jpg``: samples made from scenes read from a URL) is
written as it is and not checked, unless its bytes are embedded: then it is read from the store
(for 64 samples at a time, 16 requests at once: `ImageResolver.prefetch`); one that does not
exist is counted missing, and a store that cannot be read (network, credentials) stops the export
with its error. With `check_urls` (not embedding), the first 64 KB of each are read likewise (its
header: one ranged request, where a HEAD request said only that it exists), so that an image at a
URL stored turned, or in a colour profile other than sRGB, is warned of as a local file is
(`by_path_warnings`).

The summary and the sample helpers (provenance, ground truth, `convert_all`) are in
`io.writers.records`, writing files (`AtomicTextFile`, `output_file`, ...) in `io.writers.files`;
their names are imported here too, so they stay importable from this module.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veriscene.engine.fetch import check_urls, image_urls, read_urls
from veriscene.engine.fetch_many import HEAD_BYTES, read_heads, read_url
from veriscene.engine.remote import RemoteError, is_url
from veriscene.scene.colour_profiles import profile_name
from veriscene.scene.image_files import ImageFileError, opened, payload
from veriscene.scene.marks import marks_of
from veriscene.scene.upright import orientation
from veriscene.io.writers.marked import MarkedImages, resolve_marked
from veriscene.io.writers.files import (
    AtomicTextFile, OutputError, output_dir, output_file, write_json_array, write_json_lines,
)
from veriscene.io.writers.records import (
    INT64_MAX, MAX_LISTED, REQUIRED_FIELDS, ExportSummary, check_sample, convert_all, dumps, ground_truth, int64,
    provenance,
)
from veriscene.option_names import option

__all__ = [
    # defined here
    "PREFETCH_SAMPLES", "ImageRef", "ImageResolver", "_RESOLVED", "require_paths",
    # moved to `records`
    "INT64_MAX", "MAX_LISTED", "REQUIRED_FIELDS", "ExportSummary", "check_sample", "convert_all", "dumps",
    "ground_truth", "int64", "provenance",
    # moved to `files`
    "AtomicTextFile", "OutputError", "output_dir", "output_file", "write_json_array", "write_json_lines",
    # imported here before the split, kept importable for callers that took them from here
    "check_urls", "image_urls", "is_url", "read_urls",
]


@dataclass(frozen=True)
class ImageRef:
    """One image of a sample as an export sees it."""

    id: str
    source: Path | None  # absolute location on this machine (None: the sample has no path)
    path: str | None  # what the export writes (relative to image_root unless absolute_paths)
    exists: bool
    data: bytes | None = None  # file bytes when embedding and the file exists
    # points drawn on the image of `source` (or of the URL `origin`) when its bytes are read again
    # (`scene.marks`; `data` has them drawn already, `path` names its marked copy); None: none
    marks: tuple[dict[str, Any], ...] | None = None
    origin: str | None = None  # an image at a URL with marks: that URL


_RESOLVED = 8192  # image paths an ImageResolver keeps resolved
PREFETCH_SAMPLES = 64  # samples whose images at URLs are read at once, when embedding
_PAYLOADS = 16  # images embedded last whose bytes an ImageResolver keeps (`_embedded`)


class ImageResolver:
    """Resolves, checks and (optionally) reads the images samples refer to."""

    def __init__(
        self,
        summary: ExportSummary,
        *,
        sample_root: Path | None = None,
        embed: bool = False,
        absolute_paths: bool = False,
        check_urls: bool = False,
        marked_folder: Path | None = None,
    ) -> None:
        self.summary = summary
        self.image_root = Path(os.path.abspath(summary.image_root or "."))
        self.sample_root = Path(os.path.abspath(sample_root if sample_root is not None else "."))
        self.embed = embed
        self.absolute_paths = absolute_paths
        self.check_urls = check_urls  # without embedding: ask the store whether each URL's image exists
        # the images resolved last, by the path a sample gives (a scene's samples, and the pool's
        # scenes multi-image samples name, come again and again): bounded, as is everything an
        # export holds, whatever the number of images; the missing ones are kept to count each once
        self._resolved: OrderedDict[str, tuple[Path, str, bool]] = OrderedDict()
        self._missing_seen: set[Path | str] = set()
        self._url_data: dict[str, bytes | Exception] = {}  # bytes of images at URLs, read ahead (`prefetch`)
        # whether images at URLs exist (`check_urls`), the last ones asked: bounded as `_resolved` is
        self._url_found: OrderedDict[str, bool | Exception] = OrderedDict()
        # the bytes embedded of the images resolved last, and why re-encoded (`_embedded`): a
        # scene's samples come one after another, and each is not decoded again
        self._payloads: OrderedDict[str, tuple[bytes, str | None]] = OrderedDict()
        self.reencoded: dict[str, int] = {}  # why -> image references embedded re-encoded
        self.reencoded_example = ""  # the first of them, and why
        # images written by path (not embedded) that a loader would show otherwise (`_check_header`)
        self.turned_by_path: dict[str, int] = {}  # file -> its EXIF orientation (not 1)
        self.profiled_by_path: dict[str, str] = {}  # file -> its colour profile's name (not sRGB)
        self.unopenable: dict[str, str] = {}  # file -> why Pillow cannot open it
        # images with marks (points a question names by label): drawn, embedded or copied into
        # `marked_folder` beside the export, never handed on unmarked (`io.writers.marked`)
        self.marked = MarkedImages(marked_folder)

    def _missing(self, what: str) -> None:
        self.summary.images_missing += 1
        if len(self.summary.missing_examples) < MAX_LISTED:
            self.summary.missing_examples.append(what)

    def _locate(self, raw: str) -> tuple[Path, str, bool]:
        """(absolute source, path to write, whether the file exists) of a sample's image path."""
        found = self._resolved.get(raw)
        if found is not None:
            self._resolved.move_to_end(raw)
            return found
        source = Path(os.path.abspath(self.sample_root / raw))
        exists = source.is_file()
        if not exists and source not in self._missing_seen:
            self._missing_seen.add(source)
            self._missing(str(source))
        if exists and not self.embed:
            self._check_header(source)
        if self.absolute_paths:
            written = source.as_posix()
        else:
            try:
                written = Path(os.path.relpath(source, self.image_root)).as_posix()
            except ValueError:  # different drive on Windows: no relative path exists
                written = source.as_posix()
        found = self._resolved[raw] = (source, written, exists)
        if len(self._resolved) > _RESOLVED:
            self._resolved.popitem(last=False)
        return found

    def resolve(self, image: dict[str, Any]) -> ImageRef:
        image_id = str(image.get("id", ""))
        marks = marks_of(image, f"image {image_id!r}")  # (ValueError: the sample is skipped, named)
        self.summary.images_referenced += 1
        raw = image.get("path")
        if not raw:  # counted and listed once per image, as a missing file is (not once per sample naming it)
            no_path = f"<image {image_id!r} has no path>"
            if no_path not in self._missing_seen:
                self._missing_seen.add(no_path)
                self._missing(no_path)
            return ImageRef(image_id, None, None, False)
        if marks:
            return resolve_marked(self, image_id, str(raw), tuple(marks))
        if is_url(str(raw)):  # samples made from scenes read from a URL name their images by URL
            return self._at_url(image_id, str(raw))
        source, written, exists = self._locate(str(raw))
        data = None
        if self.embed and exists:
            data = self._embedded(str(source), None)
            if data is None:  # cannot be decoded: its cell is null, as a missing image's
                return ImageRef(image_id, source, written, False)
            self.summary.images_embedded += 1
        return ImageRef(image_id, source, written, exists, data)

    def _embedded(self, name: str, data: bytes | None) -> bytes | None:
        """The bytes to embed of the image `name` (its file's bytes `data` when read already):
        as they are when every decoder shows them as veriscene does, else its upright RGB
        re-encoded (`scene.image_files.payload`: EXIF-turned, animated, 16-bit, transparent,
        CMYK, TIFF...), counted by reason. None when it cannot be decoded or is cut short: counted
        among the missing, named with the reason."""
        kept = self._payloads.get(name)
        if kept is None:
            try:
                sent, _, why = payload(name, data)
            except ImageFileError as exc:
                if name not in self._missing_seen:
                    self._missing_seen.add(name)
                    self._missing(str(exc))
                return None
            kept = self._payloads[name] = (sent, why)
            if len(self._payloads) > _PAYLOADS:
                self._payloads.popitem(last=False)
        else:
            self._payloads.move_to_end(name)
        sent, why = kept
        if why is not None:
            self.reencoded[why] = self.reencoded.get(why, 0) + 1
            self.reencoded_example = self.reencoded_example or f"{name} ({why})"
        return sent

    def _check_header(self, source: Path | str, head: bytes | None = None) -> None:
        """An image written by path (not embedded): its header read (0.1-0.4 ms; pixels not
        decoded), to say which a trainer's loader would show other than veriscene does: one stored
        turned (EXIF orientation; LLaVA's ``Image.open(path).convert("RGB")`` does not turn it, and
        the samples' boxes are of the upright photo), one whose colour profile changes its colours
        (that loader reads the numbers as sRGB; the samples' colours are those shown converted: a
        file without a profile costs a dictionary look-up, `colour_profiles`), or one that cannot be
        opened at all. An image at a URL (`source`) gives its first bytes, `head` (`read_heads`):
        read whole when its header runs past them."""
        try:
            turn, profile = self._header(source, head)
        except ImageFileError as exc:
            self.unopenable.setdefault(str(source), exc.reason)
            return
        if turn != 1:
            self.turned_by_path.setdefault(str(source), turn)
        if profile is not None:
            self.profiled_by_path.setdefault(str(source), profile)

    @staticmethod
    def _header(source: Path | str, head: bytes | None) -> tuple[int, str | None]:
        """(EXIF orientation, colour profile name or None) of an image's header (`_check_header`)."""
        try:
            with opened(source, head) as im:
                return orientation(im), profile_name(im)  # (profile None: none, or one changing no colour)
        except ImageFileError:
            if head is None or len(head) < HEAD_BYTES:  # the whole file: it is what it is
                raise
        try:  # (a header longer than the bytes read, or cut there: EXIF thumbnails, large profiles)
            whole = read_url(str(source))
        except (FileNotFoundError, RemoteError) as exc:
            raise ImageFileError(source, str(exc)) from None
        with opened(source, whole) as im:
            return orientation(im), profile_name(im)

    def by_path_warnings(self) -> list[str]:
        """The export's notes of the images written by path that a loader would show otherwise."""
        out = []
        if self.turned_by_path:
            first, turn = next(iter(self.turned_by_path.items()))
            out.append(f"{len(self.turned_by_path)} image(s) written by path are stored turned (first: {first}, EXIF "
                       f"orientation {turn}): the samples' boxes and points are of the photo as shown, upright, but a "
                       "loader that does not apply EXIF orientation (LLaVA's Image.open(path).convert('RGB')) shows "
                       f"it turned; export with {option('embed_images=True', '--embed-images')} (upright bytes), or turn the files upright first "
                       "(exiftran -ai FILES, or mogrify -auto-orient FILES)")
        if self.profiled_by_path:
            first, name = next(iter(self.profiled_by_path.items()))
            out.append(f"{len(self.profiled_by_path)} image(s) written by path carry a colour profile other than sRGB "
                       f"(first: {first}, {name!r}): veriscene shows them converted to sRGB, as a browser (and the "
                       "annotation tool in it) does, but a loader that reads the numbers as sRGB (LLaVA's "
                       "Image.open(path).convert('RGB'), transformers, datasets, vLLM) shows other colours than the "
                       f"samples name; export with {option('embed_images=True', '--embed-images')} (sRGB bytes), or convert the files to sRGB first "
                       "(magick mogrify -profile sRGB.icc FILES)")
        if self.unopenable:
            first, why = next(iter(self.unopenable.items()))
            out.append(f"{len(self.unopenable)} image(s) written by path cannot be opened as images "
                       f"(first: {first}: {why}): a trainer's loader will fail on them")
        return out

    def reencoded_warning(self) -> str | None:
        """The export's note of the embedded images re-encoded (None: none were)."""
        if not self.reencoded:
            return None
        whys = ", ".join(f"{n} {why}" for why, n in sorted(self.reencoded.items(), key=lambda kv: -kv[1]))
        return (f"{sum(self.reencoded.values())} embedded image(s) re-encoded as upright RGB, as veriscene "
                f"decodes them, so that a loader ignoring EXIF, alpha or colour profiles sees the pixels the boxes "
                f"and colours refer to ({whys}; first: {self.reencoded_example})")

    def _at_url(self, image_id: str, url: str) -> ImageRef:
        """An image named by URL: written as it is; when embedding, its bytes (read by `prefetch`,
        or here), a missing one counted as a missing file is."""
        self.summary.images_at_urls += 1
        if not self.embed and not self.check_urls:
            return ImageRef(image_id, None, url, False)
        if not self.embed:
            found = self._url_found.get(url)
            if found is None:
                self._ask([url])
                found = self._url_found[url]
            if isinstance(found, Exception) and not isinstance(found, FileNotFoundError):
                raise found  # the store cannot be asked: said, not hidden
            if found is True:
                self.summary.images_checked += 1
            elif url not in self._missing_seen:
                self._missing_seen.add(url)
                self._missing(url)
            return ImageRef(image_id, None, url, found is True)
        data = self._url_data.get(url)
        if data is None:
            data = read_urls([url]).get(url)
        if isinstance(data, FileNotFoundError):
            if url not in self._missing_seen:
                self._missing_seen.add(url)
                self._missing(url)
            return ImageRef(image_id, None, url, False)
        if isinstance(data, Exception):  # the store cannot be read (network, credentials): said, not hidden
            raise data
        sent = self._embedded(url, data)
        if sent is None:
            return ImageRef(image_id, None, url, False)
        self.summary.images_embedded += 1
        return ImageRef(image_id, None, url, True, sent)

    def prefetch(self, samples: Iterable[Any], batch: int = PREFETCH_SAMPLES) -> Iterator[Any]:
        """`samples` as they are, the bytes of the images they name by URL read ahead, for a
        batch of samples at a time and many requests at once (`fetch.read_urls`), when embedding;
        with `check_urls`, whether they exist (`fetch.check_urls`)."""
        if not self.embed and not self.check_urls:
            yield from samples
            return
        chunk: list[Any] = []
        for sample in samples:
            chunk.append(sample)
            if len(chunk) >= batch:
                yield from self._with_images(chunk)
                chunk = []
        yield from self._with_images(chunk)

    def _with_images(self, chunk: list[Any]) -> Iterator[Any]:
        urls = image_urls(chunk)
        if not self.embed:
            asked = [url for url in urls if url not in self._url_found]
            for url in urls:
                if url in self._url_found:
                    self._url_found.move_to_end(url)  # named again: kept
            if asked:
                self._ask(asked)
            while len(self._url_found) > _RESOLVED:
                self._url_found.popitem(last=False)
            yield from chunk
            return
        self._url_data = read_urls(urls) if urls else {}
        yield from chunk
        self._url_data = {}

    def _ask(self, urls: list[str]) -> None:
        """Whether the images at `urls` exist (`_url_found`), and what their headers say
        (`_check_header`), from their first bytes (`read_heads`: many requests at once)."""
        for url, head in read_heads(urls).items():
            if isinstance(head, Exception):
                self._url_found[url] = head
                continue
            self._url_found[url] = True
            self._check_header(url, head)

    def resolve_all(self, sample: dict[str, Any]) -> list[ImageRef]:
        return [self.resolve(im) for im in sample.get("images") or []]


def require_paths(sample: dict[str, Any], refs: list[ImageRef]) -> None:
    """ValueError (the sample is skipped) when one of its images has no path: formats naming
    images by path would write a null, which trainers' loaders cannot open."""
    for ref in refs:
        if ref.path is None:
            raise ValueError(f"sample {sample.get('id', '?')}: image {ref.id!r} has no path")
