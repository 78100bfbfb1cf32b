"""The `veriscene generate` command line that makes a run again, rebuilt from its manifest.

`generate_command(manifest, run_dir)` turns the recorded configuration (and, for an input
converted from another format, `scenes.source.json`) back into options of `veriscene generate`,
each given only when it differs from the command's default (the seed and mode always); the
generator options the run was given (manifest "generator_options") as `--set NAME.OPTION=VALUE`,
whatever release made it. What the
command line cannot set is returned as notes: a multi-image pool size other than the default, a
scan chunk that is not a whole number of MiB, generator configs changed from Python, generators
this installation does not have. A run made with a mixture needs a mixture file: `mixture` is
one equivalent to the recorded mixture (checked by reading it back), else None with a note.

Generation is deterministic given input, configuration and release, so the command makes the
same samples (ids, order, answers) with the release named in the manifest. A run another release
made (its recorded version, or its generators' config fields, differ from this installation's) is
said as such (`Reproduction.release_text`): reproducing it needs that release, and its generator
configs' differences from this installation's defaults are information, not notes, since that
release gave its own defaults. A run of this release made by other code (the code's digest in
manifest.json "source" differs: an edited checkout, `source_digest.code_changed`) is said too: the
command makes other samples where that code's generators differ.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from veriscene.engine.converted import STAMP, TEXT_OPTIONS
from veriscene.engine.manifest import scene_inputs
from veriscene.engine.options import DEFAULT_MAX_SCENE_OBJECTS
from veriscene.engine.remote import is_url
from veriscene.engine.scan import DEFAULT_POOL_SIZE, SCAN_CHUNK_BYTES
from veriscene.engine.source_digest import code_changed, source_said

def _defaults() -> dict[str, Any]:
    """`generate`'s own defaults, read from it (not written twice)."""
    import inspect

    from veriscene.engine.generate import generate
    from veriscene.generators.base import GeneratorConfig

    given = inspect.signature(generate).parameters
    return {"shard_size": given["shard_size"].default, "shard_format": given["shard_format"].default,
            "per_scene": GeneratorConfig().per_scene}


DEFAULTS = _defaults()
_MODE_OPTION = {("qa", "mc"): "both", ("qa",): "qa", ("mc",): "mc"}
_MIB = 1 << 20


@dataclass
class Reproduction:
    argv: list[str]  # ["veriscene", "generate", INPUT, "--out", "OUT", ...]
    mixture: dict[str, Any] | None = None  # content of the mixture file `--mixture` names
    notes: list[str] = field(default_factory=list)  # what the command line cannot set
    made_by: str | None = None  # the veriscene version the manifest records (None: not recorded)
    installed: str = ""  # the veriscene version asked (this installation's)
    other_build: bool = False  # same version string, other generator config fields: another build
    # for a run of another release: "generator: field: recorded -> this release's default", each
    # generator config that differs from this installation's defaults (information only: the
    # release that made the run gives its own defaults)
    changes: list[str] = field(default_factory=list)
    # what of the code that makes samples differs from the run's ("veriscene", plugin modules;
    # `source_digest.code_changed`): the same release, other code
    code: list[str] = field(default_factory=list)

    @property
    def command(self) -> str:
        return shlex.join(self.argv)

    @property
    def same_release(self) -> bool:
        """Whether this installation makes the run again byte for byte (given the command)."""
        return self.made_by == self.installed and not self.other_build and not self.code

    def code_text(self) -> str | None:
        """What reproducing needs when this release's code is not the run's (Markdown), else None."""
        if not self.code:
            return None
        return (f"Note: {source_said(self.code)}, though the release is the same (veriscene {self.installed}): "
                "the command makes the run again byte for byte only with the code that made it; with this code "
                "its output differs where the generators changed (their wording, the questions they ask).")

    def release_text(self) -> str | None:
        """What reproducing needs when another release made the run (Markdown), None when this
        installation is the release that made it."""
        if self.same_release:
            return None
        if self.made_by == self.installed and not self.other_build:  # this release, other code
            return self.code_text()
        if self.made_by is None:
            text = (f"The run's manifest does not record the veriscene release that made it, and this is veriscene "
                    f"{self.installed}: the command makes the same samples only with the release that made it.")
        else:
            who = (f"another build of veriscene {self.made_by} than this installation (a development build "
                   "of one of them)" if self.other_build else f"veriscene {self.made_by}; this is veriscene {self.installed}")
            text = (f"The run was made by {who}. Making it again byte for byte (sample ids, order, questions and "
                    f"answers) needs the veriscene {self.made_by} that made it (`pip install veriscene=={self.made_by}`"
                    f"{', if it was the release' if self.other_build else ''}): another release may word questions "
                    "and answers otherwise, or ask other ones, from the same command.")
        if self.changes:
            here = "this installation's" if self.other_build else f"veriscene {self.installed}'s"
            text += (f" For information, the generator configs the run recorded differ from {here} defaults "
                     "(each release gives its own; nothing to set):\n\n"
                     + "\n".join(f"- {c}" for c in self.changes))
        return text


