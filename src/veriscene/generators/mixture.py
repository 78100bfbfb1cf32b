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
`generators` key matching its name (exact names, with or without the version, win over globs),
else 1.0 if its family is listed, else `default_weight`. Weight 0 leaves a generator out.

`plan(rng, generators)` splits the per-scene budget: it draws one question at a time, choosing a
generator with probability proportional to its weight among those whose cost (the number of
modes it renders each question in) still fits the remaining budget, so samples per generator are
proportional to weight on average and never exceed the budget. Deterministic given the rng.
Without a budget, every selected generator asks its config's `per_scene` questions. A budget is
at most `MAX_BUDGET` samples and must pay for one question of every selected generator (a
question costs one sample per mode); with a budget, `per_scene` (in a config or given to
`make_generators`) is refused, as it would change nothing. Numeric config values are checked
against their field's range (`_RANGES`).

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
from veriscene.sample import without_version

_TOP_KEYS = ("budget", "modes", "default_weight", "families", "generators")
_MODES = ("qa", "mc")
# The largest per-scene budget (samples) and per_scene (questions per generator and mode): a
# scene has far fewer distinct questions, and `plan` draws one question at a time.
MAX_BUDGET = 1000
MAX_PER_SCENE = 1000
_MAX_INT = 1000  # the largest value of any other integer config field
# Allowed (low, high) of the config fields of the built-in generators (a field not listed here
# takes any finite value of its type); high None: no upper bound but _MAX_INT for integers.
_RANGES: dict[str, tuple[float, float | None]] = {
    "per_scene": (1, MAX_PER_SCENE),
    "num_choices": (2, 8),
    "adversarial": (0, None),  # absent names from co-occurrence asked per scene
    "max_hops": (1, None),
    "max_names": (2, None),  # a list has at least two names
    "max_others": (1, None),
    "max_answer_items": (1, None),  # a set answer lists at least one word
    "margin_px": (0, None),
    "area_ratio": (1.0, None),  # a factor between two areas
    "min_depth_gap": (0.0, 1.0),  # fractions of the scene's depth range, box diagonal, image size
    "min_distance_frac": (0.0, None),
    "position_margin": (0.0, 1.0),
}


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
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int)
                                   or not 1 <= budget <= MAX_BUDGET):
            raise bad("budget", f"must be an integer from 1 to {MAX_BUDGET} (samples per scene), got {budget!r}")
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
            # (a name without its version, object.count, names its versions, as `-g` does)
            matches = [n for n in GENERATORS if fnmatch.fnmatch(n, key) or without_version(n) == key]
            if not matches:
                close = difflib.get_close_matches(key, GENERATORS, n=3, cutoff=0.5)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise bad(where, f"matches no registered generator{hint}")
            if isinstance(spec, Mapping):
                extra = [k for k in spec if k not in ("weight", "config")]
                if extra:
                    close = difflib.get_close_matches(str(extra[0]), ("weight", "config"), n=1)
                    hint = f"; did you mean '{close[0]}'?" if close else ""
                    raise bad(f"{where}.{extra[0]}", f"unknown key; allowed: ['weight', 'config']{hint}")
                weights[key] = _weight(spec.get("weight", 1.0), f"{where}.weight", bad)
                overrides = _mapping(spec.get("config", {}), f"{where}.config", bad)
                for name in matches:
                    configs[name] = {**configs.get(name, {}), **_check_config(GENERATORS[name], overrides,
                                                                                f"{where}.config", bad)}
            else:
                weights[key] = _weight(spec, where, bad)
        mixture = cls(source, budget, modes, default_weight, families, weights, configs)
        mixture._check_budget(bad)
        return mixture

    def _check_budget(self, bad: Any) -> None:
        """Refuse a budget under which a selected generator can never ask a question (each costs
        one sample per mode), and a per_scene config that a budget overrides."""
        if self.budget is None:
            return
        fixed = sorted(name for name, config in self.configs.items() if "per_scene" in config)
        if fixed:
            raise bad(f"generators.{fixed[0]}.config.per_scene", "has no effect with a budget (the budget "
                      "decides how many questions each generator asks); remove one of them")
        dear = [cls for cls in self.selected() if self.cost(cls) > self.budget]
        if dear:
            names = ", ".join(cls.name for cls in dear[:3]) + (f" and {len(dear) - 3} more" if len(dear) > 3 else "")
            raise bad("budget", f"{self.budget} is less than one question of {names} costs ({self.cost(dear[0])} "
                      f"samples: one per mode, modes {list(self.modes)}), so they would never be asked; raise the "
                      "budget, give fewer modes or leave them out (weight 0)")

    # ---- weights and generators ----------------------------------------------------------------

    def weight(self, gen: type[Generator] | Generator) -> float:
        """Family factor x generator factor (see the module docstring)."""
        family_factor = self.families.get(gen.family, 1.0)
        for exact in (gen.name, without_version(gen.name)):  # (exact names, versioned or not, win)
            if exact in self.weights:
                return family_factor * self.weights[exact]
        for key, w in self.weights.items():
            if fnmatch.fnmatch(gen.name, key):
                return family_factor * w
        return family_factor * (1.0 if gen.family in self.families else self.default_weight)

    def selected(self) -> list[type[Generator]]:
        """Registered generators with a positive weight, sorted by name."""
        return [cls for cls in select_generators() if self.weight(cls) > 0]

    def make_generators(self, per_scene: int | None = None) -> list[Generator]:
        """Instances of the selected generators with their config overrides applied; `per_scene`
        (questions per generator and mode) for every one, which a budget, or a generator's own
        per_scene in the mixture, contradicts (MixtureError)."""
        if per_scene is not None:
            self._check_per_scene(per_scene)
        out = []
        for cls in self.selected():
            overrides = dict(self.configs.get(cls.name, {}))
            if per_scene is not None:
                overrides.setdefault("per_scene", per_scene)
            out.append(cls(cls.Config(**overrides)))
        return out

    def _check_per_scene(self, per_scene: int) -> None:
        if self.budget is not None:
            raise MixtureError(f"{self.source}: per_scene ({per_scene}) has no effect with the mixture's budget "
                               f"({self.budget} samples per scene, split between the generators): give one of them")
        for name in sorted(self.configs):
            mine = self.configs[name].get("per_scene")
            if mine is not None and mine != per_scene:
                raise MixtureError(f"{self.source}: per_scene ({per_scene}) contradicts the mixture's per_scene of "
                                   f"{name} ({mine}): give one of them")

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
        # a generator whose config asks nothing (per_scene 0: multi.marked_point.v1 without marks)
        # takes no share of a budget: the others are drawn as if it were not registered
        weights = np.array([self.weight(g) if _per_scene(g) > 0 else 0.0 for g in generators], dtype=np.float64)
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
            close = difflib.get_close_matches(str(name), fields, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise bad(f"{key}.{name}", f"{cls.name} has no config field '{name}'{hint}; fields: {sorted(fields)}")
        default = getattr(defaults, name)
        ok = type(value) is type(default)
        if isinstance(default, float) and not isinstance(value, bool) and isinstance(value, int):
            ok, value = True, float(value)
        if not ok:
            raise bad(f"{key}.{name}", f"must be {type(default).__name__} like the default {default!r}, got {value!r}")
        _check_range(name, value, f"{key}.{name}", bad)
        if name == "box_format":
            try:
                value = parse_box_format(value)
            except ValueError as exc:
                raise bad(f"{key}.{name}", str(exc)) from None
        out[name] = value
    return out


def _check_range(name: str, value: Any, key: str, bad: Any) -> None:
    """A numeric config value within its field's range (`_RANGES`), finite, and for an integer at
    most `_MAX_INT` unless its range says otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    low, high = _RANGES.get(name, (None, None))
    if isinstance(value, int) and high is None:
        high = _MAX_INT
    if not np.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
        allowed = f"from {low} to {high}" if low is not None and high is not None else (
            f">= {low}" if low is not None else f"<= {high}" if high is not None else "finite")
        raise bad(key, f"must be {allowed}, got {value!r}")
