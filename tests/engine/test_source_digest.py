"""The code's digest in manifest.json ("source"): what it hashes, and a resume refused when the code
that makes samples changed (veriscene's or a plugin module's), allowed when it did not or was not
recorded; `verify` and the card note it."""

import os
import re
import shutil
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

import veriscene.engine.source_digest as source_digest
from veriscene import __version__
from veriscene.cli import app
from veriscene.engine.generate import generate
from veriscene.engine.manifest import ResumeMismatchError, config_key
from veriscene.engine.source_digest import (
    SOURCE_PARTS, changed_source, recorded_source, source_files, source_said, tree_digest, veriscene_digest,
)
from veriscene.generators import plugins as plugins_module
from veriscene.generators.registry import GENERATORS, select_generators
from veriscene.verify import verify

GENS = "object.exists.v1,object.count.v1"
OTHER_CODE = "0123456789abcdef"  # a digest as code edited since would record it


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


TREE = {"generators/a.py": "A = 1\n", "generators/sub/b.py": "B = 2\n", "text.py": "T = 3\n",
        "viewer/page.py": "V = 4\n", "generators/notes.txt": "not code\n"}


def test_the_digest_hashes_paths_and_contents_of_the_parts_only(tmp_path: Path) -> None:
    parts = ("generators", "text.py", "vocab.py")  # vocab.py missing: skipped
    one, two = _tree(tmp_path / "one", TREE), _tree(tmp_path / "two", TREE)
    assert [p.relative_to(one).as_posix() for p in source_files(one, parts)] == [
        "generators/a.py", "generators/sub/b.py", "text.py"]
    digest = tree_digest(one, parts)
    assert re.fullmatch(r"[0-9a-f]{16}", digest) and tree_digest(two, parts) == digest  # wherever installed
    (two / "viewer" / "page.py").write_text("V = 5\n", encoding="utf-8")  # not a part
    assert tree_digest(two, parts) == digest
    (two / "text.py").write_text("T = 4\n", encoding="utf-8")
    assert tree_digest(two, parts) != digest
    three = _tree(tmp_path / "three", {**TREE, "generators/a.py": "", "generators/b.py": "A = 1\n"})  # moved
    assert tree_digest(three, parts) != digest


def test_the_package_digest_covers_what_generation_runs() -> None:
    names = {p.relative_to(source_digest.PACKAGE).as_posix() for p in source_files()}
    for name in ("generators/registry.py", "program/executor.py", "scene/describe.py", "text.py", "text_nouns.py",
                 "vocab.py", "sample.py", "answers/parse.py", "engine/shards.py"):
        assert name in names
    assert not any(n.startswith(("viewer/", "evaluate/", "io/")) or n in ("cli.py", "publish.py") for n in names)
    assert len(SOURCE_PARTS) == len(set(SOURCE_PARTS))
    assert veriscene_digest() == tree_digest()


def test_changed_source_counts_what_both_record() -> None:
    assert recorded_source({"config": {}}) == {}  # a manifest written before it
    assert recorded_source({"source": {"veriscene": 3, "plugins": {"a": "x", "b": 1}}}) == {"plugins": {"a": "x"}}
    old = {"veriscene": "v1", "plugins": {"b": "x", "a": "y", "gone": "z"}}
    assert changed_source(old, {"veriscene": "v1", "plugins": {"a": "w", "b": "x", "new": "q"}}) == ["a"]
    assert changed_source(old, {"veriscene": "v2", "plugins": {"b": "w", "a": "w"}}) == ["veriscene", "a", "b"]
    assert changed_source({}, {"veriscene": "v2"}) == []
    assert source_said(["veriscene", "a", "b"]) == (
        "the veriscene code that makes samples (generators, programs, wording) and the code of plugin modules a, b "
        "are not the code that made the run (its digest in manifest.json \"source\" differs)")


def _interrupted(out: Path) -> dict:
    """The run's manifest as if it had been killed part-way (a resume runs again what is missing)."""
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    manifest["status"] = "running"
    (out / "samples.jsonl").unlink()
    return manifest


def _files(out: Path) -> dict[Path, tuple[bytes, int]]:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(out.rglob("*")) if p.is_file()}


def test_a_run_records_its_code_beside_the_config(tmp_path: Path, scenes_file: Path) -> None:
    out = tmp_path / "run"
    generate(scenes_file, out, generators=GENS, shard_size=4)
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert manifest["source"] == {"veriscene": veriscene_digest(), "plugins": {}}
    assert "source" not in manifest["config"] and manifest["key"] == config_key(manifest["config"])


