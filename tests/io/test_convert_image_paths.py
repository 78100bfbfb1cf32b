"""Image paths a reader takes from its options (label maps' `images=`), written into a scene file
in another folder: they name the same files from there."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import veriscene
from veriscene.io.convert import convert
from veriscene.option_names import cli_names


@pytest.fixture
def label_maps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of two 2D label maps, their images in images/ and labels.csv; the current folder."""
    data = tmp_path / "data"
    (data / "images").mkdir(parents=True)
    for k in range(2):
        labels = np.zeros((64, 64), np.uint8)
        labels[5:40, 5:30] = 1
        labels[10:30, 40:60] = 2
        Image.fromarray(labels).save(data / f"case{k}.png")
        Image.new("L", (64, 64), 90).save(data / "images" / f"case{k}.png")
    (data / "labels.csv").write_text("value,name\n1,liver\n2,spleen\n")
    monkeypatch.chdir(data)
    return data


def image_files(scene_file: Path) -> list[Path]:
    lines = scene_file.read_text().splitlines()
    return [(scene_file.parent / json.loads(line)["image"]).resolve() for line in lines]


@pytest.mark.parametrize("out", ["scenes.jsonl", "../converted/scenes.jsonl", "sub/deeper/scenes.jsonl"])
def test_label_map_images_are_named_from_the_scene_file(label_maps: Path, out: str) -> None:
    """'-r images=img' wrote 'img/case0.png', the path given, relative to the current folder, into a
    scene file read relative to its own folder: with --out elsewhere every image was missing."""
    convert(".", out, "label_map", images="images")
    found = image_files(label_maps / out)
    assert found == [(label_maps / "images" / f"case{k}.png").resolve() for k in range(2)]
    assert all(path.is_file() for path in found)


def test_generate_from_label_maps_finds_their_images(label_maps: Path, tmp_path: Path) -> None:
    """`generate . --from label_map -r images=img -o ../run` converted into run/scenes.jsonl naming
    'img/case0.png': the export said every image missing (run/img/case0.png)."""
    run = tmp_path / "run"
    veriscene.generate(".", run, from_format="label_map", reader_options={"images": "images"},
                       generators="grounding")
    assert all(path.is_file() for path in image_files(run / "scenes.jsonl"))
    summary = veriscene.export(run, tmp_path / "llava.json", "llava")
    assert summary.samples_written > 0 and summary.images_missing == 0


def test_label_maps_without_images_are_warned_of(label_maps: Path, tmp_path: Path) -> None:
    """Label maps converted without -r images=DIR: the table said 'scenes without image 2', and
    `generate --from label_map` made a run whose samples no export could train on, without a warning."""
    summary = convert(".", "scenes.jsonl", "label_map")
    assert summary.warnings == ["every scene names no image file (label maps without images=DIR, volumes "
                                "without slice_images=DIR): their samples show no image, and exports for "
                                "training skip them"]
    with cli_names():  # as `veriscene convert` says it
        assert summary.warnings[0].startswith("every scene names no image file (label maps without -r images=DIR, "
                                              "volumes without -r slice_images=DIR)")
    assert convert(".", "with_images.jsonl", "label_map", images="images").warnings == []
    run = veriscene.generate(".", tmp_path / "run", from_format="label_map", generators="grounding")
    assert any("every scene names no image file" in note for note in run.notes)
