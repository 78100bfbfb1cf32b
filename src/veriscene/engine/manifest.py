"""The run manifest: what a run was made from and with, and what it produced.

`manifest.json` holds the inputs (path and sha256 of the scene file, or a list of them when the
input is several files), the filled configuration, the seed and the
veriscene version under "config" (whose hash keys the run), and, once finished, per-shard scene
ranges, sample counts and checksums. It contains no timestamps, so the same run gives the same
manifest. Resuming compares the stored config with the new one and refuses any difference.

Beside the config (so that neither the run's key nor the comparison above changes),
"fingerprints" maps each generator's name to a short hash of what fixes its questions' text and
programs as code can see it (`generator_fingerprint`): another build whose templates or wording
changed without a version bump is then refused on resume and noted by `verify`. Manifests written
before it have no "fingerprints": not recorded, never an error.

Beside them, "source" records a digest of the code itself (`engine.source_digest`: veriscene's
source files that generation runs, and each plugin module defining a run's generators), so wording
or programs changed in code without a version bump (an edited editable install) are refused on
resume too, and noted by `verify`. A manifest without it resumes as before and gains it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from pathlib import Path
from typing import Any

import orjson

from veriscene.engine.disk_space import temporary_for
from veriscene.engine.source_digest import changed_source, recorded_source, source_refusal, source_said
from veriscene.errors import DataError
from veriscene.option_names import option


class RunExistsError(FileExistsError):
    """The output folder already holds a run and neither resume nor overwrite was asked for."""


class ResumeMismatchError(ValueError):
    """--resume with a configuration or input different from the interrupted run's."""


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def scene_inputs(config: dict[str, Any]) -> list[dict[str, str]]:
    """The input files a run's config records, each as {"path", "sha256"} (path relative to the
    run folder): one (a dict in the manifest) or several (a list, `generate` on several files)."""
    scenes = config["scenes"]
    return [scenes] if isinstance(scenes, dict) else list(scenes)


def input_file(run_dir: Path, path: str) -> Path:
    """The local file of an input path a run's config records: relative to the run folder (or
    absolute), or a URL, read through its local copy (`engine.fetch.fetch_file`)."""
    from veriscene.engine.fetch import fetch_file
    from veriscene.engine.remote import is_url

    return fetch_file(path) if is_url(path) else run_dir / path


def config_key(config: dict[str, Any]) -> str:
    """16 hex digits of the config's hash; a config JSON cannot hold (an integer beyond 64 bits)
    is a ValueError (`generate` checks its options first, so this names only what they miss)."""
    try:
        data = orjson.dumps(config, option=orjson.OPT_SORT_KEYS)
    except TypeError as exc:
        raise ValueError(f"the run's configuration cannot be recorded in its manifest: {exc}") from None
    return hashlib.sha256(data).hexdigest()[:16]


def as_recorded(config: dict[str, Any]) -> dict[str, Any]:
    """The config as manifest.json records it (JSON: tuples become lists), what a resumed run's
    config is compared with: a mixture's modes are a tuple in the run, a list in the manifest."""
    recorded: dict[str, Any] = orjson.loads(orjson.dumps(config))
    return recorded


FINGERPRINT_CHARS = 16  # hex digits of a generator's fingerprint
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # in the repr of an object, different in every process


def _plain(value: Any) -> Any:
    """A value orjson cannot write, in a form that is the same in every process: sets sorted, other
    objects by their repr without memory addresses."""
    if isinstance(value, (set, frozenset)):
        return sorted(repr(v) for v in value)
    return _ADDRESS.sub("", repr(value))


def _config_fields(config_class: Any) -> list[list[Any]]:
    """[name, default] of each field of a generator's config dataclass (None: no default)."""
    if not (isinstance(config_class, type) and dataclasses.is_dataclass(config_class)):
        return []
    fields = []
    for f in dataclasses.fields(config_class):
        if f.default is not dataclasses.MISSING:
            default: Any = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = None
        fields.append([f.name, default])
    return fields


