import orjson
import pytest

from veriscene import generate, verify
from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.manifest import RunExistsError
from veriscene.errors import SceneValidationError
from veriscene.scene import write_scenes


@pytest.fixture
def scenes_file(tmp_path):
    path = tmp_path / "in" / "scenes.jsonl"
    path.parent.mkdir()
    write_scenes(iter_scene_graphs(15, seed=1), path)
    return path


def test_generate_writes_run_folder(tmp_path, scenes_file) -> None:
    out = tmp_path / "run"
    summary = generate(scenes_file, out, seed=3)
    assert summary.scenes == 15 and summary.samples > 200
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert manifest["config"]["seed"] == 3 and manifest["counts"]["samples"] == summary.samples
    assert manifest["config"]["scenes"]["path"] == "../in/scenes.jsonl" and len(manifest["config"]["scenes"]["sha256"]) == 64
    first = orjson.loads((out / "samples.jsonl").read_bytes().splitlines()[0])
    assert first["images"][0]["path"] == "../in/images/demo-000000.png"  # relative to the run folder
    assert verify(out).ok
    # the run's counts once, not per shard; a resumed finished run reports the same summary
    assert manifest["summary"]["per_task"] == dict(summary.per_task)
    assert all("counts" not in shard for shard in manifest["shards"])
    again = generate(scenes_file, out, seed=3, resume=True)
    assert again.per_task == summary.per_task and again.answers == summary.answers


def test_generators_and_mode_filters(tmp_path, scenes_file) -> None:
    summary = generate(scenes_file, tmp_path / "r", generators="counting", mode="qa")
    assert set(summary.per_task) == {"object.count.v1", "counting.compare.v1"}
    assert set(summary.per_mode) == {"qa"}


def test_bad_records_are_reported_and_counted(tmp_path, scenes_file) -> None:
    lines = scenes_file.read_bytes().splitlines()
    lines.insert(3, b'{"image_id": "x", "width": 10, "height": 10, "objects": [{"name": "a", "box": [0, 0, 50, 5]}]}')
    lines.insert(5, b"{truncated")
    bad = tmp_path / "in" / "bad.jsonl"
    bad.write_bytes(b"\n".join(lines) + b"\n")
    summary = generate(bad, tmp_path / "r")
    assert summary.scenes == 15 and summary.rejects["rejected"] == 2
    rejects = [orjson.loads(l) for l in (tmp_path / "r" / "rejects.jsonl").read_bytes().splitlines()]
    assert [(r["record"], r["field"]) for r in rejects] == [(4, "objects[0].box"), (6, None)]
    with pytest.raises(SceneValidationError, match="line 4"):
        generate(bad, tmp_path / "strict", strict=True)


