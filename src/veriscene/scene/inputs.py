"""Several scene files read as one input: a data set kept as `scenes-00000.jsonl.zst`, ... .

The input of a run is its files in the order given (a folder's JSONL files, compressed or not, in
name order; a glob pattern's matches in name order, `**` reaching into subfolders). A folder or a
pattern leaves out hidden files and the JSONL files veriscene writes beside scene files that hold
no scenes (reject reports, a run's samples: `compressed.not_scenes`), which `input_files` names
for the run's notes; a file named on its own is read whatever its name. The input reads as
the concatenation of the files' JSONL bytes, each ending with a line end (one is added after a
file that lacks it), so a run over files A and B makes the samples of a run over `cat A B`. Positions (offsets, line numbers) count in
that concatenation; `FileSpan`s say where each file lies in it, so every line can be named by its
own file and line (`locate`), and a reader seeks into one file without reading the others.

A single file is opened as it is (`open_scenes` returns `open_scene_file`'s reader); `SceneStream`
reads several, plain or compressed, and learns their spans as it goes when it reads them in full
from the start (the first pass of a run does, `engine.scan`); given the spans, it seeks anywhere.
"""

from __future__ import annotations

import bisect
import glob
import io
import os
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterable, Mapping
from typing import Any, BinaryIO, Sequence

from veriscene.scene import archives
from veriscene.scene.compressed import compression, decompressing, folder_jsonl, not_scenes, read_errors

_BUFFER = 1 << 20  # bytes of the reader's buffer
_GLOB = ("*", "?", "[")


@dataclass(frozen=True)
class FileSpan:
    """Where one file of the input lies in the concatenation of them all."""

    path: str
    start: int  # offset of its first byte
    size: int  # its JSONL bytes (decompressed)
    padded: bool  # a line end follows that the file lacks
    first_line: int  # 1-based number of its first line

    @property
    def end(self) -> int:
        return self.start + self.size + self.padded


@dataclass(frozen=True)
class InputFiles:
    """The files of an input (`input_files`), and the files its folders and patterns hold that
    veriscene wrote beside scene files and that hold none (`compressed.not_scenes`): not read."""

    paths: list[Path]
    left_out: list[tuple[Path, str]]  # (file, what it is: "a reject report", ...)

    def notes(self) -> list[str]:
        """What was left out, for a run's notes: none when nothing was, or only empty files (a reject
        report of no reject, which would have added nothing)."""
        said = [(path, what) for path, what in self.left_out if path.stat().st_size]
        if not said:
            return []
        named = [f"{path} ({what})" for path, what in said[:5]]
        more = f" and {len(said) - 5} more" if len(said) > 5 else ""
        return [f"left out of the input: {', '.join(named)}{more}: veriscene writes such files beside scene files, "
                "and they hold no scenes (give one by its own name to read it as scenes)"]


def scene_items(source: Any) -> list[str | os.PathLike[str]]:
    """The items of a scene input given as one file, folder, pattern or URL, or a list of them;
    TypeError for anything else (None, a number: said here, not as "'NoneType' object is not
    iterable" from deep inside)."""
    said = "scene files are given as a file, a folder or a glob pattern (a str or a path), or a list of them"
    if isinstance(source, (str, os.PathLike)):
        return [source]
    if not isinstance(source, Iterable) or isinstance(source, (bytes, Mapping)):
        raise TypeError(f"{said}; got {source!r}")
    items = list(source)
    bad = [item for item in items if not isinstance(item, (str, os.PathLike))]
    if bad:
        raise TypeError(f"{said}; got {bad[0]!r} in {source!r}")
    return items


def scene_paths(source: Any) -> list[Path]:
    """The files of an input given as a file, a folder (its JSONL files, compressed or not, by
    name), a glob pattern (its matches, by name), or a list of these; in that order (`input_files`,
    without what it leaves out). Raises FileNotFoundError naming what is missing, ValueError for
    a file given twice."""
    return input_files(source).paths


