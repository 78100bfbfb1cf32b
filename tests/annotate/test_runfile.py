"""Annotation runs killed part-way go on where they stopped, with the same output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from veriscene.annotate import annotate
from veriscene.annotate.runfile import run_files

from .test_pipeline import draw_scene, fake_detector


def photos(root: Path, n: int = 8) -> Path:
    for k in range(n):
        draw_scene(root / "photos" / f"{k:02d}.png")
    (root / "photos" / "05.png").write_bytes(b"broken")  # one reject, so the report resumes too
    return root / "photos"


class Crash(BaseException):  # as a kill would: never taken for a failure on one image
    pass


def crashing_after(n: int):
    seen = []

    def detect(image):
        seen.append(1)
        if len(seen) > n:
            raise Crash
        return fake_detector(image)

    return detect


def test_resume_after_a_crash_gives_the_same_files(tmp_path: Path) -> None:
    images = photos(tmp_path)
    whole = annotate(images, tmp_path / "a" / "scenes.jsonl", detector=fake_detector)
    with pytest.raises(Crash):
        annotate(images, tmp_path / "b" / "scenes.jsonl", detector=crashing_after(5))
    partial, state = run_files(tmp_path / "b" / "scenes.jsonl")
    assert partial.is_file() and state.is_file() and not (tmp_path / "b" / "scenes.jsonl").exists()
    done = []
    again = annotate(images, tmp_path / "b" / "scenes.jsonl", detector=fake_detector, resume=True,
                     progress=done.append)
    assert done[0] == 6 and sum(done) == 8  # 5 images done and the broken one before the crash
    for name in ("scenes.jsonl", "rejects.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert again.as_dict() | {"output": "", "rejects": ""} == whole.as_dict() | {"output": "", "rejects": ""}
    assert not partial.exists() and not state.exists()


def test_resume_in_the_middle_of_a_batch(tmp_path: Path) -> None:
    images = photos(tmp_path)
    annotate(images, tmp_path / "a" / "scenes.jsonl", detector=fake_detector, batch_size=3)
    with pytest.raises(Crash):
        annotate(images, tmp_path / "b" / "scenes.jsonl", detector=crashing_after(4), batch_size=3)
    with pytest.raises(ValueError, match="batch_size: 3 -> 2"):
        annotate(images, tmp_path / "b" / "scenes.jsonl", detector=fake_detector, batch_size=2, resume=True)
    annotate(images, tmp_path / "b" / "scenes.jsonl", detector=fake_detector, batch_size=3, resume=True)
    for name in ("scenes.jsonl", "rejects.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_a_compressed_output_resumes_and_is_compressed_at_the_end(tmp_path: Path) -> None:
    from veriscene.scene.compressed import compression, open_scene_file

    images = photos(tmp_path)
    annotate(images, tmp_path / "a" / "scenes.jsonl", detector=fake_detector)
    out = tmp_path / "b" / "scenes.jsonl.gz"
    with pytest.raises(Crash):
        annotate(images, out, detector=crashing_after(3))
    partial, state = run_files(out)
    assert compression(partial) is None and not out.exists()  # appended to as it goes: plain
    annotate(images, out, detector=fake_detector, resume=True)
    assert compression(out) == "gzip" and not partial.exists() and not state.exists()
    with open_scene_file(out) as fh:
        assert fh.read() == (tmp_path / "a" / "scenes.jsonl").read_bytes()
    assert not list((tmp_path / "b").glob(".*"))  # no temporary file left


def test_resume_refuses_another_run_and_without_resume_starts_over(tmp_path: Path) -> None:
    images = photos(tmp_path)
    out = tmp_path / "scenes.jsonl"
    with pytest.raises(Crash):
        annotate(images, out, detector=crashing_after(3))
    with pytest.raises(ValueError, match="cannot resume a different run.*margin"):
        annotate(images, out, detector=fake_detector, resume=True, margin=0.1)
    summary = annotate(images, out, detector=fake_detector)  # starts over
    assert summary.scenes_written == 7 and summary.scenes_rejected == 1


RUNNER = """
import sys, time
sys.path.insert(0, {tests!r})
from annotate.test_pipeline import fake_detector
from veriscene.annotate import annotate

def slow(image):
    time.sleep(0.03)
    return fake_detector(image)

annotate({images!r}, {out!r}, detector=slow, resume=True)
"""


def test_kill_9_at_random_moments_then_resume(tmp_path: Path) -> None:
    images = photos(tmp_path, 24)
    reference = annotate(images, tmp_path / "ref" / "scenes.jsonl", detector=fake_detector)
    out = tmp_path / "run" / "scenes.jsonl"
    script = RUNNER.format(tests=str(Path(__file__).resolve().parents[1]), images=str(images), out=str(out))
    kills = 0
    for delay in (0.9, 0.35, 0.6, 0.45, 0.8):
        proc = subprocess.Popen([sys.executable, "-c", script])
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    finished = subprocess.run([sys.executable, "-c", script], timeout=120)
    assert finished.returncode == 0 and kills >= 1
    assert out.read_bytes() == (tmp_path / "ref" / "scenes.jsonl").read_bytes()
    assert (out.parent / "rejects.jsonl").read_bytes() == (tmp_path / "ref" / "rejects.jsonl").read_bytes()
    assert reference.scenes_written == 23


def test_a_run_started_over_and_killed_at_once_leaves_no_state_of_the_earlier_run(tmp_path: Path) -> None:
    """The earlier run's state named bytes of a partial file the new run had emptied: a resume
    then padded it with zeros."""
    images = photos(tmp_path)
    annotate(images, tmp_path / "a" / "scenes.jsonl", detector=fake_detector)
    out = tmp_path / "b" / "scenes.jsonl"
    with pytest.raises(Crash):
        annotate(images, out, detector=crashing_after(4))
    with pytest.raises(Crash):
        annotate(images, out, detector=crashing_after(0))  # started over, killed on its first image
    annotate(images, out, detector=fake_detector, resume=True)
    for name in ("scenes.jsonl", "rejects.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
