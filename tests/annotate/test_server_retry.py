"""A resumed annotation run does again the images a vision-language model's server failed on (not
those rejected for their own fault), and its files come out as a run that never failed wrote them."""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

pytest.importorskip("httpx")  # in the test extra: never skipped by `make test`

from veriscene.annotate import Detection, VLMAttributes, VLMDetector, annotate  # noqa: E402
from veriscene.annotate.pipeline import SERVER_FAILED, SERVER_PARTLY  # noqa: E402
from veriscene.annotate.retry import FAILED_AGAIN, RETRIED, notes_file  # noqa: E402
from veriscene.annotate.runfile import run_files  # noqa: E402
from veriscene.evaluate.adapters.base import ModelConfigError  # noqa: E402
from veriscene.evaluate.adapters.openai_compat import OpenAIChatModel  # noqa: E402

from ..evaluate.fake_server import FakeServer  # noqa: E402
from .test_pipeline import fake_detector  # noqa: E402

CUP = '[{"label": "cup", "bbox_2d": [10, 20, 41, 51]}]'
NO_ANSWER = "no answer"  # a reply of HTTP 200 holding an error object and no choices


def photo(path: Path, k: int) -> None:
    """120x80, a red square and a blue disc on a grey of 100 + 10k: the top-left pixel of the image,
    and of every crop of it the models see, says which image it is."""
    image = Image.new("RGB", (120, 80), (100 + 10 * k,) * 3)
    pen = ImageDraw.Draw(image)
    pen.rectangle((10, 20, 40, 50), fill=(230, 20, 20))
    pen.ellipse((70, 15, 110, 55), fill=(30, 60, 220))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def photos(root: Path, n: int = 6) -> Path:
    """`n` images, an unreadable file and a decompression bomb (both rejected for their own fault)."""
    import struct
    import zlib

    folder = root / "photos"
    for k in range(n):
        photo(folder / f"{k}.png", k)
    (folder / "broken.png").write_bytes(b"broken")

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 20000, 10000, 8, 2, 0, 0, 0)  # 200 Mpx: a header only
    (folder / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    return folder


class ImageServer(FakeServer):
    """Tells the image of each request by the grey of its top-left pixel; `plan(k, text)` answers
    a reply, an HTTP status (every attempt) or `NO_ANSWER`. `asked`: the image of each request."""

    def __init__(self, plan: Any) -> None:
        super().__init__(lambda text, images: "")
        self.plan = plan
        self.asked: list[int] = []

    def handle(self, handler: Any, body: dict) -> None:
        user = body["messages"][-1]["content"]
        url = next(p["image_url"]["url"] for p in user if p["type"] == "image_url")
        with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as im:
            k = round((im.convert("RGB").getpixel((0, 0))[0] - 100) / 10)
        text = next(p["text"] for p in user if p["type"] == "text")
        with self._lock:
            self.asked.append(k)
        said = self.plan(k, text)
        if said == NO_ANSWER:
            self._send(handler, 200, {"error": {"message": "this model reads no images", "code": 400}})
        elif isinstance(said, int):
            self._send(handler, said, {"error": {"message": f"injected {said}"}})
        else:
            self._send(handler, 200, {"choices": [{"index": 0, "finish_reason": "stop",
                                                   "message": {"role": "assistant", "content": said}}]})


def model(server: FakeServer) -> OpenAIChatModel:
    return OpenAIChatModel("fake-vlm", server.url, backoff_base=0.001, backoff_max=0.01, max_retries=1)


def files(folder: Path, name: str = "s.jsonl") -> tuple[bytes, bytes]:
    from veriscene.scene.compressed import open_scene_file

    with open_scene_file(folder / name) as fh:
        return fh.read(), (folder / "rejects.jsonl").read_bytes()


def per_run(summary: Any) -> dict[str, Any]:
    """A summary without its paths and the counts of the images done again."""
    out = summary.as_dict() | {"output": "", "rejects": ""}
    out["repairs"] = {k: n for k, n in out["repairs"].items() if k not in (RETRIED, FAILED_AGAIN)}
    return out


OWN_FAULTS = {3: 400, 5: NO_ANSWER}  # refused by the server: the images' fault, never done again


@pytest.mark.parametrize(("batch_size", "workers"), [(1, 1), (2, 1), (1, 2)])
def test_resume_does_again_the_images_the_server_failed_on(tmp_path: Path, batch_size: int, workers: int) -> None:
    _resume_does_again_the_images_the_server_failed_on(tmp_path, batch_size, workers, "local")


def test_resume_does_again_the_images_the_server_failed_on_ray(tmp_path: Path, local_ray: Any) -> None:
    """The same on Ray: on the tests' shared local Ray of 2 CPUs (kept up from the Ray test before
    that asked for it too), not a Ray start-up for each of the two runs; a run's own Ray is tested
    by test_verify's and test_plugins' runs."""
    _resume_does_again_the_images_the_server_failed_on(tmp_path, 2, 2, "ray")


def _resume_does_again_the_images_the_server_failed_on(tmp_path: Path, batch_size: int, workers: int,
                                                       backend: str) -> None:
    images = photos(tmp_path)
    failing = {1: 503, 4: 503, **OWN_FAULTS}
    with ImageServer(lambda k, text: failing.get(k, CUP)) as server:
        detector = VLMDetector(model(server))
        first = annotate(images, tmp_path / "run" / "s.jsonl", detector=detector, batch_size=batch_size,
                         workers=workers, backend=backend)
        assert first.repairs[SERVER_FAILED] == 2 and first.scenes_rejected == 6 and first.scenes_written == 2
        assert sorted(server.asked) == [0, 1, 1, 2, 3, 4, 4, 5]  # a retry each for 1 and 4; none for 3 and 5
        assert run_files(tmp_path / "run" / "s.jsonl")[1].is_file()  # kept, for a resume
        failing = dict(OWN_FAULTS)  # the server is well again
        reference = annotate(images, tmp_path / "ref" / "s.jsonl", detector=detector, batch_size=batch_size)
        server.asked.clear()
        again = annotate(images, tmp_path / "run" / "s.jsonl", detector=detector, batch_size=batch_size,
                         workers=workers, backend=backend, resume=True)
        assert sorted(server.asked) == [1, 4]  # those two only: not 3 nor 5, nor the unreadable files
    assert files(tmp_path / "run") == files(tmp_path / "ref")
    assert again.repairs[RETRIED] == 2 and again.repairs[FAILED_AGAIN] == 0 and SERVER_FAILED not in again.repairs
    assert per_run(again) == per_run(reference) and again.scenes_written == 4
    rejects = [json.loads(line) for line in (tmp_path / "run" / "rejects.jsonl").read_text().splitlines()]
    assert [Path(r["record"]).name for r in rejects] == ["3.png", "5.png", "bomb.png", "broken.png"]
    assert "HTTP 200 without an answer" in rejects[1]["reason"]
    out = tmp_path / "run" / "s.jsonl"
    assert json.loads(run_files(out)[1].read_bytes())["finished"] and not notes_file(out).exists()


def test_images_failing_again_are_done_by_a_later_resume_of_a_compressed_output(tmp_path: Path) -> None:
    images = photos(tmp_path)
    out = tmp_path / "run" / "s.jsonl.gz"
    failing: dict[int, Any] = {1: 500, 4: 500}
    with ImageServer(lambda k, text: failing.get(k, CUP)) as server:
        detector = VLMDetector(model(server))
        annotate(images, out, detector=detector)
        failing = {4: 500}
        server.asked.clear()
        second = annotate(images, out, detector=detector, resume=True)
        assert sorted(server.asked) == [1, 4, 4]
        assert (second.repairs[RETRIED], second.repairs[FAILED_AGAIN], second.repairs[SERVER_FAILED]) == (2, 1, 1)
        assert out.is_file() and run_files(out)[1].is_file()  # written, and kept for another resume
        failing = {}
        server.asked.clear()
        third = annotate(images, out, detector=detector, resume=True)
        assert server.asked == [4]
        annotate(images, tmp_path / "ref" / "s.jsonl", detector=detector)
        written = out.read_bytes()
        server.asked.clear()
        fourth = annotate(images, out, detector=detector, resume=True)  # nothing left to do
        assert server.asked == [] and out.read_bytes() == written
        assert any("the run had finished" in note for note in fourth.notes)
    assert files(tmp_path / "run", out.name) == files(tmp_path / "ref")
    assert (third.repairs[RETRIED], third.repairs[FAILED_AGAIN]) == (1, 0) and SERVER_FAILED not in third.repairs
    assert per_run(fourth) | {"notes": []} == per_run(third) | {"notes": []}
    # the finished run's state alone: no notes, partial or temporary file left
    assert [p.name for p in (tmp_path / "run").glob(".*")] == [run_files(out)[1].name]


def test_a_run_stopped_by_a_refused_key_does_again_the_images_the_server_failed_on_before(tmp_path: Path) -> None:
    images = photos(tmp_path)
    out = tmp_path / "run" / "s.jsonl"
    failing: dict[int, Any] = {1: 503, 4: 401}
    with ImageServer(lambda k, text: failing.get(k, CUP)) as server:
        detector = VLMDetector(model(server))
        with pytest.raises(ModelConfigError, match="stopped after 4 of 8 images"):
            annotate(images, out, detector=detector)
        failing = {}
        server.asked.clear()
        again = annotate(images, out, detector=detector, resume=True)
        assert sorted(server.asked) == [1, 4, 5]
        annotate(images, tmp_path / "ref" / "s.jsonl", detector=detector)
    assert files(tmp_path / "run") == files(tmp_path / "ref") and again.repairs[RETRIED] == 1


def test_a_refused_key_in_the_attribute_stage_stops_the_run(tmp_path: Path) -> None:
    """It was taken for a malformed record: every image from then on rejected, the run finished."""
    images = photos(tmp_path, 4)
    out = tmp_path / "run" / "s.jsonl"
    refused = [2]
    with ImageServer(lambda k, text: 401 if k >= refused[0] else "red") as server:
        reader = VLMAttributes(model(server), ["color"])
        with pytest.raises(ModelConfigError, match=r"HTTP 401 .*stopped after 2 of 6 images"):
            annotate(images, out, detector=fake_detector, attributes_model=reader)
        assert "ModelConfigError" not in (tmp_path / "run" / "rejects.jsonl").read_text()
        refused[0] = 99  # a new key
        annotate(images, out, detector=fake_detector, attributes_model=reader, resume=True)
        annotate(images, tmp_path / "ref" / "s.jsonl", detector=fake_detector, attributes_model=reader)
    assert files(tmp_path / "run") == files(tmp_path / "ref")


class BatchDetector:
    """fake_detector taking batches (as a local model does, padded together): `seen` counts the images of each call."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def __call__(self, image: Image.Image) -> list[Detection]:
        self.seen.append(1)
        return fake_detector(image)

    def batch(self, images: list[Image.Image]) -> list[list[Detection]]:
        self.seen.append(len(images))
        return [fake_detector(image) for image in images]


def test_images_written_without_some_attributes_are_done_again_in_their_batch(tmp_path: Path) -> None:
    images = photos(tmp_path, 4)
    out = tmp_path / "run" / "s.jsonl"
    down = [True]

    def plan(k: int, text: str) -> Any:
        if down[0] and k == 2 and "material" in text:
            return 503  # the material requests of image 2: the image is written without materials
        return "wooden" if "material" in text else "red"

    with ImageServer(plan) as server:
        reader = VLMAttributes(model(server), ["color", "material"])
        first = annotate(images, out, detector=BatchDetector(), attributes_model=reader, batch_size=2)
        assert first.repairs[SERVER_PARTLY] == 1 and first.repairs["attribute_requests_failed"] == 3
        assert first.scenes_written == 4
        down[0] = False
        server.asked.clear()
        detector = BatchDetector()
        again = annotate(images, out, detector=detector, attributes_model=reader, batch_size=2, resume=True)
        assert detector.seen == [2]  # image 2 through the detector with image 3, its batch-mate, as at first
        assert set(server.asked) == {2}  # but only image 2's attributes asked again
        annotate(images, tmp_path / "ref" / "s.jsonl", detector=BatchDetector(), attributes_model=reader, batch_size=2)
    assert files(tmp_path / "run") == files(tmp_path / "ref")
    assert again.repairs[RETRIED] == 1 and "attribute_requests_failed" not in again.repairs
    assert SERVER_PARTLY not in again.repairs


class Crash(BaseException):  # as a kill would
    pass


def test_a_resume_killed_while_putting_its_files_in_place_finishes_the_moves(tmp_path: Path, monkeypatch) -> None:
    import veriscene.annotate.retry as retry

    images = photos(tmp_path)
    out = tmp_path / "run" / "s.jsonl"
    failing: dict[int, Any] = {0: 503, 2: 503}
    with ImageServer(lambda k, text: failing.get(k, CUP)) as server:
        detector = VLMDetector(model(server))
        annotate(images, out, detector=detector)
        failing = {}

        class Os:  # the moves of `retry`: the scene file's made, then a kill
            path = os.path

            @staticmethod
            def replace(new: str, place: str) -> None:
                if Path(place).name == "rejects.jsonl":
                    raise Crash
                os.replace(new, place)

        monkeypatch.setattr(retry, "os", Os)
        with pytest.raises(Crash):
            annotate(images, out, detector=detector, resume=True)
        assert "moving" in json.loads(run_files(out)[1].read_bytes())
        monkeypatch.undo()
        server.asked.clear()
        annotate(images, out, detector=detector, resume=True)
        assert server.asked == []  # done and in place already
        annotate(images, tmp_path / "ref" / "s.jsonl", detector=detector)
    assert files(tmp_path / "run") == files(tmp_path / "ref")


def test_cli_resume_says_what_it_did_again(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app

    images = photos(tmp_path, 3)
    failing: dict[int, Any] = {1: 503}
    with ImageServer(lambda k, text: failing.get(k, CUP)) as server:
        command = ["annotate", str(images), "--detector-model", "fake-vlm", "--base-url", server.url,
                   "--max-retries", "0", "--out", str(tmp_path / "s.jsonl")]
        first = CliRunner().invoke(app, command)
        assert first.exit_code == 0, first.output
        assert "1 image(s) rejected because the server failed" in " ".join(first.output.split())
        failing = {}
        again = CliRunner().invoke(app, [*command, "--resume"])
    assert again.exit_code == 0, again.output
    text = " ".join(again.output.split())
    assert "Retried 1 image(s) the server had failed on: 1 done now, 0 failing again." in text
    assert "because the server failed" not in text
