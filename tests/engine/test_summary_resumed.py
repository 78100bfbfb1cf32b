"""A resumed run's summary says what this call made (its samples, scenes and time) apart from the
run's totals (all its samples and shards): before, its samples beside this call's time only made
the rate look many times what it was."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from rich.console import Console

from veriscene import console
from veriscene.engine.generate import generate
from veriscene.engine.summary import RunSummary

OPTIONS: dict[str, Any] = {"generators": "counting", "shard_size": 5, "shard_format": "zstd"}  # 12 scenes: 3 shards


def _stopped_after(shards: int) -> Any:
    """An `on_shard` that stops the run as Ctrl-C would once `shards` shards are done."""
    done: list[int] = []

    def on_shard(sidecar: dict[str, Any]) -> None:
        done.append(sidecar["index"])
        if len(done) == shards:
            raise KeyboardInterrupt

    return on_shard


def test_a_run_stopped_and_resumed_says_this_call_apart_from_the_run(tmp_path: Path, scenes_file: Path) -> None:
    whole = generate(scenes_file, tmp_path / "whole", **OPTIONS)
    assert (whole.shards, whole.shards_kept, whole.scenes_now, whole.samples_now) == (3, 0, 12, whole.samples)
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        generate(scenes_file, out, on_shard=_stopped_after(2), **OPTIONS)
    resumed = generate(scenes_file, out, resume=True, **OPTIONS)
    shards = orjson.loads((tmp_path / "whole" / "manifest.json").read_bytes())["shards"]
    last = shards[2]
    assert resumed.samples == whole.samples and resumed.scenes == 12  # the run's, as before
    assert (resumed.shards, resumed.shards_kept) == (3, 2)
    assert (resumed.scenes_now, resumed.samples_now) == (last["scenes"], last["samples"]) == (2, resumed.samples_now)
    said = resumed.to_dict()
    assert {k: said[k] for k in ("samples", "shards", "shards_kept", "scenes_now", "samples_now")} == {
        "samples": whole.samples, "shards": 3, "shards_kept": 2, "scenes_now": 2, "samples_now": last["samples"]}
    again = generate(scenes_file, out, resume=True, **OPTIONS)  # finished: nothing made now
    assert (again.samples, again.shards, again.shards_kept, again.scenes_now, again.samples_now) == (
        whole.samples, 3, 3, 0, 0)


def _printed(monkeypatch: pytest.MonkeyPatch, summary: RunSummary) -> str:
    screen = io.StringIO()
    monkeypatch.setattr(console, "console", Console(file=screen, width=400, color_system=None))
    console.print_run_summary(summary)
    return " ".join(screen.getvalue().split())


def test_the_printed_summary_gives_this_call_s_rate_and_the_run_s_totals(monkeypatch: pytest.MonkeyPatch) -> None:
    resumed = RunSummary(scenes=2000, samples=163775, seconds=37.2, shards=20, shards_kept=18, scenes_now=200,
                         samples_now=16400)
    said = _printed(monkeypatch, resumed)
    assert ("163775 samples from 2000 scenes (0 generators, 0 families) in 20 shards, 18 of them kept from the "
            "interrupted run; made now: 16400 samples from 200 scenes (2 shards) in 37.2 s (441 samples/s); "
            "peak memory") in said, said
    fresh = _printed(monkeypatch, RunSummary(scenes=2000, samples=163775, seconds=37.2, shards=20, scenes_now=2000,
                                             samples_now=163775))
    assert "163775 samples from 2000 scenes (0 generators, 0 families) in 37.2 s (4403 samples/s); peak" in fresh
    finished = _printed(monkeypatch, RunSummary(scenes=2000, samples=163775, seconds=0.2, shards=20, shards_kept=20))
    assert re.search(r"in 20 shards, all kept from the finished run; made now: nothing \(0\.2 s\); peak", finished)


def test_a_resume_tells_the_work_kept_before_any_shard_runs(tmp_path: Path, scenes_file: Path) -> None:
    told: list[tuple[str, int, int]] = []

    def progress(scenes: int, samples: int) -> None:
        told.append(("progress", scenes, samples))

    def kept(scenes: int, samples: int) -> None:
        told.append(("kept", scenes, samples))

    out = tmp_path / "run"
    generate(scenes_file, out, progress=progress, kept=kept, **OPTIONS)
    assert told and all(what == "progress" for what, _, _ in told)  # a new run keeps nothing
    made = sum(samples for _, _, samples in told)
    with pytest.raises(KeyboardInterrupt):
        generate(scenes_file, tmp_path / "again", on_shard=_stopped_after(2), **OPTIONS)
    told.clear()
    generate(scenes_file, tmp_path / "again", resume=True, progress=progress, kept=kept, **OPTIONS)
    at = [what for what, _, _ in told].index("kept")
    assert told[at] == ("kept", 10, sum(samples for _, _, samples in told[:at]))  # shards 0 and 1: 10 lines
    assert sum(scenes for what, scenes, _ in told if what == "progress") == 12
    assert sum(samples for what, _, samples in told if what == "progress") == made
