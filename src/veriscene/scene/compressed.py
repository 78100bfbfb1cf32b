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

A file cut short (a download or copy interrupted) or corrupt is read up to the damage, and then
raises an error saying where (`veriscene.scene.decompress`): the compressed byte where it was met
and the file's size, the decompressed bytes and complete lines before it, and whether a last line
was cut off (never handed on as a line). `read_errors` turns it into a CompressedFileError naming
the file, its `damage` holding those numbers.
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
from typing import IO, BinaryIO, Iterator

from veriscene.errors import DataError
from veriscene.scene import archives
from veriscene.scene.archives import ZIP_MAGIC
from veriscene.scene.decompress import Damage, decompressed, zstandard_module

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
# what a broken compressed file raises: EOFError when it ends early (`decompress.TruncatedData`);
# when its data is corrupt, OSError (`decompress.CorruptData`), zlib.error, lzma.LZMAError or, in
# a zip archive, BadZipFile (a bad CRC)
READ_ERRORS = (EOFError, OSError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)


def compression(path: str | os.PathLike[str]) -> str | None:
    """The compression of the scene file at `path` read from its first bytes (None: not
    compressed; a zip archive is not a compression of scene files)."""
    kind = data_compression(path)
    return None if kind == "zip" else kind


class CompressedFileError(DataError):
    """A compressed scene file that cannot be read to its end (truncated or corrupt). `damage`
    says where, when known (`veriscene.scene.decompress.Damage`: the compressed byte, the file's
    size, the decompressed bytes and complete lines before it, a last line cut off)."""

    def __init__(self, message: str, damage: Damage | None = None) -> None:
        super().__init__(message)
        self.damage = damage


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
        raise CompressedFileError(f"{path}: {unreadable(path, exc, what)}", getattr(exc, "damage", None)) from exc


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


def decompressing(raw: BinaryIO, kind: str) -> BinaryIO:
    """A reader of the decompressed bytes of `raw`, an open binary file compressed with `kind`
    (closing the reader leaves `raw` open; `raw.tell()` says how much of it has been read). A file
    cut short or corrupt raises, once the bytes before the damage are read, an EOFError or an
    OSError whose `damage` says where (`veriscene.scene.decompress`)."""
    return decompressed(raw, kind)


def open_scene_file(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a scene file for reading its JSONL bytes, decompressed if the file is compressed."""
    kind = compression(path)
    if kind is None:
        return open(path, "rb")
    raw = open(path, "rb", buffering=0)  # read in pieces of `decompress._READ` bytes: no buffer needed
    try:
        return decompressed(raw, kind, owns=True)
    except BaseException:
        raw.close()
        raise


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
    return f"cannot read {described} to its end ({exc}); is it complete?"  # (where, when `exc` has a Damage)


class _GzipWriter(gzip.GzipFile):
    """A gzip file written into a file it opened and closes: the name it records is the output's
    (the one its temporary file is renamed to), and its time 0, so the same lines make the same
    bytes whenever and under whatever temporary name they are written."""

    def __init__(self, path: str | os.PathLike[str], name: str) -> None:
        self._owned = open(path, "wb")
        try:
            super().__init__(filename=name, mode="wb", compresslevel=6, fileobj=self._owned, mtime=0)
        except BaseException:
            self._owned.close()
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._owned.close()


def create_scene_file(path: str | os.PathLike[str], kind: str | None = None, *,
                      name: str | None = None) -> IO[bytes]:
    """Open `path` for writing JSONL bytes, compressed with `kind` (default: by the name of `path`);
    missing folders above it are made, as the command line makes them. `name`: the file name a
    gzip header records (default: `path`'s), the output's when `path` is a temporary file renamed
    to it; gzip files are written with time 0, so their bytes depend on their lines alone."""
    kind = compression_for_name(path) if kind is None else kind
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if kind is None:
        return open(path, "wb")
    if kind == "gzip":
        return _GzipWriter(path, name or Path(path).name)  # type: ignore[return-value]  # a binary file
    if kind == "bz2":
        return bz2.open(path, "wb")
    if kind == "xz":
        return lzma.open(path, "wb")
    if kind == "zstd":
        fh = open(path, "wb")
        try:
            # with each frame's checksum, as the zstd tool writes it: without one, a corrupt file
            # decompresses into wrong lines without a word
            return zstandard_module().ZstdCompressor(level=3, write_checksum=True).stream_writer(fh, closefd=True)
        except BaseException:
            fh.close()
            raise
    raise ValueError(f"unknown compression {kind!r} (known: {', '.join(k for _, k in MAGIC)})")