def read_stamp(run_dir: Path) -> dict[str, Any] | None:
    """The conversion record of a run made `--from` another format, or None."""
    path = run_dir / STAMP
    try:
        stamp = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return stamp if isinstance(stamp, dict) and isinstance(stamp.get("key"), dict) else None


def _option_text(value: Any) -> str | None:
    """A reader option as `-r KEY=VALUE` text (see `parse_reader_options`), None if it has none."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]}x{value[1]}"  # image_size
    if _is_path(value):
        return str(value[0])  # a path, recorded with its fingerprint
    return None


def _is_path(value: Any) -> bool:
    """Whether a stamp's option value is a path recorded with its fingerprint ([path, "sha256:..."])."""
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[1], str)
            and value[1].startswith(("sha256:", "files:")))


def _input_args(config: dict[str, Any], run_dir: Path, stamp: dict[str, Any] | None,
                notes: list[str]) -> list[str]:
    """The input argument, relative to the folder holding the run, with --from/-r/--strict."""
    run_dir = run_dir.resolve()
    if stamp is None:  # the input files, in order
        return [str(entry["path"]) if is_url(str(entry["path"])) else os.path.normpath(os.path.join(run_dir.name, str(entry["path"])))
                for entry in scene_inputs(config)]
    key = stamp["key"]
    source = str(key["input"])
    args = [source if is_url(source) else os.path.relpath(source, run_dir.parent), "--from", str(key["format"])]
    paths = stamp.get("option_paths")
    paths = paths if isinstance(paths, dict) else {}  # (none in the stamp of an earlier release: see below)
    for name, value in sorted((key.get("options") or {}).items()):
        text = _option_text(value)
        # (a text option, id_prefix=coco/, that an earlier release fingerprinted as the folder it named: as given)
        where = paths.get(name) if name not in TEXT_OPTIONS else None
        if isinstance(where, str) and text is not None:  # a path: rebased as the input is
            text = os.path.relpath(where, run_dir.parent)
        elif (_is_path(value) and name not in TEXT_OPTIONS and not os.path.isabs(str(value[0]))
              and not is_url(str(value[0]))):
            notes.append(f"reader option {name}={value[0]} is the path as given to generate, relative to the folder "
                         "it ran in (scenes.source.json does not say which): give it from the folder holding "
                         "the run")
        if text is None:
            notes.append(f"reader option {name}={value!r} has no command-line form: give it from Python "
                         "(generate(..., reader_options=...))")
        else:
            args += ["-r", f"{name}={text}"]
    return args + (["--strict"] if key.get("strict") else [])


def _generator_pattern(names: list[str], family_of: dict[str, str]) -> str | None:
    """The shortest -g text selecting exactly `names` among the generators `family_of` names
    (whole families by name), None for all."""
    chosen = set(names)
    if chosen == set(family_of):
        return None
    families: dict[str, set[str]] = {}
    for name, family in family_of.items():
        families.setdefault(family, set()).add(name)
    whole = sorted(f for f, members in families.items() if members <= chosen)
    covered = set().union(*(families[f] for f in whole)) if whole else set()
    return ",".join(whole + sorted(chosen - covered))


