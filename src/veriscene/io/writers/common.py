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
with its error.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson

from veriscene.engine.fetch import check_urls, image_urls, read_urls
from veriscene.engine.remote import is_url

MAX_LISTED = 10  # missing images / errors listed by name in a summary
REQUIRED_FIELDS = ("id", "task", "images", "question", "answer", "answer_type")

T = TypeVar("T")


class OutputError(ValueError):
    """The `out` given cannot receive the export (a folder where a file is meant, a file of the run
    read, ...): said before anything is written."""


@dataclass
class ExportSummary:
    """What an export wrote and what it could not (returned by every writer)."""

    format: str
    out: Path | str  # a URL (str) for an export to object storage
    image_root: Path | None  # None: paths are absolute (an export to a URL, without an image root)
    files: list[Path | str] = field(default_factory=list)
    samples_written: int = 0
    samples_skipped: int = 0
    errors: list[str] = field(default_factory=list)  # first MAX_LISTED reasons for skipped records
    images_referenced: int = 0  # image references written (a multi-image sample counts each)
    images_missing: int = 0  # distinct referenced images that do not exist (or have no path)
    missing_examples: list[str] = field(default_factory=list)  # first MAX_LISTED of them
    images_embedded: int = 0
    images_at_urls: int = 0  # references to images by URL (s3://...): written as they are; read only to embed them
    images_checked: int = 0  # of those, found in the store when asked (`check_urls`, without embedding)
    samples_expected: int | None = None  # the samples the run's manifest records (None: no finished manifest)
    warnings: list[str] = field(default_factory=list)  # what the export wrote but should be looked at

    def skip(self, reason: str) -> None:
        self.samples_skipped += 1
        if len(self.errors) < MAX_LISTED:
            self.errors.append(reason)

    @property
    def ok(self) -> bool:
        return self.samples_skipped == 0 and self.images_missing == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "out": str(self.out),
            "image_root": str(self.image_root) if self.image_root is not None else None,
            "files": [str(f) for f in self.files],
            "samples_written": self.samples_written,
            "samples_skipped": self.samples_skipped,
            "errors": list(self.errors),
            "images_referenced": self.images_referenced,
            "images_missing": self.images_missing,
            "missing_examples": list(self.missing_examples),
            "images_embedded": self.images_embedded,
            "images_at_urls": self.images_at_urls,
            "images_checked": self.images_checked,
            "samples_expected": self.samples_expected,
            "warnings": list(self.warnings),
        }

    def image_counts(self) -> tuple[int, int, int, int]:
        """The counts of images written, saved before a sample is converted (`restore_image_counts`)."""
        return self.images_referenced, self.images_embedded, self.images_at_urls, self.images_checked

    def restore_image_counts(self, counts: tuple[int, int, int, int]) -> None:
        """Forget the images of a sample that was skipped: they are not in the export. (Missing
        files stay counted: they are missing whichever sample names them.)"""
        self.images_referenced, self.images_embedded, self.images_at_urls, self.images_checked = counts


@dataclass(frozen=True)
class ImageRef:
    """One image of a sample as an export sees it."""

    id: str
    source: Path | None  # absolute location on this machine (None: the sample has no path)
    path: str | None  # what the export writes (relative to image_root unless absolute_paths)
    exists: bool
    data: bytes | None = None  # file bytes when embedding and the file exists


_RESOLVED = 8192  # image paths an ImageResolver keeps resolved
PREFETCH_SAMPLES = 64  # samples whose images at URLs are read at once, when embedding


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
        self.summary.images_referenced += 1
        raw = image.get("path")
        if not raw:
            self._missing(f"<image {image_id!r} has no path>")
            return ImageRef(image_id, None, None, False)
        if is_url(str(raw)):  # samples made from scenes read from a URL name their images by URL
            return self._at_url(image_id, str(raw))
        source, written, exists = self._locate(str(raw))
        data = None
        if self.embed and exists:
            data = source.read_bytes()
            self.summary.images_embedded += 1
        return ImageRef(image_id, source, written, exists, data)

    def _at_url(self, image_id: str, url: str) -> ImageRef:
        """An image named by URL: written as it is; when embedding, its bytes (read by `prefetch`,
        or here), a missing one counted as a missing file is."""
        self.summary.images_at_urls += 1
        if not self.embed and not self.check_urls:
            return ImageRef(image_id, None, url, False)
        if not self.embed:
            found = self._url_found.get(url)
            if found is None:
                found = self._url_found[url] = check_urls([url])[url]
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
        self.summary.images_embedded += 1
        return ImageRef(image_id, None, url, True, data)

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
            for url, found in (check_urls(asked) if asked else {}).items():
                self._url_found[url] = found
            while len(self._url_found) > _RESOLVED:
                self._url_found.popitem(last=False)
            yield from chunk
            return
        self._url_data = read_urls(urls) if urls else {}
        yield from chunk
        self._url_data = {}

    def resolve_all(self, sample: dict[str, Any]) -> list[ImageRef]:
        return [self.resolve(im) for im in sample.get("images") or []]


INT64_MAX = 2**63 - 1


def int64(sample: dict[str, Any], key: str) -> int:
    """sample[key] as an int that fits the int64 columns (seed, generator_version); 0 if absent."""
    value = int(sample.get(key) or 0)
    if not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise ValueError(f"sample {sample.get('id', '?')}: field '{key}' = {value} exceeds int64")
    return value


