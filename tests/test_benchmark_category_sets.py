"""benchmarks/category_sets.py still runs (on a tiny input), and finds no COCO scene asked about a
name outside its categories (helper-183). Its figures are in its docstring; no speed is checked."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def test_category_sets_benchmark(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(BENCH / "category_sets.py"), "--coco", "30", "--vg", "30",
                           "--cache", str(tmp_path)], capture_output=True, text=True, timeout=240, cwd=BENCH)
    assert done.returncode == 0, done.stderr
    rows = dict(line.split(": ", 1) for line in done.stdout.splitlines() if line.startswith(("coco only", "mixed")))
    coco, mixed = ast.literal_eval(rows["coco only"]), ast.literal_eval(rows["mixed"])
    assert coco["samples"] > 0 and mixed["samples"] > coco["samples"]
    assert (mixed["coco_scenes_asked"], mixed["samples_asking"], mixed["set_samples_unknown"]) == (0, 0, 0)
    # no option naming a non-COCO object on a COCO image, no question over every object it shows
    # (helper-189)
    assert (mixed["name_options_open"], mixed["every_object_asked"], coco["every_object_asked"],
            mixed["group_captions_open"]) == (0, 0, 0, 0)
