"""`generate`: scenes in, verified-by-construction samples out; streaming, sharded, resumable.

Output folder layout:
    samples.jsonl    every sample, in scene order (file order), then generator-name order, then
                     mode (qa before mc); identical for any worker count, backend or resume
    manifest.json    config (inputs + sha256, seed, filled generator configs, modes, shard size,
                     version), per-shard line ranges, sample counts and checksums
    vocabulary.json  names / attributes / predicates / co-occurrence of the input
    rejects.jsonl    scene records that were refused (level "scene"), and generators that raised an
                     error on a scene (level "generator", field: the generator): file, record (line),
                     field, reason
    shards/          per-shard files while running (kept as the output for --shard-format zstd),
                     each with a sidecar naming the run's config key

Steps: (1) a scan pass reads the input once for line offsets, the vocabulary, duplicate ids and
the multi-image pool; (2) shards of `shard_size` lines run on the chosen backend; each finished
shard is written atomically with a checksummed sidecar; (3) shards are concatenated in order.
`resume=True` skips every shard whose sidecar and checksum are intact, so a run killed at any
moment (even `kill -9` mid-write) completes without losing or duplicating a sample.

Sample image paths are relative to the output folder (absolute when they cannot be, or with
`absolute_paths`). An output at a URL (s3://..., any fsspec URL) is made in a local staging folder
and uploaded as it goes, each shard as it is done and the manifest last (`engine.remote`).
"""

from __future__ import annotations

import operator
import os
import re
import shutil
import time
import uuid
import warnings
from array import array
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, SupportsIndex

from veriscene.engine.backends import (
    BACKENDS, Progress, check_workers, cluster_workers, nodes_without, pool_workers, ray_session, run_tasks,
)
from veriscene.engine.manifest import (
    RunExistsError, check_resume, config_key, file_sha256, read_manifest, write_json,
)
from veriscene.engine.codecs import SUFFIX, check_available
from veriscene.engine import fetch, remote
from veriscene.engine import converted
from veriscene.engine.converted import STAMP, converted_scenes
from veriscene.engine.repeats import SharedIds, drop_repeats
from veriscene.engine.scan import (
    DEFAULT_POOL_SIZE, SCAN_CHUNK_BYTES, Cursor, ScanResult, duplicate_lines, scan_scenes,
)
from veriscene.engine.shards import (
    SHARD_ENTRY, InputFile, RunSpec, SharedRows, ShardTask, finished_sidecar, shard_files, shard_path, write_shard,
)
from veriscene.engine.summary import RunSummary, peak_memory_mb
from veriscene.errors import SceneValidationError
from veriscene.generators import Generator, Vocabulary, select_generators
from veriscene.generators.mixture import MAX_PER_SCENE, Mixture
from veriscene.scene import archives
from veriscene.scene.inputs import input_errors, open_scenes, scene_paths

MODE_CHOICES = {"qa": ("qa",), "mc": ("mc",), "both": ("qa", "mc")}
# What a run writes in its folder, removed by `overwrite` (a converted input's scenes.jsonl is
# kept: the folder may hold the input itself, as the demo's does).
RUN_FILES = ("samples.jsonl", "manifest.json", "vocabulary.json", "rejects.jsonl", STAMP, converted.REJECTS)
RUN_FOLDERS = ("shards",)
# What other commands write into a run folder by default (--to's export, `card`, `stats`), which
# describes the run: removed by `overwrite` when the folder held a run.
DERIVED = ("export", "README.md", "stats.png")
_SHARD_FILE = re.compile(r"shard-\d{5,}\.")

# Ranges of the numeric options (orjson records integers of at most 64 bits in the manifest).
SEED_RANGE = (-(2**63), 2**64 - 1)
MAX_SHARD_SIZE = 1_000_000  # scenes; memory holds ~2 x workers shards of samples
MAX_POOL_SIZE = 1_000_000  # scenes every worker holds for multi-image partners
MAX_SCAN_CHUNK = 1 << 40  # bytes (1 TiB, --scan-chunk-mb 1048576); a larger file is one chunk anyway


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


