"""What a resume does again for the images a server failed on, and no more: only the requests
that failed, no server request for an image that did not fail, the run's workers (models loaded
once), and a progress that moves for the images done again. Its files stay a never-failed run's."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("httpx")  # in the test extra: never skipped by `make test`

from veriscene.annotate import VLMAttributes, VLMDetector, VLMRelations, annotate  # noqa: E402
from veriscene.annotate.pipeline import SERVER_PARTLY  # noqa: E402
from veriscene.annotate.retry import FAILED_AGAIN, RETRIED, notes_file  # noqa: E402
from veriscene.annotate.runfile import run_files  # noqa: E402
from veriscene.evaluate.adapters.base import ModelConfigError  # noqa: E402

from .test_devices import Recording, loads  # noqa: E402
from .test_pipeline import fake_detector, gradient_depth  # noqa: E402
from .test_server_retry import CUP, ImageServer, files, model, photos  # noqa: E402


def replies(down: dict[str, bool], asked: list[tuple[int, str]]):
    """A server's plan: image 2's material requests fail while ``down["material"]``, and its
    relation requests about a cup while ``down["cup"]``; every request is logged in `asked`
    as (image, what was asked)."""

    def plan(k: int, text: str) -> Any:
        kind = "material" if "material" in text else "color" if "color" in text else "relation"
        cup = kind == "relation" and text.startswith("The red outline marks a cup,")
        asked.append((k, kind + (" of a cup" if cup else "")))
        if k == 2 and ((kind == "material" and down["material"]) or (cup and down["cup"])):
            return 503
        return {"material": "wooden", "color": "red", "relation": "next to"}[kind]

    return plan


def test_a_resume_sends_only_the_requests_that_failed_and_keeps_the_replies_for_the_next(tmp_path: Path) -> None:
    images = photos(tmp_path, 4)
    out = tmp_path / "run" / "s.jsonl"
    down = {"material": True, "cup": True}
    asked: list[tuple[int, str]] = []
    with ImageServer(replies(down, asked)) as server:
        kw = dict(detector=fake_detector, attributes_model=VLMAttributes(model(server), ["color", "material"]),
                  relations_model=VLMRelations(model(server), near=1.0))
        first = annotate(images, out, **kw)
        # three objects (the two balls are one): 3 colours, 3 materials, 6 ordered pairs, 2 of them
        # of a cup; a failed request is sent twice (`model`: one retry)
        assert sorted(k for k, _ in asked).count(2) == 3 + 3 * 2 + 4 + 2 * 2
        assert first.repairs[SERVER_PARTLY] == 1 and first.scenes_written == 4
        down["cup"] = False
        asked.clear()
        second = annotate(images, out, resume=True, **kw)
        # before: all 12 requests of image 2 again
        assert sorted(asked) == [(2, "material")] * 6 + [(2, "relation of a cup")] * 2
        assert (second.repairs[RETRIED], second.repairs[FAILED_AGAIN]) == (1, 1)
        down["material"] = False
        asked.clear()
        annotate(images, out, resume=True, **kw)
        assert sorted(asked) == [(2, "material")] * 3  # the replies the first two tries got are kept
        annotate(images, tmp_path / "ref" / "s.jsonl", **kw)
    assert files(tmp_path / "run") == files(tmp_path / "ref") and not notes_file(out).exists()


def test_notes_of_release_0_5_0_without_replies_ask_every_request_of_the_image_again(tmp_path: Path) -> None:
    images = photos(tmp_path, 4)
    out = tmp_path / "run" / "s.jsonl"
    down = {"material": True, "cup": False}
    asked: list[tuple[int, str]] = []
    with ImageServer(replies(down, asked)) as server:
        kw = dict(detector=fake_detector, attributes_model=VLMAttributes(model(server), ["color", "material"]))
        annotate(images, out, **kw)
        noted = [json.loads(line) for line in notes_file(out).read_text().splitlines()]
        assert [len(n.pop("answers")) for n in noted] == [3]  # image 2's colours
        notes_file(out).write_text("".join(json.dumps(n, separators=(",", ":")) + "\n" for n in noted))
        state = json.loads(run_files(out)[1].read_text())
        run_files(out)[1].write_text(json.dumps(state | {"noted_bytes": notes_file(out).stat().st_size}))
        down["material"] = False
        asked.clear()
        annotate(images, out, resume=True, **kw)
        assert sorted(asked) == [(2, "color")] * 3 + [(2, "material")] * 3
        annotate(images, tmp_path / "ref" / "s.jsonl", **kw)
    assert files(tmp_path / "run") == files(tmp_path / "ref")


class BatchDepth:
    """gradient_depth taking batches (as a local model does, padded together): `seen` counts the images of each call."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def __call__(self, image: Image.Image) -> np.ndarray:
        self.seen.append(1)
        return gradient_depth(image)

    def batch(self, images: list[Image.Image]) -> list[np.ndarray]:
        self.seen.append(len(images))
        return [gradient_depth(image) for image in images]


