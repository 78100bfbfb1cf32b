"""Annotation files kept compressed (`instances.json.gz`, `objects.json.zst`, `boxes.csv.bz2`) are
read as the plain files are: the same scenes, the same rejects, the same detected format; one cut
short is a file-level reject naming it, after what could be read."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from veriscene.io.readers.detect import detect_format
from veriscene.io.readers._json import JsonStreamError, stream_json
from veriscene.cli import app
from veriscene.scene.compressed import CompressedFileError, create_scene_file
from veriscene.scene.jsonl import read_scenes, scene_to_dict

from .reader_helpers import read_all, write_json
from .test_read_clevr import clevr_obj, clevr_scene, two_objects
from .test_read_coco import ann, coco, square_rle
from .test_read_gqa import gqa_scene, obj
from .test_read_open_images import write_csv
from .test_read_open_images_boxes import files
from .test_read_provision import masks, write_set
from .test_read_visual_genome import IMAGE_DATA, SCENE_GRAPHS, vg_obj

SUFFIX = {"gzip": ".gz", "zstd": ".zst", "bz2": ".bz2", "xz": ".xz", "zip": ".zip"}


def compress(path: Path, kind: str) -> Path:
    """`path` replaced by its compressed copy `path.gz` (or .zst, ...; or a zip archive of it)."""
    target = path.with_name(path.name + SUFFIX[kind])
    if kind == "zip":
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(path.name, path.read_bytes())
    else:
        with create_scene_file(target) as fh:
            fh.write(path.read_bytes())
    path.unlink()
    return target


def _coco(root: Path) -> tuple[Path, dict[str, Any]]:
    return write_json(root / "instances_val.json", coco([
        ann(1, 18, [3, 2, 6, 4], [[3, 2, 9, 2, 9, 6, 3, 6]]), ann(2, 90, [3, 2, 6, 4], square_rle()),
        ann(3, 1, [25, 1, 10, 3], [[25, 1, 29, 1, 29, 3]], image_id=2), ann(4, 77, [1, 1, 2, 2], [], image_id=2),
    ])), {}


def _vg_whole(root: Path) -> tuple[Path, dict[str, Any]]:
    write_json(root / "image_data.json", IMAGE_DATA)
    return write_json(root / "scene_graphs.json", SCENE_GRAPHS), {}


def _vg_split(root: Path) -> tuple[Path, dict[str, Any]]:
    write_json(root / "image_data.json", IMAGE_DATA)
    write_json(root / "objects.json", [{"image_id": 1, "objects": [vg_obj(10, "shirt"), vg_obj(11, "man", 0, 0, 50, 90)]}])
    write_json(root / "attributes.json", [{"image_id": 1, "attributes": [{**vg_obj(10, "shirt"), "attributes": ["white"]}]}])
    write_json(root / "relationships.json", [{"image_id": 1, "relationships": [
        {"predicate": "wears", "subject": vg_obj(11, "man", 0, 0, 50, 90), "object": vg_obj(10, "shirt")}]}])
    return root, {}


def _gqa(root: Path) -> tuple[Path, dict[str, Any]]:
    return write_json(root / "val_sceneGraphs.json", {
        "1": gqa_scene(**{"1": obj("Men", 10, 10, 20, 30, ["tall"], [("to the left of", "2")]),
                          "2": obj("dogs", 90, 50, 30, 40, ["brown"])}),
        "2": gqa_scene(**{"7": obj("cup", 0, 0, 0, 5)}),  # zero width: rejected, in both
    }), {}


def _clevr(root: Path) -> tuple[Path, dict[str, Any]]:
    write_json(root / "CLEVR_val_000000.json", two_objects())
    write_json(root / "CLEVR_val_000001.json", clevr_scene(1, [clevr_obj("cylinder", 50, 60, 9.0)]))
    return root, {"image_size": (480, 320)}


def _provision(root: Path) -> tuple[Path, dict[str, Any]]:
    write_set(root)
    np.save(root / "seg_masks" / "img1_mask.npy", masks())
    return root, {}


def _open_images(root: Path) -> tuple[Path, dict[str, Any]]:
    return write_csv(root), {"image_size": (200, 100)}


def _open_images_boxes(root: Path) -> tuple[Path, dict[str, Any]]:
    found = files(root)
    return found["boxes"], {"image_size": (200, 100), "labels": found["labels"], "relationships": found["relationships"]}


INPUTS: dict[str, tuple[str, Callable[[Path], tuple[Path, dict[str, Any]]]]] = {
    "coco": ("coco", _coco), "vg": ("visual_genome", _vg_whole), "vg_split": ("visual_genome", _vg_split),
    "gqa": ("gqa", _gqa), "clevr": ("clevr", _clevr), "provision": ("provision", _provision),
    "open_images": ("open_images", _open_images), "open_images_boxes": ("open_images", _open_images_boxes),
}


def _read(path: Path, fmt: str, options: dict[str, Any]) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    scenes, report = read_all(path, fmt, **options)
    return [scene_to_dict(s) for s in scenes], [(e.field, e.reason) for e in report.entries]


@pytest.mark.parametrize("kind", list(SUFFIX))
@pytest.mark.parametrize("case", list(INPUTS))
def test_compressed_files_read_as_the_plain_ones(tmp_path: Path, case: str, kind: str) -> None:
    fmt, build = INPUTS[case]
    path, options = build(tmp_path)
    plain = _read(path, fmt, options)
    assert plain[0], "the case reads scenes"
    annotations = sorted(p for p in tmp_path.iterdir() if p.suffix in (".json", ".csv"))
    packed = {p: compress(p, kind) for p in annotations}  # every annotation file, tables included
    path = packed.get(path, path)
    options = {k: packed.get(v, v) for k, v in options.items()}
    assert detect_format(path) == fmt
    assert _read(path, fmt, options) == plain


def test_a_compressed_file_cut_short_is_reported_after_what_it_held(tmp_path: Path) -> None:
    records = [{**SCENE_GRAPHS[0], "image_id": i} for i in range(1, 400)]
    whole = compress(write_json(tmp_path / "scene_graphs.json", records), "gzip")
    cut = tmp_path / "cut" / "scene_graphs.json.gz"
    cut.parent.mkdir()
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])
    streamed = stream_json(cut, chunk_chars=4096)  # the reader's own chunks are 4 MiB: smaller here
    held = []
    with pytest.raises(JsonStreamError, match=r"the gzip-compressed data stops \(.*\) at character \d+") as caught:
        for _, record in streamed:
            held.append(record)
    assert 0 < len(held) < len(records) and held == records[: len(held)] and caught.value.members == len(held)

    scenes, report = read_all(cut, "visual_genome", image_size=(100, 100))
    (entry,) = report.entries
    assert entry.file == str(cut) and "the gzip-compressed data stops" in entry.reason
    assert [s.image_id for s in scenes] == [str(i) for i in range(1, len(scenes) + 1)]


@pytest.mark.parametrize("kind", ["zstd", "xz"])
def test_a_whole_file_cut_short_is_one_file_reject(tmp_path: Path, kind: str) -> None:
    path = compress(write_json(tmp_path / "CLEVR_val_scenes.json", {"scenes": [two_objects()] * 50}), kind)
    path.write_bytes(path.read_bytes()[:-40])
    scenes, report = read_all(path, "clevr", image_size=(480, 320))
    (entry,) = report.entries
    assert scenes == [] and entry.file == str(path)
    assert f"cannot read the {kind}-compressed file to its end" in entry.reason


def test_a_csv_cut_short_keeps_its_rows_before(tmp_path: Path) -> None:
    rows = [f"img{i:04d},/m/man,/m/chair,0.1,0.5,0.2,0.9,0.0,0.3,0.6,0.9,on" for i in range(3000)]
    path = compress(write_csv(tmp_path, rows), "gzip")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    scenes, report = read_all(path, "open_images", image_size=(200, 100))
    assert 0 < len(scenes) < 3000
    (entry,) = report.entries
    assert entry.file == str(path) and "cannot read the gzip-compressed file to its end" in entry.reason
    assert "it stops after line" in entry.reason


def test_a_csv_that_gives_nothing_is_one_file_reject(tmp_path: Path) -> None:
    path = compress(write_csv(tmp_path), "bz2")  # bz2 decompresses whole blocks: nothing of a cut one
    path.write_bytes(path.read_bytes()[:40])
    scenes, report = read_all(path, "open_images", image_size=(200, 100))
    (entry,) = report.entries
    assert scenes == [] and entry.file == str(path) and "cannot read the bz2-compressed file" in entry.reason


def test_convert_on_the_command_line_reads_a_compressed_file(tmp_path: Path) -> None:
    path, _ = _coco(tmp_path / "in")
    result = CliRunner().invoke(app, ["convert", str(path), "--out", str(tmp_path / "plain.jsonl")])
    assert result.exit_code == 0, result.output
    packed = compress(path, "gzip")
    result = CliRunner().invoke(app, ["convert", str(packed), "--out", str(tmp_path / "packed.jsonl")])
    assert result.exit_code == 0, result.output
    assert "coco" in result.output and "gzip-compressed" in result.output  # the format found, and why
    assert (tmp_path / "packed.jsonl").read_bytes() == (tmp_path / "plain.jsonl").read_bytes()
    assert [s.image_id for s in read_scenes(tmp_path / "packed.jsonl")]


def test_a_zip_archive_of_one_file_is_read_and_of_several_refused(tmp_path: Path) -> None:
    path, _ = _vg_whole(tmp_path)
    plain = _read(path, "visual_genome", {})
    with zipfile.ZipFile(tmp_path / "scene_graphs.json.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data/", b"")  # folders and macOS's resource forks are not files of it
        archive.writestr("__MACOSX/data/._scene_graphs.json", b"\x00\x05")
        archive.writestr("data/scene_graphs.json", path.read_bytes())
    path.unlink()
    zipped = tmp_path / "scene_graphs.json.zip"
    assert detect_format(zipped) == "visual_genome" and detect_format(tmp_path) == "visual_genome"
    assert _read(zipped, "visual_genome", {}) == plain

    several = tmp_path / "two" / "sceneGraphs.zip"  # GQA's: train and val in one archive
    several.parent.mkdir()
    with zipfile.ZipFile(several, "w") as archive:
        archive.writestr("train_sceneGraphs.json", b"{}")
        archive.writestr("val_sceneGraphs.json", b"{}")
    with pytest.raises(CompressedFileError, match=r"sceneGraphs.zip: a zip archive of 2 files \(train_sceneGraphs.json, "
                                                  r"val_sceneGraphs.json\); name the one to read after the archive's "
                                                  r"path, as in .*/two/sceneGraphs.zip/train_sceneGraphs.json"):
        read_all(several, "gqa")
    result = CliRunner().invoke(app, ["convert", str(several), "--out", str(tmp_path / "s.jsonl")])
    assert result.exit_code == 1 and "sceneGraphs.zip/train_sceneGraphs.json" in "".join(result.output.split())

    cut = tmp_path / "cut.json.zip"  # a zip archive keeps its directory at its end
    cut.write_bytes(zipped.read_bytes()[:-30])
    with pytest.raises(CompressedFileError, match="cut.json.zip: cannot read this zip archive"):
        read_all(cut, "visual_genome")


def test_a_zipped_file_with_damaged_data_is_one_file_reject(tmp_path: Path) -> None:
    path = compress(write_json(tmp_path / "CLEVR_val_scenes.json", {"scenes": [two_objects()] * 50}), "zip")
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF  # inside the deflated data
    path.write_bytes(bytes(data))
    scenes, report = read_all(path, "clevr", image_size=(480, 320))
    (entry,) = report.entries
    assert scenes == [] and entry.file == str(path) and "the zip-archived file" in entry.reason
