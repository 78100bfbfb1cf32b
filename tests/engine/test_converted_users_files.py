"""`generate --from FORMAT` into a folder holding no run but a scenes.jsonl (or convert_rejects.jsonl)
that no conversion made there refuses before anything is written, naming the file and how to go on
(another --out, or --overwrite, which replaces it). A conversion a run made there (its stamp,
scenes.source.json, describing the scene file) is still converted again, or reused with --resume.
Before: the conversion silently replaced the user's file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.engine.test_converted_interrupts import _coco  # (an object reject in its report)
from tests.held_cli import said
from veriscene import generate
from veriscene.engine.converted import REJECTS, SCENES, STAMP, converted_scenes
from veriscene.engine.manifest import RunExistsError

USERS = b'{"image_id": "mine", "width": 10, "height": 10, "objects": []}\n'


def _files(folder: Path) -> dict[str, bytes]:
    """Every file below `folder`, hidden and lock files too: what "nothing written" compares."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _folder(out: Path, **files: bytes) -> Path:
    out.mkdir()
    for name, data in files.items():
        (out / name).write_bytes(data)
    return out


def _convert(src: Path, out: Path, *, reuse: bool = False, overwrite: bool = False) -> str:
    return converted_scenes(src, out, "coco", strict=False, options={}, version="t", reuse=reuse,
                            overwrite=overwrite)[1]


def test_a_scene_file_of_the_users_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    src, out = _coco(tmp_path / "instances.json"), _folder(tmp_path / "run", **{SCENES: USERS})
    with pytest.raises(RunExistsError) as info:
        generate(src, out, from_format="coco", generators="object.*")
    assert str(info.value) == (
        f"{out} holds no run but {out / SCENES} ({STAMP} is missing): no conversion of a run's input made it "
        "there, so it may be your own, and converting the input would replace it. Give another out (an empty "
        "or new folder), or pass overwrite=True to replace it")  # (generate()'s; the CLI's below)
    assert _files(out) == {SCENES: USERS}


def test_a_scene_file_its_stamp_does_not_describe_is_refused(tmp_path: Path) -> None:
    """A conversion kept in the folder, its scene file then replaced by the user: not the conversion's."""
    src, out = _coco(tmp_path / "instances.json"), tmp_path / "run"
    _convert(src, out)
    (out / SCENES).write_bytes(USERS)
    before = _files(out)
    with pytest.raises(RunExistsError, match=rf"{SCENES} \({STAMP} does not describe it\)"):
        _convert(src, out)
    with pytest.raises(RunExistsError, match="does not describe it"):
        _convert(src, out, reuse=True)  # --resume in a folder holding no run: nothing to reuse either
    assert _files(out) == before


def test_a_reject_file_of_the_users_is_refused_but_a_reject_report_is_replaced(tmp_path: Path) -> None:
    src, out = _coco(tmp_path / "instances.json"), _folder(tmp_path / "run", **{REJECTS: b"my notes\n"})
    with pytest.raises(RunExistsError, match=rf"holds no run but {out / REJECTS} \(no reject report of a conversion\)"):
        _convert(src, out)
    assert _files(out) == {REJECTS: b"my notes\n"}
    # a conversion that converted nothing leaves its report and no stamp: the next run replaces it
    report = {"file": "instances.json", "record": None, "field": None, "reason": "cut short", "level": "file"}
    for left in (json.dumps(report).encode() + b"\n", b""):
        (out / REJECTS).write_bytes(left)
        _convert(src, out)
        assert b'"record":"9","field":"image_id"' in (out / REJECTS).read_bytes() and (out / STAMP).is_file()
        for name in (SCENES, STAMP):
            (out / name).unlink()


def test_both_files_of_the_users_are_named(tmp_path: Path) -> None:
    src = _coco(tmp_path / "instances.json")
    out = _folder(tmp_path / "run", **{SCENES: USERS, REJECTS: b"[]"})
    with pytest.raises(RunExistsError, match=rf"{SCENES} \({STAMP} is missing\) and .*{REJECTS} .*made them there"):
        _convert(src, out)


def test_overwrite_replaces_the_users_scene_file(tmp_path: Path) -> None:
    src, out = _coco(tmp_path / "instances.json"), _folder(tmp_path / "run", **{SCENES: USERS, REJECTS: b"mine"})
    generate(src, out, from_format="coco", generators="object.*", overwrite=True)
    assert b'"person"' in (out / SCENES).read_bytes() and (out / REJECTS).read_bytes() != b"mine"


def test_the_conversion_a_run_left_is_converted_again_or_reused(tmp_path: Path) -> None:
    """What a run stopped after converting leaves (no manifest, the stamp describing the scene file)."""
    src, out = _coco(tmp_path / "instances.json"), tmp_path / "run"
    _convert(src, out)
    assert "reused" in _convert(src, out, reuse=True)
    assert "reused" not in _convert(src, out)
    summary = generate(src, out, from_format="coco", generators="object.*")
    assert summary.samples > 0 and not any("reused" in note for note in summary.notes)


def test_the_cli_refuses_with_exit_status_2(tmp_path: Path) -> None:
    from veriscene.cli import app

    src, out = _coco(tmp_path / "instances.json"), _folder(tmp_path / "run", **{SCENES: USERS})
    result = CliRunner().invoke(app, ["generate", str(src), "--from", "coco", "--out", str(out), "-g", "object.*"],
                                env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert f"{out / SCENES} ({STAMP} is missing)" in said(result.output)
    assert "Give another --out (an empty or new folder), or pass --overwrite to replace it" in said(result.output)
    assert _files(out) == {SCENES: USERS}


def test_a_conversion_that_converts_nothing_leaves_the_earlier_one_whole_and_ours(tmp_path: Path) -> None:
    """An earlier conversion, then one of an input cut short: the earlier scene file stays, its stamp
    with it, so the next run converts again (or reuses it) instead of refusing the folder's own file.
    Before: the stamp was dropped, and the next run called the scene file the user's."""
    from veriscene.errors import SceneValidationError

    src, out = _coco(tmp_path / "instances.json"), tmp_path / "run"
    _convert(src, out)
    scenes, stamp = (out / SCENES).read_bytes(), (out / STAMP).read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_bytes(src.read_bytes()[: len(src.read_bytes()) // 2])
    with pytest.raises(SceneValidationError, match=rf"no scene converted from .*cut.json: .*{SCENES} was left as it was"):
        _convert(cut, out)
    assert (out / SCENES).read_bytes() == scenes and (out / STAMP).read_bytes() == stamp
    assert b'"level":"file"' in (out / REJECTS).read_bytes()  # the report the error names
    assert "reused" in _convert(src, out, reuse=True)
    assert "reused" not in _convert(src, out)
