"""What `-g` / `generators=` says of a selection matching no generator: close families, names and
globs, and how generators of your own are loaded when the run was given no plugin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import veriscene
from veriscene.cli import app
from veriscene.generators.registry import select_generators
from veriscene.engine.options import no_plugins_hint

from .registry_state import registry_restored

SCENE = '{"image_id": "a", "width": 10, "height": 10, "objects": []}\n'


@pytest.fixture(autouse=True)
def _registry_restored() -> Iterator[None]:
    """A plugin registered here is forgotten after the test (as tests/generators/test_plugins.py)."""
    with registry_restored():
        yield


@pytest.mark.parametrize("pattern, message", [
    # a family first: "counting" selects object.count.v1 and counting.compare.v1 (was: "did you
    # mean counting.compare.v1?", the family's one generator named after it)
    ("countng", "unknown generator or family 'countng'; did you mean counting (family of 2 generators), "
                "grounding (family of 2 generators), counting.compare.v1?"),
    ("segmentaton", "unknown generator or family 'segmentaton'; did you mean segmentation (family of 3 generators), "
                    "segmentation.same_object.v1, segmentation.point_object.v1?"),
    ("object.cont.v1", "unknown generator or family 'object.cont.v1'; did you mean object.count.v1, "
                       "object.absent.v1, object.exists.v1?"),
    # a glob: a literal part corrected, one glob per set of generators it selects
    ("countng.*", "no generator name or family matches the glob 'countng.*'; did you mean counting.*, counting*, "
                  "grounding.*?"),
    ("mult.*", "no generator name or family matches the glob 'mult.*'; did you mean multi.*?"),
    ("*cuont*", "no generator name or family matches the glob '*cuont*'; did you mean *count*, *counting*, *point*?"),
])
def test_unknown_selection_suggests_families_names_and_globs(pattern: str, message: str) -> None:
    with pytest.raises(KeyError) as caught:
        select_generators(f"object.count.v1, {pattern}")
    assert caught.value.args[0] == message


def test_every_suggested_glob_selects_generators() -> None:
    with pytest.raises(KeyError) as caught:
        select_generators("mult_*")
    suggested = caught.value.args[0].split("did you mean ")[1].rstrip("?").split(", ")
    assert suggested[0] == "multi_*"
    assert all(select_generators(glob) for glob in suggested)


def test_cli_suggests_the_family(tmp_path: Path) -> None:
    (tmp_path / "s.jsonl").write_text(SCENE)
    result = CliRunner().invoke(app, ["generate", str(tmp_path / "s.jsonl"), "--out", str(tmp_path / "o"),
                                      "-g", "countng"])
    assert result.exit_code == 2
    assert "did you mean counting (family of 2 generators)," in " ".join(result.output.split())


def test_a_run_without_plugins_says_how_to_load_them(tmp_path: Path) -> None:
    (tmp_path / "s.jsonl").write_text(SCENE)
    with pytest.raises(KeyError) as caught:
        veriscene.generate(tmp_path / "s.jsonl", tmp_path / "o", generators="example")
    assert caught.value.args[0] == f"unknown generator or family 'example'; {no_plugins_hint()}"
    # named as generate() takes it; the CLI names --plugins (`option_names`)
    assert no_plugins_hint() == "no plugin was given: generators of your own need plugins=[FILE.py or MODULE]"
    assert not (tmp_path / "o").exists()
    result = CliRunner().invoke(app, ["generate", str(tmp_path / "s.jsonl"), "--out", str(tmp_path / "o"),
                                      "-g", "example"])
    assert result.exit_code == 2
    assert "generators of your own need --plugins FILE.py|MODULE" in " ".join(result.output.split())
    assert "plugins=" not in result.output


def test_a_run_given_a_plugin_only_suggests(tmp_path: Path) -> None:
    (tmp_path / "s.jsonl").write_text(SCENE)
    plugin = tmp_path / "gen_h198.py"
    plugin.write_text(Path(__file__).parents[2].joinpath("examples", "my_generators.py").read_text()
                      .replace('"example', '"h198example'))
    with pytest.raises(KeyError) as caught:
        veriscene.generate(tmp_path / "s.jsonl", tmp_path / "o", generators="h198exampel", plugins=[plugin])
    assert "no plugin was given" not in caught.value.args[0]
    assert "did you mean h198example" in caught.value.args[0]
