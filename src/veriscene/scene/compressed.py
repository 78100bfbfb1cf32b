"""Scene files compressed with gzip, zstd, bz2 or xz, read and written like plain JSONL; and
annotation files (COCO, Visual Genome, GQA, CLEVR, ProVision JSON, Open Images CSV) read the same
way, from a zip archive of that one file (Visual Genome ships `scene_graphs.json.zip`), or as
one named file of a zip archive of several (`sceneGraphs.zip/val_sceneGraphs.json`, see
`veriscene.scene.archives`): `open_data_file`, `open_text`, `data_files`, `find_data_file`.

A scene file of a million images with masks and depth is gigabytes of JSONL, and is usually kept
compressed. Reading recognises the compression by the file's first bytes, whatever its name;
writing chooses it by the name's last suffix (`.gz`, `.zst`, `.bz2`, `.xz`). gzip, bz2 and xz
come with Python; zstd needs the `zstandard` package (the `zstd` extra).

Positions in a compressed file count decompressed bytes, so the offsets found by a scan of
`scenes.jsonl.gz` are those of `scenes.jsonl`, and so is everything computed from them (the scan's
chunks, its pool and every sample). A compressed file is read as a stream: seeking forward
decompresses and drops the bytes between, seeking backward starts again from the top. Readers of
a compressed file therefore go through it in increasing order (`ScanResult.read` by shard, the
pool by offset); random access (`verify.SceneLookup`) copies the decompressed lines to a
temporary file first.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, Iterator

from veriscene.errors import DataError, MissingExtra
from veriscene.scene import archives
from veriscene.scene.archives import ZIP_MAGIC

# (first bytes, compression), as each format's specification starts a file
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
)
SUFFIXES = {".gz": "gzip", ".zst": "zstd", ".bz2": "bz2", ".xz": "xz"}
# an annotation file may also be the one file of a zip archive (read only: scene files are not)
_READ_SUFFIXES = (*SUFFIXES, ".zip")
# what a broken compressed file raises: EOFError when it ends early; when its data is corrupt,
# OSError (gzip's BadGzipFile, bz2's "Invalid data stream", ours for zstd), zlib.error,
# lzma.LZMAError or, in a zip archive, BadZipFile (a bad CRC)
READ_ERRORS = (EOFError, OSError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)
_READ = 1 << 18  # compressed bytes decompressed at a time
_BUFFER = 1 << 20  # bytes of a reader's buffer


def compression(path: str | os.PathLike[str]) -> str | None:
    """The compression of the scene file at `path` read from its first bytes (None: not
    compressed; a zip archive is not a compression of scene files)."""
    kind = data_compression(path)
    return None if kind == "zip" else kind


class CompressedFileError(DataError):
    """A compressed scene file that cannot be read to its end (truncated or corrupt)."""


def data_error(exc: BaseException) -> bool:
    """Whether `exc`, one of `READ_ERRORS`, says a compressed file's data is cut short or
    corrupt; an OSError with an errno (a missing file, a full disk) is the system's instead."""
    return not (isinstance(exc, OSError) and exc.errno is not None)


@contextmanager
def read_errors(path: str | os.PathLike[str], what: str = "scene file") -> Iterator[None]:
    """Turn the errors of a broken compressed file read in the block into a CompressedFileError
    naming the file. An OSError with an errno (a missing file, a full disk) is the system's, not
    the data's, and stays as it is."""
    try:
        yield
    except READ_ERRORS as exc:
        if not data_error(exc):
            raise
        raise CompressedFileError(f"{path}: {unreadable(path, exc, what)}") from exc


# JSONL files veriscene writes beside scene files that hold no scenes: reject reports (convert's
# and annotate's `rejects.jsonl` beside their output, split's, and a run folder's, which holds its
# converted `scenes.jsonl`), a shard's `shard-00000.rejects.jsonl`; and a run's samples
REPORTS = ("rejects.jsonl", "split_rejects.jsonl", "convert_rejects.jsonl")
SHARD_REPORT = ".rejects.jsonl"


