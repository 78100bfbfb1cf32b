"""benchmarks/option_sets.py still runs (on a tiny input) and reads a run: the share of multiple
choices by their number of options, and the cross-fitted guess by the whole option set. Its
figures are in helper-187's commit; no speed is checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def test_option_sets_benchmark(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(BENCH / "option_sets.py"), "--scenes", "40", "--min", "1",
                           "--cache", str(tmp_path)], capture_output=True, text=True, timeout=240, cwd=BENCH)
    assert done.returncode == 0, done.stderr
    counts = re.search(r"relation\.query\.v1: (\d+) multiple choices: (.*)", done.stdout)
    assert counts is not None, done.stdout
    shares = dict(re.findall(r"(\d) options (\d+)", counts.group(2)))
    assert sum(map(int, shares.values())) == int(counts.group(1)) > 0
    assert re.search(r"guess by the whole option set, cross-fitted: [\d.]+% \(chance [\d.]+%, z -?[\d.]+\)",
                     done.stdout)
    assert "per-value guess" in done.stdout
