from __future__ import annotations

import json
from pathlib import Path

import pytest

from veriscene.errors import SceneValidationError
from veriscene.io.readers import detect_format, read

from .reader_helpers import read_all


def line(image_id: str, box=(0, 0, 5, 5), **extra) -> str:
    return json.dumps({"schema_version": 1, "image_id": image_id, "width": 10, "height": 10,
                       "objects": [{"name": "Cup", "box": list(box), "attributes": []}], "relations": [], **extra})


def test_reads_lines_and_reports_bad_ones(tmp_path: Path) -> None:
    path = tmp_path / "scenes.jsonl"
    path.write_text("\n".join([
        line("a"), '{"truncated": ', line("b", box=(0, 0, 50, 5)), line("a"), line("c", relations=[[0, "on", 3]]), line("d"),
    ]) + "\n")
    assert detect_format(path) == "veriscene_jsonl"
    scenes, report = read_all(path, "jsonl")
    assert [s.image_id for s in scenes] == ["a", "d"]
    assert scenes[0].names == ("Cup",)  # the core format is read as is, not normalised
    assert [e.record for e in report.entries] == [2, 3, "a", 5]
    assert report.entries[1].field == "objects[0].box"  # outside the image: rejected, not clipped
    with pytest.raises(SceneValidationError, match="line 2"):
        list(read(path, "jsonl", strict=True))


@pytest.mark.parametrize("suffix", [".gz", ".zst", ".bz2", ".xz"])
def test_compressed_files_and_folders(tmp_path: Path, suffix: str) -> None:
    from veriscene.scene.compressed import create_scene_file

    packed = tmp_path / f"scenes.jsonl{suffix}"
    with create_scene_file(packed) as fh:
        fh.write(("\n".join([line("a"), '{"truncated": ', line("b")]) + "\n").encode())
    assert detect_format(packed) == "veriscene_jsonl"
    scenes, report = read_all(packed, "auto")
    assert [s.image_id for s in scenes] == ["a", "b"] and [e.record for e in report.entries] == [2]
    # a folder of scene files, compressed or not, read in name order
    (tmp_path / "more.jsonl").write_text(line("c") + "\n")
    scenes, _ = read_all(tmp_path, "auto")
    assert [s.image_id for s in scenes] == ["c", "a", "b"]


def test_byte_order_mark_before_the_first_line(tmp_path: Path) -> None:
    path = tmp_path / "scenes.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + (line("a") + "\n" + line("b") + "\n").encode())
    assert detect_format(path) == "veriscene_jsonl"
    scenes, report = read_all(path, "jsonl")
    assert [s.image_id for s in scenes] == ["a", "b"] and report.total == 0


def test_a_value_past_float32_is_rejected_without_a_numpy_warning(tmp_path: Path) -> None:
    import warnings

    path = tmp_path / "scenes.jsonl"
    row = {"name": "cup", "box": [0, 0, 5, 5], "attributes": [], "depth": 1e39}
    path.write_text(line("a", objects=[row]) + "\n" + line("b") + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scenes, report = read_all(path, "jsonl")
    assert [s.image_id for s in scenes] == ["b"]
    assert [(e.record, e.field) for e in report.entries] == [(1, "objects[0].depth")]
