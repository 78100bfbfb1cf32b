"""The command line's progress bars, drawn on a terminal (CliRunner's output is not one, so the
commands' tests draw none)."""

import io

import pytest
from rich.console import Console

from veriscene import console


def test_progress_bars_draw_with_and_without_a_total(monkeypatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(console, "err_console", Console(file=screen, force_terminal=True, width=120))
    for total in (None, 40):  # with a total, rich has no speed until it has measured one: drawn blank
        with console.progress_bar("exporting", total) as advance:
            for _ in range(40):
                advance(1)
    drawn = screen.getvalue()
    assert "exporting" in drawn and "40/40" in drawn and "left" in drawn


def test_stage_bars_draw_a_bar_per_stage(monkeypatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(console, "err_console", Console(file=screen, force_terminal=True, width=120))
    with console.stage_bars() as shown:
        for done in range(1, 13):
            shown("downloading images", done, 12)
        for done in range(3, 31):  # a resumed evaluation starts past 0
            shown("evaluating", done, 30)
    drawn = screen.getvalue()
    assert "downloading images" in drawn and "12/12" in drawn and "evaluating" in drawn and "30/30" in drawn


def test_reading_a_run_reports_its_progress(tmp_path) -> None:
    from veriscene import generate
    from veriscene.card import card_facts
    from veriscene.demo.world import iter_scene_graphs
    from veriscene.engine.runfiles import reported, sample_count
    from veriscene.scene import write_scenes
    from veriscene.stats import stats

    seen: list[int] = []
    assert list(reported(range(5), seen.append, every=2)) == [0, 1, 2, 3, 4] and seen == [2, 2, 1]
    write_scenes(iter_scene_graphs(3, seed=1), tmp_path / "scenes.jsonl")
    summary = generate(tmp_path / "scenes.jsonl", tmp_path / "run", generators="counting")
    assert sample_count(tmp_path / "run") == summary.samples > 0
    assert sample_count(tmp_path / "run" / "samples.jsonl") is None  # a samples file: no manifest
    read: list[int] = []
    stats(tmp_path / "run", progress=read.append)
    assert sum(read) == summary.samples
    read.clear()
    card_facts(tmp_path / "run", verify=True, progress=read.append)  # read, then verified
    assert sum(read) == 2 * summary.samples


def _captured(monkeypatch, name: str = "console") -> io.StringIO:
    screen = io.StringIO()
    monkeypatch.setattr(console, name, Console(file=screen, width=300, color_system=None))
    return screen


def test_run_summary_prints_answers_and_names_as_written(monkeypatch) -> None:
    from veriscene.engine.summary import RunSummary

    screen = _captured(monkeypatch)
    summary = RunSummary(scenes=1, samples=2)
    summary.per_task.update({"my.plugin[v2]": 2})
    summary.per_family.update({"plugin[x]": 2})
    summary.answers["my.plugin[v2]"].update({"[red]": 1, "[x0, y0, x1, y1]": 1})
    summary.notes.append("scenes[old]/: read its scene files")
    console.print_run_summary(summary)
    shown = screen.getvalue()
    assert "my.plugin[v2]" in shown and "plugin[x]" in shown and "scenes[old]/" in shown
    assert "[red] 50%" in shown and "[x0, y0, x1, y1] 50%" in shown


@pytest.mark.parametrize("n, said", [
    (1, "1 multi-image sample repeated one that another anchor scene had already written: written once"),
    (2, "2 multi-image samples repeated ones that other anchor scenes had already written: each written once"),
    (1234, "1,234 multi-image samples repeated ones that other anchor scenes had already written: each written once"),
])
def test_run_summary_says_repeated_multi_image_samples_in_words(monkeypatch, n, said) -> None:
    from veriscene.engine.summary import RunSummary

    screen = _captured(monkeypatch)
    console.print_run_summary(RunSummary(scenes=1, samples=2, repeats_dropped=n))
    assert said in " ".join(screen.getvalue().split())
    screen = _captured(monkeypatch)
    console.print_run_summary(RunSummary(scenes=1, samples=2))
    assert "multi-image" not in screen.getvalue()


def test_verify_report_prints_answers_and_details_as_written(monkeypatch) -> None:
    from veriscene.verify import Problem, VerifyReport

    screen = _captured(monkeypatch)
    report = VerifyReport(samples=2, problems=[
        Problem(1, "id[1]", "mismatch", stored="[red]", computed=["[blue]"]),
        Problem(2, None, "unreadable", detail="field 'answer' of run[2]/samples.jsonl: [bold] is no answer"),
    ])
    console.print_verify_report(report)
    shown = screen.getvalue()
    assert "sample id[1]: stored '[red]', program computes ['[blue]']" in shown
    assert "field 'answer' of run[2]/samples.jsonl: [bold] is no answer" in shown


def test_progress_bars_print_file_names_as_written(monkeypatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(console, "err_console", Console(file=screen, force_terminal=True, width=120))
    with console.download_progress() as progress:
        progress("s3://bucket/scenes[v2].jsonl", 5, 10)
    with console.progress_bar("reading [b]", 3) as advance:
        advance(3)
    drawn = screen.getvalue()
    assert "downloading scenes[v2].jsonl" in drawn and "reading [b]" in drawn
