"""verify: the same report on one process, several, or Ray, whatever the chunking."""

import gzip

import orjson
import pytest
from typer.testing import CliRunner

from veriscene import generate, verify
from veriscene.cli import app
from veriscene.demo.world import iter_scene_graphs
from veriscene.scene import write_scenes


@pytest.fixture(scope="module")
def tampered(tmp_path_factory):
    """A run of single- and multi-image samples with every kind of problem in it, its scenes gzipped."""
    folder = tmp_path_factory.mktemp("tampered")
    scenes = folder / "in" / "scenes.jsonl"
    scenes.parent.mkdir()
    write_scenes(iter_scene_graphs(12, seed=3), scenes)
    packed = scenes.with_suffix(".jsonl.gz")
    packed.write_bytes(gzip.compress(scenes.read_bytes()))
    out = folder / "run"
    generate(packed, out, seed=2, generators="counting,attribute.*,multi.*")
    records = [orjson.loads(line) for line in (out / "samples.jsonl").read_bytes().splitlines()]
    assert any(len(r["images"]) > 1 for r in records)
    count = next(r for r in records if r["task"] == "object.count.v1" and r["meta"]["mode"] == "qa")
    count["answer"] += 1
    mc = next(r for r in records if r["choices"] and r["task"] == "attribute.query.v1")
    mc["meta"]["answer_letter"] = "A" if mc["meta"]["answer_letter"] != "A" else "B"
    multi = [r for r in records if len(r["images"]) > 1]
    multi[len(multi) // 2]["images"][1]["id"] = "no-such-image"
    lines = [orjson.dumps(r) for r in records]
    lines.insert(len(lines) // 3, b"not json")
    lines.insert(len(lines) // 2, b'{"images": "none"}')
    (out / "samples.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    return out, len(lines)


def _same(a, b) -> None:
    assert (a.samples, a.verified, a.per_task) == (b.samples, b.verified, b.per_task)
    assert a.problems == b.problems  # the same problems, in line order


def test_workers_give_the_report_of_one_process(tampered) -> None:
    out, lines = tampered
    one = verify(out)
    assert one.samples == lines and one.mismatches == 2
    assert sorted({p.kind for p in one.problems}) == ["choice_mismatch", "mismatch", "missing_scene", "unreadable"]
    assert [p.line for p in one.problems] == sorted(p.line for p in one.problems)
    done = []
    _same(verify(out, workers=2, chunk_size=7, progress=done.append), one)
    assert sum(done) == lines and len(done) == -(-lines // 7)
    _same(verify(out, workers=3, chunk_size=1000), one)


def test_ray_backend_gives_the_same_report(tampered) -> None:
    out, _ = tampered
    _same(verify(out, workers=2, backend="ray", chunk_size=50), verify(out))


def test_bad_options_are_refused(tampered) -> None:
    out, _ = tampered
    with pytest.raises(ValueError, match="workers must be at least 1"):
        verify(out, workers=0)
    with pytest.raises(ValueError, match="chunk_size must be at least 1"):
        verify(out, workers=2, chunk_size=0)


def test_the_command_takes_workers(tampered) -> None:
    out, _ = tampered
    result = CliRunner().invoke(app, ["verify", str(out), "--workers", "2"])
    assert result.exit_code == 1  # the tampered samples
    assert "mismatch" in result.output


def test_each_scene_is_parsed_once(tampered, monkeypatch) -> None:
    """Multi-image samples name scenes of the run's pool again and again: parsed scenes are kept
    (by their line, so a scene changed is parsed anew)."""
    import importlib

    # where `ParsedScenes` looks `_parse` up (`veriscene.verify` re-exports both)
    module = importlib.import_module("veriscene.verify_scenes")
    parsed = []
    real = module._parse
    monkeypatch.setattr(module, "_parse", lambda line: parsed.append(line) or real(line))
    out, _ = tampered
    verify(out)
    assert len(parsed) == len(set(parsed)) == 12  # the run's 12 scenes, once each
    cache = module.ParsedScenes(size=2)
    first, second = parsed[0], parsed[1]
    image_id = orjson.loads(first)["image_id"]
    assert cache.find(image_id, [first]).image_id == image_id
    changed = orjson.loads(first)
    changed["objects"][0]["name"] = "zebra"
    assert cache.find(image_id, [orjson.dumps(changed)]).objects()[0].name == "zebra"
    assert cache.find("other", [second]) is None  # another image's line


def test_sample_files_are_checked_against_the_manifest(tmp_path, tampered) -> None:
    """A run copied in part, or altered where no program looks, is not the run that was made."""
    from veriscene.engine.runfiles import check_files

    scenes = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(9, seed=4), scenes)
    run = tmp_path / "run"
    generate(scenes, run, seed=1, shard_size=3, generators="counting,attribute.*")
    whole = (run / "samples.jsonl").read_bytes()
    report = verify(run)
    assert report.ok and report.files is not None and (report.files.shards, report.files.intact) == (3, 3)
    assert report.files.samples == report.samples
    assert verify(run / "samples.jsonl").files == report.files  # the run's samples file: the same check
    lines = whole.splitlines(keepends=True)
    # a copy cut short at a line's end: every sample left verifies, the files say what is missing
    (run / "samples.jsonl").write_bytes(b"".join(lines[:-5]))
    cut = verify(run)
    assert not cut.problems and cut.verified == len(lines) - 5 and not cut.ok
    assert cut.files.problems == [f"samples.jsonl ends at line {len(lines) - 5}, in shard 2: 5 of the manifest's "
                                  f"{len(lines)} samples are missing"] and cut.files.intact == 2
    # a question reworded (the answer still right), and a line repeated at the end
    altered = orjson.loads(lines[4])
    altered["question"] = altered["question"].replace("?", " here?")
    (run / "samples.jsonl").write_bytes(b"".join([*lines[:4], orjson.dumps(altered) + b"\n", *lines[5:], lines[0]]))
    changed = verify(run)
    assert not changed.problems and not changed.ok
    first = orjson.loads(run.joinpath("manifest.json").read_bytes())["shards"][0]
    assert changed.files.problems == [
        f"samples.jsonl lines 1-{first['samples']} (shard 0) differ from the run that was made (their SHA-256 is "
        "not the manifest's)", f"samples.jsonl holds 1 line(s) after the manifest's {len(lines)} samples"]
    from veriscene.card import dataset_card

    assert ("The sample files differ from the manifest (2 of 3 shards as recorded): samples.jsonl lines 1-"
            in dataset_card(run, verify=True))
    result = CliRunner().invoke(app, ["verify", str(run)])
    assert result.exit_code == 1 and "FILES samples.jsonl lines 1-" in result.output
    assert "files: 2 of 3 shards as the manifest records them" in result.output, result.output
    # a samples file alone (no manifest beside it) has nothing to be checked against
    (tmp_path / "alone").mkdir()
    (tmp_path / "alone" / "samples.jsonl").write_bytes(whole)
    assert check_files(tmp_path / "alone" / "samples.jsonl") is None
    assert verify(tmp_path / "alone" / "samples.jsonl", scenes).files is None
    # the tampered run of the other tests: its files are not the run's either
    assert not verify(tampered[0]).files.ok


def test_shard_files_are_checked_against_the_manifest(tmp_path) -> None:
    from veriscene.card import dataset_card

    scenes = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(9, seed=4), scenes)
    run = tmp_path / "run"
    generate(scenes, run, seed=1, shard_size=3, shard_format="zstd", generators="counting")
    assert verify(run).files.ok and verify(run, workers=2).files.intact == 3
    assert "the 3 shards' samples are all there, each with the SHA-256 the manifest records" in \
        dataset_card(run, verify=True)
    shards = sorted((run / "shards").glob("*.jsonl.zst"))
    manifest = orjson.loads((run / "manifest.json").read_bytes())
    shards[2].unlink()
    missing = verify(run)
    assert missing.files.intact == 2 and missing.files.problems == [
        f"shards/{shards[2].name} is missing (shard 2, {manifest['shards'][2]['samples']} samples)"]
    assert missing.problems[-1].kind == "unreadable" and "reading stopped: " in missing.problems[-1].detail
    assert missing.verified == sum(s["samples"] for s in manifest["shards"][:2])  # the shards before it
    _same(verify(run, workers=2, chunk_size=5), missing)
    shards[0].write_bytes(shards[0].read_bytes()[:-9])  # cut short: zstd cannot read its end
    damaged = verify(run)
    assert damaged.files.problems[0] == (f"shards/{shards[0].name} differs from the run that was made (its SHA-256 is "
                                         "not the manifest's)") and damaged.files.intact == 1
    assert f"{shards[0].name} cannot be read" in damaged.problems[-1].detail
    result = CliRunner().invoke(app, ["verify", str(run)])
    assert result.exit_code == 1 and "reading stopped" in result.output and "FILES shards/" in result.output
    # the other readers name the file, not a decompressor's error alone (zstandard's own reader
    # read this shard as empty, without a word)
    from veriscene.stats import stats

    with pytest.raises(ValueError, match=f"{shards[0].name} cannot be read .*damaged or cut short"):
        stats(run)
    with pytest.raises(ValueError, match=f"{shards[0].name} cannot be read"):
        dataset_card(run, verify=True)
    said = CliRunner().invoke(app, ["stats", str(run)])
    assert said.exit_code == 1 and f"{shards[0].name} cannot be read" in said.output


def test_options_shown_in_the_question_and_duplicate_options_are_checked(tmp_path) -> None:
    """Without the manifest's checksums (a samples file alone), a multiple-choice sample whose
    question lists other options than its choices, or whose options repeat, is a mismatch; a
    run with no sample verifies nothing and says so."""
    scenes = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(4, seed=1), scenes)
    generate(scenes, tmp_path / "run", seed=1, generators="attribute.*,object.*")
    records = [orjson.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_bytes().splitlines()]
    mc = [r for r in records if r["choices"] and len(r["choices"]) >= 2]
    swapped, repeated = mc[0], mc[1]
    first, second = (f"\nA. {swapped['choices'][0]}\n", f"\nB. {swapped['choices'][1]}\n")
    assert first in swapped["question"] and second in swapped["question"]
    swapped["question"] = swapped["question"].replace(first, f"\nA. {swapped['choices'][1]}\n", 1).replace(
        second, f"\nB. {swapped['choices'][0]}\n", 1)
    letter = repeated["meta"]["answer_letter"]
    right = repeated["choices"][ord(letter) - ord("A")]
    repeated["choices"] = [right] * len(repeated["choices"])  # the question, unchanged, lists others
    alone = tmp_path / "alone.jsonl"
    alone.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    report = verify(alone, scenes=scenes)
    problems = {p.sample_id: p for p in report.problems}
    assert sorted(problems) == sorted([swapped["id"], repeated["id"]]) and not report.ok
    assert problems[swapped["id"]].kind == "choice_mismatch"
    assert problems[swapped["id"]].detail == "the question lists other options than the sample's choices"
    assert problems[repeated["id"]].detail.startswith("the options are not distinct")
    assert verify(tmp_path / "run").ok  # as made: fine
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    said = CliRunner().invoke(app, ["verify", str(empty), "--scenes", str(scenes)])
    assert said.exit_code == 1 and "nothing was verified: the run holds no sample" in said.output


def test_a_run_made_by_another_release_is_named_when_answers_differ(tampered) -> None:
    import shutil

    from veriscene import __version__

    out, _ = tampered
    assert verify(out).made_by == __version__
    old = out.parent / "old"  # beside the run: the manifest names the scenes by a relative path
    shutil.copytree(out, old)
    manifest = orjson.loads((old / "manifest.json").read_bytes())
    manifest["config"]["veriscene_version"] = "0.1.0"
    (old / "manifest.json").write_bytes(orjson.dumps(manifest))
    report = verify(old)
    assert report.made_by == "0.1.0" and report.mismatches == 2
    result = CliRunner().invoke(app, ["verify", str(old)], terminal_width=200)
    assert result.exit_code == 1
    assert f"the run was made by veriscene 0.1.0 and verified with {__version__}" in " ".join(result.output.split())
    # the same release: no note
    assert "made by veriscene" not in CliRunner().invoke(app, ["verify", str(out)]).output


def test_generators_whose_wording_changed_are_noted_not_failed(tampered) -> None:
    import shutil

    out, _ = tampered
    assert verify(out).wording_changed == []
    other = out.parent / "reworded"  # beside the run: the manifest names the scenes by a relative path
    shutil.copytree(out, other)
    manifest = orjson.loads((other / "manifest.json").read_bytes())
    manifest["fingerprints"]["object.count.v1"] = "0123456789abcdef"  # as another build recorded them
    manifest["fingerprints"]["multi.only_in.v1"] = "fedcba9876543210"
    manifest["fingerprints"]["plugin.unknown.v1"] = "0000000000000000"  # not known here: not said
    (other / "manifest.json").write_bytes(orjson.dumps(manifest))
    report, parallel = verify(other), verify(other, workers=2, chunk_size=40)
    assert report.wording_changed == parallel.wording_changed == ["multi.only_in.v1", "object.count.v1"]
    assert (report.mismatches, report.verified) == (verify(out).mismatches, verify(out).verified)  # only a note
    said = " ".join(CliRunner().invoke(app, ["verify", str(other)], terminal_width=200).output.split())
    assert ("note: the templates, answer type or config fields of generators multi.only_in.v1, object.count.v1 are "
            "not those that made the run (their fingerprints in manifest.json differ): their samples' questions may be "
            "worded otherwise than this build words them; the answers were checked by program all the same") in said
    del manifest["fingerprints"]  # a run made before they were recorded
    (other / "manifest.json").write_bytes(orjson.dumps(manifest))
    assert verify(other).wording_changed == []
    assert "fingerprints" not in CliRunner().invoke(app, ["verify", str(other)], terminal_width=200).output


def test_unreadable_records_are_named_by_line_and_by_id_when_they_have_one(tmp_path) -> None:
    scenes = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(2, seed=1), scenes)
    generate(scenes, tmp_path / "run", generators="counting")
    good = [orjson.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_bytes().splitlines()][:2]
    no_program = {k: v for k, v in good[0].items() if k != "program"}
    no_id = {k: v for k, v in good[1].items() if k != "id"}
    lines = [orjson.dumps(no_program), orjson.dumps(no_id), b"[1, 2]", b"{not json"]
    (tmp_path / "bad.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    report = verify(tmp_path / "bad.jsonl", scenes=scenes)
    assert [(p.line, p.sample_id) for p in report.problems] == [(1, good[0]["id"]), (2, None), (3, None), (4, None)]
    assert "missing fields ['program']" in report.problems[0].detail
    assert report.problems[2].detail == "expected a sample record (a JSON object), found a JSON array"
    assert report.problems[3].detail.startswith("not JSON: ")
    result = CliRunner().invoke(app, ["verify", str(tmp_path / "bad.jsonl"), "--scenes", str(scenes)])
    assert result.exit_code == 1
    assert f"line 1 sample {good[0]['id']}: " in result.output and "line 2: " in result.output
    assert "sample None" not in result.output


def test_a_samples_file_without_a_manifest_is_told_to_give_scenes(tmp_path) -> None:
    scenes = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(1, seed=1), scenes)
    generate(scenes, tmp_path / "run", generators="counting")
    (tmp_path / "alone").mkdir()
    (tmp_path / "alone" / "samples.jsonl").write_bytes((tmp_path / "run" / "samples.jsonl").read_bytes())
    result = CliRunner().invoke(app, ["verify", str(tmp_path / "alone" / "samples.jsonl")])
    assert result.exit_code == 2 and "--scenes FILE" in result.stderr


@pytest.mark.parametrize(("option", "answer", "same"), [
    ("[0.29, 0.44, 0.37, 0.54]", "[0.290, 0.436, 0.369, 0.539]", True),  # release 0.9.0's two decimals
    ("[0.06, 0.16, 0.13, 0.24]", "[0.065, 0.156, 0.131, 0.244]", True),  # 0.0646 said as 0.06 and 0.065
    ("[0.75, 0.52]", "[0.750, 0.520]", True),
    ("[120, 45]", "[120, 45]", True),
    ("[0.30, 0.44, 0.37, 0.54]", "[0.290, 0.436, 0.369, 0.539]", False),  # another box
    ("[0.29, 0.44]", "[0.290, 0.436, 0.369, 0.539]", False),
    ("not a box", "[0.290, 0.436]", False),
])
def test_a_coordinate_option_is_read_at_its_own_precision(option: str, answer: str, same: bool) -> None:
    from veriscene.verify import _same_coordinates

    assert _same_coordinates(option, answer) is same


def test_a_run_of_one_shard_is_said_in_the_singular(tmp_path) -> None:
    from veriscene.card import dataset_card

    scenes = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(3, seed=4), scenes)
    run = tmp_path / "run"
    generate(scenes, run, seed=1, generators="counting")
    assert verify(run).files.intact == 1
    card = dataset_card(run, verify=True)
    assert "its one shard is there, with the SHA-256 the manifest records" in card
    assert "1 shards" not in card


