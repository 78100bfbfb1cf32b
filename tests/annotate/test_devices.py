"""Annotation on several devices: each worker loads its own models, on its own device, once; the
files are those of one worker on the CPU."""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from veriscene.annotate import Detection, annotate
from veriscene.annotate import models
from veriscene.annotate.models import TransformersDepth, TransformersDetector, TransformersSegmenter, model_kind
from veriscene.annotate.parallel import Annotator, _DEVICE, _take_device, gpu_workers, ray_options
from veriscene.annotate.pipeline import Stages, parse_devices

from .test_parallel import photos, run, same_files
from .test_pipeline import draw_scene, fake_detector


@dataclass
class Recording:
    """A detector stage that loads where it runs: each load is a line "pid device [gpu ids]" in `log`."""

    log: str
    device: str | None = None

    @property
    def loaded(self) -> bool:
        return self.device is not None

    def on(self, device: str) -> "Recording":
        gpus = ""
        if device == "cuda":  # on Ray: the GPUs Ray gave this worker
            import ray

            gpus = " " + ",".join(str(g) for g in ray.get_gpu_ids())
        with open(self.log, "a") as fh:
            fh.write(f"{os.getpid()} {device}{gpus}\n")
        return Recording(self.log, device)

    def describe(self) -> dict[str, str]:
        return {"model": "recording"}  # the same wherever it loads: the files do not name the device

    def __call__(self, image: Image.Image) -> list[Detection]:
        assert self.device is not None, "called before it was loaded"
        return fake_detector(image)


def loads(log: Path) -> list[tuple[int, str]]:
    return [(int(line.split()[0]), line.split(" ", 1)[1]) for line in log.read_text().splitlines()]


def test_devices_are_read_from_a_list_or_commas() -> None:
    assert parse_devices("cpu") == ["cpu"]
    assert parse_devices("cuda:0, cuda:1") == ["cuda:0", "cuda:1"]
    assert parse_devices(["cuda:0", "cuda:1"]) == ["cuda:0", "cuda:1"]
    with pytest.raises(ValueError, match="no device given"):
        parse_devices(" , ")


def test_local_workers_take_the_devices_in_turn() -> None:
    slots = multiprocessing.get_context("fork").Value("i", 0)
    taken = []
    for _ in range(5):
        _take_device(slots, ("cuda:0", "cuda:1"))
        taken.append(_DEVICE[0])
    _DEVICE.clear()
    assert taken == ["cuda:0", "cuda:1", "cuda:0", "cuda:1", "cuda:0"]


def test_one_worker_loads_its_models_here_once(tmp_path: Path) -> None:
    images = photos(tmp_path)
    log = tmp_path / "loads.txt"
    one = run(images, tmp_path / "one", detector=Recording(str(tmp_path / "unused.txt"), "cpu"))  # loaded here
    assert run(images, tmp_path / "gpu", detector=Recording(str(log)), device="gpu-a") == one
    assert loads(log) == [(os.getpid(), "gpu-a")]  # once for the whole run, in this process
    assert same_files(tmp_path / "one", tmp_path / "gpu")


def test_each_worker_loads_its_own_models_on_its_device(tmp_path: Path) -> None:
    images = photos(tmp_path, 24)
    log = tmp_path / "loads.txt"
    one = run(images, tmp_path / "one", detector=Recording(str(tmp_path / "unused.txt"), "cpu"))  # loaded here
    for workers in (None, 3):  # one per device; three on two devices
        out = tmp_path / f"w{workers}"
        log.write_text("")
        assert run(images, out, detector=Recording(str(log)), device="gpu-a,gpu-b", workers=workers) == one
        assert same_files(tmp_path / "one", out)
        found = loads(log)
        pids = [pid for pid, _ in found]
        assert len(set(pids)) == len(pids) and os.getpid() not in pids  # once per worker, none here
        assert 1 <= len(found) <= (workers or 2) and {d for _, d in found} <= {"gpu-a", "gpu-b"}


def test_fewer_workers_than_devices_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="2 devices need at least as many workers, got workers=1"):
        annotate(photos(tmp_path), tmp_path / "s.jsonl", detector=fake_detector, device="cuda:0,cuda:1", workers=1)


