"""`commands.said`: how `eval` and `score-freeform` say an error. An OSError naming a file says
"FILE: reason" (helper-197: `eval --prompts myprompts.json` said "error: [Errno 2] No such file or
directory (prompts: ...): 'myprompts.json'")."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.commands import said
from veriscene.demo.pipeline import run_demo


@pytest.mark.parametrize(("exc", "message"), [
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "a.json"), "a.json: No such file or directory"),
    (OSError(errno.ENOSPC, "No space left on device"), "[Errno 28] No space left on device"),  # no file: as str
    (KeyError("unknown family 'x'"), "unknown family 'x'"),
    (ValueError("bad"), "bad"),
])
def test_said(exc: BaseException, message: str) -> None:
    assert said(exc) == message


def test_eval_with_a_prompts_file_that_is_not_there(tmp_path: Path) -> None:
    run_demo(tmp_path / "run", scenes=1, seed=0)
    (tmp_path / "r.jsonl").write_text("")
    result = CliRunner().invoke(app, ["eval", str(tmp_path / "run"), "--model", f"replay:{tmp_path / 'r.jsonl'}",
                                      "--out", str(tmp_path / "e"), "--prompts", str(tmp_path / "myprompts.json")])
    assert result.exit_code == 2
    assert " ".join(result.stderr.split()) == (f"error: {tmp_path / 'myprompts.json'}: No such file or directory "
                                               "(prompts: a JSON file, or a built-in set: 'reasoning')")
