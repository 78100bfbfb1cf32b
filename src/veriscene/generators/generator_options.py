"""Generator options given by name, without a mixture file: `generate --set NAME.OPTION=VALUE`,
`generate(generator_options={NAME: {OPTION: VALUE}})`.

An option is a field of a generator's config dataclass (`GeneratorConfig`: `per_scene`,
`num_choices`, `box_format`, and each generator's own, such as `marks` of the point questions);
`veriscene generators` lists each generator's with its default (`option_defaults`). NAME is what
`-g` takes: a generator name with or without its version (`depth.map_points`), a family
(`counting`) or a glob over either (`depth.*`). VALUE on the command line is read as YAML
(`true`, `3`, `0.2`, `norm1000`, `[a, b]`).

Checked as a mixture's `config:` is (`mixture._check_config`: the field's type, its range), with
one difference of scope: an exact name must have the option, while a family or glob sets it on
those of its generators that have it (`'depth.*.marks=true'` marks the two depth point questions
and leaves the other depth generators alone) and is refused only when none of them has it. Where
several keys set one option of one generator, an exact name wins over a family or glob (as in a
mixture's weights); otherwise the later key wins.

Only the run's generators may be given options: a key that selects none of them (a generator
left out by `-g`, or of weight 0 in the mixture) is refused, since the option would silently do
nothing. Options win over the mixture's `config:` and over `per_scene` / `--per-scene` for the
generators they name; `per_scene` with a mixture's budget is refused, as in the mixture.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from veriscene.errors import VerisceneError
from veriscene.generators.base import Generator
from veriscene.generators.mixture import _check_config
from veriscene.generators.registry import GENERATORS, _matches, select_generators
from veriscene.sample import without_version

Settings = dict[str, dict[str, Any]]  # full generator name -> option -> checked value

_GLOB_CHARS = "*?["
_EXAMPLE = "depth.map_points.marks=true"


class GeneratorOptionError(VerisceneError, ValueError):
    """A generator option that cannot be set: malformed, unknown, of the wrong type or range, or of
    a generator the run does not use. The message names the option (NAME.OPTION)."""


def option_defaults(cls: type[Generator]) -> dict[str, Any]:
    """A generator's options and their defaults, in field order (what `--set` takes)."""
    defaults = cls.Config()
    return {f.name: getattr(defaults, f.name) for f in dataclasses.fields(cls.Config)}


def parse_settings(texts: Iterable[str]) -> dict[str, dict[str, Any]]:
    """`--set` texts, NAME.OPTION=VALUE each, as {NAME: {OPTION: VALUE}} in the order given (a
    later NAME.OPTION replaces an earlier one); VALUE is read as YAML ("true" -> True, "0.2" ->
    0.2, "[a, b]" -> a list, "norm1000" -> the text)."""
    import yaml

    settings: dict[str, dict[str, Any]] = {}
    for text in texts:
        target, equals, raw = text.partition("=")
        name, dot, option = target.strip().rpartition(".")
        if not equals or not dot or not name or not option:
            raise GeneratorOptionError(f"--set {text!r}: give NAME.OPTION=VALUE, e.g. --set {_EXAMPLE} "
                                       "(`veriscene generators` lists the generators and their options)")
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError as exc:
            problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
            raise GeneratorOptionError(f"--set {target}: the value {raw!r} is not a YAML value ({problem})") from None
        if value is None:
            raise GeneratorOptionError(f"--set {target}: no value after '=' (e.g. --set {_EXAMPLE})")
        settings.setdefault(name, {})[option] = value
    return settings


def check_settings_type(options: object) -> None:
    """Refuse a `generator_options` that is not {NAME: {OPTION: VALUE}} (TypeError), before any work."""
    if options is None:
        return
    shape = "a dict of generator names to dicts of options (e.g. {'depth.map_points': {'marks': True}})"
    if not isinstance(options, Mapping):
        raise TypeError(f"generator_options must be {shape}, got {options!r}"[:300])
    for name, given in options.items():
        if not isinstance(name, str):
            raise TypeError(f"generator_options: a generator name must be a str, got {name!r}")
        if not isinstance(given, Mapping) or not all(isinstance(k, str) for k in given):
            hint = ""
            generator, dot, option = name.rpartition(".")
            if dot and generator and not isinstance(given, Mapping) and _is_option(option):  # --set's NAME.OPTION
                hint = (f"; the command line's --set {name}=VALUE is, in Python, generator_options="
                        f"{ {generator: {option: given}}!r}"[:300])
            raise TypeError(f"generator_options[{name!r}] must be a dict of option names to values, got "
                            f"{given!r}"[:300] + hint)


def _is_option(option: str) -> bool:
    """Whether some registered generator has an option named `option` (`num_choices`; not `points`
    of the generator depth.points)."""
    select_generators()  # load the registry
    return any(option in option_defaults(cls) for cls in GENERATORS.values())


