"""A run that reads scenes and makes no sample says so in words, not only with empty tables."""

from __future__ import annotations

import io

from rich.console import Console

from veriscene import console
from veriscene.engine.summary import RunSummary


def _shown(monkeypatch, summary: RunSummary) -> str:
    screen = io.StringIO()
    monkeypatch.setattr(console, "console", Console(file=screen, width=100))
    console.print_run_summary(summary)
    return " ".join(screen.getvalue().split())


def test_no_sample_from_scenes_read_is_warned(monkeypatch) -> None:
    shown = _shown(monkeypatch, RunSummary(scenes=6, samples=0))
    assert "warning: no sample was made from the 6 scene(s) read: no generator found anything to ask" in shown


def test_a_run_with_samples_or_no_scenes_has_no_such_warning(monkeypatch) -> None:
    assert "no sample was made" not in _shown(monkeypatch, RunSummary(scenes=6, samples=3))
    assert "no sample was made" not in _shown(monkeypatch, RunSummary(scenes=0, samples=0))


def test_an_input_of_no_scene_is_warned_of_unless_every_record_was_rejected(monkeypatch) -> None:
    said = "warning: the input holds no scene, so the run has no sample"
    assert said in _shown(monkeypatch, RunSummary(scenes=0, samples=0))
    rejected = RunSummary(scenes=0, samples=0)
    rejected.rejects["rejected"] = 2
    assert said not in _shown(monkeypatch, rejected)
