"""Stages by the CLI's names: models served by name on base_url, objects kept, deprecated names."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

pytest.importorskip("httpx")  # in the test extra: never skipped by `make test`

from veriscene.annotate import VLMAttributes, VLMDetector, VLMRelations, annotate, annotate_images  # noqa: E402
from veriscene.annotate.stage_setup import served_stages  # noqa: E402
from veriscene.evaluate.adapters.openai_compat import OpenAIChatModel  # noqa: E402

from ..evaluate.fake_server import FakeServer  # noqa: E402
from .test_pipeline import draw_scene, fake_detector  # noqa: E402

CUP = '[{"label": "cup", "bbox_2d": [10, 20, 41, 51]}]'  # the red square of draw_scene, in pixels
URL = "http://localhost:8000/v1"


def _served(**over: object) -> dict[str, object]:
    given: dict[str, object] = dict(detector=None, detector_model=None, names=None, box_format="pixels",
                                    max_side=None, max_objects=50, attributes_model=None,
                                    attribute_kinds=("color", "material"), relations_model=None, predicates=None,
                                    base_url=URL, concurrency=8, timeout=120.0, max_retries=6)
    return given | over


def test_models_named_are_asked_on_the_server_with_the_settings_given() -> None:
    find, read, relate = served_stages(**_served(  # type: ignore[arg-type]
        detector_model="det", names=["cup", "ball"], box_format="norm1000", max_side=512, max_objects=20,
        attributes_model="att", attribute_kinds=["color"], relations_model="rel", predicates=["on", "holding"],
        concurrency=3, timeout=9.0, max_retries=1))
    assert isinstance(find, VLMDetector) and isinstance(read, VLMAttributes) and isinstance(relate, VLMRelations)
    assert (find.names, find.box_format, find.max_side, find.max_objects) == (["cup", "ball"], "norm1000", 512, 20)
    assert [m.name for m in (find.model, read.model, relate.model)] == ["det", "att", "rel"]
    assert {(m.url, m.concurrency, m.timeout, m.max_retries) for m in (find.model, read.model, relate.model)} == {
        (f"{URL}/chat/completions", 3, 9.0, 1)}
    assert find.model.params["max_tokens"] == 800  # 40 an object
    assert read.kinds == ["color"] and relate.predicates == ["on", "holding"]


def test_stages_given_as_objects_or_folders_are_kept() -> None:
    reader = VLMAttributes(OpenAIChatModel("att", URL))
    assert served_stages(**_served(detector="models/detr", attributes_model=reader, base_url=None)) == (  # type: ignore[arg-type]
        "models/detr", reader, None)
    assert served_stages(**_served(detector=fake_detector))[0] is fake_detector  # type: ignore[arg-type]


@pytest.mark.parametrize(("over", "message"), [
    ({}, "give one detector"),
    ({"detector": "models/detr", "detector_model": "det"}, "give one detector"),
    ({"detector": "models/detr", "relations_model": "rel", "base_url": None}, r"relations_model='rel'.*needs base_url"),
])
def test_what_does_not_go_together_is_refused(over: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        served_stages(**_served(**over))  # type: ignore[arg-type]


def test_annotate_images_with_a_served_detector(tmp_path: Path) -> None:
    draw_scene(tmp_path / "p.png")
    with FakeServer(lambda text, images: CUP) as server:
        (scene,) = annotate_images(tmp_path / "p.png", detector_model="fake-vlm", base_url=server.url, depth=None)
    assert scene.names == ("cup",) and scene.boxes.tolist() == [[10.0, 20.0, 41.0, 51.0]]


def test_old_keyword_names_still_work_with_a_warning(tmp_path: Path) -> None:
    draw_scene(tmp_path / "photos" / "p.png")
    with pytest.warns(DeprecationWarning, match=r"annotate\(rejects_path=\.\.\.\) is deprecated.*use rejects="):
        summary = annotate(tmp_path / "photos", tmp_path / "s.jsonl", detector=fake_detector,
                           rejects_path=tmp_path / "bad.jsonl")
    assert summary.rejects == str(tmp_path / "bad.jsonl") and (tmp_path / "bad.jsonl").exists()
    with pytest.warns(DeprecationWarning, match="use relations_model="):
        (scene,) = annotate_images(tmp_path / "photos", detector=fake_detector, relation_model=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (same,) = annotate_images(tmp_path / "photos", detector=fake_detector)
    assert (same.names, same.boxes.tolist(), same.attributes, same.relations) == (
        scene.names, scene.boxes.tolist(), scene.attributes, scene.relations)
    with pytest.raises(TypeError, match="both attributes= and attributes_model="):
        annotate_images(tmp_path / "photos", detector=fake_detector, attributes=None, attributes_model=None)


@pytest.mark.parametrize(("options", "error", "said"), [
    ({"batch_size": 0}, ValueError, "batch_size must be at least 1, got 0"),
    ({"max_objects": 0}, ValueError, "max_objects must be at least 1, got 0"),
    ({"threshold": 2}, ValueError, "threshold must be a number from 0 to 1, got 2"),
    ({"names": "cup,ball"}, TypeError, "names must be a list of words, got the text 'cup,ball': give ['cup', 'ball']"),
    ({"attribute_kinds": "color"}, TypeError, ("attribute_kinds must be a list of words, got the text 'color': give "
                                               "['color']")),
    ({"out": "folder"}, IsADirectoryError, ("out {t}/folder is a folder: give the file to write "
                                            "(e.g. {t}/folder/scenes.jsonl)")),
    ({"out": "afile/s.jsonl"}, ValueError, "out {t}/afile/s.jsonl: cannot write there: {t}/afile is a file, not a folder"),
    ({"out": "new/"}, IsADirectoryError, ("out {t}/new/ names a folder (it ends in /): give the file to write "
                                          "(e.g. {t}/new/scenes.jsonl)")),  # before: a file named `new`
    # before: Ray's "Invalid address format: 127.0.0.1", once Ray had started, the reject report made
    ({"backend": "ray", "address": "127.0.0.1"}, ValueError,
     ("address '127.0.0.1' is not a Ray cluster address: give HOST:PORT, the head node's address and port (what "
      "`ray start --head` prints; 6379 by default), ray://HOST:PORT for Ray Client (10001 by default), auto for the "
      "cluster `ray start` made on this machine, or local for a Ray of the run's own")),
])
def test_bad_options_are_refused_before_any_image_or_file(tmp_path: Path, options, error, said) -> None:
    # before: batch_size=0 died of ZeroDivisionError after writing the run's partial files; a text
    # of names was taken letter by letter; a folder `out` got `.folder.partial` written beside it
    images = tmp_path / "images"
    draw_scene(images / "a.png")
    work = tmp_path / "work"
    (work / "folder").mkdir(parents=True)
    (work / "afile").write_text("x")
    given = {"out": "s.jsonl"} | options
    with pytest.raises(error) as info:
        annotate(images, f"{work}/{given.pop('out')}", detector=fake_detector, **given)  # (as given: `new/`)
    assert str(info.value) == said.format(t=work)
    assert sorted(p.name for p in work.rglob("*")) == ["afile", "folder"]
