"""`max_scene_objects`: a scene of more objects is rejected (reported, counted, never drawn as a
partner), from the API and the command line; runs made before the limit existed resume as they
were made, and `generate_command` gives the limit back."""

from __future__ import annotations

import copy
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.engine.generate import generate
from veriscene.engine.manifest import ResumeMismatchError, config_key
from veriscene.engine.options import DEFAULT_MAX_SCENE_OBJECTS
from veriscene.engine.reproduce import generate_command
from veriscene.engine.scan import scan_scenes
from veriscene.errors import SceneValidationError
from veriscene.scene import Scene, write_scenes

SIZES = [3, 12, 4, 30, 5, 6]  # objects per scene: lines 2 and 4 hold more than 10
OPTIONS = {"generators": "counting,multi.count_total.v1", "shard_size": 2}


def _scene(k: int, n: int) -> Scene:
    name = "giant" if n > 10 else "cup"  # a name only the large scenes have
    objects = [{"name": name if j % 2 else "plate", "box": [j * 10, 5, j * 10 + 8, 15],
                "attributes": ["red"] if j % 3 else []} for j in range(n)]
    return Scene.from_objects(f"img{k}", 400, 100, objects, [(0, "left of", 1)])


@pytest.fixture
def scenes_file(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "scenes.jsonl"
    path.parent.mkdir()
    write_scenes([_scene(k, n) for k, n in enumerate(SIZES)], path)
    return path


def _rejects(out: Path) -> list[dict]:
    return [orjson.loads(line) for line in (out / "rejects.jsonl").read_bytes().splitlines()]


def _manifest(out: Path) -> dict:
    return orjson.loads((out / "manifest.json").read_bytes())


def test_a_scene_over_the_limit_is_rejected_named_and_counted(tmp_path: Path, scenes_file: Path) -> None:
    summary = generate(scenes_file, tmp_path / "run", max_scene_objects=10, **OPTIONS)
    assert (summary.scenes, summary.rejects["rejected"], summary.oversized) == (4, 2, 2)
    rejects = _rejects(tmp_path / "run")
    assert [(Path(r["file"]).name, r["record"], r["field"], r["level"]) for r in rejects] == [
        ("scenes.jsonl", 2, "objects", "scene"), ("scenes.jsonl", 4, "objects", "scene")]
    reason = rejects[1]["reason"]
    for said in ("'img3' has 30 objects", "limit of 10 per scene", "--max-scene-objects N",
                 "generate(max_scene_objects=N)", "0 for no limit"):
        assert said in reason
    manifest = _manifest(tmp_path / "run")
    assert manifest["config"]["max_scene_objects"] == 10
    assert manifest["counts"]["rejected_scenes"] == 2 and manifest["summary"]["oversized"] == 2


def test_a_run_with_a_limit_is_the_run_of_the_scenes_within_it(tmp_path: Path, scenes_file: Path) -> None:
    """Left out of the samples, the vocabulary and the multi-image pool alike: the samples are
    those of the input without the large scenes."""
    limited = tmp_path / "limited"
    generate(scenes_file, limited, max_scene_objects=10, **OPTIONS)
    small = tmp_path / "small" / "scenes.jsonl"
    small.parent.mkdir()
    write_scenes([_scene(k, n) for k, n in enumerate(SIZES) if n <= 10], small)
    generate(small, tmp_path / "plain", max_scene_objects=0, **OPTIONS)
    assert (limited / "samples.jsonl").read_bytes() == (tmp_path / "plain" / "samples.jsonl").read_bytes()
    assert orjson.loads((limited / "vocabulary.json").read_bytes()) == orjson.loads(
        (tmp_path / "plain" / "vocabulary.json").read_bytes())


def test_the_scan_leaves_large_scenes_out_of_the_vocabulary_and_the_pool(scenes_file: Path) -> None:
    every = scan_scenes(scenes_file)
    limited = scan_scenes(scenes_file, max_scene_objects=10)
    assert "giant" in every.vocab.names and "giant" not in limited.vocab.names
    assert {e.image_id for e in every.pool} == {f"img{k}" for k in range(len(SIZES))}
    assert {e.image_id for e in limited.pool} == {"img0", "img2", "img4", "img5"}
    assert limited.scenes == every.scenes == len(SIZES)  # still lines of the input


@pytest.mark.parametrize(("given", "recorded", "rejected"), [(None, DEFAULT_MAX_SCENE_OBJECTS, 0), (0, 0, 0),
                                                             (30, 30, 0), (29, 29, 1), (3, 3, 5)])
def test_the_limit_given_is_the_limit_recorded(tmp_path: Path, scenes_file: Path, given, recorded, rejected) -> None:
    summary = generate(scenes_file, tmp_path / "run", max_scene_objects=given, **OPTIONS)
    assert summary.rejects["rejected"] == summary.oversized == rejected
    assert _manifest(tmp_path / "run")["config"]["max_scene_objects"] == recorded


@pytest.mark.parametrize(("value", "error"), [(-1, ValueError), (1.5, TypeError), (True, TypeError),
                                              ("10", TypeError), (2**63, ValueError)])
def test_a_bad_limit_is_refused_before_anything_is_written(tmp_path: Path, scenes_file: Path, value, error) -> None:
    with pytest.raises(error, match="max_scene_objects"):
        generate(scenes_file, tmp_path / "run", max_scene_objects=value, **OPTIONS)
    assert not (tmp_path / "run").exists()


def test_strict_stops_at_the_first_large_scene(tmp_path: Path, scenes_file: Path) -> None:
    with pytest.raises(SceneValidationError, match="line 2, field 'objects': scene 'img1' has 12 objects"):
        generate(scenes_file, tmp_path / "run", max_scene_objects=10, strict=True, **OPTIONS)


def test_the_command_line_option(tmp_path: Path, scenes_file: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "run"
    result = runner.invoke(app, ["generate", str(scenes_file), "--out", str(out), "-g", "counting",
                                 "--max-scene-objects", "10"])
    assert result.exit_code == 0, result.output
    assert "2 scene record(s) rejected, 2 of them for holding more objects than a scene may" in " ".join(
        result.output.split())
    assert _manifest(out)["config"]["max_scene_objects"] == 10
    bad = runner.invoke(app, ["generate", str(scenes_file), "--out", str(tmp_path / "bad"), "--max-scene-objects", "-1"])
    assert bad.exit_code == 2
    default = runner.invoke(app, ["generate", "--help"])
    assert f"default {DEFAULT_MAX_SCENE_OBJECTS}" in " ".join(default.output.replace("│", " ").split())


def _interrupt(out: Path, forget: str | None = None) -> None:
    """Make the finished zstd run in `out` one killed before its second shard was done; with
    `forget`, as a release without that config field made it (the key, the sidecars' too, of its
    configuration without the field)."""
    manifest = _manifest(out)
    config, key = manifest["config"], manifest["key"]
    if forget is not None:
        del config[forget]
        key = config_key(config)
        for side in (out / "shards").glob("shard-*.json"):
            sidecar = orjson.loads(side.read_bytes())
            side.write_bytes(orjson.dumps({**sidecar, "key": key}))
    (out / "manifest.json").write_bytes(orjson.dumps({"config": config, "key": key, "status": "running"}))
    (out / "shards" / "shard-00001.json").unlink()


def test_a_run_made_before_the_limit_resumes_as_it_was_made(tmp_path: Path, scenes_file: Path) -> None:
    """Its manifest records no limit, and it had none: resumed without the option, it keeps its
    shards, runs the rest without a limit and keeps its configuration (and key); asked for a
    limit, the resume is refused, naming the difference."""
    out = tmp_path / "run"
    options = {**OPTIONS, "shard_format": "zstd"}
    whole = generate(scenes_file, out, max_scene_objects=0, **options)
    _interrupt(out, forget="max_scene_objects")
    with pytest.raises(ResumeMismatchError, match=r"max_scene_objects: \(absent\) -> 10"):
        generate(scenes_file, out, resume=True, max_scene_objects=10, **options)
    resumed = generate(scenes_file, out, resume=True, **options)
    assert "resumed: 2 of 3 shard(s) kept from the interrupted run, 1 run now" in resumed.notes
    assert (resumed.samples, resumed.oversized, resumed.rejects["rejected"]) == (whole.samples, 0, 0)
    assert "max_scene_objects" not in _manifest(out)["config"]
    again = generate(scenes_file, out, resume=True, max_scene_objects=0, **options)  # no limit, said
    assert again.samples == whole.samples


def test_a_resume_keeps_the_runs_own_limit(tmp_path: Path, scenes_file: Path) -> None:
    out = tmp_path / "run"
    options = {**OPTIONS, "shard_format": "zstd"}
    whole = generate(scenes_file, out, max_scene_objects=10, **options)
    _interrupt(out)
    with pytest.raises(ResumeMismatchError, match="max_scene_objects: 10 -> 20"):
        generate(scenes_file, out, resume=True, max_scene_objects=20, **options)
    resumed = generate(scenes_file, out, resume=True, **options)
    assert (resumed.samples, resumed.oversized) == (whole.samples, 2)
    assert _manifest(out)["config"]["max_scene_objects"] == 10


@pytest.mark.parametrize(("recorded", "given"), [(DEFAULT_MAX_SCENE_OBJECTS, []), (10, ["10"]), (0, ["0"]),
                                                 (None, [])])
def test_generate_command_gives_the_limit_back(tmp_path: Path, scenes_file: Path, recorded, given) -> None:
    """None: a manifest of a release before the limit, which has no such option to give."""
    generate(scenes_file, tmp_path / "run", **OPTIONS)
    manifest = copy.deepcopy(_manifest(tmp_path / "run"))
    if recorded is None:
        del manifest["config"]["max_scene_objects"]
    else:
        manifest["config"]["max_scene_objects"] = recorded
    argv = generate_command(manifest, tmp_path / "run").argv
    found = argv[argv.index("--max-scene-objects") + 1:][:1] if "--max-scene-objects" in argv else []
    assert found == given
