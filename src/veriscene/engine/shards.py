"""Shard tasks: the unit of work every backend runs, and the files a finished shard leaves.

A shard is a run of consecutive scene lines. `run_shard` is a pure function of the run spec and
the shard's raw lines, so the in-process, process-pool and Ray backends produce identical bytes.
The driver writes each finished shard atomically (temporary name, then rename) with a sidecar
`.json` written last; a shard counts as done only when its sidecar exists and the checksum of its
sample file matches, which is what makes `--resume` safe after `kill -9` at any moment.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import importlib
import os
import sys
from array import array
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, Callable, Iterable, NamedTuple

import orjson

from veriscene.engine import collector
from veriscene.engine.fetch import join_url
from veriscene.engine.remote import is_url
from veriscene.engine.codecs import SUFFIX, encode
from veriscene.engine.disk_space import temporary_for
from veriscene.engine.pool import ScenePool
from veriscene.engine.scan import PoolEntry
from veriscene.engine.summary import RunSummary, peak_memory_mb
from veriscene.errors import SceneValidationError
from veriscene.generators import SceneRunner, Vocabulary, get_generator
from veriscene.generators.mixture import Mixture
from veriscene.generators.plugins import load_plugins
from veriscene.generators.runner import describe_failure
from veriscene.sample import sample_line
from veriscene.scene.depth_maps import anchored
from veriscene.scene.jsonl import loads_line, scene_from_dict
from veriscene.scene.model import Scene


class InputFile(NamedTuple):
    """One file of a run's input, as its workers need it."""

    name: str  # as named in reject reports
    folder: str  # image paths in its scenes are relative to this
    first_line: int  # number of its first line in the input (1 for the first file)


@dataclass(frozen=True)
class RunSpec:
    """Everything a worker needs, shared by all shards of a run (picklable)."""

    key: str  # config hash: workers cache their state by it
    seed: int
    modes: tuple[str, ...]
    generators: tuple[tuple[str, dict[str, Any]], ...]  # (name, filled config)
    vocabulary: dict[str, Any]
    pool: tuple[PoolEntry, ...]
    inputs: tuple[InputFile, ...]  # the input's files, in order
    out_dir: str | None  # image paths in samples are relative to this (None: absolute)
    mixture: Mixture | None = None
    # Where workers write finished shards themselves (local backends: one file system). None:
    # the shard's bytes go back to the driver, which writes them (Ray, no shared file system).
    shards_dir: str | None = None
    shard_format: str = "jsonl"
    # generators of the user's own (`generators.plugins`): files or modules each worker imports
    plugins: tuple[str, ...] = ()
    # (path, source) of the file plugins as the driver read them: a node without the file runs them
    plugin_sources: tuple[tuple[str, bytes], ...] = ()
    # modules outside veriscene that define selected generators (`generator_modules`): a worker
    # that did not fork from the driver (forkserver, spawn, Ray) imports them, so it has them too
    generator_modules: tuple[str, ...] = ()
    # a scene of more objects is rejected before it is read further (`check_scene_size`); 0: none
    max_scene_objects: int = 0


@dataclass
class ShardTask:
    index: int
    lines: list[tuple[int, bytes]]  # (1-based line number in the input, raw line)
    skip: dict[int, str] = field(default_factory=dict)  # line number -> reason (e.g. duplicate id)


def generator_modules(generators: Iterable[Any]) -> tuple[str, ...]:
    """The modules outside veriscene (and other than `__main__`) that define `generators`' classes."""
    modules = {type(g).__module__ for g in generators}
    return tuple(sorted(m for m in modules if m != "__main__" and m != "veriscene" and not m.startswith("veriscene.")))


def id_hash(sample_id: str) -> int:
    """64 bits of a sample id (ids are hex digests; a collision among the pool's few hundred
    thousand multi-image samples has odds below one in a billion)."""
    return int(sample_id[:16], 16)


