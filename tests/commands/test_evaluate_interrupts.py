"""`veriscene eval` stopped by Ctrl-C or SIGTERM (`kill PID`, a job scheduler) while it waits on
the model's server: said as generate, convert and export say it (no "error:", which a stop is
not), exit 130 or 143, its lock gone, and the same command again completes. Before: SIGTERM ended
the process with no word (status -15), its lock file left; then both were said as errors
("error: interrupted: ... rerun the same command to resume")."""

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


@pytest.mark.parametrize(("signum", "status", "what"), [
    (signal.SIGINT, 130, "interrupted (Ctrl-C)"),
    (signal.SIGTERM, 143, "stopped by SIGTERM"),
])
def test_stopped_while_waiting_on_the_server_is_said_and_the_same_command_goes_on(
        tmp_path: Path, signum: int, status: int, what: str) -> None:
    run = tmp_path / "demo"
    run_demo(run, scenes=3, seed=3)
    asked, holding, calls = threading.Event(), [True], [0]

    def answer(text: str, images: list[str]) -> str:
        calls[0] += 1
        if holding[0] and calls[0] > 1:  # held at the second request: one reply received
            asked.set()
            time.sleep(30)  # (the run is stopped meanwhile)
        return "yes"

    out = tmp_path / "eval"
    env = {**os.environ, "COLUMNS": "300"}
    with FakeServer(answer) as server:
        # (free-form descriptions scored by the lexical matcher: the default, minilm when installed,
        # imports sentence-transformers and torch in the run that completes, 5-10 s of a test about
        # stopping; minilm scoring is tested in tests/evaluate)
        command = [sys.executable, "-m", "veriscene", "eval", str(run), "--model", "openai:m", "--base-url",
                   server.url, "--out", str(out), "--concurrency", "1", "--freeform", "lexical"]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        assert asked.wait(60), process.communicate(timeout=60)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
        holding[0] = False
        assert process.returncode == status, stderr
        assert " ".join(stderr.split()) == (f"{what}: the replies received are kept in {out}; run the same command "
                                            "again to go on from them (it resumes)")
        assert not [p.name for p in out.iterdir() if p.name.startswith(".veriscene-lock")]
        again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    assert (out / "summary.json").exists()
