"""Annotation on several workers: the same files as one worker, whatever the number, the backend,
the batch size, or a kill -9 and resume with another number of workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from veriscene.annotate import Detection, annotate
from veriscene.annotate.parallel import PART_IMAGES, annotated_parts
from veriscene.annotate.pipeline import Stages, image_files
from veriscene.annotate.runfile import run_files
from veriscene.errors import SceneValidationError

from .test_runfile import Crash, crashing_after
from .test_pipeline import draw_scene, fake_detector, gradient_depth, square_segmenter

FILES = ("scenes.jsonl", "rejects.jsonl")


def picky_detector(image: Image.Image) -> list[Detection]:
    """Fails on images 300 pixels wide (a model stage failing on one image); else as fake_detector."""
    if image.width == 300:
        raise ValueError("cannot take this one")
    return fake_detector(image)


def photos(root: Path, n: int = 13) -> Path:
    """`n` drawn images, one unreadable (05), one the detector fails on (09), and 03.jpg beside
    03.png (the same image id: the second is a duplicate)."""
    folder = root / "photos"
    for k in range(n):
        draw_scene(folder / f"{k:02d}.png")
    (folder / "05.png").write_bytes(b"broken")
    Image.new("RGB", (300, 80), (128, 128, 128)).save(folder / "09.png")
    Image.open(folder / "03.png").save(folder / "03.jpg")
    return folder


def run(images: Path, out: Path, **kw) -> dict:
    kw.setdefault("detector", picky_detector)
    summary = annotate(images, out / "scenes.jsonl", segmenter=square_segmenter, depth=gradient_depth, **kw)
    return summary.as_dict() | {"output": "", "rejects": ""}


def same_files(a: Path, b: Path) -> bool:
    return all((a / name).read_bytes() == (b / name).read_bytes() for name in FILES)


def test_workers_give_the_same_files_as_one(tmp_path: Path) -> None:
    images = photos(tmp_path)
    one = run(images, tmp_path / "one")
    assert one["scenes_written"] == 11 and one["scenes_rejected"] == 3  # broken, failing, duplicate
    rejects = [json.loads(line) for line in (tmp_path / "one" / "rejects.jsonl").read_text().splitlines()]
    assert [(Path(r["record"]).name, r["field"]) for r in rejects] == [
        ("03.png", "image_id"), ("05.png", "image"), ("09.png", "detector")]
    assert rejects[0]["reason"] == f"duplicate image id '03' (the image {images / '03.jpg'} has it)"
    for workers, batch in ((2, 1), (3, 1), (2, 2)):
        out = tmp_path / f"w{workers}b{batch}"
        reference = tmp_path / "one" if batch == 1 else tmp_path / "b2"
        if batch != 1 and not reference.exists():
            assert run(images, reference, batch_size=batch) == one
        assert run(images, out, workers=workers, batch_size=batch) == one
        assert same_files(reference, out), (workers, batch)


def test_parts_hold_whole_batches_and_start_inside_one_on_resume(tmp_path: Path) -> None:
    images = photos(tmp_path)
    stages = Stages(fake_detector)
    listing = image_files(images)
    parts = list(annotated_parts(images, stages, listing, start=5, batch_size=3, workers=2))
    positions = [[d.position for d in part.images] for part in parts]
    assert positions[0] == [5, 6, 7, 8] and [p for part in positions for p in part] == list(range(5, 14))
    size = 3 * -(-PART_IMAGES // 3)
    assert all(part[0] % size == 3 for part in positions[1:])  # parts begin on batch boundaries


def test_a_model_failing_on_every_image_stops_a_run_on_workers(tmp_path: Path) -> None:
    images = photos(tmp_path)

    with pytest.raises(RuntimeError, match="each of the first 3 images failed in a model stage"):
        annotate(images, tmp_path / "s.jsonl", detector=always_failing, workers=2)
    partial, state = run_files(tmp_path / "s.jsonl")
    assert partial.read_bytes() == b""  # nothing written: the two before the third are rejects only
    assert len((tmp_path / "rejects.jsonl").read_text().splitlines()) == 3


def always_failing(image: Image.Image) -> list[Detection]:
    raise RuntimeError("weights missing")


def test_strict_on_workers_writes_the_images_before_the_reject_then_stops(tmp_path: Path) -> None:
    images = photos(tmp_path)
    (images / "03.jpg").unlink()
    with pytest.raises(SceneValidationError, match="cannot read the image"):
        annotate(images, tmp_path / "s.jsonl", detector=fake_detector, workers=2, strict=True)
    partial, _ = run_files(tmp_path / "s.jsonl")
    written = [json.loads(line)["image_id"] for line in partial.read_text().splitlines()]
    assert written == ["00", "01", "02", "03", "04"]
    (reject,) = (tmp_path / "rejects.jsonl").read_text().splitlines()
    assert "05.png" in reject


def test_transformers_models_on_forked_workers(tmp_path: Path, tiny_models: tuple[Path, Path, Path]) -> None:
    detr, dpt, sam = tiny_models
    for k in range(6):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    kw = dict(detector=detr, depth=dpt, segmenter=sam, threshold=0.0, max_objects=3, threads=1)
    one = annotate(tmp_path / "photos", tmp_path / "one" / "scenes.jsonl", **kw)
    two = annotate(tmp_path / "photos", tmp_path / "two" / "scenes.jsonl", workers=2, **kw)
    assert one.scenes_written == two.scenes_written == 6
    assert same_files(tmp_path / "one", tmp_path / "two")
    masks = [line.count('"mask"') for line in (tmp_path / "two" / "scenes.jsonl").read_text().splitlines()]
    assert sum(masks) > 0


RUNNER = """
import sys, time
sys.path.insert(0, {tests!r})
from annotate.test_parallel import picky_detector
from annotate.test_pipeline import gradient_depth, square_segmenter
from veriscene.annotate import annotate