@dataclass
class SharedRows:
    """Lines (uint32) and sample-id hashes (uint64) of a shard's repeatable samples: compact in
    memory, in transit between processes and in the sidecar (base64)."""

    lines: array[int] = field(default_factory=lambda: array("I"))
    hashes: array[int] = field(default_factory=lambda: array("Q"))

    def add(self, line: int, sample_id: str) -> None:
        self.lines.append(line)
        self.hashes.append(id_hash(sample_id))

    def to_json(self) -> dict[str, str]:
        return {"lines": _encode(self.lines), "hashes": _encode(self.hashes)}

    @classmethod
    def from_json(cls, data: dict[str, str] | None) -> "SharedRows":
        if not data:
            return cls()
        return cls(_decode("I", data["lines"]), _decode("Q", data["hashes"]))


def _encode(values: array[int]) -> str:
    """Base64 of the values as little-endian bytes (the same file on any machine)."""
    if sys.byteorder == "big":
        values = array(values.typecode, values)
        values.byteswap()
    return base64.b64encode(values.tobytes()).decode("ascii")


def _decode(typecode: str, text: str) -> array[int]:
    values = array(typecode)
    values.frombytes(base64.b64decode(text))
    if sys.byteorder == "big":
        values.byteswap()
    return values


@dataclass
class ShardOutput:
    index: int
    # samples as JSONL (the buffer the worker made them in), or in the shard format if `encoded`;
    # empty once written by the worker
    data: bytes | bytearray
    rejects: list[dict[str, Any]]
    counts: dict[str, Any]  # RunSummary.counts()
    first_line: int
    last_line: int
    sidecar: dict[str, Any] | None = None  # set when the worker wrote the shard's files itself
    # Multi-image samples whose images all lie in the partner pool, the only samples another
    # anchor can repeat exactly (see `engine.repeats`): their lines in the shard and id hashes.
    shared: SharedRows = field(default_factory=SharedRows)
    peak_mb: float = 0.0  # the worker process's peak RSS when the shard was done (not written)
    encoded: bool = False  # `data` is already compressed (zstd) or Parquet, by the worker
    key: str = ""  # the run's config key (RunSpec.key), written into the sidecar


class _Worker:
    """Per-process state built once from a RunSpec."""

    def __init__(self, spec: RunSpec) -> None:
        load_plugins(spec.plugins, spec.plugin_sources)  # once per process: a forked worker has them already
        for module in spec.generator_modules:
            if module not in sys.modules:
                importlib.import_module(module)
        generators = []
        for name, config in spec.generators:
            try:
                cls = get_generator(name)
            except KeyError as exc:
                raise KeyError(f"{exc.args[0]} (in a worker process: a generator defined in __main__, a notebook's, "
                               "exists only in workers forked from it; define it in a module and pass that as "
                               "plugins, or set VERISCENE_START_METHOD=fork)") from None
            generators.append(cls(cls.Config(**config)))
        self.inputs = spec.inputs
        self._first_lines = [i.first_line for i in spec.inputs]
        self.out_dir = Path(spec.out_dir) if spec.out_dir is not None else None
        # a pooled scene's image path is relative to the folder of the file it comes from
        self._pool_folders = {e.image_id: spec.inputs[e.source].folder for e in spec.pool} if len(spec.inputs) > 1 else {}
        self.runner = SceneRunner(
            generators, Vocabulary.from_dict(spec.vocabulary), seed=spec.seed, modes=spec.modes,
            pool=ScenePool(spec.pool) if spec.pool else None, image_path=self.image_path, mixture=spec.mixture,
            raise_errors=False,  # a generator failing on one scene is reported, and the run goes on
        )
        self.spec = spec
        self.pool_ids = frozenset(entry.image_id for entry in spec.pool)
        self._paths: dict[tuple[str, str], str] = {}

    def source(self, line_no: int) -> tuple[InputFile, int]:
        """(input file, its own line number) of line `line_no` of the input."""
        k = max(bisect.bisect_right(self._first_lines, line_no) - 1, 0)
        return self.inputs[k], line_no - self.inputs[k].first_line + 1

    def image_path(self, scene: Scene, folder: str | None = None) -> str | None:
        """Image path as written in samples: relative to the output folder when possible. `folder`:
        that of the scene's file (default: a pooled scene's, else the first file's)."""
        if scene.image is None:
            return None
        if folder is None:
            folder = self._pool_folders.get(scene.image_id, self.inputs[0].folder)
        key = (folder, scene.image)
        cached = self._paths.get(key)
        if cached is None:
            if len(self._paths) >= 8192:  # bounded: partner images repeat, anchors do not
                self._paths.clear()
            cached = self._paths[key] = self._relative(scene.image, folder)
        return cached

    def _relative(self, path: str, folder: str) -> str:
        if is_url(path) or is_url(folder):  # an image given by URL, or in scenes read from one: a URL
            return join_url(folder, path) if is_url(folder) else path
        image = Path(path)
        if not image.is_absolute():
            image = Path(folder) / image
        if self.out_dir is None:  # a run at a URL (`absolute_paths`)
            return os.path.normpath(image)
        try:
            return os.path.relpath(image, self.out_dir)
        except ValueError:  # another drive (Windows)
            return str(image)


