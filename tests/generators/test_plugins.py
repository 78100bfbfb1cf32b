"""Generators of one's own, given as plugins: loaded once, recorded in the run, run by every backend."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path

import pytest

import veriscene
from veriscene.engine.manifest import ResumeMismatchError
from veriscene.generators import plugins as plugins_module
from veriscene.generators.catalog import generator_catalog
from veriscene.generators.plugins import load_plugins, plugin_sources, plugin_specs, plugins_config
from veriscene.generators.registry import GENERATORS
from veriscene.scene.jsonl import write_scenes
from veriscene.demo.world import iter_scene_graphs

from .registry_state import registry_restored

from typer.testing import CliRunner

from veriscene.cli import app

# A plugin asking how many objects a scene holds, under a name each test chooses (Ray workers
# outlive a test: a name used twice would be registered twice there).
PLUGIN = '''
from veriscene.generators.base import Candidate, Generator
from veriscene.generators.registry import register
from veriscene.program.builder import ProgramBuilder


@register("{name}", family="mine")
class Total(Generator):
    answer_type = "int"
    description = "How many objects the scene holds."
    templates = {{"default": ("How many objects are there in total?", "Count every object in the image.")}}

    def propose(self, ctx):
        b = ProgramBuilder()
        b.add("count", b.add("scene", args=[0]))
        yield Candidate(b.program, {{}}, distractors=[len(ctx.scene) + 1, len(ctx.scene) + 2, max(len(ctx.scene) - 1, 0)])
'''


@pytest.fixture(autouse=True)
def _registry_restored():
    """Each test's plugins are forgotten after it: the registry, the loaded plugins, the modules."""
    with registry_restored("myplugin"):
        yield


def _plugin(folder: Path, name: str, file: str = "my_generators.py") -> Path:
    path = folder / file
    path.write_text(PLUGIN.format(name=name), encoding="utf-8")
    return path


@pytest.fixture
def scenes(tmp_path: Path) -> Path:
    path = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(30, seed=0), path)
    return path


def test_a_file_plugin_registers_its_generators_once(tmp_path: Path) -> None:
    path = _plugin(tmp_path, "mine.once.v1")
    (plugin,) = load_plugins(str(path))
    assert plugin.name == "my_generators.py"
    assert plugin.spec == str(path.resolve())
    assert plugin.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert plugin.generators == ("mine.once.v1",)
    assert GENERATORS["mine.once.v1"].family == "mine"
    assert load_plugins([path]) == [plugin]  # not imported again: no duplicate registration
    assert plugins_config([plugin]) == {"my_generators.py": {"sha256": plugin.sha256, "generators": ["mine.once.v1"]}}


