"""`verify`: re-run every sample's program on its scene graph and compare with the stored answer.

Works on a run folder (its manifest says where the scenes are) or on a samples file with an
explicit scenes file. Nothing is assumed about the samples: each record is validated, its program
type-checked and executed; multiple-choice letters are checked against the options.
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from itertools import islice
from typing import Any, Callable, Iterator, Sequence

import orjson

from veriscene.errors import ExecutionFailure, ProgramError, SceneValidationError
from veriscene.generators.plugins import load_plugins
from veriscene.generators.registry import get_generator
from veriscene.program.executor import execute
from veriscene.sample import OPTION_LETTERS, Sample
from veriscene.engine import source_digest
from veriscene.engine.options import check_callback, check_int, check_path
from veriscene.engine.runfiles import FileCheck, check_files, sample_lines
from veriscene.engine.remote import is_url
from veriscene.engine.manifest import (
    changed_fingerprints, file_sha256, generator_fingerprint, input_file, read_manifest, recorded_fingerprints,
    scene_inputs,
)
from veriscene.scene.marks import marks_disagree
from veriscene.scene.model import Scene
# finding the scenes, in a module of its own (re-exported: callers import it from here)
from veriscene.verify_scenes import (
    SCENE_CACHE, ParsedScenes, SceneIndex, SceneLookup, _parse, _scenes_from_manifest, merged_categories,
    resolve_inputs, run_categories, run_version,
)

__all__ = [
    # defined here
    "CHUNK_SIZE", "Problem", "VerifyReport", "answers_equal", "code_changed", "verify", "verify_chunk",
    "wording_changed",
    # moved to `verify_scenes`
    "SCENE_CACHE", "ParsedScenes", "SceneIndex", "SceneLookup", "_parse", "_scenes_from_manifest", "resolve_inputs",
    "run_version",
]

_COORD_TOLERANCE = 0.01  # pixels: stored boxes are rounded to 2 decimals
CHUNK_SIZE = 1000  # samples per task of a parallel verify


@dataclass
class Problem:
    line: int
    sample_id: str | None
    kind: str  # "mismatch", "unreadable", "missing_scene", "program_error", "choice_mismatch", "mark_mismatch"
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
    # generators whose fingerprint in the run's manifest differs from this build's: their questions
    # were worded by other templates (a note, not a failure: the answers are checked by program)
    wording_changed: list[str] = field(default_factory=list)
    # the code that differs from the code that made the run (its digest in the manifest's "source",
    # `veriscene.engine.source_digest`): "veriscene" and plugin modules; a note, not a failure
    code_changed: list[str] = field(default_factory=list)
    # the scene files the run's manifest names whose SHA-256 is not the one it records (edited or
    # replaced since the run: samples then miss their scenes or disagree with them); looked at only
    # when the manifest's files were read and a sample failed
    scenes_changed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.samples > 0 and (self.files is None or self.files.ok)

    @property
    def mismatches(self) -> int:
        return sum(p.kind in _MISMATCHES for p in self.problems)

    @property
    def unreadable(self) -> int:
        return sum(p.kind not in _MISMATCHES for p in self.problems)


# a sample whose answer, options or drawn marks disagree with its program (the others: unreadable)
_MISMATCHES = ("mismatch", "choice_mismatch", "mark_mismatch")


def answers_equal(stored: Any, found: Any, answer_type: str) -> bool:
    if answer_type in ("box", "point"):
        return (
            isinstance(stored, list) and len(stored) == len(found)
            and all(isinstance(v, (int, float)) and abs(v - w) <= _COORD_TOLERANCE for v, w in zip(stored, found))
        )
    if answer_type == "float":
        return isinstance(stored, (int, float)) and abs(stored - found) <= 1e-6 * max(1.0, abs(found))
    if answer_type == "str_set":
        # (a set of words: an item of another type, which sorted() cannot order, is a mismatch)
        return isinstance(stored, list) and all(isinstance(v, str) for v in stored) and sorted(stored) == found
    return type(stored) is type(found) and stored == found


_JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}

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
    except (KeyError, TypeError):
        return None  # generator unknown to this version: the answer itself was verified
    try:
        expected = gen(config).choice_text(found, scene)
    except (KeyError, TypeError):
        return None
    except ValueError as exc:  # an option of the sample's meta.config no generator takes (box_format {})
        return f"its meta.config cannot say the answer as an option: {exc}"[:300]
    chosen = (sample.choices or [])[OPTION_LETTERS.index(letter)]
    if chosen == expected or (sample.answer_type in ("box", "point") and _same_coordinates(chosen, expected)):
        return None
    return f"option {letter} is {chosen!r} but the answer is {expected!r}"


_NUMBER_RE = re.compile(r"-?\d+(?:\.(\d+))?")


def _same_coordinates(chosen: str, expected: str) -> bool:
    """Whether a box or point option says the answer's coordinates at the option's own precision:
    a run of release 0.9.0 wrote norm1 with two decimals ("[0.75, 0.52]" for "[0.750, 0.520]")."""
    said, meant = _NUMBER_RE.findall(chosen), _NUMBER_RE.findall(expected)
    try:
        values, answer = orjson.loads(chosen), orjson.loads(expected)
    except orjson.JSONDecodeError:
        return False
    if not (isinstance(values, list) and isinstance(answer, list) and len(values) == len(answer) == len(said)
            and len(meant) == len(answer) and all(isinstance(v, (int, float)) for v in values + answer)):
        return False
    # each text rounds the true coordinate to its own digits: they agree within both half-steps
    slack = 0.5 * 10.0 ** -max(len(f) for f in said) + 0.5 * 10.0 ** -max(len(f) for f in meant) + 1e-9
    return all(abs(a - b) <= slack for a, b in zip(values, answer))


def _wrong_field(sample: Sample) -> str | None:
    """Why a field verify reads is of another type than a sample's (a task that is a list took the
    whole run down: 'TypeError: unhashable type'), or None."""
    for name in ("id", "task", "question"):
        value = getattr(sample, name)
        if not isinstance(value, str):
            return f"field '{name}' must be a string, got {type(value).__name__} {orjson.dumps(value).decode()[:60]}"
    choices = sample.choices
    if choices is not None and (not isinstance(choices, list) or not all(isinstance(c, str) for c in choices)):
        return f"field 'choices' must be a list of strings or null, got {orjson.dumps(choices).decode()[:60]}"
    return None


def _verify_one(line_no: int, line: bytes, lookup: SceneLookup, report: VerifyReport) -> None:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        report.problems.append(Problem(line_no, None, "unreadable", detail=f"not JSON: {exc}"[:200]))
        return
    if not isinstance(record, dict):
        found = _JSON_KINDS.get(type(record), type(record).__name__)
        detail = f"expected a sample record (a JSON object), found a JSON {found}"
        report.problems.append(Problem(line_no, None, "unreadable", detail=detail))
        return
    try:
        sample = Sample.from_dict(record)
    except (ValueError, TypeError, AttributeError) as exc:
        sid = record.get("id")
        report.problems.append(Problem(line_no, sid if isinstance(sid, str) else None, "unreadable", detail=str(exc)[:200]))
        return
    wrong = _wrong_field(sample)
    if wrong is not None:
        sid = sample.id if isinstance(sample.id, str) else None
        report.problems.append(Problem(line_no, sid, "unreadable", detail=wrong[:200]))
        return
    images = sample.images if isinstance(sample.images, list) else []
    image_ids = [img.get("id") if isinstance(img, dict) else None for img in images]
    if not image_ids or not all(isinstance(i, str) for i in image_ids):
        report.problems.append(Problem(line_no, sample.id, "unreadable", detail="images must list image ids"))
        return
    ctx = lookup.context(image_ids)  # type: ignore[arg-type]
    if ctx is None:
        report.problems.append(Problem(line_no, sample.id, "missing_scene",
                                       detail=lookup.why_missing(image_ids)))  # type: ignore[arg-type]
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
        choice_problem = _check_choice(sample, found, ctx.scene(0))
        if choice_problem is not None:
            report.problems.append(Problem(line_no, sample.id, "choice_mismatch", detail=choice_problem))
            return
    if b'"marks"' in line or b'"marked_point"' in line:  # (a byte search: most samples have neither)
        mark_problem = marks_disagree(record)  # the points drawn are the program's marked points
        if mark_problem is not None:
            report.problems.append(Problem(line_no, sample.id, "mark_mismatch", detail=mark_problem[:300]))
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
    plugins: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
) -> VerifyReport:
    """Re-execute every sample's program; report mismatches and unreadable records.

    `path` is a run folder (its manifest names the scene files) or a samples JSONL file (with the
    run's manifest beside it, or `scenes` given: a file, or several as `generate` reads them).
    `report.made_by` is the veriscene version the run's manifest records: programs are re-run
    with this version's ops, so a run made by another release may differ where an op changed.
    A finished run's sample files are first checked against its manifest (`report.files`,
    `veriscene.engine.runfiles.check_files`): every shard's samples there, with the recorded
    SHA-256, and nothing more; a difference makes the report not `ok`.
    `report.wording_changed` names the run's generators whose fingerprint in the manifest
    (`veriscene.engine.manifest.generator_fingerprint`) differs from this build's: their
    templates or wording changed since the run was made (a note; `ok` does not depend on it).
    `report.code_changed` likewise names the code whose digest the manifest records otherwise
    (`veriscene.engine.source_digest.code_changed`): "veriscene" (a run of this release) or a
    plugin module imported here.
    `progress(n)` is called as samples are done. `workers` > 1 (or `backend` "ray", on the
    cluster at `address` or a local one): the samples are checked `chunk_size` at a time on
    worker processes or Ray tasks, each sent with the lines of the scenes it needs (the workers
    read no file, so a Ray cluster needs no shared disk); the report is the same, problems in
    line order. `plugins`: the run's files or modules of generators (and ops) of your own
    (`veriscene.generators.plugins`), imported here and in every worker. Without them, programs
    using only built-in ops are still re-executed, but a multiple-choice sample of a generator
    this process does not know is not checked for its correct option's text.
    """
    check_path("path", path, "a run folder or a samples file")
    check_callback("progress(n)", progress)  # a number was called only once samples were read
    specs = tuple(p.spec for p in load_plugins(plugins))
    samples_path, scenes_path = resolve_inputs(path, scenes)
    check_int("workers", workers, 1, sys.maxsize)  # a TypeError for None, not "'<' not supported"
    check_int("chunk_size", chunk_size, 1, sys.maxsize)
    cache = _scene_cache(samples_path)
    files = check_files(samples_path)  # first: a run copied in part is told in seconds
    if workers > 1 or backend != "local":
        report = _verify_parallel(samples_path, scenes_path, progress, workers, backend, address, chunk_size,
                                  cache, files, specs)
        report.made_by, report.wording_changed = run_version(samples_path), wording_changed(samples_path)
        report.code_changed = code_changed(samples_path)
        report.scenes_changed = scenes_changed(samples_path) if scenes is None and report.problems else []
        return report
    # programs read the closed category lists (COCO) of the scene files and the run's vocabulary
    lookup = SceneLookup(scenes_path, parsed=ParsedScenes(cache), categories=run_categories(samples_path))
    report, stopped = VerifyReport(files=files, made_by=run_version(samples_path),
                                   wording_changed=wording_changed(samples_path),
                                   code_changed=code_changed(samples_path)), list[Problem]()
    try:
        for line_no, line in _readable_lines(samples_path, files, stopped):
            report.samples += 1
            _verify_one(line_no, line, lookup, report)
            if progress is not None:
                progress(1)
    finally:
        lookup.close()
    report.problems += stopped
    report.scenes_changed = scenes_changed(samples_path) if scenes is None and report.problems else []
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


def wording_changed(samples_path: Path) -> list[str]:
    """The generators (sorted) whose fingerprint the run's manifest records and this process
    computes otherwise; none without a readable manifest, for a generator this process does not
    know (`verify --plugins` makes a plugin's known) or one the manifest does not fingerprint."""
    try:
        manifest = read_manifest(samples_path if samples_path.is_dir() else samples_path.parent)
    except ValueError:
        return []
    recorded, current = recorded_fingerprints(manifest), {}
    for name in recorded:
        try:
            current[name] = generator_fingerprint(get_generator(name))
        except KeyError:
            continue
    return changed_fingerprints(recorded, current)


def scenes_changed(samples_path: Path) -> list[str]:
    """The scene files the run's manifest names (as it names them) whose SHA-256 differs from the one
    it records: a failed verification says so, as its cause may be the file, not the samples (a
    `demo --out` or a conversion written over the run's scenes.jsonl made every sample
    'MISSING_SCENE ... no scene of 3 in the scene files', the file's change unsaid). None without a
    readable manifest, or for a file that cannot be read (said by the reading)."""
    run_dir = samples_path if samples_path.is_dir() else samples_path.parent
    try:
        manifest = read_manifest(run_dir)
        entries = scene_inputs(manifest["config"]) if isinstance(manifest, dict) else []
    except (ValueError, KeyError, TypeError):
        return []
    changed = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            continue
        try:
            if file_sha256(input_file(run_dir, entry["path"])) != entry["sha256"]:
                path = str(entry["path"])  # (a URL as it is; a local path as found from here)
                changed.append(path if is_url(path) else os.path.normpath(run_dir / path))
        except (OSError, KeyError, TypeError, ValueError):
            continue
    return changed


def code_changed(samples_path: Path) -> list[str]:
    """What of the code that decides samples differs from the code that made the run
    (`veriscene.engine.source_digest.code_changed`); none without a readable manifest."""
    from veriscene import __version__

    try:
        manifest = read_manifest(samples_path if samples_path.is_dir() else samples_path.parent)
    except ValueError:
        return []
    return source_digest.code_changed(manifest, __version__)


def verify_chunk(lines: list[tuple[int, bytes]], scenes: dict[str, list[bytes]],
                 cache: int = SCENE_CACHE, plugins: tuple[str, ...] = (),
                 categories: dict[str, list[str]] | None = None,
                 folders: dict[str, str | None] | None = None) -> VerifyReport:
    """The report on these sample lines ((line number, line) pairs), their scenes given as the
    lines of each image id (`SceneIndex.lines`): what a worker of a parallel `verify` does. The
    worker keeps the last `cache` scenes it parsed from chunk to chunk, and imports `plugins`
    (`load_plugins`) once. `categories`: the closed category lists of the run (set id -> names:
    `SceneIndex.categories` and `run_categories`), which programs read on scenes of one. `folders`:
    image id -> the folder of its scene file (`SceneIndex.folder`), for relative depth map paths."""
    load_plugins(plugins)
    _WORKER_SCENES.size = max(_WORKER_SCENES.size, cache)
    lookup = SceneLookup.of_lines(scenes, parsed=_WORKER_SCENES, categories=categories, folders=folders)
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


def _chunks(samples: Iterator[tuple[int, bytes]], index: SceneIndex, size: int, cache: int,
            plugins: tuple[str, ...], categories: dict[str, list[str]]
            ) -> Iterator[tuple[list[tuple[int, bytes]], dict[str, list[bytes]], int, tuple[str, ...],
                                dict[str, list[str]], dict[str, str | None]]]:
    """`verify_chunk`'s arguments: the sample lines `size` at a time, each chunk with the lines of
    the scenes it names, the folders of the files of those that name a depth map (and the run's
    category lists: a few KB)."""
    while chunk := list(islice(samples, size)):
        scenes: dict[str, list[bytes]] = {}
        folders: dict[str, str | None] = {}
        for _, line in chunk:
            for image_id in _image_ids(line):
                if image_id not in scenes:
                    found = scenes[image_id] = index.lines(image_id)
                    if any(b'"depth_map"' in x for x in found):
                        folders[image_id] = index.folder(image_id)
        yield chunk, scenes, cache, plugins, categories, folders


def _verify_parallel(samples_path: Path, scenes_path: list[Path], progress: Callable[[int], None] | None,
                     workers: int, backend: str, address: str | None, chunk_size: int, cache: int,
                     files: FileCheck | None, plugins: tuple[str, ...]) -> VerifyReport:
    from veriscene.engine.backends import ordered_map

    index = SceneIndex(scenes_path)
    report, stopped = VerifyReport(files=files), list[Problem]()
    try:
        categories = {k: sorted(v) for k, v in merged_categories(index.categories, run_categories(samples_path)).items()}
        chunks = _chunks(_readable_lines(samples_path, files, stopped), index, chunk_size, cache, plugins, categories)
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
