"""The digest of the code that decides a run's samples, recorded in manifest.json under "source".

A generator's fingerprint (`engine.manifest.generator_fingerprint`) sees its templates and config
fields, not its code: wording built in code (`text`, `text_nouns`, `scene.describe`, a generator's
`propose`) or a program changed without a version bump is not seen by it. So a run also records

    "source": {"veriscene": "<16 hex digits>", "plugins": {"<module>": "<16 hex digits>", ...}}

"veriscene": SHA-256 of the package's source files that generation runs (`SOURCE_PARTS`: the
generators, programs, scene model, answer parsing the generators use, wording, vocabulary, sample
records and the engine's shard writing; not evaluation, viewer, cards, readers or the command
line), hashed as sorted (relative path, content) pairs, so the same code gives the same digest
wherever it is installed. "plugins": the source file of each of the run's generator classes whose
module is outside the package (a plugin's, or one registered by your own code), by module name; a
module without a source file is not recorded. Modules a plugin imports in turn are not hashed.

`--resume` refuses a run whose recorded digest differs from this process's (same release, other
code: an edited editable install), rather than mix samples of two versions of the code in one run;
`verify` notes it. Each worker that makes shards (a local process, a Ray task on any node) checks
its own digest against the driver's before each shard (`check_worker_code`), so a cluster node
running another checkout fails the run, naming itself, rather than write shards of other code.
Hashing the package takes a few ms (benchmarks/source_digest.py), once per process.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import sys
from pathlib import Path
from typing import Any, Iterable

PACKAGE = Path(__file__).resolve().parents[1]  # the veriscene package folder
DIGEST_CHARS = 16  # hex digits of each digest

# what generation runs, relative to PACKAGE: folders (every .py file under them) and files
SOURCE_PARTS: tuple[str, ...] = (
    "answers", "generators", "program", "scene",
    "sample.py", "sample_ids.py", "text.py", "text_nouns.py", "text_predicates.py", "vocab.py",
    "engine/codecs.py", "engine/pool.py", "engine/repeats.py", "engine/scan.py", "engine/scan_chunks.py",
    "engine/scan_result.py", "engine/shard_pass.py", "engine/shards.py",
)


def source_files(root: Path = PACKAGE, parts: Iterable[str] = SOURCE_PARTS) -> list[Path]:
    """The .py files of `parts` under `root`, sorted by relative path; a part missing is skipped."""
    files: set[Path] = set()
    for part in parts:
        path = root / part
        if path.is_dir():
            files.update(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)
        elif path.is_file():
            files.add(path)
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def tree_digest(root: Path = PACKAGE, parts: Iterable[str] = SOURCE_PARTS) -> str:
    """16 hex digits of the SHA-256 of the (relative path, content) pairs of `source_files`."""
    digest = hashlib.sha256()
    for path in source_files(root, parts):
        content = path.read_bytes()
        name = path.relative_to(root).as_posix().encode("utf-8")
        digest.update(b"%d:%s%d:" % (len(name), name, len(content)))  # lengths: no two trees hash alike
        digest.update(content)
    return digest.hexdigest()[:DIGEST_CHARS]


@functools.cache
def veriscene_digest() -> str:
    """The digest of this process's veriscene code that decides samples (`tree_digest`), once."""
    return tree_digest()


def _outside(module: str) -> bool:
    return module != "veriscene" and not module.startswith("veriscene.")


def module_digest(module: str) -> str | None:
    """16 hex digits of the SHA-256 of an imported module's source file; None when the module is
    not imported here or has no source file."""
    imported = sys.modules.get(module)
    try:
        path = inspect.getsourcefile(imported) if imported is not None else None
    except TypeError:  # a built-in module
        path = None
    if path is None or not Path(path).is_file():
        return None
    return _file_digest(path, Path(path).stat().st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _file_digest(path: str, mtime_ns: int) -> str:  # mtime_ns: an edited file is read again
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:DIGEST_CHARS]


def plugin_digests(generators: Iterable[Any]) -> dict[str, str]:
    """{module: digest} of the modules outside veriscene that define these generators' classes
    (instances or classes)."""
    modules = {(g if isinstance(g, type) else type(g)).__module__ for g in generators}
    found = {m: module_digest(m) for m in sorted(modules) if _outside(m)}
    return {m: d for m, d in found.items() if d is not None}


def source_record(generators: Iterable[Any]) -> dict[str, Any]:
    """What a run's manifest records under "source" for a run of these generators."""
    return {"veriscene": veriscene_digest(), "plugins": plugin_digests(generators)}


