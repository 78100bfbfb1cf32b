"""A conversion killed part-way (kill -9) leaves hidden temporaries in the run folder; the next
conversion there (the run resumed, or started again) removes those of processes no longer running."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.io.test_convert import _coco
from veriscene import generate
from veriscene.engine.converted import left_by_the_dead


def _dead_pid() -> int:
    """The id of a process that has ended."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_a_killed_conversions_temporaries_are_removed(tmp_path: Path) -> None:
    src, out = _coco(tmp_path / "instances.json"), tmp_path / "run"
    out.mkdir()
    dead, alive = _dead_pid(), os.getpid()
    left = [out / f".scenes.jsonl.{dead}.tmp", out / f".convert_rejects.jsonl.{dead}.tmp",
            out / f".scenes.source.json.{dead}.tmp"]
    for path in left:
        path.write_bytes(b'{"half": "a scene')
    live = out / f".scenes.jsonl.{alive}.tmp.other"  # not one of ours: left alone
    live.write_text("x")
    summary = generate(src, out, from_format="coco", generators="object.*", reader_options={"masks": False})
    assert summary.samples > 0
    assert not any(path.exists() for path in left) and live.exists()


def test_a_running_conversions_temporary_stays(tmp_path: Path) -> None:
    mine = tmp_path / f".scenes.jsonl.{os.getpid()}.tmp"
    mine.write_text("converting")
    gone = tmp_path / f".scenes.jsonl.{_dead_pid()}.tmp"
    gone.write_text("killed")
    assert left_by_the_dead(tmp_path) == [gone] and mine.exists() and not gone.exists()
