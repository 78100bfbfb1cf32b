"""The CLI's commands beyond `cli.py`'s own, each registered on the app by its module."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer


def fail(message: str, code: int = 2) -> NoReturn:
    """Say the error on stderr and exit with `code` (2: bad input or usage, 1: the run failed)."""
    from rich.markup import escape

    from veriscene.console import err_console

    err_console.print(f"[red]error:[/] {escape(message)}", soft_wrap=True)  # a path whole, to copy
    raise typer.Exit(code)


def local_input(arg: str) -> Path:
    """A command's run folder or samples file as a local path; one at a URL is read through a
    local copy (`veriscene.engine.fetch.readable`). Exits with the error said: 2 for what does
    not exist or is no finished run, 1 for a store that cannot be read."""
    from veriscene.engine.fetch import readable

    try:
        return readable(arg)
    except (FileNotFoundError, IsADirectoryError, ValueError) as exc:
        fail(str(exc))
    except RuntimeError as exc:  # RemoteError: no fsspec, no credentials, no network
        fail(str(exc), code=1)
