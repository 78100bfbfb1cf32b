"""Workers that die or hang, and local workers that must not outlive the driver.

A local worker process asks Linux to be killed with its parent (`die_with_parent`), so a driver
killed with SIGKILL leaves no worker waiting for work. A worker that dies (out of memory, say)
raises WorkerDied, one that sends no result within the task timeout WorkerHung (local processes
and Ray tasks alike); their messages say what happened and, for a command that has one
(`resumable`: generate, annotate), how `--resume` completes the run; other commands (verify,
stats, card) are just run again.

A worker started with spawn or forkserver (`backends.start_method`: forkserver once torch is
imported) runs the driver's main script again, as ``__mp_main__``, before it takes a task. A
script that starts workers outside ``if __name__ == "__main__":`` then starts them again in each
worker, which Python refuses ("An attempt has been made to start a new process before the current
process has finished its bootstrapping phase"): the worker exits with code 1 before it started.
Each worker raises a flag in shared memory once started (`started_flag`, `mark_started`), so that
a death before any did, with a script as the main module (`rerun_script`), is said as that, with
the fix, not as a lack of memory.
The backends that raise them are in `engine.backends` and `engine.ray_cluster`.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path
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
    """Whether process `pid` is running: there and, on Linux, not a zombie (a driver killed with
    SIGKILL stays one until its own parent reaps it; a worker that took the zombie for a live
    driver would outlive it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a process of another user has that id
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][:1]
    except FileNotFoundError:  # ended since, or a system without /proc (there: os.kill found it)
        return not sys.platform.startswith("linux")
    except (OSError, IndexError):  # pragma: no cover - unreadable: as os.kill said
        return True
    return state not in ("Z", "X")


class WorkerDied(RuntimeError):
    """A local worker process died (killed: out of memory, say). What was finished before is
    kept (a run's shards, an annotation run's scenes), so a run of generate or annotate completes
    with `resume=True` (`--resume`); other commands are run again. A worker that died while
    starting, with a script as the main module, is said as a script that starts workers outside
    ``if __name__ == "__main__":`` (module notes)."""


def started_flag(context: Any) -> Any:
    """A flag in shared memory (0) that each local worker of the multiprocessing `context` raises
    to 1 once it has started (`mark_started`, before its initializer): passed with the initializer's
    arguments, it tells a pool whose workers died starting (`_died`)."""
    return context.RawValue("b", 0)


def mark_started(flag: Any | None) -> None:
    """In a local worker that has started (its interpreter set up, the main script run again
    with spawn or forkserver): raise `started_flag`."""
    if flag is not None:
        flag.value = 1


def rerun_script() -> str | None:
    """The main script a worker started with spawn or forkserver runs again as it starts (as
    `multiprocessing.spawn` chooses it): the file of ``__main__``, run as a file or with ``-m``;
    None when there is none (``python -c``, an interactive session, a notebook) or it is not run
    again (a package's ``__main__.py``, ``ipython``)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None:
        return None
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is not None and (name == "__main__" or name.endswith(".__main__")):
        return None
    if name is None and os.path.splitext(os.path.basename(path))[0] in ("__main__", "ipython"):
        return None
    return os.path.abspath(path)


_MAIN_GUARD = re.compile(r"""__name__\s*==\s*['"]__main__['"]|['"]__main__['"]\s*==\s*__name__""")


def _guarded(script: str) -> bool:
    """Whether the script's text holds a main guard (`if __name__ == "__main__":`); True when it
    cannot be read. With forkserver, the server process runs the script once before it forks the
    workers, so which of them dies first, and whether one had started, varies: an unguarded
    script is told so either way."""
    try:
        text = Path(script).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True
    return _MAIN_GUARD.search(text) is not None


def _startup_death(script: str) -> str:
    """Why a worker that died while starting most likely did, and the fix (module notes)."""
    return (f"Workers started with spawn or forkserver (as veriscene starts them once torch is imported) first "
            f"run the main script {script} again, and a script that starts workers (a veriscene call with "
            "workers > 1) outside `if __name__ == \"__main__\":` starts them again there, which Python refuses "
            "(each worker printed why above: 'An attempt has been made to start a new process before the current "
            "process has finished its bootstrapping phase', or another error of that script). Put the code that "
            "starts the workers under `if __name__ == \"__main__\":` in that script.")


def _died(processes: list[Any], *, started: bool = True, method: str = "fork", resumable: bool = True) -> str:
    """What is known of a local worker's death: its exit code or signal (from the pool's
    processes, once they have ended), and what to do: with `--resume` when the command has one
    (`resumable`). A worker that exited with code 1 before any worker had started (`started`: the
    pool's `started_flag` raised), started with spawn or forkserver (`method`) while the main
    module is a script, is said as a script that starts workers without the main guard."""
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
    script = rerun_script()
    # exit code 1 the lowest (no worker killed by a signal): another worker may end with another
    # code as the forkserver goes down (a fresh-clone run once said "exit code 1" without the fix).
    # 255 alone: multiprocessing's code for a worker whose forkserver died before reporting its
    # status (the server ran the unguarded script and failed in it; a fresh-clone run of 0.27.0
    # said "exit code 255 ... if memory ran out"), said so only of a script without the guard
    if script is not None and codes and method != "fork" and (
            (codes[0] == 1 and (not started or not _guarded(script)))
            or (codes == [255] and method == "forkserver" and not _guarded(script))):
        when = "" if started else " while starting, before its first task"
        return f"a worker process died{how}{when}. {_startup_death(script)}"
    if resumable:
        return (f"a worker process died{how}. What was finished before it is kept: run the same command again "
                "with --resume (resume=True) to complete the run, with fewer workers (or a smaller --shard-size) "
                "if memory ran out")
    return f"a worker process died{how}. Run the command again, with fewer workers if memory ran out"


class WorkerHung(RuntimeError):
    """No result came back from a worker within the task timeout (`ordered_map(timeout=...)`): the
    workers were stopped. What was finished before is kept, so a run of annotate completes with
    `resume=True` (`--resume`)."""


def _hung(timeout: float, resumable: bool = True) -> str:
    """What to say of no result within `timeout` seconds: with `--resume` when the command has
    one (`resumable`)."""
    said = (f"no result came back from a worker within {timeout:g} s (a model, a device or a file read that "
            "hangs?); the workers were stopped.")
    if not resumable:
        return f"{said} Run the command again, with a larger timeout if its parts are only slow"
    return (f"{said} What was finished before it is kept: run the same command again "
            "with --resume (resume=True) to complete the run, with a larger --task-timeout if its parts are only slow")


def check_timeout(timeout: float | None) -> None:
    if timeout is not None and not timeout > 0:
        raise ValueError(f"a task timeout is a number of seconds above 0, got {timeout!r}")
