"""The run manifest: what a resume with another configuration or generator wording is told, and manifests
refused."""

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from veriscene import __version__
from veriscene.engine.generate import generate
from veriscene.engine.manifest import (
    ResumeMismatchError, changed_fingerprints, check_resume, config_key, generator_fingerprint, read_manifest,
    recorded_fingerprints,
)
from veriscene.generators.base import GeneratorConfig
from veriscene.generators.registry import get_generator, select_generators
from veriscene.option_names import cli_names


def test_a_resume_mismatch_names_every_key_in_full_and_cuts_values_with_an_ellipsis(tmp_path) -> None:
    old = {"seed": 0, "generators": {"grounding.refexp.v1": {"config": {"box_format": "norm1", "num_choices": 4,
                                                                        "per_scene": 1, "max_others": 3}}}}
    new = {"seed": 5, "generators": {"grounding.refexp.v1": {"config": {"box_format": "norm1000", "num_choices": 3,
                                                                        "per_scene": 2, "max_others": 3}}}}
    with pytest.raises(ResumeMismatchError) as info:
        check_resume({"config": old}, new, tmp_path)
    said = str(info.value)
    assert "seed: 0 -> 5" in said and "generators.grounding.refexp.v1.config.box_format: 'norm1' -> 'norm1000'" in said
    long_old, long_new = {"scenes": [{"path": f"part-{i}.jsonl"} for i in range(40)]}, {"scenes": []}
    with pytest.raises(ResumeMismatchError) as info:
        check_resume({"config": long_old}, long_new, tmp_path)
    said = str(info.value)
    assert "scenes: [{'path': 'part-0.jsonl'}, {'path': 'part-1.jsonl'}, ... -> []" in said  # at a comma
    assert "part-2" not in said


@pytest.mark.parametrize("text", [b"[]", b"3", b'{"status": "running"}'])
def test_a_manifest_that_is_not_a_run_manifest_is_said(tmp_path: Path, text: bytes) -> None:
    (tmp_path / "manifest.json").write_bytes(text)
    with pytest.raises(ValueError, match=r"manifest.json is not a run manifest .*generate\(overwrite=True\)"):
        read_manifest(tmp_path)


def test_a_config_beyond_64_bit_integers_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="cannot be recorded in its manifest"):
        config_key({"seed": 2**70})


# ---- a run another release made -------------------------------------------------------------------

def _config(version: str, **set_config: int) -> dict:
    return {"veriscene_version": version, "seed": 0,
            "generators": {"multi.only_in.v1": {"config": {"num_choices": 4, "per_scene": 1, **set_config}}}}


def test_resuming_a_run_of_an_earlier_release_names_both_and_the_ways_on(tmp_path: Path) -> None:
    with pytest.raises(ResumeMismatchError) as info:
        check_resume({"config": _config("0.11.0")}, _config("0.12.0", max_answer_items=10), tmp_path)
    assert str(info.value) == (
        f"cannot resume the run in {tmp_path}: it was made by veriscene 0.11.0, and this is veriscene 0.12.0; the "
        "configuration differs: generators.multi.only_in.v1.config.max_answer_items: (absent) -> 10. Another release "
        "makes other samples from the same command, so the run cannot be finished with this one: finish it with the "
        "release that made it (pip install veriscene==0.11.0, then the same command with resume=True), or start "
        "afresh with this release (overwrite=True, or another out folder). Nothing was written.")
    with cli_names():  # the CLI's options (`option_names`)
        with pytest.raises(ResumeMismatchError) as info:
            check_resume({"config": _config("0.11.0")}, _config("0.12.0", max_answer_items=10), tmp_path)
    assert str(info.value).endswith("(pip install veriscene==0.11.0, then the same command with --resume), or start "
                                    "afresh with this release (--overwrite, or another --out). Nothing was written.")
    with pytest.raises(ResumeMismatchError, match="made by veriscene 0.11.0, and this is veriscene 0.12.0; the "
                                                  "configuration is otherwise the same. Another release"):
        check_resume({"config": _config("0.11.0")}, _config("0.12.0"), tmp_path)


