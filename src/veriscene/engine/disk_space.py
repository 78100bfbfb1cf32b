"""A disk that fills up during a run: said as that, naming the file, and nothing half-written left.

Python says a full disk as ``[Errno 28] No space left on device``, without the file (a `write`
has no name to give). A run writes its files through `temporary_for` (shards, sidecars, the
manifest, the merged samples): a write that fails removes its temporary file at once, so the
space it took is free again and no partial copy is left, and a full disk (ENOSPC, or EDQUOT: a
quota) becomes `DiskFullError`, which names the file, the space left on its file system and how
to go on: everything finished before is kept, and `--resume` goes on from it once there is room.
The same goes for a run stopped while writing (Ctrl-C, SIGTERM: `engine.interrupts`).
"""

from __future__ import annotations

import errno
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


class DiskFullError(OSError):
    """No space left (ENOSPC), or the disk quota exceeded (EDQUOT), while writing `filename`. Its
    text is the whole message (`strerror`); `errno` is the system's."""

    def __str__(self) -> str:
        return str(self.strerror)


def full(exc: BaseException) -> bool:
    """Whether `exc` is a full disk (or quota) that `DiskFullError` does not say yet."""
    return isinstance(exc, OSError) and not isinstance(exc, DiskFullError) and exc.errno in FULL


def disk_full(path: str | os.PathLike[str], exc: OSError, what: str = "") -> DiskFullError:
    """The DiskFullError of `exc` (one that `full` says is), raised writing `path`; `what` says
    what the file is, where the place it is in needs saying (a temporary folder, say)."""
    path = Path(path)
    quota = exc.errno != errno.ENOSPC
    room = _room(path.parent)
    said = (f"the disk quota is exceeded: no more may be written to {path}" if quota else
            f"the disk is full: no space left to write {path}")
    return DiskFullError(exc.errno, f"{said}{room}{what}. What was finished is kept: free some space there, then "
                         "run the same command again with --resume (resume=True) to go on from it", str(path))


def _room(folder: Path) -> str:
    try:
        usage = shutil.disk_usage(folder)
    except OSError:
        return ""
    return f" ({_size(usage.free)} free of {_size(usage.total)} on its file system)"


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


@contextmanager
def writing(path: str | os.PathLike[str], what: str = "") -> Iterator[None]:
    """A full disk met in the block said as `DiskFullError` naming `path` (`disk_full`)."""
    try:
        yield
    except OSError as exc:
        if full(exc):
            raise disk_full(path, exc, what) from exc
        raise


@contextmanager
def temporary_for(path: Path) -> Iterator[Path]:
    """The temporary name (`path` + ".tmp") under which the block writes `path` before it renames
    it: removed when the block fails in any way (a full disk, said as `DiskFullError` naming
    `path`; an interrupt), so a partial copy neither takes space nor is left behind."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        yield tmp
    except BaseException as exc:
        said = disk_full(path, exc) if isinstance(exc, OSError) and full(exc) else None  # (the space left, before)
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        if said is not None:
            raise said from exc
        raise
