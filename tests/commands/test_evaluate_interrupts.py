"""`veriscene eval` stopped by SIGTERM (`kill PID`, a job scheduler) while it waits on the model's
server: said as Ctrl-C is, exit 143, its lock gone, and the same command again completes. Before:
SIGTERM ended the process with no word (status -15), its lock file left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.evaluate.fake_server import FakeServer
from veriscene.demo.pipeline import run_demo

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals")


def test_sigterm_while_waiting_on_the_server_is_said_and_the_same_command_goes_on(tmp_path: Path) -> None:
    run = tmp_path / "demo"
    run_demo(run, scenes=3, seed=3)
    asked, holding = threading.Event(), [True]

    def answer(text: str, images: list[str]) -> str:
        if holding[0]:
            asked.set()
            time.sleep(30)  # (the run is stopped meanwhile)
        return "yes"

    out = tmp_path / "eval"
    env = {**os.environ, "COLUMNS": "300"}
    with FakeServer(answer) as server:
        command = [sys.executable, "-m", "veriscene", "eval", str(run), "--model", "openai:m", "--base-url",
                   server.url, "--out", str(out), "--concurrency", "1"]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert asked.wait(60), process.communicate(timeout=60)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        holding[0] = False
        assert process.returncode == 143, stderr
        assert " ".join(stderr.split()) == (f"error: stopped by SIGTERM: the replies received are kept in {out}; "
                                            "rerun the same command to resume")
        assert not [p.name for p in out.iterdir() if p.name.startswith(".veriscene-lock")]
        again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    assert (out / "summary.json").exists()
