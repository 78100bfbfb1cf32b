"""`veriscene view`: the filters given when serving open the list they keep (its address printed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import veriscene.viewer
from veriscene.cli import app
from veriscene.demo.pipeline import run_demo
from veriscene.viewer import Catalog, Filters


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("view_cmd")
    run_demo(out, scenes=3, seed=4)
    return out


def test_served_filters_print_the_list_they_keep(run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[str] = []

    def fake_view(path: str, scenes: Any = None, **options: Any) -> None:  # serves nothing: calls on_ready once
        served.append(path)
        options["on_ready"]("http://127.0.0.1:8123/", Catalog.open(path))

    monkeypatch.setattr(veriscene.viewer, "view", fake_view)
    result = CliRunner().invoke(app, ["view", str(run), "--family", "grounding", "--mode", "qa"])
    assert result.exit_code == 0, result.output
    kept = len(Catalog.open(run).select(Filters(family="grounding", mode="qa")))
    assert kept > 0 and served == [str(run)]
    assert f"{kept:,} samples match the filters given: http://127.0.0.1:8123/?family=grounding&mode=qa" in result.output
    plain = CliRunner().invoke(app, ["view", str(run)])
    assert plain.exit_code == 0 and "match the filters" not in plain.output


@pytest.mark.parametrize("args, said", [(["--outcome", "wrong"], "--outcome needs --results"),
                                        (["--results", "{run}", "--outcome", "nope"], "outcome must be one of")])
def test_bad_filters_are_refused_before_serving(run: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
                                                said: str) -> None:
    monkeypatch.setattr(veriscene.viewer, "view", lambda *a, **k: pytest.fail("served"))
    result = CliRunner().invoke(app, ["view", str(run), *[a.format(run=run) for a in args]])
    assert result.exit_code == 2 and said in result.output


def test_a_scene_file_cut_short_is_named_and_exits_1(run: Path, tmp_path: Path) -> None:
    """Not click's bare "Aborted." (an EOFError from gzip); bad data exits 1, as the README says."""
    import gzip

    whole = gzip.compress((run / "scenes.jsonl").read_bytes())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    result = CliRunner().invoke(app, ["view", str(cut), "--html", str(tmp_path / "page")])
    assert result.exit_code == 1
    assert "cut.jsonl.gz: cannot read the gzip-compressed scene file to its end" in result.output
