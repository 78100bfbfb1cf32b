"""One command's CLI, as `veriscene` registers it, run in-process for tests."""

from __future__ import annotations

from collections.abc import Callable

import typer
from typer.testing import CliRunner, Result


def command_app(register: Callable[[typer.Typer], None]) -> typer.Typer:
    """A Typer app holding the commands `register` adds, and a placeholder (a second command
    keeps typer from collapsing a one-command app, whose name would then not be taken)."""
    app = typer.Typer()
    register(app)

    @app.command("noop")
    def noop() -> None:
        """Placeholder."""

    return app


def invoke(register: Callable[[typer.Typer], None], *args: str) -> Result:
    """Run `veriscene ARGS` with the commands `register` adds."""
    return CliRunner().invoke(command_app(register), list(args))
