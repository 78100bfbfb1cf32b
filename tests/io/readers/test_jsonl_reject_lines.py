"""veriscene JSONL's own rejects of a valid line (an image id twice, a mask whose runs do not fill
its frame) name the line, as the rejects of a line `read_scenes` refuses do; the duplicate's
reason names the line (and, in a folder, the file) that has the id first."""

from __future__ import annotations

import json
from pathlib import Path

from veriscene.io.convert import convert
from veriscene.scene.jsonl import numbered_scenes

from .reader_helpers import read_all


def _line(image_id: str, **extra: object) -> str:
    return json.dumps({"schema_version": 1, "image_id": image_id, "width": 10, "height": 10,
                       "objects": [{"name": "cup", "box": [0, 0, 5, 5]}], **extra})


def test_a_duplicate_image_id_is_named_by_its_line_and_the_first(tmp_path: Path) -> None:
    path = tmp_path / "scenes.jsonl"
    path.write_text("\n".join([_line("1"), _line("2"), "", _line("1"), "nope"]) + "\n")
    summary = convert(path, tmp_path / "out" / "scenes.jsonl", "veriscene_jsonl")
    entries = [json.loads(x) for x in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    assert summary.scenes_written == 2
    assert [(e["record"], e["field"]) for e in entries] == [(4, "image_id"), (5, None)]
    assert entries[0]["reason"] == "duplicate image id '1' (line 1 has it)"


def test_a_duplicate_in_a_later_file_of_a_folder_names_the_first_file(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(_line("x") + "\n" + _line("y") + "\n")
    (tmp_path / "b.jsonl").write_text(_line("z") + "\n" + _line("y") + "\n")
    scenes, report = read_all(tmp_path, "veriscene_jsonl")
    assert [s.image_id for s in scenes] == ["x", "y", "z"]
    (entry,) = report.entries
    assert (Path(entry.file or "").name, entry.record, entry.field) == ("b.jsonl", 2, "image_id")
    assert entry.reason == f"duplicate image id 'y' (line 2 of {tmp_path / 'a.jsonl'} has it)"


def test_a_mask_of_runs_short_of_its_frame_is_named_by_its_line(tmp_path: Path) -> None:
    path = tmp_path / "scenes.jsonl"
    short = {"size": [10, 10], "counts": [0, 10, 40]}  # 50 of 100 pixels
    path.write_text("\n".join([_line("1"), _line("2", objects=[{"name": "cup", "box": [0, 0, 5, 5], "mask": short}])])
                    + "\n")
    scenes, report = read_all(path, "veriscene_jsonl")
    assert [s.image_id for s in scenes] == ["1"]
    assert [(e.record, e.field) for e in report.entries] == [(2, "objects[0].mask.counts")]


def test_numbered_scenes_counts_every_line(tmp_path: Path) -> None:
    path = tmp_path / "scenes.jsonl"
    path.write_text("\n".join([_line("1"), "", "bad", _line("2")]) + "\n")
    faults: list[str] = []
    numbered = [(s.image_id, n) for s, n in numbered_scenes(path, lambda e: faults.append(str(e)))]
    assert numbered == [("1", 1), ("2", 4)]
    assert len(faults) == 1 and "line 3" in faults[0]
