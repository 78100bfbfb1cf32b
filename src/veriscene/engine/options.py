"""Checking `generate`'s options and choosing its generators, before any file is read or written.

The CLI's checks are these (`_check_options`, `check_int`), so the API refuses what the CLI refuses.
`_selection` turns `generators`/`mode`/`per_scene` or a mixture into the run's generator instances.
"""

from __future__ import annotations

import operator
import os
from dataclasses import asdict
from pathlib import Path
from collections.abc import Mapping, Sequence
from typing import Any, SupportsIndex

from veriscene.engine.backends import BACKENDS, check_workers, cluster_address
from veriscene.engine.codecs import check_available
from veriscene.generators import Generator, select_generators
from veriscene.generators.generator_options import (
    GeneratorOptionError, Settings, apply_settings, check_settings_type, settings_for,
)
from veriscene.generators.mixture import MAX_PER_SCENE, Mixture
from veriscene.option_names import option

MODE_CHOICES = {"qa": ("qa",), "mc": ("mc",), "both": ("qa", "mc")}

# Ranges of the numeric options (orjson records integers of at most 64 bits in the manifest).
SEED_RANGE = (-(2**63), 2**64 - 1)
MAX_SHARD_SIZE = 1_000_000  # scenes; memory holds ~2 x workers shards of samples
MAX_POOL_SIZE = 1_000_000  # scenes every worker holds for multi-image partners
MAX_SCAN_CHUNK = 1 << 40  # bytes (1 TiB, --scan-chunk-mb 1048576); a larger file is one chunk anyway
# Objects a scene may hold before `generate` rejects it (`max_scene_objects`, --max-scene-objects;
# 0: no limit). Generation grows faster than the objects where they crowd (pairs that may be
# confused, regions, depth orders): one scene of 20,000 objects takes 10-15 s and 0.3-0.4 GB, of
# 50,000 25-65 s, of 224,000 minutes and gigabytes, where one of a few dozen takes milliseconds
# (benchmarks/scene_density.py). No data set's image has thousands of objects; a converter or an
# automatic mask generator gone wrong makes such scenes. A count, not a time: the output must not
# depend on the machine.
DEFAULT_MAX_SCENE_OBJECTS = 20_000


def parse_modes(mode: str | Sequence[str]) -> tuple[str, ...]:
    """The modes of a run, in the order of their samples (qa before mc): "qa", "mc", "both", or a
    non-empty list of "qa" and "mc"."""
    if isinstance(mode, str):
        if mode not in MODE_CHOICES:
            raise ValueError(f"mode must be one of {sorted(MODE_CHOICES)}, got {mode!r}")
        return MODE_CHOICES[mode]
    modes = list(mode)
    if not modes or any(not isinstance(m, str) or m not in MODE_CHOICES["both"] for m in modes):
        raise ValueError(f"mode must be one of {sorted(MODE_CHOICES)} or a non-empty list of 'qa' and 'mc', "
                         f"got {mode!r}")
    return tuple(m for m in MODE_CHOICES["both"] if m in modes)


def check_int(name: str, value: object, low: int, high: int) -> int:
    """`value` as an int, refused unless a whole number (not a bool) from `low` to `high`."""
    if isinstance(value, bool) or not isinstance(value, SupportsIndex):  # numpy integers too; not floats
        raise TypeError(f"{name} must be an integer, got {value!r}")
    number = operator.index(value)
    if number < low:
        raise ValueError(f"{name} must be at least {low}, got {number}")
    if number > high:
        raise ValueError(f"{name} must be at most {high}, got {number}")
    return number


def check_scene_limit(value: object) -> None:
    """Refuse a `max_scene_objects` that is neither None nor a whole number from 0 to 2**63 - 1."""
    if value is not None:
        check_int("max_scene_objects", value, 0, 2**63 - 1)


def scene_object_limit(value: int | None, manifest: Mapping[str, Any] | None) -> int:
    """The most objects a scene of the run may hold (0: no limit): `value` when given; for None,
    the limit of the run being resumed (`manifest`; none for one made before the limit existed,
    whose manifest records none), else `DEFAULT_MAX_SCENE_OBJECTS`."""
    if value is not None:
        return value
    if manifest is not None:
        recorded = (manifest.get("config") or {}).get("max_scene_objects", 0)
        return recorded if isinstance(recorded, int) and not isinstance(recorded, bool) else 0
    return DEFAULT_MAX_SCENE_OBJECTS


