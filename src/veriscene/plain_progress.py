"""Progress off a terminal: a plain line every N seconds in place of the bar a terminal shows.

A long run whose standard error is no terminal (nohup, `ray job submit`, a CI log, a Slurm job,
`2> run.log`) draws no bar (rich's would fill the file with redraws). The displays of
`veriscene.console` then print, every `progress_seconds()` seconds, one line per bar with the same
figures ("generating: 1,200/5,000 scenes, 96,000 samples, 40 scenes/s, 3,200 samples/s, elapsed
0:00:30, left 0:01:35"): flushed, no colour or cursor codes, nothing for a run shorter than the
period. `VERISCENE_PROGRESS_SECONDS` sets the period (default 30; 0: no lines); the displays of
`veriscene.console` take `every=` to set it in Python. This module imports no rich: the command
line checks the variable at start with it."""

from __future__ import annotations

import math
import os
import threading
from types import TracebackType
from typing import IO, Callable

__all__ = ["DEFAULT_SECONDS", "PROGRESS_ENV", "PlainLines", "clock", "progress_seconds"]

PROGRESS_ENV = "VERISCENE_PROGRESS_SECONDS"
DEFAULT_SECONDS = 30.0


def progress_seconds(every: float | None = None) -> float:
    """How often a display off a terminal prints its line, in seconds (0: never): `every` when
    given, else `PROGRESS_ENV`, else `DEFAULT_SECONDS`. ValueError for a negative, infinite or
    unreadable value, naming where it came from."""
    if every is not None:
        where, raw = "every", str(every)
    else:
        raw = os.environ.get(PROGRESS_ENV, "").strip()
        if not raw:
            return DEFAULT_SECONDS
        where = PROGRESS_ENV
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not (seconds >= 0 and math.isfinite(seconds)):
        raise ValueError(f"{where}={raw!r}: give a number of seconds, 0 or more (0: no progress lines off a "
                         f"terminal; default {DEFAULT_SECONDS:g})")
    return seconds


def clock(seconds: float | None) -> str:
    """A duration as H:MM:SS (as the bars show it); "-" when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "-"
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


class PlainLines:
    """While entered, writes the lines `lines()` gives to `file` every `every` seconds (> 0), from
    a daemon thread, each flushed at once; none before the first period is over. A file that can
    no longer be written (a closed pipe) ends the lines, not the run."""

    def __init__(self, lines: Callable[[], list[str]], file: IO[str], every: float) -> None:
        self._lines, self._file, self._every = lines, file, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="veriscene-progress-lines", daemon=True)

    def __enter__(self) -> PlainLines:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                text = "".join(f"{line}\n" for line in self._lines())
                if text:
                    self._file.write(text)
                    self._file.flush()
            except (OSError, ValueError):  # a broken pipe, a closed file: the run goes on unseen
                return
