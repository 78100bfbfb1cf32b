"""Progress off a terminal (`veriscene.plain_progress`): a command whose standard error is a pipe
or a file prints a plain line every VERISCENE_PROGRESS_SECONDS with the figures its bar shows; on
a terminal the bar is drawn as before and no line is printed."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from rich.console import Console

from veriscene import console
from veriscene.plain_progress import PROGRESS_ENV, PlainLines, clock, progress_seconds

LINE = re.compile(r"^generating: (\d[\d,]*)/40 scenes, (\d[\d,]*) samples, [\d,]+ scenes/s, [\d,]+ samples/s, "
                  r"elapsed \d+:\d\d:\d\d, left (\d+:\d\d:\d\d|-)$")
# before the scan has counted the scenes: no total, no time left
UNCOUNTED = re.compile(r"^generating: 0 scenes, 0 samples, 0 scenes/s, 0 samples/s, elapsed \d+:\d\d:\d\d$")


def _off_terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    screen = io.StringIO()
    monkeypatch.setattr(console, "err_console", Console(file=screen, width=120, force_terminal=False))
    return screen


def _until(screen: io.StringIO, lines: int) -> list[str]:
    """The lines printed once there are `lines` of them (waited for, whatever the machine's speed)."""
    for _ in range(2000):
        if screen.getvalue().count("\n") >= lines:
            break
        threading.Event().wait(0.005)
    return screen.getvalue().splitlines()


def test_the_period_is_the_argument_else_the_variable_else_30_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROGRESS_ENV, raising=False)
    assert progress_seconds() == 30.0
    monkeypatch.setenv(PROGRESS_ENV, " 5 ")
    assert progress_seconds() == 5.0 and progress_seconds(0) == 0.0 and progress_seconds(2.5) == 2.5
    for bad in ("soon", "-1", "inf", "nan"):
        monkeypatch.setenv(PROGRESS_ENV, bad)
        with pytest.raises(ValueError, match=rf"^{PROGRESS_ENV}='{bad}': give a number of seconds, 0 or more"):
            progress_seconds()
    with pytest.raises(ValueError, match=r"^every='-2': give a number of seconds"):
        progress_seconds(-2)
    assert clock(3725.9) == "1:02:05" and clock(None) == "-"


def test_a_bar_off_a_terminal_prints_a_plain_line_every_period(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = _off_terminal(monkeypatch)
    with console.progress_bar("exporting", 1000, every=0.01) as advance:
        advance(250)
        lines = _until(screen, 1)
    assert lines and all("\x1b" not in line for line in lines)
    assert re.fullmatch(r"exporting: 250/1,000 \(25%\), ([\d,]+/s, )?elapsed 0:00:\d\d, left (\d+:\d\d:\d\d|-)",
                        lines[0]), lines


def test_generate_s_display_prints_scenes_samples_rates_and_the_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = _off_terminal(monkeypatch)
    with console.run_progress(every=0.01) as (scanned, advance, counted):
        scanned(500, 1000)
        counted(40)
        scanned(500, 1000)  # the scan is over: its line stops, generating's starts
        advance(10, 800)
        lines = _until(screen, 1)
        screen.truncate(0)
        screen.seek(0)
        lines = _until(screen, 1)
    assert lines and all(LINE.match(line) for line in lines), lines
    done = LINE.match(lines[-1])
    assert done is not None and done.group(1) == "10" and done.group(2) == "800" and done.group(3) != "-"


def test_nothing_is_printed_for_a_run_shorter_than_the_period(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = _off_terminal(monkeypatch)
    with console.progress_bar("verifying", 10, every=60) as advance:
        advance(10)
    with console.stage_bars(every=0) as shown:  # 0: no lines at all
        shown("evaluating", 3, 30)
        threading.Event().wait(0.05)
    assert screen.getvalue() == ""


def test_a_terminal_draws_its_bar_and_no_plain_line(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(console, "err_console", Console(file=screen, force_terminal=True, width=120))
    with console.progress_bar("exporting", 40, every=0.01) as advance:
        advance(40)
        threading.Event().wait(0.1)
    assert "40/40" in screen.getvalue() and "exporting: " not in screen.getvalue()


def test_lines_stop_when_their_file_cannot_be_written() -> None:
    class Closed(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError("closed")

    with PlainLines(lambda: ["a line"], Closed(), 0.001):
        threading.Event().wait(0.05)  # the thread ended on its first write, and said nothing


def test_generate_with_standard_error_a_pipe_prints_progress_lines(tmp_path: Path) -> None:
    from veriscene.demo.world import iter_scene_graphs
    from veriscene.scene import write_scenes

    write_scenes(iter_scene_graphs(40, seed=3), tmp_path / "scenes.jsonl")
    env = {**os.environ, PROGRESS_ENV: "0.01", "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "veriscene", "generate", str(tmp_path / "scenes.jsonl"), "--out",
                           str(tmp_path / "run")], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    said = [line for line in lines if LINE.match(line)]
    assert said, done.stderr
    assert all(LINE.match(line) or UNCOUNTED.match(line) or line.startswith("scanning: ") for line in lines), done.stderr
    assert LINE.match(said[-1]).group(1) != "0"  # type: ignore[union-attr]
    assert "\x1b" not in done.stderr


def test_a_bad_period_is_said_by_every_command_before_any_work() -> None:
    env = {**os.environ, PROGRESS_ENV: "often"}
    done = subprocess.run([sys.executable, "-m", "veriscene", "generators"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"error: {PROGRESS_ENV}='often': give a number of seconds, 0 or more"), done.stderr


def test_a_resumed_run_s_rates_and_time_left_count_only_the_work_done_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shards a resume keeps are told at once (`kept`): counted in the scenes done, not in the
    rates, which would otherwise be many times the real ones and the time left far too short."""
    from functools import partial

    from rich.progress import Progress

    now = [0.0]
    monkeypatch.setattr(console, "Progress", partial(Progress, get_time=lambda: now[0]))
    screen = _off_terminal(monkeypatch)
    with console.generate_progress(every=0.01) as shown:
        shown["scan_progress"](100, 100)
        shown["counted"](2000)
        shown["progress"](1800, 144000)  # the kept shards, at once
        shown["kept"](1800, 144000)
        now[0] = 10.0
        shown["progress"](10, 800)  # made now, in 10 s
        lines = _until(screen, 1)
    assert lines[0] == ("generating: 1,810/2,000 scenes, 144,800 samples, 1 scenes/s, 80 samples/s, elapsed 0:00:10, "
                        "left 0:03:10"), lines
