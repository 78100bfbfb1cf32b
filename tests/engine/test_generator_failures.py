"""A generator raising an error on one scene (a bug, often in a user's own generator) does not stop
a run: its samples of that scene are dropped, the failure is counted, listed in rejects.jsonl with
the scene's file and line, and said in the summary; everything else is written as without it."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from veriscene import generate, verify
from veriscene.cli import app
from veriscene.demo.world import iter_scene_graphs
from veriscene.errors import SceneValidationError
from veriscene.generators.registry import GENERATORS
from veriscene.scene import write_scenes


@pytest.fixture
def failing_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str, Path]:
    """The scene file, the scene object.count.v1 fails on, and the run made before it failed."""
    scenes = list(iter_scene_graphs(6, seed=2))
    path = tmp_path / "scenes.jsonl"
    write_scenes(scenes, path)
    reference = tmp_path / "reference"
    generate(path, reference, seed=1, shard_size=2)
    target = scenes[3].image_id
    cls = GENERATORS["object.count.v1"]
    original = cls.propose

    def propose(self, ctx):  # in this process: runs of one worker generate here
        if ctx.scene.image_id == target:
            raise RuntimeError("boom")
        return original(self, ctx)

    monkeypatch.setattr(cls, "propose", propose)
    return path, target, reference


def test_the_run_goes_on_without_that_generators_samples_of_that_scene(failing_on, tmp_path: Path) -> None:
    path, target, reference = failing_on
    summary = generate(path, tmp_path / "run", seed=1, shard_size=2)
    before = (reference / "samples.jsonl").read_bytes().splitlines()
    lost = [line for line in before if orjson.loads(line)["task"] == "object.count.v1"
            and orjson.loads(line)["images"][0]["id"] == target]
    assert len(lost) == 2  # its qa and mc samples of that scene
    assert (tmp_path / "run" / "samples.jsonl").read_bytes().splitlines() == [x for x in before if x not in lost]
    assert summary.scenes == 6 and summary.rejects["rejected"] == 0  # no scene record was refused
    assert summary.generator_stats["failed:object.count.v1"] == 1
    assert summary.per_generator()["object.count.v1"]["failed"] == 1
    (entry,) = [orjson.loads(x) for x in (tmp_path / "run" / "rejects.jsonl").read_bytes().splitlines()]
    assert entry["file"] == str(path) and entry["record"] == 4 and entry["field"] == "object.count.v1"
    assert entry["level"] == "generator"
    assert entry["reason"].startswith(f"generator failed on scene '{target}': RuntimeError: boom (at "
                                      "test_generator_failures.py:")
    manifest = orjson.loads((tmp_path / "run" / "manifest.json").read_bytes())
    assert manifest["counts"]["rejected_scenes"] == 0 and manifest["status"] == "complete"
    assert verify(tmp_path / "run").ok


def test_strict_stops_at_the_failure(failing_on, tmp_path: Path) -> None:
    path, target, _ = failing_on
    with pytest.raises(SceneValidationError, match=f"generator failed on scene '{target}': RuntimeError: boom"):
        generate(path, tmp_path / "run", seed=1, shard_size=2, strict=True)


def test_the_summary_says_so(failing_on, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from veriscene.console import console

    monkeypatch.setattr(console, "_width", 80)  # a terminal's width, for this test only (rich's own field)
    path, target, _ = failing_on
    result = CliRunner().invoke(app, ["generate", str(path), "-o", str(tmp_path / "cli"), "--seed", "1"])
    assert result.exit_code == 0, result.output
    def squeezed(text: str) -> str:  # the console wraps at its width, long paths mid-word
        return "".join(text.split())

    said = squeezed(result.output)
    assert squeezed("1 time(s) a generator failed on a scene (its samples of that scene dropped); all listed in") in said
    assert squeezed(f"scenes.jsonl, line 4, field 'object.count.v1': generator failed on scene '{target}'") in said
    stats = result.output[result.output.index("Skipped and dropped"):]
    row = next(ln for ln in stats.splitlines() if "│ object.count.v1" in ln)
    assert row.split("│")[6].strip() == "1"  # the table's "failed" column


def test_a_scene_that_cannot_be_prepared_is_rejected_and_the_run_goes_on(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import veriscene.generators.runner as runner
    from veriscene.generators import derive_seed

    scenes = list(iter_scene_graphs(6, seed=2))
    path = tmp_path / "scenes.jsonl"
    write_scenes(scenes, path)
    generate(path, tmp_path / "reference", seed=1, shard_size=2)
    target = scenes[2].image_id
    real = runner.capabilities

    def capabilities(scene):  # what every generator of the scene needs, before any of them runs
        if scene.image_id == target:
            raise ValueError("no tables")
        return real(scene)

    monkeypatch.setattr(runner, "capabilities", capabilities)
    summary = generate(path, tmp_path / "run", seed=1, shard_size=2)
    before = (tmp_path / "reference" / "samples.jsonl").read_bytes().splitlines()
    theirs = derive_seed(1, target)  # the samples the scene made as the anchor of its questions
    assert (tmp_path / "run" / "samples.jsonl").read_bytes().splitlines() == [
        x for x in before if orjson.loads(x)["seed"] != theirs]
    assert summary.scenes == 5 and summary.rejects["rejected"] == 1
    (entry,) = [orjson.loads(x) for x in (tmp_path / "run" / "rejects.jsonl").read_bytes().splitlines()]
    assert entry["level"] == "scene" and entry["record"] == 3 and entry["field"] is None
    assert entry["reason"].startswith(f"scene '{target}' could not be prepared for the generators: ValueError: "
                                      "no tables (at test_generator_failures.py:")