def test_a_failed_images_batch_mate_is_not_sent_again_to_a_server_detector(tmp_path: Path) -> None:
    images = photos(tmp_path)
    failing: dict[int, Any] = {1: 503}
    with ImageServer(lambda k, text: failing.get(k, CUP)) as server:
        detector = VLMDetector(model(server))
        annotate(images, tmp_path / "run" / "s.jsonl", detector=detector, depth=BatchDepth(), batch_size=2)
        failing = {}
        server.asked.clear()
        depth = BatchDepth()
        again = annotate(images, tmp_path / "run" / "s.jsonl", detector=detector, depth=depth, batch_size=2,
                         resume=True)
        assert server.asked == [1]  # before: [0, 1], image 0 with it as its batch-mate
        assert depth.seen == [2]  # the depth model's batch as at first: its results may depend on it
        annotate(images, tmp_path / "ref" / "s.jsonl", detector=detector, depth=BatchDepth(), batch_size=2)
    assert files(tmp_path / "run") == files(tmp_path / "ref") and again.repairs[RETRIED] == 1


@pytest.mark.parametrize(("workers", "task_timeout"), [(1, 60.0), (2, None)])
def test_a_resume_does_its_images_again_on_the_runs_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            workers: int, task_timeout: float | None) -> None:
    """The retry had a pool of its own: one more pool, each of its workers loading the models again."""
    import veriscene.annotate.parallel as parallel

    images = photos(tmp_path)
    out = tmp_path / "run" / "s.jsonl"
    refused = [True]

    def plan(k: int, text: str) -> Any:
        if k == 1 and "material" in text:
            return 503
        return 401 if k == 4 and refused[0] else "wooden" if "material" in text else "red"

    with ImageServer(lambda k, text: plan(k, text)) as server:
        log = tmp_path / "loads.txt"
        kw = dict(attributes_model=VLMAttributes(model(server), ["color", "material"]), device="gpu-a", workers=workers,
                  task_timeout=task_timeout)
        with pytest.raises(ModelConfigError, match="stopped after 4 of 8 images"):
            annotate(images, out, detector=Recording(str(log)), **kw)
        refused[0] = False
        log.write_text("")
        pools = []
        pool = parallel.ordered_map

        def counted(*args: Any, **options: Any) -> Iterator[Any]:
            pools.append(options.get("workers"))
            return pool(*args, **options)

        monkeypatch.setattr(parallel, "ordered_map", counted)
        again = annotate(images, out, detector=Recording(str(log)), resume=True, **kw)
        assert pools == [workers]  # before: two pools, the retry's and the rest's
        assert 1 <= len(loads(log)) <= workers  # once per worker
        monkeypatch.undo()
        annotate(images, tmp_path / "ref" / "s.jsonl", detector=Recording(str(tmp_path / "unused.txt"), "cpu"),
                 attributes_model=kw["attributes_model"])
    assert files(tmp_path / "run") == files(tmp_path / "ref") and again.repairs[RETRIED] == 1


