"""The CLI's commands beyond `cli.py`'s own, each registered on the app by its module."""

from __future__ import annotations

from pathlib import Path

import typer


def local_input(arg: str) -> Path:
    """A command's run folder or samples file as a local path; one at a URL is read through a
    local copy (`veriscene.engine.fetch.readable`). Exits with the error said: 2 for what does
    not exist or is no finished run, 1 for a store that cannot be read."""
    from rich.markup import escape

    from veriscene.console import err_console
    from veriscene.engine.fetch import readable

    try:
        return readable(arg)
    except (FileNotFoundError, IsADirectoryError, ValueError) as exc:
        err_console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except RuntimeError as exc:  # RemoteError: no fsspec, no credentials, no network
        err_console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
