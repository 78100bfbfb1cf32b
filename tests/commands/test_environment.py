"""`veriscene --help` lists every environment variable veriscene reads (`commands.environment`), as
the README names them: a setting is learnable from the command line alone."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.commands.environment import ENVIRONMENT

ROOT = Path(__file__).resolve().parents[2]
# read by veriscene but not a user's setting: why each is left out of the help
NOT_LISTED = {"VERISCENE_COMPILE_MODULES": "a developer's choice of the modules setup.py compiles (docs: Development)"}


def test_every_variable_read_is_listed_in_the_help_and_the_readme() -> None:
    read = {name for path in (ROOT / "src" / "veriscene").rglob("*.py")
            for name in re.findall(r"\bVERISCENE_[A-Z_]+\b", path.read_text())}
    listed = {name for name, _ in ENVIRONMENT}
    assert read - set(NOT_LISTED) <= listed and set(NOT_LISTED) <= read
    shown = " ".join(CliRunner().invoke(app, ["--help"], env={"COLUMNS": "100"}).output.split())
    readme = (ROOT / "README.md").read_text()
    for name, text in ENVIRONMENT:
        assert f"{name}: {' '.join(text.split()[:4])}" in shown, name
        assert name in readme, name
    assert shown.index("Commands") < shown.index("Environment variables")  # after the commands
