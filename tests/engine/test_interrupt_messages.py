"""What `veriscene generate` says when Ctrl-C or SIGTERM stops it, in each case: a run stopped in
its scan, before it finished a shard, takes back what it wrote (`engine.run_folder`), so it says
that nothing is kept and that the same command starts it over; a run with shards to go on from
says --resume. Before: every run said "what was finished is kept ... --resume", also of a folder
left as it was. The runs are CLI processes held in their scan until the signal is sent."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.held_cli import HELD_SCAN, stopped_when_held
from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.generate import generate
from veriscene.scene import write_scenes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals, fork")

OPTIONS: dict[str, Any] = {"generators": "counting", "shard_size": 4}  # 12 scenes: 3 shards
ARGS = ["-g", "counting", "--shard-size", "4"]


@pytest.fixture
def scenes_file(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "scenes.jsonl"
    write_scenes(iter_scene_graphs(12, seed=4), path)
    return path


def _stopped_in_the_scan(tmp_path: Path, signum: int, *args: str) -> subprocess.CompletedProcess[str]:
    """`veriscene ARGS...` sent `signum` once its scan has begun."""
    return stopped_when_held(tmp_path / "held_scan.py", HELD_SCAN, tmp_path / "in-the-scan", signum, *args)


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "COLUMNS": "300"}  # the message on one line


def _said(stderr: str) -> str:
    return " ".join(stderr.split())


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


@pytest.mark.parametrize(("signum", "status", "what"), [
    (signal.SIGINT, 130, "interrupted (Ctrl-C)"),
    (signal.SIGTERM, 143, "stopped by SIGTERM"),
])
def test_a_run_stopped_in_its_scan_says_nothing_is_kept_and_the_same_command_starts_over(
        tmp_path: Path, scenes_file: Path, signum: int, status: int, what: str) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / ".hidden").write_bytes(b"the user's")
    command = ["generate", str(scenes_file), "--out", str(out), *ARGS]
    stopped = _stopped_in_the_scan(tmp_path, signum, *command)
    assert stopped.returncode == status, stopped.stderr
    assert _said(stopped.stderr) == (f"{what}: the run was stopped before it finished a shard, and nothing of it "
                                     f"is kept in {out}; run the same command again to start it over")
    assert _files(out) == [".hidden"]
    again = subprocess.run([sys.executable, "-m", "veriscene", *command], capture_output=True, text=True,
                           env=_env(), timeout=300)
    assert again.returncode == 0, again.stderr
    assert (out / "samples.jsonl").stat().st_size > 0


def test_a_resumed_run_stopped_in_its_scan_says_its_shards_are_kept_and_resume(tmp_path: Path,
                                                                               scenes_file: Path) -> None:
    out = tmp_path / "run"

    class Stop(Exception):
        pass

    def stop(sidecar: dict[str, Any]) -> None:
        raise Stop

    with pytest.raises(Stop):  # a run that finished its first shard
        generate(scenes_file, out, on_shard=stop, **OPTIONS)
    kept = {name: (out / name).read_bytes() for name in _files(out) if (out / name).is_file()}
    command = ["generate", str(scenes_file), "--out", str(out), *ARGS, "--resume"]
    stopped = _stopped_in_the_scan(tmp_path, signal.SIGINT, *command)
    assert stopped.returncode == 130, stopped.stderr
    assert _said(stopped.stderr) == (f"interrupted (Ctrl-C): what was finished is kept in {out}; run the same "
                                     "command again with --resume to go on from it")
    assert {name: (out / name).read_bytes() for name in _files(out) if (out / name).is_file()} == kept
    summary = generate(scenes_file, out, resume=True, **OPTIONS)
    assert any(note.startswith("resumed: 1 of 3 shard(s) kept") for note in summary.notes)


def test_a_run_at_a_url_stopped_in_its_scan_says_nothing_is_kept_and_leaves_no_staging(
        tmp_path: Path, scenes_file: Path) -> None:
    # memory:// is the process's own store: what the run uploads is seen by the in-process tests
    # of test_failed_remote_start.py; here, what it says and what it leaves on this machine
    staging = tmp_path / "stage"
    stopped = _stopped_in_the_scan(tmp_path, signal.SIGTERM, "generate", str(scenes_file), "--out",
                                   "memory://bucket/run", "--staging", str(staging), *ARGS)
    assert stopped.returncode == 143, stopped.stderr
    assert _said(stopped.stderr) == ("stopped by SIGTERM: the run was stopped before it finished a shard, and "
                                     "nothing of it is kept in memory://bucket/run; run the same command again "
                                     "to start it over")
    assert not staging.exists()


def test_a_resume_at_a_url_stopped_while_downloading_the_run_says_its_shards_are_kept(
        tmp_path: Path, scenes_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # in this process (memory:// is the process's own store), through the CLI's code
    import fsspec
    from typer.testing import CliRunner

    from veriscene.cli import app
    from veriscene.engine import remote

    class Stop(Exception):
        pass

    def stop(sidecar: dict[str, Any]) -> None:
        raise Stop

    memory = fsspec.filesystem("memory")
    try:
        with pytest.raises(Stop):  # a run at the URL that finished its first shard, made elsewhere
            generate(scenes_file, "memory://bucket/run", staging=tmp_path / "there", on_shard=stop, **OPTIONS)
        assert memory.exists("/bucket/run/shards/shard-00000.json")

        def download(self: Any, files: list[str]) -> None:
            raise KeyboardInterrupt  # Ctrl-C before the manifest is downloaded

        monkeypatch.setattr(remote.RemoteRun, "download", download)
        here = tmp_path / "here"
        stopped = CliRunner().invoke(app, ["generate", str(scenes_file), "--out", "memory://bucket/run",
                                           "--staging", str(here), *ARGS, "--resume"], env={"COLUMNS": "300"})
        assert stopped.exit_code == 130, stopped.output
        assert _said(stopped.stderr) == ("interrupted (Ctrl-C): what was finished is kept in memory://bucket/run; "
                                         "run the same command again with --resume to go on from it")
        monkeypatch.undo()
        summary = generate(scenes_file, "memory://bucket/run", staging=here, resume=True, **OPTIONS)
        assert any(note.startswith("resumed: 1 of 3 shard(s) kept") for note in summary.notes)
    finally:
        memory.store.clear()
        memory.pseudo_dirs.clear()
        memory.pseudo_dirs.append("")
