"""`generate`: scenes in, verified-by-construction samples out; streaming, sharded, resumable.

Output folder layout:
    samples.jsonl    every sample, in scene order (file order), then generator-name order, then
                     mode (qa before mc); identical for any worker count, backend or resume
    manifest.json    config (inputs + sha256, seed, filled generator configs, modes, shard size,
                     version), each generator's fingerprint (`manifest.generator_fingerprint`),
                     the digest of the code that made the samples ("source", `engine.source_digest`),
                     per-shard line ranges, sample counts and checksums
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

The parts of a run live beside this module: `engine.options` (options checked, generators
chosen), `engine.run_folder` (the output folder checked, cleared or resumed), `engine.run_inputs`
(the input files fetched, converted or listed, and described) and `engine.shard_pass` (shard
tasks, Ray workers, the merge).
"""

from __future__ import annotations

import os
import shutil
import time
from array import array
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import orjson

from veriscene.engine import remote
from veriscene.engine.backends import Progress, pool_workers, ray_session, run_tasks
from veriscene.engine.codecs import SUFFIX, check_available
from veriscene.engine.manifest import check_resume, config_key, generator_fingerprint, write_json
from veriscene.engine.options import (
    DEFAULT_MAX_SCENE_OBJECTS, SEED_RANGE, _check_options, _mixture_config, _selection, _with_options, check_callback,
    check_flags,
    check_int, check_path, check_scene_limit, scene_object_limit,
)
from veriscene.engine.repeats import SharedIds, drop_repeats, kept_repeats
from veriscene.engine.run_folder import _check_out_path, _finished, taken_back_unless_sharded
from veriscene.engine.run_inputs import (
    RUN_AT_URL, _format_notes, _input_file, _inputs_config, _said_with_urls, _urls, prepare_inputs,
)
from veriscene.engine.run_lock import GENERATE, RunKind, holding_locks, lock_folder, lock_url
from veriscene.engine.scan import DEFAULT_POOL_SIZE, SCAN_CHUNK_BYTES, duplicate_lines, scan_scenes
from veriscene.engine.scan_result import ignored_note, repeats_note, unmarked_note
from veriscene.engine.shard_pass import _merge, _ray_run, _tasks
from veriscene.engine.source_digest import source_record
from veriscene.engine.shards import (
    SHARD_ENTRY, RunSpec, SharedRows, finished_sidecar, generator_modules, sidecar_path, write_shard,
)
from veriscene.engine.summary import RunSummary, peak_memory_mb
from veriscene.errors import SceneValidationError
from veriscene.generators import Vocabulary
from veriscene.generators.mixture import Mixture
from veriscene.generators.plugins import load_plugins, plugin_sources, plugins_config

# Kept importable from here, where they were defined or imported before this module was split
# (the CLI, tests and users import them from here). Patching one of these here changes nothing:
# patch it in the module that calls it (`engine.shard_pass.nodes_without`, say). The names
# `generate` calls itself (`scan_scenes`, `run_tasks`, `write_shard`...) are read from here.
from veriscene.engine import converted, fetch
from veriscene.engine.backends import BACKENDS, check_workers, cluster_workers, nodes_without
from veriscene.engine.converted import STAMP, converted_scenes
from veriscene.engine.manifest import RunExistsError, file_sha256, read_manifest
from veriscene.engine.options import (
    MAX_POOL_SIZE, MAX_SCAN_CHUNK, MAX_SHARD_SIZE, MODE_CHOICES, Selection, _instances, parse_modes,
)
from veriscene.engine.run_folder import (
    _SHARD_FILE, DERIVED, RUN_FILES, RUN_FOLDERS, _check_no_run_files, _clear_run, _not_run_files,
)
from veriscene.engine.run_inputs import count_lines
from veriscene.engine.scan import Cursor, ScanResult
from veriscene.engine.shard_pass import _output_shared
from veriscene.engine.shards import InputFile, ShardTask, shard_files, shard_path
from veriscene.generators import Generator, select_generators
from veriscene.generators.mixture import MAX_PER_SCENE
from veriscene.scene import archives
from veriscene.scene.inputs import input_errors, open_scenes, scene_items, scene_paths

