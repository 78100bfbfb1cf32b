"""A user's walk through every command's --help and a few mistakes (helper-201): a default dropped
from export's help by rich markup, eval's --timeout / --max-tokens of 0, -g's help of family
globs, `stats` given a scene file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from veriscene.cli import app

SCENE = '{"image_id": "a%d", "width": 10, "height": 10, "objects": [{"name": "cat", "box": [1, 1, 5, 5]}]}\n'


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})
    return result.exit_code, " ".join(result.output.replace("│", " ").split())  # (help boxes: their borders out)


def test_no_help_text_holds_what_rich_reads_as_markup() -> None:
    """'[default: RUN_DIR/export/FORMAT]' in export --out's help was read as a style tag and not shown."""
    import re

    root = get_command(app)
    found = [(name, p.name) for name, cmd in root.commands.items()  # type: ignore[attr-defined]
             for p in cmd.params if re.search(r"\[[a-z#/@][^\]]*\]", getattr(p, "help", None) or "")]
    assert found == []
    code, said = _run("export", "--help")
    assert code == 0 and "Default: RUN_DIR/export/FORMAT." in said


@pytest.mark.parametrize("command", ["generate", "demo"])
def test_the_generators_help_says_globs_match_families(command: str) -> None:
    code, said = _run(command, "--help")
    assert code == 0 and "globs over either (object.*, multi_*, counting)" in said


@pytest.mark.parametrize("option", ["--timeout", "--max-tokens"])
def test_eval_refuses_a_zero_timeout_or_token_limit(tmp_path: Path, option: str) -> None:
    code, said = _run("eval", str(tmp_path), "-m", "openai:x", "--base-url", "http://127.0.0.1:9/v1", "-o",
                      str(tmp_path / "o"), option, "0")
    assert code == 2 and f"Invalid value for '{option}'" in said
    assert not (tmp_path / "o").exists()


def test_stats_of_a_scene_file_says_so_and_writes_no_chart(tmp_path: Path) -> None:
    scenes = tmp_path / "scenes.jsonl"
    scenes.write_text("".join(SCENE % k for k in range(3)))
    code, said = _run("stats", str(scenes))
    assert code == 1  # was 0, with empty tables and a chart of nothing
    assert said.endswith(f"error: no sample of {scenes} could be read: all 3 line(s) left out (first: {scenes}, "
                         f"line 1: field 'task' missing); it holds scene graphs (image_id, objects), not samples: "
                         f"`veriscene generate {scenes} --out RUN` makes samples of them, `veriscene view` shows "
                         "them; nothing written")
    assert not (tmp_path / "stats.png").exists()


def test_card_of_a_scene_file_says_so_and_writes_no_card(tmp_path: Path) -> None:
    scenes = tmp_path / "scenes.jsonl"
    scenes.write_text("".join(SCENE % k for k in range(2)))
    code, said = _run("card", str(scenes), "-o", str(tmp_path / "c.md"))
    assert code == 1  # was 0, a card of 0 samples
    assert said.startswith(f"error: no sample of {scenes} could be read: all 2 line(s) left out")
    assert "it holds scene graphs (image_id, objects), not samples" in said
    assert not (tmp_path / "c.md").exists()
