"""An annotation run locks its scene file and its reject report while it writes them: a second
run writing either is refused before it loads a model or writes anything.

Before, two runs writing one scene file (40 images, one run's detector finding 3 objects per
image, the other's 1) both wrote into its partial file: one exited 0 with a scene file of 55
lines mixing both runs' scenes and a line cut in two, the other stopped with a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from veriscene.annotate import annotate
from veriscene.commands.annotate import register
from veriscene.engine.run_lock import RunLockedError, lock_path

from tests.lock_holder import ON_LINUX, holder_command, holding, is_locked, killed_holder, refusal_start, says
from tests.typer_app import invoke

from .test_pipeline import fake_detector
from .test_runfile import finished_record, photos

pytestmark = ON_LINUX


def counted(calls: list[int]):
    def detect(image):
        calls.append(1)
        return fake_detector(image)

    return detect


def test_a_run_writing_a_scene_file_another_run_writes_is_refused_naming_it(tmp_path: Path) -> None:
    images, out = photos(tmp_path), tmp_path / "a" / "scenes.jsonl"
    calls: list[int] = []
    with holding("file", out, "annotate") as holder, pytest.raises(RunLockedError) as info:
        annotate(images, out, detector=counted(calls), resume=True)
    message = str(info.value)
    assert message.startswith(refusal_start(holder, out, "annotate"))
    assert message.endswith(f"{holder_command('file', out, 'annotate')}; two runs writing one scene file would mix "
                            f"their scenes. Wait for it to end, or stop it (kill {holder.pid}), then run this command "
                            "again (with resume=True to go on from the images it finished). Nothing was written.")
    assert calls == [] and not (tmp_path / "a").exists()  # no image read; the folder made for the locks removed


def test_two_runs_into_one_folder_share_its_reject_report_one_at_a_time(tmp_path: Path) -> None:
    """Two scene files of one folder are two outputs, but their default reject report is one."""
    images, folder = photos(tmp_path), tmp_path / "a"
    with holding("file", folder / "rejects.jsonl", "annotate") as holder:
        with pytest.raises(RunLockedError) as info:
            annotate(images, folder / "second.jsonl", detector=fake_detector)
        assert str(info.value).startswith(refusal_start(holder, folder / "rejects.jsonl", "annotate"))
        assert ("two runs writing one reject report would mix their rejects (or give each run a report of its "
                "own: rejects=). Wait for it to end") in str(info.value)
        done = annotate(images, folder / "second.jsonl", detector=fake_detector, rejects=folder / "second.rejects.jsonl")
    assert done.scenes_written == 7


def test_the_run_holds_both_locks_while_it_writes_and_lets_them_go(tmp_path: Path) -> None:
    images, out = photos(tmp_path), tmp_path / "a" / "scenes.jsonl"
    held: list[bool] = []

    def detect(image):
        held.append(is_locked(lock_path(out)) and is_locked(lock_path(tmp_path / "a" / "rejects.jsonl")))
        return fake_detector(image)

    annotate(images, out, detector=detect)
    assert held == [True] * 7  # (the broken image is not detected)
    assert finished_record(out)["done"] == 8  # its only hidden file: the state, no lock file left


def test_a_lock_left_by_a_killed_run_does_not_block_its_resume(tmp_path: Path) -> None:
    images, out = photos(tmp_path), tmp_path / "a" / "scenes.jsonl"
    killed_holder("file", out, "annotate")
    assert lock_path(out).exists()
    assert annotate(images, out, detector=fake_detector, resume=True).scenes_written == 7
    assert finished_record(out)["done"] == 8


def test_the_command_line_says_who_holds_the_scene_file(tmp_path: Path) -> None:
    """Refused (exit 2) before the detector named is looked at, let alone loaded."""
    images, out = photos(tmp_path), tmp_path / "a" / "scenes.jsonl"
    with holding("file", out, "annotate") as holder:
        done = invoke(register, "annotate", str(images), "--out", str(out), "--detector", str(tmp_path / "no-model"))
    assert done.exit_code == 2, done.output
    assert says(done.output, f"error: {refusal_start(holder, out, 'annotate')}")
    assert "Traceback" not in done.output and not (tmp_path / "a").exists()