def test_verify_detects_tampered_answer_and_choice(tmp_path, scenes_file) -> None:
    out = tmp_path / "run"
    generate(scenes_file, out)
    records = [orjson.loads(l) for l in (out / "samples.jsonl").read_bytes().splitlines()]
    count = next(r for r in records if r["task"] == "object.count.v1" and r["meta"]["mode"] == "qa")
    count["answer"] += 1
    mc = next(r for r in records if r["choices"] and r["task"] == "attribute.query.v1")
    mc["meta"]["answer_letter"] = "A" if mc["meta"]["answer_letter"] != "A" else "B"
    (out / "samples.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records) + b"not json\n")
    report = verify(out)
    assert not report.ok and report.mismatches == 2 and report.unreadable == 1
    mismatch = next(p for p in report.problems if p.kind == "mismatch")
    assert mismatch.sample_id == count["id"] and mismatch.stored == count["answer"]
    assert mismatch.computed == count["answer"] - 1


def test_verify_missing_inputs(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="manifest"):
        verify(tmp_path)


def test_mixture_budget_and_weights(tmp_path, scenes_file) -> None:
    mixture = tmp_path / "mix.yaml"
    mixture.write_text("budget: 6\nmodes: [qa]\ndefault_weight: 0\ngenerators:\n  object.count.v1: 3\n  object.exists.v1: 1\n")
    summary = generate(scenes_file, tmp_path / "r", mixture=mixture)
    assert set(summary.per_task) == {"object.count.v1", "object.exists.v1"}
    assert summary.per_task["object.count.v1"] > summary.per_task["object.exists.v1"]
    per_scene = {}
    for line in (tmp_path / "r" / "samples.jsonl").read_bytes().splitlines():
        image = orjson.loads(line)["images"][0]["id"]
        per_scene[image] = per_scene.get(image, 0) + 1
    assert max(per_scene.values()) <= 6 and set(summary.per_mode) == {"qa"}
    manifest = orjson.loads((tmp_path / "r" / "manifest.json").read_bytes())
    assert manifest["config"]["mixture"]["budget"] == 6
    with pytest.raises(ValueError, match="either a mixture or generators, not both"):
        generate(scenes_file, tmp_path / "r2", mixture=mixture, generators="object.*")


# ---- the output folder, resume and overwrite ---------------------------------------------------


def test_resume_redoes_a_shard_made_with_another_configuration(tmp_path, scenes_file) -> None:
    """A shard's sidecar carries its run's config key: a shard of a seed-0 run found in a seed-5
    run's folder is made again, so the resumed run is the clean seed-5 one."""
    options = {"generators": "counting", "shard_size": 5, "shard_format": "zstd"}
    five, zero = tmp_path / "five", tmp_path / "zero"
    generate(scenes_file, five, seed=5, **options)
    generate(scenes_file, zero, seed=0, **options)
    clean = {p.name: p.read_bytes() for p in (five / "shards").iterdir()}
    manifest = orjson.loads((five / "manifest.json").read_bytes())
    assert orjson.loads((five / "shards" / "shard-00001.json").read_bytes())["key"] == manifest["key"]
    for name in ("shard-00000.jsonl.zst", "shard-00000.rejects.jsonl", "shard-00000.json"):
        (five / "shards" / name).write_bytes((zero / "shards" / name).read_bytes())
    (five / "manifest.json").write_bytes(orjson.dumps({"config": manifest["config"], "key": manifest["key"],
                                                       "status": "running"}))
    generate(scenes_file, five, seed=5, resume=True, **options)
    assert {p.name: p.read_bytes() for p in (five / "shards").iterdir()} == clean


def test_a_run_without_a_manifest_starts_with_no_shards(tmp_path, scenes_file) -> None:
    out = tmp_path / "run"
    (out / "shards").mkdir(parents=True)
    for name in ("shard-00007.jsonl.zst", "shard-00007.rejects.jsonl", "shard-00007.json"):
        (out / "shards" / name).write_bytes(b"left by a run whose manifest is gone")
    generate(scenes_file, out, generators="counting", shard_size=5, shard_format="zstd", resume=True)
    assert sorted(p.name for p in (out / "shards").glob("*.json")) == [f"shard-0000{i}.json" for i in range(3)]


def test_a_folder_of_other_files_is_not_written_into_without_overwrite(tmp_path, scenes_file) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "samples.jsonl").write_text("precious\n")
    (out / "notes.txt").write_text("keep\n")
    for resume in (False, True):
        with pytest.raises(RunExistsError, match=r"holds files but no veriscene run .*notes.txt, samples.jsonl"):
            generate(scenes_file, out, generators="counting", resume=resume)
    assert (out / "samples.jsonl").read_text() == "precious\n" and not (out / "manifest.json").exists()
    generate(scenes_file, out, generators="counting", overwrite=True)
    assert (out / "notes.txt").read_text() == "keep\n" and verify(out).ok