def test_transformers_models_load_in_each_worker(tmp_path: Path, tiny_models: tuple[Path, Path, Path],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    detr, dpt, sam = tiny_models
    for k in range(8):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    log = tmp_path / "loads.txt"
    load = models._load

    def logged(kind: str, path, device: str, processor: str = "AutoImageProcessor"):
        with open(log, "a") as fh:
            fh.write(f"{os.getpid()} {device} {Path(path).name}\n")
        return load(kind, path, device, processor)

    kw = dict(detector=detr, depth=dpt, segmenter=sam, threshold=0.0, max_objects=3, threads=1)
    one = annotate(tmp_path / "photos", tmp_path / "one" / "scenes.jsonl", **kw)
    monkeypatch.setattr(models, "_load", logged)  # forked workers inherit it
    two = annotate(tmp_path / "photos", tmp_path / "two" / "scenes.jsonl", device="cpu,cpu", **kw)
    assert one.scenes_written == two.scenes_written == 8
    assert same_files(tmp_path / "one", tmp_path / "two")
    found = [line.split() for line in log.read_text().splitlines()]
    pids = {int(pid) for pid, _, _ in found}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2  # nothing loaded here, once in each worker
    for pid in pids:
        assert sorted(name for p, _, name in found if int(p) == pid) == ["detr", "dpt", "sam"]
    assert {device for _, device, _ in found} == {"cpu"}


def test_a_stage_made_unloaded_describes_itself_as_the_loaded_one(tiny_models: tuple[Path, Path, Path],
                                                                   tmp_path: Path) -> None:
    detr, dpt, sam = tiny_models
    for cls, path in ((TransformersDetector, detr), (TransformersDepth, dpt), (TransformersSegmenter, sam)):
        waiting, loaded = cls(path, load=False), cls(path)
        assert waiting.describe() == loaded.describe() and not waiting.loaded and loaded.loaded
        moved = waiting.on("cpu")
        assert moved.loaded and not waiting.loaded and moved.describe() == loaded.describe()
    image = Image.new("RGB", (64, 48))
    with pytest.raises(RuntimeError, match="is not loaded .* use the stage's .on"):
        TransformersDetector(detr, load=False)(image)
    assert TransformersDetector(detr, load=False).on("cpu").labels == {0: "cup", 1: "ball"}
    assert Stages(TransformersDetector(detr, load=False)).unloaded and not Stages(fake_detector).unloaded
    with pytest.raises(ValueError, match="cannot be loaded as AutoModelForDepthEstimation"):
        model_kind("AutoModelForDepthEstimation", detr)
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        model_kind("AutoModelForObjectDetection", tmp_path / "absent")


def test_ray_workers_ask_for_a_gpu_each_on_cuda() -> None:
    assert ray_options("cpu") == {"num_cpus": 1}
    assert ray_options("cuda") == {"num_cpus": 1, "num_gpus": 1}
    with pytest.raises(ValueError, match="on Ray, a worker's device is cpu or cuda"):
        ray_options("cuda:1")
    assert ray_options("cuda", 0.5) == {"num_cpus": 1, "num_gpus": 0.5}
    for share in (0, -1, 1.5):
        with pytest.raises(ValueError, match=f"a worker's share of a GPU is more than 0 and at most 1, got {share}"):
            ray_options("cuda", share)


def test_a_share_of_a_gpu_is_for_ray_workers(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="gpus_per_worker is a Ray worker's share of a GPU"):
        annotate(photos(tmp_path), tmp_path / "out" / "s.jsonl", detector=Recording(str(tmp_path / "log")),
                 device="cuda", workers=2, gpus_per_worker=0.5)
    with pytest.raises(ValueError, match="share of a GPU is more than 0 and at most 1, got 2"):
        annotate(photos(tmp_path), tmp_path / "out" / "s.jsonl", detector=Recording(str(tmp_path / "log")),
                 device="cuda", backend="ray", gpus_per_worker=2)
    assert not (tmp_path / "out").exists()


def test_a_numbered_gpu_on_ray_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="on Ray, a worker's device is cpu or cuda .* got 'cuda:0'"):
        annotate(photos(tmp_path), tmp_path / "out" / "s.jsonl", detector=Recording(str(tmp_path / "log")),
                 device="cuda:0,cuda:1", backend="ray")
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("ray_with_two_gpus")  # one Ray for both (tests/conftest.py)
class TestOnRayWithTwoGpus:
    """Actors on a local Ray of 4 CPUs and two (logical) GPUs this process started."""

    def test_ray_actors_load_their_own_models_each_on_a_gpu_of_its_own(self, tmp_path: Path) -> None:
        images = photos(tmp_path)
        log = tmp_path / "loads.txt"
        one = run(images, tmp_path / "one", detector=Recording(str(tmp_path / "unused.txt"), "cpu"))  # loaded here
        assert run(images, tmp_path / "ray", detector=Recording(str(log)), device="cuda", workers=2,
                   backend="ray") == one
        assert same_files(tmp_path / "one", tmp_path / "ray")
        found = loads(log)
        assert len(found) == 2 and os.getpid() not in {pid for pid, _ in found}
        assert sorted(device for _, device in found) == ["cuda 0", "cuda 1"]  # a GPU of its own each

    def test_ray_workers_share_gpus_and_too_many_are_refused(self, tmp_path: Path, ray_with_two_gpus) -> None:
        images = photos(tmp_path)
        log = tmp_path / "loads.txt"
        one = run(images, tmp_path / "one", detector=Recording(str(tmp_path / "unused.txt"), "cpu"))
        # half a GPU each, and no number of workers: as many as the GPUs hold, four, two on each
        ray = ray_with_two_gpus
        assert gpu_workers(ray, 0.5) == 4 and gpu_workers(ray) == 2 and gpu_workers(ray, 0.3) == 4  # 4 CPUs
        assert run(images, tmp_path / "half", detector=Recording(str(log)), device="cuda", backend="ray",
                   gpus_per_worker=0.5) == one
        # a GPU each for three workers on two GPUs: Ray would leave the third waiting for ever
        with pytest.raises(RuntimeError, match=r"3 workers need 3 CPUs and 3 GPUs \(1 each\); the Ray cluster has "
                                               r"4 CPUs and 2 GPUs: give fewer workers, or a smaller share"):
            run(images, tmp_path / "three", detector=Recording(str(tmp_path / "unused.txt")), device="cuda",
                workers=3, backend="ray")
        assert same_files(tmp_path / "one", tmp_path / "half")
        found = loads(log)
        assert len(found) == 4 and os.getpid() not in {pid for pid, _ in found}
        assert sorted(device for _, device in found) == ["cuda 0", "cuda 0", "cuda 1", "cuda 1"]