def dumps(value: Any) -> str:
    """Compact JSON text (used for program / answer / meta columns whose types vary by row)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def check_sample(sample: Any) -> None:
    """Raise ValueError / TypeError naming the missing or malformed fields a writer needs."""
    if not isinstance(sample, dict):
        raise TypeError(f"a sample must be a JSON object, got {type(sample).__name__}")
    missing = [k for k in REQUIRED_FIELDS if k not in sample]
    if missing:
        raise ValueError(f"sample {sample.get('id', '?')}: missing fields {missing}")
    if not isinstance(sample["images"], list):
        raise TypeError(f"sample {sample['id']}: field 'images' must be a list")


def provenance(sample: dict[str, Any]) -> dict[str, Any]:
    """Flat, type-stable provenance: enough to find (and re-run) the sample's program.

    `program` and `answer` are JSON text because their shapes vary between samples, which columnar
    readers (pyarrow, datasets' JSON loader) cannot infer as one type.
    """
    return {
        "sample_id": str(sample["id"]),
        "task": str(sample["task"]),
        "family": str(sample.get("family", "")),
        "template_id": str(sample.get("template_id", "")),
        "generator_version": int64(sample, "generator_version"),
        "seed": int64(sample, "seed"),
        "image_ids": [str(im.get("id", "")) for im in sample["images"]],
        "answer": dumps(sample["answer"]),
        "answer_type": str(sample["answer_type"]),
        "program": dumps(sample.get("program", [])),
    }


def ground_truth(sample: dict[str, Any]) -> str:
    """JSON text a reward function needs to score a response (verl ground_truth, TRL column).

    Everything `veriscene.answers.score_sample` reads from a sample is included, so rewards
    computed from this text equal evaluation scores: `synonyms` and `vocabulary` are added
    only when the sample's meta has them (they change how `str` answers are read).
    """
    meta = sample.get("meta") or {}
    truth = {
        "answer": sample["answer"],
        "answer_type": sample["answer_type"],
        "choices": sample.get("choices"),
        "answer_letter": meta.get("answer_letter"),
        "mode": meta.get("mode", "qa"),
        "box_format": meta.get("box_format"),
        "image_size": meta.get("image_size"),
    }
    for key in ("synonyms", "vocabulary"):
        if meta.get(key):
            truth[key] = meta[key]
    return dumps(truth)


def convert_all(
    samples: Iterable[Any],
    summary: ExportSummary,
    convert: Callable[[int, dict[str, Any]], T],
) -> Iterator[T]:
    """Apply `convert(index, sample)` to each valid sample; bad ones are skipped and reported.

    `index` counts written rows (0-based). A ValueError / TypeError / KeyError from a record skips
    that record with its reason (its images are then not counted as written); anything else is a
    bug and propagates.
    """
    for sample in samples:
        counts = summary.image_counts()
        try:
            check_sample(sample)
            row = convert(summary.samples_written, sample)
        except (ValueError, TypeError, KeyError) as exc:
            summary.restore_image_counts(counts)
            sid = sample.get("id", "?") if isinstance(sample, dict) else "?"
            reason = str(exc)
            summary.skip(reason if reason.startswith("sample ") else f"sample {sid}: {reason}")
            continue
        summary.samples_written += 1
        yield row


class AtomicTextFile:
    """Write text to `path` through a temporary sibling, renamed into place on success."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._tmp = self.path.with_name(self.path.name + ".tmp")
        self._fh: Any = None

    def __enter__(self) -> AtomicTextFile:  # noqa: PYI034
        self._fh = open(self._tmp, "w", encoding="utf-8")
        return self

    def write(self, text: str) -> None:
        self._fh.write(text)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._fh.close()
        try:
            if exc_type is None:
                os.replace(self._tmp, self.path)
        finally:
            self._tmp.unlink(missing_ok=True)  # gone already after a rename; else never left behind


def write_json_array(path: Path, rows: Iterable[Any]) -> None:
    """Stream `rows` into a JSON array file, one object per line, never holding the whole list."""
    with AtomicTextFile(path) as fh:
        fh.write("[")
        first = True
        for row in rows:
            fh.write("\n" if first else ",\n")
            fh.write(orjson.dumps(row).decode())
            first = False
        fh.write("\n]\n" if not first else "]\n")


def write_json_lines(path: Path, rows: Iterable[Any]) -> None:
    """Stream `rows` into a JSON Lines file."""
    with AtomicTextFile(path) as fh:
        for row in rows:
            fh.write(orjson.dumps(row).decode())
            fh.write("\n")


def output_file(out: Path, default_name: str, suffixes: tuple[str, ...]) -> Path:
    """`out` itself when it names a file with one of `suffixes`, else `out / default_name` (`out`
    is then a folder, created, even with a dot in its name). Raises OutputError, before anything is
    written, for a file `out` that is a folder or a folder `out` that is a file."""
    out = Path(out)
    if out.suffix.lower() in suffixes:
        if out.is_dir():
            raise OutputError(f"{out} is a folder: give a new file name, or the folder without a {out.suffix} "
                             "name to write the format's default file in it")
        out.parent.mkdir(parents=True, exist_ok=True)
        return out
    output_dir(out, f"a folder, or a file name ending in {' or '.join(suffixes)}")
    return out / default_name


def output_dir(out: Path, instead: str = "a folder") -> Path:
    """Create the folder `out`; OutputError when it is an existing file (say what to give `instead`)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} is an existing file; give {instead}")
    out.mkdir(parents=True, exist_ok=True)
    return out


def require_paths(sample: dict[str, Any], refs: list[ImageRef]) -> None:
    """ValueError (the sample is skipped) when one of its images has no path: formats naming
    images by path would write a null, which trainers' loaders cannot open."""
    for ref in refs:
        if ref.path is None:
            raise ValueError(f"sample {sample.get('id', '?')}: image {ref.id!r} has no path")
