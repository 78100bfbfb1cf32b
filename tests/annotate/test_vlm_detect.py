"""Detection by a vision-language model on an OpenAI-compatible server (a fake one, real HTTP)."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from veriscene.evaluate.adapters.base import ModelConfigError
from PIL import Image

pytest.importorskip("httpx")  # in the test extra: never skipped by `make test`

from veriscene.annotate import Detection, annotate_images  # noqa: E402
from veriscene.annotate.batches import StageFailure  # noqa: E402
from veriscene.annotate.vlm_detect import VLMDetector, read_entries  # noqa: E402
from veriscene.evaluate.adapters.base import Completion, Model, OnDone, Request  # noqa: E402
from veriscene.evaluate.adapters.openai_compat import OpenAIChatModel  # noqa: E402
from veriscene.io.rejects import RejectReport  # noqa: E402

from ..evaluate.fake_server import FakeServer  # noqa: E402
from .test_pipeline import draw_scene  # noqa: E402

CUP = '{"label": "cup", "bbox_2d": [10, 20, 41, 51]}'  # the red square of draw_scene, in pixels


class Script:
    """The shared fake server's model: `reply` (a text, or a function of the prompt) to every
    request of one image, the prompts kept in `seen`."""

    def __init__(self) -> None:
        self.reply: str | Callable[[str], str] = "[]"
        self.seen: list[str] = []

    def __call__(self, text: str, images: list[str]) -> str:
        assert len(images) == 1
        self.seen.append(text)
        return self.reply if isinstance(self.reply, str) else self.reply(text)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer(Script()) as running:  # one for the module: each takes 0.5 s to stop
        yield running


@pytest.fixture
def script(server: FakeServer) -> Script:
    """The shared server's model, replying [] and having seen nothing."""
    fresh = server.answer
    assert isinstance(fresh, Script)
    fresh.reply, fresh.seen = "[]", []
    return fresh


def sent_size(text: str) -> tuple[int, int]:
    """The size of the image as sent, as a "pixels" prompt states it."""
    found = re.search(r"in pixels of this (\d+)x(\d+) image", text)
    assert found, text
    return int(found.group(1)), int(found.group(2))


def detect(server: FakeServer, script: Script, reply: str, names: Sequence[str] | None = None,
           **options: Any) -> tuple[list[Detection], VLMDetector, list[str]]:
    """(detections, detector, prompts sent) for a 120x80 image, the model replying `reply`."""
    image = Image.new("RGB", (120, 80))
    script.reply = reply
    detector = VLMDetector(OpenAIChatModel("fake-vlm", server.url), names, **options)
    return detector(image), detector, script.seen


@pytest.mark.parametrize(("box_format", "box", "stated", "expected"), [
    ("pixels", '"bbox_2d": [10, 20, 41, 51]', "in pixels of this 120x80 image", (10, 20, 41, 51)),
    ("norm1000", '"bbox_2d": [250, 125, 500, 750]', "as integers from 0 to 1000", (30, 10, 60, 60)),
    ("norm1", '"bbox_2d": [0.25, 0.125, 0.5, 0.75]', "as fractions from 0 to 1", (30, 10, 60, 60)),
    ("yxyx_norm1000", '"box_2d": [125, 250, 750, 500]', '"box_2d": [y0, x0, y1, x1]',
     (30, 10, 60, 60)),
])
def test_each_box_format_gives_pixel_boxes(server: FakeServer, script: Script, box_format: str,
                                           box: str, stated: str,
                                           expected: tuple[float, ...]) -> None:
    found, detector, (prompt,) = detect(server, script, f'[{{"label": "cup", {box}}}]',
                                        box_format=box_format)
    assert found == [Detection("cup", expected, 1.0)]
    assert stated in prompt and detector.skipped == Counter()


