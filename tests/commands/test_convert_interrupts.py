"""`veriscene convert` stopped by Ctrl-C or SIGTERM while it writes the scene file: said, exit 130
or 143, the scene file as it was and no temporary file beside it, and the same command again
converts. Before: Ctrl-C exited 130 with no word, and SIGTERM ended the process with no word
(status -15), leaving the scene file written so far hidden beside `out` (`.<out>.<pid>.tmp`)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.held_cli import said, stopped_when_held
from veriscene.demo.world import iter_scene_graphs
from veriscene.scene import read_scenes, write_scenes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals, fork")

# The CLI in a process whose scene file, once opened, writes the file argv[1] and waits (for the signal)
HELD_WRITE = '''
import sys, time
from pathlib import Path

import veriscene.io.convert as convert
real = convert.create_scene_file

def held(*args, **kwargs):
    opened = real(*args, **kwargs)
    Path(sys.argv[1]).write_text("writing")
    time.sleep(60)
    return opened

convert.create_scene_file = held
from veriscene.cli import app
app(sys.argv[2:], prog_name="veriscene")
'''


@pytest.mark.parametrize(("signum", "status", "what"), [
    (signal.SIGINT, 130, "interrupted (Ctrl-C)"),
    (signal.SIGTERM, 143, "stopped by SIGTERM"),
])
def test_an_interrupted_conversion_says_so_and_leaves_the_scene_file_as_it_was(
        tmp_path: Path, signum: int, status: int, what: str) -> None:
    given = tmp_path / "in" / "scenes.jsonl"
    write_scenes(iter_scene_graphs(6, seed=1), given)
    out = tmp_path / "out" / "scenes.jsonl"
    write_scenes(iter_scene_graphs(2, seed=2), out)  # an earlier conversion's
    before = out.read_bytes()
    command = ["convert", str(given), "--out", str(out)]
    run = stopped_when_held(tmp_path / "held_write.py", HELD_WRITE, tmp_path / "writing", signum, *command)
    stderr = run.stderr
    assert run.returncode == status, stderr
    assert said(stderr) == (f"{what}: nothing was written to {out} (it is written whole or not at "
                                        "all); run the same command again")
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["scenes.jsonl"]  # no temporary file, no lock
    again = subprocess.run([sys.executable, "-m", "veriscene", *command], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert [s.image_id for s in read_scenes(out)] == [s.image_id for s in read_scenes(given)]
