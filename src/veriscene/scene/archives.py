"""Annotation files inside zip archives, named as if the archive were a folder.

Annotation sets are often downloaded as zip archives of several files: GQA's `sceneGraphs.zip`
holds `train_sceneGraphs.json` and `val_sceneGraphs.json`, COCO's `annotations_trainval2017.zip`
holds `annotations/instances_val2017.json` among others. One of them is read in place, without
unzipping, by a path that goes on past the archive's name:

    sceneGraphs.zip/val_sceneGraphs.json
    annotations_trainval2017.zip/annotations/instances_val2017.json

The member is streamed out of the archive (`open_member`), decompressed as it is read, so a
450 MB member costs no disk and no more memory than the plain file. A name that matches no member
exactly but ends one member's path (`annotations_trainval2017.zip/instances_val2017.json`) names
that member. Such a path is recognised only when it does not exist on disk and one of its parents
is a zip file (`archive_member`); files beside the member in the archive are found the same way
(`is_file`, `folder_files`), so Visual Genome's `vg.zip/scene_graphs.json` finds
`vg.zip/image_data.json` and Open Images' `oi.zip/relationships.csv` its class tables. A format
read from a folder of files (label maps, CLEVR's, ProVision's) takes the whole archive instead,
unpacked once into a cache (`veriscene.scene.unpack`).
"""

from __future__ import annotations

import functools
import os
import zipfile
from pathlib import Path
from typing import BinaryIO, Sequence

ZIP_MAGIC = b"PK\x03\x04"
_LISTED = 8  # members named in a message


def is_zip(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is a file that starts as a zip archive does."""
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == ZIP_MAGIC
    except OSError:
        return False


def archive_member(path: str | os.PathLike[str]) -> tuple[Path, str] | None:
    """(archive, member name) for a path that reaches into a zip archive (`a.zip/b/c.json` ->
    (`a.zip`, `b/c.json`)); None for a path on disk or one that leads nowhere."""
    target = Path(path)
    if target.exists():
        return None
    for parent in target.parents:
        if parent.is_file():
            return (parent, target.relative_to(parent).as_posix()) if is_zip(parent) else None
        if parent.is_dir():
            return None
    return None


def data_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The archive's files, leaving out folders and macOS's `__MACOSX/` entries."""
    return [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")]


def listed(files: Sequence[zipfile.ZipInfo]) -> str:
    """The first files' names, for a message."""
    names = [m.filename for m in files[:_LISTED]]
    return ", ".join(names) + (f", ... ({len(files)} files)" if len(files) > _LISTED else "")


@functools.lru_cache(maxsize=16)
def _listing(archive_path: Path, size: int, mtime_ns: int) -> tuple[zipfile.ZipInfo, ...]:
    """The archive's files (`data_members`), read once per version of the archive: finding a
    file's siblings asks for the same directory many times (`is_file`, `folder_files`)."""
    with zipfile.ZipFile(archive_path) as archive:
        return tuple(data_members(archive))


def members(archive_path: Path) -> tuple[zipfile.ZipInfo, ...]:
    """The files of the zip archive at `archive_path` (zipfile.BadZipFile when it cannot be read)."""
    st = os.stat(archive_path)
    return _listing(Path(archive_path).resolve(), st.st_size, st.st_mtime_ns)


def find_member(archive_path: Path, name: str) -> zipfile.ZipInfo | None:
    """The member called `name`, else the one member whose path ends with `/name`; None if there
    is none or several."""
    files = members(archive_path)
    exact = [m for m in files if m.filename == name]
    if exact:
        return exact[0]
    ending = [m for m in files if m.filename.endswith("/" + name)]
    return ending[0] if len(ending) == 1 else None


def _member_info(archive_path: Path, name: str) -> zipfile.ZipInfo:
    """The archive's member `name`; FileNotFoundError naming the archive's files when it holds no
    such member (zipfile.BadZipFile when the archive cannot be read)."""
    info = find_member(archive_path, name)
    if info is None:
        files = members(archive_path)
        several = [m.filename for m in files if m.filename.endswith("/" + name)]
        why = (f"{len(several)} files end with {name!r} ({', '.join(several[:_LISTED])}): name one by its whole path"
               if several else f"it holds {listed(files) or 'no file'}")
        raise FileNotFoundError(f"{archive_path}/{name}: the zip archive {archive_path} holds no file {name!r}; {why}")
    return info


def open_member(archive_path: Path, name: str) -> BinaryIO:
    """The member's bytes as stored (a member that is itself compressed is not decompressed here)."""
    info = _member_info(archive_path, name)
    with zipfile.ZipFile(archive_path) as archive:
        return archive.open(info.filename)  # type: ignore[return-value]  # stays readable once the archive is closed


def folder_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The files directly in a zip archive (`a.zip`) or in a folder of one (`a.zip/annotations`),
    as paths that reach into it; [] when `folder` is neither."""
    if is_zip(folder):
        archive, prefix = Path(folder), ""
    else:
        found = archive_member(folder)
        if found is None:
            return []
        archive, prefix = found[0], found[1] + "/"
    try:
        listing = members(archive)
    except (zipfile.BadZipFile, EOFError, OSError):
        return []
    return [archive / m.filename for m in listing
            if m.filename.startswith(prefix) and "/" not in m.filename[len(prefix):]]


def is_file(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is a file on disk or a file inside a zip archive (`archive_member`)."""
    if os.path.isfile(path):
        return True
    found = archive_member(path)
    if found is None:
        return False
    try:
        return find_member(found[0], found[1]) is not None
    except (zipfile.BadZipFile, EOFError, OSError):
        return False


def exists(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is on disk (a file or a folder) or is a file inside a zip archive."""
    return os.path.exists(path) or is_file(path)


class BrokenArchiveError(ValueError):
    """A zip archive that cannot be opened (cut short: its directory is at its end)."""


def missing(path: str | os.PathLike[str]) -> str | None:
    """Why `path` cannot be found (None: it can): it is not on disk, or it names no file of its
    zip archive (the message then names the archive's files). Raises BrokenArchiveError when
    its archive cannot be read."""
    if exists(path):
        return None
    found = archive_member(path)
    if found is not None:
        try:
            _member_info(*found)
        except FileNotFoundError as exc:
            return str(exc)
        except (zipfile.BadZipFile, EOFError) as exc:
            raise BrokenArchiveError(f"{path}: cannot read the zip archive {found[0]} ({exc}); is it complete?") from exc
    return f"{path}: no such file or directory"


def require(path: str | os.PathLike[str]) -> Path:
    """`path`, if it can be read as an input; else FileNotFoundError saying why (`missing`)."""
    problem = missing(path)
    if problem is not None:
        raise FileNotFoundError(problem)
    return Path(path)


def require_file(path: str | os.PathLike[str]) -> Path:
    """`path`, if it is a file on disk or in a zip archive; else FileNotFoundError saying why."""
    if not is_file(path):
        raise FileNotFoundError(missing(path) or f"{path}: not a file")
    return Path(path)


def member_fingerprint(path: str | os.PathLike[str]) -> str | None:
    """What identifies a member's content, read from the archive's directory (no decompression):
    its size and CRC-32; None for a path that is not in an archive."""
    found = archive_member(path)
    if found is None:
        return None
    info = _member_info(*found)
    return f"zip-member:{info.file_size}:{info.CRC:08x}"