@pytest.mark.parametrize(("max_side", "box_format", "reply_box", "sent", "expected"), [
    (60, "pixels", [5, 10, 20, 25], (60, 40), (10, 20, 40, 50)),
    (50, "pixels", [25, 11, 50, 33], (50, 33), (60, 26.67, 120, 80)),  # 80 * 50 / 120 = 33.3 -> 33
    (500, "pixels", [10, 20, 41, 51], (120, 80), (10, 20, 41, 51)),  # never enlarged
    (60, "norm1000", [250, 125, 500, 750], None, (30, 10, 60, 60)),  # the same whatever the size
])
def test_max_side_downscales_and_pixel_boxes_scale_back(
        server: FakeServer, script: Script, max_side: int, box_format: str, reply_box: list[int],
        sent: tuple[int, int] | None, expected: tuple[float, ...]) -> None:
    reply = json.dumps([{"label": "cup", "bbox_2d": reply_box}])
    found, _, (prompt,) = detect(server, script, reply, box_format=box_format, max_side=max_side)
    assert found == [Detection("cup", expected, 1.0)]
    if sent is not None:
        assert sent_size(prompt) == sent


@pytest.mark.parametrize("reply", [
    f"```json\n[{CUP}]\n```",
    f"The objects [as asked]:\n```json\n[\n  {CUP}\n]\n```\nThat is all.",
    'Sure! I found [1] object: [{"name": "cup", "bbox": [10, 20, 41, 51]}]. Anything else?',
    '{"object": "cup", "box": [10, 20, 41, 51]}',  # one object, not in a list
    'Here it is: {"label": "cup", "box_2d": [41, 51, 10, 20]}',  # corners inverted
    f'[{CUP}, {{"label": "ball", "bbox_2d": [70, 15,',  # cut short by the token limit
])
def test_replies_are_read_tolerantly(server: FakeServer, script: Script, reply: str) -> None:
    found, detector, _ = detect(server, script, reply)
    assert found == [Detection("cup", (10, 20, 41, 51), 1.0)]
    assert detector.skipped == Counter()


@pytest.mark.parametrize("reply", ["", "I cannot see any objects.", "{not json}", "```json\n```"])
def test_a_reply_without_json_is_unreadable(reply: str) -> None:
    with pytest.raises(ValueError, match="no JSON list of objects in the reply"):
        read_entries(reply)


def test_names_keep_their_instances_plurals_included(server: FakeServer, script: Script) -> None:
    reply = json.dumps([{"label": "Cups", "bbox_2d": [10, 20, 41, 51]},
                        {"label": "boxes", "bbox_2d": [100, 60, 119, 79]},
                        {"label": "ball", "bbox_2d": [70, 15, 111, 56]},
                        {"label": " cup ", "bbox_2d": [1, 1, 5, 5]}])
    found, detector, (prompt,) = detect(server, script, reply, ["cup", "box", " "])
    assert [(d.name, d.box) for d in found] == [
        ("cup", (10, 20, 41, 51)), ("box", (100, 60, 119, 79)), ("cup", (1, 1, 5, 5))]
    assert detector.skipped == Counter({"not_a_name": 1})
    assert "every instance of these objects in the image: cup, box." in prompt
    assert detector.describe()["names"] == ["cup", "box"]


def test_entries_left_out_are_counted_by_reason(server: FakeServer, script: Script) -> None:
    reply = json.dumps([
        {"label": "cup", "bbox_2d": [10, 20, 41, 51]},
        {"bbox_2d": [1, 1, 5, 5]},  # no label
        {"label": "  ", "bbox_2d": [1, 1, 5, 5]},
        {"label": 7, "bbox_2d": [1, 1, 5, 5]},
        {"label": "ball"},  # no box
        {"label": "ball", "bbox_2d": [70, 15, 111]},
        {"label": "ball", "bbox_2d": ["70", 15, 111, 56]},
        {"label": "ball", "bbox_2d": [float("nan"), 15, 111, 56]},
        {"label": "line", "bbox_2d": [10, 20, 10, 60]},  # no area
        "cup",
        {"label": "ball", "bbox_2d": [70, 15, 111, 56]},
        {"label": "box", "bbox_2d": [100, 60, 119, 79]},  # beyond max_objects
    ])
    found, detector, _ = detect(server, script, reply, max_objects=2)
    assert [(d.name, d.box, d.score) for d in found if d.problem is None] == [("cup", (10, 20, 41, 51), 1.0),
                                                                              ("ball", (70, 15, 111, 56), 1.0)]
    assert detector.skipped == Counter({"no_label": 3, "bad_box": 4, "no_area": 1,
                                        "not_an_object": 1, "over_max_objects": 1})
    # the model's faults come back too, for the pipeline to report; the names filter and
    # max_objects are settings, only counted
    problems = [d.problem for d in found if d.problem is not None]
    assert len(problems) == 9 and problems[0] == 'entry 1 of the reply has no label: {"bbox_2d": [1, 1, 5, 5]}'
    assert problems[-1] == 'entry 9 of the reply is not a JSON object: "cup"'


