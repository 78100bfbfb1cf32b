"""The summary lines `convert` prints (warnings, files rejected, where the rejects are listed) are
not broken at the terminal's width: a path or an "(id 10)" stays whole on its line, to copy, as
errors and warnings of the CLI print (`commands.fail`, `cli._show_warning`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_a_convert_summary_keeps_the_rejects_path_on_one_line(tmp_path: Path) -> None:
    deep = tmp_path / ("a-rather-long-folder-name-" * 3) / "nested"
    deep.mkdir(parents=True)
    coco = deep / "instances.json"
    coco.write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48}],
        "categories": [{"id": 1, "name": "cup"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 10, 10]},
                        {"id": 2, "image_id": 7, "category_id": 1, "bbox": [1, 1, 10, 10]}],
    }))
    out = deep / "scenes.jsonl"
    env = {**os.environ, "COLUMNS": "40", "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "veriscene", "convert", str(coco), "--from", "coco",
                           "--out", str(out)], capture_output=True, text=True, env=env, timeout=120)
    said = done.stdout + done.stderr
    lines = [line for line in said.splitlines() if "reject(s)" in line]
    assert lines, said
    assert str(deep) in lines[0], said  # the path whole on the line that names the report
