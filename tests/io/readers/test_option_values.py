"""Reader options given in Python as on the command line: image_size="WxH" and synonyms=FILE
(`read`, `convert`, `generate(reader_options=...)`), as the README names them for both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import veriscene
from veriscene.errors import ReaderOptionError
from veriscene.io.readers import read

from .reader_helpers import write_json
from .test_read_clevr import two_objects


def gqa_file(tmp_path: Path) -> Path:
    objects = {"1": {"name": "Men", "x": 1, "y": 1, "w": 20, "h": 30, "attributes": [], "relations": []},
               "2": {"name": "doggy", "x": 40, "y": 5, "w": 20, "h": 20, "attributes": [], "relations": []}}
    return write_json(tmp_path / "val_sceneGraphs.json", {"7": {"width": 100, "height": 80, "objects": objects}})


@pytest.mark.parametrize("size", ["480x320", " 480 X 320 ", (480, 320), [480, 320]])
def test_image_size_as_text_or_pair(tmp_path: Path, size) -> None:
    path = write_json(tmp_path / "CLEVR_val_scenes.json", {"info": {}, "scenes": [two_objects()]})
    (scene,) = read(path, "clevr", image_size=size)
    assert (scene.width, scene.height) == (480, 320)


@pytest.mark.parametrize("size", ["480", "480x", "480x320x3", (480, 320, 3), 480])
def test_malformed_image_size_names_the_option(tmp_path: Path, size) -> None:
    path = write_json(tmp_path / "CLEVR_val_scenes.json", {"info": {}, "scenes": [two_objects()]})
    with pytest.raises(ReaderOptionError, match="image_size must be") as info:
        list(read(path, "clevr", image_size=size))
    assert info.value.option == "image_size"


def test_synonyms_file_through_read_convert_and_generate(tmp_path: Path) -> None:
    path = gqa_file(tmp_path)
    synonyms = write_json(tmp_path / "syn.json", {"doggy": "dog"})
    (scene,) = read(path, "gqa", synonyms=str(synonyms))
    assert scene.names == ("man", "dog")
    summary = veriscene.convert(path, tmp_path / "s.jsonl", "gqa", synonyms=synonyms)
    assert summary.scenes_written == 1
    line = json.loads((tmp_path / "s.jsonl").read_text().splitlines()[0])
    assert [o["name"] for o in line["objects"]] == ["man", "dog"]
    run = veriscene.generate(path, tmp_path / "run", from_format="gqa", reader_options={"synonyms": str(synonyms)},
                             generators="object.count.v1")
    assert run.scenes == 1
    names = [o["name"] for o in json.loads((tmp_path / "run" / "scenes.jsonl").read_text())["objects"]]
    assert names == ["man", "dog"]


def test_missing_synonyms_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.json: no such synonym file"):
        list(read(gqa_file(tmp_path), "gqa", synonyms=str(tmp_path / "nope.json")))