def test_a_file_imported_before_is_not_imported_again(tmp_path: Path) -> None:
    path = _plugin(tmp_path, "mine.imported.v1", "myplugin_imported.py")
    spec = importlib.util.spec_from_file_location("myplugin_imported", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["myplugin_imported"] = module
    spec.loader.exec_module(module)  # as `import myplugin_imported` in a notebook
    (plugin,) = load_plugins(path)
    assert plugin.generators == ("mine.imported.v1",)


def test_a_module_plugin_is_imported_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _plugin(tmp_path, "mine.module.v1", "myplugin_module.py")
    monkeypatch.syspath_prepend(str(tmp_path))
    (plugin,) = load_plugins("myplugin_module")
    assert (plugin.name, plugin.spec, plugin.generators) == ("myplugin_module", "myplugin_module", ("mine.module.v1",))


def test_plugin_lists_split_on_commas_but_not_file_paths() -> None:
    assert plugin_specs("a.py, pkg.gens") == ["a.py", "pkg.gens"]
    assert plugin_specs(["x/a,b.py"]) == ["x/a,b.py"]
    assert plugin_specs(None) == []
    with pytest.raises(TypeError, match="a plugin is a Python file path or a module name"):
        plugin_specs([3])  # type: ignore[list-item]


@pytest.mark.parametrize(("source", "said"), [
    (None, "plugin file {path} does not exist"),
    ("x = (\n", "failed to import: SyntaxError: '(' was never closed (bad.py, line 1)"),
    ("import math\nmath.nothing()\n", "failed to import: AttributeError: module 'math' has no attribute 'nothing' (at bad.py:2"),
    (PLUGIN.format(name="object.count.v1"), "generator 'object.count.v1' is already registered"),
])
def test_a_bad_plugin_file_is_named_with_its_error(tmp_path: Path, source: str | None, said: str) -> None:
    path = tmp_path / "bad.py"
    if source is not None:
        path.write_text(source, encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        load_plugins(str(path))
    assert said.format(path=path) in str(caught.value)
    assert str(path.resolve()) not in plugins_module._LOADED


def test_a_missing_module_is_said_plainly() -> None:
    with pytest.raises(ValueError, match="plugin module 'no_such_plugin_module' not found: give a Python file"):
        load_plugins("no_such_plugin_module")


def test_a_process_without_the_file_imports_the_source_sent(tmp_path: Path) -> None:
    path = tmp_path / "gone" / "my_generators.py"
    source = PLUGIN.format(name="mine.sent.v1").encode("utf-8")
    (plugin,) = load_plugins(str(path), sources=[(str(path.resolve()), source)])
    assert (plugin.name, plugin.generators) == ("my_generators.py", ("mine.sent.v1",))
    assert plugin.sha256 == hashlib.sha256(source).hexdigest()
    assert plugin_sources([plugin]) == ((str(path.resolve()), source),)


def test_a_file_other_than_the_source_sent_is_not_imported(tmp_path: Path) -> None:
    """A node holding another version of the file runs the version the run recorded."""
    path = _plugin(tmp_path, "mine.stale.v1")
    source = PLUGIN.format(name="mine.current.v1").encode("utf-8")
    (plugin,) = load_plugins(str(path), sources=[(str(path.resolve()), source)])
    assert plugin.generators == ("mine.current.v1",)
    assert "mine.stale.v1" not in GENERATORS


def test_a_source_sent_with_an_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "my_generators.py"
    with pytest.raises(ValueError, match=r"plugin .*my_generators.py failed to import: .*my_generators.py.*line 2"):
        load_plugins(str(path), sources=[(str(path.resolve()), b"x = 1\ny = (\n")])


def test_two_plugins_of_one_name_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    loaded = load_plugins([_plugin(tmp_path / "a", "mine.a.v1"), _plugin(tmp_path / "b", "mine.b.v1")])
    with pytest.raises(ValueError, match="two plugins are named my_generators.py"):
        plugins_config(loaded)


def _samples(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]


def test_generate_runs_and_records_a_plugin_on_every_worker_count(tmp_path: Path, scenes: Path) -> None:
    path = _plugin(tmp_path, "mine.workers.v1")
    one = veriscene.generate(scenes, tmp_path / "one", generators="mine,object.count.v1", plugins=[path])
    two = veriscene.generate(scenes, tmp_path / "two", generators="mine,object.count.v1", plugins=[path], workers=2)
    assert one.samples == two.samples == 30 * 4  # 2 generators x qa, mc
    assert (tmp_path / "one" / "samples.jsonl").read_bytes() == (tmp_path / "two" / "samples.jsonl").read_bytes()
    samples = _samples(tmp_path / "one")
    mine = [s for s in samples if s["task"] == "mine.workers.v1"]
    assert len(mine) == 60 and {s["family"] for s in mine} == {"mine"}
    config = json.loads((tmp_path / "one" / "manifest.json").read_text())["config"]
    assert config["plugins"] == {"my_generators.py": {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                                                      "generators": ["mine.workers.v1"]}}
    report = veriscene.verify(tmp_path / "one", plugins=[path])
    assert report.ok and report.verified == 120


def test_a_run_without_plugins_records_none(tmp_path: Path, scenes: Path) -> None:
    veriscene.generate(scenes, tmp_path / "run", generators="object.count.v1")
    assert "plugins" not in json.loads((tmp_path / "run" / "manifest.json").read_text())["config"]


def _forget(generator: str) -> None:
    """As a new process: no plugin loaded, its generator and module unknown."""
    plugins_module._LOADED.clear()
    GENERATORS.pop(generator)
    for name in [n for n in sys.modules if n.startswith("veriscene_plugin_")]:
        del sys.modules[name]


def test_resume_refuses_a_changed_plugin_and_names_a_forgotten_one(tmp_path: Path, scenes: Path) -> None:
    path = _plugin(tmp_path, "mine.resume.v1")
    veriscene.generate(scenes, tmp_path / "run", generators="mine", plugins=[path])
    path.write_text(path.read_text() + "\n# changed\n", encoding="utf-8")
    _forget("mine.resume.v1")
    with pytest.raises(ResumeMismatchError, match=r"plugins\.my_generators\.py\.sha256: '"):
        veriscene.generate(scenes, tmp_path / "run", generators="mine", plugins=[path], resume=True)
    _forget("mine.resume.v1")
    with pytest.raises(KeyError, match="made with the plugin\\(s\\) my_generators.py: give them again"):
        veriscene.generate(scenes, tmp_path / "run", generators="mine", resume=True)


def test_the_ray_backend_loads_the_plugin_in_its_workers(tmp_path: Path, scenes: Path) -> None:
    """From the source the driver imported: the file need not be on the nodes (here it is gone)."""
    pytest.importorskip("ray")
    path = _plugin(tmp_path, "mine.ray.v1")
    veriscene.generate(scenes, tmp_path / "local", generators="mine,object.count.v1", plugins=[path])
    path.unlink()
    veriscene.generate(scenes, tmp_path / "ray", generators="mine,object.count.v1", plugins=[path],
                       backend="ray", workers=2, shard_size=10)
    assert (tmp_path / "local" / "samples.jsonl").read_bytes() == (tmp_path / "ray" / "samples.jsonl").read_bytes()


def test_the_catalog_lists_a_plugin_and_says_how_its_generator_fails(tmp_path: Path) -> None:
    good = _plugin(tmp_path, "mine.listed.v1")
    broken = tmp_path / "broken.py"
    broken.write_text(PLUGIN.format(name="mine.broken.v1").replace("yield Candidate", "raise KeyError('red')\n        yield Candidate"),
                      encoding="utf-8")
    rows = {r["name"]: r for r in generator_catalog(plugins=[good, broken])}
    assert rows["mine.listed.v1"]["example"] in ("How many objects are there in total?", "Count every object in the image.")
    assert rows["mine.broken.v1"]["example"].startswith("(failed: KeyError: 'red' (at broken.py:")


def invoke(args: list[str]):
    return CliRunner().invoke(app, args)


def test_the_cli_takes_plugins_and_says_a_missing_one(tmp_path: Path, scenes: Path) -> None:
    path = _plugin(tmp_path, "mine.cli.v1")
    done = invoke(["generate", str(scenes), "-o", str(tmp_path / "run"), "-g", "mine", "--plugins", str(path)])
    assert done.exit_code == 0, done.output
    assert "mine" in done.output
    listed = invoke(["generators", "--json", "--plugins", str(path)])
    assert "mine.cli.v1" in [row["name"] for row in json.loads(listed.output)]
    missing = invoke(["generate", str(scenes), "-o", str(tmp_path / "other"), "--plugins", str(tmp_path / "nope.py")])
    assert missing.exit_code == 2
    assert f"plugin file {tmp_path / 'nope.py'} does not exist" in missing.output
    checked = invoke(["verify", str(tmp_path / "run"), "--plugins", str(path)])
    assert checked.exit_code == 0, checked.output


def test_the_command_that_makes_the_run_again_names_its_plugin(tmp_path: Path, scenes: Path) -> None:
    from veriscene.engine.reproduce import generate_command

    path = _plugin(tmp_path, "mine.again.v1")
    veriscene.generate(scenes, tmp_path / "run", generators="mine,object.count.v1", plugins=[path])
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    _forget("mine.again.v1")  # as a process that has not loaded it
    again = generate_command(manifest, tmp_path / "run")
    assert again.argv[again.argv.index("--plugins") + 1] == "my_generators.py"
    assert again.argv[again.argv.index("-g") + 1] == "mine,object.count.v1"
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert again.notes == [f"the plugin my_generators.py is needed, with SHA-256 {sha} (manifest.json: "
                           "config.plugins): the run's own generators are in it"]


def test_the_example_plugin_makes_verified_samples(tmp_path: Path, scenes: Path) -> None:
    example = Path(__file__).parents[2] / "examples" / "my_generators.py"
    summary = veriscene.generate(scenes, tmp_path / "run", generators="example", plugins=[example])
    samples = _samples(tmp_path / "run")
    assert summary.samples == len(samples) > 10
    assert {s["task"] for s in samples} == {"example.largest_name.v1"}
    assert all(s["meta"]["config"]["margin"] == 1.5 for s in samples)
    report = veriscene.verify(tmp_path / "run", plugins=[example])
    assert report.ok and report.verified == len(samples)