def not_scenes(path: str | os.PathLike[str]) -> str | None:
    """What `path` is when it is a JSONL file veriscene writes beside scene files, holding no
    scenes (compressed or not): "a reject report" (`REPORTS`, a shard's), "the samples of the run
    in its folder" (`samples.jsonl` beside a `manifest.json`: the demo's folder holds its
    `scenes.jsonl` too); None for any other file. A folder or a pattern read as scene files leaves
    them out (`jsonl_files`, `veriscene.scene.inputs.input_files`); a file named on its own is read."""
    name = plain_name(path)
    if name in REPORTS or name.endswith(SHARD_REPORT):
        return "a reject report"
    if name == "samples.jsonl" and (Path(path).parent / "manifest.json").is_file():
        return "the samples of the run in its folder"
    return None


def folder_jsonl(folder: str | os.PathLike[str]) -> list[Path]:
    """Every JSONL file of a folder, compressed or not (never zipped), by name, but its hidden ones
    (annotate's `.scenes.jsonl.retry.jsonl`, temporary files: a shell's `*` leaves them out too)."""
    return [p for p in data_files(folder, ".jsonl", zipped=False) if not p.name.startswith(".")]


def jsonl_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The JSONL scene files of a folder, compressed or not (never zipped), by name: not its hidden
    files, nor the files veriscene writes beside scene files that hold none (`not_scenes`)."""
    return [p for p in folder_jsonl(folder) if not_scenes(p) is None]


def data_files(folder: str | os.PathLike[str], suffix: str, zipped: bool = True) -> list[Path]:
    """The files of a folder named `*{suffix}`, compressed or not (`*{suffix}.gz`, ...), and with
    `zipped` zip archives of one too (`*{suffix}.zip`), by name."""
    endings = _READ_SUFFIXES if zipped else tuple(SUFFIXES)
    patterns = (f"*{suffix}", *(f"*{suffix}{ending}" for ending in endings))
    if not os.path.isdir(folder):  # a folder inside a zip archive, or none
        inside = archives.folder_files(folder)
        return sorted(p for p in inside if any(p.match(pattern) for pattern in patterns))
    return sorted({p for pattern in patterns for p in Path(folder).glob(pattern) if p.is_file()})


def find_data_file(folder: str | os.PathLike[str], name: str) -> Path | None:
    """`folder/name`, or else the first of it compressed or zipped (`name.gz`, ..., `name.zip`)
    that is there, on disk or in the zip archive `folder` is in; None when none is."""
    for candidate in (name, *(f"{name}{ending}" for ending in _READ_SUFFIXES)):
        path = Path(folder) / candidate
        if archives.is_file(path):
            return path
    return None


def compression_for_name(path: str | os.PathLike[str]) -> str | None:
    """The compression a file of this name is written with (by its last suffix; None: plain)."""
    return SUFFIXES.get(Path(path).suffix.lower())


def plain_name(path: str | os.PathLike[str]) -> str:
    """The file's name without a compression or zip suffix (`scenes.jsonl.gz` -> `scenes.jsonl`,
    `objects.json.zip` -> `objects.json`)."""
    name = Path(path).name
    suffix = Path(name).suffix.lower()
    return name[: -len(suffix)] if suffix in _READ_SUFFIXES else name


def data_compression(path: str | os.PathLike[str]) -> str | None:
    """An annotation file's compression read from its first bytes: `compression`'s, or "zip"
    for a zip archive (None: a plain file). A file inside a zip archive (`archives`) is told by
    its own first bytes."""
    member = archives.archive_member(path)
    if member is not None:
        with _member(path, *member) as fh:
            head = fh.read(6)
    else:
        with open(path, "rb") as fh:
            head = fh.read(6)
    return "zip" if head.startswith(ZIP_MAGIC) else _stream_kind(head)


def _stream_kind(head: bytes) -> str | None:
    """The stream compression whose magic `head` starts with (None: none)."""
    return next((kind for magic, kind in MAGIC if head.startswith(magic)), None)


def open_data_file(path: str | os.PathLike[str]) -> BinaryIO:
    """Open an annotation file for reading its bytes: decompressed if it is compressed, the one
    file in it if it is a zip archive, or a named file of a zip archive (`a.zip/b.json`,
    `veriscene.scene.archives`). A zip archive holding several files (or none), or one that
    cannot be opened (cut short: its directory is at its end), raises CompressedFileError; a
    name that is not in its archive raises FileNotFoundError naming the archive's files."""
    member = archives.archive_member(path)
    if member is not None:
        raw = _member(path, *member)
        head = raw.peek(6)[:6]  # type: ignore[attr-defined]  # a ZipExtFile
        kind = _stream_kind(head)
        return decompressing(raw, kind) if kind is not None else raw
    if data_compression(path) != "zip":
        return open_scene_file(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise CompressedFileError(f"{path}: cannot read this zip archive ({exc}); is it complete?") from exc
    with archive:
        members = archives.data_members(archive)
        if len(members) != 1:
            example = next((m.filename for m in members if Path(m.filename).suffix.lower() in _ANNOTATION_SUFFIXES),
                           members[0].filename if members else None)
            how = (f"name the one to read after the archive's path, as in {Path(path).as_posix()}/{example} "
                   "(or unzip it)") if example else "it holds nothing to read"
            raise CompressedFileError(f"{path}: a zip archive of {len(members)} files "
                                      f"({archives.listed(members) or 'none'}); {how}")
        return archive.open(members[0])  # type: ignore[return-value]  # stays readable once the archive is closed


# what names an annotation file, for the example a message gives
_ANNOTATION_SUFFIXES = (".json", ".jsonl", ".csv", *SUFFIXES)


def _member(path: str | os.PathLike[str], archive: Path, name: str) -> BinaryIO:
    """The member `name` of `archive` (reached as `path`), its errors as the module's."""
    try:
        return archives.open_member(archive, name)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise CompressedFileError(f"{path}: cannot read the zip archive {archive} ({exc}); is it complete?") from exc


def _zstandard() -> Any:
    try:
        import zstandard
    except ImportError:
        raise MissingExtra("a zstd-compressed file", "zstd", "zstandard") from None
    return zstandard


class _ZstdReader(io.RawIOBase):
    """The decompressed bytes of a zstd file (every frame, one after another), seekable as the
    module docstring says: forward by reading on, backward by starting again. A file that ends
    inside a frame raises EOFError, as gzip, bz2 and xz do (zstandard's `stream_reader` would end
    the data there without a word)."""

    def __init__(self, raw: BinaryIO, owns: bool = False) -> None:
        self._raw, self._owns = raw, owns
        self._start = raw.tell()
        zstandard = _zstandard()
        self._decompressor, self._zstd_error = zstandard.ZstdDecompressor(), zstandard.ZstdError
        self._open()

    def _open(self) -> None:
        self._raw.seek(self._start)
        self._frame: Any = None  # the decompressor of the frame being read; None between frames
        self._out, self._at = b"", 0  # decompressed bytes, of which those from `_at` on are not read yet
        self._pos = 0

    def _fill(self) -> bool:
        """Decompress more of the file into `_out`; False at its end."""
        while True:
            data = self._raw.read(_READ)
            if not data:
                if self._frame is not None:
                    raise EOFError("Compressed file ended before the end of its last zstd frame (truncated?)")
                return False
            parts = []
            while data:
                if self._frame is None:
                    self._frame = self._decompressor.decompressobj()
                try:
                    parts.append(self._frame.decompress(data))
                except self._zstd_error as exc:
                    raise OSError(f"corrupt zstd data: {exc}") from None
                data = b""
                if self._frame.eof:  # the frame is complete; what follows starts the next one
                    data, self._frame = self._frame.unused_data, None
            out = b"".join(parts)
            if out:
                self._out, self._at = out, 0
                return True

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._at >= len(self._out) and not self._fill():
            return 0
        n = min(len(buffer), len(self._out) - self._at)
        buffer[:n] = memoryview(self._out)[self._at : self._at + n]
        self._at += n
        self._pos += n
        return n

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._pos
        elif whence != io.SEEK_SET:
            raise io.UnsupportedOperation("a zstd scene file cannot be seeked from its end")
        if offset < self._pos:
            self._open()
        while self._pos < offset:
            if self._at >= len(self._out) and not self._fill():
                break  # past the end, as a plain file allows
            step = min(len(self._out) - self._at, offset - self._pos)
            self._at += step
            self._pos += step
        return self._pos

    def close(self) -> None:
        if not self.closed and self._owns:
            self._raw.close()
        super().close()


def decompressing(raw: BinaryIO, kind: str) -> BinaryIO:
    """A reader of the decompressed bytes of `raw`, an open binary file compressed with `kind`
    (closing the reader leaves `raw` open; `raw.tell()` says how much of it has been read)."""
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if kind == "bz2":
        return bz2.BZ2File(raw, mode="rb")  # type: ignore[return-value]
    if kind == "xz":
        return lzma.LZMAFile(raw, mode="rb")  # type: ignore[return-value]
    if kind == "zstd":
        return io.BufferedReader(_ZstdReader(raw), buffer_size=_BUFFER)
    raise ValueError(f"unknown compression {kind!r} (known: {', '.join(k for _, k in MAGIC)})")


def open_scene_file(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a scene file for reading its JSONL bytes, decompressed if the file is compressed."""
    kind = compression(path)
    if kind == "gzip":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if kind == "bz2":
        return bz2.open(path, "rb")  # type: ignore[return-value]
    if kind == "xz":
        return lzma.open(path, "rb")  # type: ignore[return-value]
    if kind == "zstd":
        raw = open(path, "rb")
        try:
            return io.BufferedReader(_ZstdReader(raw, owns=True), buffer_size=_BUFFER)
        except BaseException:
            raw.close()
            raise
    return open(path, "rb")


def open_text(path: str | os.PathLike[str], *, encoding: str = "utf-8", newline: str | None = None,
              errors: str = "strict") -> IO[str]:
    """Open an annotation file as text, decompressed if it is compressed (known by its first
    bytes, whatever its name) and out of its zip archive if it is zipped (`open_data_file`):
    it may be kept as `instances.json.gz`, `boxes.csv.zst` or `objects.json.zip`."""
    raw = open_data_file(path)
    try:
        return io.TextIOWrapper(raw, encoding=encoding, newline=newline, errors=errors)
    except BaseException:
        raw.close()
        raise


def unreadable(path: str | os.PathLike[str], exc: BaseException, what: str = "file") -> str:
    """Why a compressed file at `path` cannot be read to its end (one of `READ_ERRORS`)."""
    kind = data_compression(path) if archives.is_file(path) else None
    if kind is None and archives.archive_member(path) is not None:
        kind = "zip"
    described = (f"the zip-archived {what}" if kind == "zip" else f"the {kind}-compressed {what}") if kind else f"the {what}"
    return f"cannot read {described} to its end ({exc}); is it complete?"


def create_scene_file(path: str | os.PathLike[str], kind: str | None = None) -> IO[bytes]:
    """Open `path` for writing JSONL bytes, compressed with `kind` (default: by the name of `path`);
    missing folders above it are made, as the command line makes them."""
    kind = compression_for_name(path) if kind is None else kind
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if kind is None:
        return open(path, "wb")
    if kind == "gzip":
        return gzip.open(path, "wb", compresslevel=6)  # type: ignore[return-value]  # a binary file
    if kind == "bz2":
        return bz2.open(path, "wb")
    if kind == "xz":
        return lzma.open(path, "wb")
    if kind == "zstd":
        fh = open(path, "wb")
        try:
            return _zstandard().ZstdCompressor(level=3).stream_writer(fh, closefd=True)
        except BaseException:
            fh.close()
            raise
    raise ValueError(f"unknown compression {kind!r} (known: {', '.join(k for _, k in MAGIC)})")
