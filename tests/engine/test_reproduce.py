"""`generate_command`: a run's manifest back into `veriscene generate` options, and what it cannot give."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer.main

from veriscene import __version__
from veriscene.cli import app
from veriscene.commands.convert import parse_reader_options
from veriscene.engine.generate import generate
from veriscene.engine.reproduce import generate_command, mixture_file
from veriscene.generators.registry import select_generators


def scenes_file(folder: Path) -> Path:
    from veriscene.demo.world import make_world
    from veriscene.scene.jsonl import write_scenes

    path = folder / "scenes.jsonl"
    write_scenes(make_world(folder, n=3, seed=0, render=False), path)
    return path


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("reproduce")
    out = folder / "run"
    generate(scenes_file(folder), out, seed=4, generators="counting,object.exists.v1", mode="mc")
    return orjson.loads((out / "manifest.json").read_bytes())


def generate_options() -> set[str]:
    command = typer.main.get_command(app).commands["generate"]  # type: ignore[attr-defined]
    return {opt for param in command.params for opt in param.opts}


def test_selection_seed_and_mode(manifest: dict[str, Any], tmp_path: Path) -> None:
    again = generate_command(manifest, tmp_path / "run")
    assert again.argv[:5] == ["veriscene", "generate", "scenes.jsonl", "--out", "OUT"]  # ../scenes.jsonl from run/
    options = again.argv[5:]
    assert options == ["--seed", "4", "--mode", "mc", "-g", "counting,object.exists.v1"]
    assert {o for o in options if o.startswith("-")} <= generate_options()
    assert again.notes == [] and again.mixture is None
    assert {g.name for g in select_generators(options[-1])} == set(manifest["config"]["generators"])


def test_engine_options_and_what_only_python_sets(manifest: dict[str, Any], tmp_path: Path) -> None:
    changed = copy.deepcopy(manifest)
    config = changed["config"]
    config.update(shard_size=50, shard_format="zstd", scan_chunk_bytes=3 << 20, pool_size=100)
    config["generators"]["object.count.v1"]["config"]["num_choices"] = 3
    again = generate_command(changed, tmp_path / "run")
    assert again.argv[-6:] == ["--shard-size", "50", "--shard-format", "zstd", "--scan-chunk-mb", "3"]
    assert set(again.argv[5:]) - {"4", "mc", "50", "zstd", "3", "counting,object.exists.v1"} <= generate_options()
    notes = " ".join(again.notes)
    assert "pool_size=100" in notes and "object.count.v1 ran with config" in notes
    config["scan_chunk_bytes"] = 1000
    assert any("scan_chunk=1000" in n for n in generate_command(changed, tmp_path / "run").notes)


def test_per_scene_and_unknown_generators(manifest: dict[str, Any], tmp_path: Path) -> None:
    changed = copy.deepcopy(manifest)
    for entry in changed["config"]["generators"].values():
        entry["config"]["per_scene"] = 3
    changed["config"]["generators"]["gone.thing.v9"] = {"family": "gone", "version": 9, "config": {"per_scene": 3}}
    again = generate_command(changed, tmp_path / "run")
    assert again.argv[again.argv.index("--per-scene") + 1] == "3"
    assert again.notes == ["generator gone.thing.v9 is not registered in this installation"]


def test_converted_input_from_the_stamp(manifest: dict[str, Any], tmp_path: Path) -> None:
    run = tmp_path / "runs" / "coco_run"
    run.mkdir(parents=True)
    key = {"input": str(tmp_path / "coco" / "instances.json"), "format": "coco", "strict": True, "version": __version__,
           "fingerprint": "sha256:ab",
           "options": {"masks": False, "image_size": [640, 480], "images": ["imgs", "files:cd"], "odd": {"a": 1}}}
    (run / "scenes.source.json").write_bytes(orjson.dumps({"key": key, "output_sha256": "x", "note": "n"}))
    again = generate_command(manifest, run)
    assert again.argv[2:5] == ["../coco/instances.json", "--from", "coco"]
    pairs = [again.argv[k + 1] for k, a in enumerate(again.argv) if a == "-r"]
    assert pairs == ["image_size=640x480", "images=imgs", "masks=false"]
    assert parse_reader_options(pairs) == {"image_size": (640, 480), "images": "imgs", "masks": False}
    assert "--strict" in again.argv
    # a stamp without option_paths (an earlier release's): the relative path as given, said so
    assert len(again.notes) == 2 and "odd=" in again.notes[1]
    assert "images=imgs is the path as given to generate, relative to the folder it ran in" in again.notes[0]


def test_path_options_are_rebased_as_the_input_is(manifest: dict[str, Any], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # 'generate . --from label_map -r images=img -o ../run' run in data/: the card's command runs
    # from the folder holding run/, where the images are data/img
    from veriscene.engine.converted import option_paths

    data, run = tmp_path / "data", tmp_path / "run"
    (data / "img").mkdir(parents=True)
    (data / "labels.json").write_text("{}")
    run.mkdir()
    monkeypatch.chdir(data)
    options = {"images": "img", "labels": Path("labels.json"), "min_pixels": 4, "step": "img-not-a-path"}
    paths = option_paths(options)
    assert paths == {"images": str(data / "img"), "labels": str(data / "labels.json")}
    key = {"input": str(data), "format": "label_map", "strict": False, "version": __version__, "fingerprint": "files:0",
           "options": {"images": ["img", "files:ab"], "labels": ["labels.json", "sha256:cd"], "min_pixels": 4}}
    (run / "scenes.source.json").write_bytes(orjson.dumps({"key": key, "output_sha256": "x", "note": "n",
                                                           "option_paths": paths}))
    again = generate_command(manifest, run)
    assert again.argv[2:5] == ["data", "--from", "label_map"]
    pairs = [again.argv[k + 1] for k, a in enumerate(again.argv) if a == "-r"]
    assert pairs == ["images=data/img", "labels=data/labels.json", "min_pixels=4"]
    assert again.notes == []


def test_card_names_the_converted_input(manifest: dict[str, Any], tmp_path: Path) -> None:
    from veriscene.card import CardFacts, SampleTally
    from veriscene.card_text import made

    run = tmp_path / "run"
    run.mkdir()
    key = {"input": str(tmp_path / "coco" / "instances.json"), "format": "coco", "fingerprint": "sha256:ab",
           "options": {}, "strict": False, "version": __version__}
    (run / "scenes.source.json").write_bytes(orjson.dumps({"key": key}))
    text = made(CardFacts(run, manifest, SampleTally()))
    assert "from `../coco/instances.json` (relative to the run folder), read as `coco`, fingerprint `sha256:ab`" in text
    assert "veriscene generate coco/instances.json --from coco" in text  # from the folder holding run/


def test_a_mixture_with_a_config_through_a_glob_is_not_rebuilt() -> None:
    recorded = {"budget": 4, "modes": ["qa"], "default_weight": 0.0, "families": {}, "weights": {"relation.*": 1.0},
                "configs": {"relation.query.v1": {"num_choices": 3}}}
    assert mixture_file(recorded) is None
    recorded["weights"] = {"relation.*": 1.0, "relation.query.v1": 2.0}
    rebuilt = mixture_file(recorded)
    assert rebuilt is not None
    assert rebuilt["generators"]["relation.query.v1"] == {"weight": 2.0, "config": {"num_choices": 3}}


# ---- a run another release made ---------------------------------------------------------------------

SET_GENERATORS = ("multi.common_objects.v1", "multi.only_in.v1")  # gained max_answer_items after 0.11.0


@pytest.fixture(scope="module")
def set_manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("reproduce_sets")
    out = folder / "run"
    generate(scenes_file(folder), out, seed=2, generators=",".join((*SET_GENERATORS, "object.exists.v1")))
    return orjson.loads((out / "manifest.json").read_bytes())


def as_release(manifest: dict[str, Any], version: str | None) -> dict[str, Any]:
    """The manifest as a release without max_answer_items wrote it (`version`; None: not recorded)."""
    old = copy.deepcopy(manifest)
    if version is None:
        del old["config"]["veriscene_version"]
    else:
        old["config"]["veriscene_version"] = version
    for name in SET_GENERATORS:
        del old["config"]["generators"][name]["config"]["max_answer_items"]
    return old


ABSENT = "max_answer_items: (not recorded: the run's release had no such field) -> 10"


def test_a_run_of_an_earlier_release_needs_that_release(set_manifest: dict[str, Any], tmp_path: Path) -> None:
    old = as_release(set_manifest, "0.10.0")
    old["config"]["generators"]["object.exists.v1"]["config"]["num_choices"] = 3  # that release's default, or set
    again = generate_command(old, tmp_path / "run")
    assert again.argv == generate_command(set_manifest, tmp_path / "run").argv
    assert again.notes == []  # not "ran with config ..., which the command line does not give"
    assert (again.made_by, again.installed, again.other_build, again.same_release) == ("0.10.0", __version__,
                                                                                       False, False)
    assert again.changes == [f"multi.common_objects.v1: {ABSENT}", f"multi.only_in.v1: {ABSENT}",
                             "object.exists.v1: num_choices: 3 -> 4"]
    text = again.release_text()
    assert text is not None
    assert text.startswith(f"The run was made by veriscene 0.10.0; this is veriscene {__version__}. Making it "
                           "again byte for byte (sample ids, order, questions and answers) needs the veriscene 0.10.0 "
                           "that made it (`pip install veriscene==0.10.0`)")
    assert text.endswith(f"differ from veriscene {__version__}'s defaults (each release gives its own; nothing to "
                         f"set):\n\n- multi.common_objects.v1: {ABSENT}\n- multi.only_in.v1: {ABSENT}\n"
                         "- object.exists.v1: num_choices: 3 -> 4")


def test_a_run_of_another_build_of_the_same_version(set_manifest: dict[str, Any], tmp_path: Path) -> None:
    again = generate_command(as_release(set_manifest, __version__), tmp_path / "run")
    assert again.notes == [] and again.other_build and not again.same_release
    assert again.changes == [f"multi.common_objects.v1: {ABSENT}", f"multi.only_in.v1: {ABSENT}"]
    text = again.release_text() or ""
    assert text.startswith(f"The run was made by another build of veriscene {__version__} than this installation")
    assert f"(`pip install veriscene=={__version__}`, if it was the release)" in text
    assert "differ from this installation's defaults" in text


def test_a_run_whose_release_is_not_recorded(set_manifest: dict[str, Any], tmp_path: Path) -> None:
    again = generate_command(as_release(set_manifest, None), tmp_path / "run")
    assert again.made_by is None and again.notes == [] and len(again.changes) == 2
    assert (again.release_text() or "").startswith("The run's manifest does not record the veriscene release that "
                                                   f"made it, and this is veriscene {__version__}")


def test_this_release_s_run_says_nothing_of_releases(set_manifest: dict[str, Any], tmp_path: Path) -> None:
    again = generate_command(set_manifest, tmp_path / "run")
    assert again.same_release and again.release_text() is None and again.changes == [] and again.notes == []


def test_a_run_of_this_release_made_by_other_code_says_so(set_manifest: dict[str, Any], tmp_path: Path) -> None:
    """The same release, other code (an edited checkout: manifest.json "source" differs): the
    command is the same, but this code makes other samples where its generators changed."""
    edited = copy.deepcopy(set_manifest)
    edited["source"]["veriscene"] = "0" * 16
    again = generate_command(edited, tmp_path / "run")
    assert again.argv == generate_command(set_manifest, tmp_path / "run").argv
    assert again.code == ["veriscene"] and not again.same_release and not again.other_build
    assert again.release_text() == (
        "Note: the veriscene code that makes samples (generators, programs, wording) is not the code that made the "
        "run (its digest in manifest.json \"source\" differs), though the release is the same (veriscene "
        f"{__version__}): the command makes the run again byte for byte only with the code that made it; with this "
        "code its output differs where the generators changed (their wording, the questions they ask).")
    assert generate_command(set_manifest, tmp_path / "run").code == []


def test_card_notes_other_code_on_the_command_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    run = tmp_path / "run"
    generate(scenes_file(tmp_path), run, seed=4, generators="object.exists.v1")
    manifest = orjson.loads((run / "manifest.json").read_bytes())
    manifest["source"]["veriscene"] = "0" * 16
    (run / "manifest.json").write_bytes(orjson.dumps(manifest))
    result = CliRunner().invoke(app, ["card", str(run), "--out", str(tmp_path / "CARD.md")])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert ("note: the veriscene code that makes samples (generators, programs, wording) is not the code that made "
            "the run") in said and "makes other samples with this code" in said
    card = (tmp_path / "CARD.md").read_text()
    assert "though the release is the same" in " ".join(card.split())
