"""An export locks what it writes (the file `out` names, the format's default files in the folder
`out`, or the folder of an hf or lmms_eval export) while it writes it: another export to it
meanwhile is refused before it reads a sample.

Before, two exports to one llava.json (one with --absolute-paths) wrote into one temporary file,
`llava.json.tmp`: one stopped with "[Errno 2] No such file or directory: 'out.json.tmp' ->
'out.json'", the other exited 0 leaving a file that was not valid JSON, or that was the first's."""

from __future__ import annotations

from pathlib import Path

import fsspec
import pytest

from tests.io.conftest import SAMPLES
from tests.lock_holder import ON_LINUX, holder_command, holding, is_locked, killed_holder, refusal_start, says
from tests.typer_app import invoke

from veriscene.commands.export import register
from veriscene.engine.run_lock import RunLockedError, lock_path
from veriscene.io.export import export

pytestmark = ON_LINUX

CLASH = "two exports to one output would write over each other's files"


@pytest.mark.parametrize("to, out, locked", [
    ("llava", "l.json", "l.json"),  # the file named
    ("llava", "exports", "exports/llava.json"),  # the default file name in the folder named
    ("lmms_eval", "task", "task"),  # the folder it writes whole (locked beside it)
])
def test_an_export_to_what_another_export_writes_is_refused_naming_it(run_dir: Path, tmp_path: Path, to: str,
                                                                      out: str, locked: str) -> None:
    target = tmp_path / "new" / locked
    with holding("file", target, "export") as holder, pytest.raises(RunLockedError) as info:
        export(run_dir, tmp_path / "new" / out, to=to)
    message = str(info.value)
    assert message.startswith(refusal_start(holder, target, "export"))
    assert message.endswith(f"{holder_command('file', target, 'export')}; {CLASH}. Wait for it to end, or stop it "
                            f"(kill {holder.pid}), then run this command again. Nothing was written.")
    assert not (tmp_path / "new").exists()


def test_exports_to_two_files_of_one_folder_do_not_stop_each_other(run_dir: Path, tmp_path: Path) -> None:
    with holding("file", tmp_path / "train.json", "export"):
        summary = export(run_dir, tmp_path / "test.json", to="llava")
    assert summary.samples_written == len(SAMPLES)


def test_the_export_holds_its_lock_while_it_writes_and_lets_it_go(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports" / "l.json"
    held: list[bool] = []
    export(run_dir, out, to="llava", progress=lambda n: held.append(is_locked(lock_path(out))))
    assert held and all(held)
    assert sorted(p.name for p in out.parent.iterdir()) == ["l.json"]


def test_a_lock_left_by_a_killed_export_does_not_block_the_next(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports" / "l.json"
    killed_holder("file", out, "export")
    assert export(run_dir, out, to="llava").samples_written == len(SAMPLES)
    assert sorted(p.name for p in out.parent.iterdir()) == ["l.json"]


def test_an_export_to_a_url_another_export_from_this_machine_writes_is_refused(run_dir: Path) -> None:
    url = "memory://bucket/exports/l.json"
    with holding("url", url, "export") as holder, pytest.raises(RunLockedError) as info:
        export(run_dir, url, to="llava")
    assert str(info.value).startswith(refusal_start(holder, url, "export"))
    assert not fsspec.filesystem("memory").exists(url)
    export(run_dir, url, to="llava")
    assert fsspec.filesystem("memory").ls("memory://bucket/exports", detail=False) == ["/bucket/exports/l.json"]
    fsspec.filesystem("memory").rm("memory://bucket/exports", recursive=True)


def test_the_command_line_says_who_holds_the_file(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "l.json"
    with holding("file", out, "export") as holder:
        done = invoke(register, "export", str(run_dir), "--to", "llava", "--out", str(out))
    assert done.exit_code == 2, done.output
    assert says(done.output, f"error: {refusal_start(holder, out, 'export')}")
    assert "Traceback" not in done.output and not out.exists()
