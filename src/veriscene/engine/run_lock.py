"""One run at a time in an output: a lock that a command holds while it writes its folder or file.

Two runs writing into one folder (a second started by mistake, or a `--resume` or `--overwrite`
while the first still runs) remove each other's temporary files, replace each other's shards and
manifest, and can leave a samples file that mixes both while the manifest says complete (seen:
a run and an `--overwrite` of another seed, both exit 0, `verify` then finding 5 of the 50 shards
not as the manifest records them). So `generate` locks the folder (`lock_folder`, called by
`engine.run_folder` before it reads, clears or resumes anything there) and holds the lock until
it returns or raises (`holding_locks`); a second run is refused (`RunLockedError`), naming the
process that holds it and its command. The other commands that write an output over some time
lock it the same way, each said as a `RunKind` (what two at once would do, how to go on):
`demo`, `eval` and `split` their folder (`lock_folder`), `annotate`, `convert` and `export` the
file (or export folder) they write and the reject report beside it (`lock_file`), and a run to
a URL the URL's name on this machine (`lock_url`).

A folder's lock is `fcntl.flock` on the file `LOCK` in it; a file's is on `LOCK.<name>` beside it
(`lock_path`). The lock file records the holder's pid, host, start time, command and kind. The
system releases a flock when its process ends in any way, `kill -9` included, so no lock outlives
its run: a `--resume` after a kill is never blocked. A run removes the file as it ends (while
still holding it; a run that opened the old file meanwhile sees it gone once it has the lock, and
locks the new one), and removes the folders it made for it if it left nothing in them (a run
refused before writing anything). A run killed leaves the file, unlocked: the next run takes it
over. Local worker processes forked from the driver share its lock. Within one call, a folder
locked covers what is in it: a file or folder below it is not locked again (`demo` exporting into
its folder, `generate` converting its input into its own). Locks are per output: two commands
writing two files of one folder do not stop each other.
Where the system has no flock (Windows), nothing is locked; a file system that refuses locks
(some network file systems) is warned of, and the run goes on unlocked. A URL is locked here on this
machine only (under `VERISCENE_STAGING`); across machines (and staging folders) a run at a URL
(and `remote.upload_run`) also holds a lease object at the URL, and an export to a URL one beside
it (`engine.remote_lock`), where the store can make one.
"""

from __future__ import annotations

import errno
import functools
import hashlib
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
from veriscene.engine.url_paths import default_staging
from veriscene.option_names import option

LOCK = ".veriscene-lock"  # (hidden, as `.veriscene-*` files are: left out of uploads and folder checks)
P = ParamSpec("P")
R = TypeVar("R")
# errors of a file system that keeps no locks, which is warned of rather than refused
_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EINVAL}
_LONGEST_NAME = 200  # bytes of a file name kept whole in its lock file's name (most file systems allow 255)


class RunLockedError(RunExistsError):
    """Another run (a process alive now, here or on another machine sharing the folder) holds the
    output's lock: this one is refused before it writes anything."""


@dataclass(frozen=True)
class RunKind:
    """A command that locks its output, as a refusal says it: its `name` (recorded in the lock
    file: "another veriscene export run"), what two runs at once would do (`clash`), and what
    follows "then run this command again" (`again`: how it goes on from what the first did).
    `clash` and `again` may be functions giving the text when it is said, for a text naming an
    option as its caller gives it (`option_names`: resume=True in Python, --resume on the CLI)."""

    name: str
    clash: str | Callable[[], str]
    again: str | Callable[[], str] = ""

    def clash_text(self) -> str:
        return self.clash() if callable(self.clash) else self.clash

    def again_text(self) -> str:
        return self.again() if callable(self.again) else self.again


GENERATE = RunKind("generate", "two runs in one folder would replace each other's shards",
                   lambda: f" (with {option('resume=True', '--resume')} to go on from the shards it finished)")


@dataclass
class _Held:
    target: Path  # resolved: the folder or file locked
    fd: int
    lock: Path  # the lock file
    folder: bool  # `target` is a folder locked from inside (`lock_folder`): what is in it is covered
    made: list[Path] = field(default_factory=list)  # folders this run made to hold the lock, deepest first


# The locks taken within the outermost `holding_locks` call of this thread (None: outside one)
_HELD: ContextVar[list[_Held] | None] = ContextVar("veriscene_run_locks", default=None)


def holding_locks(fn: Callable[P, R]) -> Callable[P, R]:
    """`fn` with the locks it takes (`lock_folder`, `lock_file`) released when it returns or raises.
    Nested calls (a run at a URL calls `generate` again for its staging folder, `demo` calls
    `generate` and `export`) share the outermost's."""
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


def lock_folder(out_dir: Path, kind: RunKind = GENERATE) -> None:
    """Lock the output folder `out_dir` (the file `LOCK` in it) for the innermost `holding_locks`
    call, making it (and the folders above it) if need be; RunLockedError if another run holds it,
    PermissionError if it cannot be written. Nothing outside a `holding_locks` call (a lock would
    have no end), for a folder this call holds already (or one below a folder it holds), nor where
    a file is in the way (`out_dir` or a folder above it: the command then says it cannot write there)."""
    _lock(Path(out_dir), kind, inside=True, shown=str(out_dir))


