"""A vision-language model's server failing part-way: failed requests are reported and counted, a
refused key stops the run (which resumes), images the server failed on are counted apart."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("httpx")  # in the test extra: never skipped by `make test`

from veriscene.annotate import VLMAttributes, VLMDetector, VLMRelations, annotate  # noqa: E402
from veriscene.evaluate.adapters.base import ModelConfigError  # noqa: E402
from veriscene.evaluate.adapters.openai_compat import OpenAIChatModel  # noqa: E402

from ..evaluate.fake_server import FakeServer  # noqa: E402
from .test_pipeline import draw_scene, fake_detector  # noqa: E402

CUP = '[{"label": "cup", "bbox_2d": [10, 20, 41, 51]}]'


class StatusServer(FakeServer):
    """A fake server whose `answer` may give an HTTP status (an int) instead of a reply."""

    def handle(self, handler: Any, body: dict) -> None:
        status = self.answer(*self.content(body))
        if isinstance(status, int):
            self._send(handler, status, {"error": {"message": f"injected {status}"}})
            return
        self._send(handler, 200, {"choices": [{"index": 0, "finish_reason": "stop",
                                               "message": {"role": "assistant", "content": status}}]})


def model(server: FakeServer, **options: Any) -> OpenAIChatModel:
    return OpenAIChatModel("fake-vlm", server.url, backoff_base=0.001, backoff_max=0.01, **options)


def test_failed_attribute_and_relation_requests_are_reported_and_counted(tmp_path: Path) -> None:
    draw_scene(tmp_path / "photos" / "p.png")

    def answer(text: str, images: list[str]) -> str | int:
        if "material" in text or "red outline marks a box" in text:
            return 500  # every material request fails after its retries, and the relations asked of the box
        return "red"

    with StatusServer(answer) as server:
        summary = annotate(tmp_path / "photos", tmp_path / "s.jsonl", detector=fake_detector,
                           attributes_model=VLMAttributes(model(server, max_retries=1)),
                           relations_model=VLMRelations(model(server, max_retries=1), near=0.5))
    assert summary.scenes_written == 1
    assert summary.repairs["attribute_requests_failed"] == 3  # a material request per object
    assert summary.repairs["relation_requests_failed"] == 2  # (box, ball) and (box, cup)
    rejects = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert {(r["level"], r["field"]) for r in rejects if r["level"] == "attribute"} == {
        ("attribute", f"objects[{k}].attributes.material") for k in range(3)}
    assert sum(r["level"] == "relation" for r in rejects) == 2
    assert all("gave up after 2 attempts; last: HTTP 500" in r["reason"] for r in rejects)


def test_a_refused_key_stops_the_run_and_resume_goes_on(tmp_path: Path) -> None:
    for k in range(5):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    seen: list[int] = []
    refuse = [False]

    def answer(text: str, images: list[str]) -> str | int:
        seen.append(1)
        if len(seen) == 3:
            refuse[0] = True  # the key expires on the third image
        return 401 if refuse[0] else CUP

    out = tmp_path / "s.jsonl"
    with StatusServer(answer) as server:
        detector = VLMDetector(model(server))
        with pytest.raises(ModelConfigError, match=r"HTTP 401 .*The run stopped after 2 of 5 images.*call annotate again with resume=True to go on$"):
            annotate(tmp_path / "photos", out, detector=detector)
        assert not out.exists() and not (tmp_path / "rejects.jsonl").read_text()  # no image rejected
        refuse[0] = False  # a new key
        summary = annotate(tmp_path / "photos", out, detector=detector, resume=True)
    assert summary.scenes_written == 5 and summary.rejected == 0
    assert [json.loads(line)["image_id"] for line in out.read_text().splitlines()] == ["0", "1", "2", "3", "4"]


def test_images_the_server_failed_on_are_counted_apart(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app

    for k in range(4):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    calls: list[int] = []

    def answer(text: str, images: list[str]) -> str | int:
        calls.append(1)
        return 503 if len(calls) in (2, 3) else CUP  # the second image's request, and its one retry

    with StatusServer(answer) as server:
        done = CliRunner().invoke(app, ["annotate", str(tmp_path / "photos"), "--detector-model", "fake-vlm",
                                        "--base-url", server.url, "--max-retries", "1", "--timeout", "30",
                                        "--out", str(tmp_path / "s.jsonl")])
    assert done.exit_code == 0, done.output
    assert len(calls) == 5  # 4 images, one retry
    text = " ".join(done.output.split())
    assert "1 image(s) rejected because the server failed" in text
    (reject,) = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert reject["field"] == "detector" and re.search(r"gave up after 2 attempts; last: HTTP 503", reject["reason"])
    assert "images rejected: the server failed │ 1" in done.output  # the summary's count


def test_a_server_that_is_not_there_is_said_in_one_sentence_then_the_resume(tmp_path: Path) -> None:
    """The error of no server at the URL ends in a question; the run's words follow it without a
    full stop after the question mark ("is base_url right?. The run stopped")."""
    draw_scene(tmp_path / "photos" / "0.png")
    with StatusServer(lambda text, images: CUP) as server:
        url = server.url
    detector = VLMDetector(model(server, max_retries=0))  # the server is gone: every connection is refused
    with pytest.raises(ModelConfigError) as raised:
        annotate(tmp_path / "photos", tmp_path / "s.jsonl", detector=detector)
    said = str(raised.value)
    assert said.startswith(f"no server answers at {url}/chat/completions (1 attempt; last: connection error")
    assert "is base_url right? The run stopped after 0 of 1 images" in said and "?." not in said