def count_lines(path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> int:
    """Scenes (non-blank lines) in a scene file, compressed or not, or in the files of an input
    (`veriscene.scene.inputs.scene_paths`)."""
    paths = scene_paths(path)
    with input_errors(paths), open_scenes(paths) as fh:
        return sum(1 for line in fh if line.strip())


def _folder_notes(given: Sequence[str | os.PathLike[str]], paths: list[Path]) -> list[str]:
    """A note for each folder given whose other files were not read (annotation files, say)."""
    notes = []
    read = set(paths)
    for item in given:
        folder = Path(item)
        if not folder.is_dir():
            continue
        others = sorted(p.name for p in folder.iterdir() if p.is_file() and p not in read and not p.name.startswith("."))
        if others:
            notes.append(f"{folder}: read its scene files (*.jsonl, compressed or not), not its {len(others)} other "
                         f"file(s) ({', '.join(others[:3])}{', ...' if len(others) > 3 else ''}); to convert annotation "
                         "files from it, pass --from auto")
    return notes


def _format_notes(paths: list[Path]) -> list[str]:
    """For a run that read no scene from its input: a note for each file (of the first few) that
    looks like annotations of another format, saying to convert it (`--from auto`)."""
    from veriscene.io.readers.detect import FormatDetectionError, detect

    notes = []
    for path in paths[:5]:
        try:
            fmt, reason = detect(path)
        except (FormatDetectionError, OSError, ValueError):
            continue
        if fmt != "veriscene_jsonl":
            notes.append(f"{path}: no scene was read from it as veriscene JSONL; it looks like {fmt} annotations "
                         f"({reason}): pass --from auto (or --from {fmt}) to convert it")
    return notes


def _inputs_config(paths: list[Path], out_dir: Path, absolute: bool = False,
                   sources: dict[Path, str] | None = None) -> dict[str, str] | list[dict[str, str]]:
    """The manifest's record of the input: path (relative to the run folder; with `absolute`,
    absolute unless it lies in the run folder, as a converted input does; the URL of a file read
    from one, `sources`) and sha256 of its file, or a list of them for several files
    (`manifest.scene_inputs` reads either)."""
    def where(path: Path) -> str:
        path, run = path.resolve(), out_dir.resolve()
        if sources and path in sources:
            return sources[path]
        return str(path) if absolute and not path.is_relative_to(run) else os.path.relpath(path, run)

    files = [{"path": where(p), "sha256": file_sha256(p)} for p in paths]
    return files[0] if len(files) == 1 else files


def _said_with_urls(exc: Exception, paths: list[Path], sources: dict[Path, str]) -> Exception:
    """`exc` with the local copies of inputs given by URL named by their URLs (itself if none is named)."""
    text = str(exc)
    for path in paths:
        url = sources.get(path.resolve())
        if url is not None:
            text = text.replace(str(path.resolve()), url).replace(str(path), url)
    if text == str(exc):
        return exc
    try:
        return type(exc)(text)
    except TypeError:  # an error type built from other arguments: said as a ValueError
        return ValueError(text)


def _input_file(path: Path, first_line: int, sources: dict[Path, str]) -> InputFile:
    """What the workers need of an input file: its name in reports and the folder its image
    paths are relative to (the URL's folder for a file read from a URL)."""
    url = sources.get(path.resolve())
    if url is not None:
        return InputFile(url, fetch.url_folder(url), first_line)
    return InputFile(str(path), str(path.parent.resolve()), first_line)


def _instances(generators: str | None, per_scene: int | None) -> list[Generator]:
    instances = []
    for cls in select_generators(generators):
        config = cls.Config() if per_scene is None else cls.Config(per_scene=per_scene)
        instances.append(cls(config))
    return instances


def _check_options(*, per_scene: int | None, workers: int | None, backend: str, address: str | None,
                   shared_output: bool | None, shard_size: int, shard_format: str, pool_size: int,
                   scan_chunk: int, generators: str | None) -> None:
    """Refuse bad options before any file is read or written (the CLI's checks are these)."""
    if per_scene is not None:
        check_int("per_scene", per_scene, 1, MAX_PER_SCENE)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    check_workers(workers, backend, address)
    check_int("shard_size", shard_size, 1, MAX_SHARD_SIZE)
    check_int("pool_size", pool_size, 0, MAX_POOL_SIZE)
    check_int("scan_chunk", scan_chunk, 1, MAX_SCAN_CHUNK)
    check_available(shard_format)
    if shared_output and backend != "ray":
        raise ValueError("shared_output is for the Ray backend (local workers always write their own shards)")
    if address is not None and backend != "ray":
        raise ValueError("address is for the Ray backend (backend='ray' / --backend ray); the local backend runs "
                         "on this machine")
    if generators is not None and not generators.strip():
        raise ValueError("generators is empty: give names, globs or families (or leave it out for all)")


Selection = tuple[Mixture | None, tuple[str, ...], list[Generator]]  # (mixture, modes, generators)


def _selection(generators: str | None, mode: str | Sequence[str] | None, per_scene: int | None,
               mixture: str | os.PathLike[str] | Mixture | None) -> Selection:
    """(the mixture, the modes, the generator instances) of a run; a mixture sets the generators
    and the modes itself, so `generators` or `mode` with it is refused."""
    if mixture is None:
        instances = _instances(generators, per_scene)
        if not instances:
            raise ValueError("no generator selected")
        return None, parse_modes("both" if mode is None else mode), instances
    mix = mixture if isinstance(mixture, Mixture) else Mixture.load(mixture)
    if generators is not None:
        raise ValueError("give either a mixture or --generators, not both")
    if mode is not None:
        raise ValueError("give either a mixture or --mode, not both (the mixture's modes key sets the modes)")
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


def _version() -> str:
    from veriscene import __version__

    return __version__


def _check_out_path(out_dir: Path) -> None:
    """Refuse an output that is a file, or lies under one (NotADirectoryError)."""
    for path in (out_dir, *out_dir.parents):
        if not path.exists():
            continue
        if not path.is_dir():
            where = "is a file" if path == out_dir else f"lies under {path}, which is a file"
            raise NotADirectoryError(f"the output {out_dir} {where}, not a folder: give a folder (--out)")
        return


def _not_run_files(out_dir: Path) -> list[str]:
    """What a folder holding no manifest has besides what a run leaves before writing its manifest
    (its input's conversion, temporary and hidden files, shard files)."""
    others = []
    for entry in sorted(out_dir.iterdir()):
        name = entry.name
        if name.startswith(".") or name.endswith(".tmp") or name in converted.FILES:
            continue
        if name == "shards" and entry.is_dir() and all(_SHARD_FILE.match(p.name) for p in entry.iterdir()):
            continue
        others.append(name + "/" if entry.is_dir() else name)
    return others


def _check_no_run_files(out_dir: Path) -> None:
    """Refuse (RunExistsError) a folder holding no manifest but other files than a run leaves
    before its manifest: a run's files without it (it cannot be resumed), or the user's."""
    others = _not_run_files(out_dir)
    if not others:
        return
    listed = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
    if all(name.rstrip("/") in (*RUN_FILES, *DERIVED) for name in others):
        raise RunExistsError(f"{out_dir} holds a run's files ({listed}) but no manifest.json, so it cannot be "
                             "resumed or added to: pass --overwrite to start the run again")
    raise RunExistsError(f"{out_dir} holds files but no veriscene run (no manifest.json): {listed}. Give an "
                         "empty or new folder, or pass --overwrite to write the run there (replacing the files a "
                         f"run writes: {', '.join(RUN_FILES[:4])}, shards/)")


def _clear_run(out_dir: Path) -> None:
    """Remove every file a run writes in `out_dir`, and what other commands derived from the run
    it held (`DERIVED`); nothing else."""
    held_run = (out_dir / "manifest.json").exists()
    for name in (*RUN_FILES, *RUN_FOLDERS, *(DERIVED if held_run else ())):
        for path in (out_dir / name, out_dir / f"{name}.tmp"):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)