def test_scenes_of_the_wrong_kind_are_named(tampered) -> None:
    # before: "'int' object is not iterable" from the fetching of URLs
    with pytest.raises(TypeError, match=r"^scene files are given as a file, a folder or a glob pattern .*; got 5$"):
        verify(tampered[0], 5)


@pytest.mark.parametrize("option, error, said", [
    ({"workers": None}, TypeError, "workers must be an integer, got None"),
    ({"workers": 0}, ValueError, "workers must be at least 1, got 0"),
    ({"chunk_size": -3}, ValueError, "chunk_size must be at least 1, got -3"),
])
def test_workers_and_chunk_size_are_checked(tampered, option, error, said) -> None:
    # before, None: "'<' not supported between instances of 'NoneType' and 'int'"
    with pytest.raises(error) as info:
        verify(tampered[0], **option)
    assert str(info.value) == said


@pytest.mark.parametrize("given, said", [
    ({"path": None}, "path must be a run folder or a samples file, a str or a path; got None"),
    # before: called once samples were read ("'int' object is not callable")
    ({"progress": 1}, "progress must be a function, called as progress(n), or None; got 1"),
    ({"plugins": 3}, "plugins must be a Python file or module name (a str or a path), or a list of them, got 3"),
])
def test_wrong_kind_of_argument_is_named_before_reading(tmp_path, given, said) -> None:
    arguments = {"path": tmp_path / "run"} | given
    with pytest.raises(TypeError) as info:
        verify(arguments.pop("path"), **arguments)
    assert str(info.value) == said


