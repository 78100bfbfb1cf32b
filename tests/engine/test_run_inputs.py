"""A run's inputs (`engine.run_inputs`): the files veriscene writes beside scene files left out
of a folder, and veriscene JSONL read through its reader when given reader options."""

from __future__ import annotations

import re

import orjson
import pytest
from typer.testing import CliRunner

from veriscene import generate
from veriscene.cli import app
from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.run_inputs import input_format
from veriscene.io.convert import convert
from veriscene.scene import read_scenes, write_scenes

BAD_LINE = b'{"image_id": "no-objects", "width": 10, "height": 10}\n'


def _flat(text: str) -> str:
    """Command output without rich's box drawing and line wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


@pytest.fixture
def scenes_file(tmp_path):
    """6 demo scene graphs and a line without objects in tmp_path/x.jsonl (images: images/...)."""
    path = tmp_path / "x.jsonl"
    write_scenes(iter_scene_graphs(6, seed=4), path)
    with open(path, "ab") as fh:
        fh.write(BAD_LINE)
    return path


def test_a_folder_convert_wrote_into_is_read_without_its_reject_report(tmp_path, scenes_file) -> None:
    """`convert x.jsonl --out sc2/part-0.jsonl` puts its reject report at sc2/rejects.jsonl; a run of
    sc2/ (the README's layout) reads part-0.jsonl only, and says it left the report out."""
    done = convert(scenes_file, tmp_path / "sc2" / "part-0.jsonl", "veriscene_jsonl")
    report = tmp_path / "sc2" / "rejects.jsonl"
    assert done.scenes_written == 6 and done.rejects == str(report) and report.stat().st_size
    summary = generate(tmp_path / "sc2", tmp_path / "runE", generators="counting")
    assert summary.scenes == 6 and summary.rejects["rejected"] == 0
    assert (tmp_path / "runE" / "rejects.jsonl").read_bytes() == b""
    assert f"left out of the input: {report} (a reject report): veriscene writes such files beside scene files, " \
           "and they hold no scenes (give one by its own name to read it as scenes)" in summary.notes
    manifest = orjson.loads((tmp_path / "runE" / "manifest.json").read_bytes())
    assert manifest["config"]["scenes"]["path"] == "../sc2/part-0.jsonl"  # the one input, not a list with the report
    assert not any("other file" in note for note in summary.notes)  # not also said as a file of another format
    # named on its own, the report is read (and every line of it rejected)
    named = generate(report, tmp_path / "runF", generators="counting")
    assert named.scenes == 0 and named.rejects["rejected"] == 1
    assert f"{report}: no scene was read from it: it is a reject report veriscene wrote, not a scene file" in named.notes


def test_a_demo_folder_is_read_for_its_scenes_not_its_samples(tmp_path, scenes_file) -> None:
    """A run folder holding its scenes (the demo's; a converted input's) beside samples.jsonl,
    rejects.jsonl, vocabulary.json and manifest.json: only the scenes are read."""
    folder = tmp_path / "demo"
    write_scenes(iter_scene_graphs(4, seed=1), folder / "scenes.jsonl")
    generate(folder / "scenes.jsonl", folder, generators="counting")
    with open(folder / "rejects.jsonl", "ab") as fh:
        fh.write(b'{"file": "scenes.jsonl", "record": 9, "field": null, "reason": "x"}\n')
    summary = generate(folder, tmp_path / "again", generators="counting")
    assert summary.scenes == 4 and summary.rejects["rejected"] == 0
    said = " ".join(summary.notes)
    assert f"{folder / 'rejects.jsonl'} (a reject report)" in said
    assert f"{folder / 'samples.jsonl'} (the samples of the run in its folder)" in said


@pytest.mark.parametrize("spelling", ["jsonl", "veriscene_jsonl", "veriscene", "JSONL", "veriscene-jsonl"])
def test_veriscene_jsonl_takes_reader_options_through_its_reader(tmp_path, scenes_file, spelling) -> None:
    """`generate x.jsonl --from veriscene_jsonl -r id_prefix=x/`: read by the veriscene_jsonl reader
    into OUT/scenes.jsonl, as `convert` reads it, the image paths following the scenes there."""
    out = tmp_path / "out"
    summary = generate(scenes_file, out, from_format=spelling, reader_options={"id_prefix": "x/"},
                       generators="counting")
    assert summary.scenes == 6
    scenes = list(read_scenes(out / "scenes.jsonl"))
    assert [s.image_id for s in scenes] == [f"x/demo-{k:06d}" for k in range(6)]
    assert scenes[0].image == "../images/demo-000000.png"  # the same file, from the run folder
    first = orjson.loads((out / "samples.jsonl").read_bytes().splitlines()[0])
    assert first["images"][0]["id"].startswith("x/") and first["images"][0]["path"] == "../images/demo-000000.png"
    assert any(note.startswith(f"read {scenes_file} as veriscene_jsonl (as given): 6 scenes, 1 rejected: 1 scene")
               for note in summary.notes)
    # without reader options, the file is read as it is, under any of the names
    plain = generate(scenes_file, tmp_path / "plain", from_format=spelling, generators="counting")
    assert plain.scenes == 6 and not (tmp_path / "plain" / "scenes.jsonl").exists()


def test_reader_options_veriscene_jsonl_cannot_take_are_refused_before_the_folder_is_made(tmp_path,
                                                                                          scenes_file) -> None:
    with pytest.raises(ValueError, match=r"reader options 'masks', 'skip_crowd' do not apply to veriscene JSONL"):
        generate(scenes_file, tmp_path / "out", reader_options={"masks": False, "skip_crowd": True})
    with pytest.raises(ValueError, match=r"from one file or folder, not 2 inputs: put the files in one folder, or "
                                         r"convert each \(veriscene convert FILE --from veriscene_jsonl"):
        generate([scenes_file, scenes_file], tmp_path / "out", reader_options={"id_prefix": "x/"})
    with pytest.raises(ValueError, match=r"not the pattern .*\*\.jsonl"):
        generate(str(tmp_path / "*.jsonl"), tmp_path / "out", reader_options={"id_prefix": "x/"})
    assert not (tmp_path / "out").exists()


def test_format_names_agree_between_help_errors_and_the_api() -> None:
    assert [input_format(n) for n in ("jsonl", "veriscene_jsonl", "Veriscene", "auto", "vg", "COCO")] == \
        ["jsonl", "jsonl", "jsonl", "auto", "visual_genome", "coco"]
    with pytest.raises(KeyError) as caught:
        input_format("cocoo")
    said = caught.value.args[0]
    assert said.startswith("unknown input format 'cocoo'; did you mean coco?")
    assert "(known: jsonl (the default; also named veriscene_jsonl), auto, clevr, coco," in said
    shown = _flat(CliRunner().invoke(app, ["generate", "--help"], env={"COLUMNS": "400"}).output)
    assert "jsonl (the default: veriscene JSONL, also named veriscene_jsonl), auto, visual_genome, gqa, coco" in shown


def test_the_command_line_takes_reader_options_for_veriscene_jsonl(tmp_path, scenes_file) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["generate", str(scenes_file), "--from", "veriscene_jsonl", "-r", "id_prefix=x/",
                                 "-o", str(tmp_path / "out"), "-g", "counting"])
    assert result.exit_code == 0, result.output
    assert [s.image_id for s in read_scenes(tmp_path / "out" / "scenes.jsonl")][:1] == ["x/demo-000000"]
    result = runner.invoke(app, ["generate", str(scenes_file), "--from", "cocoo", "-o", str(tmp_path / "bad")])
    assert result.exit_code == 2 and "did you mean coco? (known: jsonl (the default; also named veriscene_jsonl)" \
        in _flat(result.output)
    result = runner.invoke(app, ["generate", str(scenes_file), "-r", "mask=false", "-o", str(tmp_path / "bad")])
    assert result.exit_code == 2 and "'mask' is not an option of the veriscene_jsonl reader" in _flat(result.output)
    assert not (tmp_path / "bad").exists()
