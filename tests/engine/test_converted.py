"""Inputs in another format are converted into the run folder once: a resumed run reuses the
conversion when nothing it depends on changed, and refuses a changed input before replacing the
run's scenes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.io.test_convert import _coco
from veriscene import generate
from veriscene.engine.converted import STAMP
from veriscene.engine.manifest import ResumeMismatchError, RunExistsError
from veriscene.io.normalize import Normalizer
from veriscene.option_names import cli_names


def _no_conversion(monkeypatch: pytest.MonkeyPatch) -> None:
    import veriscene.io.convert

    monkeypatch.setattr(veriscene.io.convert, "convert", lambda *a, **k: pytest.fail("converted again"))


def test_a_resumed_run_reuses_the_conversion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, out = _coco(tmp_path / "instances.json"), tmp_path / "run"
    first = generate(src, out, from_format="coco", generators="object.*", reader_options={"masks": False})
    stamp = json.loads((out / STAMP).read_text())
    assert stamp["key"]["format"] == "coco" and stamp["key"]["options"] == {"masks": False}
    scenes = (out / "scenes.jsonl").read_bytes()
    # a run killed part-way: its samples and manifest status gone, its conversion kept
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["status"] = "running"
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "samples.jsonl").unlink()
    with monkeypatch.context() as m:
        _no_conversion(m)
        again = generate(src, out, from_format="coco", generators="object.*", reader_options={"masks": False},
                         resume=True)
    assert again.samples == first.samples and (out / "scenes.jsonl").read_bytes() == scenes
    assert any("reused: the input and options are unchanged" in note for note in again.notes)

    # other options, or a changed input: refused before the run's scenes are replaced
    with pytest.raises(ResumeMismatchError, match="changed since the run"):
        generate(src, out, from_format="coco", generators="object.*", resume=True)
    src.write_text(src.read_text().replace('"person"', '"man"'))
    with pytest.raises(ResumeMismatchError, match="instances.json, its format or the reader options changed"):
        generate(src, out, from_format="coco", generators="object.*", reader_options={"masks": False}, resume=True)
    assert (out / "scenes.jsonl").read_bytes() == scenes
    # a new run into the folder is refused before converting, too
    with pytest.raises(RunExistsError):
        generate(src, out, from_format="coco", generators="object.*")
    assert (out / "scenes.jsonl").read_bytes() == scenes
    # --overwrite starts again from the new input
    generate(src, out, from_format="coco", generators="object.*", overwrite=True)
    assert b'"man"' in (out / "scenes.jsonl").read_bytes()


def test_an_option_that_is_not_a_plain_value_converts_again(tmp_path: Path) -> None:
    src, out = _coco(tmp_path / "instances.json"), tmp_path / "run"
    options = {"normalizer": Normalizer(synonyms={"person": "human"})}
    generate(src, out, from_format="coco", generators="object.*", reader_options=options)
    assert not (out / STAMP).exists()
    summary = generate(src, out, from_format="coco", generators="object.*", reader_options=options, resume=True)
    assert not any("reused" in note for note in summary.notes)
    # an option naming a file is keyed by the file's content
    labels = tmp_path / "synonyms.json"
    labels.write_text('{"person": "human"}')
    from veriscene.engine.converted import _plain

    before = _plain(str(labels))
    labels.write_text('{"person": "man"}')
    assert _plain(str(labels)) != before and _plain(7) == 7 and _plain("not a path") == "not a path"


def test_the_note_counts_every_reject(tmp_path: Path) -> None:
    """Object-level rejects are counted in the note, not only rejected scenes; a file-level one
    (a truncated file) that leaves no scene stops the run."""
    from veriscene.engine.converted import converted_scenes
    from veriscene.errors import SceneValidationError

    cut = tmp_path / "cut.json"
    cut.write_text('{"images": [{"id": 1, "width": 5, "height": 5}], "annotations": [{"id": 1, ')
    with pytest.raises(SceneValidationError, match="no scene converted from .*cut.json: a file could not be read"):
        converted_scenes(cut, tmp_path / "a", "coco", strict=False, options={}, version="t", reuse=False)
    orphan = tmp_path / "orphan.json"
    orphan.write_text(json.dumps({
        "images": [{"id": 1, "width": 5, "height": 5}], "categories": [{"id": 1, "name": "dog"}],
        "annotations": [{"id": 1, "image_id": 9, "category_id": 1, "bbox": [0, 0, 2, 2]}]}))
    _, note = converted_scenes(orphan, tmp_path / "b", "coco", strict=False, options={}, version="t", reuse=False)
    assert ": 1 scenes, 1 rejected: 1 object (see " in note


def test_a_conversion_that_converts_nothing_stops_the_run(tmp_path: Path) -> None:
    from veriscene.errors import SceneValidationError

    src = _coco(tmp_path / "instances.json")
    src.write_bytes(src.read_bytes()[: len(src.read_bytes()) // 2])  # cut short
    with pytest.raises(SceneValidationError, match="no scene converted from .*instances.json: a file could not be read"):
        generate(src, tmp_path / "run", from_format="coco", reader_options={"masks": False})
    assert not (tmp_path / "run" / "manifest.json").exists() and not (tmp_path / "run" / STAMP).exists()


def test_a_conversion_of_an_earlier_release_is_refused_naming_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                   ) -> None:
    from veriscene import __version__

    src, out = _coco(tmp_path / "instances.json"), tmp_path / "run"
    generate(src, out, from_format="coco", generators="object.*")
    for name, version_at in (("manifest.json", ("config", "veriscene_version")), (STAMP, ("key", "version"))):
        data = json.loads((out / name).read_text())  # as veriscene 0.10.0 wrote them
        data[version_at[0]][version_at[1]] = "0.10.0"
        (out / name).write_text(json.dumps(data))
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    with monkeypatch.context() as m:
        _no_conversion(m)
        with pytest.raises(ResumeMismatchError) as info:
            generate(src, out, from_format="coco", generators="object.*", resume=True)
    assert str(info.value).startswith(
        f"cannot resume the run in {out}: it was made by veriscene 0.10.0, and this is veriscene {__version__}; the "
        "input, its format and the reader options are the same. Another release makes other samples")
    assert "pip install veriscene==0.10.0, then the same command with resume=True" in str(info.value)
    with monkeypatch.context() as m, cli_names():  # the CLI's user is told the CLI's option
        _no_conversion(m)
        with pytest.raises(ResumeMismatchError, match="then the same command with --resume"):
            generate(src, out, from_format="coco", generators="object.*", resume=True)
    with pytest.raises(ResumeMismatchError, match="; the reader options changed too"):
        generate(src, out, from_format="coco", generators="object.*", reader_options={"masks": False}, resume=True)
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before


def test_a_text_option_named_like_a_folder_is_text_not_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`-r id_prefix=coco/` beside a folder coco/ (where the annotations are): the prefix is text.
    Before, it was taken for that folder: its files were listed and hashed into the resume key (a
    file added there refused --resume), and the card's command gave `-r id_prefix=coco`, the path
    rebased from the folder holding the run, which makes other image ids and sample ids."""
    from veriscene.engine.manifest import read_manifest
    from veriscene.engine.reproduce import generate_command

    monkeypatch.chdir(tmp_path)
    Path("coco").mkdir()
    src = _coco(Path("coco") / "instances.json")
    generate(src, "run", from_format="coco", generators="object.*", reader_options={"id_prefix": "coco/"})
    stamp = json.loads((tmp_path / "run" / STAMP).read_text())
    assert stamp["key"]["options"] == {"id_prefix": "coco/"} and "option_paths" not in stamp
    assert (tmp_path / "run" / "scenes.jsonl").read_text().startswith('{"schema_version":1,"image_id":"coco/1"')
    command = generate_command(read_manifest(tmp_path / "run"), tmp_path / "run")
    assert ["-r", "id_prefix=coco/"] == command.argv[command.argv.index("-r"):][:2]
    # a run an earlier release stamped so: its card's command gives the prefix as given too
    stamp["key"]["options"]["id_prefix"] = ["coco/", "files:0"]
    (tmp_path / "run" / STAMP).write_text(json.dumps({**stamp, "option_paths": {"id_prefix": str(tmp_path / "coco")}}))
    command = generate_command(read_manifest(tmp_path / "run"), tmp_path / "run")
    assert ["-r", "id_prefix=coco/"] == command.argv[command.argv.index("-r"):][:2] and not command.notes
    (tmp_path / "run" / STAMP).write_text(json.dumps(stamp | {"key": {**stamp["key"], "options": {"id_prefix": "coco/"}}}))
    (tmp_path / "coco" / "notes.txt").write_text("a file added beside the annotations")
    generate(src, "run", from_format="coco", generators="object.*", reader_options={"id_prefix": "coco/"},
             resume=True)  # (refused before: 'the reader options changed')
