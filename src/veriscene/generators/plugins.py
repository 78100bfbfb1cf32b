"""Generators (and ops) of your own: Python files or modules imported before a run.

    veriscene generate scenes.jsonl run --plugins my_generators.py
    veriscene.generate("scenes.jsonl", "run", plugins=["my_generators.py", "mypackage.generators"])

A plugin is a Python file (a path ending in ".py") or the name of an importable module. Importing
it runs its `@register(...)` (and `@op(...)`) decorators, which add its generators to the
registry beside the built-in ones: they are then selected like them (`generators=None` takes
every registered generator, a family or glob takes theirs too).

`load_plugins` imports each plugin once per process and returns what it is: its name, the SHA-256
of its source file and the generators it registered. The engine records that in the run's
configuration (so `--resume` refuses a run whose plugin changed) and loads the same plugins in
every worker: a local process pool inherits them; Ray workers import a file plugin from the
source the driver read (`plugin_sources`, sent with the run), so a file on the driver's machine
runs on every node of a cluster, the same code whatever the node holds at that path. A module
plugin must be installed on every node (as any package the workers import).

A file already imported under another name (``import my_generators`` in a notebook, then
``plugins=["my_generators.py"]``) is not imported again: its generators would be registered twice.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterable
from types import ModuleType
from typing import Any, Sequence

from veriscene.generators.registry import GENERATORS, _load_builtin

# plugin spec (a resolved file path or a module name) -> the Plugin it was loaded as, per process
_LOADED: dict[str, "Plugin"] = {}


@dataclass(frozen=True)
class Plugin:
    """One loaded plugin: how it was given, what it is and what it added."""

    spec: str  # the resolved path of a file, or a module name: what a worker loads
    name: str  # the file's name or the module's: what the run's configuration records
    sha256: str  # of its source file ("" for a module without one)
    generators: tuple[str, ...]  # the generators it registered, sorted
    source: bytes = field(default=b"", repr=False, compare=False)  # a file's source, as imported

    def config(self) -> dict[str, Any]:
        """What a run's configuration records of it, under its name: the source's hash and its
        generators, not where it lies (a run moved with its plugin resumes)."""
        return {"sha256": self.sha256, "generators": list(self.generators)}


def loaded_names() -> set[str]:
    """The names (`Plugin.name`) of the plugins loaded in this process."""
    return {p.name for p in _LOADED.values()}


def plugins_config(loaded: Sequence[Plugin]) -> dict[str, dict[str, Any]]:
    """A run configuration's record of its plugins: name -> `Plugin.config` (a resume whose
    plugin changed names it: "plugins.my_generators.py.sha256: '03a9...' -> '5b1e...'")."""
    names = [p.name for p in loaded]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"two plugins are named {twice[0]}: rename one (a run records its plugins by name)")
    return {p.name: p.config() for p in loaded}


def plugin_specs(plugins: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None) -> list[str]:
    """The plugins as a list (one string may list several, comma-separated)."""
    if plugins is None:
        return []
    if isinstance(plugins, (str, os.PathLike)):
        plugins = [plugins]
    if not isinstance(plugins, Iterable):  # a number was "'int' object is not iterable"
        raise TypeError(f"plugins must be a Python file or module name (a str or a path), or a list of them, "
                        f"got {plugins!r}")
    specs: list[str] = []
    for given in plugins:
        if not isinstance(given, (str, os.PathLike)):
            raise TypeError(f"a plugin is a Python file path or a module name, got {given!r}")
        text = os.fspath(given)
        specs += [part.strip() for part in text.split(",") if part.strip()] if not _is_file(text) else [text]
    return specs


def load_plugins(plugins: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None,
                 sources: Sequence[tuple[str, bytes]] = ()) -> list[Plugin]:
    """Import each plugin (a ".py" file or a module name) once in this process; the loaded plugins,
    in the order given. A missing file or module, or one that fails to import, raises
    ValueError naming it (and the error its code raised).

    `sources`: (resolved path, source) of file plugins as another process read them
    (`plugin_sources`): a file missing here, or different here, is imported from that source
    under its path's name, so that a worker runs the code the run recorded."""
    _load_builtin()  # a plugin's name clashing with a built-in is found when it registers
    given = dict(sources)
    return [_load(spec, given.get(spec)) for spec in plugin_specs(plugins)]