def _expected_configs(generators: dict[str, Any], registry: dict[str, Any], fixed: dict[str, dict[str, Any]],
                      per_scene: int | None, plugged: set[str], notes: list[str]) -> dict[str, dict[str, Any]]:
    """The config the command gives each recorded generator here (default config, mixture
    overrides `fixed`, --per-scene), as JSON reads it back; one this installation lacks is a
    note (but for those of the run's plugins, `plugged`, not loaded here)."""
    expected = {}
    for name in sorted(generators):
        cls = registry.get(name)
        if cls is None:
            if name not in plugged:
                notes.append(f"generator {name} is not registered in this installation")
            continue
        config = asdict(cls.Config()) | fixed.get(name, {})
        if per_scene is not None and "per_scene" not in fixed.get(name, {}):
            config["per_scene"] = per_scene
        expected[name] = orjson.loads(orjson.dumps(config))
    return expected


def _field_changes(recorded: Any, expected: dict[str, Any]) -> list[str]:
    """Each field of a generator config that differs, as "field: recorded -> here"."""
    recorded = recorded if isinstance(recorded, dict) else {}
    said = []
    for key in sorted(set(recorded) | set(expected)):
        old = repr(recorded[key]) if key in recorded else "(not recorded: the run's release had no such field)"
        new = repr(expected[key]) if key in expected else "(no such field here)"
        if old != new:
            said.append(f"{key}: {old} -> {new}")
    return said


def _config_check(generators: dict[str, Any], expected: dict[str, dict[str, Any]], made_by: str | None,
                  installed: str) -> tuple[list[str], list[str], bool]:
    """(notes, changes, other_build) for the recorded generator configs against `expected`.

    Made by this release: a config other than the command gives was set from Python or a mixture,
    a note (what the command line cannot give). Made by another release or build (the version, or
    a generator's config fields, differ): the differences are information (`changes`), since that
    release's defaults are not known here."""
    differing = {name: entry.get("config") for name, entry in generators.items()
                 if name in expected and entry.get("config") != expected[name]}
    other_build = any(not isinstance(c, dict) or set(c) != set(expected[n]) for n, c in differing.items())
    if made_by != installed or other_build:
        changes = [f"{name}: {change}" for name, config in sorted(differing.items())
                   for change in _field_changes(config, expected[name])]
        return [], changes, other_build and made_by == installed
    notes = [f"generator {name} ran with config {config} (recorded in manifest.json), which the command line "
             "does not give" for name, config in sorted(differing.items())]
    return notes, [], False


def _per_scene(generators: dict[str, Any], fixed: dict[str, dict[str, Any]]) -> int | None:
    """The --per-scene value the run was made with (None: the default), from the generators
    whose per_scene no mixture override set."""
    values = {entry.get("config", {}).get("per_scene") for name, entry in generators.items()
              if "per_scene" not in fixed.get(name, {})}
    if len(values) == 1:
        (value,) = values
        if isinstance(value, int) and value != DEFAULTS["per_scene"]:
            return value
    return None


def _settings(recorded: Any) -> dict[str, dict[str, Any]]:
    """The generator options a run recorded (`generate --set`, "generator_options": full name ->
    option -> value; {} for none, or for a run made before they were recorded)."""
    if not isinstance(recorded, dict):
        return {}
    return {name: dict(values) for name, values in recorded.items() if isinstance(values, dict)}


def _set_args(settings: dict[str, dict[str, Any]]) -> list[str]:
    """`--set NAME.OPTION=VALUE` of each recorded generator option, by name then as recorded."""
    from veriscene.generators.generator_options import option_text

    return [arg for name in sorted(settings) for option, value in settings[name].items()
            for arg in ("--set", f"{name}.{option}={option_text(value)}")]


def mixture_file(recorded: dict[str, Any]) -> dict[str, Any] | None:
    """A mixture file (as a dict to dump in YAML) giving the recorded mixture, or None when the
    rebuilt file does not read back to the same mixture."""
    from veriscene.generators.mixture import Mixture, MixtureError

    generators: dict[str, Any] = dict(recorded.get("weights") or {})
    for name, config in (recorded.get("configs") or {}).items():
        if name not in generators:
            return None  # a config given through a glob: the file is not rebuilt
        generators[name] = {"weight": generators[name], "config": config}
    data = {"budget": recorded.get("budget"), "modes": list(recorded.get("modes") or []),
            "default_weight": recorded.get("default_weight"), "families": recorded.get("families") or {},
            "generators": generators}
    data = {k: v for k, v in data.items() if v is not None}
    try:
        rebuilt = asdict(Mixture.from_dict(data))
    except MixtureError:
        return None
    rebuilt.pop("source", None)
    same = orjson.loads(orjson.dumps(rebuilt)) == orjson.loads(orjson.dumps(recorded))
    return data if same else None


