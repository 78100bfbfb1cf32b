"""`verify`: re-run every sample's program on its scene graph and compare with the stored answer.

Works on a run folder (its manifest says where the scenes are) or on a samples file with an
explicit scenes file. Nothing is assumed about the samples: each record is validated, its program
type-checked and executed; multiple-choice letters are checked against the options.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from array import array
from collections import OrderedDict
from itertools import islice
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import orjson

from veriscene.errors import ExecutionFailure, ProgramError, SceneValidationError
from veriscene.generators.registry import get_generator
from veriscene.program.context import ExecutionContext
from veriscene.program.executor import execute
from veriscene.sample import OPTION_LETTERS, Sample
from veriscene.engine import fetch
from veriscene.engine.runfiles import FileCheck, check_files, sample_lines
from veriscene.engine.scan import stable_hash
from veriscene.engine.manifest import input_file, read_manifest, scene_inputs
from veriscene.scene.compressed import compression
from veriscene.scene.inputs import input_errors, open_scenes, scene_paths
from veriscene.scene.jsonl import scene_from_dict
from veriscene.scene.model import Scene

_COORD_TOLERANCE = 0.01  # pixels: stored boxes are rounded to 2 decimals
CHUNK_SIZE = 1000  # samples per task of a parallel verify
SCENE_CACHE = 5120  # parsed scenes kept (ParsedScenes): generate's default pool of 4,096, and more


@dataclass
class Problem:
    line: int
    sample_id: str | None
    kind: str  # "mismatch", "unreadable", "missing_scene", "program_error", "choice_mismatch"
    stored: Any = None  # the answer in the samples file
    computed: Any = None  # what the program computes on the scene graph
    detail: str = ""


@dataclass
class VerifyReport:
    samples: int = 0
    verified: int = 0
    problems: list[Problem] = field(default_factory=list)
    per_task: Counter[str] = field(default_factory=Counter)
    # a finished run's sample files against its manifest (None: a samples file alone)
    files: FileCheck | None = None
    # the veriscene version the run's manifest records (None: no manifest beside the samples)
    made_by: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.samples > 0 and (self.files is None or self.files.ok)

    @property
    def mismatches(self) -> int:
        return sum(p.kind in ("mismatch", "choice_mismatch") for p in self.problems)

    @property
    def unreadable(self) -> int:
        return sum(p.kind not in ("mismatch", "choice_mismatch") for p in self.problems)


def answers_equal(stored: Any, found: Any, answer_type: str) -> bool:
    if answer_type in ("box", "point"):
        return (
            isinstance(stored, list) and len(stored) == len(found)
            and all(isinstance(v, (int, float)) and abs(v - w) <= _COORD_TOLERANCE for v, w in zip(stored, found))
        )
    if answer_type == "float":
        return isinstance(stored, (int, float)) and abs(stored - found) <= 1e-6 * max(1.0, abs(found))
    if answer_type == "str_set":
        return isinstance(stored, list) and sorted(stored) == found
    return type(stored) is type(found) and stored == found


def _scenes_from_manifest(run_dir: Path) -> list[Path]:
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(f"{run_dir} has no manifest.json; pass the scenes file explicitly")
    manifest = orjson.loads(manifest_path.read_bytes())
    return [input_file(run_dir, entry["path"]) for entry in scene_inputs(manifest["config"])]


def run_version(samples_path: Path) -> str | None:
    """The veriscene version recorded in the manifest of the run holding `samples_path` (a run
    folder or a samples file beside its manifest); None without a readable one."""
    run_dir = samples_path if samples_path.is_dir() else samples_path.parent
    try:
        version = orjson.loads((run_dir / "manifest.json").read_bytes())["config"]["veriscene_version"]
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
        return None
    return version if isinstance(version, str) else None


def resolve_inputs(path: str | os.PathLike[str],
                   scenes: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None) -> tuple[Path, list[Path]]:
    """(run folder or samples file, scene files) from a run folder or a samples file; `scenes`
    overrides the files the run's manifest names (a file, or several: `veriscene.scene.inputs`).
    Runs, samples and scene files at a URL are read through local copies (`engine.fetch`)."""
    path = fetch.readable(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    run_dir = path if path.is_dir() else path.parent
    if scenes is None:
        files = _scenes_from_manifest(run_dir)
        for file in files:
            if not file.exists():
                raise FileNotFoundError(f"scenes file {file} does not exist")
        return path, files
    return path, scene_paths(fetch.fetch_scenes([scenes] if isinstance(scenes, (str, os.PathLike)) else scenes)[0])


class SceneIndex:
    """image id -> the lines of its scene, by seeking into the scene files.

    One pass records a 64-bit hash of every image id with its line offset (16 bytes per scene), so
    scenes are found without the data set held in memory.
    """

    def __init__(self, path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> None:
        paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
        hashes, offsets = array("Q"), array("q")
        offset = 0
        # a compressed file cannot be seeked in, nor several read as one: their lines are copied
        # to a temporary file as read
        copy = tempfile.TemporaryFile() if len(paths) > 1 or compression(paths[0]) is not None else None
        with input_errors(paths), open_scenes(paths) as fh:
            for line in fh:
                start, offset = offset, offset + len(line)
                if copy is not None:
                    copy.write(line)
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(record, dict) and "image_id" in record:
                    hashes.append(stable_hash(str(record["image_id"])))
                    offsets.append(start)
        order = np.argsort(np.frombuffer(hashes, dtype=np.uint64), kind="stable") if hashes else np.empty(0, np.int64)
        self._hashes = np.frombuffer(hashes, dtype=np.uint64)[order] if hashes else np.empty(0, np.uint64)
        self._offsets = np.frombuffer(offsets, dtype=np.int64)[order] if offsets else np.empty(0, np.int64)
        if copy is not None:
            copy.flush()
        self._fh = copy if copy is not None else open(paths[0], "rb")

    def lines(self, image_id: str) -> list[bytes]:
        """The lines whose image id hashes as `image_id`'s: its scene's (one, but for a collision
        of 64-bit hashes, or an id given twice), or none."""
        h = np.uint64(stable_hash(image_id))
        k = int(np.searchsorted(self._hashes, h))
        found = []
        while k < len(self._hashes) and self._hashes[k] == h:
            self._fh.seek(int(self._offsets[k]))
            found.append(self._fh.readline())
            k += 1
        return found

    def close(self) -> None:
        self._fh.close()


class ParsedScenes:
    """The scenes parsed last, by their line (so a line changed is parsed anew): multi-image samples
    draw their other images from the run's pool of a few thousand scenes (`pool_size`), so each
    would otherwise parse one to three scenes again. At most `size` are kept."""

    def __init__(self, size: int = SCENE_CACHE) -> None:
        self._scenes: OrderedDict[bytes, Scene | None] = OrderedDict()
        self.size = size

    def find(self, image_id: str, lines: list[bytes]) -> Scene | None:
        """The scene of `image_id` among its candidate lines (None: none is a valid scene of it)."""
        for line in lines:
            if line in self._scenes:
                self._scenes.move_to_end(line)
                scene = self._scenes[line]
            else:
                scene = _parse(line)
                self._scenes[line] = scene
                if len(self._scenes) > self.size:
                    self._scenes.popitem(last=False)
            if scene is not None and scene.image_id == image_id:
                return scene
        return None


def _parse(line: bytes) -> Scene | None:
    try:
        return scene_from_dict(orjson.loads(line))
    except (SceneValidationError, orjson.JSONDecodeError):
        return None


class SceneLookup:
    """image ids -> an execution context over their scenes, parsed from the lines of a
    `SceneIndex` (the scene files), or from lines given (`of_lines`: a chunk's scenes, sent to a
    worker with it); the last `cache_size` contexts are kept (a scene's samples are together), and
    the scenes parsed last (`parsed`)."""

    def __init__(self, path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
                 cache_size: int = 64, *, lines: Callable[[str], list[bytes]] | None = None,
                 parsed: ParsedScenes | None = None) -> None:
        self._index = SceneIndex(path) if path is not None else None
        self._lines = self._index.lines if self._index is not None else (lines or (lambda image_id: []))
        self._cache: OrderedDict[str, ExecutionContext | None] = OrderedDict()
        self._cache_size = cache_size
        self._parsed = parsed if parsed is not None else ParsedScenes()

    @classmethod
    def of_lines(cls, scenes: dict[str, list[bytes]], cache_size: int = 64,
                 parsed: ParsedScenes | None = None) -> "SceneLookup":
        return cls(cache_size=cache_size, lines=lambda image_id: scenes.get(image_id, []), parsed=parsed)

    def context(self, image_ids: list[str]) -> ExecutionContext | None:
        """An execution context over these images (None if one is missing or invalid)."""
        key = "\x00".join(image_ids)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        scenes = [self._parsed.find(i, self._lines(i)) for i in image_ids]
        ctx = ExecutionContext([s for s in scenes if s is not None]) if all(s is not None for s in scenes) else None
        self._cache[key] = ctx
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return ctx

    def close(self) -> None:
        if self._index is not None:
            self._index.close()


_OPTIONS_HEAD = "\nOptions:"  # where the runner lists the options in a question (`SceneRunner._render`)


def _check_choice(sample: Sample, found: Any, scene: Scene) -> str | None:
    """Why a multiple-choice sample's options do not hold its verified answer, or None: the
    correct letter names the option saying the answer, the options are distinct, and the
    question lists these very options (the list a model reads)."""
    letter = sample.meta.get("answer_letter")
    choices = sample.choices or []
    if not isinstance(letter, str) or letter not in OPTION_LETTERS[: len(choices)]:
        return f"answer_letter {letter!r} does not name one of {len(choices)} options"
    if len(set(choices)) != len(choices):
        return f"the options are not distinct: {choices!r}"[:300]
    if _OPTIONS_HEAD in sample.question:
        listed = "".join(f"\n{OPTION_LETTERS[i]}. {c}" for i, c in enumerate(choices))
        if f"{_OPTIONS_HEAD}{listed}\n" not in sample.question + "\n":
            return "the question lists other options than the sample's choices"
    try:
        gen = get_generator(sample.task)
        config = gen.Config(**sample.meta.get("config", {}))
        expected = gen(config).choice_text(found, scene)
    except (KeyError, TypeError):
        return None  # generator unknown to this version: the answer itself was verified
    chosen = (sample.choices or [])[OPTION_LETTERS.index(letter)]
    return None if chosen == expected else f"option {letter} is {chosen!r} but the answer is {expected!r}"


def _verify_one(line_no: int, line: bytes, lookup: SceneLookup, report: VerifyReport) -> None:
    try:
        sample = Sample.from_dict(orjson.loads(line))
    except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
        report.problems.append(Problem(line_no, None, "unreadable", detail=str(exc)[:200]))
        return
    images = sample.images if isinstance(sample.images, list) else []
    image_ids = [img.get("id") if isinstance(img, dict) else None for img in images]
    if not image_ids or not all(isinstance(i, str) for i in image_ids):
        report.problems.append(Problem(line_no, sample.id, "unreadable", detail="images must list image ids"))
        return
    ctx = lookup.context(image_ids)  # type: ignore[arg-type]
    if ctx is None:
        report.problems.append(Problem(line_no, sample.id, "missing_scene", detail=f"no valid scene for {image_ids}"))
        return
    try:
        found = execute(sample.program, ctx)
    except (ProgramError, ExecutionFailure, SceneValidationError, TypeError) as exc:
        report.problems.append(Problem(line_no, sample.id, "program_error", detail=str(exc)[:200]))
        return
    if not answers_equal(sample.answer, found, sample.answer_type):
        report.problems.append(Problem(line_no, sample.id, "mismatch", stored=sample.answer, computed=found))
        return
    if sample.choices is not None:
        detail = _check_choice(sample, found, ctx.scene(0))
        if detail is not None:
            report.problems.append(Problem(line_no, sample.id, "choice_mismatch", detail=detail))
            return
    report.verified += 1
    report.per_task[sample.task] += 1


def verify(
    path: str | os.PathLike[str],
    scenes: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
    backend: str = "local",
    address: str | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> VerifyReport:
    """Re-execute every sample's program; report mismatches and unreadable records.

    `path` is a run folder (its manifest names the scene files) or a samples JSONL file (with the
    run's manifest beside it, or `scenes` given: a file, or several as `generate` reads them).
    `report.made_by` is the veriscene version the run's manifest records: programs are re-run
    with this version's ops, so a run made by another release may differ where an op changed.
    A finished run's sample files are first checked against its manifest (`report.files`,
    `veriscene.engine.runfiles.check_files`): every shard's samples there, with the recorded
    SHA-256, and nothing more; a difference makes the report not `ok`.
    `progress(n)` is called as samples are done. `workers` > 1 (or `backend` "ray", on the
    cluster at `address` or a local one): the samples are checked `chunk_size` at a time on
    worker processes or Ray tasks, each sent with the lines of the scenes it needs (the workers
    read no file, so a Ray cluster needs no shared disk); the report is the same, problems in
    line order.
    """
    samples_path, scenes_path = resolve_inputs(path, scenes)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    cache = _scene_cache(samples_path)
    files = check_files(samples_path)  # first: a run copied in part is told in seconds
    if workers > 1 or backend != "local":
        report = _verify_parallel(samples_path, scenes_path, progress, workers, backend, address, chunk_size,
                                  cache, files)
        report.made_by = run_version(samples_path)
        return report
    lookup = SceneLookup(scenes_path, parsed=ParsedScenes(cache))
    report, stopped = VerifyReport(files=files, made_by=run_version(samples_path)), list[Problem]()
    try:
        for line_no, line in _readable_lines(samples_path, files, stopped):
            report.samples += 1
            _verify_one(line_no, line, lookup, report)
            if progress is not None:
                progress(1)
    finally:
        lookup.close()
    report.problems += stopped
    return report


def _readable_lines(samples_path: Path, files: FileCheck | None,
                    stopped: list[Problem]) -> Iterator[tuple[int, bytes]]:
    """The sample lines; when a shard file the manifest check found missing or damaged cannot be
    read, the reading stops there, said in `stopped` (otherwise the error is raised)."""
    try:
        yield from sample_lines(samples_path)
    except (FileNotFoundError, ValueError) as exc:
        if files is None or files.ok:
            raise
        stopped.append(Problem(line=0, sample_id=None, kind="unreadable", detail=f"reading stopped: {exc}"))


_WORKER_SCENES = ParsedScenes()  # a worker's, kept from chunk to chunk


def _scene_cache(samples_path: Path) -> int:
    """How many parsed scenes to keep: more than the run's pool of multi-image scenes (its
    manifest's `pool_size`), which every multi-image sample draws from."""
    try:
        manifest = read_manifest(samples_path if samples_path.is_dir() else samples_path.parent)
    except ValueError:  # not JSON: the default
        manifest = None
    config = manifest.get("config") if isinstance(manifest, dict) else None
    pool = config.get("pool_size") if isinstance(config, dict) else None
    return max(SCENE_CACHE, pool + 1024) if isinstance(pool, int) else SCENE_CACHE


def verify_chunk(lines: list[tuple[int, bytes]], scenes: dict[str, list[bytes]],
                 cache: int = SCENE_CACHE) -> VerifyReport:
    """The report on these sample lines ((line number, line) pairs), their scenes given as the
    lines of each image id (`SceneIndex.lines`): what a worker of a parallel `verify` does. The
    worker keeps the last `cache` scenes it parsed from chunk to chunk."""
    _WORKER_SCENES.size = max(_WORKER_SCENES.size, cache)
    lookup = SceneLookup.of_lines(scenes, parsed=_WORKER_SCENES)
    report = VerifyReport()
    for line_no, line in lines:
        report.samples += 1
        _verify_one(line_no, line, lookup, report)
    return report


def _image_ids(line: bytes) -> list[str]:
    """The image ids a sample line names (none when it cannot be read: its worker says why)."""
    try:
        images = orjson.loads(line).get("images")
    except (orjson.JSONDecodeError, AttributeError):
        return []
    if not isinstance(images, list):
        return []
    return [img["id"] for img in images if isinstance(img, dict) and isinstance(img.get("id"), str)]


def _chunks(samples: Iterator[tuple[int, bytes]], index: SceneIndex, size: int,
            cache: int) -> Iterator[tuple[list[tuple[int, bytes]], dict[str, list[bytes]], int]]:
    """`verify_chunk`'s arguments: the sample lines `size` at a time, each chunk with the lines of
    the scenes it names."""
    while chunk := list(islice(samples, size)):
        scenes: dict[str, list[bytes]] = {}
        for _, line in chunk:
            for image_id in _image_ids(line):
                if image_id not in scenes:
                    scenes[image_id] = index.lines(image_id)
        yield chunk, scenes, cache


def _verify_parallel(samples_path: Path, scenes_path: list[Path], progress: Callable[[int], None] | None,
                     workers: int, backend: str, address: str | None, chunk_size: int, cache: int,
                     files: FileCheck | None) -> VerifyReport:
    from veriscene.engine.backends import ordered_map

    index = SceneIndex(scenes_path)
    report, stopped = VerifyReport(files=files), list[Problem]()
    try:
        chunks = _chunks(_readable_lines(samples_path, files, stopped), index, chunk_size, cache)
        for part in ordered_map(verify_chunk, chunks, backend=backend, workers=workers, address=address):
            report.samples += part.samples
            report.verified += part.verified
            report.problems += part.problems
            report.per_task.update(part.per_task)
            if progress is not None:
                progress(part.samples)
    finally:
        index.close()
    report.problems += stopped
    return report