def _prepare_folder(out_dir: Path, resume: bool, overwrite: bool) -> dict[str, Any] | None:
    """Check (and with `overwrite` clear) the output folder before the run writes into it; returns
    the manifest of the run to resume (None: the run starts from scratch, shards/ cleared).

    Without `overwrite`, a folder holding no manifest must be empty or hold only what a run leaves
    before its manifest (RunExistsError), so that no file of the user's is replaced; a folder
    holding a run needs `resume`. `overwrite` replaces whatever run the folder holds, an unreadable
    manifest included."""
    _check_out_path(out_dir)
    if not out_dir.exists():
        return None
    if overwrite:
        _clear_run(out_dir)
        return None
    manifest = read_manifest(out_dir)
    if manifest is None:
        _check_no_run_files(out_dir)
        shutil.rmtree(out_dir / "shards", ignore_errors=True)  # of a run whose manifest is gone
        return None
    if not resume:
        raise RunExistsError(
            f"{out_dir} already holds a run (manifest.json); pass --resume to complete it or "
            "--overwrite to replace it"
        )
    return manifest


def _own_files_left_out(paths: list[Path], out_dir: Path, notes: list[str]) -> list[Path]:
    """`paths` without the files this run writes in its folder (an input folder or pattern that is,
    or holds, the output folder would otherwise read the run's own samples and rejects)."""
    run = out_dir.resolve()
    own = {run / name for name in RUN_FILES}

    def is_own(path: Path) -> bool:
        path = path.resolve()
        return path in own or any(path.is_relative_to(run / folder) for folder in (*RUN_FOLDERS, *DERIVED))

    kept = [p for p in paths if not is_own(p)]
    if len(kept) < len(paths):
        names = sorted({os.path.relpath(p.resolve(), run) for p in paths if is_own(p)})
        if not kept:
            raise ValueError(f"the input holds only files this run writes in its output folder {out_dir} "
                             f"({', '.join(names)}): give the scene files")
        notes.append(f"left out of the input: {', '.join(names)} (files this run writes in its output folder)")
    return kept


