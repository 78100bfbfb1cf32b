"""The command line's progress bars, drawn on a terminal (CliRunner's output is not one, so the
commands' tests draw none)."""

import io

from rich.console import Console

from veriscene import console


def test_progress_bars_draw_with_and_without_a_total(monkeypatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(console, "err_console", Console(file=screen, force_terminal=True, width=120))
    for total in (None, 40):  # with a total, rich has no speed until it has measured one: drawn blank
        with console.progress_bar("exporting", total) as advance:
            for _ in range(40):
                advance(1)
    drawn = screen.getvalue()
    assert "exporting" in drawn and "40/40" in drawn and "left" in drawn
