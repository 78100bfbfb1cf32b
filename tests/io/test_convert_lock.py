"""A conversion locks its scene file and its reject report while it writes them: another
conversion writing either meanwhile is refused before it reads its input.

Before, two conversions to one scene file (inputs of 6,000 and 300 scenes, 2,000 and 300 bad
lines) both exited 0: the scene file was whole (written to a temporary name of its own), but the
reject report held the second's 300 rejects, 1,525 of the first's 2,000 and a line cut in two."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.generate import generate
from veriscene.engine.run_lock import LOCK, RunLockedError, is_lock_file, lock_path
from veriscene.io import convert as convert_module
from veriscene.io.convert import convert
from veriscene.scene import write_scenes

from tests.lock_holder import ON_LINUX, holder_command, holding, is_locked, killed_holder, refusal_start, says

pytestmark = ON_LINUX


@pytest.fixture
def scenes(tmp_path: Path) -> Path:
    """4 scenes and a line that is none (one reject)."""
    path = tmp_path / "in" / "scenes.jsonl"
    path.parent.mkdir()
    write_scenes(iter_scene_graphs(4, seed=1), path)
    with open(path, "ab") as fh:
        fh.write(b"not json\n")
    return path


def test_a_conversion_to_a_scene_file_another_writes_is_refused_naming_it(tmp_path: Path, scenes: Path) -> None:
    out = tmp_path / "out" / "scenes.jsonl"
    with holding("file", out, "convert") as holder, pytest.raises(RunLockedError) as info:
        convert(scenes, out, "veriscene_jsonl")
    message = str(info.value)
    assert message.startswith(refusal_start(holder, out, "convert"))
    assert message.endswith(f"{holder_command('file', out, 'convert')}; two conversions to one scene file would mix "
                            f"their reject reports. Wait for it to end, or stop it (kill {holder.pid}), then run this "
                            "command again. Nothing was written.")
    assert not (tmp_path / "out").exists()


def test_two_conversions_into_one_folder_share_its_reject_report_one_at_a_time(tmp_path: Path, scenes: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    with holding("file", folder / "rejects.jsonl", "convert") as holder:
        with pytest.raises(RunLockedError) as info:
            convert(scenes, folder / "b.jsonl", "veriscene_jsonl")
        assert str(info.value).startswith(refusal_start(holder, folder / "rejects.jsonl", "convert"))
        assert "(or give each a report of its own: rejects=)" in str(info.value)  # (convert()'s)
        assert list(folder.iterdir()) == [lock_path(folder / "rejects.jsonl")]  # the holder's alone
        done = convert(scenes, folder / "b.jsonl", "veriscene_jsonl", rejects=folder / "b.rejects.jsonl")
    assert done.scenes_written == 4 and done.rejected == 1


def test_the_conversion_holds_both_locks_while_it_writes_and_lets_them_go(tmp_path: Path, scenes: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out" / "scenes.jsonl"
    held: list[bool] = []
    dumps = convert_module.dumps_scenes

    def dumps_scenes(batch):  # as the scenes are written
        held.append(is_locked(lock_path(out)) and is_locked(lock_path(out.parent / "rejects.jsonl")))
        return dumps(batch)

    monkeypatch.setattr(convert_module, "dumps_scenes", dumps_scenes)
    convert(scenes, out, "veriscene_jsonl")
    assert held == [True]
    assert sorted(p.name for p in out.parent.iterdir()) == ["rejects.jsonl", "scenes.jsonl"]


def test_a_lock_left_by_a_killed_conversion_does_not_block_the_next(tmp_path: Path, scenes: Path) -> None:
    out = tmp_path / "out" / "scenes.jsonl"
    killed_holder("file", out, "convert")
    assert convert(scenes, out, "veriscene_jsonl").scenes_written == 4
    assert sorted(p.name for p in out.parent.iterdir()) == ["rejects.jsonl", "scenes.jsonl"]


def test_the_command_line_says_who_holds_the_scene_file(tmp_path: Path, scenes: Path) -> None:
    out = tmp_path / "out" / "scenes.jsonl"
    with holding("file", out, "convert") as holder:
        done = CliRunner().invoke(app, ["convert", str(scenes), "--from", "veriscene_jsonl", "--out", str(out)])
    assert done.exit_code == 2, done.output
    assert says(done.output, f"error: {refusal_start(holder, out, 'convert')}")
    assert "Traceback" not in done.output and not (tmp_path / "out").exists()


def test_a_run_converting_its_input_into_its_folder_takes_no_lock_of_the_scene_file(tmp_path: Path,
                                                                                    scenes: Path) -> None:
    """The run's folder lock covers the conversion into it (`OUT/scenes.jsonl`, its rejects)."""
    out = tmp_path / "run"
    hidden: list[list[str]] = []
    generate(scenes, out, from_format="veriscene_jsonl", generators="counting",
             on_shard=lambda _: hidden.append(sorted(p.name for p in out.iterdir() if is_lock_file(p.name))))
    assert hidden and all(names == [LOCK] for names in hidden)
    assert not any(is_lock_file(p.name) for p in out.iterdir())