def test_the_models_faults_are_reported_as_rejected_objects(server: FakeServer, script: Script,
                                                           tmp_path: Path) -> None:
    draw_scene(tmp_path / "p.png")
    script.reply = json.dumps([{"label": "cup", "bbox_2d": [10, 20, 41, 51]}, {"label": "ball"},
                               {"label": "line", "bbox_2d": [10, 20, 10, 60]}])
    report = RejectReport()
    (s,) = annotate_images(tmp_path / "p.png", report=report,
                           detector=VLMDetector(OpenAIChatModel("fake-vlm", server.url)))
    assert s.names == ("cup",)
    assert [(e.level, e.field, e.reason) for e in report.entries] == [
        ("object", "detections[1]", 'entry 1 of the reply has no box of four numbers: {"label": "ball"}'),
        ("object", "detections[2]", 'entry 2 of the reply has a box of no area: {"label": "line", '
                                    '"bbox_2d": [10, 20, 10, 60]}')]


class Canned(Model):
    """A model that gives every request the same completion, without a server."""

    name = "canned"

    def __init__(self, text: str, info: dict[str, Any]) -> None:
        self.text, self.info, self.params = text, info, {}

    def generate(self, requests: Sequence[Request], on_done: OnDone) -> None:
        for request in requests:
            on_done(Completion(request.key, self.text, info=dict(self.info)))


def test_a_reply_cut_at_the_token_limit_is_counted() -> None:
    detector = VLMDetector(Canned(f'[{CUP}, {{"label": "ball", "bbox', {"finish_reason": "length"}))
    image = Image.new("RGB", (120, 80))
    for found in detector.batch([image, image]):
        cup, cut = found
        assert cup == Detection("cup", (10, 20, 41, 51), 1.0)
        assert cut.problem.startswith("the reply was cut at the server's token limit after 1 complete entries")
        assert found.counts == {"detector_replies_cut_off": 1}  # each image's result carries its counts
    assert detector.cut_off == 2 and detector.skipped == Counter()


def test_a_failed_request_raises() -> None:
    with socket.socket() as free:  # a port nothing listens on: every connection is refused
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    model = OpenAIChatModel("fake-vlm", f"http://127.0.0.1:{port}/v1", max_retries=0)
    detector = VLMDetector(model)
    with pytest.raises(ModelConfigError, match=f"no server answers at http://127.0.0.1:{port}/v1/chat/completions "
                                               r"\(1 attempt; last: connection error"):
        detector(Image.new("RGB", (120, 80)))


@pytest.mark.parametrize("batch_size", [1, 2])
def test_an_unreadable_reply_rejects_its_image_only(server: FakeServer, script: Script,
                                                    tmp_path: Path, batch_size: int) -> None:
    draw_scene(tmp_path / "photos" / "b.png")
    Image.new("RGB", (60, 40), (128, 128, 128)).save(tmp_path / "photos" / "a.png")
    prose = "I see a grey picture, nothing in it."
    script.reply = lambda text: prose if sent_size(text) == (60, 40) else f"[{CUP}]"  # a.png: 60x40
    report = RejectReport()
    detector = VLMDetector(OpenAIChatModel("fake-vlm", server.url))
    scenes = list(annotate_images(tmp_path / "photos", detector=detector, report=report,
                                  batch_size=batch_size))
    assert [(s.image_id, s.names) for s in scenes] == [("b", ("cup",))]
    (entry,) = report.entries
    assert entry.field == "detector" and entry.record == str(tmp_path / "photos" / "a.png")
    assert "no JSON list of objects in the reply: 'I see a grey picture" in entry.reason
    assert len(script.seen) == 2  # a batch's failure comes back in the image's place: nothing sent twice


