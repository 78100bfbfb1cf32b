"""`veriscene card` warns of a Parquet export whose images are null cells (the export found no
file for them): published so, the Hub shows no picture for those samples, without a word."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

import veriscene
from veriscene.card_data import images_missing
from veriscene.cli import app
from veriscene.io.export import export

pytest.importorskip("pyarrow")


def _run(tmp_path: Path, with_images: bool) -> Path:
    folder = tmp_path / ("with" if with_images else "without")
    folder.mkdir()
    lines = []
    for i in range(2):
        if with_images:
            Image.new("RGB", (40, 30), (200, 10, 10)).save(folder / f"{i}.png")
        lines.append(json.dumps({"schema_version": 1, "image_id": str(i), "width": 40, "height": 30, "image": f"{i}.png",
                                 "objects": [{"name": "cup", "box": [1, 1, 10, 10], "attributes": []},
                                             {"name": "ball", "box": [20, 5, 30, 25], "attributes": []}],
                                 "relations": []}))
    (folder / "scenes.jsonl").write_text("\n".join(lines) + "\n")
    veriscene.generate(folder / "scenes.jsonl", folder / "run", generators="object.count.v1")
    return folder / "run"


@pytest.mark.parametrize("with_images", [False, True])
def test_the_card_warns_of_missing_images(tmp_path: Path, with_images: bool) -> None:
    run = _run(tmp_path, with_images)
    pub = tmp_path / f"pub-{with_images}"
    export(run, pub / "data" / "train.parquet", to="parquet", embed_images=True)
    assert images_missing(pub / "data" / "train.parquet") is not with_images
    result = CliRunner().invoke(app, ["card", str(run), "--out", f"{pub}/", "--data-files", "train=data/train.parquet"])
    assert result.exit_code == 0, result.output
    said = "train.parquet has samples whose image is missing" in " ".join(result.output.split())
    assert said is not with_images