def test_same_version_other_config_fields_is_another_build(tmp_path: Path) -> None:
    with pytest.raises(ResumeMismatchError, match=r"made by another build of veriscene 0.12.0 than this one; the "
                                                  r"configuration differs: .*max_answer_items: \(absent\) -> 10"):
        check_resume({"config": _config("0.12.0")}, _config("0.12.0", max_answer_items=10), tmp_path)
    # the same fields with other values: options of this release, to give as before
    with pytest.raises(ResumeMismatchError, match=r"differs \(generators.multi.only_in.v1.config.max_answer_items: 5 "
                                                  r"-> 10\). Use the original options"):
        check_resume({"config": _config("0.12.0", max_answer_items=5)}, _config("0.12.0", max_answer_items=10),
                     tmp_path)


def test_an_interrupted_run_of_an_earlier_release_is_refused_before_anything_is_written(
        tmp_path: Path, scenes_file: Path) -> None:
    out = tmp_path / "run"
    generate(scenes_file, out, generators="multi.only_in.v1,object.exists.v1", shard_size=4)
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    manifest["config"]["veriscene_version"] = "0.10.0"  # as that release wrote it: without the field
    del manifest["config"]["generators"]["multi.only_in.v1"]["config"]["max_answer_items"]
    manifest["status"] = "running"
    (out / "manifest.json").write_bytes(orjson.dumps(manifest))
    (out / "samples.jsonl").unlink()  # killed part-way: a resume of its own release would write it
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(out.rglob("*")) if p.is_file()}
    with pytest.raises(ResumeMismatchError, match=f"made by veriscene 0.10.0, and this is veriscene {__version__}; "
                                                  r".*max_answer_items: \(absent\) -> 10.*pip install veriscene==0.10.0"):
        generate(scenes_file, out, generators="multi.only_in.v1,object.exists.v1", shard_size=4, resume=True)
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(out.rglob("*")) if p.is_file()} == before


# ---- generator fingerprints -----------------------------------------------------------------------

def _variant(**attributes: object) -> type:
    """object.exists.v1 with some class attributes replaced (what another build would have)."""
    base = get_generator("object.exists.v1")
    return type("Variant", (base,), dict(attributes))


@dataclass(frozen=True)
class _MoreConfig(GeneratorConfig):
    extra: int = 1


@dataclass(frozen=True)
class _OtherDefault(GeneratorConfig):
    num_choices: int = 3


@pytest.mark.parametrize("changed", [
    {"templates": {"default": ("Can you see a {name}?",)}},
    {"answer_type": "int"},
    {"modes": ("qa",)},
    {"Config": _MoreConfig},
    {"Config": _OtherDefault},
    {"version": 2},
])
def test_a_fingerprint_changes_with_what_words_the_questions(changed: dict) -> None:
    base = get_generator("object.exists.v1")
    assert re.fullmatch(r"[0-9a-f]{16}", generator_fingerprint(base))
    assert generator_fingerprint(base) == generator_fingerprint(base()) == generator_fingerprint(_variant())
    assert generator_fingerprint(_variant(**changed)) != generator_fingerprint(base)


def test_fingerprints_are_the_same_in_another_process() -> None:
    code = ("import orjson; from veriscene.engine.manifest import generator_fingerprint as f; "
            "from veriscene.generators.registry import select_generators as s; "
            "print(orjson.dumps({g.name: f(g) for g in s()}).decode())")
    there = orjson.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout)
    assert there == {g.name: generator_fingerprint(g) for g in select_generators()}
    assert len(set(there.values())) == len(there)  # one per generator


def test_changed_fingerprints_count_only_what_both_record() -> None:
    assert recorded_fingerprints({"config": {}}) == {}  # a manifest written before them
    assert recorded_fingerprints({"config": {}, "fingerprints": {"a.v1": "x", "b.v1": 3}}) == {"a.v1": "x"}
    assert changed_fingerprints({"a.v1": "x", "b.v1": "y", "c.v1": "z"}, {"b.v1": "y", "a.v1": "w", "d.v1": "q"}) == [
        "a.v1"]