def slow(image):  # 0.1 s an image: slow enough that each kill finds the run unfinished on an idle machine too
    time.sleep(0.1)
    return picky_detector(image)

annotate({images!r}, {out!r}, detector=slow, segmenter=square_segmenter, depth=gradient_depth, resume=True,
         workers=int(sys.argv[1]), batch_size=2, threads=1)
"""


def test_kill_9_on_workers_then_resume_with_other_numbers_of_workers(tmp_path: Path) -> None:
    images = photos(tmp_path, 40)
    run(images, tmp_path / "ref", batch_size=2)
    out = tmp_path / "run" / "scenes.jsonl"
    script = RUNNER.format(tests=str(Path(__file__).resolve().parents[1]), images=str(images), out=str(out))
    kills = 0
    for delay, workers in ((1.2, 2), (0.7, 3), (1.0, 1), (0.9, 2)):
        # the run's process group (driver and workers) dies at once, as a killed job does
        proc = subprocess.Popen([sys.executable, "-c", script, str(workers)], start_new_session=True)
        time.sleep(delay)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        assert proc.wait() in (0, -signal.SIGKILL)  # each resume was taken up (threads kept), none refused
    finished = subprocess.run([sys.executable, "-c", script, "2"], timeout=120)
    assert finished.returncode == 0 and kills >= 2
    assert same_files(tmp_path / "ref", out.parent)


def test_workers_backend_and_threads_are_checked(tmp_path: Path) -> None:
    images = photos(tmp_path)
    with pytest.raises(ValueError, match="threads must be at least 1"):
        annotate(images, tmp_path / "s.jsonl", detector=fake_detector, threads=0)
    with pytest.raises(ValueError, match="workers must be at least 1"):
        annotate(images, tmp_path / "s.jsonl", detector=fake_detector, workers=0)
    with pytest.raises(ValueError, match="backend must be one of"):
        annotate(images, tmp_path / "s.jsonl", detector=fake_detector, backend="dask")
    with pytest.raises(Crash):
        annotate(images, tmp_path / "s.jsonl", detector=crashing_after(1))
    with pytest.raises(ValueError, match="threads: None -> 1"):  # one worker: torch's own; two: one each here
        annotate(images, tmp_path / "s.jsonl", detector=fake_detector, workers=2, threads=1, resume=True)


def test_cli_workers(tmp_path: Path, tiny_models: tuple[Path, Path, Path]) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app

    for k in range(5):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / workers / "scenes.jsonl"
        timeout = ["--task-timeout", "300"] if workers == "1" else []  # one worker in a process of its own
        done = CliRunner().invoke(app, ["annotate", str(tmp_path / "photos"), "--detector", str(tiny_models[0]),
                                        "--threshold", "0", "--workers", workers, "--threads", "1", "--out",
                                        str(out), *timeout])
        assert done.exit_code == 0, done.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and len(outs[0].splitlines()) == 5


def test_streamed_scenes_on_workers_are_those_of_one(tmp_path: Path) -> None:
    from veriscene.annotate import annotate_images
    from veriscene.io.rejects import RejectReport
    from veriscene.scene.jsonl import dumps_scene

    images = photos(tmp_path)
    kw = dict(detector=picky_detector, segmenter=square_segmenter, depth=gradient_depth)
    reports = RejectReport(), RejectReport()
    one = [dumps_scene(s) for s in annotate_images(images, report=reports[0], **kw)]
    two = [dumps_scene(s) for s in annotate_images(images, report=reports[1], workers=2, batch_size=2, **kw)]
    assert one == two and len(one) == 11
    assert reports[0].entries == reports[1].entries and reports[0].repairs == reports[1].repairs


def test_models_that_cannot_load_on_a_workers_device_stop_the_run(tmp_path: Path,
                                                                  tiny_models: tuple[Path, Path, Path]) -> None:
    # the models are not loaded here (a GPU's context survives no fork): each worker loads its own
    images = photos(tmp_path)
    with pytest.raises(RuntimeError, match="cannot load the models on device 'cuda:9[89]'"):
        annotate(images, tmp_path / "s.jsonl", detector=tiny_models[0], device="cuda:99,cuda:98")
    assert not (tmp_path / "s.jsonl").exists()


_CLUSTER_RUN = """
import sys
from veriscene.annotate import Detection, annotate