_WORKERS: dict[tuple[str, str | None, tuple[str, ...]], _Worker] = {}


def worker_for(spec: RunSpec) -> _Worker:
    # by the config key and where the run lies: the key records the input files relative to the
    # run folder (and their digests), so two runs of the same files laid out alike in two folders
    # share it, and a worker kept from the first read the second's depth maps from its folders
    key = (spec.key, spec.out_dir, tuple(i.folder for i in spec.inputs))
    worker = _WORKERS.get(key)
    if worker is None:
        _WORKERS.clear()
        worker = _WORKERS[key] = _Worker(spec)
    return worker


class OversizedSceneError(SceneValidationError):
    """A scene record of more objects than the run's `max_scene_objects`."""


def _parse_scene(line: bytes, max_objects: int = 0) -> Scene:
    """The scene of a raw line; SceneValidationError for a bad record, OversizedSceneError
    (before any object is read) for one of more than `max_objects` objects (0: no limit)."""
    try:
        record = loads_line(line)
    except orjson.JSONDecodeError as exc:
        raise SceneValidationError(_not_utf8(line) or f"invalid JSON ({exc})") from None
    if max_objects:
        check_scene_size(record, max_objects)
    return scene_from_dict(record)


def check_scene_size(record: object, max_objects: int) -> None:
    """Raise OversizedSceneError for a decoded scene record holding more than `max_objects`
    objects, saying its image id, its count, the limit and how to raise it."""
    if not isinstance(record, dict):
        return  # (not a scene record: `scene_from_dict` says why)
    objects = record.get("objects")
    if isinstance(objects, list) and len(objects) > max_objects:
        raise OversizedSceneError(
            f"scene {str(record.get('image_id'))[:200]!r} has {len(objects):,} objects, more than the run's "
            f"limit of {max_objects:,} per scene (generation grows faster than a scene's objects; one of "
            "hundreds of thousands would stall the run), so no sample is made from it; raise the limit with "
            "--max-scene-objects N (generate(max_scene_objects=N)), or 0 for no limit", field="objects")