def test_a_batch_goes_to_the_server_at_once_and_comes_back_in_order(server: FakeServer,
                                                                      script: Script) -> None:
    sizes = [(40, 40), (60, 40), (80, 40), (100, 40)]
    together = threading.Barrier(len(sizes), timeout=30)  # each request waits for all (long: a loaded CI)

    def reply(text: str) -> str:
        together.wait()
        width, height = sent_size(text)
        return json.dumps([{"label": f"w{width}", "bbox_2d": [0, 0, width // 2, height // 2]}])

    script.reply = reply
    detector = VLMDetector(OpenAIChatModel("fake-vlm", server.url, concurrency=4, max_retries=0))
    found = detector.batch([Image.new("RGB", size) for size in sizes])
    assert found == [[Detection(f"w{w}", (0, 0, w // 2, h // 2), 1.0)] for w, h in sizes]
    assert len(script.seen) == 4


def test_a_batch_gives_an_unreadable_replys_failure_in_its_place(server: FakeServer,
                                                                  script: Script) -> None:
    cup_and_boxless = f'[{CUP}, {{"label": "ball"}}]'
    script.reply = lambda text: "no idea" if sent_size(text) == (60, 40) else cup_and_boxless
    detector = VLMDetector(OpenAIChatModel("fake-vlm", server.url))
    good, failed = detector.batch([Image.new("RGB", (120, 80)), Image.new("RGB", (60, 40))])
    assert isinstance(failed, StageFailure) and failed.field == "detector" and "'no idea'" in failed.reason
    assert [d.name for d in good if d.problem is None] == ["cup"] and detector.skipped == Counter({"bad_box": 1})
    assert failed.reason.startswith("the detector failed: ValueError: no JSON list")
    with pytest.raises(ValueError, match="'no idea'"):  # one image alone: raised
        detector(Image.new("RGB", (60, 40)))


def test_scenes_from_the_model(server: FakeServer, script: Script, tmp_path: Path) -> None:
    draw_scene(tmp_path / "p.png")
    # 0-1000 of the 120x80 image: the red square at (9, 20)-(42, 50), the blue disc at
    # (69, 14)-(111, 56)
    script.reply = ('```json\n[{"label": "cup", "bbox_2d": [75, 250, 350, 625]},\n'
                    ' {"label": "ball", "bbox_2d": [575, 175, 925, 700]}]\n```')
    detector = VLMDetector(OpenAIChatModel("fake-vlm", server.url), box_format="norm1000")
    (s,) = annotate_images(tmp_path / "p.png", detector=detector)
    assert s.names == ("cup", "ball")
    assert s.boxes.tolist() == [[9, 20, 42, 50], [69, 14, 111, 56]]
    assert s.attributes == (("red",), ("blue",))  # from the pixels
    assert s.relations == ((0, "left of", 1), (1, "right of", 0))
    assert s.meta["scores"] == [1.0, 1.0]
    made_by = s.meta["annotated_by"]["detector"]
    assert made_by["kind"] == "VLMDetector" and made_by["box_format"] == "norm1000"
    assert made_by["model"]["model"] == "fake-vlm"
    assert made_by["prompt"].startswith("Find every object")


def test_settings_are_checked_and_a_prompt_of_ones_own_is_filled() -> None:
    model = OpenAIChatModel("m", "http://127.0.0.1:9/v1")  # never asked
    with pytest.raises(ValueError, match="unknown box_format 'xywh'; expected one of pixels, "
                                         "norm1000, norm1, yxyx_norm1000"):
        VLMDetector(model, box_format="xywh")
    for wrong, message in [({"max_side": 0}, "max_side must be at least 1"),
                           ({"max_objects": 0}, "max_objects must be at least 1"),
                           ({"names": [" "]}, "at least one name"),
                           ({"prompt": "Find the {names}."}, "no names were given")]:
        with pytest.raises(ValueError, match=message):
            VLMDetector(model, **wrong)
    template = 'Boxes of every {names} in {width}x{height} px: [{"label": ..., "bbox_2d": ...}].'
    own = VLMDetector(model, ["cup", "ball"], prompt=template)
    assert own.prompt_text(120, 80) == ('Boxes of every cup, ball in 120x80 px: '
                                        '[{"label": ..., "bbox_2d": ...}].')
    assert own.describe()["prompt"] == own.template


def test_cli_detector_model(server: FakeServer, script: Script, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app

    draw_scene(tmp_path / "photos" / "p.png")
    script.reply = ('[{"label": "cups", "bbox_2d": [75, 250, 350, 625]}, {"label": "tree", "bbox_2d": [0, 0, 9, 9]},'
                    ' {"label": "ball", "bbox_2d": [575, 175, 925, 700]}]')
    out = tmp_path / "scenes.jsonl"
    done = CliRunner().invoke(app, ["annotate", str(tmp_path / "photos"), "--detector-model", "fake-vlm",
                                    "--base-url", server.url, "--box-format", "norm1000", "--names", "cup,ball",
                                    "--batch-size", "2", "--out", str(out)])
    assert done.exit_code == 0, done.output
    scene = json.loads(out.read_text())
    assert [(o["name"], o["box"]) for o in scene["objects"]] == [("cup", [9.0, 20.0, 42.0, 50.0]),
                                                                  ("ball", [69.0, 14.0, 111.0, 56.0])]
    assert "cup, ball" in script.seen[-1]  # the names go into the prompt
    for wrong, says in ((["--detector-model", "m"], "need --base-url"),
                        (["--base-url", server.url], "give one detector")):
        failed = CliRunner().invoke(app, ["annotate", str(tmp_path / "photos"), *wrong, "--out", str(out)])
        assert failed.exit_code != 0 and says in " ".join(failed.output.split()), failed.output


def test_the_mask_model_is_not_asked_about_the_models_faulty_entries(server: FakeServer, script: Script,
                                                                     tmp_path: Path) -> None:
    import numpy as np

    asked: list[list] = []

    def strict_segmenter(image: Image.Image, boxes: list) -> list:
        asked.append(list(boxes))
        if any(x1 <= x0 or y1 <= y0 for x0, y0, x1, y1 in boxes):
            raise ValueError("a box of no area")
        out = []
        for x0, y0, x1, y1 in boxes:
            mask = np.zeros((image.height, image.width), dtype=bool)
            mask[int(y0):int(y1), int(x0):int(x1)] = True
            out.append(mask)
        return out

    draw_scene(tmp_path / "p.png")
    script.reply = json.dumps([{"label": "cup", "bbox_2d": [10, 20, 41, 51]}, {"label": "ball"}])
    report = RejectReport()
    (s,) = annotate_images(tmp_path / "p.png", report=report, segmenter=strict_segmenter,
                           detector=VLMDetector(OpenAIChatModel("fake-vlm", server.url)))
    assert asked == [[(10, 20, 41, 51)]] and s.names == ("cup",) and s.masks is not None
    assert [(e.level, e.field) for e in report.entries] == [("object", "detections[1]")]


@pytest.mark.parametrize("reply", [
    f"If there were none I would answer []. Here they are: [{CUP}]",  # the list of objects, not the []
    f'Like [{{"label": "cup"}}, {{"label": "ball"}}]? No: [{{"label": "ball"}}], [{CUP}, {CUP}]',  # the most objects
    f'{{"objects": [{CUP}]}}',  # JSON mode's wrapper object
    f'```json\n{{"detections": [{CUP}]}}\n```',
])
def test_the_list_of_objects_is_found_among_others(server: FakeServer, script: Script, reply: str) -> None:
    found, detector, _ = detect(server, script, reply)
    assert {d for d in found if d.problem is None} == {Detection("cup", (10, 20, 41, 51), 1.0)}


def test_an_empty_wrapper_and_an_empty_list_mean_no_objects() -> None:
    assert read_entries('{"objects": []}') == [] and read_entries("There is nothing: []") == []


def test_a_cut_reply_keeps_its_complete_entries_not_a_cut_entrys_inner_list() -> None:
    cut = f'[{CUP}, {{"label": "ball", "attributes": [], "bbox_2d": [70, 15,'
    detector = VLMDetector(Canned(cut, {"finish_reason": "length"}))
    found = detector(Image.new("RGB", (120, 80)))
    assert [d for d in found if d.problem is None] == [Detection("cup", (10, 20, 41, 51), 1.0)]
    assert found.counts == {"detector_replies_cut_off": 1}


def test_entries_left_out_by_the_settings_and_cut_replies_are_counted_in_the_run(
        server: FakeServer, script: Script, tmp_path: Path) -> None:
    from veriscene.annotate import annotate

    for k in range(2):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    script.reply = json.dumps([{"label": "cup", "bbox_2d": [10, 20, 41, 51]}, {"label": "tree", "bbox_2d": [1, 1, 9, 9]},
                               {"label": "cup", "bbox_2d": [70, 15, 111, 56]}])
    detector = VLMDetector(OpenAIChatModel("fake-vlm", server.url), ["cup"], max_objects=1)
    one = annotate(tmp_path / "photos", tmp_path / "w1" / "s.jsonl", detector=detector)
    two = annotate(tmp_path / "photos", tmp_path / "w2" / "s.jsonl", detector=detector, workers=2)
    for summary in (one, two):  # counted on the workers too
        assert summary.repairs["detector_labels_not_in_names"] == 2
        assert summary.repairs["detector_objects_over_max_objects"] == 2


@pytest.mark.parametrize(("box_format", "box", "why"), [
    ("norm1000", [0.1, 0.2, 0.3, 0.5], "has a box of fractions (all four numbers at most 1) where norm1000 asks for "
                                       "0-1000: the model answers in another convention (try "
                                       "box_format='norm1')"),  # (annotate's Python names: `option_names`)
    ("pixels", [0, 0, 1e300, 10], "has a box far outside the image (more than half the image past an edge, in "
                                  "box_format pixels)"),
    ("pixels", [10, 10, 10.5, 30], "has a box less than a pixel wide or high"),
    ("pixels", [10, 20, 10 ** 400, 51], "has no box of four numbers"),  # too large for a float: only it goes
])
def test_boxes_in_another_convention_or_garbage_are_rejected(tmp_path: Path, box_format: str, box: list,
                                                             why: str) -> None:
    draw_scene(tmp_path / "p.png")
    reply = f'[{CUP}, {{"label": "ball", "bbox_2d": [{", ".join(str(v) for v in box)}]}}]'
    report = RejectReport()
    detector = VLMDetector(Canned(reply, {"finish_reason": "stop"}), box_format=box_format)
    (s,) = annotate_images(tmp_path / "p.png", detector=detector, report=report)
    assert len(s.names) == 1  # the good entry stays
    (entry,) = report.entries
    assert entry.level == "object" and entry.reason.startswith(f"entry 1 of the reply {why}: ")


@pytest.mark.parametrize("batch_size", [1, 2])
def test_a_huge_integer_rejects_its_entry_only_and_nothing_is_sent_twice(
        server: FakeServer, script: Script, tmp_path: Path, batch_size: int) -> None:
    draw_scene(tmp_path / "photos" / "a.png")
    draw_scene(tmp_path / "photos" / "b.png")
    script.reply = f'[{CUP}, {{"label": "ball", "bbox_2d": [70, 15, 1{"0" * 400}, 56]}}]'
    report = RejectReport()
    detector = VLMDetector(OpenAIChatModel("fake-vlm", server.url))
    scenes = list(annotate_images(tmp_path / "photos", detector=detector, report=report, batch_size=batch_size))
    assert [s.names for s in scenes] == [("cup",), ("cup",)]
    assert [e.field for e in report.entries] == ["detections[1]"] * 2 and len(script.seen) == 2