def _interrupted(out: Path) -> dict:
    """The run's manifest as if it had been killed part-way (a resume runs again what is missing)."""
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    manifest["status"] = "running"
    (out / "samples.jsonl").unlink()
    return manifest


GENS = "multi.only_in.v1,object.exists.v1"


def test_a_run_records_its_generators_fingerprints(tmp_path: Path, scenes_file: Path) -> None:
    out = tmp_path / "run"
    generate(scenes_file, out, generators=GENS, shard_size=4)
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert manifest["fingerprints"] == {n: generator_fingerprint(get_generator(n)) for n in GENS.split(",")}
    assert "fingerprints" not in manifest["config"] and manifest["key"] == config_key(manifest["config"])


def test_a_resume_whose_generator_wording_changed_is_refused_naming_it(tmp_path: Path, scenes_file: Path) -> None:
    out = tmp_path / "run"
    generate(scenes_file, out, generators=GENS, shard_size=4)
    manifest = _interrupted(out)
    manifest["fingerprints"]["object.exists.v1"] = "0123456789abcdef"  # as another build recorded it
    (out / "manifest.json").write_bytes(orjson.dumps(manifest))
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(out.rglob("*")) if p.is_file()}
    with pytest.raises(ResumeMismatchError) as info:
        generate(scenes_file, out, generators=GENS, shard_size=4, resume=True)
    assert str(info.value) == (
        f"cannot resume the run in {out}: the templates, answer type or config fields of generator object.exists.v1 "
        "are not those that made the run (their fingerprints in manifest.json differ); this is another build of "
        f"veriscene {__version__} (or of the plugin defining them) than the one that made the run, and resuming "
        "would mix two wordings in one run. Finish it with the build that made it (the same command with "
        "resume=True), or start afresh with this one (overwrite=True, or another out folder). Nothing was written.")
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(out.rglob("*")) if p.is_file()} == before
    # with other options too, both are said
    with pytest.raises(ResumeMismatchError, match=r"differs \(seed: 0 -> 1\); and the templates, answer type or "
                                                  r"config fields of generator object.exists.v1 are not"):
        generate(scenes_file, out, generators=GENS, shard_size=4, seed=1, resume=True)


def test_a_run_made_before_fingerprints_resumes_and_records_them(tmp_path: Path, scenes_file: Path) -> None:
    out = tmp_path / "run"
    generate(scenes_file, out, generators=GENS, shard_size=4)
    samples = (out / "samples.jsonl").read_bytes()
    manifest = _interrupted(out)
    recorded = manifest.pop("fingerprints")
    (out / "manifest.json").write_bytes(orjson.dumps(manifest))
    summary = generate(scenes_file, out, generators=GENS, shard_size=4, resume=True)
    assert any(n.startswith("resumed:") for n in summary.notes)
    assert (out / "samples.jsonl").read_bytes() == samples
    assert orjson.loads((out / "manifest.json").read_bytes())["fingerprints"] == recorded


@pytest.mark.parametrize("seed", [0, 1])
def test_a_resume_after_the_input_was_edited_names_the_file(tmp_path: Path, scenes_file: Path, seed: int) -> None:
    """Before: "its configuration or input differs (scenes.sha256: '4257...' -> 'd9a5...')", the
    file not named as the user knows it."""
    out = tmp_path / "run"
    generate(scenes_file, out, generators=GENS, shard_size=4)
    (out / "manifest.json").write_bytes(orjson.dumps(_interrupted(out)))
    scenes_file.write_bytes(scenes_file.read_bytes().replace(b'"width"', b'"width" ', 1))  # one line edited
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    with pytest.raises(ResumeMismatchError) as info:
        generate(scenes_file, out, generators=GENS, shard_size=4, seed=seed, resume=True)
    also = "; and seed: 0 -> 1" if seed else ""
    assert str(info.value) == (
        f"cannot resume the run in {out}: its input {scenes_file} has changed since the run started (manifest.json "
        f"records another sha256 for it){also}. The shards made from the old file and those the new one would make "
        "do not go together: put back the file the run was made from and resume, or start again with overwrite=True. "
        "Nothing was written.")
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before
