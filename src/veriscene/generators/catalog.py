"""A JSON-ready description of every registered generator (for `veriscene generators`).

Each row carries one example question: the generator's first sample on a small fixed set of demo
scenes (`EXAMPLE_SCENES` scenes of the demo world, seed 0, open-QA mode where the generator has
it), so the listing shows real output rather than a raw template. A generator that asks nothing
by default (`multi.marked_point.v1` without `marks: true`) gives its class's `example_options`,
the options its example is made with (`example_options_of`).
"""

from __future__ import annotations

import dataclasses
import os
from functools import lru_cache
from typing import Any, Sequence

from veriscene.generators.generator_options import option_defaults, option_text
from veriscene.generators.plugins import load_plugins
from veriscene.generators.registry import GENERATORS, select_generators

EXAMPLE_SCENES = 8  # demo scenes tried, in order, until a generator produces a sample


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

    scenes = list(iter_scene_graphs(EXAMPLE_SCENES, seed=0))
    vocab = Vocabulary.from_scenes(scenes)
    pool = ScenePool.from_scenes(scenes)  # partners for the multi-image generators
    found: dict[str, str] = {}
    for cls in select_generators():
        modes = ("qa",) if "qa" in cls.modes else cls.modes[:1]
        options = example_options_of(cls)
        generator = cls(cls.Config(**options)) if options else cls()
        runner = SceneRunner([generator], vocab, seed=0, modes=modes, pool=pool, raise_errors=False)
        for scene in scenes:
            samples = runner.run(scene)
            if samples:
                found[cls.name] = samples[0].question
                break
            if runner.failures:
                found[cls.name] = f"(failed: {runner.failures[0][1]})"
                break
        else:
            found[cls.name] = ""
    return found


def generator_catalog(examples: bool = True,
                      plugins: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None
                      ) -> list[dict[str, Any]]:
    """One row per generator: name, family, version, answer type, modes, requirements, number of
    templates, first template, description, its options (config fields, what `generate --set
    NAME.OPTION=VALUE` sets) with their defaults, and (with `examples`) one example question, made
    with `example_options` (options over the defaults: `{}` for most). `plugins`:
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