def boxes(image):
    w, h = image.size
    return [Detection("thing", (0.1 * w, 0.1 * h, 0.5 * w, 0.5 * h), 0.9)]

backend = sys.argv[1]
annotate("photos", backend + "/scenes.jsonl", detector=boxes, backend=backend, workers=2,
         address=sys.argv[2] if backend == "ray" else None)
"""


def test_a_ray_cluster_reads_images_given_by_a_relative_path(ray_cluster, tmp_path: Path) -> None:
    # a cluster's workers start in a folder of Ray's: the run's relative paths are read from its own
    # folder (before, every image was rejected as missing)
    from ..ray_head import clean_env

    photos(tmp_path)
    for backend in ("local", "ray"):
        done = subprocess.run([sys.executable, "-c", _CLUSTER_RUN, backend, ray_cluster.address], cwd=tmp_path,
                              env=clean_env(RAY_AUTH_TOKEN=ray_cluster.token), capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
    assert same_files(tmp_path / "local", tmp_path / "ray")
    assert len((tmp_path / "ray" / "scenes.jsonl").read_text().splitlines()) == 12  # 13 images, 05 broken, 03 twice


def test_a_part_sent_with_its_images_reads_them_from_the_bytes(tmp_path: Path) -> None:
    from veriscene.annotate.parallel import _tasks, annotate_part

    images = photos(tmp_path)
    stages = Stages(picky_detector, square_segmenter, gradient_depth)
    sent = next(_tasks("t", stages, str(images), image_files(images), 0, False, 2, 8, None, ("cpu",), send=True))
    kept = next(_tasks("t", stages, str(images), image_files(images), 0, False, 2, 8, None, ("cpu",)))
    assert kept[-1] is None and sorted(sent[-1]) == sorted(str(p) for p in sent[4])  # 8 images' bytes
    before = annotate_part(*kept)
    images.rename(tmp_path / "gone")  # as on a node without the images
    assert annotate_part(*sent) == before
    assert [d.line is None for d in before.images].count(False) == 6  # 00-06 and 03.jpg: 05 broken, 03 twice
    assert all(d.line is None for d in annotate_part(*kept).images)  # without the bytes: all unreadable


def hanging_once(image: Image.Image) -> list[Detection]:
    """picky_detector, but hangs on the image 300 pixels wide while the file the environment names
    (VERISCENE_TEST_HANG) exists: a model that hangs once."""
    flag = os.environ.get("VERISCENE_TEST_HANG")
    if flag and os.path.exists(flag) and image.width == 300:
        time.sleep(600)
    return picky_detector(image)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_hanging_worker_stops_the_run_past_the_timeout_and_resume_completes_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    from veriscene.engine.backends import WorkerHung

    images = photos(tmp_path, 16)  # 09.png hangs: parts of 4 images, two done before it
    run(images, tmp_path / "ref", detector=hanging_once)  # no flag: nothing hangs
    flag = tmp_path / "hang"
    flag.touch()
    monkeypatch.setenv("VERISCENE_TEST_HANG", str(flag))
    started = time.monotonic()
    # 2 s: waited out in full, the hang being 600 s; parts of 4 images on forked workers come back in
    # milliseconds (test_backends stops a hang of local workers at 1.5 s)
    with pytest.raises(WorkerHung, match=r"no result came back from a worker within 2 s .* the workers were stopped"
                                         r".*--resume"):
        run(images, tmp_path / "run", detector=hanging_once, workers=workers, task_timeout=2.0)
    assert time.monotonic() - started < 120  # stopped, not waited for
    _, state = run_files(tmp_path / "run" / "scenes.jsonl")
    assert json.loads(state.read_text())["done"] >= 4  # the parts before the hang are kept
    flag.unlink()
    run(images, tmp_path / "run", detector=hanging_once, workers=workers, task_timeout=5.0, resume=True)
    assert same_files(tmp_path / "ref", tmp_path / "run")
    with pytest.raises(ValueError, match="a task timeout is a number of seconds above 0"):
        run(images, tmp_path / "other", detector=hanging_once, task_timeout=0)


@pytest.mark.usefixtures("local_ray")  # one Ray for the class and beyond (tests/conftest.py)
class TestOnALocalRay:
    """The files of one worker, on a Ray this process started (`local_ray`)."""

    def test_ray_backend_gives_the_same_files(self, tmp_path: Path) -> None:
        images = photos(tmp_path)
        one = run(images, tmp_path / "one")
        assert run(images, tmp_path / "ray", workers=2, backend="ray") == one
        assert same_files(tmp_path / "one", tmp_path / "ray")

    def test_images_a_ray_node_does_not_have_are_sent_with_the_parts(self, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
        import veriscene.engine.backends as backends

        images = photos(tmp_path)
        one = run(images, tmp_path / "one")
        monkeypatch.setattr(backends, "nodes_without", lambda ray, path: ["c0ffee (node-3)"])
        with pytest.warns(UserWarning, match=r"the images are not on 1 node\(s\) of the Ray cluster \(c0ffee \(node-3\)\): "
                                             r"each part's images are sent with it"):
            assert run(images, tmp_path / "ray", backend="ray", workers=2) == one
        assert same_files(tmp_path / "one", tmp_path / "ray")  # the broken image's reject reads the same too