def generator_fingerprint(generator: Any) -> str:
    """16 hex digits of what fixes a generator's (class or instance) questions and programs as code
    can cheaply see it: name, version, family, answer type, templates, modes, requirements, group
    sizes and its config class's fields and defaults. Its source files are not hashed: a change
    in `propose` alone is not seen here (the run's code digest sees it, `engine.source_digest`).
    An instance is fingerprinted as its class (what `verify` looks up by name): a config may set
    an instance's own answer type (``marks: true`` answers point questions with a label)."""
    generator = generator if isinstance(generator, type) else type(generator)
    what = {
        "name": getattr(generator, "name", ""),
        "version": getattr(generator, "version", 0),
        "family": getattr(generator, "family", ""),
        "answer_type": getattr(generator, "answer_type", ""),
        "templates": getattr(generator, "templates", {}),
        "modes": getattr(generator, "modes", ()),
        "requires": getattr(generator, "requires", ()),
        "group_sizes": getattr(generator, "group_sizes", None),
        "config": _config_fields(getattr(generator, "Config", None)),
    }
    data = orjson.dumps(what, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=_plain)
    return hashlib.sha256(data).hexdigest()[:FINGERPRINT_CHARS]


def recorded_fingerprints(manifest: dict[str, Any] | None) -> dict[str, str]:
    """The generator fingerprints a manifest records ({} for one written before they were, or an
    entry that is not a name and a string: not recorded)."""
    recorded = manifest.get("fingerprints") if isinstance(manifest, dict) else None
    if not isinstance(recorded, dict):
        return {}
    return {k: v for k, v in recorded.items() if isinstance(k, str) and isinstance(v, str)}


def changed_fingerprints(recorded: dict[str, str], current: dict[str, str]) -> list[str]:
    """The generators (sorted) that both record a fingerprint and differ; a generator one side
    lacks is not counted here (its config says so, or it was not recorded)."""
    return sorted(name for name in set(recorded) & set(current) if recorded[name] != current[name])


def _names(names: list[str]) -> str:
    """Generator names as said in a message: the first 5, and how many more."""
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def wording_said(names: list[str]) -> str:
    """What a run's changed fingerprints mean, as said by resume and `verify`."""
    which = "generator" if len(names) == 1 else "generators"
    return (f"the templates, answer type or config fields of {which} {_names(names)} are not those that made the "
            "run (their fingerprints in manifest.json differ)")


