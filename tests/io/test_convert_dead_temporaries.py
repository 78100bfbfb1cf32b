"""A conversion killed part-way (kill -9) leaves its hidden temporaries beside the output (the
partial scene file, as large as the part converted): the next conversion there removes those of
processes no longer running, and leaves a live one's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from veriscene.io.convert import convert


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(done.stdout)


def test_the_next_conversion_removes_a_dead_ones_temporaries(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"schema_version": 1, "image_id": "a", "width": 10, "height": 10,
                               "objects": [{"name": "cup", "box": [0, 0, 5, 5], "attributes": []}],
                               "relations": []}) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    dead, live = _dead_pid(), subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        left = [out / f".s.jsonl.{dead}.tmp", out / f".rejects.jsonl.{dead}.tmp"]
        kept = [out / f".s.jsonl.{live.pid}.tmp", out / "other.tmp", out / f".t.jsonl.{dead}.tmp"]
        for path in left + kept:
            path.write_bytes(b"part")
        summary = convert(src, out / "s.jsonl", "veriscene_jsonl")
        assert summary.scenes_written == 1
        assert not any(p.exists() for p in left)
        assert all(p.exists() for p in kept)  # a live process's, and files of other names
    finally:
        live.kill()
        live.wait()
