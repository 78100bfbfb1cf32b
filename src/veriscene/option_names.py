"""How an error names an option: as its caller gave it.

The Python API and the CLI raise the same errors. An option is named as the caller wrote it:
``base_url`` to a Python caller of `evaluate(..., base_url=...)`, ``--base-url`` to the user of
``veriscene eval --base-url``, not both (errors said "--base-url (Python: base_url=)" before, to
either caller). The CLI runs every command inside `cli_names` (`veriscene.cli.main`); an error
made meanwhile names its options as `option(python, cli)` answers.

The setting is the process's, not a thread's: a model's requests are sent from worker threads,
whose errors the command says too. A forked worker process inherits it; a Ray worker, or one
started by spawn or a forkserver (annotate's workers off Linux, or once Ray is running), does not:
its errors name the Python options. (An environment variable would reach those, but a Ray
instance or a forkserver outliving the command would keep it for later Python calls.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

_CLI = [False]  # whether a command of the CLI is running (`cli_names`)


@contextmanager
def cli_names() -> Iterator[None]:
    """Errors made in the block name the CLI's options (`option`); as before after it."""
    before = set_cli_names(True)
    try:
        yield
    finally:
        set_cli_names(before)


def set_cli_names(on: bool) -> bool:
    """Name the CLI's options (True) or the Python ones (False) from now on; the setting before.
    For a command's start and end (`veriscene.cli.main`, which cannot hold a `with` block)."""
    before = _CLI[0]
    _CLI[0] = on
    return before


def option(python: str, cli: str) -> str:
    """`cli` ("--base-url") while a CLI command runs, else `python` ("base_url")."""
    return cli if _CLI[0] else python
