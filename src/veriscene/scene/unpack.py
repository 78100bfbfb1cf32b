"""Archives of annotation folders, unpacked once to be read as the folder they hold.

Medical segmentation sets come as archives of folders: the Medical Segmentation Decathlon's
`Task09_Spleen.tar` holds `Task09_Spleen/dataset.json`, `imagesTr/` and `labelsTr/`. A format
read from a folder (`FOLDER_FORMATS`: label maps, DICOM SEG and RTSTRUCT series, ProVision's and
CLEVR's folders) cannot stream a member out of an archive as a JSON reader does
(`veriscene.scene.archives`), so such an archive is unpacked into a cache, `VERISCENE_UNPACKED`
(default ``~/.cache/veriscene/unpacked``), and unpacked again only when the archive changes (its
size or modification time). A tar archive (plain, or gzip-, bz2- or xz-compressed) given to any
format is unpacked; a zip archive only for a folder format (a zip of JSON files is read in place).
An archive holding a single folder gives that folder.

Unpacking keeps every file inside the cache folder: tar members go through Python's "data"
filter (no absolute paths, no `..`, no links out, no devices), zip members through `zipfile`'s
own path cleaning.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import zipfile
from pathlib import Path

import orjson

from veriscene.scene.archives import is_zip

UNPACKED_ENV = "VERISCENE_UNPACKED"
FOLDER_FORMATS = ("label_map", "dicom_seg", "dicom_rt", "provision", "clevr")


def is_tar(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is a file holding a tar archive (plain or compressed)."""
    try:
        return os.path.isfile(path) and tarfile.is_tarfile(path)
    except (OSError, EOFError, tarfile.TarError):
        return False


def to_unpack(path: str | os.PathLike[str], fmt: str) -> bool:
    """Whether `path`, given as the input of format `fmt` ("auto" when it is to be detected),
    is an archive to read as the folder it holds."""
    return is_tar(path) or (fmt in FOLDER_FORMATS and os.path.isfile(path) and is_zip(path))


def cache_folder(archive: Path) -> Path:
    """Where `archive` is unpacked: a folder of `VERISCENE_UNPACKED` named after its path."""
    base = os.environ.get(UNPACKED_ENV) or str(Path.home() / ".cache" / "veriscene" / "unpacked")
    where = hashlib.sha256(str(archive.resolve()).encode("utf-8")).hexdigest()[:12]
    return Path(base) / f"{archive.name}-{where}"


def unpacked(archive: str | os.PathLike[str]) -> Path:
    """The folder `archive` holds (itself, if it holds one folder and nothing else), unpacked
    into `cache_folder(archive)` unless the folder there is of the same archive. A broken
    archive raises ValueError naming it."""
    archive = Path(archive)
    target = cache_folder(archive)
    stamp = target.with_name(target.name + ".source.json")
    stat = archive.stat()
    mark = {"archive": str(archive.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    try:
        same = target.is_dir() and orjson.loads(stamp.read_bytes()) == mark
    except (OSError, orjson.JSONDecodeError):
        same = False
    if not same:
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            _extract(archive, tmp)
            stamp.unlink(missing_ok=True)
            shutil.rmtree(target, ignore_errors=True)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        stamp.write_bytes(orjson.dumps(mark))
    entries = [p for p in target.iterdir() if p.name != "__MACOSX"]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else target


def _extract(archive: Path, into: Path) -> None:
    try:
        if is_zip(archive):
            with zipfile.ZipFile(archive) as opened:
                opened.extractall(into, [m for m in opened.namelist() if not m.startswith("__MACOSX/")])
        else:
            with tarfile.open(archive) as opened:
                opened.extractall(into, filter="data")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise ValueError(f"{archive}: cannot unpack the archive ({type(exc).__name__}: {exc}); is it "
                         "complete?") from exc
