"""A split locks its output folder while it writes it: another split into it meanwhile is
refused before it reads anything.

Before, two splits into one folder (ratios 0.5/0.5 and 0.8/0.2 of a 6,000-scene input) wrote
into the same temporary files: one stopped with "[Errno 2] No such file or directory:
'o/.train.jsonl.tmp' -> 'o/train.jsonl'", the other exited 0, its split.json counting 6,000
scenes in split files holding 7,732 lines."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.lock_holder import ON_LINUX, holder_command, holding, is_locked, killed_holder, refusal_start, says
from tests.typer_app import invoke

from veriscene import split
from veriscene.commands.split import register
from veriscene.engine.run_lock import LOCK, RunLockedError
from veriscene.io import split as split_module

pytestmark = ON_LINUX

CLASH = "two splits into one folder would mix their split files"


@pytest.fixture
def scenes(tmp_path: Path) -> Path:
    path = tmp_path / "scenes.jsonl"
    path.write_bytes(b"".join(orjson.dumps({"image_id": f"img-{k}"}) + b"\n" for k in range(50)))
    return path


def test_a_split_into_a_folder_another_split_writes_is_refused_naming_it(tmp_path: Path, scenes: Path) -> None:
    out = tmp_path / "splits"
    with holding("folder", out, "split") as holder, pytest.raises(RunLockedError) as info:
        split(scenes, out)
    message = str(info.value)
    assert message.startswith(refusal_start(holder, out, "split"))
    assert message.endswith(f"{holder_command('folder', out, 'split')}; {CLASH}. Wait for it to end, or stop it "
                            f"(kill {holder.pid}), then run this command again. Nothing was written.")
    assert not out.exists()


def test_the_split_holds_its_folder_while_it_writes_and_lets_it_go(tmp_path: Path, scenes: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "splits"
    held: list[bool] = []
    split_file = split_module._split_file

    def splitting(*args, **kwargs):
        held.append(is_locked(out / LOCK))
        return split_file(*args, **kwargs)

    monkeypatch.setattr(split_module, "_split_file", splitting)
    split(scenes, out)
    assert held == [True]
    assert sorted(p.name for p in out.iterdir()) == ["split.json", "split_rejects.jsonl", "test.jsonl", "train.jsonl"]


def test_a_lock_left_by_a_killed_split_does_not_block_the_next(tmp_path: Path, scenes: Path) -> None:
    out = tmp_path / "splits"
    killed_holder("folder", out, "split")
    assert sum(split(scenes, out).scenes.values()) == 50
    assert not (out / LOCK).exists()


def test_the_command_line_says_who_holds_the_folder(tmp_path: Path, scenes: Path) -> None:
    out = tmp_path / "splits"
    with holding("folder", out, "split") as holder:
        done = invoke(register, "split", str(scenes), "--out", str(out))
    assert done.exit_code == 2, done.output
    assert says(done.output, f"error: {refusal_start(holder, out, 'split')}")
    assert "Traceback" not in done.output and not out.exists()
