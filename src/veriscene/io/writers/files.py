"""Writing an export's files: JSON arrays and JSON Lines streamed into a temporary file renamed
into place on success (`AtomicTextFile`, through a name of its own, `temporary_sibling`; a file
a library writes by name: `written_whole`), and the file or folder an `out` names (`output_file`,
`output_dir`), refused with OutputError before anything is written when it cannot be one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson


class OutputError(ValueError):
    """The `out` given cannot receive the export (a folder where a file is meant, a file of the run
    read, ...): said before anything is written."""


def temporary_sibling(path: Path) -> Path:
    """A new empty file beside `path` to write it through, under a name no other writer has
    (`.<name>.<pid>-<random>.tmp`: hidden, as folder listings of scene files skip it): two
    processes writing one file each write a whole copy (the last renamed in place wins) rather
    than one file between them, as a fixed `<name>.tmp` made them. Made with the mode any new
    file gets (the umask's, not `tempfile.mkstemp`'s 0600, which the rename would keep). The
    caller renames it into place, or removes it. An OSError making it (no such folder, one above
    that is a file, no permission) names `path`, the file meant, not the temporary name."""
    stem = path.name[:200]  # (room for the rest within a file system's 255 bytes a name)
    while True:
        tmp = path.with_name(f".{stem}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            with open(tmp, "xb"):
                return tmp
        except FileExistsError:  # (one in 4 billion)
            continue
        except OSError as exc:
            if exc.errno is None:
                raise
            raise type(exc)(exc.errno, exc.strerror, str(path)) from None


def _put_in_place(tmp: Path, path: Path) -> None:
    """Rename the temporary sibling `tmp` onto `path`; an OSError (`path` a folder) names `path`."""
    try:
        os.replace(tmp, path)
    except OSError as exc:
        if exc.errno is None:
            raise
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None


class AtomicTextFile:
    """Write text to `path` through a temporary sibling (`temporary_sibling`), renamed into place
    on success, removed on failure."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._tmp = self.path
        self._fh: Any = None

    def __enter__(self) -> AtomicTextFile:  # noqa: PYI034
        self._tmp = temporary_sibling(self.path)
        try:
            self._fh = open(self._tmp, "w", encoding="utf-8")
        except BaseException:
            self._tmp.unlink(missing_ok=True)
            raise
        return self

    def write(self, text: str) -> None:
        self._fh.write(text)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            self._fh.close()  # (a full disk may say so only here, as the last bytes are flushed)
            if exc_type is None:
                _put_in_place(self._tmp, self.path)
        finally:
            self._tmp.unlink(missing_ok=True)  # gone already after a rename; else never left behind


@contextmanager
def written_whole(path: Path) -> Iterator[Path]:
    """Write `path` whole or not at all, as `AtomicTextFile` does, by a name: the block writes the
    temporary sibling yielded (`temporary_sibling`; a library's save(name), a file opened "wb"),
    renamed onto `path` once the block ends, removed when it raises (an error, a full disk,
    Ctrl-C, SIGTERM raised as one), which leaves an existing `path` as it was."""
    tmp = temporary_sibling(Path(path))
    try:
        yield tmp
        _put_in_place(tmp, Path(path))
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def new_folders(path: Path) -> Iterator[None]:
    """Make the missing folders above the file `path`; when the block raises, remove again those
    it made that are still empty (deepest first), so that a write stopped before its file is in
    place leaves no empty folder of its own."""
    made = []
    for above in Path(path).parents:
        if above.exists():
            break
        made.append(above)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except BaseException:
        for folder in made:
            try:
                folder.rmdir()
            except OSError:  # not empty (another writer's file), or gone: kept as it is
                break
        raise


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


def check_folders(target: Path, name: str | None = None) -> None:
    """OutputError when a folder above `target` (its parent, or one above that) is an existing
    file: said with both paths (and the argument `name`, when given), before anything is written
    (`mkdir` would say "Not a directory"). `target` itself is `output_file`'s and `output_dir`'s to judge."""
    for above in Path(target).parents:
        if above.exists():
            if not above.is_dir():
                said = f"{name} {target}" if name is not None else str(target)
                raise OutputError(f"{said}: cannot write there: {above} is a file, not a folder")
            return


def check_file(name: str, target: str | os.PathLike[str], example: str) -> None:
    """Refuse a file to write, the argument `name`, that cannot be one: a folder, or a name ending
    in a path separator (`scenes/`, which pathlib would make the file `scenes`) (IsADirectoryError,
    suggesting `target / example`), or below a file (OutputError, `check_folders`); before
    anything is written. Give `target` as it was given, before `Path` drops the separator."""
    text = os.fspath(target)
    target = Path(text)
    if text.endswith(("/", os.sep)) and not target.is_dir():
        raise IsADirectoryError(f"{name} {text} names a folder (it ends in {text[-1]}): give the file to write "
                                f"(e.g. {target / example})")
    if target.is_dir():
        raise IsADirectoryError(f"{name} {target} is a folder: give the file to write (e.g. {target / example})")
    check_folders(target, name)


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
