"""The system message of a prompts file and the one given apart (`--system`, Python `system=`):
`veriscene eval` sends the file's, takes one given apart when the file has none or the same, and
refuses two that differ before any request, as `export --instructions` does."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from tests.evaluate.conftest import samples
from veriscene.cli import app
from veriscene.evaluate import evaluate
from veriscene.evaluate.prompts import PromptSet, check_one_system


@pytest.mark.parametrize(("own", "given", "sent"), [
    (None, None, None),
    ("Be careful.", None, "Be careful."),
    (None, "Be brief.", "Be brief."),
    ("Be careful.", "Be careful.", "Be careful."),
])
def test_the_given_system_is_taken_unless_the_prompts_hold_another(own, given, sent) -> None:
    assert PromptSet(system=own).with_given_system(given).system == sent


def test_two_system_messages_that_differ_are_refused() -> None:
    with pytest.raises(ValueError, match="two system messages: the prompts' 'Be careful.' and system='Be brief.'"):
        PromptSet(system="Be careful.").with_given_system("Be brief.")
    check_one_system("Same.", "Same.")  # no error


def _replies(tmp_path: Path, run: Path) -> Path:
    path = tmp_path / "replies.jsonl"
    path.write_bytes(b"".join(orjson.dumps({"id": s["id"], "reply": "yes"}) + b"\n" for s in samples(run)[:3]))
    return path


def test_eval_sends_the_prompts_files_system_and_refuses_another(demo_run: Path, tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.json"
    prompts.write_text(json.dumps({"system": "Be careful."}))
    replies = _replies(tmp_path, demo_run)
    evaluate(demo_run, f"replay:{replies}", tmp_path / "a", limit=3, prompts=prompts, freeform="off")
    evaluate(demo_run, f"replay:{replies}", tmp_path / "b", limit=3, prompts=prompts, system="Be careful.",
             freeform="off")
    for out in ("a", "b"):
        rows = [orjson.loads(x) for x in (tmp_path / out / "results.jsonl").read_bytes().splitlines()]
        assert [r["system"] for r in rows] == ["Be careful."] * 3
    with pytest.raises(ValueError, match="two system messages"):
        evaluate(demo_run, f"replay:{replies}", tmp_path / "c", limit=3, prompts=prompts, system="Be brief.")
    assert not (tmp_path / "c").exists()
    result = CliRunner().invoke(app, ["eval", str(demo_run), "--model", f"replay:{replies}", "--limit", "3",
                                      "--prompts", str(prompts), "--system", "Be brief.", "--out", str(tmp_path / "d")])
    assert result.exit_code == 2 and "two system messages: the prompts' 'Be careful.' and --system 'Be brief.'; " \
        "give it once, in the prompts file or with --system" in result.stderr and "system=" not in result.stderr
    assert not (tmp_path / "d").exists()