def check_flags(**flags: object) -> None:
    """Refuse a true/false argument given anything but True or False: text where a flag goes
    ("no", "false") is true in Python, so `strict="no"` would have run strict."""
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {value!r}")


def check_path(name: str, value: object, what: str) -> None:
    """Refuse a `value` that is no path (None, a number) for the argument `name`, `what` it names
    ("the run folder"), before any work: said for the argument, not as os.fspath's TypeError."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be {what}, a str or a path; got {value!r}")


def check_callback(called: str, value: object) -> None:
    """Refuse a callback that is neither None nor callable, named by how it is `called`
    ("progress(scenes, samples)"), before any work (a number was called only part-way through)."""
    if value is not None and not callable(value):
        name = called.partition("(")[0]
        raise TypeError(f"{name} must be a function, called as {called}, or None; got {value!r}")


def _instances(generators: str | None, per_scene: int | None) -> list[Generator]:
    instances = []
    for cls in select_generators(generators):
        config = cls.Config() if per_scene is None else cls.Config(per_scene=per_scene)
        instances.append(cls(config))
    return instances


def _check_options(*, per_scene: int | None, workers: int | None, backend: str, address: str | None,
                   shared_output: bool | None, shard_size: int, shard_format: str, pool_size: int,
                   scan_chunk: int, generators: str | None, reader_options: Mapping[str, Any] | None = None,
                   from_format: str = "jsonl", generator_options: object = None) -> None:
    """Refuse bad options before any file is read or written (the CLI's checks are these)."""
    check_settings_type(generator_options)
    if not isinstance(from_format, str):
        raise TypeError(f"from_format must be the name of an input format (a str: 'jsonl', 'coco', 'auto'...), "
                        f"got {from_format!r}")
    if per_scene is not None:
        check_int("per_scene", per_scene, 1, MAX_PER_SCENE)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    if backend == "ray":
        cluster_address(address)  # a malformed address (or RAY_ADDRESS) is refused before Ray starts
    check_workers(workers, backend, address)
    check_int("shard_size", shard_size, 1, MAX_SHARD_SIZE)
    check_int("pool_size", pool_size, 0, MAX_POOL_SIZE)
    check_int("scan_chunk", scan_chunk, 1, MAX_SCAN_CHUNK)
    check_available(shard_format)
    if shared_output is not None:
        check_flags(shared_output=shared_output)
    if shared_output and backend != "ray":
        raise ValueError("shared_output is for the Ray backend (local workers always write their own shards)")
    if address is not None and backend != "ray":
        ray = option("backend='ray'", "--backend ray")
        raise ValueError(f"address is for the Ray backend ({ray}); the local backend runs on this machine")
    if generators is not None and not isinstance(generators, str):
        raise TypeError(f"generators must be a str of comma-separated names, globs or families (e.g. "
                        f"'counting,relation.*'), got {generators!r}")
    if reader_options is not None and not isinstance(reader_options, Mapping):
        raise TypeError(f"reader_options must be a dict of reader option names and values (e.g. "
                        f"{{'id_prefix': 'vg/'}}), got {reader_options!r}")
    if generators is not None and not generators.strip():
        raise ValueError("generators is empty: give names, globs or families (or leave it out for all)")


Selection = tuple[Mixture | None, tuple[str, ...], list[Generator]]  # (mixture, modes, generators)


def _selection(generators: str | None, mode: str | Sequence[str] | None, per_scene: int | None,
               mixture: str | os.PathLike[str] | Mapping[str, Any] | Mixture | None, out: str | os.PathLike[str] | None = None,
               plugins_given: bool = True) -> Selection:
    """(the mixture, the modes, the generator instances) of a run; a mixture sets the generators
    and the modes itself, so `generators` or `mode` with it is refused. An unknown generator's
    KeyError names the plugins the run in `out` was made with, when not loaded now, or else, for a
    run given no plugin (`plugins_given` False) and a name close to none (a typo'd "relaton.*"
    gets the did-you-mean alone), says how generators of your own are loaded."""
    try:
        return _chosen(generators, mode, per_scene, mixture)
    except KeyError as exc:
        raise _hinted(exc, out, plugins_given) from None


def _hinted(exc: KeyError, out: str | os.PathLike[str] | None, plugins_given: bool) -> KeyError:
    """An unknown generator's KeyError, with what `_selection` says of plugins."""
    suggested = bool(getattr(exc, "suggestions", None))  # (registry.UnknownGenerator's close names)
    hint = _plugins_hint(out) or ("" if plugins_given or suggested else no_plugins_hint())
    return KeyError(f"{exc.args[0] if exc.args else exc}; {hint}") if hint else exc


def _with_options(generator_options: Mapping[str, Mapping[str, Any]] | None, mix: Mixture | None,
                  instances: list[Generator], out: str | os.PathLike[str] | None = None,
                  plugins_given: bool = True) -> tuple[list[Generator], Settings]:
    """The run's generators with `generator_options` applied (`generators.generator_options`: they
    win over the mixture's config and `per_scene`), and the settings as the manifest records them
    (full generator name -> option -> value; {} when none given)."""
    if not generator_options:
        return instances, {}
    try:
        settings = settings_for(generator_options, [g.name for g in instances])
    except KeyError as exc:
        raise _hinted(exc, out, plugins_given) from None
    if mix is not None and mix.budget is not None:
        fixed = sorted(name for name, values in settings.items() if "per_scene" in values)
        if fixed:
            raise GeneratorOptionError(
                f"generator option {fixed[0]}.per_scene has no effect with the mixture's budget ({mix.budget} "
                f"samples per scene, split between the generators; {mix.source}): give one of them")
    return apply_settings(instances, settings), settings


# `-g example` with examples/my_generators.py left out said only "unknown generator 'example'"
def no_plugins_hint() -> str:
    """`-g example` with examples/my_generators.py left out said only "unknown generator 'example'"."""
    return ("no plugin was given: generators of your own need "
            f"{option('plugins=[FILE.py or MODULE]', '--plugins FILE.py|MODULE')}")


def _plugins_hint(out: str | os.PathLike[str] | None) -> str:
    """What to say of the plugins recorded by the run in folder `out` that are not loaded."""
    from veriscene.engine.manifest import read_manifest
    from veriscene.generators.plugins import loaded_names

    try:
        manifest = read_manifest(Path(out)) if out is not None and Path(out).is_dir() else None
    except (ValueError, OSError):
        return ""
    recorded = (manifest or {}).get("config", {}).get("plugins") or {}
    missing = [name for name in sorted(recorded) if name not in loaded_names()]
    if not missing:
        return ""
    return f"the run in {out} was made with the plugin(s) {', '.join(missing)}: give them again ({option('plugins=', '--plugins')})"


def _chosen(generators: str | None, mode: str | Sequence[str] | None, per_scene: int | None,
            mixture: str | os.PathLike[str] | Mapping[str, Any] | Mixture | None) -> Selection:
    if mixture is None:
        instances = _instances(generators, per_scene)
        if not instances:
            raise ValueError("no generator selected")
        return None, parse_modes("both" if mode is None else mode), instances
    if isinstance(mixture, Mapping):  # a notebook's mixture: the content a YAML file would hold, checked alike
        mixture = Mixture.from_dict(mixture, source="mixture")
    if not isinstance(mixture, (Mixture, str, os.PathLike)):  # a number was opened as a file descriptor
        raise TypeError(f"mixture must be a mixture YAML file (a str or a path), its content as a dict, or a "
                        f"Mixture, got {mixture!r}")
    mix = mixture if isinstance(mixture, Mixture) else Mixture.load(mixture)
    if generators is not None:
        raise ValueError(f"give either a mixture or {option('generators', '--generators')}, not both")
    if mode is not None:
        raise ValueError(f"give either a mixture or {option('mode', '--mode')}, not both (the mixture's modes key sets "
                         "the modes)")
    instances = mix.make_generators(per_scene)
    if not instances:
        raise ValueError("no generator selected")
    return mix, mix.modes, instances


def _mixture_config(mix: Mixture | None) -> dict[str, Any] | None:
    if mix is None:
        return None
    data = asdict(mix)
    data.pop("source", None)  # where the file was does not change the samples
    return data
