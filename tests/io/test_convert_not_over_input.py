"""convert never writes over its input: a reject report (or `out`) that is the input file, or the
zip archive holding it, is refused before anything is read or written, as is a report that is
`out`. Before, `--rejects instances_val.json` replaced the COCO file with its own reject report."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.io.convert import convert
from veriscene.io.writers.files import OutputError

COCO = {"images": [{"id": 1, "file_name": "a.jpg", "width": 30, "height": 20}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5]},
                        {"id": 2, "image_id": 1, "category_id": 9, "bbox": [1, 1, 5, 5]}],  # a reject: no category 9
        "categories": [{"id": 1, "name": "cup"}]}


@pytest.fixture
def coco(tmp_path: Path) -> Path:
    path = tmp_path / "instances_val.json"
    path.write_text(json.dumps(COCO))
    return path


@pytest.mark.parametrize("which", ["rejects", "out"])
def test_the_input_is_not_written_over(coco: Path, tmp_path: Path, which: str) -> None:
    before = coco.read_bytes()
    given = {"out": tmp_path / "s.jsonl", "rejects": None, which: coco}
    with pytest.raises(OutputError, match=f"{which} .*instances_val.json is the input"):
        convert(coco, given["out"], "coco", rejects=given["rejects"])
    assert coco.read_bytes() == before and not (tmp_path / "s.jsonl").exists()
    result = CliRunner().invoke(app, ["convert", str(coco), "--out", str(given["out"]),
                                      *(["--rejects", str(coco)] if which == "rejects" else [])])
    assert result.exit_code == 2 and "is the input" in result.output
    assert coco.read_bytes() == before


def test_a_report_that_is_out_or_the_archive_is_refused(coco: Path, tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="is out"):
        convert(coco, tmp_path / "s.jsonl", "coco", rejects=tmp_path / "s.jsonl")
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(coco, "instances_val.json")
        zf.writestr("other.json", "{}")
    before = archive.read_bytes()
    with pytest.raises(OutputError, match="a.zip is the input"):
        convert(f"{archive}/instances_val.json", tmp_path / "s.jsonl", "coco", rejects=archive)
    assert archive.read_bytes() == before


def test_other_files_convert_as_before(coco: Path, tmp_path: Path) -> None:
    summary = convert(coco, tmp_path / "out" / "s.jsonl", "coco", rejects=tmp_path / "r.jsonl", drop_bad_parts=True)
    assert (summary.scenes_written, summary.rejected) == (1, 1)