def _finished(out_dir: Path, manifest: dict[str, Any]) -> bool:
    """Whether a run's manifest says complete and its samples are all there: `samples.jsonl` for a
    jsonl run, every shard's samples for a zstd or parquet run (which never write samples.jsonl)."""
    if manifest.get("status") != "complete":
        return False
    fmt = manifest["config"].get("shard_format", "jsonl")
    if fmt == "jsonl":
        return (out_dir / "samples.jsonl").exists()
    return all(shard_path(out_dir / "shards", shard["index"], fmt).exists() for shard in manifest.get("shards", []))


def _tasks(paths: list[Path], scan: ScanResult, shard_size: int, todo: Sequence[int],
           skip: dict[int, str]) -> Iterator[ShardTask]:
    """Read the lines of each shard still to do, in order, never seeking backward (done shards
    are seeked past: they cost nothing, but in a compressed file, where seeking forward
    decompresses, their bytes are read)."""
    cursor = Cursor()
    with input_errors(paths), open_scenes(paths, scan.spans) as fh:
        for index in todo:
            start, end = index * shard_size, min((index + 1) * shard_size, scan.scenes)
            lines = scan.read(fh, start, end, cursor)
            own = {n: r for n, r in skip.items() if lines and lines[0][0] <= n <= lines[-1][0]}
            yield ShardTask(index, lines, own)


def _ray_run(ray: Any, workers: int | None, out_dir: Path, shared_output: bool | None,
             notes: list[str]) -> tuple[int, bool]:
    """On a connected Ray: the run's workers (None: the cluster's CPUs) and whether they write their
    shards themselves (`_output_shared`), both said in `notes`."""
    cpus = ray.cluster_resources().get("CPU", 0)
    if not cpus:
        warnings.warn("the Ray cluster has no CPU for tasks yet: the shards wait for nodes to join", stacklevel=3)
    workers = cluster_workers(ray) if workers is None else workers
    notes.append(f"Ray at {ray.get_runtime_context().gcs_address} ({cpus:g} CPU{'s' if cpus != 1 else ''}): "
                 f"{workers} worker{'s' if workers != 1 else ''}, at most {2 * workers} shards in flight")
    shared, note = _output_shared(ray, out_dir, shared_output)
    notes.append(note)
    return workers, shared


def _output_shared(ray: Any, out_dir: Path, shared_output: bool | None) -> tuple[bool, str]:
    """Whether the Ray workers write their shards into `out_dir` themselves, and the run's note
    saying so. They may when every node that runs tasks sees the folder: a file made here must be
    there, at the same path (a folder of the same name on another disk does not have it).
    `shared_output`: None decides so, True refuses a node that does not see it, False never."""
    if shared_output is False:
        return False, "Ray workers send their samples back to be written here (shared_output=False)"
    mark = out_dir.resolve() / f".visible-{uuid.uuid4().hex}"
    mark.touch()
    try:
        missing = nodes_without(ray, str(mark))
    finally:
        mark.unlink()
    if missing and shared_output:
        raise RuntimeError(f"shared_output: {out_dir.resolve()} is not seen by {len(missing)} node(s) of the Ray "
                           f"cluster: {', '.join(missing)}. Put the output on a file system every node mounts at "
                           "the same path, or run without it (the samples then come back to be written here)")
    if missing:
        return False, (f"Ray workers send their samples back to be written here: {len(missing)} node(s) do not see "
                       f"{out_dir.resolve()} ({', '.join(missing)})")
    return True, "Ray workers write their shards into the output folder, which every node sees"


