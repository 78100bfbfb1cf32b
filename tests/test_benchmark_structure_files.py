"""benchmarks/structure_files.py still runs (on a tiny input): a folder of one mask file per
structure and the one label map of the same structures, read alike (helper-218). Its figures are
in its docstring and the commit messages; no speed is checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize("cases", [1, 2])  # a case folder; the dataset's root, a folder of cases
def test_structure_files_benchmark(tmp_path: Path, cases: int) -> None:
    done = subprocess.run([sys.executable, str(BENCH / "structure_files.py"), "--cases", str(cases), "--size", "32",
                           "--slices", "12", "--structures", "30", "--repeats", "1", "--cache", str(tmp_path)],
                          capture_output=True, text=True, timeout=240, cwd=BENCH)
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()
            if line.split()[:1] in (["folder"], ["label_map"]) and "/" not in line}
    # scenes, objects and relations per case: the same structures, so the same counts
    assert rows["folder"][3:6] == rows["label_map"][3:6] and int(rows["folder"][3]) > 0
    assert "folder / label map:" in done.stdout
