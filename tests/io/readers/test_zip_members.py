"""One file of a zip archive of several, named past the archive's path
(`sceneGraphs.zip/val_sceneGraphs.json`), is read in place as the plain file is."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.engine.generate import generate
from veriscene.io.convert import convert
from veriscene.io.readers.detect import detect_format
from veriscene.io.readers._json import stream_json
from veriscene.scene.archives import BrokenArchiveError
from veriscene.scene.compressed import CompressedFileError
from veriscene.scene.jsonl import read_scenes

from .reader_helpers import read_all
from .test_compressed_annotations import INPUTS, _coco, _gqa, _read

# the cases whose input is a file (a folder inside an archive is not read in place)
FILE_CASES = ["coco", "vg", "vg_split", "gqa", "open_images", "open_images_boxes"]


def _archive(tmp_path: Path, folder: str = "annotations") -> tuple[Path, dict[Path, Path]]:
    """Every annotation file of `tmp_path` moved into `set.zip` under `folder`, beside an unrelated
    file: (the archive, {file: its path inside the archive})."""
    files = sorted(p for p in tmp_path.iterdir() if p.suffix in (".json", ".csv"))
    archive = tmp_path / "set.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{folder}/", b"")
        zf.writestr("README.txt", b"not an annotation file")
        for p in files:
            zf.writestr(f"{folder}/{p.name}", p.read_bytes())
            p.unlink()
    return archive, {p: archive / folder / p.name for p in files}


@pytest.mark.parametrize("case", FILE_CASES)
def test_a_member_of_an_archive_reads_as_the_plain_file(tmp_path: Path, case: str) -> None:
    fmt, build = INPUTS[case]
    path, options = build(tmp_path)
    if case == "vg_split":
        path = tmp_path / "objects.json"  # a split file named: its siblings are found beside it
    plain = _read(path, fmt, options)
    assert plain[0], "the case reads scenes"
    _, inside = _archive(tmp_path)
    path = inside[path]
    options = {k: inside.get(v, v) for k, v in options.items()}  # tables named inside the archive too
    assert not path.exists() and detect_format(path) == fmt
    assert _read(path, fmt, options) == plain


def test_siblings_inside_the_archive_are_found_as_beside_a_file(tmp_path: Path) -> None:
    """Visual Genome's image_data.json (the image sizes) is read from beside the member."""
    path, _ = INPUTS["vg"][1](tmp_path)
    _, inside = _archive(tmp_path)
    scenes, report = read_all(inside[path], "visual_genome")
    assert scenes and not report.entries  # without image_data.json the sizes would be missing


def test_a_member_is_found_by_the_end_of_its_path_and_may_be_compressed(tmp_path: Path) -> None:
    path, _ = _coco(tmp_path)
    plain = _read(path, "coco", {})
    data = path.read_bytes()
    archive = tmp_path / "annotations_trainval.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("annotations/instances_val.json", data)
        zf.writestr("annotations/instances_val.json.gz", gzip.compress(data))
        zf.writestr("annotations/captions_val.json", b"{}")
    path.unlink()
    assert _read(archive / "instances_val.json", "coco", {}) == plain  # annotations/ left out
    assert _read(archive / "annotations" / "instances_val.json.gz", "coco", {}) == plain
    assert detect_format(archive / "annotations" / "instances_val.json.gz") == "coco"


def test_a_name_not_in_the_archive_is_refused_with_its_files(tmp_path: Path) -> None:
    archive = tmp_path / "sceneGraphs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("train/sceneGraphs.json", b"{}")
        zf.writestr("val/sceneGraphs.json", b"{}")
    with pytest.raises(FileNotFoundError, match=r"sceneGraphs.zip/test_sceneGraphs.json: the zip archive .* holds no "
                                                r"file 'test_sceneGraphs.json'; it holds train/sceneGraphs.json, "
                                                r"val/sceneGraphs.json"):
        convert(archive / "test_sceneGraphs.json", tmp_path / "out.jsonl", "gqa")
    with pytest.raises(FileNotFoundError, match=r"2 files end with 'sceneGraphs.json' \(train/sceneGraphs.json, "
                                                r"val/sceneGraphs.json\): name one by its whole path"):
        detect_format(archive / "sceneGraphs.json")
    result = CliRunner().invoke(app, ["convert", str(archive / "x.json"), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2 and "holdsnofile'x.json'" in "".join(result.output.split())  # as a missing file


def test_rejects_name_the_member_and_a_cut_archive_is_refused(tmp_path: Path) -> None:
    path, _ = _gqa(tmp_path)  # its second scene graph is rejected (a box of zero width)
    archive, inside = _archive(tmp_path, "gqa")
    scenes, report = read_all(inside[path], "gqa")
    assert len(scenes) == 1 and report.entries
    assert {e.file for e in report.entries} == {str(archive / "gqa" / "val_sceneGraphs.json")}

    cut = tmp_path / "cut.zip"  # a zip archive keeps its directory at its end
    cut.write_bytes(archive.read_bytes()[:-30])
    with pytest.raises(BrokenArchiveError, match=r"val_sceneGraphs.json: cannot read the zip archive .*cut.zip"):
        convert(cut / "gqa" / "val_sceneGraphs.json", tmp_path / "out.jsonl", "gqa")
    with pytest.raises(CompressedFileError, match=r"val_sceneGraphs.json: cannot read the zip archive .*cut.zip"):
        list(stream_json(cut / "gqa" / "val_sceneGraphs.json"))  # a reader past the check says the same
    result = CliRunner().invoke(app, ["convert", str(cut / "gqa" / "val_sceneGraphs.json"), "--out",
                                      str(tmp_path / "o.jsonl")])
    assert result.exit_code == 1 and "is it complete?" in result.output


def test_convert_and_generate_read_a_member_and_a_resumed_run_reuses_it(tmp_path: Path) -> None:
    path, _ = _coco(tmp_path / "in")
    plain = tmp_path / "plain.jsonl"
    convert(path, plain)
    _, inside = _archive(tmp_path / "in")
    member = inside[path]
    result = CliRunner().invoke(app, ["convert", str(member), "--out", str(tmp_path / "zipped.jsonl")])
    assert result.exit_code == 0, result.output
    said = convert(member, tmp_path / "again.jsonl").detection_reason  # how it was read
    assert said is not None and said.endswith("(in the zip archive set.zip)")
    assert "coco" in result.output and (tmp_path / "zipped.jsonl").read_bytes() == plain.read_bytes()

    run = tmp_path / "run"
    first = generate(member, run, from_format="auto", seed=3)
    assert first.samples > 0 and [s.image_id for s in read_scenes(run / "scenes.jsonl")] == \
        [s.image_id for s in read_scenes(plain)]
    again = generate(member, run, from_format="auto", seed=3, resume=True)
    assert any("reused: the input and options are unchanged" in note for note in again.notes)
    assert again.samples == first.samples

    stamp: dict[str, Any] = __import__("orjson").loads((run / "scenes.source.json").read_bytes())
    assert stamp["key"]["fingerprint"].startswith("zip-member:")