def recorded_source(manifest: dict[str, Any] | None) -> dict[str, Any]:
    """A manifest's "source" as {"veriscene": str, "plugins": {module: str}}, an entry missing or
    malformed left out ({} for a manifest written before it was recorded: not recorded)."""
    recorded = manifest.get("source") if isinstance(manifest, dict) else None
    if not isinstance(recorded, dict):
        return {}
    kept: dict[str, Any] = {}
    if isinstance(recorded.get("veriscene"), str):
        kept["veriscene"] = recorded["veriscene"]
    plugins = recorded.get("plugins")
    if isinstance(plugins, dict):
        kept["plugins"] = {k: v for k, v in plugins.items() if isinstance(k, str) and isinstance(v, str)}
    return kept


def changed_source(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What differs: "veriscene" first when both record its digest and they differ, then the
    plugin modules (sorted) both record with different digests."""
    changed = ["veriscene"] if "veriscene" in recorded and "veriscene" in current and (
        recorded["veriscene"] != current["veriscene"]) else []
    old, new = recorded.get("plugins", {}), current.get("plugins", {})
    return changed + sorted(m for m in set(old) & set(new) if old[m] != new[m])


def source_said(changed: list[str]) -> str:
    """What a list of `changed_source` means, as said by resume and `verify`."""
    plugins = [m for m in changed if m != "veriscene"]
    said = ["the veriscene code that makes samples (generators, programs, wording)"] if "veriscene" in changed else []
    if plugins:
        listed = ", ".join(plugins[:5]) + (f" and {len(plugins) - 5} more" if len(plugins) > 5 else "")
        said.append(f"the code of plugin module{'s' if len(plugins) > 1 else ''} {listed}")
    return (" and ".join(said) + f" {'is' if len(changed) == 1 else 'are'} not the code that made the run "
            "(its digest in manifest.json \"source\" differs)")


def source_refusal(out_dir: Path, this: Any, changed: list[str]) -> str:
    """Why a run of the same configuration and release is not resumed when its code changed."""
    return (f"cannot resume the run in {out_dir}: {source_said(changed)}, though the release is the same "
            f"(veriscene {this}): the code was edited since the run started (an editable install or a checkout), "
            "and resuming would mix samples of two versions of the code in one run. Finish it with the code the run "
            "started with (the same command with --resume), or start a new output folder with this code "
            "(--overwrite, or another --out). Nothing was written.")


class WorkerCodeMismatch(RuntimeError):
    """A worker (a local process, a Ray node) runs other veriscene code than the driver: its
    shard is not made (`check_worker_code`), rather than written by code the manifest does not
    record."""


def check_worker_code(driver: str, index: int, node: str | None = None, what: str = "") -> None:
    """Refuse to make shard `index` in this process when its code's digest (`veriscene_digest`,
    computed once per process) is not the `driver`'s, naming the host, `node` (a Ray node id)
    and pid, and both digests. `what`: the work refused when it is not a shard (a Ray task of
    the scan, of `verify`: "task 3 of scan_chunk"); such work is not resumed, it is run again."""
    mine = veriscene_digest()
    if mine == driver:
        return
    import socket

    where = f"host {socket.gethostname()}" + (f", Ray node {node}" if node else "") + f", pid {os.getpid()}"
    then = ("run the same command again" if what else
            "run the same command with --resume (the shards written are kept)")
    raise WorkerCodeMismatch(
        f"{what or f'shard {index}'} was not made: its worker ({where}) runs other veriscene code than this "
        f"process (code digest {mine} there, {driver} here, as manifest.json \"source\" records): another "
        f"checkout or an edited install on that machine. Install the same code on every machine, then {then}.")


def code_changed(manifest: dict[str, Any] | None, version: str) -> list[str]:
    """What of the code a run's manifest records (`changed_source`) differs in this process:
    veriscene's only when the run was made by release `version` (another release differs anyway,
    and is said as such), a plugin module's only when it is imported here (`verify --plugins`)."""
    recorded = recorded_source(manifest)
    config = manifest.get("config") if isinstance(manifest, dict) else None
    current: dict[str, Any] = {"plugins": {}}
    if isinstance(config, dict) and config.get("veriscene_version") == version:
        current["veriscene"] = veriscene_digest()
    for module in recorded.get("plugins", {}):
        digest = module_digest(module)
        if digest is not None:
            current["plugins"][module] = digest
    return changed_source(recorded, current)
