"""Another process holding an output's lock (`veriscene.engine.run_lock`) as a command writing
there holds it, for the tests of the commands that lock their outputs; and a look at a lock from
this process. Linux only (flock, and signals to a holder): the tests using it skip elsewhere."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ON_LINUX = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="flock, and signals to a holder")

# Holds the lock of `target` (`folder`: lock_folder, `file`: lock_file, `url`: lock_url) as a run of
# kind `kind`, until told to stop (a line on stdin). Its command, as a refusal says it:
# "-c HOW TARGET KIND".
HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from veriscene.engine.run_lock import RunKind, holding_locks, lock_file, lock_folder, lock_url

    @holding_locks
    def hold(how, target, kind):
        run = RunKind(kind, "(the holder's clash)")
        if how == "folder":
            lock_folder(Path(target), run)
        elif how == "file":
            lock_file(Path(target), run)
        else:
            lock_url(target, run)
        print("locked", flush=True)
        sys.stdin.readline()

    hold(*sys.argv[1:])
""")


def _start(how: str, target: str | Path, kind: str) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, how, str(target), kind], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    return holder


@contextmanager
def holding(how: str, target: str | Path, kind: str) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock of `target` (see `HOLDER`) while the block runs."""
    holder = _start(how, target, kind)
    try:
        yield holder
    finally:
        holder.communicate("\n", timeout=30)


def killed_holder(how: str, target: str | Path, kind: str) -> int:
    """The pid of a process that took the lock of `target` and was killed with `kill -9`: its lock
    file stays, its lock is gone."""
    holder = _start(how, target, kind)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    return holder.pid


def refusal_start(holder: subprocess.Popen[str], shown: str | Path, kind: str) -> str:
    """How the refusal of a run whose output `shown` `holder` locks (as a `kind` run) begins: it
    names the holder's kind and pid (then its start time and command, `holder_command`)."""
    return f"{shown} is being written by another veriscene {kind} run (pid {holder.pid}, since "


def holder_command(how: str, target: str | Path, kind: str) -> str:
    """How a refusal ends its naming of a `HOLDER`: with its command."""
    return f": -c {how} {target} {kind})"


def says(output: str, start: str) -> bool:
    """Whether a command's `output` begins with `start`, whitespace left out of both: rich wraps
    some commands' errors, a long path too, at any character."""
    return "".join(output.split()).startswith("".join(start.split()))


def is_locked(lock: Path) -> bool:
    """Whether the flock of the lock file `lock` is held, by any process (this one too: a flock
    belongs to an open file description, and this opens its own)."""
    import fcntl

    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