def lock_file(path: Path, kind: RunKind, shown: str | None = None) -> None:
    """Lock the output `path` (a file, or a folder the command writes whole: an export's) by the
    file `lock_path(path)` beside it, making the folders above it if need be; as `lock_folder`
    otherwise. `shown`: how a refusal names the output (default: `path`)."""
    _lock(Path(path), kind, inside=False, shown=str(path) if shown is None else shown)


def lock_url(url: str, kind: RunKind) -> None:
    """Lock the output at `url` on this machine: the name of its default staging folder
    (`url_paths.default_staging`), whatever staging folder the run is given, so two runs to one
    URL from this machine are refused. Another machine's run is seen by the URL's lease
    (`engine.remote_lock`), not by this lock."""
    lock_file(default_staging(url), kind, shown=url.rstrip("/"))


def lock_path(path: Path) -> Path:
    """The lock file of the output file `path`: `LOCK.<its name>` beside it (a name too long for the
    file system cut, with a hash of the whole)."""
    name = path.name
    if len(name.encode()) > _LONGEST_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()[:16]
        name = name.encode()[:_LONGEST_NAME - 17].decode(errors="ignore") + "-" + digest
    return path.parent / f"{LOCK}.{name}"


def is_lock_file(name: str) -> bool:
    """Whether the file name `name` is a lock's (of a folder or of a file): never uploaded or cleared."""
    return name == LOCK or name.startswith(LOCK + ".")


def _lock(target: Path, kind: RunKind, *, inside: bool, shown: str) -> None:
    """Lock `target` from inside (a folder's `LOCK`) or from beside it (`lock_path`), unless this
    call holds it, or a folder above it, already."""
    held = _HELD.get()
    if held is None or sys.platform == "win32":
        return
    resolved = target.resolve()
    if any((lock.target == resolved and lock.folder == inside) or (lock.folder and lock.target in resolved.parents)
           for lock in held):
        return
    folder = target if inside else target.parent
    made = _make_folder(folder, shown, inside)
    if made is None:  # a file where a folder goes: nothing to lock, the command says why it cannot write there
        return
    lock = (folder / LOCK) if inside else lock_path(target)
    try:
        fd = _acquire(lock, kind, shown, inside)
    except BaseException:
        _remove_empty(made)
        raise
    if fd is not None:
        held.append(_Held(resolved, fd, lock.resolve(), inside, made))


def _make_folder(folder: Path, shown: str, inside: bool) -> list[Path] | None:
    """Make `folder` and the missing folders above it; returns those made, deepest first (None
    when `folder`, or one above it, is a file)."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        return None
    except OSError as exc:
        raise _not_writable(shown, exc, inside) from exc
    return missing


def _acquire(path: Path, kind: RunKind, shown: str, inside: bool) -> int | None:
    """An open descriptor of the lock file `path`, flock held, the holder's record written in it;
    None on a file system that keeps no locks (warned)."""
    import fcntl

    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise _not_writable(shown, exc, inside) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise RunLockedError(_locked_message(shown, holder, kind)) from None
        except OSError as exc:
            os.close(fd)
            if exc.errno not in _NO_LOCKS:
                raise
            warnings.warn(f"{shown}: its file system keeps no locks ({exc.strerror}), so another run writing "
                          "there at the same time would not be stopped: make sure none does", stacklevel=5)
            return None
        try:  # the file the lock is on must still be the one at `path` (its holder removes it as it ends)
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    record = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
              "command": " ".join(sys.argv), "kind": kind.name}
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


def _locked_message(shown: str, holder: dict[str, object], kind: RunKind) -> str:
    pid, host = holder.get("pid"), holder.get("host")
    here = host == socket.gethostname()
    # a generate run (or one of a release that did not record its kind) is "another veriscene run"
    run = "run" if holder.get("kind") in (None, GENERATE.name) else f"{holder['kind']} run"
    if pid is None:
        who = "another veriscene run (it is starting: its pid is not recorded yet)"
        stop = "stop it"
    else:
        where = "" if here else f" on {host}"
        since = f", since {holder['started']}" if holder.get("started") else ""
        command = f": {holder['command']}" if holder.get("command") else ""
        who = f"another veriscene {run} (pid {pid}{where}{since}{command})"
        stop = f"stop it (kill {pid}{where})"
    return (f"{shown} is being written by {who}; {kind.clash_text()}. Wait for it to end, or {stop}, then run this "
            f"command again{kind.again_text()}. Nothing was written.")


def _not_writable(shown: str, exc: OSError, inside: bool) -> OSError:
    """The error of an output whose lock file cannot be made: full (`disk_space`), read-only, not
    this user's."""
    if full(exc):
        return disk_full(exc.filename or shown, exc)
    why = exc.strerror or str(exc)
    if inside:
        return PermissionError(f"cannot write into the output folder {shown} ({why}: {exc.filename or shown}): "
                               f"give {option('out=', '--out')} a folder that can be written")
    return PermissionError(f"cannot write the output {shown} ({why}: {exc.filename or shown}): give an output "
                           "in a folder that can be written")


def _release(lock: _Held) -> None:
    """Remove the lock file while still holding it, then let go; remove the folders the run made
    for it if nothing else was put in them."""
    try:
        os.unlink(lock.lock)
    except OSError:  # (gone with its folder, say)
        pass
    os.close(lock.fd)
    _remove_empty(lock.made)


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        try:
            folder.rmdir()
        except FileNotFoundError:  # removed by the run itself (an evaluation that got no reply)
            continue
        except OSError:  # not empty: the run wrote there (or another process did)
            return
