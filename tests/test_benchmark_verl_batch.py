"""benchmarks/verl_batch.py runs on a tiny input and finds the batch's rows those of compute_score
(its figures are in docs/rewards.md; no speed is checked here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize("flags", [[], ["--distinct", "--freeform"]])
def test_verl_batch_runs(flags: list[str]) -> None:
    pytest.importorskip("pyarrow")
    done = subprocess.run([sys.executable, str(BENCH / "verl_batch.py"), "--scenes", "3", "--group", "4",
                           "--rounds", "1", *flags], capture_output=True, text=True, timeout=300, cwd=BENCH)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert re.match(r"\d+ responses, \d+ rows x 4, 3 demo scenes", lines[0]) and int(lines[0].split()[0]) > 0
    assert [line.split()[0] for line in lines[2:4]] == ["one", "batch"]
    assert lines[-1].endswith("same rows: yes")