@pytest.mark.parametrize("manifest", [b"{broken", b"[]", b"{}"])
def test_overwrite_replaces_a_run_and_what_was_made_from_it(tmp_path, scenes_file, manifest: bytes) -> None:
    out = tmp_path / "run"
    generate(scenes_file, out, generators="counting")
    for made in ("export/llava/llava.json", "README.md", "stats.png", "convert_rejects.jsonl"):
        (out / made).parent.mkdir(parents=True, exist_ok=True)
        (out / made).write_text("of the run replaced")
    (out / "manifest.json").write_bytes(manifest)
    with pytest.raises(ValueError, match=r"manifest.json is not .*generate\(overwrite=True\)"):
        generate(scenes_file, out, generators="counting", resume=True)
    generate(scenes_file, out, generators="spatial", overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "rejects.jsonl", "samples.jsonl",
                                                     "vocabulary.json"]
    assert verify(out).ok


def test_an_output_that_is_a_file_is_refused(tmp_path, scenes_file) -> None:
    file = tmp_path / "afile"
    file.write_text("hi")
    with pytest.raises(NotADirectoryError, match="afile is a file, not a folder"):
        generate(scenes_file, file)
    with pytest.raises(NotADirectoryError, match=r"sub lies under .*afile, which is a file"):
        generate(scenes_file, file / "sub")


def test_an_input_folder_that_is_the_output_folder_does_not_read_the_run(tmp_path, scenes_file) -> None:
    folder = tmp_path / "in"  # scenes.jsonl and images/: the run is written beside them
    first = generate(folder, folder, generators="counting", overwrite=True)
    samples = (folder / "samples.jsonl").read_bytes()
    again = generate(folder, folder, generators="counting", resume=True)  # finished: the same input
    assert again.samples == first.samples
    replaced = generate(folder, folder, generators="counting", overwrite=True)
    assert (folder / "samples.jsonl").read_bytes() == samples and replaced.scenes == 15
    # the folder holds a run (manifest.json): its samples are no scene file (its rejects.jsonl is empty: unsaid)
    assert any(f"left out of the input: {folder / 'samples.jsonl'} (the samples of the run in its folder)" in n
               for n in replaced.notes)
    assert orjson.loads((folder / "manifest.json").read_bytes())["status"] == "complete"
    with pytest.raises(ValueError, match="holds only files this run writes"):
        generate(folder / "samples.jsonl", folder, generators="counting", overwrite=True)


# ---- options checked before anything is written ------------------------------------------------


@pytest.mark.parametrize("options, error", [
    ({"per_scene": 0}, "per_scene must be at least 1, got 0"),
    ({"per_scene": -2}, "per_scene must be at least 1"),
    ({"mode": ["QA"]}, "mode must be one of"),
    ({"mode": []}, "non-empty list of 'qa' and 'mc', got \\[\\]"),
    ({"mode": ["qa", "xx"]}, "mode must be one of"),
    ({"seed": 1.5}, "seed must be an integer, got 1.5"),
    ({"seed": 2**64}, "seed must be at most 18446744073709551615"),
    ({"scan_chunk": 2**41}, "scan_chunk must be at most"),
    ({"pool_size": -5}, "pool_size must be at least 0, got -5"),
    ({"workers": 10**5}, "workers must be at most .* CPU"),
    ({"address": "10.0.0.1:6379"}, "address is for the Ray backend"),
    ({"generators": " "}, "generators is empty"),
    ({"backend": "dask"}, "backend must be one of"),
])
def test_bad_options_are_refused_before_the_folder_is_made(tmp_path, scenes_file, options, error) -> None:
    with pytest.raises((ValueError, TypeError), match=error):
        generate(scenes_file, tmp_path / "run", **options)
    assert not (tmp_path / "run").exists()


def test_a_list_of_modes_is_recorded_in_sample_order(tmp_path, scenes_file) -> None:
    generate(scenes_file, tmp_path / "r", generators="object.count.v1", mode=["mc", "qa"])
    assert orjson.loads((tmp_path / "r" / "manifest.json").read_bytes())["config"]["modes"] == ["qa", "mc"]


