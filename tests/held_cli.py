"""The veriscene CLI in another process, held at a chosen moment and sent a signal there, for the
tests of what a command says and leaves when Ctrl-C or SIGTERM stops it. Linux only (signals,
`preexec_fn`): the tests using it skip elsewhere."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# The CLI in a process whose scan writes the file argv[1] and waits there (for the signal)
HELD_SCAN = '''
import importlib, sys, time
from pathlib import Path

generate = importlib.import_module("veriscene.engine.generate")
real = generate.scan_scenes

def held(*args, **kwargs):
    Path(sys.argv[1]).write_text("in the scan")
    time.sleep(60)
    return real(*args, **kwargs)

generate.scan_scenes = held
from veriscene.cli import app
app(sys.argv[2:], prog_name="veriscene")
'''


def _ctrl_c_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # (a background shell's child would ignore it)


def stopped_when_held(script: Path, text: str, ready: Path, signum: int,
                      *args: str) -> subprocess.CompletedProcess[str]:
    """Run `text` (written to `script`: a Python program that patches a function of veriscene to
    write the file argv[1] and wait, then runs the CLI on argv[2:]) with `ready` and `args`; once
    `ready` exists, send it `signum`. The finished process, its output on one line per message
    (`COLUMNS=300`)."""
    script.write_text(text)
    ready.unlink(missing_ok=True)
    run = subprocess.Popen([sys.executable, str(script), str(ready), *args], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, preexec_fn=_ctrl_c_default,
                           env={**os.environ, "COLUMNS": "300"})
    deadline = time.monotonic() + 60
    while not ready.exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert run.poll() is None, run.communicate()
    run.send_signal(signum)
    stdout, stderr = run.communicate(timeout=60)
    return subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr)


def said(text: str) -> str:
    """`text` with its white space made single spaces (a message however the console wrapped it)."""
    return " ".join(text.split())