__all__ = [
    "BACKENDS", "DEFAULT_MAX_SCENE_OBJECTS", "DEFAULT_POOL_SIZE", "DERIVED", "MAX_PER_SCENE", "MAX_POOL_SIZE",
    "MAX_SCAN_CHUNK",
    "MAX_SHARD_SIZE", "MODE_CHOICES", "RUN_FILES", "RUN_FOLDERS", "SCAN_CHUNK_BYTES", "SEED_RANGE",
    "SHARD_ENTRY", "STAMP", "SUFFIX", "Cursor", "Generator", "InputFile", "Mixture", "Progress",
    "RunExistsError", "RunSpec", "RunSummary", "ScanResult", "SceneValidationError", "Selection",
    "ShardTask", "SharedIds", "SharedRows", "Vocabulary", "archives", "check_available", "check_int",
    "check_resume", "check_workers", "cluster_workers", "config_key", "converted", "converted_scenes",
    "count_lines", "drop_repeats", "duplicate_lines", "fetch", "file_sha256", "finished_sidecar",
    "generate", "input_errors", "nodes_without", "open_scenes", "parse_modes", "peak_memory_mb",
    "pool_workers", "ray_session", "read_manifest", "remote", "run_tasks", "scan_scenes", "scene_paths",
    "select_generators", "shard_files", "shard_path", "write_json", "write_shard",
    # private, kept importable from here (see above)
    "_SHARD_FILE", "_check_no_run_files", "_clear_run", "_instances", "_not_run_files", "_output_shared",
]


def _version() -> str:
    from veriscene import __version__

    return __version__