def test_an_annotator_actor_runs_parts_on_its_device() -> None:
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    Annotator("gpu-b")
    try:
        assert _DEVICE == ["gpu-b"]
        assert Image.MAX_IMAGE_PIXELS == limit  # no driver's limit given: this process's left as it was
    finally:
        _DEVICE.clear()
        Image.MAX_IMAGE_PIXELS = limit


@pytest.mark.usefixtures("pillow_limit")
def test_an_annotator_actor_takes_the_driver_s_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An actor's worker started from Ray's environment of before: the driver's folders and pixel
    limit of now come with it (`engine.task_settings`)."""
    from veriscene.engine.backends import driver_settings

    monkeypatch.setenv("VERISCENE_DOWNLOADS", str(tmp_path / "now"))
    Image.MAX_IMAGE_PIXELS = 777_000_000
    settings = driver_settings()
    monkeypatch.setenv("VERISCENE_DOWNLOADS", str(tmp_path / "before"))
    Image.MAX_IMAGE_PIXELS = 1
    Annotator("gpu-b", settings)
    try:
        assert (os.environ["VERISCENE_DOWNLOADS"], Image.MAX_IMAGE_PIXELS) == (str(tmp_path / "now"), 777_000_000)
    finally:
        _DEVICE.clear()


def test_cli_puts_a_worker_on_each_device(tmp_path: Path, tiny_models: tuple[Path, Path, Path]) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app

    for k in range(5):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    outs = []
    for device in ("cpu", "cpu,cpu"):
        out = tmp_path / device.replace(",", "_") / "scenes.jsonl"
        done = CliRunner().invoke(app, ["annotate", str(tmp_path / "photos"), "--detector", str(tiny_models[0]),
                                        "--threshold", "0", "--device", device, "--threads", "1", "--out", str(out)])
        assert done.exit_code == 0, done.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and len(outs[0].splitlines()) == 5
    failed = CliRunner().invoke(app, ["annotate", str(tmp_path / "photos"), "--detector", str(tiny_models[0]),
                                      "--device", "cuda:99,cuda:98", "--out", str(tmp_path / "x.jsonl")])
    assert failed.exit_code == 1 and "cannot load the models on device" in failed.output


def test_streamed_scenes_load_unloaded_stages_on_the_device(tmp_path: Path) -> None:
    from veriscene.annotate import annotate_images
    from veriscene.scene.jsonl import dumps_scene

    images = photos(tmp_path)
    log = tmp_path / "loads.txt"
    ref = [dumps_scene(s) for s in annotate_images(images, detector=Recording(str(log), "cpu"))]
    one = [dumps_scene(s) for s in annotate_images(images, detector=Recording(str(log)), device="gpu-a")]
    two = [dumps_scene(s) for s in annotate_images(images, detector=Recording(str(log)), workers=2,
                                                   device="gpu-a,gpu-b")]
    assert len(ref) == len(one) == len(two) == 12
    assert ref == one == two
    found = loads(log)
    assert found[0] == (os.getpid(), "gpu-a") and all(pid != os.getpid() for pid, _ in found[1:])


def test_a_model_folder_that_is_missing_or_empty_is_said_without_transformers_network_words(tmp_path: Path) -> None:
    """transformers said "We couldn't connect to 'https://huggingface.co' ... Check your internet
    connection" of a folder that is not there (no connection is tried), and "Unrecognized model in
    DIR. Should have a `model_type` key in its config.json" of a folder without config.json."""
    with pytest.raises(FileNotFoundError) as raised:
        model_kind("AutoModelForObjectDetection", tmp_path / "models" / "detr")
    said = str(raised.value)
    assert said.startswith(f"{tmp_path / 'models' / 'detr'}: no such folder, nor a model of that id in the local "
                           "Hugging Face cache: nothing is downloaded at run time")
    assert "huggingface-cli download" in said and "internet" not in said
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"empty: no config.json in this folder: a model saved with its "
                                                r"config, weights and processor is needed"):
        model_kind("AutoModelForObjectDetection", tmp_path / "empty")