def input_files(source: Any) -> InputFiles:
    """`scene_paths`, and the files veriscene writes beside scene files (reject reports, a run's
    samples: `compressed.not_scenes`) that a folder or a pattern holds, left out of it; a file
    named on its own is read whatever its name. A folder or pattern holding nothing else raises
    FileNotFoundError naming them."""
    items = scene_items(source)
    if not items:
        raise ValueError("no scene file given")
    files: list[Path] = []
    left_out: list[tuple[Path, str]] = []

    def scene_files(found: list[Path], what: str) -> list[Path]:
        """`found` without veriscene's own files (into `left_out`); FileNotFoundError if nothing is left."""
        own = [(p, kind) for p in found if (kind := not_scenes(p)) is not None]
        if own and len(own) == len(found):
            named = ", ".join(f"{p.name} ({kind})" for p, kind in own[:3]) + (", ..." if len(own) > 3 else "")
            raise FileNotFoundError(f"{what} holds no scene file, only files veriscene writes beside scene files, "
                                    f"which hold none: {named}; give one by its own name to read it as scenes")
        left_out.extend(own)
        return [p for p in found if not_scenes(p) is None] if own else found

    for item in items:
        path = Path(item)
        if path.is_dir():
            found = folder_jsonl(path)
            if not found:
                raise FileNotFoundError(f"{path} is a folder without scene files (*.jsonl, compressed or not); "
                                        "to read annotation files from it, pass --from auto")
            files += scene_files(found, f"the folder {path}")
        elif path.exists():
            if archives.is_zip(path):
                raise ValueError(f"{path} is a zip archive: scene files are read plain or compressed (gzip, zstd, bz2, "
                                 "xz), not from zip archives; unzip it, or, if it holds annotations of another "
                                 "format, pass --from auto")
            files.append(path)
        elif any(c in str(item) for c in _GLOB):
            matches = sorted(Path(m) for m in glob.glob(str(item), recursive=True) if Path(m).is_file())
            if not matches:
                raise FileNotFoundError(f"scene file {item} does not exist, and no file matches it as a pattern")
            files += scene_files(matches, f"the pattern {item}")
        elif (inside := archives.archive_member(path)) is not None:
            raise FileNotFoundError(f"{path}: scene files are not read from inside zip archives; unzip {inside[0]} "
                                    "first (annotation files are read from it with --from auto)")
        else:
            raise FileNotFoundError(f"scene file {path} does not exist")
    seen: dict[Path, Path] = {}
    for path in files:
        first = seen.setdefault(path.resolve(), path)
        if first is not path:
            raise ValueError(f"scene file {path} is given twice (as {first} and {path})")
    return InputFiles(files, left_out)


def plain_spans(path: str | os.PathLike[str]) -> list[FileSpan]:
    """The span of a plain (uncompressed) scene file read alone."""
    size = os.path.getsize(path)
    padded = False
    if size:
        with open(path, "rb") as fh:
            fh.seek(size - 1)
            padded = fh.read(1) != b"\n"
    return [FileSpan(os.fspath(path), 0, size, padded, 1)]


def locate(spans: Sequence[FileSpan], line_no: int) -> tuple[str, int]:
    """(file, its own 1-based line number) of line `line_no` of the input (of several spans, the
    last starting at or before it: an empty file holds no line)."""
    if not spans:
        raise ValueError("no scene file to locate a line in")
    span = spans[max(bisect.bisect_right([s.first_line for s in spans], line_no) - 1, 0)]
    return span.path, line_no - span.first_line + 1


