"""`veriscene annotate` stopped by Ctrl-C or SIGTERM, as a process: what it says is true of what
it leaves. Before the first image is done, nothing is kept (nor its empty partial file, notes and
reject report, nor the folder made for them) and the same command starts over; after, the images
done are kept and --resume goes on. Said as generate, convert and export say it ("interrupted
(Ctrl-C): ..."). Before: SIGTERM ended the run with no word (status -15, its lock files left),
Ctrl-C before the first image spoke of images kept, then said that none was kept while the run's
.OUT.partial, .OUT.retry.jsonl and rejects.jsonl stayed; Ctrl-C was said "interrupted: ..."."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("httpx")  # in the test extra: never skipped by `make test`

from tests.annotate.test_pipeline import draw_scene  # noqa: E402
from tests.annotate.test_server_faults import CUP, StatusServer  # noqa: E402

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals, fork")


def _ctrl_c_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # (a background shell's child would ignore it)


def _env() -> dict[str, str]:
    return {**os.environ, "COLUMNS": "300"}


def _stopped_at_image(tmp_path: Path, held: int, signum: int) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """`veriscene annotate` of 3 images, sent `signum` while the server holds its answer about
    image `held` (0-based; one request at a time); then the command to run again."""
    for k in range(3):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    asked, holding = threading.Event(), [True]
    calls: list[int] = []

    def answer(text: str, images: list[str]) -> str | int:
        calls.append(1)
        if holding[0] and len(calls) > held:
            asked.set()
            time.sleep(30)  # (the run is stopped meanwhile)
        return CUP

    server = StatusServer(answer)
    with server:
        command = [sys.executable, "-m", "veriscene", "annotate", str(tmp_path / "photos"), "--detector-model",
                   "fake-vlm", "--out", str(tmp_path / "run" / "s.jsonl"), "--concurrency", "1",
                   "--base-url", server.url]
        run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_ctrl_c_default, env=_env())
        assert asked.wait(60), run.communicate(timeout=60)
        run.send_signal(signum)
        stdout, stderr = run.communicate(timeout=60)
        holding[0] = False
        stopped = subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr)
        return stopped, command


def _again(command: list[str], *extra: str) -> subprocess.CompletedProcess[str]:
    # the server of the stopped run is gone: the same answers from a new one
    url = command.index("--base-url") + 1
    with StatusServer(lambda text, images: CUP) as server:
        return subprocess.run([*command[:url], server.url, *command[url + 1:], *extra], capture_output=True,
                              text=True, env=_env(), timeout=300)


@pytest.mark.parametrize(("signum", "status", "what"), [
    (signal.SIGINT, 130, "interrupted (Ctrl-C)"),
    (signal.SIGTERM, 143, "stopped by SIGTERM"),
])
def test_stopped_before_the_first_image_it_says_nothing_is_kept_and_the_same_command_runs(
        tmp_path: Path, signum: int, status: int, what: str) -> None:
    stopped, command = _stopped_at_image(tmp_path, 0, signum)
    out = tmp_path / "run" / "s.jsonl"
    assert stopped.returncode == status, stopped.stderr
    assert " ".join(stopped.stderr.split()) == (f"{what}: no image was done, and nothing of the run is kept beside "
                                                f"{out}; run the same command again to start it over")
    assert not out.parent.exists()  # made by the run for its files: gone with them, its locks too
    done = _again(command)
    assert done.returncode == 0, done.stderr
    assert len(out.read_text().splitlines()) == 3


def test_stopped_after_an_image_by_sigterm_it_says_the_images_done_are_kept_and_resume_goes_on(
        tmp_path: Path) -> None:
    stopped, command = _stopped_at_image(tmp_path, 1, signal.SIGTERM)
    out = tmp_path / "run" / "s.jsonl"
    assert stopped.returncode == 143, stopped.stderr
    assert " ".join(stopped.stderr.split()) == (f"stopped by SIGTERM: the images done are kept beside {out}; run the "
                                                "same command again with --resume to go on from them")
    done = _again(command, "--resume")
    assert done.returncode == 0, done.stderr
    assert len(out.read_text().splitlines()) == 3

