"""`veriscene export` names the format or --mc-style meant when one is misspelt, as `generate --to`
and `export(to=...)` in Python do (helper-197: `--to lava` listed the formats only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.typer_app import invoke
from veriscene.commands.export import register, usage_error


@pytest.mark.parametrize(("to", "mc_style", "said"), [
    ("lava", None, "unknown format 'lava'; did you mean 'llava'?; choose one of llava, sharegpt,"),
    ("parqet", None, "unknown format 'parqet'; did you mean 'parquet'?; choose one of"),
    ("sharegtp", None, "did you mean 'sharegpt'?"),
    ("lmms-eval", None, "did you mean 'lmms_eval'?"),
    ("xyz", None, "unknown format 'xyz'; choose one of llava"),  # nothing close: the list alone
    ("llava", "letters", "unknown --mc-style 'letters'; did you mean 'letter' or 'letter_text'?; choose one of"),
])
def test_a_misspelt_name_is_answered_with_the_one_meant(to: str, mc_style: str | None, said: str) -> None:
    message = usage_error(to, None, mc_style, False, None)
    assert message is not None and said in message, message


def test_known_names_pass() -> None:
    assert usage_error("llava", None, "letter_text", False, None) is None


@pytest.mark.parametrize(("args", "said"), [
    (["--to", "llava", "--task-name", "bench"], "--task-name is for --to lmms_eval (its task folder's tasks), "
     "not --to llava"),
    (["--to", "trl", "--max-new-tokens", "512"], "--max-new-tokens is for --to lmms_eval (its task folder's tasks), "
     "not --to trl"),
    (["--to", "parquet", "--split-by", "task", "--task-name", "b"], "--task-name and --split-by are for --to lmms_eval"),
    (["--to", "lmms_eval", "--split-by", "tsk"], "unknown --split-by 'tsk'; did you mean 'task'?; choose one of family, "
     "task"),
    (["--to", "lmms_eval", "--task-name", "my bench"], "--task-name 'my bench': a task name is letters, digits and _"),
])
def test_lmms_eval_options_are_checked_before_any_work(tmp_path: Path, args: list[str], said: str) -> None:
    """Given with another format they were ignored (exit 0, where `export(to=...)` refuses them);
    a bad value for lmms_eval stopped the export with exit 1 and the Python names (task_name)."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "samples.jsonl").write_text("")
    result = invoke(register, "export", str(run), "--out", str(tmp_path / "out"), *args)
    assert result.exit_code == 2, result.output
    assert said in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


def test_lmms_eval_options_pass_without_them_and_with_good_values() -> None:
    assert usage_error("llava", None, None, False, None) is None
    assert usage_error("lmms_eval", None, None, False, None, task_name="bench_2", split_by="task") is None