def plugin_sources(loaded: Sequence[Plugin]) -> tuple[tuple[str, bytes], ...]:
    """(resolved path, source) of the loaded file plugins, the source as imported here, for workers
    that may not have the file, or another version of it (`load_plugins(..., sources=)`)."""
    return tuple((p.spec, p.source) for p in loaded if p.source)


def _is_file(text: str) -> bool:
    return text.endswith(".py") or os.sep in text or "/" in text


def _load(given: str, source: bytes | None = None) -> Plugin:
    if _is_file(given):
        path = Path(given).expanduser().resolve()
        spec = str(path)
        if spec in _LOADED:
            return _LOADED[spec]
        if source is not None and not (path.is_file() and _digest(path.read_bytes()) == _digest(source)):
            before = set(GENERATORS)
            module = _import_file(path, given, source)
            plugin = Plugin(spec, path.name, _digest(source), _added(module, before), source)
            _LOADED[spec] = plugin
            return plugin
        if not path.is_file():
            raise ValueError(f"plugin file {given} does not exist" if not path.exists() else
                             f"plugin {given} is not a file (give a Python file or a module name)")
        imported = _imported_file(path)
        before = set(GENERATORS)
        source = path.read_bytes()  # before the import: what the run records is what ran
        module = imported if imported is not None else _import_file(path, given, source)
        plugin = Plugin(spec, path.name, _digest(source), _added(module, before), source)
    else:
        if given in _LOADED:
            return _LOADED[given]
        before = set(GENERATORS)
        try:
            module = importlib.import_module(given)
        except ModuleNotFoundError as exc:
            if exc.name is not None and given.startswith(exc.name):
                raise ValueError(f"plugin module {given!r} not found: give a Python file (my_generators.py) or "
                                 "the name of a module this Python can import") from None
            raise ValueError(f"plugin module {given!r} failed to import: {_said(exc)}") from exc
        except Exception as exc:  # noqa: BLE001 - any error of the user's code, named
            raise ValueError(f"plugin module {given!r} failed to import: {_said(exc)}") from exc
        source = getattr(module, "__file__", None)
        plugin = Plugin(given, given, _digest(Path(source).read_bytes()) if source else "", _added(module, before))
    _LOADED[plugin.spec] = plugin
    return plugin


def _imported_file(path: Path) -> ModuleType | None:
    """The module already imported from `path`, if any (under whatever name)."""
    for module in list(sys.modules.values()):
        source = getattr(module, "__file__", None)
        if source and Path(source).resolve() == path:
            return module
    return None


def _import_file(path: Path, given: str, source: bytes) -> ModuleType:
    """Import the `source` of file `path` (read there, or sent by the driver) as a module named
    after the file and its folder's hash (two `gen.py` of different folders do not clash), kept in
    sys.modules so its classes pickle; compiled under its path, so errors name the file."""
    digest = hashlib.sha256(str(path.parent).encode("utf-8")).hexdigest()[:8]
    name = f"veriscene_plugin_{digest}_{path.stem}".replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"plugin {given} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        exec(compile(source, str(path), "exec"), module.__dict__)  # noqa: S102 - the user's plugin
    except Exception as exc:  # noqa: BLE001 - any error of the user's code, named with its line
        del sys.modules[name]
        raise ValueError(f"plugin {given} failed to import: {_said(exc)}") from exc
    return module


def _added(module: ModuleType, before: set[str]) -> tuple[str, ...]:
    """The generators a plugin registered: those new since before its import, or (a module
    imported earlier) those whose class it defines."""
    new = set(GENERATORS) - before
    if not new:
        new = {name for name, cls in GENERATORS.items() if cls.__module__ == module.__name__}
    return tuple(sorted(new))


def _said(exc: BaseException) -> str:
    """An error of a plugin's code in one line, with the line it was raised at (a SyntaxError
    names its file and line itself)."""
    if isinstance(exc, SyntaxError):
        return f"{type(exc).__name__}: {exc}"
    from veriscene.generators.runner import describe_failure

    return describe_failure(exc)


def _digest(source: bytes) -> str:
    return hashlib.sha256(source).hexdigest()
