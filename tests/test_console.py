"""The command line's progress bars, drawn on a terminal (CliRunner's output is not one, so the
commands' tests draw none)."""

import io

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
