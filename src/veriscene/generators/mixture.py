"""Mixtures: which generators a multi-task data set uses, how much of each, in which modes.

A mixture file (YAML) looks like this (see `examples/mixture.yaml`)::

    budget: 12              # max samples per scene, all generators and modes together
    modes: [qa, mc]         # qa and/or mc ("both" also accepted); caption generators always caption
    default_weight: 0.0     # weight of generators whose name and family are both unlisted
    families:               # family -> weight factor
      counting: 2.0
      depth: 0.5
    generators:             # name or glob -> weight, or {weight, config}
      object.count.v1: 1.0
      "relation.*": 0.5
      grounding.box.v1:
        weight: 1.0
        config: {box_format: norm1000, num_choices: 3}

Weight of a generator = family factor x generator factor, where the family factor is
`families[family]` (1.0 when unlisted) and the generator factor is the weight of the first
`generators` key matching its name (exact names win over globs), else 1.0 if its family is
listed, else `default_weight`. Weight 0 leaves a generator out.

`plan(rng, generators)` splits the per-scene budget: it draws one question at a time, choosing a
generator with probability proportional to its weight among those whose cost (the number of
modes it renders each question in) still fits the remaining budget, so samples per generator are
proportional to weight on average and never exceed the budget. Deterministic given the rng.
Without a budget, every selected generator asks its config's `per_scene` questions.

Every error names the file and the key at fault (`MixtureError`, a ValueError).
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from veriscene.answers.coords import parse_box_format
from veriscene.errors import VerisceneError
from veriscene.generators.base import Generator
from veriscene.generators.registry import GENERATORS, select_generators

_TOP_KEYS = ("budget", "modes", "default_weight", "families", "generators")
_MODES = ("qa", "mc")


class MixtureError(VerisceneError, ValueError):
    """A mixture file is malformed; the message names the file and key."""


@dataclass(frozen=True)
class Mixture:
    source: str = "<mixture>"
    budget: int | None = None
    modes: tuple[str, ...] = _MODES
    default_weight: float = 1.0
    families: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)  # generator name or glob -> weight
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)  # generator name -> overrides

    # ---- loading and validation ----------------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "Mixture":
        """Read and validate a YAML mixture file."""
        import yaml

        source = str(path)
        try:
            with open(path, encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
        except FileNotFoundError:
            raise MixtureError(f"{source}: mixture file does not exist") from None
        except yaml.YAMLError as exc:
            raise MixtureError(f"{source}: not valid YAML: {exc}") from None
        return cls.from_dict(data if data is not None else {}, source)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<mixture>") -> "Mixture":
        """Validate a parsed mixture (see the module docstring for the layout)."""
        def bad(key: str, message: str) -> MixtureError:
            return MixtureError(f"{source}, key '{key}': {message}")

        if not isinstance(data, Mapping):
            raise MixtureError(f"{source}: a mixture must be a mapping with keys {list(_TOP_KEYS)}")
        unknown = [k for k in data if k not in _TOP_KEYS]
        if unknown:
            close = difflib.get_close_matches(str(unknown[0]), _TOP_KEYS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise bad(str(unknown[0]), f"unknown key; allowed: {list(_TOP_KEYS)}{hint}")
        select_generators()  # load the registry

        budget = data.get("budget")
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 1):
            raise bad("budget", f"must be a positive integer, got {budget!r}")
        modes = _modes(data.get("modes", list(_MODES)), bad)
        default_weight = _weight(data.get("default_weight", 1.0), "default_weight", bad)

        families_seen = {g.family for g in GENERATORS.values()}
        families = {}
        for fam, w in _mapping(data.get("families", {}), "families", bad).items():
            if fam not in families_seen:
                close = difflib.get_close_matches(str(fam), sorted(families_seen), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise bad(f"families.{fam}", f"unknown family; known: {sorted(families_seen)}{hint}")
            families[str(fam)] = _weight(w, f"families.{fam}", bad)

        weights: dict[str, float] = {}
        configs: dict[str, dict[str, Any]] = {}
        for key, spec in _mapping(data.get("generators", {}), "generators", bad).items():
            key = str(key)
            where = f"generators.{key}"
            matches = [n for n in GENERATORS if fnmatch.fnmatch(n, key)]
            if not matches:
                close = difflib.get_close_matches(key, GENERATORS, n=3, cutoff=0.5)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise bad(where, f"matches no registered generator{hint}")
            if isinstance(spec, Mapping):
                extra = [k for k in spec if k not in ("weight", "config")]
                if extra:
                    raise bad(f"{where}.{extra[0]}", "unknown key; allowed: ['weight', 'config']")
                weights[key] = _weight(spec.get("weight", 1.0), f"{where}.weight", bad)
                overrides = _mapping(spec.get("config", {}), f"{where}.config", bad)
                for name in matches:
                    configs[name] = {**configs.get(name, {}), **_check_config(GENERATORS[name], overrides,
                                                                                f"{where}.config", bad)}
            else:
                weights[key] = _weight(spec, where, bad)
        return cls(source, budget, modes, default_weight, families, weights, configs)

    # ---- weights and generators ----------------------------------------------------------------

    def weight(self, gen: type[Generator] | Generator) -> float:
        """Family factor x generator factor (see the module docstring)."""
        family_factor = self.families.get(gen.family, 1.0)
        if gen.name in self.weights:
            return family_factor * self.weights[gen.name]
        for key, w in self.weights.items():
            if fnmatch.fnmatch(gen.name, key):
                return family_factor * w
        return family_factor * (1.0 if gen.family in self.families else self.default_weight)

    def selected(self) -> list[type[Generator]]:
        """Registered generators with a positive weight, sorted by name."""
        return [cls for cls in select_generators() if self.weight(cls) > 0]

    def make_generators(self, per_scene: int | None = None) -> list[Generator]:
        """Instances of the selected generators with their config overrides applied."""
        out = []
        for cls in self.selected():
            overrides = dict(self.configs.get(cls.name, {}))
            if per_scene is not None:
                overrides.setdefault("per_scene", per_scene)
            out.append(cls(cls.Config(**overrides)))
        return out

    def cost(self, gen: type[Generator] | Generator) -> int:
        """Samples one question of `gen` turns into: one per mode it renders."""
        return max(len([m for m in self.modes if m in gen.modes]), 1)

    def plan(self, rng: np.random.Generator, generators: Sequence[Generator | type[Generator]]) -> dict[str, int]:
        """Questions each generator asks on one scene (names of `generators` -> count >= 0).

        `generators` are those that can run on the scene (requirements met). Deterministic given
        `rng`; the samples (questions x modes) never exceed `budget`."""
        names = [g.name for g in generators]
        if len(set(names)) != len(names):
            raise ValueError(f"plan() got the same generator twice: {sorted(names)}")
        plan = {g.name: 0 for g in generators}
        weights = np.array([self.weight(g) for g in generators], dtype=np.float64)
        if self.budget is None:
            for g, w in zip(generators, weights):
                plan[g.name] = _per_scene(g) if w > 0 else 0
            return plan
        costs = np.array([self.cost(g) for g in generators], dtype=np.int64)
        left = self.budget
        while True:
            open_ = (weights > 0) & (costs <= left)
            if not open_.any():
                return plan
            p = np.where(open_, weights, 0.0)
            k = int(rng.choice(len(generators), p=p / p.sum()))
            plan[names[k]] += 1
            left -= int(costs[k])


def _per_scene(gen: Generator | type[Generator]) -> int:
    config = gen.config if isinstance(gen, Generator) else gen.Config()
    return int(config.per_scene)


def _mapping(value: Any, key: str, bad: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise bad(key, f"must be a mapping, got {type(value).__name__} {value!r}"[:200])
    return value


def _weight(value: Any, key: str, bad: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
        raise bad(key, f"weight must be a number >= 0, got {value!r}")
    return float(value)


def _modes(value: Any, bad: Any) -> tuple[str, ...]:
    if value == "both":
        return _MODES
    items: Iterable[Any] = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not items or any(m not in _MODES for m in items):
        raise bad("modes", f"must be 'both' or a non-empty list of {list(_MODES)}, got {value!r}")
    return tuple(m for m in _MODES if m in items)


def _check_config(cls: type[Generator], overrides: Mapping[str, Any], key: str, bad: Any) -> dict[str, Any]:
    """Overrides checked against the generator's Config dataclass: known fields, matching types."""
    fields = {f.name: f for f in dataclasses.fields(cls.Config)}
    defaults = cls.Config()
    out = {}
    for name, value in overrides.items():
        if name not in fields:
            raise bad(f"{key}.{name}", f"{cls.name} has no config field '{name}'; fields: {sorted(fields)}")
        default = getattr(defaults, name)
        ok = type(value) is type(default)
        if isinstance(default, float) and not isinstance(value, bool) and isinstance(value, int):
            ok, value = True, float(value)
        if not ok:
            raise bad(f"{key}.{name}", f"must be {type(default).__name__} like the default {default!r}, got {value!r}")
        if name == "per_scene" and value < 1:
            raise bad(f"{key}.{name}", f"must be >= 1, got {value!r}")
        if name == "num_choices" and not 2 <= value <= 8:
            raise bad(f"{key}.{name}", f"must be between 2 and 8, got {value!r}")
        if name == "box_format":
            try:
                value = parse_box_format(value)
            except ValueError as exc:
                raise bad(f"{key}.{name}", str(exc)) from None
        out[name] = value
    return out
