"""The images a run reads: a folder's (recursive, sorted), a list file's, or one image; their ids,
the files of a folder left out (reported as rejects) and their paths as a scene file names them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from veriscene.io.rejects import Reject, RejectReport

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif")


def _folder_images(folder: Path, skipped: list[tuple[str, str]]) -> list[Path]:
    """A folder's images, searched recursively (symbolic links to folders followed, each folder
    searched once), sorted; what is left out goes to `skipped` as (path, why)."""
    files: list[Path] = []
    seen: set[str] = set()

    def unreadable(error: OSError) -> None:  # os.walk would leave such a folder out silently
        if os.path.realpath(error.filename) == os.path.realpath(folder):
            raise PermissionError(f"{folder}: cannot read this folder ({error.strerror})")
        skipped.append((str(error.filename), f"a folder that cannot be read ({error.strerror}): its images left out"))

    for top, folders, names in os.walk(folder, onerror=unreadable, followlinks=True):
        seen.add(os.path.realpath(top))
        for name in sorted(folders):
            inner = os.path.join(top, name)
            if os.path.realpath(inner) in seen or os.path.realpath(inner) == os.path.realpath(top):
                folders.remove(name)
                skipped.append((inner, "the same folder as one searched already (a link to it): left out"))
        folders.sort()
        for name in names:
            path = Path(top) / name
            if not path.exists():
                skipped.append((str(path), f"a broken symbolic link (to {os.readlink(path)!r}, which does not exist)"))
            elif not path.is_file():
                skipped.append((str(path), "not a regular file"))
            elif path.suffix.lower() not in IMAGE_SUFFIXES:
                skipped.append((str(path), f"not an image of a format annotate reads ({', '.join(IMAGE_SUFFIXES)})"))
            else:
                files.append(path)
    return sorted(files)


def image_files(images: str | os.PathLike[str],
                skipped: list[tuple[str, str]] | None = None) -> tuple[Path, list[Path]]:
    """(root, image paths): a folder's images (recursive, sorted), a list file's, or one image.
    Image ids are the paths relative to the root, without the suffix. `skipped`: gets (path, why)
    of each file of a folder left out (another format, a broken link), for the run to report."""
    path = Path(images)
    skipped = [] if skipped is None else skipped
    if path.is_dir():
        files = _folder_images(path, skipped)
        if not files:
            raise FileNotFoundError(f"{path}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder")
        return path, files
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return path.parent, [path]
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")  # a list file saved with a byte order mark (Windows' Notepad)
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text[:4096]:
        raise ValueError(f"{path}: not an image of a format annotate reads ({', '.join(IMAGE_SUFFIXES)}; "
                         f"{path.suffix or 'no suffix'} is not one of them: convert it, e.g. to JPEG or PNG) "
                         "nor a text file listing image paths")
    lines = [line.strip() for line in text.splitlines()]
    files = [path.parent / line for line in lines if line and not line.startswith("#")]
    if not files:
        raise FileNotFoundError(f"{path}: lists no image paths (one a line, relative to the list's folder; "
                                "# starts a comment)")
    return path.parent, files


def report_skipped(report: RejectReport, images: str | os.PathLike[str], skipped: list[tuple[str, str]],
                   own: Sequence[Path] = ()) -> None:
    """Report each file of the folder `images` left out (`image_files`) as a rejected file (its
    path as the record), but the run's own (`own`: its output files, and their temporary files
    ``.<name>.*``)."""
    mine = {os.path.abspath(p) for p in own}
    hidden = tuple(f".{p.name}." for p in own)
    for path, why in skipped:
        if os.path.abspath(path) not in mine and not (hidden and Path(path).name.startswith(hidden)):
            report.record(Reject(file=str(images), record=path, field="image", reason=f"skipped: {why}", level="file"))


def written_path(path: Path, folder: str | None) -> str:
    """An image's path as a scene file in `folder` names it: relative to that folder (a scene's
    image path is read relative to its own file's folder), else absolute (another drive); as
    given when `folder` is None (scenes streamed, not written)."""
    if folder is None:
        return str(path)
    try:
        return Path(os.path.relpath(os.path.abspath(path), folder)).as_posix()
    except ValueError:  # another drive (Windows)
        return os.path.abspath(path)

def image_ids(listing: tuple[Path, list[Path]]) -> list[str]:
    """Each image's id: its path relative to the root, without the suffix (else its stem)."""
    root, files = listing
    return [path.relative_to(root).with_suffix("").as_posix() if path.is_relative_to(root) else path.stem
            for path in files]


def duplicate_ids(ids: list[str], files: list[Path]) -> dict[int, str]:
    """Position -> the earlier image of the same id (``a.jpg`` and ``a.png`` are both ``a``)."""
    first: dict[str, int] = {}
    out = {}
    for position, image_id in enumerate(ids):
        earlier = first.setdefault(image_id, position)
        if earlier != position:
            out[position] = str(files[earlier])
    return out


def check_not_input(images: str | os.PathLike[str], out: str | os.PathLike[str],
                    rejects: str | os.PathLike[str] | None) -> None:
    """Refuse (OutputError, a ValueError: exit 2) an `out` or reject report that would write over what the run reads: the
    list file or image given, or an image of the folder given; and a report that is `out`. Checked
    on the paths alone, before any image is listed. Before, `--out photos.txt` (the list) emptied
    the list, and `--rejects photos/1.jpg` replaced that photo with the reject report."""
    from veriscene.io.writers.files import OutputError

    given, out_path = Path(images), Path(out)
    report = Path(rejects) if rejects is not None else out_path.parent / "rejects.jsonl"

    def same(a: Path, b: Path) -> bool:
        try:
            return a.exists() and b.exists() and os.path.samefile(a, b)
        except OSError:
            return False

    for name, path in (("out", out_path), ("rejects", report)):
        if same(path, given):
            raise OutputError(f"{name} {path} is the input ({'the list of images' if given.suffix.lower() not in IMAGE_SUFFIXES else 'the image'} "
                             "annotated): it would be written over; give another file")
        inside = given.is_dir() and os.path.realpath(path).startswith(os.path.realpath(given) + os.sep)
        if inside and path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            raise OutputError(f"{name} {path} is an image of the folder annotated: it would be written over; "
                             "give another file")
    if same(report, out_path) or report.absolute() == out_path.absolute():
        raise OutputError(f"rejects {report} is out: the scenes and the reject report need files of their own")
