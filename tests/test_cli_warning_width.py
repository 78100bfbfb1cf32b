"""A warning is printed as one line at any terminal width, as an error is (`commands.fail`): rich
broke it at the width (80 when not a terminal, COLUMNS when set), so a path or an "(id 10)" could
be split across two lines, not found whole by grep nor copied whole (helper-206)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

MESSAGE = ("instances.json: 2 polygon(s) of fewer than 3 points left out (they outline nothing), counted as "
           "degenerate_polygons_dropped: image 1, annotations[0] (id 10).segmentation[1] (1 point) in "
           "/data/some/long/folder/name/of/the/coco/annotations/instances_val2017.json")
SHOW = ("import warnings; from veriscene.cli import _show_warning; "
        f"_show_warning(UserWarning({MESSAGE!r}), UserWarning, 'coco.py', 1)")


def test_a_warning_is_one_line_at_a_narrow_width() -> None:
    # COLUMNS as a narrow terminal sets it (rich reads it when its console is made: a new process)
    env = {**os.environ, "COLUMNS": "30"}
    done = subprocess.run([sys.executable, "-c", SHOW], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"warning: {MESSAGE}\n"


def test_a_warning_is_one_line_at_the_default_width(capsys: pytest.CaptureFixture[str]) -> None:
    from veriscene.cli import _show_warning

    _show_warning(UserWarning(MESSAGE), UserWarning, "coco.py", 1)
    assert capsys.readouterr().err == f"warning: {MESSAGE}\n"
