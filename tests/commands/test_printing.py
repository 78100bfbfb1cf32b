"""What the commands print through rich keeps data as written: rich reads "[x0, y0, x1, y1]",
"[red]" or a file name "run[1]" as markup, and dropped them (or failed on a closing tag)."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from veriscene.cli import app


def _console() -> tuple[Console, io.StringIO]:
    screen = io.StringIO()
    return Console(file=screen, width=300, color_system=None), screen


def test_stats_prints_answers_and_task_names_as_written(monkeypatch) -> None:
    import rich.console

    from veriscene.commands.stats import print_report

    screen = io.StringIO()
    monkeypatch.setattr(rich.console, "Console", lambda: Console(file=screen, width=300, color_system=None))
    task = {"task": "my.plugin[v2]", "family": "plugin", "samples": 2, "max_share": 0.5, "entropy_bits": 1.0,
            "yes_share": None, "text_only": None, "majority": None,
            "top_answers": [["[red]", 1], ["[x0, y0, x1, y1]", 1]],
            "options_alone": 0.9, "options_chance": 0.25, "options_samples": 40,
            "options_telling": [{"option": "[blue]", "offered": 30, "right": 27, "chance": 0.25}]}
    print_report({"samples": 2, "tasks": [task], "families": {"plugin[x]": 2}, "modes": {"qa": 2},
                  "question_words": {"p50": 5, "p5": 4, "p95": 6, "max": 7}, "vocabulary_size": 9,
                  "yes_share": None, "mc_letters": {}, "unreadable": 0}, Path("run[1]/stats.png"))
    shown = screen.getvalue()
    assert "my.plugin[v2]" in shown and "[red] 1, [x0, y0, x1, y1] 1" in shown
    assert "families: plugin[x] 2" in shown and "chart: run[1]/stats.png" in shown
    assert "my.plugin[v2] 90% against 25% ('[blue]' is right in 27 of the 30 questions that offer it" in shown


def test_export_summary_prints_paths_as_written() -> None:
    from veriscene.commands.export import print_summary
    from veriscene.io.writers.records import ExportSummary

    console, screen = _console()
    summary = ExportSummary(format="llava", out=Path("out[1]"), image_root=Path("imgs[a]"),
                            files=[Path("out[1]/llava.json")], samples_written=3,
                            errors=["sample [b]: no image"], samples_skipped=1)
    print_summary(summary, console)
    shown = screen.getvalue()
    assert "out[1]/llava.json" in shown and "imgs[a]" in shown and "skipped sample [b]: no image" in shown


def test_convert_summary_prints_names_as_written() -> None:
    from veriscene.commands.convert import summary_table
    from veriscene.io.convert import ConvertSummary

    console, screen = _console()
    summary = ConvertSummary(input="in[1].json", output="out[2].jsonl", rejects="rej[3].jsonl", format="coco",
                             format_detected=False, detection_reason=None, scenes_read=1, scenes_written=1,
                             scenes_rejected=0, rejected=0, boxes_clipped=0, repairs={"names[x]_fixed": 2},
                             sparse=["attributes[y]"])
    console.print(summary_table(summary))
    shown = screen.getvalue()
    for said in ("in[1].json", "out[2].jsonl", "rej[3].jsonl", "names[x] fixed", "attributes[y]"):
        assert said in shown, said


def test_score_freeform_names_a_skipped_line_of_a_file_with_brackets(tmp_path) -> None:
    from veriscene.demo.world import iter_scene_graphs
    from veriscene.scene import write_scenes

    write_scenes(iter_scene_graphs(1, seed=1), tmp_path / "scenes.jsonl")
    replies = tmp_path / "replies[b].jsonl"
    replies.write_text('{"response": "A red circle.", "image_id": "demo-000000"}\n{"response": "[x0] no image"}\n')
    result = CliRunner().invoke(app, ["score-freeform", str(replies), "--scenes", str(tmp_path / "scenes.jsonl"),
                                      "--matcher", "lexical"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"skipped {replies}, line 2: missing field 'image_id'" in said