class SceneStream(io.RawIOBase):
    """The concatenated JSONL bytes of several scene files (module docstring). Without `spans` it
    reads forward only (seeking forward reads on) and learns them (`spans`, once at the end);
    with them, it seeks anywhere, opening the file that holds the position. A broken compressed
    file raises `CompressedFileError` naming it."""

    def __init__(self, paths: Sequence[str | os.PathLike[str]], spans: Sequence[FileSpan] | None = None) -> None:
        self._paths = [os.fspath(p) for p in paths]
        self._given = spans is not None
        self._spans: list[FileSpan] = list(spans) if spans is not None else []
        if self._given and len(self._spans) != len(self._paths):
            raise ValueError(f"{len(self._spans)} spans for {len(self._paths)} scene files")
        self._starts = [span.start for span in self._spans]  # given: where each file starts
        self._k = 0  # the file being read
        self._raw: BinaryIO | None = None  # it, as stored
        self._fh: BinaryIO | None = None  # its JSONL bytes
        self._local = 0  # position in it
        self._pos = 0  # position in the input
        self._padded = False  # its added line end has been read
        self._last = -1  # last byte read from it (learning)
        self._lines = 0  # line ends read in the input (learning)
        self._done_bytes = 0  # stored bytes of the files before it
        self._line_base = 0  # line ends read before it (learning)

    # -- what the stream knows ------------------------------------------------------------
    @property
    def spans(self) -> list[FileSpan]:
        """Every file's span: given, or learned by reading to the end."""
        if len(self._spans) < len(self._paths):
            raise ValueError("the spans of the scene files are known once they have been read to the end")
        return list(self._spans)

    def consumed(self) -> int:
        """Bytes of the files as stored read so far (for progress)."""
        return self._done_bytes + (self._raw.tell() if self._raw is not None and not self._raw.closed else 0)

    # -- io.RawIOBase ---------------------------------------------------------------------
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def _open(self, k: int) -> None:
        self._close_file()
        self._k, self._local, self._padded, self._last = k, 0, False, -1
        self._line_base = self._lines  # line ends before the file (learning)
        if k >= len(self._paths):
            return
        path = self._paths[k]
        with read_errors(path):
            raw = open(path, "rb")
            kind = compression(path)
            self._raw = raw
            self._fh = raw if kind is None else decompressing(raw, kind)

    def _close_file(self) -> None:
        if self._fh is not None and self._fh is not self._raw:
            self._fh.close()
        if self._raw is not None:
            self._raw.close()
        self._fh = self._raw = None

    def readinto(self, buffer: Any) -> int:
        while self._k < len(self._paths):
            if self._fh is None:
                self._open(self._k)
            assert self._fh is not None
            with read_errors(self._paths[self._k]):
                # one read at most: a reader that meets a broken file's damage in a second read
                # would drop what the first gave (every reader `decompressing` makes has readinto1)
                n = self._fh.readinto1(buffer)  # type: ignore[attr-defined]
            if n:
                if not self._given:
                    view = memoryview(buffer)[:n]
                    self._last = view[n - 1]
                    self._lines += view.tobytes().count(b"\n")
                self._local += n
                self._pos += n
                return n
            if self._k < len(self._spans) and self._local != self._spans[self._k].size:
                raise ValueError(f"{self._paths[self._k]} changed since it was scanned (it ends after "
                                 f"{self._local:,} bytes, not {self._spans[self._k].size:,})")
            if not self._padded and self._needs_line_end():
                buffer[0] = 10
                self._padded = True
                self._lines += not self._given
                self._pos += 1
                return 1
            self._next_file()
        return 0

    def _needs_line_end(self) -> bool:
        if self._k < len(self._spans):
            return self._spans[self._k].padded
        return self._local > 0 and self._last != 10

    def _next_file(self) -> None:
        """At the end of file k: learn its span (read in full from its start), go to the next."""
        if self._k == len(self._spans):
            start = self._spans[-1].end if self._spans else 0
            self._spans.append(FileSpan(self._paths[self._k], start, self._local, self._padded, self._line_base + 1))
        self._done_bytes += os.path.getsize(self._paths[self._k])
        self._open(self._k + 1)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._pos
        elif whence != io.SEEK_SET:
            raise io.UnsupportedOperation("a stream of scene files cannot be seeked from its end")
        if offset < 0:
            raise ValueError(f"negative seek position {offset}")
        if not self._given:  # forward only, reading on (learning the spans)
            if offset < self._pos:
                raise io.UnsupportedOperation("a stream of scene files read without their spans cannot seek backward")
            scratch = bytearray(min(_BUFFER, offset - self._pos) or 1)
            while self._pos < offset:
                if not self.readinto(memoryview(scratch)[: min(len(scratch), offset - self._pos)]):
                    break
            return self._pos
        k = bisect.bisect_right(self._starts, offset) - 1
        if k < 0 or offset >= self._spans[-1].end:  # at or past the end
            self._open(len(self._paths))
            self._pos = max(offset, self._spans[-1].end if self._spans else 0)
            return self._pos
        span = self._spans[k]  # the last of the files starting at or before `offset`: not an empty one
        local = offset - span.start
        if k != self._k or self._fh is None:
            self._open(k)
        assert self._fh is not None
        with read_errors(span.path):
            self._fh.seek(min(local, span.size))
        self._local, self._padded, self._pos = min(local, span.size), False, offset
        return self._pos

    def close(self) -> None:
        if not self.closed:
            self._close_file()
        super().close()


def input_errors(paths: Sequence[str | os.PathLike[str]]) -> AbstractContextManager[None]:
    """The errors of a broken compressed file read in the block, named: `read_errors` for one
    file; several are read through `SceneStream`, which names the file at fault itself."""
    return read_errors(paths[0]) if len(paths) == 1 else nullcontext()


def open_scenes(paths: Sequence[str | os.PathLike[str]], spans: Sequence[FileSpan] | None = None) -> BinaryIO:
    """A reader of the input's JSONL bytes: one file's (`open_scene_file`, decompressed if need
    be), or several files' (`SceneStream`, buffered)."""
    from veriscene.scene.compressed import open_scene_file

    if len(paths) == 1:
        return open_scene_file(paths[0])
    return io.BufferedReader(SceneStream(paths, spans), buffer_size=_BUFFER)
