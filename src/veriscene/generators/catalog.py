"""A JSON-ready description of every registered generator (for `veriscene generators`).

Each row carries one example question: the generator's first sample on a small fixed set of demo
scenes (`EXAMPLE_SCENES` scenes of the demo world, seed 0, open-QA mode where the generator has
it), so the listing shows real output rather than a raw template. A generator that asks nothing
by default (`multi.marked_point.v1` without `marks: true`) gives its class's `example_options`,
the options its example is made with (`example_options_of`). One needing what the demo world
has not (`depth.map_points.v1`: a dense depth map) is shown on the same scenes given it
(`EXAMPLE_SCENES_GIVEN`: synthetic depth maps, `veriscene.demo.depth_maps`, written to a
temporary folder removed after), and its row says so (``example_scenes``).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Sequence

from veriscene.generators.generator_options import option_defaults, option_text
from veriscene.generators.plugins import load_plugins
from veriscene.generators.registry import GENERATORS, select_generators

if TYPE_CHECKING:
    from veriscene.engine.pool import ScenePool
    from veriscene.generators.runner import SceneRunner
    from veriscene.generators.vocabulary import Vocabulary
    from veriscene.scene.model import Scene

EXAMPLE_SCENES = 8  # demo scenes tried, in order, until a generator produces a sample
# a requirement the demo world's scenes lack -> what a generator needing it is shown on instead
# (a row's ``example_scenes``): the demo scenes given it, and where a user's scenes get it
EXAMPLE_SCENES_GIVEN = {
    "depth_map": ("on demo scenes given a synthetic depth map",
                  "a floor receding, each object flat at its depth: veriscene.demo.depth_maps; maps of your own "
                  "scenes: veriscene annotate --depth MODEL --depth-maps DIR, or a scene's depth_map field"),
}


def example_options_of(cls: type) -> dict[str, Any]:
    """The options a generator's example question is made with (config fields: `{"marks": True}`
    for one that asks nothing without them); {} for most, which are shown with their defaults."""
    return dict(getattr(cls, "example_options", None) or {})


def example_questions() -> dict[str, str]:
    """Generator name -> its first question on the example scenes ("" if it produced none, the
    error if it failed: a generator of your own, `generators.plugins`)."""
    return _example_questions(tuple(sorted(GENERATORS)))


@lru_cache(maxsize=4)
def _example_questions(names: tuple[str, ...]) -> dict[str, str]:  # computed again once plugins add some
    from veriscene.demo.world import iter_scene_graphs
    from veriscene.engine.pool import ScenePool
    from veriscene.generators.runner import SceneRunner
    from veriscene.generators.vocabulary import Vocabulary

    demo = list(iter_scene_graphs(EXAMPLE_SCENES, seed=0))
    vocab = Vocabulary.from_scenes(demo)
    pool = ScenePool.from_scenes(demo)  # partners for the multi-image generators
    found: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="veriscene-examples-") as folder:
        for cls in select_generators():
            scenes = _scenes_for(cls, demo, folder)
            found[cls.name] = _first_question(SceneRunner, cls, scenes, vocab, pool)
    return found


def _scenes_for(cls: type, demo: list[Scene], folder: str) -> list[Scene]:
    """The demo scenes a generator's example is asked on: given what it requires and they lack
    (`EXAMPLE_SCENES_GIVEN`: synthetic depth maps, written to `folder`)."""
    if "depth_map" in getattr(cls, "requires", ()) and all(scene.depth_map is None for scene in demo):
        from veriscene.demo.depth_maps import with_synthetic_depth_maps

        return with_synthetic_depth_maps(demo, folder)
    return demo


def example_scenes_of(cls: type) -> str:
    """What a generator's example is asked on when not the demo scenes as they are (a row's
    ``example_scenes``: `EXAMPLE_SCENES_GIVEN`, and where a user's scenes get what it needs);
    "" for most."""
    given = [EXAMPLE_SCENES_GIVEN[need] for need in getattr(cls, "requires", ()) if need in EXAMPLE_SCENES_GIVEN]
    return "; ".join(f"{said} ({how})" for said, how in given)


def _first_question(runner_class: type[SceneRunner], cls: Any, scenes: list[Scene], vocab: Vocabulary,
                    pool: ScenePool) -> str:
    """A generator's first question on `scenes` ("" if none, "(failed: ...)" if it failed)."""
    modes = ("qa",) if "qa" in cls.modes else cls.modes[:1]
    options = example_options_of(cls)
    generator = cls(cls.Config(**options)) if options else cls()
    runner = runner_class([generator], vocab, seed=0, modes=modes, pool=pool, raise_errors=False)
    for scene in scenes:
        samples = runner.run(scene)
        if samples:
            return str(samples[0].question)
        if runner.failures:
            return f"(failed: {runner.failures[0][1]})"
    return ""


def generator_catalog(examples: bool = True,
                      plugins: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None
                      ) -> list[dict[str, Any]]:
    """One row per generator: name, family, version, answer type, modes, requirements, number of
    templates, first template, description, its options (config fields, what `generate --set
    NAME.OPTION=VALUE` sets) with their defaults, and (with `examples`) one example question, made
    with `example_options` (options over the defaults: `{}` for most) on the demo scenes, or as
    `example_scenes` says ("" for most: "on demo scenes given a synthetic depth map (...)"). `plugins`:
    files or modules of generators of your own to import first (`veriscene.generators.plugins`)."""
    load_plugins(plugins)
    questions = example_questions() if examples else {}
    rows = []
    for cls in select_generators():
        first_group = next(iter(cls.templates.values()), ())
        rows.append({
            "name": cls.name,
            "family": cls.family,
            "version": cls.version,
            "answer_type": cls.answer_type,
            "modes": list(cls.modes),
            "requires": list(cls.requires),
            "templates": sum(len(t) for t in cls.templates.values()),
            "example_template": first_group[0] if first_group else "",
            "example": questions.get(cls.name, ""),
            "example_options": {name: _json_value(value) for name, value in example_options_of(cls).items()},
            "example_scenes": example_scenes_of(cls) if examples else "",
            "description": cls.description,
            "options": {name: _json_value(value) for name, value in option_defaults(cls).items()},
        })
    return rows


def _json_value(value: Any) -> Any:
    """A default as JSON holds it: itself when JSON has its kind, else as `--set` writes it."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)) and all(v is None or isinstance(v, (bool, int, float, str)) for v in value):
        return list(value)
    return option_text(value)


def own_options(row: dict[str, Any]) -> str:
    """A catalog row's options other than those every generator has at their shared defaults
    (`shared_options`), as NAME=VALUE (the text `--set` takes), one a line; "-" for none."""
    shared = shared_options()
    own = [f"{name}={option_text(value)}" for name, value in row.get("options", {}).items()
           if name not in shared or shared[name] != value]
    return "\n".join(own) or "-"


def shared_options() -> dict[str, Any]:
    """The options of every generator (`GeneratorConfig`'s fields) and their shared defaults."""
    from veriscene.generators.base import GeneratorConfig

    defaults = GeneratorConfig()
    return {f.name: getattr(defaults, f.name) for f in dataclasses.fields(GeneratorConfig)}
