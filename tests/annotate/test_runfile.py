"""Annotation runs killed part-way go on where they stopped, with the same output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
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


def finished_record(out: Path) -> dict:
    """The state a finished run leaves beside `out`: the only hidden file there (no partial file,
    notes or temporary file), marked finished with `out`'s size."""
    _, state = run_files(out)
    assert sorted(p.name for p in out.parent.glob(".*")) == [state.name]
    record = json.loads(state.read_bytes())
    assert record["finished"] and record["out_bytes"] == out.stat().st_size and record["noted_bytes"] == 0
    return record


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
    assert finished_record(tmp_path / "b" / "scenes.jsonl")["done"] == 8


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
    assert compression(out) == "gzip"
    with open_scene_file(out) as fh:
        assert fh.read() == (tmp_path / "a" / "scenes.jsonl").read_bytes()
    finished_record(out)  # the finished run's state alone: no partial or temporary file left


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


def files_beside(out: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of `out`'s folder: its bytes and when it was last written."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.parent.iterdir() if p.is_file()}


def test_resume_of_a_finished_run_leaves_it_as_it_was_and_says_so(tmp_path: Path) -> None:
    """A resume of a finished run found no state (deleted when the run finished): it annotated every
    image again and overwrote the output."""
    images = photos(tmp_path)
    out = tmp_path / "run" / "scenes.jsonl"
    first = annotate(images, out, detector=fake_detector)
    before = files_beside(out)
    done: list[int] = []
    again = annotate(images, out, detector=crashing_after(0), resume=True, progress=done.append)  # none annotated
    assert files_beside(out) == before
    assert again.notes == ["resumed: the run had finished; its 8 images kept, none annotated again "
                           "(scenes.jsonl left as it was)"]
    assert again.as_dict() | {"notes": []} == first.as_dict()  # the run's summary, as it ended
    written = [orjson.loads(line) for line in out.read_bytes().splitlines()]  # (its objects and relations too)
    assert (first.objects_written, first.relations_written) == (sum(len(s["objects"]) for s in written),
                                                                sum(len(s["relations"]) for s in written))
    assert first.objects_written and first.relations_written
    assert done == [8]


@pytest.mark.parametrize(("changed", "said"), [({"margin": 0.1}, "margin: 0.02 -> 0.1"),
                                               ({"batch_size": 2}, "batch_size: 1 -> 2")])
def test_resume_of_a_finished_run_with_other_settings_is_refused(tmp_path: Path, changed: dict, said: str) -> None:
    images = photos(tmp_path)
    out = tmp_path / "run" / "scenes.jsonl"
    annotate(images, out, detector=fake_detector)
    before = files_beside(out)
    with pytest.raises(ValueError, match=rf"cannot resume a different run \(.*{said}"):
        annotate(images, out, detector=crashing_after(0), resume=True, **changed)
    assert files_beside(out) == before
    again = annotate(images, out, detector=fake_detector, **changed)  # without resume: starts over
    assert again.scenes_written == 7 and not again.notes
    assert finished_record(out)["run"]["batch_size"] == changed.get("batch_size", 1)  # the new run's record
    assert annotate(images, out, detector=crashing_after(0), resume=True, **changed).notes  # had finished


def test_resume_of_a_finished_run_whose_output_is_gone_or_changed_is_refused(tmp_path: Path) -> None:
    images = photos(tmp_path)
    out = tmp_path / "run" / "scenes.jsonl.gz"
    annotate(images, out, detector=fake_detector)
    written = out.read_bytes()
    out.unlink()
    with pytest.raises(ValueError, match=r"scenes.jsonl.gz: the run had finished, and its output is gone since; "
                                         r"call annotate again with resume=False to annotate the images again"):
        annotate(images, out, detector=crashing_after(0), resume=True)
    assert not out.exists()
    out.write_bytes(written[:-1] + bytes([written[-1] ^ 1]))  # the same size, another byte
    with pytest.raises(ValueError, match=r"scenes.jsonl.gz: changed since the run finished .*SHA-256 not the run's\); "
                                         r"call annotate again with resume=False to annotate the images again and overwrite it$"):
        annotate(images, out, detector=crashing_after(0), resume=True)
    annotate(images, out, detector=fake_detector)  # without resume: made again
    assert out.read_bytes() == written


def test_resume_refuses_an_output_there_without_a_state(tmp_path: Path) -> None:
    """A run finished by an earlier release left no state: nothing tells it is this run's."""
    images = photos(tmp_path)
    out = tmp_path / "run" / "scenes.jsonl"
    annotate(images, out, detector=fake_detector)
    run_files(out)[1].unlink()
    before = files_beside(out)
    with pytest.raises(ValueError, match=r"scenes.jsonl: there already, with no state of the run that wrote it"):
        annotate(images, out, detector=crashing_after(0), resume=True)
    assert files_beside(out) == before


def test_a_resume_killed_before_its_output_was_written_goes_on(tmp_path: Path) -> None:
    """A finished run's state beside a partial file: a resume of it (images the server failed on)
    was under way, and `out` is not written anew yet: it goes on rather than saying it had finished."""
    images = photos(tmp_path)
    out = tmp_path / "run" / "scenes.jsonl"
    annotate(images, out, detector=fake_detector)
    partial, _ = run_files(out)
    partial.write_bytes(out.read_bytes())  # as `_reopened` takes it back
    again = annotate(images, out, detector=crashing_after(0), resume=True)
    assert not again.notes and not partial.exists() and finished_record(out)


def test_cli_refuses_to_resume_a_finished_run_with_another_threshold(tmp_path: Path,
                                                                     tiny_models: tuple[Path, Path, Path]) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app

    draw_scene(tmp_path / "photos" / "p.png")
    out = tmp_path / "ann3" / "scenes.jsonl"
    command = ["annotate", str(tmp_path / "photos"), "--detector", str(tiny_models[0]), "--out", str(out)]
    done = CliRunner().invoke(app, [*command, "--threshold", "0.0"])
    assert done.exit_code == 0, done.output
    before = files_beside(out)
    refused = CliRunner().invoke(app, [*command, "--threshold", "0.3", "--resume"])
    said = " ".join(refused.output.split())
    assert refused.exit_code == 1, refused.output
    assert "cannot resume a different run (stages.detector.threshold: 0.0 -> 0.3)" in said and "Traceback" not in said
    again = CliRunner().invoke(app, [*command, "--threshold", "0.0", "--resume"])
    assert again.exit_code == 0, again.output
    assert "resumed: the run had finished; its 1 images kept, none annotated again" in " ".join(again.output.split())
    assert files_beside(out) == before
