"""The CLI's commands beyond `cli.py`'s own, each registered on the app by its module."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer


def fail(message: str, code: int = 2) -> NoReturn:
    """Say the error on stderr and exit with `code` (2: a bad option or a missing input, 1: bad
    data or a failed run; `exit_code` tells which for an exception)."""
    from rich.markup import escape

    from veriscene.console import err_console

    err_console.print(f"[red]error:[/] {escape(message)}", soft_wrap=True)  # a path whole, to copy
    raise typer.Exit(code)


def exit_code(exc: BaseException) -> int:
    """The exit code of an error a command stops on: 1 for bad data (`errors.DataError`: a file
    malformed or cut short, a record breaking the data model), 2 for the rest it catches (a bad
    option value, a missing input, a usage error, an optional package not installed:
    `errors.MissingExtra`)."""
    from veriscene.errors import DataError

    return 1 if isinstance(exc, DataError) else 2


def said(exc: BaseException) -> str:
    """An error's message: a KeyError's without the quotes its str adds; an OSError naming a file
    as "FILE: reason" (not "[Errno 2] reason: 'FILE'"); any other's str (not its first argument: an
    OSError's is its errno, a UnicodeDecodeError's its encoding)."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror and exc.filename2 is None:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


def local_input(arg: str) -> Path:
    """A command's run folder or samples file as a local path; one at a URL is read through a
    local copy (`veriscene.engine.fetch.readable`). Exits with the error said: 2 for what does
    not exist or is no finished run, or without fsspec; 1 for a store that cannot be read."""
    from veriscene.engine.fetch import readable

    try:
        return readable(arg)
    except (FileNotFoundError, IsADirectoryError, ValueError, ImportError) as exc:  # ImportError: no fsspec
        fail(str(exc))
    except RuntimeError as exc:  # RemoteError: no credentials, no network
        fail(str(exc), code=1)


@contextmanager
def said_when_stopped(message: Callable[[KeyboardInterrupt], str]) -> Iterator[None]:
    """Ctrl-C, or SIGTERM (which raises as Ctrl-C does in the block, `engine.interrupts`), in the
    block: say `message(exc)` (`console.say_stopped`: "WHAT: what is left; how to go on") and
    exit 130 or 143, as a shell gives them. Before, Ctrl-C ended these commands with no word and
    SIGTERM ended them as it found them (status -15): no cleanup, temporary files and locks left."""
    from veriscene.console import say_stopped
    from veriscene.engine.interrupts import exit_status, terminate_raises

    try:
        with terminate_raises():
            yield
    except KeyboardInterrupt as exc:
        say_stopped(message(exc))
        raise typer.Exit(exit_status(exc)) from None


def no_samples_read(run: str, path: Path, unreadable: int, first: str | None) -> str:
    """The error of `stats` or `card` when no sample was read, every line left out: a scene file
    given (`veriscene stats scenes.jsonl`) is said to be one, with the command that makes samples
    of it (they printed empty tables, or wrote a card of 0 samples, and exited 0)."""
    from veriscene.engine.run_inputs import _starts_with_scene

    said = f"no sample of {run} could be read: all {unreadable} line(s) left out (first: {first})"
    if path.is_file() and _starts_with_scene(path):
        said += (f"; it holds scene graphs (image_id, objects), not samples: `veriscene generate {run} --out RUN` "
                 "makes samples of them, `veriscene view` shows them")
    return f"{said}; nothing written"
