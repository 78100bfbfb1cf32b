"""`veriscene export` stopped by Ctrl-C or SIGTERM while it writes: said, exit 130 or 143, no
temporary file or lock left, and the same command again exports. Before: Ctrl-C exited 130 with
no word, and SIGTERM ended the process with no word (status -15), leaving the file written so
far hidden beside --out (`.llava.json.<pid>-<random>.tmp`) and its lock file."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.held_cli import said, stopped_when_held
from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.generate import generate
from veriscene.scene import write_scenes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals, fork")

# The CLI in a process whose first write to its output file (through a temporary file) writes
# the file argv[1] and waits (for the signal)
HELD_WRITE = '''
import sys, time
from pathlib import Path

import veriscene.io.writers.files as files
real = files.AtomicTextFile.write

def held(self, text):
    real(self, text)
    if not Path(sys.argv[1]).exists():
        Path(sys.argv[1]).write_text("writing")
        time.sleep(60)

files.AtomicTextFile.write = held
from veriscene.cli import app
app(sys.argv[2:], prog_name="veriscene")
'''


@pytest.mark.parametrize(("signum", "status", "what"), [
    (signal.SIGINT, 130, "interrupted (Ctrl-C)"),
    (signal.SIGTERM, 143, "stopped by SIGTERM"),
])
def test_an_interrupted_export_says_so_leaves_nothing_and_the_same_command_exports(
        tmp_path: Path, signum: int, status: int, what: str) -> None:
    scenes = tmp_path / "in" / "scenes.jsonl"
    write_scenes(iter_scene_graphs(8, seed=1), scenes)
    run = tmp_path / "run"
    generate(scenes, run, generators="counting")
    out = tmp_path / "out"
    command = ["export", str(run), "--to", "llava", "--out", str(out)]
    process = stopped_when_held(tmp_path / "held_write.py", HELD_WRITE, tmp_path / "writing", signum, *command)
    stderr = process.stderr
    assert process.returncode == status, stderr
    assert said(stderr) == (f"{what}: the export to {out} did not finish; run the same command again "
                                        "to make it (it starts over)")
    assert not out.exists() or list(out.iterdir()) == []  # no temporary file, no lock
    again = subprocess.run([sys.executable, "-m", "veriscene", *command], capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr
    records = orjson.loads((out / "llava.json").read_bytes())
    assert len(records) == len((run / "samples.jsonl").read_bytes().splitlines()) > 0
