"""What a `veriscene` command imports before it runs: `veriscene --help`, `--version` and each command
start with typer and the commands' definitions, not with the engine, the readers, the writers or numpy
(0.6 s of every start, and of every test that runs the command line in a process)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# each a module that costs a tenth of a second or more, or pulls such modules in
_HEAVY = ("numpy", "veriscene.engine", "veriscene.io.readers", "veriscene.io.writers", "veriscene.io.convert",
          "veriscene.scene", "veriscene.generators")


def _imported(code: str, heavy: tuple[str, ...] = _HEAVY, **env: str) -> list[str]:
    """The heavy modules imported once `code` has run, said on the last line of its error output
    (its standard output is the command's)."""
    probe = f"import sys\n{code}\nprint(*[m for m in {heavy!r} if m in sys.modules], file=sys.stderr)"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env={**os.environ, **env})
    return run.stderr.splitlines()[-1].split() if run.stderr.strip() else []


def test_the_command_line_module_imports_no_heavy_module() -> None:
    assert _imported("import veriscene.cli") == []


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["generate", "--help"], ["convert", "--help"]])
def test_help_and_version_import_no_heavy_module(args: list[str]) -> None:
    code = f"from veriscene.cli import app\ntry:\n    app({args!r})\nexcept SystemExit:\n    pass"
    assert _imported(code, VERISCENE_MAX_IMAGE_PIXELS="") == []


def test_a_pixel_limit_in_the_environment_is_read_at_start() -> None:
    """Set, VERISCENE_MAX_IMAGE_PIXELS is read (and a bad value said) before the command runs."""
    run = subprocess.run([sys.executable, "-m", "veriscene", "generators", "--json"], capture_output=True, text=True,
                         env={**os.environ, "VERISCENE_MAX_IMAGE_PIXELS": "many"})
    assert run.returncode == 2 and "VERISCENE_MAX_IMAGE_PIXELS='many': expected a positive number" in run.stderr


def test_the_console_imports_no_heavy_module() -> None:
    """Every command that prints, and every error a command says (`commands.fail`), imports
    veriscene.console: its summaries' types are annotations only (the engine's manifest, which it
    uses, is light now that the engine package imports its `generate` when asked)."""
    heavy = ("numpy", "veriscene.verify", "veriscene.engine.generate", "veriscene.generators", "veriscene.scene")
    assert _imported("import veriscene.console", heavy) == []
