"""A conversion stopped by Ctrl-C (or SIGTERM) leaves the reject report as it found it, as it
leaves the scene file: an earlier conversion's report stays beside the scenes it describes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from veriscene.engine.interrupts import Terminated
from veriscene.errors import SceneValidationError
from veriscene.io.convert import write_scene_file
from veriscene.io.rejects import RejectReport
from veriscene.scene.model import Scene


def _scene(image_id: str) -> Scene:
    return Scene(image_id=image_id, width=10, height=10, boxes=np.array([[0, 0, 5, 5]], np.float32), names=("cup",),
                 attributes=((),))


def _stopped_by(stop: BaseException):
    def scenes(report: RejectReport) -> Iterator[Scene]:
        yield _scene("a")
        report.add(SceneValidationError("bad box", source="in.json", record="b", field="box"))
        raise stop
    return scenes


@pytest.mark.parametrize("stop", [KeyboardInterrupt(), Terminated(15)])
def test_an_interrupted_conversion_keeps_the_earlier_report(tmp_path: Path, stop: BaseException) -> None:
    out, rejects = tmp_path / "scenes.jsonl", tmp_path / "rejects.jsonl"
    out.write_bytes(b"earlier scenes\n")
    rejects.write_bytes(b"earlier rejects\n")
    with pytest.raises(KeyboardInterrupt):
        write_scene_file(_stopped_by(stop), out, None, strict=False)
    assert out.read_bytes() == b"earlier scenes\n" and rejects.read_bytes() == b"earlier rejects\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rejects.jsonl", "scenes.jsonl"]  # no temporary left


def test_a_conversion_stopped_by_an_error_puts_its_report_in_place(tmp_path: Path) -> None:
    out, rejects = tmp_path / "scenes.jsonl", tmp_path / "r.jsonl"
    rejects.write_bytes(b"earlier rejects\n")
    with pytest.raises(OSError, match="disk"):
        write_scene_file(_stopped_by(OSError("disk gone")), out, rejects, strict=False)
    assert '"record":"b"' in rejects.read_text()  # the rejects read before the error say what was refused
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.jsonl"]


def test_a_finished_conversion_writes_its_report(tmp_path: Path) -> None:
    def scenes(report: RejectReport) -> Iterator[Scene]:
        yield _scene("a")
        report.add(SceneValidationError("bad box", source="in.json", record="b", field="box"))

    path, written, report, kept = write_scene_file(scenes, tmp_path / "s.jsonl", None, strict=False)
    assert (path, written, report.total, kept) == (tmp_path / "rejects.jsonl", 1, 1, False)
    assert '"record":"b"' in path.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rejects.jsonl", "s.jsonl"]
