"""One command's CLI, as `veriscene` registers it, run in-process for tests."""

from __future__ import annotations

from collections.abc import Callable

import typer
from typer.testing import CliRunner, Result

from veriscene.option_names import set_cli_names


def command_app(register: Callable[[typer.Typer], None]) -> typer.Typer:
    """A Typer app holding the commands `register` adds, and a placeholder (a second command
    keeps typer from collapsing a one-command app, whose name would then not be taken). Its
    messages name the CLI's options, as under `veriscene.cli.main` (`option_names`)."""
    app = typer.Typer()

    @app.callback()
    def main(ctx: typer.Context) -> None:
        before = set_cli_names(True)
        ctx.call_on_close(lambda: set_cli_names(before))

    register(app)

    @app.command("noop")
    def noop() -> None:
        """Placeholder."""

    return app


def invoke(register: Callable[[typer.Typer], None], *args: str) -> Result:
    """Run `veriscene ARGS` with the commands `register` adds."""
    return CliRunner().invoke(command_app(register), list(args))