def write_json(path: Path, data: object) -> None:
    with temporary_for(path) as tmp:  # removed if the write fails (a full disk, said naming `path`)
        tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
        os.replace(tmp, path)


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    path = out_dir / "manifest.json"
    if not path.exists():
        return None
    try:
        manifest = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise DataError(f"{path} is not valid JSON ({exc}); replace the run with "
                        f"{option('generate(overwrite=True)', '--overwrite')}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("config"), dict):
        raise DataError(f"{path} is not a run manifest (a JSON object with a \"config\" object); replace the run "
                         f"with {option('generate(overwrite=True)', '--overwrite')}")
    return manifest


VALUE_CHARS = 60  # of each side of a difference said in a resume mismatch


class _Absent:
    """A key one side of a difference lacks (a config field one release has and another has not)."""

    def __repr__(self) -> str:
        return "(absent)"


ABSENT = _Absent()


def _shown(value: Any) -> str:
    """A value as said in a difference: its repr, cut at a word boundary with an ellipsis past
    `VALUE_CHARS` characters."""
    text = repr(value)
    if len(text) <= VALUE_CHARS:
        return text
    cut = text[:VALUE_CHARS]
    boundary = max(cut.rfind(c) for c in " ,:")
    return (cut[:boundary + 1] if boundary > VALUE_CHARS // 2 else cut).rstrip() + " ..."


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Each difference as "dotted.key: old -> new", the key in full, each value cut short."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(set(old) | set(new))
        return [d for k in keys for d in _differences(old.get(k, ABSENT), new.get(k, ABSENT), f"{prefix}{k}.")]
    return [] if old == new else [f"{prefix.rstrip('.')}: {_shown(old)} -> {_shown(new)}"]


def _edited_inputs(old: Any, new: Any, out_dir: Path) -> list[str]:
    """The input files (as the manifest's `scenes` records them: a {path, sha256} or a list) that
    are at the same paths in `old` and `new` with other contents, named as a user gives them (a
    path relative to the run folder as seen from here); [] when the inputs are other files."""
    old, new = (x if isinstance(x, list) else [x] for x in (old, new))
    if len(old) != len(new) or not all(isinstance(x, dict) for x in (*old, *new)):
        return []
    if any(a.get("path") != b.get("path") for a, b in zip(old, new)):
        return []
    paths = [str(a.get("path")) for a, b in zip(old, new) if a.get("sha256") != b.get("sha256")]
    return [p if "://" in p or os.path.isabs(p) else os.path.normpath(out_dir / p) for p in paths]


def release_said(version: Any) -> str:
    """The release a manifest records, as said in messages."""
    return f"veriscene {version}" if isinstance(version, str) and version else "a veriscene release that did not record its version"


def fields_differ(stored: dict[str, Any], config: dict[str, Any]) -> bool:
    """Whether a generator of both configs has other config fields in one than in the other: a
    field added or removed, which only another build of veriscene gives (a mixture or Python
    sets values, never fields)."""
    old, new = stored.get("generators") or {}, config.get("generators") or {}
    for name in set(old) & set(new):
        a, b = (old[name] or {}).get("config"), (new[name] or {}).get("config")
        if isinstance(a, dict) and isinstance(b, dict) and set(a) != set(b):
            return True
    return False


def other_release(stored: dict[str, Any], config: dict[str, Any]) -> bool:
    """Whether the run `stored` was made by another release (or build) than the one `config` is
    of: its recorded version differs, or its generators' config fields do."""
    return stored.get("veriscene_version") != config.get("veriscene_version") or fields_differ(stored, config)


def check_resume(manifest: dict[str, Any], config: dict[str, Any], out_dir: Path,
                 fingerprints: dict[str, str] | None = None, source: dict[str, Any] | None = None,
                 finished: bool = False) -> str | None:
    """Raise ResumeMismatchError naming every difference between the stored and the new config;
    for a run another release made, both releases and the two ways on (finish it with the release
    that made it, or start afresh). `fingerprints`: this build's of the run's generators
    (`generator_fingerprint`); a generator whose recorded one differs is refused too, named.
    `source`: this process's code digest (`source_digest.source_record`); a recorded one that
    differs is refused too, saying which code changed. `finished`: the run is complete (every
    sample written): of the same configuration, it is resumed though its generators' fingerprints or
    its code changed, since nothing is made again (only an export, `generate --to`): the note
    saying so is returned (None when nothing changed)."""
    changed = changed_fingerprints(recorded_fingerprints(manifest), fingerprints or {})
    code = changed_source(recorded_source(manifest), source or {})
    config = as_recorded(config)  # compared as JSON: the manifest holds no tuple
    stored = manifest.get("config")
    if stored == config:
        if finished and (changed or code):
            said = "; and ".join([wording_said(changed)] * bool(changed) + [source_said(code)] * bool(code))
            return (f"{said}; the run had finished, so nothing is made again with this code: its samples are those "
                    "the run's code made")
        if changed:
            raise ResumeMismatchError(wording_refusal(out_dir, config.get("veriscene_version"), changed))
        if code:
            raise ResumeMismatchError(source_refusal(out_dir, config.get("veriscene_version"), code))
        return None
    stored = stored or {}
    diffs = [d for d in _differences(stored, config) if not d.startswith("veriscene_version:")]
    listed = "; ".join(diffs[:5]) + (f"; and {len(diffs) - 5} more" if len(diffs) > 5 else "")
    also = f"; and {wording_said(changed)}" if changed else ""
    if not other_release(stored, config):
        also += f"; and {source_said(code)}" if code else ""
        edited = _edited_inputs(stored.get("scenes"), config.get("scenes"), out_dir)
        if edited:
            others = [d for d in diffs if not d.startswith("scenes")]
            also = "".join(f"; and {d}" for d in others[:5]) + also
            raise ResumeMismatchError(
                f"cannot resume the run in {out_dir}: its input {', '.join(edited)} has changed since the run "
                f"started (manifest.json records another sha256 for it){also}. The shards made from the old "
                "file and those the new one would make do not go together: put back the file the run was made "
                f"from and resume, or start again with {option('overwrite=True', '--overwrite')}. Nothing was written.")
        raise ResumeMismatchError(
            f"cannot resume the run in {out_dir}: its configuration or input differs ({listed}){also}. "
            f"Use the original options{_options_said(stored, config)}, or {option('overwrite=True', '--overwrite')} "
            "to start again."
        )
    made, this = stored.get("veriscene_version"), config.get("veriscene_version")
    differs = f"the configuration differs: {listed}" if diffs else "the configuration is otherwise the same"
    raise ResumeMismatchError(release_refusal(out_dir, made, this, differs + also))


def _options_said(stored: dict[str, Any], config: dict[str, Any]) -> str:
    """The run's generator options (`generate --set`, `generator_options=`), as a resume with other
    ones is told them: the options to give again; "" when they do not differ."""
    made = stored.get("generator_options") or {}
    if made == (config.get("generator_options") or {}):
        return ""
    if not isinstance(made, dict) or not all(isinstance(v, dict) for v in made.values()):
        return ""
    if not made:
        return f" (the run was made without generator options: {option('generator_options=None', 'no --set')})"
    from veriscene.generators.generator_options import option_text

    given = " ".join(f"--set {name}.{key}={option_text(value)}"
                     for name, values in sorted(made.items()) for key, value in values.items())
    return f" (the run's generator options: {option(f'generator_options={made!r}', given)})"


def wording_refusal(out_dir: Path, this: Any, changed: list[str]) -> str:
    """Why a run of the same configuration is not resumed when generators' fingerprints differ:
    another build of the release (or of the plugin defining them) words their questions otherwise."""
    return (f"cannot resume the run in {out_dir}: {wording_said(changed)}; this is another build of veriscene "
            f"{this} (or of the plugin defining them) than the one that made the run, and resuming would mix two "
            "wordings in one run. Finish it with the build that made it (the same command with "
            f"{option('resume=True', '--resume')}), or start afresh with this one ({_afresh()}). Nothing was written.")


def _afresh() -> str:
    """How to start a run afresh, as the caller names options (`option_names`)."""
    return option("overwrite=True, or another out folder", "--overwrite, or another --out")


def release_refusal(out_dir: Path, made: Any, this: Any, differs: str) -> str:
    """Why a run another release made (`made`; `this`: the running one) is not resumed, with what
    differs besides and the two ways on. Same version strings: a development build."""
    if made == this:
        who = f"another build of veriscene {this} than this one"
    else:
        who = f"{release_said(made)}, and this is veriscene {this}"
    resume = option("resume=True", "--resume")
    finish = (f"pip install veriscene=={made}, then the same command with {resume}"
              if isinstance(made, str) and made else f"then the same command with {resume}")
    return (f"cannot resume the run in {out_dir}: it was made by {who}; {differs}. Another release makes other "
            f"samples from the same command, so the run cannot be finished with this one: finish it with the release "
            f"that made it ({finish}), or start afresh with this release ({_afresh()}). "
            "Nothing was written.")