def _exact(key: str) -> bool:
    """Whether `key` names generators themselves (with or without version), not a family or glob."""
    return not any(c in key for c in _GLOB_CHARS) and any(n == key or without_version(n) == key for n in GENERATORS)


def _unknown_option(key: str, option: str, classes: Sequence[type[Generator]]) -> GeneratorOptionError:
    """The error of an option that no generator `key` names has (or, for an exact name, it lacks)."""
    known = sorted({f for cls in classes for f in option_defaults(cls)})
    close = difflib.get_close_matches(option, known, n=1)
    others = [n for n, cls in sorted(GENERATORS.items()) if option in option_defaults(cls)]
    hint = (f" (did you mean '{close[0]}'?)" if close else
            f" (generators that have it: {', '.join(others[:5])}{' ...' if len(others) > 5 else ''})" if others else "")
    whose = f"{classes[0].name} has" if len(classes) == 1 else f"the generators {key} selects have"
    if re.fullmatch(r"v\d+", option) and f"{key}.{option}" in GENERATORS:  # `--set depth.points.v1=true`
        return GeneratorOptionError(f"generator option {key}.{option}: {key}.{option} is a generator, not an "
                                    f"option; give NAME.OPTION=VALUE, with OPTION one of {known}")
    return GeneratorOptionError(f"generator option {key}.{option}: {whose} no option '{option}'{hint}; "
                                f"options: {known}")


def resolve_settings(options: Mapping[str, Mapping[str, Any]]) -> Settings:
    """`options` ({NAME: {OPTION: VALUE}}) checked against the registered generators, as full
    generator name -> {option: value} (values as the config takes them: an int for a float field
    made a float, a box format its canonical name). Unknown names raise `UnknownGenerator` (a
    KeyError with close names); the rest `GeneratorOptionError`."""
    check_settings_type(options)
    select_generators()  # load the registry

    def bad(key: str, message: str) -> GeneratorOptionError:
        return GeneratorOptionError(f"generator option {key}: {message}")

    resolved: Settings = {}
    # families and globs first, exact names after them: an exact name wins
    for key in sorted(options, key=_exact):
        if "," in key:
            raise GeneratorOptionError(f"generator option {key}: one generator name, family or glob per key, "
                                       f"not a list; give each its own (--set per name)")
        first = next(iter(options[key]), "OPTION")
        try:
            classes = select_generators(key)  # UnknownGenerator with close names, as -g says it
        except KeyError as exc:
            exc.args = (f"generator option {key}.{first}: {exc.args[0]}",)
            raise
        exact = _exact(key)
        for option, value in options[key].items():
            having = [cls for cls in classes if option in option_defaults(cls)]
            if not having or (exact and len(having) < len(classes)):
                raise _unknown_option(key, option, [c for c in classes if c not in having] or classes)
            for cls in having:
                checked = _check_config(cls, {option: value}, key, bad)
                resolved.setdefault(cls.name, {}).update(checked)
    return {name: resolved[name] for name in sorted(resolved)}


def settings_for(options: Mapping[str, Mapping[str, Any]], run: Sequence[str]) -> Settings:
    """The settings of the run's generators (names `run`), checked; a key that sets an option of
    none of them is refused (naming the option and the generators it meant)."""
    resolved = resolve_settings(options)
    chosen = set(run)
    for key in options:
        for option in options[key]:
            meant = sorted(n for n, set_ in resolved.items() if option in set_
                           and _matches(n, GENERATORS[n].family, key))
            if meant and not chosen.intersection(meant):
                said = ", ".join(meant[:3]) + (f" and {len(meant) - 3} more" if len(meant) > 3 else "")
                raise GeneratorOptionError(
                    f"generator option {key}.{option}: {said} {'is' if len(meant) == 1 else 'are'} not among the "
                    "run's generators (chosen by -g/generators or the mixture), so the option would do nothing: "
                    "select it, or leave the option out")
    return {name: values for name, values in resolved.items() if name in chosen}


def apply_settings(instances: Sequence[Generator], settings: Settings) -> list[Generator]:
    """The run's generator instances with `settings` applied over their configs (which the
    mixture's `config:` and `per_scene` made)."""
    return [type(g)(dataclasses.replace(g.config, **settings[g.name])) if g.name in settings else g
            for g in instances]


def option_text(value: Any) -> str:
    """A value as `--set` reads it back (YAML): true/false, numbers that stay numbers (a float
    always with its point: "1e-05" would be text), quoted text where YAML reads it otherwise."""
    import json

    import yaml

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
        import numpy as np

        return np.format_float_positional(value, unique=True, trim="0")  # 1e-05 -> 0.00001, 1.0 -> 1.0
    if isinstance(value, str):
        try:
            same = yaml.safe_load(value) == value
        except yaml.YAMLError:
            same = False
        return value if same and value.strip() == value and value else json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(option_text(v) for v in value) + "]"
    return json.dumps(value)