def test_local_workers_are_no_more_than_the_shards(tmp_path, scenes_file, monkeypatch) -> None:
    import importlib

    engine = importlib.import_module("veriscene.engine.generate")

    asked = []
    real = engine.run_tasks

    def recorded(*args, **kwargs):
        asked.append(kwargs["workers"])
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "run_tasks", recorded)
    generate(scenes_file, tmp_path / "one", generators="counting", shard_size=15, workers=4)
    generate(scenes_file, tmp_path / "ref", generators="counting", shard_size=15)
    assert asked == [1, 1]
    assert (tmp_path / "one" / "samples.jsonl").read_bytes() == (tmp_path / "ref" / "samples.jsonl").read_bytes()


def test_a_mixture_refuses_mode_and_a_per_scene_it_contradicts(tmp_path, scenes_file) -> None:
    budget = tmp_path / "budget.yaml"
    budget.write_text("budget: 6\nmodes: [qa]\ndefault_weight: 0\ngenerators:\n  object.count.v1: 1\n")
    with pytest.raises(ValueError, match="either a mixture or mode, not both"):
        generate(scenes_file, tmp_path / "r", mixture=budget, mode="qa")
    with pytest.raises(ValueError, match=r"per_scene \(3\) has no effect with the mixture's budget"):
        generate(scenes_file, tmp_path / "r", mixture=budget, per_scene=3)
    assert not (tmp_path / "r").exists()


def test_a_run_whose_manifest_was_removed_is_not_resumed(tmp_path, scenes_file) -> None:
    out = tmp_path / "run"
    generate(scenes_file, out, generators="counting", shard_size=5, shard_format="zstd", seed=0)
    (out / "manifest.json").unlink()
    with pytest.raises(RunExistsError, match=r"holds a run's files \(rejects.jsonl, vocabulary.json\) "
                                             "but no manifest.json"):
        generate(scenes_file, out, generators="counting", shard_size=5, shard_format="zstd", seed=5, resume=True)


def test_a_run_killed_after_its_manifest_before_removing_its_shards_is_resumed_to_the_same_files(
        tmp_path, scenes_file) -> None:
    """kill -9 between the complete manifest and the removal of the merged shards (found by
    benchmarks/kill_resume.py once start-up got faster: 1 round in a fresh clone's test run):
    the resume found the run finished and left the shards beside samples.jsonl."""
    from veriscene.engine.shards import ShardOutput, write_shard

    out = tmp_path / "run"
    generate(scenes_file, out, generators="counting", shard_size=5, seed=0)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    counts = {"samples": 0, "scenes": 1}
    (out / "shards").mkdir()
    write_shard(out / "shards", ShardOutput(0, b"x", [], counts, 1, 1), "jsonl")  # what the kill left
    summary = generate(scenes_file, out, generators="counting", shard_size=5, seed=0, resume=True)
    assert any("the run had finished" in note for note in summary.notes)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == files
    assert verify(out).ok


def test_a_sidecar_rewritten_without_a_key_keeps_the_one_it_replaces(tmp_path) -> None:
    """`engine.repeats` rewrites a finished shard's sidecar from an output without the run's key."""
    from veriscene.engine.shards import ShardOutput, finished_sidecar, write_shard

    counts = {"samples": 0, "scenes": 1}
    write_shard(tmp_path, ShardOutput(0, b"", [], counts, 1, 1, key="run-a"), "jsonl")
    write_shard(tmp_path, ShardOutput(0, b"", [], counts, 1, 1), "jsonl")
    assert finished_sidecar(tmp_path, 0, "jsonl", "run-a") is not None
    assert finished_sidecar(tmp_path, 0, "jsonl", "run-b") is None


