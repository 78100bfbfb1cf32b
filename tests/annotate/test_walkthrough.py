"""What a new user meets first: a server down from the start, an empty list file, a folder that
cannot be read, a run stopped with Ctrl-C."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

import pytest

pytest.importorskip("httpx")  # in the test extra: never skipped by `make test`

from veriscene.annotate import VLMDetector, annotate, image_files  # noqa: E402

from .test_pipeline import draw_scene  # noqa: E402
from .test_server_faults import CUP, StatusServer, model  # noqa: E402


@pytest.mark.parametrize("workers", [1, 2])
def test_a_server_failing_on_the_first_images_says_so_and_resume_goes_on(tmp_path: Path, workers: int) -> None:
    for k in range(5):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    down = [True]

    def answer(text: str, images: list[str]) -> str | int:
        return 503 if down[0] else CUP

    out = tmp_path / "s.jsonl"
    with StatusServer(answer) as server:
        detector = VLMDetector(model(server, max_retries=1))
        # the server's fault, not the model's nor the images': the message says what to do
        with pytest.raises(RuntimeError, match=r"the server failed on each of the first 3 images .*HTTP 503.*call "
                                               r"annotate again with resume=True to go on"):
            annotate(tmp_path / "photos", out, detector=detector, workers=workers)
        down[0] = False
        summary = annotate(tmp_path / "photos", out, detector=detector, workers=workers, resume=True)
    assert summary.scenes_written == 5 and summary.rejected == 0
    assert [json.loads(line)["image_id"] for line in out.read_text().splitlines()] == ["0", "1", "2", "3", "4"]


def test_an_empty_list_file_is_refused_with_its_name(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app

    listed = tmp_path / "images.txt"
    listed.write_text("# none yet\n\n")
    done = CliRunner().invoke(app, ["annotate", str(listed), "--detector", str(tmp_path / "models"),
                                    "--out", str(tmp_path / "run" / "s.jsonl")])
    assert done.exit_code == 2, done.output  # as an empty folder: not the run's own state file missing
    assert "images.txt:listsnoimagepaths" in "".join(done.output.split())  # (rich wraps long paths anywhere)
    assert not (tmp_path / "run").exists()


def _unreadable(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """`folder` cannot be listed, as a folder without read permission (the tests may run as root)."""
    scandir = os.scandir

    def refusing(path: Any = ".") -> Any:
        if os.path.realpath(path) == os.path.realpath(folder):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)


def test_a_folder_that_cannot_be_read_is_reported_not_left_out_silently(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    photos = tmp_path / "photos"
    draw_scene(photos / "a.png")
    draw_scene(photos / "locked" / "b.png")
    _unreadable(monkeypatch, photos / "locked")
    skipped: list[tuple[str, str]] = []
    assert image_files(photos, skipped)[1] == [photos / "a.png"]
    assert skipped == [(str(photos / "locked"),
                        "a folder that cannot be read (Permission denied): its images left out")]


def test_an_images_folder_that_cannot_be_read_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    draw_scene(tmp_path / "photos" / "a.png")
    _unreadable(monkeypatch, tmp_path / "photos")
    with pytest.raises(PermissionError, match=r"photos: cannot read this folder \(Permission denied\)"):
        image_files(tmp_path / "photos")  # not "no images in this folder"


def test_ctrl_c_says_how_to_go_on_and_resume_does(tmp_path: Path) -> None:
    import _thread
    import signal

    # Ctrl-C as in a shell, where Python's handler is installed: `interrupt_main` does nothing
    # while SIGINT is ignored or left to the system. This test failed twice in full suites (exit 0,
    # no interrupt), cause unknown: a full suite logging every test after which a worker's SIGINT
    # handler differed found none, so no test is known to leave it changed.
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _ctrl_c_walkthrough(tmp_path, _thread.interrupt_main)
    finally:
        signal.signal(signal.SIGINT, before)


def _ctrl_c_walkthrough(tmp_path: Path, interrupt_main: Callable[[], None]) -> None:

    from typer.testing import CliRunner

    from veriscene.cli import app

    for k in range(4):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    calls: list[int] = []

    def answer(text: str, images: list[str]) -> str | int:
        calls.append(1)
        if len(calls) == 3:
            interrupt_main()  # Ctrl-C while the third image is asked about
        return CUP

    out = tmp_path / "s.jsonl"
    # One request at a time: with several in flight, all four images could be answered before the
    # interrupt reaches the event loop's task, and the run would end without it (seen once in a
    # full suite under load).
    command = ["annotate", str(tmp_path / "photos"), "--detector-model", "fake-vlm", "--out", str(out),
               "--concurrency", "1"]
    with StatusServer(answer) as server:
        stopped = CliRunner().invoke(app, [*command, "--base-url", server.url])
        assert stopped.exit_code == 130, (stopped.output, stopped.exception)
        assert "interrupted(Ctrl-C):theimagesdonearekept" in "".join(stopped.output.split())
        assert "--resume" in stopped.output
        done = CliRunner().invoke(app, [*command, "--base-url", server.url, "--resume"])
    assert done.exit_code == 0, done.output
    assert [json.loads(line)["image_id"] for line in out.read_text().splitlines()] == ["0", "1", "2", "3"]
    assert len(calls) < 8  # the images done before Ctrl-C were not asked about again


def test_annotate_images_takes_model_folders_as_annotate_does(tmp_path: Path,
                                                              tiny_models: tuple[Path, Path, Path]) -> None:
    from veriscene.annotate import annotate_images

    detr, dpt, sam = tiny_models
    for k in range(2):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    kw: dict[str, Any] = dict(detector=detr, depth=dpt, segmenter=sam, threshold=0.0, max_objects=2)
    annotate(tmp_path / "photos", tmp_path / "s.jsonl", **kw)
    written = [json.loads(line)["objects"] for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    # a folder was taken for the detector callable before ("'str' object is not callable")
    streamed = [list(scene.names) for scene in annotate_images(tmp_path / "photos", **kw)]
    assert streamed == [[o["name"] for o in objects] for objects in written]
    assert all(1 <= len(names) <= 2 for names in streamed)


class _ListingServer:
    """A server that knows the models `names` (``GET /v1/models``) and answers 404 to any chat."""

    def __init__(self, names: list[str]) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        listing = json.dumps({"object": "list", "data": [{"id": n, "object": "model"} for n in names]}).encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._send(200 if self.path == "/v1/models" else 404, listing)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._send(404, b'{"message": "The model does not exist."}')

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_misspelt_model_name_is_answered_with_the_served_models(tmp_path: Path) -> None:
    from veriscene.evaluate.adapters.base import ModelConfigError
    from veriscene.evaluate.adapters.openai_compat import OpenAIChatModel

    draw_scene(tmp_path / "photos" / "p.png")
    server = _ListingServer(["Qwen/Qwen2.5-VL-7B-Instruct", "llava-hf/llava-1.5-7b-hf"])
    try:
        detector = VLMDetector(OpenAIChatModel("Qwen/Qwen2.5-VL-7B-Instruc", server.url))
        with pytest.raises(ModelConfigError, match=r"HTTP 404 .*The server serves Qwen/Qwen2.5-VL-7B-Instruct, "
                                                   r"llava-hf/llava-1.5-7b-hf \(the closest: "
                                                   r"'Qwen/Qwen2.5-VL-7B-Instruct'\)"):
            annotate(tmp_path / "photos", tmp_path / "s.jsonl", detector=detector)
        # a name the server lists: the endpoint is wrong, not the name, and nothing is added
        detector = VLMDetector(OpenAIChatModel("llava-hf/llava-1.5-7b-hf", server.url))
        with pytest.raises(ModelConfigError, match=r"endpoint or model not found \([^)]*\)\. The run stopped"):
            annotate(tmp_path / "photos", tmp_path / "s.jsonl", detector=detector)
    finally:
        server.close()


def test_a_resume_with_another_setting_names_that_setting_alone(tmp_path: Path) -> None:
    for k in range(4):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    out = tmp_path / "s.jsonl"
    calls: list[int] = []

    def answer(text: str, images: list[str]) -> str | int:
        calls.append(1)
        return 503 if len(calls) == 2 else CUP  # an image for --resume to do again: the run's state is kept

    with StatusServer(answer) as server:
        annotate(tmp_path / "photos", out, detector=VLMDetector(model(server, max_retries=0), box_format="norm1000"))
        with pytest.raises(ValueError) as refused:
            annotate(tmp_path / "photos", out, detector=VLMDetector(model(server), box_format="norm1"), resume=True)
    # the whole stages, old and new (some 1,400 characters), before
    assert str(refused.value) == (f"{out}: cannot resume a different run (stages.detector.box_format: 'norm1000' -> "
                                  "'norm1'); run without resume to start over")


@pytest.mark.parametrize(("option", "value", "said"), [
    ("--max-objects", "0", "--max-objects"), ("--max-side", "0", "--max-side"), ("--threshold", "2", "--threshold"),
    ("--batch-size", "0", "--batch-size"), ("--workers", "0", "--workers"), ("--concurrency", "0", "--concurrency"),
    ("--names", "EMPTY", "no name to look for"),
])
def test_an_option_out_of_range_is_a_usage_error_naming_the_option(tmp_path: Path, option: str, value: str,
                                                                   said: str) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app

    draw_scene(tmp_path / "photos" / "p.png")
    if value == "EMPTY":
        value = str(tmp_path / "names.txt")
        (tmp_path / "names.txt").write_text("\n")
    done = CliRunner().invoke(app, ["annotate", str(tmp_path / "photos"), "--detector-model", "m", "--base-url",
                                    "http://127.0.0.1:9/v1", option, value, "--out", str(tmp_path / "s.jsonl")])
    # exit 1 and the Python argument's name ("max_objects must be at least 1"), or no check at all, before
    assert done.exit_code == 2, done.output
    assert said in done.output
