"""annotate never writes over what it reads: an `out` or reject report that is the list file or
image given, or an image of the folder given, is refused before any model loads (exit 2), as is
a report that is `out`. Before, `--out photos.txt` emptied the list and `--rejects photos/1.jpg`
replaced the photo with the reject report."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from veriscene.annotate import annotate
from veriscene.cli import app
from veriscene.io.writers.files import OutputError


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(2):
        Image.new("RGB", (16, 12), (i * 90, 20, 30)).save(folder / f"{i}.jpg")
    (folder / "list.txt").write_text("0.jpg\n1.jpg\n")
    return folder


@pytest.mark.parametrize(("images", "out", "rejects", "said"), [
    ("list.txt", "list.txt", None, "out {d}/list.txt is the input (the list of images annotated)"),
    ("list.txt", "s.jsonl", "list.txt", "rejects {d}/list.txt is the input"),
    ("0.jpg", "0.jpg", None, "out {d}/0.jpg is the input (the image annotated)"),
    (".", "s.jsonl", "1.jpg", "rejects {d}/1.jpg is an image of the folder annotated"),
    (".", "s.jsonl", "s.jsonl", "rejects {d}/s.jsonl is out"),
])
def test_what_the_run_reads_is_not_written_over(photos: Path, images: str, out: str, rejects: str | None,
                                                  said: str) -> None:
    before = {p.name: p.read_bytes() for p in photos.iterdir()}
    where = {"out": photos / out, "rejects": None if rejects is None else photos / rejects}
    with pytest.raises(OutputError, match=said.format(d=photos).replace("(", r"\(").replace(")", r"\)")):
        annotate(photos / images, where["out"], detector=photos / "no-model", rejects=where["rejects"])
    args = ["annotate", str(photos / images), "--detector", str(photos / "no-model"), "--out", str(where["out"]),
            *(["--rejects", str(where["rejects"])] if rejects else [])]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert {p.name: p.read_bytes() for p in photos.iterdir()} == before
