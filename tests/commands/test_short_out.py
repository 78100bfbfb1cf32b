"""Every command that writes takes `-o` for `--out` (helper-197: `export` and `split` did not, so
`veriscene export RUN --to llava -o x.json`, as `generate -o` is written, was "No such option: -o")."""

from __future__ import annotations

from typer.main import get_command

from veriscene.cli import app


def test_every_out_option_has_its_short_form() -> None:
    commands = get_command(app).commands  # type: ignore[attr-defined]
    without = sorted(name for name, command in commands.items() for p in command.params
                     if "--out" in getattr(p, "opts", ()) and "-o" not in p.opts)
    assert without == [], without