@pytest.mark.parametrize(("field", "value", "said"), [
    ("task", ["object.count.v1"], "field 'task' must be a string, got list"),
    ("task", {"a": 1}, "field 'task' must be a string, got dict"),
    ("choices", ["1", ["2"], "3", "4"], "field 'choices' must be a list of strings or null"),
    ("choices", [{}, {}], "field 'choices' must be a list of strings or null"),
    ("question", 7, "field 'question' must be a string, got int"),
    ("id", ["x"], "field 'id' must be a string, got list"),
])
def test_a_field_of_another_type_is_one_unreadable_record(tmp_path, field, value, said) -> None:
    """Found by fuzzing: a sample whose task was a list (or whose options held a list) ended the
    whole verification with 'TypeError: unhashable type', no line named."""
    scenes = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(2, seed=1), scenes)
    generate(scenes, tmp_path / "run", generators="counting")
    lines = (tmp_path / "run" / "samples.jsonl").read_bytes().splitlines()
    records = [orjson.loads(line) for line in lines]
    k = next(i for i, r in enumerate(records) if r["choices"]) if field == "choices" else 0
    records[k][field] = value
    (tmp_path / "bad.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    report = verify(tmp_path / "bad.jsonl", scenes=scenes)
    (problem,) = report.problems
    assert problem.line == k + 1 and problem.kind == "unreadable" and said in problem.detail
    assert problem.sample_id == (None if field == "id" else records[k]["id"])
    assert report.verified == len(records) - 1


def test_a_word_set_answer_holding_another_type_is_a_mismatch(tmp_path) -> None:
    """Found by fuzzing: a str_set answer holding an object beside its words ended the whole
    verification with "TypeError: '<' not supported between instances of 'dict' and 'str'"."""
    scenes = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(3, seed=1), scenes)
    generate(scenes, tmp_path / "run", generators="attribute")
    records = [orjson.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_bytes().splitlines()]
    k = next(i for i, r in enumerate(records) if r["answer_type"] == "str_set" and r["answer"])
    records[k]["answer"] = [*records[k]["answer"], {"a": 1}]
    (tmp_path / "bad.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    report = verify(tmp_path / "bad.jsonl", scenes=scenes)
    assert [(p.line, p.kind) for p in report.problems] == [(k + 1, "mismatch")]
    assert report.verified == len(records) - 1


def test_a_config_whose_options_cannot_be_read_is_a_choice_problem(tmp_path) -> None:
    """Found by fuzzing: a multiple-choice sample whose meta.config held a box_format that is no
    format's name ({} or a list) ended the whole verification with 'ValueError: unknown
    box_format {}' (raised while saying the answer as an option)."""
    scenes = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(3, seed=1), scenes)
    generate(scenes, tmp_path / "run", generators="grounding")
    records = [orjson.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_bytes().splitlines()]
    k = next(i for i, r in enumerate(records) if r["choices"] and r["answer_type"] in ("box", "point"))
    records[k]["meta"]["config"]["box_format"] = {}
    (tmp_path / "bad.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    report = verify(tmp_path / "bad.jsonl", scenes=scenes)
    (problem,) = report.problems
    assert (problem.line, problem.kind) == (k + 1, "choice_mismatch")
    assert problem.detail == ("its meta.config cannot say the answer as an option: unknown box_format {}; "
                              "expected one of ['norm1', 'norm1000', 'pixel']")
    assert report.verified == len(records) - 1