@holding_locks  # the output folder's lock (`engine.run_lock`), taken as the folder is prepared, let go at the end
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
    max_scene_objects: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    from_format: str = "jsonl",
    reader_options: dict[str, Any] | None = None,
    mixture: str | os.PathLike[str] | Mapping[str, Any] | Mixture | None = None,
    generator_options: Mapping[str, Mapping[str, Any]] | None = None,
    plugins: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    progress: Progress | None = None,
    scan_progress: Callable[[int, int], None] | None = None,
    counted: Callable[[int], None] | None = None,
    kept: Callable[[int, int], None] | None = None,
    on_shard: Callable[[dict[str, Any]], None] | None = None,
    absolute_paths: bool = False,
    staging: str | os.PathLike[str] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> RunSummary:
    """Generate samples for every scene of a veriscene JSONL file into folder `out`.

    `scenes`: a file (plain or compressed), or several read as one input, in order: a folder (its
    JSONL files, compressed or not, by name), a glob pattern (its matches, by name) or a list of
    files (`veriscene.scene.inputs`); a folder or pattern leaves out the reject reports and run
    samples veriscene writes beside scene files (`rejects.jsonl`...), named in the run's notes. The samples are those of the files' concatenation; rejects
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
    `veriscene.engine.scan`). `max_scene_objects`: a scene of more objects is rejected (in
    rejects.jsonl, naming its file, line, image id and count; counted as rejected, and in
    `RunSummary.oversized`) and left out of the vocabulary and the multi-image pool, so that one
    scene of hundreds of thousands of objects (a mask generator or converter gone wrong) cannot
    stall the run; 0: no limit; None: `DEFAULT_MAX_SCENE_OBJECTS`, or resuming, the run's own
    limit (none for a run made before the limit existed). A number of objects, not a time, so
    the output does not depend on the machine. `mixture`: a mixture YAML file (its content as a dict, or a Mixture) choosing generators,
    weights, the per-scene budget and modes, in place of `generators` and `mode` (giving either
    with it is refused, as is a `per_scene` that its budget or its own per_scene contradicts).
    `generator_options`: options of the generators' configs by generator name, family or glob
    (``{"depth.map_points": {"marks": True}, "counting": {"num_choices": 3}}``; `veriscene
    generators` lists each generator's options), checked as a mixture's ``config:`` is, before
    any work (`veriscene.generators.generator_options`): they win over the mixture's config and
    `per_scene` for the generators they name, must name generators of the run, and are recorded in
    the manifest ("generator_options", beside the filled configs), so a resume with other ones is
    refused.
    `plugins`: Python files or module names of generators of your own, imported here and in
    every worker before the generators are chosen (`veriscene.generators.plugins`). `from_format`: input format:
    "jsonl" (veriscene JSONL, also named "veriscene_jsonl" or "veriscene") is read as it is, or,
    given `reader_options` (``{"id_prefix": "vg/"}``, `sparse`), through its reader; anything else
    (e.g. "coco", "visual_genome", "auto") is, like it, first converted into `out/scenes.jsonl` (see `veriscene.io.convert`, rejects in
    `out/convert_rejects.jsonl`), with `reader_options` (e.g. ``{"masks": False}`` for COCO;
    `veriscene.io.readers.reader_options` lists each format's; an annotation file or folder, and a
    file or folder an option names, may be a URL, read through a local copy,
    `veriscene.engine.fetch.fetch_input`; an `image_root` URL names the images by URL); a resumed run reuses that
    conversion when the input and options are unchanged (`veriscene.engine.converted`). Bad scene records go to
    `out/rejects.jsonl` and are counted, or
    raise with `strict` (the shard holding the record is not kept, and resuming with `strict`
    raises for the rejects of a shard it would keep). `progress(scenes, samples)` is called as
    input lines are done (in shard order or as shards finish), with the lines and the samples made since the last call;
    `scan_progress(bytes, total_bytes)` as the first pass reads the input, and `counted(scenes)`
    once it has counted the input's scenes (the total `progress` counts up to), before any shard;
    `kept(scenes, samples)` once a resume has found the shards it keeps, with their lines and
    samples (given to `progress` too), before any shard runs: the work of earlier calls, apart from
    which a display reckons this call's rates and time left;
    `on_shard(sidecar)` as each shard is done (its files written; resumed ones too), with its
    sidecar (`index`, `lines`, `samples`, `sha256`, `counts`...).

    `out` must be a new or empty folder, or hold a run (manifest.json): `resume` completes it
    (keeping only shards made with the same configuration, `RunSpec.key` in each sidecar),
    `overwrite` replaces it (its files, `RUN_FILES`, shards/, and `DERIVED`: export/, README.md,
    stats.png), even with an unreadable manifest. A folder holding other files is refused unless
    `overwrite` (which removes only a run's files); when the input is, or holds, the output folder,
    the run's own files are left out of it. A run that starts without a manifest clears shards/.
    A run that fails before it finished a shard (a damaged input found in the first pass, Ctrl-C)
    leaves a folder that held no run as it was, and a run that finished no shard (its manifest
    says running, no shard is done) is not in the way of a new one (`engine.run_folder`).

    `out` may be a URL (``s3://bucket/run``, ``gs://...``, any fsspec URL): the run is made in the
    local folder `staging` (default: `veriscene.engine.remote.default_staging`) and uploaded as
    it goes, each shard as it is done and the manifest last, with fsspec's `storage_options`
    (`veriscene.engine.remote`). Its sample image paths and manifest input paths are then
    absolute, as they are anywhere with `absolute_paths` (default: relative to `out`).
    `storage_options` apply to input URLs too.
    """
    seed = check_int("seed", seed, *SEED_RANGE)
    check_scene_limit(max_scene_objects)
    _check_options(per_scene=per_scene, workers=workers, backend=backend, address=address,
                   shared_output=shared_output, shard_size=shard_size, shard_format=shard_format,
                   pool_size=pool_size, scan_chunk=scan_chunk, generators=generators, reader_options=reader_options,
                   from_format=from_format, generator_options=generator_options)
    check_path("out", out, "the run folder or its URL")
    check_flags(strict=strict, resume=resume, overwrite=overwrite, absolute_paths=absolute_paths)
    for called, function in (("progress(scenes, samples)", progress), ("counted(scenes)", counted),
                             ("kept(scenes, samples)", kept), ("scan_progress(bytes, total_bytes)", scan_progress), ("on_shard(sidecar)", on_shard)):
        check_callback(called, function)  # a number was called only once the run had started
    loaded = load_plugins(plugins)
    mix, modes, instances = _selection(generators, mode, per_scene, mixture, out, plugins_given=bool(loaded))
    instances, settings = _with_options(generator_options, mix, instances, out, plugins_given=bool(loaded))
    if remote.is_url(out):
        return _generate_remote(
            str(out), staging, storage_options, scenes, seed=seed, generators=generators, mode=mode,
            per_scene=per_scene, strict=strict, workers=workers, backend=backend, address=address,
            shared_output=shared_output, shard_size=shard_size, shard_format=shard_format, pool_size=pool_size,
            scan_chunk=scan_chunk, max_scene_objects=max_scene_objects, resume=resume, overwrite=overwrite,
            from_format=from_format, reader_options=reader_options, mixture=mixture,
            generator_options=generator_options, plugins=plugins, progress=progress,
            scan_progress=scan_progress, counted=counted, kept=kept, on_shard=on_shard)
    given = scene_items(scenes)  # TypeError for None, a number
    urls = _urls(given)
    named = [v for v in (reader_options or {}).values() if isinstance(v, (str, os.PathLike)) and remote.is_url(v)]
    if staging is not None or (storage_options is not None and not urls and not named):
        raise ValueError("staging is for an output at a URL, storage_options for an output or input at a URL "
                         "(s3://..., gs://...)")
    start = time.perf_counter()
    out_dir = remote.local_path(out)
    _check_out_path(out_dir)
    found = converted.held(out_dir)  # what a conversion failing below leaves as it was (`kept_or_taken_back`)
    inputs = prepare_inputs(given, out_dir, from_format=from_format, reader_options=reader_options,
                            storage_options=storage_options, strict=strict, resume=resume, overwrite=overwrite,
                            version=_version())
    paths, sources, manifest, notes = inputs.paths, inputs.sources, inputs.manifest, inputs.notes
    max_scene_objects = scene_object_limit(max_scene_objects, manifest)
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
    # recorded but for a run made before the limit existed (its manifest records none, and it had
    # none) resumed without one: its configuration, and so its key and shards, stay its own
    if max_scene_objects or manifest is None or "max_scene_objects" in manifest["config"]:
        config["max_scene_objects"] = max_scene_objects
    if loaded:  # recorded only when given: runs without plugins keep their configuration key
        config["plugins"] = plugins_config(loaded)
    if settings:  # as given (resolved to full names), beside their effect on "generators": only when given
        config["generator_options"] = settings
    key = config_key(config)
    # beside the config, not in it: the key stays, and a run made before them still resumes
    fingerprints = {g.name: generator_fingerprint(g) for g in instances}
    source = source_record(instances)  # the code's digest: a run is finished by the code that started it
    finished = None
    changed_code = None  # the code changed since a finished run: said, nothing made again
    if manifest is not None:
        finished = manifest if _finished(out_dir, manifest) else None
        changed_code = check_resume(manifest, config, out_dir, fingerprints, source, finished=finished is not None)
    summary = RunSummary(out_dir=str(out_dir), run_dir=str(out_dir), notes=notes)
    if finished is not None:  # resuming a run that had completed: nothing to do
        if "summary" in finished:
            summary.merge_counts(finished["summary"])
        else:  # manifests written before the run summary was stored kept counts per shard
            for shard in finished.get("shards", []):
                summary.merge_counts(shard["counts"])
        summary.rejects = {"rejected": finished["counts"]["rejected_scenes"], "report": str(out_dir / "rejects.jsonl")}
        summary.notes.append(f"resumed: the run had finished; its {len(finished.get('shards', ()))} shard(s) kept, none run again")
        summary.shards = summary.shards_kept = len(finished.get("shards", ()))
        if changed_code:
            summary.notes.append(changed_code)
        if finished["config"].get("shard_format", "jsonl") == "jsonl":  # killed after its manifest, before
            shutil.rmtree(out_dir / "shards", ignore_errors=True)      # removing the merged shards: as it would have
        summary.seconds = time.perf_counter() - start
        return summary

    # One Ray session for both passes (a no-op for the local backend). A run failing before it
    # finished a shard, in a folder that held no run, takes back what it wrote: the folder is left
    # as it was (`taken_back_unless_sharded`, entered first so as to act once Ray is let go), and
    # so does the conversion of its input, unless kept for --resume after Ctrl-C or SIGTERM
    # (`converted.kept_or_taken_back`, entered before, so as to act once the run is taken back).
    with converted.kept_or_taken_back(out_dir, found), taken_back_unless_sharded(out_dir, fresh=manifest is None), \
            (ray_session(workers or 1, address) if backend == "ray" else nullcontext()) as ray:
        workers_write = False
        if ray is not None:
            workers, workers_write = _ray_run(ray, workers, out_dir, shared_output, summary.notes)
        workers = workers or 1
        try:
            scan = scan_scenes(paths, seed=seed, pool_size=pool_size, chunk_bytes=scan_chunk,
                               workers=workers, backend=backend, address=address, progress=scan_progress,
                               max_scene_objects=max_scene_objects)
        except (ValueError, OSError) as exc:  # a broken input: named by its URL, not by its local copy
            raise _said_with_urls(exc, paths, sources) from exc
        # written once the input is read through: an input found damaged, a Ray cluster out of
        # reach or a kill in the scan leave the folder as it was (a resumed run's manifest too)
        write_json(out_dir / "manifest.json", {"config": config, "key": key, "fingerprints": fingerprints,
                                               "source": source, "status": "running"})
        if counted is not None:
            counted(scan.scenes)
        if scan.ignored:
            summary.notes.append(ignored_note(scan.ignored))
        if scan.unmarked_slices:
            summary.notes.append(unmarked_note(scan.unmarked_slices))
        if scan.repeats_uncounted:
            summary.notes.append(repeats_note(scan.repeats_uncounted))
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
            shard_format=shard_format, plugins=tuple(p.spec for p in loaded),
            plugin_sources=plugin_sources(loaded) if backend == "ray" else (),
            generator_modules=generator_modules(instances), max_scene_objects=max_scene_objects,
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
            summary.repeats_dropped += kept_repeats(sidecar)  # dropped before the run was killed and resumed
            shared.add(sidecar["index"], SharedRows.from_json(sidecar.get("shared")))
            entries[sidecar["index"]] = {k: sidecar[k] for k in SHARD_ENTRY}

        kept_lines = 0
        for index in range(n_shards):
            done = finished_sidecar(shards_dir, index, shard_format, key) if resume else None
            if done is not None:
                if strict and (kept_rejects := _shard_rejects(shards_dir, index, shard_format)):
                    raise _strict_error(kept_rejects)  # kept from a run without --strict (or an older release's)
                finish(done)
                if on_shard is not None:
                    on_shard(done)
                lines = done["lines"][1] - done["lines"][0] + 1 if done["scenes"] or done["rejected"] else 0
                kept_lines += lines
                if progress is not None:
                    progress(lines, done["samples"])
        todo = [i for i in range(n_shards) if i not in entries]
        summary.shards, summary.shards_kept = n_shards, len(entries)
        kept_scenes, kept_samples = summary.scenes, summary.samples  # what this call did not make
        if kept is not None and entries:
            kept(kept_lines, sum(entry["samples"] for entry in entries.values()))
        if resume and manifest is not None:  # the counts add up what was kept and what ran now
            summary.notes.append(f"resumed: {len(entries)} of {n_shards} shard(s) kept from the interrupted run, {len(todo)} run now")
        elif resume and not overwrite:  # a mistyped --out would otherwise start a whole run unsaid
            summary.notes.append(f"resume: {out_dir} held no run to resume (no manifest.json): a new run was made")
        # no more local processes than shards to run (the output is the same for any number)
        shard_workers = workers if backend == "ray" else pool_workers(workers, len(todo))
        outputs = run_tasks(spec, _tasks(paths, scan, shard_size, todo, skip), backend=backend,
                            workers=shard_workers, address=address, progress=progress)
        for output in outputs:
            if backend == "ray" or shard_workers > 1:
                summary.worker_peak_memory_mb = max(summary.worker_peak_memory_mb, output.peak_mb)
            if strict and output.rejects:  # its shard is not kept: a resume would go past the record
                if output.sidecar is not None:  # written by a Ray worker: not a finished shard of this run
                    sidecar_path(shards_dir, output.index).unlink(missing_ok=True)
                raise _strict_error(output.rejects)
            sidecar = output.sidecar or write_shard(shards_dir, output, shard_format)
            finish(sidecar)
            if on_shard is not None:
                on_shard(sidecar)

    repeats = summary.repeats_dropped + drop_repeats(shards_dir, entries, shared, shard_format, summary)
    _merge(out_dir, shards_dir, n_shards, shard_format)
    rejected = sum(s["rejected"] for s in entries.values())
    summary.rejects = {"rejected": rejected, "report": str(out_dir / "rejects.jsonl")}
    summary.repeats_dropped = repeats
    if summary.scenes == 0 and rejected:
        summary.notes += _format_notes(paths)
    manifest = {
        "config": config,
        "key": key,
        "fingerprints": fingerprints,
        "source": source,
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
    summary.scenes_now, summary.samples_now = summary.scenes - kept_scenes, summary.samples - kept_samples
    summary.seconds = time.perf_counter() - start
    summary.peak_memory_mb = peak_memory_mb()
    return summary


def _strict_error(rejects: list[dict[str, Any]]) -> SceneValidationError:
    """What a `strict` run raises for a shard's rejects: the first record's."""
    first = min(rejects, key=lambda r: r["record"])
    return SceneValidationError(first["reason"], source=first["file"], record=first["record"], field=first["field"])


def _shard_rejects(shards_dir: Path, index: int, fmt: str) -> list[dict[str, Any]]:
    """The rejects of a finished shard (its rejects.jsonl)."""
    path = shards_dir / shard_files(index, fmt)[1]
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()] if path.exists() else []


