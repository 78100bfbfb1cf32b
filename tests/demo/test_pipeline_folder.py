"""`veriscene demo --out DIR` takes a new or empty folder, or an earlier demo's, and refuses one
whose files it would replace: `demo --out coco` replaced a COCO conversion's scenes.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.demo.pipeline import run_demo
from veriscene.engine.manifest import RunExistsError


def _converted_folder(folder: Path) -> dict[str, bytes]:
    """A folder as `veriscene convert` leaves it beside COCO photos: its files' bytes."""
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "000000000001.jpg").write_bytes(b"jpeg")
    scene = {"schema_version": 1, "image_id": "1", "width": 64, "height": 48, "image": "images/000000000001.jpg",
             "objects": [{"name": "dog", "box": [1.0, 2.0, 30.0, 40.0], "attributes": []}], "relations": []}
    (folder / "scenes.jsonl").write_text(json.dumps(scene) + "\n")
    (folder / "rejects.jsonl").write_text("")
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_folder_of_other_scene_graphs_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    before = _converted_folder(tmp_path / "coco")
    with pytest.raises(RunExistsError, match="holds scenes.jsonl .scene graphs of other images than the demo") as info:
        run_demo(tmp_path / "coco", scenes=2, generators="counting")
    assert str(info.value).endswith("Give a new or empty folder (out), or an earlier demo's")  # (run_demo()'s name)
    after = {str(p.relative_to(tmp_path / "coco")): p.read_bytes()
             for p in sorted((tmp_path / "coco").rglob("*")) if p.is_file()}
    assert after == before  # no demo image among the photos, the scenes and rejects kept


def test_the_command_says_why_and_exits_2(tmp_path: Path) -> None:
    _converted_folder(tmp_path / "coco")
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "coco"), "--scenes", "2", "-g", "counting"])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "is no demo's folder" in said and "images/ holding other images" in said
    assert "Give a new or empty folder (--out), or an earlier demo's" in said  # (the CLI's)


def test_a_run_of_other_scenes_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    for name in ("manifest.json", "samples.jsonl"):
        (run / name).write_text("{}\n")
    (run / "export").mkdir()
    with pytest.raises(RunExistsError, match=r"holds export/; manifest.json; samples.jsonl"):
        run_demo(run, scenes=2, generators="counting")
    assert (run / "export").is_dir() and (run / "samples.jsonl").read_text() == "{}\n"


def test_an_earlier_demo_is_made_again_and_other_files_kept(tmp_path: Path) -> None:
    out = tmp_path / "demo_out"
    run_demo(out, scenes=2, generators="counting")
    (out / "notes.txt").write_text("mine")
    (out / "images" / ".DS_Store").write_bytes(b"finder")  # a hidden file a file browser left
    (out / "export").mkdir()
    (out / "README.md").write_text("card")
    first = (out / "samples.jsonl").read_bytes()
    assert run_demo(out, scenes=2, generators="counting").verification.ok
    assert (out / "samples.jsonl").read_bytes() == first and (out / "notes.txt").read_text() == "mine"


def test_a_smaller_demo_leaves_no_image_of_the_earlier_one(tmp_path: Path) -> None:
    """`demo --scenes 3` over a demo of 5: the folder's images are the 3 its scenes name, as a new
    folder's would be (before, demo-000003.png and demo-000004.png stayed, named by no scene, and
    went with the folder when it was published). Images of the user's own names are kept."""
    out = tmp_path / "demo_out"
    run_demo(out, scenes=5, generators="counting")
    (out / "images" / ".DS_Store").write_bytes(b"finder")
    run_demo(out, scenes=3, generators="counting")
    named = {json.loads(line)["image"] for line in (out / "scenes.jsonl").read_text().splitlines()}
    assert named == {f"images/demo-{k:06d}.png" for k in range(3)}
    assert sorted(p.name for p in (out / "images").iterdir()) == [".DS_Store"] + [f"demo-{k:06d}.png" for k in range(3)]