@pytest.mark.parametrize(("refused", "calls"), [(False, [6, 1, 1]), (True, [3, 1, 1, 1, 1, 1])])
def test_progress_moves_for_the_images_done_again(tmp_path: Path, refused: bool, calls: list[int]) -> None:
    """Those were counted as done when the resume started, and the bar did not move while it did them again."""
    images = photos(tmp_path)  # 8 images: 6, an unreadable file and a decompression bomb
    out = tmp_path / "run" / "s.jsonl"
    failing: dict[int, Any] = {1: 503, 4: 401 if refused else 503}
    with ImageServer(lambda k, text: failing.get(k, CUP)) as server:
        detector = VLMDetector(model(server))
        if refused:
            with pytest.raises(ModelConfigError):  # after 4 images, one of which to do again
                annotate(images, out, detector=detector)
        else:
            annotate(images, out, detector=detector)  # finished, two to do again
        failing = {}
        done: list[int] = []
        annotate(images, out, detector=detector, resume=True, progress=done.append)
    assert done == calls and sum(done) == 8  # before: [8] and [4, 1, 1, 1, 1]


def test_the_cli_progress_bar_moves_for_the_images_done_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import veriscene.console
    from veriscene.cli import app

    bars: list[tuple[int | None, list[int]]] = []

    @contextmanager
    def progress_bar(description: str, total: int | None) -> Iterator[Any]:
        bars.append((total, []))
        yield bars[-1][1].append

    monkeypatch.setattr(veriscene.console, "progress_bar", progress_bar)
    images = photos(tmp_path, 3)
    failing: dict[int, Any] = {1: 503}
    with ImageServer(lambda k, text: failing.get(k, CUP)) as server:
        command = ["annotate", str(images), "--detector-model", "fake-vlm", "--base-url", server.url,
                   "--max-retries", "0", "--out", str(tmp_path / "s.jsonl")]
        assert CliRunner().invoke(app, command).exit_code == 0
        failing = {}
        again = CliRunner().invoke(app, [*command, "--resume"])
    assert again.exit_code == 0, again.output
    assert bars == [(5, [1] * 5), (5, [4, 1])]  # before: (5, [5]), the retried image not shown


def test_a_resume_with_batch_models_keeps_the_batch_and_writes_a_never_failed_runs_files(
        tmp_path: Path, tiny_models: tuple[Path, Path, Path]) -> None:
    """A batch of the tiny DETR and DPT gives an image other results (in the last bits) than the
    image alone: the image failed must go through them with its batch again."""
    detr, dpt, _ = tiny_models
    for k in range(4):  # the grey tells the image, in any crop (`ImageServer`)
        path = tmp_path / "photos" / f"{k}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (120, 80), (100 + 10 * k,) * 3).save(path)
    out = tmp_path / "run" / "s.jsonl"
    down = [True]

    def plan(k: int, text: str) -> Any:
        if down[0] and k == 2 and "material" in text:
            return 503
        return "wooden" if "material" in text else "red"

    with ImageServer(plan) as server:
        kw = dict(detector=detr, depth=dpt, threshold=0.0, max_objects=2, batch_size=2, threads=1,
                  attributes_model=VLMAttributes(model(server), ["color", "material"]))
        first = annotate(tmp_path / "photos", out, **kw)
        assert first.repairs[SERVER_PARTLY] == 1
        down[0] = False
        server.asked.clear()
        again = annotate(tmp_path / "photos", out, resume=True, **kw)
        asked = list(server.asked)
        annotate(tmp_path / "photos", tmp_path / "ref" / "s.jsonl", **kw)
    objects = len(json.loads((tmp_path / "ref" / "s.jsonl").read_text().splitlines()[2])["objects"])
    assert objects >= 1 and asked == [2] * objects  # its materials alone
    assert files(tmp_path / "run") == files(tmp_path / "ref") and again.repairs[FAILED_AGAIN] == 0
