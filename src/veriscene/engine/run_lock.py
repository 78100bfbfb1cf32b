"""One run at a time in an output folder: a lock that `generate` holds while it writes there.

Two runs writing into one folder (a second started by mistake, or a `--resume` or `--overwrite`
while the first still runs) remove each other's temporary files, replace each other's shards and
manifest, and can leave a samples file that mixes both while the manifest says complete (seen:
a run and an `--overwrite` of another seed, both exit 0, `verify` then finding 5 of the 50 shards
not as the manifest records them). So `generate` locks the folder (`lock_folder`, called by
`engine.run_folder` before it reads, clears or resumes anything there) and holds the lock until
it returns or raises (`holding_locks`); a second run is refused (`RunLockedError`), naming the
process that holds it.

The lock is `fcntl.flock` on the file `LOCK` in the folder, which records the holder's pid, host,
start time and command. The system releases a flock when its process ends in any way, `kill -9`
included, so no lock outlives its run: a `--resume` after a kill is never blocked. A run removes
the file as it ends (while still holding it; a run that opened the old file meanwhile sees it
gone once it has the lock, and locks the new one), and removes the folder too when it made it and
left nothing in it (a run refused before writing anything). A run killed leaves the file, unlocked:
the next run takes it over. Local worker processes forked from the driver share its lock.
Where the system has no flock (Windows), nothing is locked; a file system that refuses locks
(some network file systems) is warned of, and the run goes on unlocked.
"""

from __future__ import annotations

import errno
import functools
import os
import socket
import sys
import time
import warnings
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ParamSpec, TypeVar

import orjson

from veriscene.engine.disk_space import disk_full, full
from veriscene.engine.manifest import RunExistsError

LOCK = ".veriscene-lock"  # (hidden, as `.veriscene-*` files are: left out of uploads and folder checks)
P = ParamSpec("P")
R = TypeVar("R")
# errors of a file system that keeps no locks, which is warned of rather than refused
_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EINVAL}


class RunLockedError(RunExistsError):
    """Another run (a process alive now, here or on another machine sharing the folder) holds the
    output folder's lock: this one is refused before it writes anything."""


@dataclass
class _Held:
    folder: Path  # resolved
    fd: int
    made: list[Path] = field(default_factory=list)  # folders this run made to hold the lock, deepest first


# The locks taken within the outermost `holding_locks` call of this thread (None: outside one)
_HELD: ContextVar[list[_Held] | None] = ContextVar("veriscene_run_locks", default=None)


def holding_locks(fn: Callable[P, R]) -> Callable[P, R]:
    """`fn` with the locks it takes (`lock_folder`) released when it returns or raises. Nested
    calls (a run at a URL calls `generate` again for its staging folder) share the outermost's."""
    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        outer = _HELD.get()
        held: list[_Held] = [] if outer is None else outer
        token = _HELD.set(held)
        try:
            return fn(*args, **kwargs)
        finally:
            _HELD.reset(token)
            if outer is None:
                for lock in reversed(held):
                    _release(lock)
                held.clear()

    return call


def lock_folder(out_dir: Path) -> None:
    """Lock the output folder `out_dir` for the innermost `holding_locks` call, making it (and the
    folders above it) if need be; RunLockedError if another run holds it, PermissionError if it
    cannot be written. Nothing outside a `holding_locks` call (a lock would have no end), nor for
    a folder this call holds already."""
    held = _HELD.get()
    if held is None or sys.platform == "win32":
        return
    folder = out_dir.resolve()
    if any(lock.folder == folder for lock in held):
        return
    made = _make_folder(out_dir)
    try:
        fd = _acquire(out_dir, folder / LOCK)
    except BaseException:
        _remove_empty(made)
        raise
    if fd is not None:
        held.append(_Held(folder, fd, made))


def _make_folder(out_dir: Path) -> list[Path]:
    """Make `out_dir` and the missing folders above it; returns those made, deepest first."""
    missing = [p for p in (out_dir, *out_dir.parents) if not p.exists()]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _not_writable(out_dir, exc) from exc
    return missing


def _acquire(out_dir: Path, path: Path) -> int | None:
    """An open descriptor of the lock file `path`, flock held, the holder's record written in it;
    None on a file system that keeps no locks (warned)."""
    import fcntl

    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise _not_writable(out_dir, exc) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise RunLockedError(_locked_message(out_dir, holder)) from None
        except OSError as exc:
            os.close(fd)
            if exc.errno not in _NO_LOCKS:
                raise
            warnings.warn(f"{out_dir}: its file system keeps no locks ({exc.strerror}), so another run writing "
                          "there at the same time would not be stopped: make sure none does", stacklevel=4)
            return None
        try:  # the file the lock is on must still be the one at `path` (its holder removes it as it ends)
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    record = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
              "command": " ".join(sys.argv)}
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, orjson.dumps(record), 0)
    except OSError:  # a full disk, say: the lock holds without it (a run refused is not told the pid)
        pass
    return fd


def _holder(fd: int) -> dict[str, object]:
    """The record of the run that holds the lock file open as `fd` ({} while it has not written it)."""
    try:
        record = orjson.loads(os.pread(fd, 1 << 16, 0))
    except (OSError, orjson.JSONDecodeError):
        return {}
    return record if isinstance(record, dict) else {}


def _locked_message(out_dir: Path, holder: dict[str, object]) -> str:
    pid, host = holder.get("pid"), holder.get("host")
    here = host == socket.gethostname()
    if pid is None:
        who = "another veriscene run (it is starting: its pid is not recorded yet)"
        stop = "stop it"
    else:
        where = "" if here else f" on {host}"
        since = f", since {holder['started']}" if holder.get("started") else ""
        command = f": {holder['command']}" if holder.get("command") else ""
        who = f"another veriscene run (pid {pid}{where}{since}{command})"
        stop = f"stop it (kill {pid}{where})"
    return (f"{out_dir} is being written by {who}; two runs in one folder would replace each other's shards. "
            f"Wait for it to end, or {stop}, then run this command again (with --resume to go on from the shards "
            "it finished). Nothing was written.")


def _not_writable(out_dir: Path, exc: OSError) -> OSError:
    """The error of a folder in which the lock file cannot be made: full (`disk_space`), read-only,
    not this user's."""
    if full(exc):
        return disk_full(exc.filename or out_dir, exc)
    why = exc.strerror or str(exc)
    return PermissionError(f"cannot write into the output folder {out_dir} ({why}: {exc.filename or out_dir}): "
                           "give --out a folder that can be written")


def _release(lock: _Held) -> None:
    """Remove the lock file while still holding it, then let go; remove the folders the run made
    for it if nothing else was put in them."""
    try:
        os.unlink(lock.folder / LOCK)
    except OSError:  # (gone with its folder, say)
        pass
    os.close(lock.fd)
    _remove_empty(lock.made)


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        try:
            folder.rmdir()
        except OSError:  # not empty: the run wrote there (or another process did)
            return
