"""Workers that die or hang, and local workers that must not outlive the driver.

A local worker process asks Linux to be killed with its parent (`die_with_parent`), so a driver
killed with SIGKILL leaves no worker waiting for work. A worker that dies (out of memory, say)
raises WorkerDied, one that sends no result within the task timeout WorkerHung (local processes
and Ray tasks alike); their messages say what happened and how `--resume` completes the run.
The backends that raise them are in `engine.backends` and `engine.ray_cluster`.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any


def die_with_parent(parent: int) -> None:
    """In a local worker: ask Linux to kill this process when its parent dies (a driver killed
    with SIGKILL would otherwise leave its workers waiting for work forever, holding their memory).
    A worker of a forkserver is the forkserver's child, and the forkserver ends with the driver
    (`parent`), so the request covers it too; the worker ends at once if the driver is gone already."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return
    if os.getppid() != parent and not _running(parent):  # the driver died before the request was made
        os._exit(1)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a process of another user has that id
        return True
    return True


class WorkerDied(RuntimeError):
    """A local worker process died (killed: out of memory, say). What was finished before is
    kept (a run's shards, an annotation run's scenes), so the run completes with `resume=True`
    (`--resume`)."""


def _died(processes: list[Any]) -> str:
    """What is known of a local worker's death: its exit code or signal (from the pool's
    processes, once they have ended), and what to do."""
    for process in processes:
        process.join(1)
    # The pool's own thread joins them too: when both wait on one process, the one whose wait
    # loses the race sees no exit code until the other has recorded it, so ask again for a moment
    deadline = time.monotonic() + 2
    while any(p.exitcode is None for p in processes) and time.monotonic() < deadline:
        time.sleep(0.05)
    codes = sorted({p.exitcode for p in processes if p.exitcode not in (None, 0)})
    codes = [c for c in codes if c != -signal.SIGTERM] or codes  # the pool ends the others with SIGTERM
    how = ""
    if codes:
        code = codes[0]
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else f"signal {-code}"
            how = f" (killed by {name}" + (", which the system's out-of-memory killer sends" if -code == signal.SIGKILL else "") + ")"
        else:
            how = f" (exit code {code})"
    return (f"a worker process died{how}. What was finished before it is kept: run the same command again "
            "with --resume (resume=True) to complete the run, with fewer workers (or a smaller --shard-size) "
            "if memory ran out")


class WorkerHung(RuntimeError):
    """No result came back from a worker within the task timeout (`ordered_map(timeout=...)`): the
    workers were stopped. What was finished before is kept, so the run completes with
    `resume=True` (`--resume`)."""


def _hung(timeout: float) -> str:
    return (f"no result came back from a worker within {timeout:g} s (a model, a device or a file read that "
            "hangs?); the workers were stopped. What was finished before it is kept: run the same command again "
            "with --resume (resume=True) to complete the run, with a larger --task-timeout if its parts are only slow")


def check_timeout(timeout: float | None) -> None:
    if timeout is not None and not timeout > 0:
        raise ValueError(f"a task timeout is a number of seconds above 0, got {timeout!r}")
