"""One run at a time in an output folder: a second run (fresh, --resume or --overwrite) is refused
while another holds the folder's lock, naming it; a lock never outlives its process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.engine import remote, run_inputs
from veriscene.engine.generate import generate
from veriscene.engine.run_lock import (
    GENERATE, LOCK, RunKind, RunLockedError, holding_locks, is_lock_file, lock_file, lock_folder, lock_path,
)
from veriscene.option_names import cli_names

from tests.lock_holder import holder_command, holding, is_locked, refusal_start, says

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="flock, and signals to a holder")

OPTIONS = dict(generators="counting", shard_size=4)

# Another run holding the folder's lock, as `generate` holds it: until told to stop (a line on stdin)
HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from veriscene.engine.run_lock import holding_locks, lock_folder

    @holding_locks
    def hold(folder):
        lock_folder(Path(folder))
        print("locked", flush=True)
        sys.stdin.readline()

    hold(sys.argv[1])
""")


def _holder(out: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    return holder


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("how", [{}, {"resume": True}, {"overwrite": True}])
def test_a_run_into_a_folder_another_run_writes_is_refused_naming_it(tmp_path: Path, scenes_file: Path,
                                                                     how: dict[str, bool]) -> None:
    """Before, nothing stopped it: a run and an --overwrite of another seed both exited 0, and
    `verify` found 5 of the 50 shards of samples.jsonl not as the manifest recorded them."""
    out = tmp_path / "run"
    generate(scenes_file, out, **OPTIONS)
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    manifest["status"] = "running"  # as if the other run were still going
    (out / "manifest.json").write_bytes(orjson.dumps(manifest))
    before = _files(out)
    holder = _holder(out)
    try:
        with pytest.raises(RunLockedError) as info:
            generate(scenes_file, out, seed=1, **OPTIONS, **how)
    finally:
        holder.communicate("\n", timeout=30)
    said = str(info.value)
    assert said.startswith(f"{out} is being written by another veriscene run (pid {holder.pid}, since ")
    assert f": -c {out}); two runs in one folder would replace each other's shards." in said  # its command
    assert said.endswith(f"Wait for it to end, or stop it (kill {holder.pid}), then run this command again (with "
                         "resume=True to go on from the shards it finished). Nothing was written.")  # (generate()'s)
    with cli_names():  # the CLI's option (`option_names`)
        assert GENERATE.again_text() == " (with --resume to go on from the shards it finished)"
    assert _files(out) == before  # nothing written, nothing removed
    assert generate(scenes_file, out, seed=1, overwrite=True, **OPTIONS).samples > 0  # once it has ended


def test_a_lock_held_by_a_killed_run_does_not_block_the_resume(tmp_path: Path, scenes_file: Path) -> None:
    out = tmp_path / "run"
    holder = _holder(out)
    holder.send_signal(signal.SIGKILL)  # as kill -9: its lock file stays, unlocked
    holder.wait(timeout=30)
    assert orjson.loads((out / LOCK).read_bytes())["pid"] == holder.pid
    summary = generate(scenes_file, out, resume=True, **OPTIONS)
    assert summary.samples > 0
    assert not (out / LOCK).exists()  # a run removes its lock file as it ends


def test_the_command_line_says_who_holds_the_folder(tmp_path: Path, scenes_file: Path) -> None:
    out = tmp_path / "run"
    holder = _holder(out)
    try:
        done = subprocess.run([sys.executable, "-m", "veriscene", "generate", str(scenes_file), "--out", str(out),
                               "-g", "counting"], capture_output=True, text=True, timeout=120)
    finally:
        holder.communicate("\n", timeout=30)
    assert done.returncode == 2, done.stderr
    said = " ".join(done.stderr.split())
    assert said.startswith(f"error: {out} is being written by another veriscene run (pid {holder.pid}, since ")
    assert not out.exists()  # the holder made the folder for its lock, and removed both; this run made nothing


def test_a_run_refused_before_writing_leaves_no_folder(tmp_path: Path, scenes_file: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder is made to hold the lock; a run that stops before writing removes it again."""
    def refused(paths: list[Path], out_dir: Path, notes: list[str]) -> list[Path]:
        raise ValueError("refused after the folder was locked")

    monkeypatch.setattr(run_inputs, "_own_files_left_out", refused)
    with pytest.raises(ValueError, match="refused after the folder was locked"):
        generate(scenes_file, tmp_path / "new" / "run", **OPTIONS)
    assert not (tmp_path / "new").exists()


def test_locks_are_let_go_when_the_outermost_call_ends_and_taken_once(tmp_path: Path) -> None:
    @holding_locks
    def inner(folder: Path) -> None:
        lock_folder(folder)  # held by the outer call already: nothing more
        assert (folder / LOCK).exists()

    @holding_locks
    def outer(folder: Path) -> None:
        lock_folder(folder)
        inner(folder)
        assert orjson.loads((folder / LOCK).read_bytes())["pid"] == os.getpid()  # not let go by `inner`
        other = subprocess.run([sys.executable, "-c", HOLDER, str(folder)], capture_output=True, text=True, timeout=60)
        assert other.returncode == 1 and "RunLockedError" in other.stderr  # another process is refused
        raise KeyError("the call failed")

    with pytest.raises(KeyError):
        outer(tmp_path / "run")
    assert not (tmp_path / "run").exists()  # made for the lock, and left empty


def test_a_folder_that_cannot_be_written_is_said_so(tmp_path: Path, scenes_file: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: "[Errno 30] Read-only file system: 'ro/manifest.json.tmp'" (a read-only mount)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    system_open = os.open

    def read_only(path: str | os.PathLike[str], flags: int, *args: int, **kwargs: int) -> int:
        if os.fspath(path).endswith(LOCK):
            raise OSError(30, "Read-only file system", os.fspath(path))
        return system_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(PermissionError) as info:
        generate(scenes_file, folder, **OPTIONS)
    assert str(info.value) == (f"cannot write into the output folder {folder} (Read-only file system: "
                               f"{folder / LOCK}): give out= a folder that can be written")
    assert list(folder.iterdir()) == []


# ---- the lock of a file, of a URL, and locks within one call ----------------------------------

def test_a_file_is_locked_beside_it_and_the_lock_file_goes_with_the_call(tmp_path: Path) -> None:
    kind = RunKind("export", "two exports to one output would write over each other's files")
    out = tmp_path / "new" / "train.json"

    @holding_locks
    def write() -> None:
        lock_file(out, kind)
        assert is_locked(tmp_path / "new" / f"{LOCK}.train.json") and lock_path(out).parent == out.parent
        assert orjson.loads(lock_path(out).read_bytes())["kind"] == "export"
        with holding("file", tmp_path / "new" / "other.json", "export"):  # another file of the folder: not stopped
            pass
        out.write_text("[]")

    write()
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["train.json"]  # the lock file gone


def test_a_file_lock_refusal_names_the_holders_kind_and_command(tmp_path: Path) -> None:
    out = tmp_path / "train.json"
    kind = RunKind("export", "two exports to one output would write over each other's files")
    with holding("file", out, "export") as holder, pytest.raises(RunLockedError) as info:
        holding_locks(lock_file)(out, kind)
    said = str(info.value)
    assert said.startswith(refusal_start(holder, out, "export"))
    assert said.endswith(f"{holder_command('file', out, 'export')}; two exports to one output would write over "
                         f"each other's files. Wait for it to end, or stop it (kill {holder.pid}), then run this "
                         "command again. Nothing was written.")
    assert list(tmp_path.iterdir()) == []  # the holder's lock file gone with it; nothing of this call's


def test_a_folder_held_covers_what_is_in_it_within_one_call(tmp_path: Path) -> None:
    """`demo` locks its folder, then exports into it: no second lock file; a file lock and a
    folder lock of one path are two locks."""
    folder = tmp_path / "run"

    @holding_locks
    def demo() -> None:
        lock_folder(folder)
        lock_file(folder / "llava.json", RunKind("export", "x"))
        lock_file(folder / "export" / "hf", RunKind("export", "x"))
        assert sorted(p.name for p in folder.iterdir()) == [LOCK]
        lock_file(folder, RunKind("export", "x"))  # beside it, in tmp_path
        assert is_locked(lock_path(folder)) and is_locked(folder / LOCK)

    demo()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name, kept", [("a" * 250 + ".json", False), ("a" * 180 + ".json", True)])
def test_a_long_file_name_gives_a_lock_file_name_the_file_system_takes(tmp_path: Path, name: str, kept: bool) -> None:
    lock = lock_path(tmp_path / name)
    assert len(lock.name.encode()) <= 255 and is_lock_file(lock.name) and (name in lock.name) == kept
    assert lock_path(tmp_path / name) == lock != lock_path(tmp_path / ("b" + name[1:]))
    holding_locks(lock_file)(tmp_path / name, RunKind("export", "x"))  # made and removed


@pytest.mark.parametrize("name, lock", [(LOCK, True), (f"{LOCK}.train.json", True), (".veriscene-upload.jsonl", False),
                                        ("veriscene-lock", False), (f"{LOCK}x", False)])
def test_lock_files_are_told_by_name(name: str, lock: bool) -> None:
    assert is_lock_file(name) == lock


def test_a_run_to_a_url_another_run_writes_from_this_machine_is_refused_whatever_its_staging(
        tmp_path: Path, scenes_file: Path) -> None:
    """Before, two runs to one URL given two staging folders (--staging) both ran and uploaded over
    each other, both exiting 0. Two machines are not stopped (each has its own staging)."""
    url = "memory://bucket/locked-run"
    remote.default_staging(url).parent.mkdir(parents=True, exist_ok=True)  # this machine's staging folder, used before
    with holding("url", url, "generate") as holder, pytest.raises(RunLockedError) as info:
        generate(scenes_file, url, staging=tmp_path / "elsewhere", **OPTIONS)
    said = str(info.value)
    assert said.startswith(f"{url} is being written by another veriscene run (pid {holder.pid}, since ")
    assert "two runs to one URL would replace each other's shards" in said and said.endswith("Nothing was written.")
    assert not (tmp_path / "elsewhere").exists()
    assert generate(scenes_file, url, staging=tmp_path / "elsewhere", **OPTIONS).samples > 0  # once it has ended
    assert not any(is_lock_file(p.name) for p in remote.default_staging(url).parent.iterdir())


def test_the_command_line_says_who_holds_a_url(tmp_path: Path, scenes_file: Path) -> None:
    url = "memory://bucket/cli-run"
    with holding("url", url, "generate") as holder:
        done = CliRunner().invoke(app, ["generate", str(scenes_file), "--out", url, "--staging",
                                        str(tmp_path / "stage"), "-g", "counting"])
    assert done.exit_code == 2, done.output
    assert says(done.output, f"error: {url} is being written by another veriscene run (pid {holder.pid}, since ")
