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
    assert [e.record for e in report.entries] == [2, 3, 4, 5]  # line numbers, the duplicate's too
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


def test_id_prefix_keeps_two_data_sets_ids_apart(tmp_path: Path) -> None:
    """Every format takes id_prefix (read itself applies it); a prefix that is no text is refused."""
    import veriscene
    from veriscene.io.convert import convert

    path = tmp_path / "scenes.jsonl"
    path.write_text("\n".join([line("1"), line("2")]) + "\n")
    assert [s.image_id for s in read(path, "jsonl", id_prefix="vg/")] == ["vg/1", "vg/2"]
    convert(path, tmp_path / "a.jsonl", "veriscene_jsonl", id_prefix="a/")
    assert [json.loads(x)["image_id"] for x in (tmp_path / "a.jsonl").read_text().splitlines()] == ["a/1", "a/2"]
    one = veriscene.generate(path, tmp_path / "plain", generators="object.count.v1")
    two = veriscene.generate(tmp_path / "a.jsonl", tmp_path / "pre", generators="object.count.v1")
    assert one.samples == two.samples > 0
    ids = [json.loads(x)["id"] for x in (tmp_path / "plain" / "samples.jsonl").read_text().splitlines()]
    others = [json.loads(x)["id"] for x in (tmp_path / "pre" / "samples.jsonl").read_text().splitlines()]
    assert not set(ids) & set(others)  # the same questions of other images: other sample ids
    with pytest.raises(ValueError, match="id_prefix must be text without leading or trailing spaces"):
        list(read(path, "jsonl", id_prefix=" b"))
