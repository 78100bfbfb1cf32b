"""The commands that keep nothing of a stopped run (`verify`, `stats`, `card`, `split`, `demo`,
`publish`, `compare`, `score-freeform`, `view --html`), stopped by Ctrl-C or SIGTERM as they work:
one line saying what stopped them, what is (not) written and how to go on, exit 130 or 143, and no
temporary file or lock left. Before: Ctrl-C ended each with no word (exit 130), and SIGTERM ended
each as it found it (status -15), `split` leaving its temporary files and lock behind. (`view`
serving stops quietly on Ctrl-C, exit 0, as it says it does: tested here too.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.held_cli import said, stopped_when_held
from veriscene.demo.pipeline import run_demo

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals, fork")

SIGNALS = [(signal.SIGINT, 130, "interrupted (Ctrl-C)"), (signal.SIGTERM, 143, "stopped by SIGTERM")]

# The CLI in a process where `module.name` writes the file argv[1] and waits (for the signal)
HELD = '''
import importlib, sys, time
from pathlib import Path

module = importlib.import_module("{module}")
real = module.{name}

def held(*args, **kwargs):
    Path(sys.argv[1]).write_text("held")
    time.sleep(60)
    return real(*args, **kwargs)

module.{name} = held
from veriscene.cli import app
app(sys.argv[2:], prog_name="veriscene")
'''


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("stopped") / "demo"
    run_demo(run, scenes=3, seed=1)
    return run


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def _stopped(tmp_path: Path, held: str, signum: int, *args: str) -> subprocess.CompletedProcess[str]:
    module, name = held.split(":")
    return stopped_when_held(tmp_path / "held.py", HELD.format(module=module, name=name), tmp_path / "ready",
                             signum, *args)


@pytest.mark.parametrize(("signum", "status", "what"), SIGNALS)
def test_verify(demo: Path, tmp_path: Path, signum: int, status: int, what: str) -> None:
    before = _files(demo)
    stopped = _stopped(tmp_path, "veriscene.verify:verify", signum, "verify", str(demo))
    assert stopped.returncode == status, stopped.stderr
    assert said(stopped.stderr) == (f"{what}: the verification of {demo} did not finish (it writes nothing); run "
                                    "the same command again to verify it (it starts over)")
    assert _files(demo) == before


@pytest.mark.parametrize(("signum", "status", "what"), SIGNALS)
def test_stats(demo: Path, tmp_path: Path, signum: int, status: int, what: str) -> None:
    stopped = _stopped(tmp_path, "veriscene.stats:stats", signum, "stats", str(demo), "--no-chart")
    assert stopped.returncode == status, stopped.stderr
    assert said(stopped.stderr) == (f"{what}: the statistics of {demo} did not finish, and nothing was written (the "
                                    "chart is drawn last); run the same command again (it starts over)")


@pytest.mark.parametrize(("signum", "status", "what"), SIGNALS)
def test_card(demo: Path, tmp_path: Path, signum: int, status: int, what: str) -> None:
    out = tmp_path / "card"
    stopped = _stopped(tmp_path, "veriscene.card:card_facts", signum, "card", str(demo), "--out", str(out))
    assert stopped.returncode == status, stopped.stderr
    assert said(stopped.stderr) == (f"{what}: the card was not written (it is written once the run is read); run "
                                    "the same command again to write it (it starts over)")
    assert _files(out) == []


@pytest.mark.parametrize(("signum", "status", "what"), SIGNALS)
def test_split(demo: Path, tmp_path: Path, signum: int, status: int, what: str) -> None:
    out = tmp_path / "split"
    command = ["split", str(demo / "scenes.jsonl"), "--out", str(out)]
    stopped = _stopped(tmp_path, "veriscene.io.split:_split_file", signum, *command)  # its files begun
    assert stopped.returncode == status, stopped.stderr
    assert said(stopped.stderr) == (f"{what}: the split into {out} did not finish, and none of its files was written "
                                    "(they are written whole, at the end); run the same command again (it starts "
                                    "over)")
    assert not out.exists()  # made for its lock and temporary files: gone with them
    again = subprocess.run([sys.executable, "-m", "veriscene", *command], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert _files(out) == ["split.json", "split_rejects.jsonl", "test.jsonl", "train.jsonl"]


@pytest.mark.parametrize(("signum", "status", "what"), SIGNALS)
def test_demo(tmp_path: Path, signum: int, status: int, what: str) -> None:
    out = tmp_path / "demo"
    command = ["demo", "--out", str(out), "--scenes", "3", "--seed", "1"]
    stopped = _stopped(tmp_path, "veriscene.demo.pipeline:_export_llava", signum, *command)  # after generating
    assert stopped.returncode == status, stopped.stderr
    assert said(stopped.stderr) == (f"{what}: the demo in {out} did not finish; run the same command again to make it "
                                    "(it starts over, replacing what the stopped one wrote)")
    assert not [name for name in _files(out) if name.startswith(".veriscene-lock")]
    again = subprocess.run([sys.executable, "-m", "veriscene", *command], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert (out / "llava.json").stat().st_size > 0


@pytest.mark.parametrize(("signum", "status", "what"), SIGNALS)
def test_compare(demo: Path, tmp_path: Path, signum: int, status: int, what: str) -> None:
    out = tmp_path / "compared"
    stopped = _stopped(tmp_path, "veriscene.evaluate:compare", signum, "compare", str(demo), str(demo), "--out",
                       str(out))
    assert stopped.returncode == status, stopped.stderr
    assert said(stopped.stderr) == (f"{what}: the comparison did not finish, and nothing was written to {out} "
                                    "(compare.md and compare.html are written last); run the same command again (it "
                                    "starts over)")
    assert _files(out) == []


@pytest.mark.parametrize(("signum", "status", "what"), SIGNALS)
def test_score_freeform(demo: Path, tmp_path: Path, signum: int, status: int, what: str) -> None:
    replies, out = tmp_path / "replies.jsonl", tmp_path / "scores.jsonl"
    replies.write_text('{"image_id": "demo-000000", "reply": "A red circle."}\n')
    stopped = _stopped(tmp_path, "veriscene.evaluate:score_freeform", signum, "score-freeform", str(replies),
                       "--scenes", str(demo / "scenes.jsonl"), "--out", str(out))
    assert stopped.returncode == status, stopped.stderr
    assert said(stopped.stderr) == (f"{what}: the scoring did not finish, and nothing was written to {out} (it is "
                                    "written once every reply is scored); run the same command again (it starts "
                                    "over)")
    assert not out.exists()


@pytest.mark.parametrize(("signum", "status", "what"), SIGNALS)
def test_view_html(demo: Path, tmp_path: Path, signum: int, status: int, what: str) -> None:
    page = tmp_path / "page.html"
    stopped = _stopped(tmp_path, "veriscene.viewer.static:page", signum, "view", str(demo), "--html", str(page))
    assert stopped.returncode == status, stopped.stderr
    assert said(stopped.stderr) == (f"{what}: the page was not written to {page} (it is written once every sample is "
                                    "drawn); run the same command again to write it (it starts over)")
    assert not page.exists()


@pytest.mark.parametrize(("signum", "status", "what"), SIGNALS)
def test_publish_dry_run(demo: Path, tmp_path: Path, signum: int, status: int, what: str) -> None:
    pytest.importorskip("huggingface_hub")
    stopped = _stopped(tmp_path, "veriscene.publish:publish", signum, "publish", str(demo), "someone/data",
                       "--dry-run")
    assert stopped.returncode == status, stopped.stderr
    assert said(stopped.stderr).endswith(f"{what}: the dry run did not finish (nothing was sent); run the same "
                                         "command again")  # after the note on one commit, where it is said


def test_a_page_served_stops_quietly_on_ctrl_c(demo: Path) -> None:
    served = subprocess.Popen([sys.executable, "-m", "veriscene", "view", str(demo), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
                              env={**os.environ, "COLUMNS": "300"})
    assert served.stdout is not None and "(Ctrl-C to stop)" in served.stdout.readline()
    served.send_signal(signal.SIGINT)
    _, stderr = served.communicate(timeout=60)
    assert served.returncode == 0 and stderr == ""
