"""`demo` locks its folder from the first image rendered to the last sample verified: a second
demo (or a `generate`) into it meanwhile is refused before it writes anything.

Before, two demos into one folder (seeds 1 and 2) both rendered their images and scenes over the
other's; one exited 2 saying "Nothing was written" after it had written its images and scenes,
the other exited 1 with `verify` finding 875 of its 2,503 samples wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.demo.pipeline import run_demo
from veriscene.engine.generate import generate
from veriscene.engine.run_lock import LOCK, RunLockedError

from tests.lock_holder import ON_LINUX, holder_command, holding, is_locked, killed_holder, refusal_start, says

pytestmark = ON_LINUX

CLASH = "two demos in one folder would mix their images, scenes and samples"


def test_a_demo_into_a_folder_another_demo_writes_is_refused_naming_it(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    with holding("folder", out, "demo") as holder, pytest.raises(RunLockedError) as info:
        run_demo(out, scenes=2, generators="counting")
    message = str(info.value)
    assert message.startswith(refusal_start(holder, out, "demo"))
    assert message.endswith(f"{holder_command('folder', out, 'demo')}; {CLASH}. Wait for it to end, or stop it "
                            f"(kill {holder.pid}), then run this command again. Nothing was written.")
    assert not out.exists()  # the holder made the folder for its lock and removed both; the demo wrote nothing


def test_a_generate_into_a_folder_a_demo_writes_is_refused_naming_the_demo(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    run_demo(out, scenes=2, generators="counting")
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    with holding("folder", out, "demo") as holder, pytest.raises(RunLockedError) as info:
        generate(out / "scenes.jsonl", out, overwrite=True)
    assert str(info.value).startswith(refusal_start(holder, out, "demo"))
    assert "; two runs in one folder would replace each other's shards." in str(info.value)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_the_command_line_says_who_holds_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    with holding("folder", out, "demo") as holder:
        done = CliRunner().invoke(app, ["demo", "--out", str(out), "--scenes", "2"])
    assert done.exit_code == 2, done.output
    assert says(done.output, f"error: {refusal_start(holder, out, 'demo')}")
    assert "Traceback" not in done.output and not out.exists()


def test_the_demo_holds_its_folder_through_every_stage_and_lets_it_go(tmp_path: Path) -> None:
    """One lock for the whole demo: its `generate` and `export` into the folder take no other."""
    out = tmp_path / "demo"
    seen: dict[str, tuple[bool, list[str]]] = {}

    def progress(stage: str, advance: int, total: int) -> None:
        seen[stage] = (is_locked(out / LOCK), sorted(p.name for p in out.iterdir() if p.name.startswith(".")))

    run_demo(out, scenes=2, generators="counting", progress=progress)
    assert seen == {stage: (True, [LOCK]) for stage in ("render", "generate", "verify")}
    assert not (out / LOCK).exists()


def test_a_lock_left_by_a_killed_demo_does_not_block_the_next(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    killed_holder("folder", out, "demo")
    assert (out / LOCK).exists()
    assert run_demo(out, scenes=2, generators="counting").verification.ok
    assert not (out / LOCK).exists()