def _not_utf8(line: bytes) -> str | None:
    """Why a line that is no JSON is not even text: its first byte that is no UTF-8 (orjson says
    only "str is not valid UTF-8: surrogates not allowed"); None for UTF-8 text."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (f"not UTF-8 text: byte 0x{line[exc.start]:02x} at byte {exc.start + 1} of the line is not UTF-8 "
                "(JSON lines must be UTF-8: convert the file, e.g. with iconv -f latin1 -t utf-8 if it is Latin-1)")
    return None


def run_shard(spec: RunSpec, task: ShardTask, progress: Callable[[int, int], None] | None = None) -> ShardOutput:
    """Generate one shard. Bad scene records, and a generator failing on a scene, become reject
    entries (levels "scene" and "generator"), never exceptions. `progress(1,
    samples)` is called after every line."""
    worker = worker_for(spec)
    runner = worker.runner
    runner.stats.clear()
    summary = RunSummary()
    rejects: list[dict[str, Any]] = []
    shared = SharedRows()
    # The shard's JSONL, grown in place and written or sent as it is, never copied into bytes (a
    # copy cost 0.10 s per 2,000 demo scenes). Not a list of lines joined at the end: their
    # 16,000 small buffers a shard raised a worker's peak memory from 305 to 367 MiB (10,000 scenes).
    data = bytearray()
    pool_ids = worker.pool_ids
    shared_lines, shared_hashes, image_id = shared.lines.append, shared.hashes.append, itemgetter("id")
    with collector.paused():
        for line_no, line in task.lines:
            before = summary.samples
            source, own_line = worker.source(line_no)
            if line_no in task.skip:
                rejects.append({"file": source.name, "record": own_line, "field": "image_id",
                                "reason": task.skip[line_no], "level": "scene"})
            else:
                try:
                    scene = _parse_scene(line, spec.max_scene_objects)
                except SceneValidationError as exc:
                    rejects.append({"file": source.name, "record": own_line, "field": exc.field,
                                    "reason": exc.reason, "level": "scene"})
                    if isinstance(exc, OversizedSceneError):
                        summary.oversized += 1
                else:
                    if scene.depth_map is not None:  # relative to its file's folder, as its image
                        scene = anchored(scene, source.folder)
                    try:
                        made = runner.run(scene, image_path=worker.image_path(scene, source.folder))
                    except Exception as exc:  # noqa: BLE001 - outside every generator: the scene's own tables
                        rejects.append({"file": source.name, "record": own_line, "field": None, "level": "scene",
                                        "reason": f"scene {scene.image_id!r} could not be prepared for the "
                                                  f"generators: {describe_failure(exc)}"})
                    else:
                        for k, sample in enumerate(made):
                            images = sample.images
                            if len(images) > 1 and pool_ids.issuperset(map(image_id, images)):
                                shared_lines(summary.samples + k)  # `SharedRows.add`, inline
                                shared_hashes(id_hash(sample.id))
                            # fields in record order, as to_dict; the program's JSON as the id hashed it
                            data += sample_line(sample)
                        summary.add_all(made)
                        for name, failure in runner.failures:  # in rejects.jsonl, not counted as rejected scenes
                            rejects.append({"file": source.name, "record": own_line, "field": name,
                                            "reason": f"generator failed on scene {scene.image_id!r}: {failure}",
                                            "level": "generator"})
                        summary.scenes += 1
                        if summary.scenes % collector.PERIOD == 0:
                            collector.settle()
            if progress is not None:
                progress(1, summary.samples - before)
    summary.generator_stats.update(runner.stats)
    first = task.lines[0][0] if task.lines else 0
    last = task.lines[-1][0] if task.lines else 0
    output = ShardOutput(task.index, data, rejects, summary.counts(), first, last, shared=shared,
                         peak_mb=peak_memory_mb(include_children=False), key=spec.key)
    if spec.shards_dir is not None:
        # Written here, so the driver never holds a shard's samples (large buffers passed between
        # processes fragment the driver's heap and its memory would grow with the run).
        output.sidecar = write_shard(Path(spec.shards_dir), output, spec.shard_format)
        output.data = b""
    elif spec.shard_format != "jsonl":
        # Sent back to the driver (Ray workers that cannot write OUT): encoded here, so the driver
        # only writes files, however many workers there are, and less crosses the network.
        output.data, output.encoded = encode(output.data, spec.shard_format), True
    return output


# ---- files a shard leaves ------------------------------------------------------------------


def shard_name(index: int) -> str:
    return f"shard-{index:05d}"


def shard_files(index: int, fmt: str) -> tuple[str, str, str]:
    """A shard's file names in the order they are written: its samples, its rejects, then the
    sidecar that marks it done."""
    name = shard_name(index)
    return name + SUFFIX[fmt], name + ".rejects.jsonl", name + ".json"


def shard_path(shards_dir: Path, index: int, fmt: str) -> Path:
    return shards_dir / shard_files(index, fmt)[0]


def sidecar_path(shards_dir: Path, index: int) -> Path:
    return shards_dir / (shard_name(index) + ".json")


def _atomic_write(path: Path, data: bytes | bytearray) -> None:
    with temporary_for(path) as tmp:  # removed if the write fails (a full disk, said naming `path`)
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)


# What the manifest keeps of each shard's sidecar.
SHARD_ENTRY = ("index", "lines", "samples", "scenes", "rejected", "sha256")


def write_shard(shards_dir: Path, output: ShardOutput, fmt: str) -> dict[str, Any]:
    """Write a finished shard's files; the sidecar last. Returns the sidecar content."""
    payload = output.data if output.encoded else encode(output.data, fmt)
    _atomic_write(shard_path(shards_dir, output.index, fmt), payload)
    rejects = b"".join(orjson.dumps(r) + b"\n" for r in output.rejects)
    _atomic_write(shards_dir / shard_files(output.index, fmt)[1], rejects)
    rejected = sum(r["level"] == "scene" for r in output.rejects)  # not a generator's failure on a scene
    return write_sidecar(shards_dir, output, rejected, hashlib.sha256(payload).hexdigest())