def _merge(out_dir: Path, shards_dir: Path, n_shards: int, fmt: str) -> None:
    """Concatenate shard samples (jsonl format) and rejects, in shard order, atomically."""
    if fmt == "jsonl":
        tmp = out_dir / "samples.jsonl.tmp"
        with open(tmp, "wb") as out:
            for index in range(n_shards):
                with open(shard_path(shards_dir, index, fmt), "rb") as fh:
                    shutil.copyfileobj(fh, out)
        os.replace(tmp, out_dir / "samples.jsonl")
    tmp = out_dir / "rejects.jsonl.tmp"
    with open(tmp, "wb") as out:
        for index in range(n_shards):
            with open(shards_dir / shard_files(index, fmt)[1], "rb") as fh:
                shutil.copyfileobj(fh, out)
    os.replace(tmp, out_dir / "rejects.jsonl")


def generate(
    scenes: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    seed: int = 0,
    generators: str | None = None,
    mode: str | Sequence[str] | None = None,
    per_scene: int | None = None,
    strict: bool = False,
    workers: int | None = None,
    backend: str = "local",
    address: str | None = None,
    shared_output: bool | None = None,
    shard_size: int = 200,
    shard_format: str = "jsonl",
    pool_size: int = DEFAULT_POOL_SIZE,
    scan_chunk: int = SCAN_CHUNK_BYTES,
    resume: bool = False,
    overwrite: bool = False,
    from_format: str = "jsonl",
    reader_options: dict[str, Any] | None = None,
    mixture: str | os.PathLike[str] | Mixture | None = None,
    progress: Progress | None = None,
    scan_progress: Callable[[int, int], None] | None = None,
    counted: Callable[[int], None] | None = None,
    on_shard: Callable[[dict[str, Any]], None] | None = None,
    absolute_paths: bool = False,
    staging: str | os.PathLike[str] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> RunSummary:
    """Generate samples for every scene of a veriscene JSONL file into folder `out`.

    `scenes`: a file (plain or compressed), or several read as one input, in order: a folder (its
    JSONL files, compressed or not, by name), a glob pattern (its matches, by name) or a list of
    files (`veriscene.scene.inputs`). The samples are those of the files' concatenation; rejects
    name each file and its own line; images are found relative to each file's folder. Any of
    them may be a URL (``s3://bucket/scenes.jsonl.zst``, a folder or a pattern), read through a
    local copy downloaded once (`veriscene.engine.fetch`); the manifest records the URL, and image
    paths in its scenes are relative to the URL's folder.

    `generators`: comma-separated names, globs or families (all when None; empty is refused).
    `mode`: "qa", "mc" or "both", or a list of "qa" and "mc" (None: both; caption generators always
    run). `per_scene`: questions per scene, generator and mode, 1 to `MAX_PER_SCENE` (None: each
    generator's, 1); more spread each scene's fixed cost over more samples. `seed`: a 64-bit
    integer (`SEED_RANGE`). `workers`/`backend`/`address`: 1 = in-process, N = a local process
    pool (of at most as many processes as shards to run), backend "ray" = Ray tasks, at most 2 x
    `workers` at once: on a local Ray of `workers` CPUs, or on the cluster at `address` or
    ``RAY_ADDRESS`` (`engine.backends.cluster_address`; `address` is refused with the local
    backend). None: 1, and on a cluster its CPUs; more than 4 per CPU of this machine (65,536 on
    a cluster) are refused (`engine.backends.max_workers`). Ray workers write (and compress) their shards into `out` themselves when every node
    sees it (a file made there is looked for on each node before the first shard), else they send
    their samples back to be written here; `shared_output` True insists on the first (refusing a
    node that does not see `out`), False keeps to the second. The output is the same.
    `scan_chunk`: bytes of the input per task of the first pass, which runs on the same backend
    and workers (the vocabulary of a file larger than one chunk depends on it, see
    `veriscene.engine.scan`). `mixture`: a mixture YAML file (or Mixture) choosing generators,
    weights, the per-scene budget and modes, in place of `generators` and `mode` (giving either
    with it is refused, as is a `per_scene` that its budget or its own per_scene contradicts). `from_format`: input format; anything but "jsonl" (e.g. "coco", "visual_genome", "auto") is
    first converted into `out/scenes.jsonl` (see `veriscene.io.convert`, rejects in
    `out/convert_rejects.jsonl`), with `reader_options` (e.g. ``{"masks": False}`` for COCO;
    `veriscene.io.readers.reader_options` lists each format's; an annotation file or folder, and a
    file or folder an option names, may be a URL, read through a local copy,
    `veriscene.engine.fetch.fetch_input`; an `image_root` URL names the images by URL); a resumed run reuses that
    conversion when the input and options are unchanged (`veriscene.engine.converted`). Bad scene records go to
    `out/rejects.jsonl` and are counted, or
    raise with `strict`. `progress(scenes, samples)` is called as input lines are done (in shard
    order or as shards finish), with the lines and the samples made since the last call;
    `scan_progress(bytes, total_bytes)` as the first pass reads the input, and `counted(scenes)`
    once it has counted the input's scenes (the total `progress` counts up to), before any shard;
    `on_shard(sidecar)` as each shard is done (its files written; resumed ones too), with its
    sidecar (`index`, `lines`, `samples`, `sha256`, `counts`...).

    `out` must be a new or empty folder, or hold a run (manifest.json): `resume` completes it
    (keeping only shards made with the same configuration, `RunSpec.key` in each sidecar),
    `overwrite` replaces it (its files, `RUN_FILES`, shards/, and `DERIVED`: export/, README.md,
    stats.png), even with an unreadable manifest. A folder holding other files is refused unless
    `overwrite` (which removes only a run's files); when the input is, or holds, the output folder,
    the run's own files are left out of it. A run that starts without a manifest clears shards/.

    `out` may be a URL (``s3://bucket/run``, ``gs://...``, any fsspec URL): the run is made in the
    local folder `staging` (default: `veriscene.engine.remote.default_staging`) and uploaded as
    it goes, each shard as it is done and the manifest last, with fsspec's `storage_options`
    (`veriscene.engine.remote`). Its sample image paths and manifest input paths are then
    absolute, as they are anywhere with `absolute_paths` (default: relative to `out`).
    `storage_options` apply to input URLs too.
    """
    seed = check_int("seed", seed, *SEED_RANGE)
    _check_options(per_scene=per_scene, workers=workers, backend=backend, address=address,
                   shared_output=shared_output, shard_size=shard_size, shard_format=shard_format,
                   pool_size=pool_size, scan_chunk=scan_chunk, generators=generators)
    mix, modes, instances = _selection(generators, mode, per_scene, mixture)
    if remote.is_url(out):
        return _generate_remote(
            str(out), staging, storage_options, scenes, seed=seed, generators=generators, mode=mode,
            per_scene=per_scene, strict=strict, workers=workers, backend=backend, address=address,
            shared_output=shared_output, shard_size=shard_size, shard_format=shard_format, pool_size=pool_size,
            scan_chunk=scan_chunk, resume=resume, overwrite=overwrite, from_format=from_format,
            reader_options=reader_options, mixture=mixture, progress=progress, scan_progress=scan_progress,
            counted=counted, on_shard=on_shard)
    given = [scenes] if isinstance(scenes, (str, os.PathLike)) else list(scenes)
    urls = _urls(given)
    named = [v for v in (reader_options or {}).values() if isinstance(v, (str, os.PathLike)) and remote.is_url(v)]
    if staging is not None or (storage_options is not None and not urls and not named):
        raise ValueError("staging is for an output at a URL, storage_options for an output or input at a URL "
                         "(s3://..., gs://...)")
    start = time.perf_counter()
    out_dir = remote.local_path(out)
    _check_out_path(out_dir)
    notes: list[str] = []
    sources: dict[Path, str] = {}  # local copies of inputs given by URL: the URL of each
    converting = from_format not in ("jsonl", "veriscene_jsonl", "veriscene")
    if converting and len(given) != 1:
        raise ValueError(f"converting from {from_format} takes one input (a file or a folder), got {len(given)}")
    if not converting and reader_options:
        raise ValueError(f"reader options ({', '.join(sorted(reader_options))}) apply when an input format is "
                         "given to convert from (from_format / --from), not to veriscene JSONL")
    if urls and converting:  # an annotation file or folder at a URL, converted from its local copy
        copy = fetch.fetch_input(urls[0], storage_options)
        given, sources = [copy], {copy.resolve(): urls[0]}
        notes.append(f"{urls[0]} read through its local copy in {copy.parent}")
    elif urls:
        given, sources = fetch.fetch_scenes(given, storage_options)
        notes.append(f"{len(sources)} scene file(s) read from {', '.join(urls)}, through local copies in "
                     f"{fetch.download_folder(urls[0]).parent}")
    if converting:
        scenes_path = Path(given[0])
        problem = archives.missing(scenes_path)  # a file, a folder or a file inside a zip archive (a.zip/b.json)
        if problem is not None:
            raise FileNotFoundError(problem if archives.archive_member(scenes_path) else
                                    f"scene file {scenes_path} does not exist")
        manifest = _prepare_folder(out_dir, resume, overwrite)  # before the conversion replaces its scenes
        out_dir.mkdir(parents=True, exist_ok=True)
        options, option_urls = fetch.fetch_options(dict(reader_options or {}), storage_options)
        scenes_path, note = converted_scenes(scenes_path, out_dir, from_format, strict=strict, options=options,
                                             version=_version(), reuse=resume and not overwrite,
                                             resuming=manifest is not None,
                                             source=sources.get(scenes_path.resolve()), option_urls=option_urls)
        notes.append(note)
        paths = [scenes_path]
    else:
        paths = scene_paths(given)  # the input checked before the folder is touched
        notes += _folder_notes(given, paths)
        manifest = _prepare_folder(out_dir, resume, overwrite)
        paths = _own_files_left_out(paths, out_dir, notes)
    out_dir.mkdir(parents=True, exist_ok=True)
    config = {
        "veriscene_version": _version(),
        "scenes": _inputs_config(paths, out_dir, absolute_paths, sources),
        "seed": seed,
        "modes": list(modes),
        "generators": {g.name: {"version": g.version, "family": g.family, "config": asdict(g.config)} for g in instances},
        "shard_size": shard_size,
        "shard_format": shard_format,
        "pool_size": pool_size,
        "scan_chunk_bytes": scan_chunk,
        "mixture": _mixture_config(mix),
    }
    key = config_key(config)
    finished = None
    if manifest is not None:
        check_resume(manifest, config, out_dir)
        finished = manifest if _finished(out_dir, manifest) else None
    summary = RunSummary(out_dir=str(out_dir), run_dir=str(out_dir), notes=notes)
    if finished is not None:  # resuming a run that had completed: nothing to do
        if "summary" in finished:
            summary.merge_counts(finished["summary"])
        else:  # manifests written before the run summary was stored kept counts per shard
            for shard in finished.get("shards", []):
                summary.merge_counts(shard["counts"])
        summary.rejects = {"rejected": finished["counts"]["rejected_scenes"], "report": str(out_dir / "rejects.jsonl")}
        summary.seconds = time.perf_counter() - start
        return summary

    # one Ray session for both passes (a no-op for the local backend)
    with ray_session(workers or 1, address) if backend == "ray" else nullcontext() as ray:
        workers_write = False
        if ray is not None:
            workers, workers_write = _ray_run(ray, workers, out_dir, shared_output, summary.notes)
        workers = workers or 1
        # written once Ray is reached: a cluster out of reach leaves the folder as it was
        write_json(out_dir / "manifest.json", {"config": config, "key": key, "status": "running"})
        try:
            scan = scan_scenes(paths, seed=seed, pool_size=pool_size, chunk_bytes=scan_chunk,
                               workers=workers, backend=backend, address=address, progress=scan_progress)
        except (ValueError, OSError) as exc:  # a broken input: named by its URL, not by its local copy
            raise _said_with_urls(exc, paths, sources) from exc
        if counted is not None:
            counted(scan.scenes)
        skip = duplicate_lines(scan)
        scan.id_hashes = array("Q")  # only needed for the line above: 8 bytes per scene freed
        vocabulary = scan.vocab.to_dict()  # the run spec holds it from here on: one copy in the driver
        scan.vocab = Vocabulary()
        write_json(out_dir / "vocabulary.json", vocabulary)
        spec = RunSpec(
            key=key, seed=seed, modes=modes,
            generators=tuple((g.name, asdict(g.config)) for g in instances),
            vocabulary=vocabulary, pool=tuple(scan.pool),
            inputs=tuple(_input_file(p, span.first_line, sources) for p, span in zip(paths, scan.spans)),
            out_dir=None if absolute_paths else str(out_dir.resolve()), mixture=mix,
            shards_dir=None if backend == "ray" and not workers_write else str((out_dir / "shards").resolve()),
            shard_format=shard_format,
        )
        n_shards = (scan.scenes + shard_size - 1) // shard_size
        shards_dir = out_dir / "shards"
        shards_dir.mkdir(exist_ok=True)
        for stray in shards_dir.glob("*.tmp"):
            stray.unlink()
        # The driver keeps a few numbers per shard (its counts go into `summary` as it arrives, its
        # repeatable ids into `shared` in compact form), so its memory does not grow with the run.
        entries: dict[int, dict[str, Any]] = {}
        shared = SharedIds()

        def finish(sidecar: dict[str, Any]) -> None:
            summary.merge_counts(sidecar["counts"])
            shared.add(sidecar["index"], SharedRows.from_json(sidecar.get("shared")))
            entries[sidecar["index"]] = {k: sidecar[k] for k in SHARD_ENTRY}

        for index in range(n_shards):
            done = finished_sidecar(shards_dir, index, shard_format, key) if resume else None
            if done is not None:
                finish(done)
                if on_shard is not None:
                    on_shard(done)
                if progress is not None:
                    progress(done["lines"][1] - done["lines"][0] + 1 if done["scenes"] or done["rejected"] else 0,
                             done["samples"])
        todo = [i for i in range(n_shards) if i not in entries]
        # no more local processes than shards to run (the output is the same for any number)
        shard_workers = workers if backend == "ray" else pool_workers(workers, len(todo))
        outputs = run_tasks(spec, _tasks(paths, scan, shard_size, todo, skip), backend=backend,
                            workers=shard_workers, address=address, progress=progress)
        for output in outputs:
            if backend == "ray" or shard_workers > 1:
                summary.worker_peak_memory_mb = max(summary.worker_peak_memory_mb, output.peak_mb)
            sidecar = output.sidecar or write_shard(shards_dir, output, shard_format)
            finish(sidecar)
            if on_shard is not None:
                on_shard(sidecar)
            if strict and output.rejects:
                first = min(output.rejects, key=lambda r: r["record"])
                raise SceneValidationError(first["reason"], source=first["file"], record=first["record"], field=first["field"])

    repeats = drop_repeats(shards_dir, entries, shared, shard_format, summary)
    _merge(out_dir, shards_dir, n_shards, shard_format)
    rejected = sum(s["rejected"] for s in entries.values())
    summary.rejects = {"rejected": rejected, "report": str(out_dir / "rejects.jsonl")}
    summary.repeats_dropped = repeats
    if summary.scenes == 0 and rejected:
        summary.notes += _format_notes(paths)
    manifest = {
        "config": config,
        "key": key,
        "status": "complete",
        "counts": {"scenes": summary.scenes, "samples": summary.samples, "rejected_scenes": rejected,
                   "lines": scan.scenes, "repeats_dropped": repeats},
        "summary": summary.counts(),
        "shards": [entries[i] for i in range(n_shards)],
        "files": {"samples": "samples.jsonl" if shard_format == "jsonl" else f"shards/*{SUFFIX[shard_format]}",
                  "vocabulary": "vocabulary.json", "rejects": "rejects.jsonl"},
    }
    write_json(out_dir / "manifest.json", manifest)
    if shard_format == "jsonl":
        shutil.rmtree(shards_dir, ignore_errors=True)
    summary.seconds = time.perf_counter() - start
    summary.peak_memory_mb = peak_memory_mb()
    return summary


def _generate_remote(url: str, staging: str | os.PathLike[str] | None, storage_options: dict[str, Any] | None,
                     scenes: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *, resume: bool,
                     overwrite: bool, on_shard: Callable[[dict[str, Any]], None] | None, shard_format: str,
                     **options: Any) -> RunSummary:
    """`generate` into a URL: made in a staging folder, uploaded as it goes (`engine.remote`)."""
    check_available(shard_format)
    run = remote.RemoteRun(url, staging, storage_options)
    with run:
        note = run.prepare(resume=resume, overwrite=overwrite)

        def done(sidecar: dict[str, Any]) -> None:
            run.shard_done(sidecar, shard_format)
            if on_shard is not None:
                on_shard(sidecar)

        summary = generate(scenes, run.staging, resume=resume, overwrite=overwrite, on_shard=done,
                           shard_format=shard_format, absolute_paths=True,
                           storage_options=storage_options if _urls(scenes) else None, **options)
        uploaded = run.publish()
    summary.notes.append(f"{note}: {uploaded} file(s) uploaded")
    summary.out_dir = url
    if summary.rejects:
        summary.rejects["report"] = f"{url}/rejects.jsonl"
    return summary


def _urls(scenes: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str]:
    """The inputs given by URL."""
    items = [scenes] if isinstance(scenes, (str, os.PathLike)) else list(scenes)
    return [str(item) for item in items if remote.is_url(item)]