def test_a_resume_after_the_code_changed_is_refused_writing_nothing(tmp_path: Path, scenes_file: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    generate(scenes_file, out, generators=GENS, shard_size=4)
    (out / "manifest.json").write_bytes(orjson.dumps(_interrupted(out)))
    before = _files(out)
    monkeypatch.setattr(source_digest, "veriscene_digest", lambda: OTHER_CODE)  # the checkout edited since
    with pytest.raises(ResumeMismatchError) as info:
        generate(scenes_file, out, generators=GENS, shard_size=4, resume=True)
    assert str(info.value) == (
        f"cannot resume the run in {out}: the veriscene code that makes samples (generators, programs, wording) is "
        "not the code that made the run (its digest in manifest.json \"source\" differs), though the release is the "
        f"same (veriscene {__version__}): the code was edited since the run started (an editable install or a "
        "checkout), and resuming would mix samples of two versions of the code in one run. Finish it with the code "
        "the run started with (the same command with --resume), or start a new output folder with this code "
        "(--overwrite, or another --out). Nothing was written.")
    assert _files(out) == before
    result = CliRunner().invoke(app, ["generate", str(scenes_file), "--out", str(out), "-g", GENS,
                                      "--shard-size", "4", "--resume"], terminal_width=300)
    assert result.exit_code == 2 and "though the release is the same" in " ".join(result.output.split())
    assert _files(out) == before
    # with other options too, both are said
    with pytest.raises(ResumeMismatchError, match=r"differs \(seed: 0 -> 1\); and the veriscene code that makes"):
        generate(scenes_file, out, generators=GENS, shard_size=4, seed=1, resume=True)


def test_a_finished_run_resumes_after_the_code_changed_to_export_only(tmp_path: Path, scenes_file: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    generate(scenes_file, out, generators=GENS, shard_size=4)
    before = _files(out)
    monkeypatch.setattr(source_digest, "veriscene_digest", lambda: OTHER_CODE)  # the checkout edited since
    summary = generate(scenes_file, out, generators=GENS, shard_size=4, resume=True)
    assert _files(out) == before  # nothing made again
    assert any(n.startswith("resumed: the run had finished") for n in summary.notes)
    assert ("the veriscene code that makes samples (generators, programs, wording) is not the code that made the run "
            "(its digest in manifest.json \"source\" differs); the run had finished, so nothing is made again with "
            "this code: its samples are those the run's code made") in summary.notes
    result = CliRunner().invoke(app, ["generate", str(scenes_file), "--out", str(out), "-g", GENS,
                                      "--shard-size", "4", "--resume", "--to", "llava"], terminal_width=300)
    assert result.exit_code == 0, result.output
    assert (out / "export" / "llava").is_dir() and "nothing is made again" in " ".join(result.output.split())
    # another configuration is refused still, finished or not
    with pytest.raises(ResumeMismatchError, match=r"differs \(seed: 0 -> 1\); and the veriscene code that makes"):
        generate(scenes_file, out, generators=GENS, shard_size=4, seed=1, resume=True)


def test_the_same_code_resumes_and_a_manifest_without_source_gains_it(tmp_path: Path, scenes_file: Path) -> None:
    out = tmp_path / "run"
    generate(scenes_file, out, generators=GENS, shard_size=4)
    samples, recorded = (out / "samples.jsonl").read_bytes(), orjson.loads((out / "manifest.json").read_bytes())
    for drop in (False, True):  # the same code; a run made before "source" was recorded
        manifest = _interrupted(out)
        if drop:
            del manifest["source"]
        (out / "manifest.json").write_bytes(orjson.dumps(manifest))
        summary = generate(scenes_file, out, generators=GENS, shard_size=4, resume=True)
        assert any(n.startswith("resumed:") for n in summary.notes)
        assert (out / "samples.jsonl").read_bytes() == samples
        assert orjson.loads((out / "manifest.json").read_bytes())["source"] == recorded["source"]


PLUGIN = '''
from veriscene.generators.base import Candidate, Generator
from veriscene.generators.registry import register
from veriscene.program.builder import ProgramBuilder


@register("mine.digest.v1", family="mine")
class Total(Generator):
    answer_type = "int"
    description = "How many objects the scene holds."
    templates = {"default": ("How many objects are there in total?",)}

    def propose(self, ctx):
        b = ProgramBuilder()
        b.add("count", b.add("scene", args=[0]))
        yield Candidate(b.program, {}, distractors=[len(ctx.scene) + 1, len(ctx.scene) + 2])
'''


@pytest.fixture
def plugin_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A module plugin `h6digest_pkg` whose generator lives in `h6digest_pkg.gens` (the run's
    config hashes only the package's __init__.py); forgotten after the test."""
    root = _tree(tmp_path / "plugins", {"h6digest_pkg/__init__.py": "from h6digest_pkg import gens  # noqa\n",
                                         "h6digest_pkg/gens.py": PLUGIN})
    monkeypatch.syspath_prepend(str(root))
    select_generators()
    generators, loaded = dict(GENERATORS), dict(plugins_module._LOADED)
    yield root / "h6digest_pkg" / "gens.py"
    _forget()
    GENERATORS.clear()
    GENERATORS.update(generators)
    plugins_module._LOADED.update(loaded)


def _forget() -> None:
    """As a new process: the plugin not loaded, its generator and modules unknown."""
    plugins_module._LOADED.pop("h6digest_pkg", None)
    GENERATORS.pop("mine.digest.v1", None)
    for name in [n for n in sys.modules if n.startswith("h6digest_pkg")]:
        del sys.modules[name]


def test_a_resume_after_a_plugin_module_changed_is_refused_naming_it(tmp_path: Path, scenes_file: Path,
                                                                     plugin_package: Path) -> None:
    out = tmp_path / "run"
    generate(scenes_file, out, generators="mine.digest.v1", plugins=["h6digest_pkg"], shard_size=4)
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert set(manifest["source"]["plugins"]) == {"h6digest_pkg.gens"}
    (out / "manifest.json").write_bytes(orjson.dumps(_interrupted(out)))
    _forget()  # the same code in a new process resumes
    generate(scenes_file, out, generators="mine.digest.v1", plugins=["h6digest_pkg"], shard_size=4, resume=True)
    finished = tmp_path / "finished"
    shutil.copytree(out, finished)
    (out / "manifest.json").write_bytes(orjson.dumps(_interrupted(out)))
    code_only = PLUGIN.replace("len(ctx.scene) + 2]", "len(ctx.scene) + 3]")  # its fingerprint is the same
    plugin_package.write_text(code_only, encoding="utf-8")
    os.utime(plugin_package, ns=(plugin_package.stat().st_atime_ns, plugin_package.stat().st_mtime_ns + 10**9))
    _forget()
    before = _files(out)
    with pytest.raises(ResumeMismatchError, match=r"in .*: the code of plugin module h6digest_pkg.gens is not the "
                                                  r"code that made the run \(its digest"):
        generate(scenes_file, out, generators="mine.digest.v1", plugins=["h6digest_pkg"], shard_size=4, resume=True)
    assert _files(out) == before
    assert verify(finished, plugins=["h6digest_pkg"]).code_changed == ["h6digest_pkg.gens"]


def test_verify_and_the_card_note_other_code_not_fail(tmp_path: Path, scenes_file: Path) -> None:
    from veriscene.card import dataset_card

    out = tmp_path / "run"
    generate(scenes_file, out, generators=GENS, shard_size=4)
    assert verify(out).code_changed == []
    other = tmp_path / "edited"
    shutil.copytree(out, other)
    manifest = orjson.loads((other / "manifest.json").read_bytes())
    manifest["source"]["veriscene"] = OTHER_CODE
    manifest["source"]["plugins"]["not_imported_here"] = OTHER_CODE  # unknown here: not said
    (other / "manifest.json").write_bytes(orjson.dumps(manifest))
    report = verify(other)
    assert report.code_changed == verify(other, workers=2, chunk_size=40).code_changed == ["veriscene"]
    assert report.ok and report.verified == verify(out).verified
    result = CliRunner().invoke(app, ["verify", str(other)], terminal_width=200)
    assert result.exit_code == 0
    assert ("note: the veriscene code that makes samples (generators, programs, wording) is not the code that made "
            "the run (its digest in manifest.json \"source\" differs): the run's questions may be worded otherwise "
            "than this code words them") in " ".join(result.output.split())
    card = " ".join(dataset_card(other, verify=True).split())
    assert "Note: the veriscene code that makes samples (generators, programs, wording) is not the code" in card
    manifest["config"]["veriscene_version"] = "0.0.1"  # another release: said as such, not as other code
    (other / "manifest.json").write_bytes(orjson.dumps(manifest))
    assert verify(other).code_changed == []
    del manifest["source"]  # a run made before it was recorded
    (other / "manifest.json").write_bytes(orjson.dumps(manifest))
    assert verify(other).code_changed == []