def generate_command(manifest: dict[str, Any], run_dir: Path) -> Reproduction:
    """The command (run from the folder holding `run_dir`) that makes the run again; see the
    module notes."""
    from veriscene.generators.registry import GENERATORS, select_generators

    select_generators()  # load the registry
    config = manifest["config"]
    notes: list[str] = []
    argv = ["veriscene", "generate", *_input_args(config, run_dir, read_stamp(run_dir), notes), "--out", "OUT",
            "--seed", str(config["seed"])]
    plugins = config.get("plugins") or {}  # generators of the user's own (`generators.plugins`)
    plugged = {name for entry in plugins.values() for name in entry.get("generators", ())}
    for name, entry in plugins.items():
        argv += ["--plugins", name]
        notes.append(f"the plugin {name} is needed, with SHA-256 {entry.get('sha256')} (manifest.json: "
                     "config.plugins): the run's own generators are in it")
    generators = config.get("generators") or {}
    recorded_mixture = config.get("mixture")
    mixture = None
    fixed: dict[str, dict[str, Any]] = {}
    if recorded_mixture:
        fixed = recorded_mixture.get("configs") or {}
        mixture = mixture_file(recorded_mixture)
        argv += ["--mixture", "MIXTURE.yaml"]
        if mixture is None:
            notes.append("the mixture (config.mixture in manifest.json) could not be written back as a mixture "
                         "file: make MIXTURE.yaml from it by hand")
    else:
        argv += ["--mode", _MODE_OPTION.get(tuple(config.get("modes") or ()), "both")]
        family_of = {name: cls.family for name, cls in GENERATORS.items()}
        family_of.update({name: generators[name].get("family", "") for name in plugged if name in generators})
        pattern = _generator_pattern(sorted(generators), family_of)
        if pattern is not None:
            argv += ["-g", pattern]
    settings = _settings(config.get("generator_options"))
    fixed = {name: fixed.get(name, {}) | settings.get(name, {}) for name in set(fixed) | set(settings)}
    per_scene = _per_scene(generators, fixed)
    if per_scene is not None:
        argv += ["--per-scene", str(per_scene)]
    argv += _set_args(settings)
    argv += _engine_args(config, notes)
    expected = _expected_configs(generators, GENERATORS, fixed, per_scene, plugged, notes)
    made_by = config.get("veriscene_version") if isinstance(config.get("veriscene_version"), str) else None
    installed = _installed()
    config_notes, changes, other_build = _config_check(generators, expected, made_by, installed)
    return Reproduction(argv, mixture, notes + config_notes, made_by=made_by, installed=installed,
                        other_build=other_build, changes=changes, code=code_changed(manifest, installed))


def _installed() -> str:
    from veriscene import __version__

    return __version__


def _engine_args(config: dict[str, Any], notes: list[str]) -> list[str]:
    args = []
    if config.get("shard_size", DEFAULTS["shard_size"]) != DEFAULTS["shard_size"]:
        args += ["--shard-size", str(config["shard_size"])]
    if config.get("shard_format", DEFAULTS["shard_format"]) != DEFAULTS["shard_format"]:
        args += ["--shard-format", str(config["shard_format"])]
    chunk = int(config.get("scan_chunk_bytes", SCAN_CHUNK_BYTES))
    if chunk != SCAN_CHUNK_BYTES:
        if chunk % _MIB == 0:
            args += ["--scan-chunk-mb", str(chunk // _MIB)]
        else:
            notes.append(f"the scan read {chunk} bytes a chunk: give scan_chunk={chunk} from Python")
    pool = config.get("pool_size", DEFAULT_POOL_SIZE)
    if pool != DEFAULT_POOL_SIZE:
        notes.append(f"the multi-image pool held {pool} scenes: give pool_size={pool} from Python")
    # none recorded: made by a release without the option (no limit, and nothing to give it)
    limit = config.get("max_scene_objects", DEFAULT_MAX_SCENE_OBJECTS)
    if limit != DEFAULT_MAX_SCENE_OBJECTS:
        args += ["--max-scene-objects", str(limit)]
    return args