_AT_URL = RunKind(GENERATE.name, "two runs to one URL would replace each other's shards", GENERATE.again)


def _generate_remote(url: str, staging: str | os.PathLike[str] | None, storage_options: dict[str, Any] | None,
                     scenes: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *, resume: bool,
                     overwrite: bool, on_shard: Callable[[dict[str, Any]], None] | None, shard_format: str,
                     **options: Any) -> RunSummary:
    """`generate` into a URL: made in a staging folder, uploaded as it goes (`engine.remote`)."""
    check_available(shard_format)
    run = remote.RemoteRun(url, staging, storage_options)
    with run:
        lock_url(url, _AT_URL)  # two runs to `url` from this machine, whatever their staging folders
        lock_folder(run.staging)  # before `prepare` clears or downloads into it
        note = run.prepare(resume=resume, overwrite=overwrite, kind=_AT_URL)  # the URL's lease, across machines

        def done(sidecar: dict[str, Any]) -> None:
            run.shard_done(sidecar, shard_format)
            if on_shard is not None:
                on_shard(sidecar)

        at_url = RUN_AT_URL.set((Path(run.staging), url))  # an input converted into the run: named at the URL
        try:
            summary = generate(scenes, run.staging, resume=resume, overwrite=overwrite, on_shard=done,
                               shard_format=shard_format, absolute_paths=True,
                               storage_options=storage_options if _urls(scenes) else None, **options)
        finally:
            RUN_AT_URL.reset(at_url)
        uploaded = run.publish()
    summary.notes.append(f"{note}: {uploaded} file(s) uploaded")
    summary.out_dir = url
    if summary.rejects:
        summary.rejects["report"] = f"{url}/rejects.jsonl"
    return summary