def test_a_scenes_file_starting_with_a_byte_order_mark_gives_the_same_samples(tmp_path) -> None:
    """Some editors write a UTF-8 byte order mark before the first line: the scan and the
    workers read that line as the others, on one worker and two."""
    plain = tmp_path / "plain.jsonl"
    write_scenes(iter_scene_graphs(5, seed=2), plain)
    marked = tmp_path / "marked.jsonl"
    marked.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    options = dict(seed=3, generators="counting,attribute.*", shard_size=2)
    generate(plain, tmp_path / "a", **options)
    for workers in (1, 2):
        generate(marked, tmp_path / f"b{workers}", workers=workers, **options)
        assert (tmp_path / f"b{workers}" / "samples.jsonl").read_bytes() == (tmp_path / "a" / "samples.jsonl").read_bytes()
        assert (tmp_path / f"b{workers}" / "rejects.jsonl").read_bytes() == b""


SCENE_FILES_SAID = "scene files are given as a file, a folder or a glob pattern (a str or a path), or a list of them"


@pytest.mark.parametrize(("given", "error", "said"), [
    ({"scenes": None}, TypeError, f"{SCENE_FILES_SAID}; got None"),
    ({"scenes": 3}, TypeError, f"{SCENE_FILES_SAID}; got 3"),
    ({"generators": ["counting"]}, TypeError, ("generators must be a str of comma-separated names, globs or families "
                                               "(e.g. 'counting,relation.*'), got ['counting']")),
    ({"reader_options": "id_prefix=vg/"}, TypeError, ("reader_options must be a dict of reader option names and "
                                                      "values (e.g. {'id_prefix': 'vg/'}), got 'id_prefix=vg/'")),
])
def test_wrong_kind_of_argument_is_named(tmp_path, scenes_file, given, error, said) -> None:
    # before: "'NoneType' object is not iterable", "'list' object has no attribute 'strip'",
    # "'str' object has no attribute 'values'"
    arguments = {"scenes": scenes_file} | given
    with pytest.raises(error) as info:
        generate(arguments.pop("scenes"), tmp_path / "run", **arguments)
    assert str(info.value) == said
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("given", "said"), [
    # text where a flag goes: "no" is true in Python, so these ran strict, resumed, overwrote
    ({"strict": "no"}, "strict must be True or False, got 'no'"),
    ({"resume": "no"}, "resume must be True or False, got 'no'"),
    ({"overwrite": "yes"}, "overwrite must be True or False, got 'yes'"),
    ({"absolute_paths": 1}, "absolute_paths must be True or False, got 1"),
    ({"shared_output": "no"}, "shared_output must be True or False, got 'no'"),
    # a callback that is no function: called only once the run had written its manifest
    ({"progress": 1}, "progress must be a function, called as progress(scenes, samples), or None; got 1"),
    ({"scan_progress": 1}, "scan_progress must be a function, called as scan_progress(bytes, total_bytes), or None; got 1"),
    ({"counted": "n"}, "counted must be a function, called as counted(scenes), or None; got 'n'"),
    ({"on_shard": 1}, "on_shard must be a function, called as on_shard(sidecar), or None; got 1"),
    # before: "[Errno 9] Bad file descriptor" (3 was opened as a file descriptor), "'int' object is
    # not iterable", "'NoneType' object has no attribute 'strip'", os.fspath's TypeError
    ({"mixture": 3}, "mixture must be a mixture YAML file (a str or a path), its content as a dict, or a Mixture, "
                     "got 3"),
    ({"plugins": 3}, "plugins must be a Python file or module name (a str or a path), or a list of them, got 3"),
    ({"from_format": None}, "from_format must be the name of an input format (a str: 'jsonl', 'coco', 'auto'...), got None"),
])
def test_wrong_flag_callback_or_file_argument_is_named_before_any_file(tmp_path, scenes_file, given, said) -> None:
    with pytest.raises(TypeError) as info:
        generate(scenes_file, tmp_path / "run", **given)
    assert str(info.value) == said
    assert not (tmp_path / "run").exists()


def test_out_that_is_no_path_is_named(scenes_file) -> None:
    with pytest.raises(TypeError) as info:
        generate(scenes_file, None)  # type: ignore[arg-type]
    assert str(info.value) == "out must be the run folder or its URL, a str or a path; got None"