def write_sidecar(shards_dir: Path, output: ShardOutput, rejected: int, sha256: str,
                  repeats_dropped: int = 0) -> dict[str, Any]:
    """Write the sidecar that marks a shard finished (after its files); returns its content. It
    holds the run's config key (`output.key`), so that only a run of the same configuration takes
    the shard as done; an output without one (`engine.repeats` rewriting a finished shard) keeps
    the key of the sidecar it replaces, and records the samples it dropped (`repeats_dropped`,
    only when some were): a run resumed past the rewrite counts them without dropping them again."""
    sidecar = {
        "index": output.index,
        "key": output.key or _stored_key(sidecar_path(shards_dir, output.index)),
        "lines": [output.first_line, output.last_line],
        "samples": output.counts["samples"],
        "scenes": output.counts["scenes"],
        "rejected": rejected,
        "sha256": sha256,
        "counts": output.counts,
        "shared": output.shared.to_json(),
    }
    if repeats_dropped:
        sidecar["repeats_dropped"] = repeats_dropped
    _atomic_write(sidecar_path(shards_dir, output.index), orjson.dumps(sidecar))
    return sidecar


def _stored_key(side: Path) -> str:
    try:
        stored = orjson.loads(side.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return ""
    return stored.get("key", "") if isinstance(stored, dict) else ""


def finished_sidecar(shards_dir: Path, index: int, fmt: str, key: str | None = None) -> dict[str, Any] | None:
    """The sidecar of a shard that finished intact, else None (missing, partial or corrupt, or,
    given the run's config `key`, made by a run of another configuration)."""
    side, data = sidecar_path(shards_dir, index), shard_path(shards_dir, index, fmt)
    if not side.exists() or not data.exists():
        return None
    try:
        sidecar = orjson.loads(side.read_bytes())
    except orjson.JSONDecodeError:
        return None
    if not isinstance(sidecar, dict) or (key is not None and sidecar.get("key") != key):
        return None
    if hashlib.sha256(data.read_bytes()).hexdigest() != sidecar.get("sha256"):
        return None
    return sidecar
