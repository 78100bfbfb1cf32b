"""What the viewer shows: a run's samples, their scenes, images and program traces.

A `Catalog` reads up to `limit` samples of a run folder or samples file (any shard format, through
`engine.runfiles.sample_lines`) and finds each sample's scenes by seeking into the scenes file
(`verify.SceneLookup`), so a large run is browsed without the data set in memory. Records that
cannot be read are kept as problems (line and reason) and shown, never dropped silently.

A run folder that has not finished (still generating, or stopped) is read shard by shard as its
shards finish, in order (`refresh`, called by the server before each page): the samples of shards
0 to k-1 once each of them is whole. When the run completes, its samples are read again from its
finished files (repeated samples are dropped at the end of a run, so they may leave the listing).

A catalog opened for one page of chosen samples (`open(..., choose=(filters, count))`, as
`write_html` opens it) holds only those: the first `count` samples the filters keep, and of each
image they show the first sample showing it (whose image path is looked for first). Its memory
does not grow with the run; the matching samples are counted, not kept.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import orjson

from veriscene.engine.runfiles import finished_shard_lines, sample_lines, samples_root, unfinished_format
from veriscene.engine.fetch import fetch_files, readable
from veriscene.engine.remote import is_url
from veriscene.errors import ExecutionFailure, ProgramError
from veriscene.program.context import ExecutionContext
from veriscene.program.executor import run_nodes
from veriscene.program.registry import OPS
from veriscene.program.types import to_answer
from veriscene.scene.model import Scene
from veriscene.verify import SceneLookup, answers_equal, resolve_inputs
# what the catalog holds, in a module of its own (re-exported: callers import it from here)
from veriscene.viewer.entries import OUTCOMES, Entry, Filters, Problem, SceneRow, Trace, _outcome, read_freeform
from veriscene.viewer.scenefiles import is_scene_file, read_scene_rows, scene_files_alone

__all__ = [
    # defined here
    "DEFAULT_LIMIT", "RESULTS_FILE", "FREEFORM_FILE", "Catalog",
    # moved to `entries` and `scenefiles`
    "OUTCOMES", "Entry", "Filters", "Problem", "SceneRow", "Trace", "_outcome", "is_scene_file", "read_scene_rows",
    "scene_files_alone",
]

DEFAULT_LIMIT = 20_000
RESULTS_FILE = "results.jsonl"
FREEFORM_FILE = "freeform.jsonl"  # beside it: `veriscene eval`'s scores of free-form replies
_RESULT_FIELDS = ("status", "reply", "reasoning", "parsed", "parse_error", "score", "correct", "error")
_FIELDS = ("id", "task", "family", "images", "question", "answer", "answer_type", "program")


@dataclass
class Catalog:
    """A run's samples (the first `limit`; 0 for all) and a way to their scenes and images."""

    path: Path
    scenes_path: Path  # the (first) scene file
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False  # more samples than `limit` in the run

    def __post_init__(self) -> None:
        self.scenes_files: list[Path] = [self.scenes_path]  # every file of the run's input
        self._lookup: SceneLookup | None = None
        self._lock = threading.Lock()  # one scene file handle, shared by the server's threads
        self._by_image: dict[str, list[int]] | None = None
        self._counts: dict[str, Counter[str]] = {}
        self._selected: tuple[tuple[Any, ...], list[int]] | None = None  # the last filtered selection and its key
        self.results: dict[str, dict[str, Any]] = {}  # sample id -> its evaluation record (`--results`)
        self.freeform: dict[str, dict[str, Any]] = {}  # sample id -> its free-form scores (FREEFORM_FILE)
        self.results_path: Path | None = None
        self.freeform_path: Path | None = None  # default: FREEFORM_FILE beside the results
        self.results_elsewhere = 0  # result records of samples not read (other samples, or past `limit`)
        self._results_at = 0  # bytes of the results file read (whole lines)
        self._results_line = 0  # lines of it read
        self._positions: dict[str, list[int]] | None = None  # sample id -> positions in `entries`
        self.scene_rows: list[SceneRow] | None = None  # a scenes file opened alone
        self.unfinished: str | None = None  # the shard format of a run that has not finished
        self.shards_read = 0  # of such a run: shards 0 to shards_read - 1
        self._lines_read = 0
        self._limit = DEFAULT_LIMIT
        # opened for one page (`open(..., choose=)`): ((position in the run, index in `entries`) of
        # each sample chosen, in run order; how many samples the filters keep)
        self.chosen: tuple[list[tuple[int, int]], int] | None = None
        # (family, task) of every sample read, kept or not: a filter naming none of them, nor any
        # generator's, is a misspelling (`viewer.filter_names`)
        self.names_read: set[tuple[str, str]] = set()

    @classmethod
    def open(cls, path: str | os.PathLike[str], scenes: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
             limit: int = DEFAULT_LIMIT, results: str | os.PathLike[str] | None = None,
             freeform: str | os.PathLike[str] | None = None,
             choose: tuple[Filters, int] | None = None) -> "Catalog":
        """Read a run folder (its manifest names the scene files) or a samples file with `scenes`
        (a file, or a folder or pattern of them), or scene files alone (a scenes file, or a folder
        of them holding no run: `scene_rows`);
        with `results` (a `veriscene eval` output folder or its results.jsonl), each sample's reply
        and score, and the free-form replies' scores: `freeform` (a JSONL of `score-freeform --out`),
        else the eval folder's FREEFORM_FILE once written. At a URL, each is read through a local
        copy (`engine.fetch`). `choose=(filters, count)`: of a finished run without `results`,
        keep only the first `count` samples the filters keep (`chosen`, module notes)."""
        if freeform is not None and results is None:
            raise ValueError(f"free-form scores ({freeform}) go with the evaluation results they score: give results "
                             "(--results EVAL_DIR) too")
        if freeform is not None and not Path(freeform).is_file():
            raise FileNotFoundError(f"{freeform}: no such file of free-form scores (`veriscene score-freeform ... "
                                    "--out FILE` writes one)")
        path = readable(path)
        alone = scene_files_alone(path) if scenes is None else None
        if alone is not None:
            if results is not None:
                raise ValueError(f"{path} is a scenes file: evaluation results go with a run's samples")
            catalog = cls(Path(path), alone[0])
            catalog.scenes_files = alone
            catalog._read_scenes(limit)
            return catalog
        path, scenes_files = resolve_inputs(path, scenes)
        catalog = cls(Path(path), scenes_files[0])
        catalog.scenes_files = scenes_files
        catalog._limit = limit
        catalog.unfinished = unfinished_format(path)
        if catalog.unfinished is not None:
            if results is not None:
                raise ValueError(f"{path}: the run has not finished; evaluation results go with a finished run")
            catalog._read_finished_shards()
            return catalog
        if choose is not None and results is None:
            catalog._read_chosen(path, limit, *choose)
            return catalog
        catalog._read(sample_lines(path), limit)
        if results is not None:
            catalog.freeform_path = Path(freeform) if freeform is not None else None
            catalog._read_results(Path(results))
        return catalog

    def scenes_label(self, short: bool = False) -> str:
        """The run's scene file as shown (its name with `short`), or how many files it has."""
        if len(self.scenes_files) > 1:
            first, last = (f.name if short else str(f) for f in (self.scenes_files[0], self.scenes_files[-1]))
            return f"{len(self.scenes_files)} scene files, {first} to {last}"
        return self.scenes_path.name if short else str(self.scenes_path)

    def _read_finished_shards(self) -> int:
        """Of an unfinished run: the samples of the shards finished since the last read, in order
        (up to the limit); the number of samples read."""
        assert self.unfinished is not None
        before = len(self.entries)
        while not self.truncated:
            lines = finished_shard_lines(self.path, self.shards_read, self.unfinished)
            if lines is None:
                break
            first = self._lines_read
            self._read(((first + k, line) for k, line in enumerate(lines, start=1) if line.strip()), self._limit)
            self.shards_read += 1
            self._lines_read += len(lines)
        if len(self.entries) != before:
            self._by_image = None
            self._counts.clear()
        return len(self.entries) - before

    def _read_scenes(self, limit: int) -> None:
        """Scene files alone (no samples yet): one row per scene, to list and open them."""
        self.scene_rows, problems, self.truncated = read_scene_rows(self.scenes_files, limit)
        self.problems.extend(problems)

    def _read_results(self, path: Path) -> None:
        """Each shown sample's evaluation record (the last for an id), read without changing the
        file; lines that cannot be read are listed as problems of that file."""
        file = path / RESULTS_FILE if path.is_dir() else path
        if not file.is_file():
            raise FileNotFoundError(f"{path}: no evaluation results (expected {RESULTS_FILE} of `veriscene eval`)")
        self.results_path = file
        for e in self.entries:
            e.outcome = "unanswered"
        problems = len(self.problems)
        read = self._read_new_results()
        self._read_freeform()
        if read == 0 and len(self.problems) > problems:  # every line refused: not a results file
            first = self.problems[problems]
            raise ValueError(f"{file}: not the results of `veriscene eval` (line {first.line}: {first.reason})")
        if read and not self.results:  # results, but of none of these samples
            beyond = (f", or of samples after the first {len(self.entries):,} read (raise --limit, or 0 for all)"
                      if self.truncated else "")
            raise ValueError(f"{file}: none of its {read:,} results is of a sample of {self.path}: the evaluation "
                             f"of another run{beyond}?")

    def _read_freeform(self) -> None:
        """The free-form scores `veriscene eval` wrote beside the results (once it has finished:
        read at the first page after), or those of `freeform_path`, of the samples read;
        unreadable lines are problems."""
        assert self.results_path is not None
        file = self.freeform_path or self.results_path.parent / FREEFORM_FILE
        if self.freeform or not file.is_file():
            return
        read = read_freeform(file, self.results)
        if read is not None:
            self.freeform, problems = read
            self.problems.extend(problems)

    def refresh(self) -> int:
        """Read the results a running `veriscene eval` added since the last read (whole lines
        only: a line still being written waits for the next call), or the samples of the shards
        an unfinished run finished since (module notes); the number read."""
        if self.unfinished is not None:
            with self._lock:
                return self._refresh_unfinished()
        if self.results_path is None:
            return 0
        with self._lock:
            try:
                grown = self.results_path.stat().st_size > self._results_at
            except OSError:
                return 0
            read = self._read_new_results() if grown else 0
            self._read_freeform()
            return read

    def _refresh_unfinished(self) -> int:
        if unfinished_format(self.path) is not None or not (self.path / "manifest.json").is_file():
            return self._read_finished_shards()
        try:  # finished (or its manifest is being replaced): read the run again, as it now stands
            done = Catalog.open(self.path, self.scenes_files, self._limit)
        except (FileNotFoundError, ValueError, OSError):
            return 0
        self.entries, self.problems, self.truncated = done.entries, done.problems, done.truncated
        self.unfinished, self._by_image = None, None
        self._counts.clear()
        return len(self.entries)

    def _read_new_results(self) -> int:
        assert self.results_path is not None
        file = self.results_path
        if self._positions is None:
            self._positions = {}
            for k, e in enumerate(self.entries):
                self._positions.setdefault(e.id, []).append(k)
        read = 0
        with open(file, "rb") as fh:  # line by line: a large file is never held whole
            fh.seek(self._results_at)
            for line in fh:
                if not line.endswith(b"\n"):
                    break  # a last line without its newline is still being written
                self._results_at += len(line)
                self._results_line += 1
                if line.strip():
                    read += self._take_result(line, self._results_line)
        self._counts.pop("outcome", None)
        return read

    def _take_result(self, line: bytes, number: int) -> int:
        """One line of the results file: 1 if it is a result (of a sample read or not), 0 if a
        problem (listed)."""
        assert self.results_path is not None and self._positions is not None
        file = self.results_path
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            self.problems.append(Problem(number, f"{file.name}: not JSON: {exc}"))
            return 0
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            self.problems.append(Problem(number, f"{file.name}: field 'id' is missing"))
            return 0
        if "status" not in record:  # e.g. a samples file given as results
            self.problems.append(Problem(number, f"{file.name}: field 'status' is missing (an evaluation "
                                                 "result has one: scored, parse_failed, not_scored or error)"))
            return 0
        shown = self._positions.get(record["id"])
        if shown is None:
            self.results_elsewhere += 1
            return 1
        result = self.results[record["id"]] = {k: record.get(k) for k in _RESULT_FIELDS}
        for k in shown:
            self.entries[k].outcome = _outcome(result)
        return 1

    def results_note(self) -> str:
        """A warning when most results read are of samples not read (an evaluation of another run,
        or of another version of this one), else ""."""
        if self.results_path is None or self.results_elsewhere <= len(self.results):
            return ""
        beyond = " or after the samples read (raise --limit)" if self.truncated else ""
        return (f"{self.results_elsewhere:,} of the {self.results_elsewhere + len(self.results):,} results in "
                f"{self.results_path} are of samples not in {self.path}{beyond}: is it the evaluation of another run?")

    def accuracy(self) -> tuple[int, int]:
        """(correct, scored) over the shown samples' results."""
        counts = self.counts("outcome")
        return counts["correct"], counts["correct"] + counts["wrong"] + counts["parse_failed"]

    def _read(self, lines: Iterable[tuple[int, bytes]], limit: int) -> None:
        self.entries.extend(self._entries(lines, limit, len(self.entries)))

    def _read_chosen(self, path: Path, limit: int, filters: Filters, count: int) -> None:
        """Of the first `limit` samples (0: all), the first `count` the filters keep and how many
        they keep (`chosen`), and of each image those show the first sample showing it (a second
        reading, up to the last sample chosen at most): `image_candidates` looks for its path first."""
        chosen: list[tuple[int, Entry]] = []
        matching = 0
        for k, entry in enumerate(self._entries(sample_lines(path), limit)):
            if filters.keep(entry):
                matching += 1
                if len(chosen) < count:
                    chosen.append((k, entry))
        wanted = {image_id for _, entry in chosen for image_id in entry.image_ids}
        firsts: dict[str, tuple[int, Entry]] = {}
        if wanted:
            problems, truncated = len(self.problems), self.truncated  # told by the first reading
            for k, entry in enumerate(self._entries(sample_lines(path), limit)):
                for image_id in entry.image_ids:
                    if image_id in wanted and image_id not in firsts:
                        firsts[image_id] = (k, entry)
                if len(firsts) == len(wanted) or k >= chosen[-1][0]:
                    break
            del self.problems[problems:]
            self.truncated = truncated
        at: dict[int, int] = {}  # position in the run -> index in `entries`
        for k, entry in [*chosen, *sorted(firsts.values(), key=lambda ke: ke[0])]:
            if k not in at:
                at[k] = len(self.entries)
                self.entries.append(entry)
        self._by_image = {image_id: [at[k]] for image_id, (k, _) in firsts.items()}
        self.chosen = ([(k, at[k]) for k, _ in chosen], matching)

    def _entries(self, lines: Iterable[tuple[int, bytes]], limit: int, read: int = 0) -> Iterator[Entry]:
        """The readable samples of `lines` (unreadable ones added to `problems`), until `limit`
        samples are read in all (0: no limit), `read` of them before these lines."""
        strings: dict[str, str] = {}
        for number, line in lines:
            if limit and read >= limit:
                self.truncated = True
                break
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                self.problems.append(Problem(number, f"not JSON: {exc}"))
                continue
            missing = [f for f in _FIELDS if not isinstance(record, dict) or f not in record]
            if missing:
                self.problems.append(Problem(number, f"missing field(s): {', '.join(missing)}"))
            elif not isinstance(record["images"], list) or not all(isinstance(i, dict) and "id" in i
                                                                   for i in record["images"]):
                self.problems.append(Problem(number, "field 'images' must be a list of {'id', 'path'} objects"))
            elif not isinstance(record["program"], list) or not all(isinstance(n, dict) for n in record["program"]):
                self.problems.append(Problem(number, "field 'program' must be a list of node objects "
                                                     "({'op', 'inputs', 'args'})"))
            else:
                read += 1
                entry = Entry(number, line, record, strings)
                self.names_read.add((entry.family, entry.task))
                yield entry

    # --- listing ------------------------------------------------------------------------------

    def select(self, filters: Filters) -> Sequence[int]:
        """Positions (in `entries`) of the samples the filters keep, in run order; with
        `filters.sort`, by that free-form score, lowest first (ties in run order)."""
        if filters.empty:
            return range(len(self.entries))
        if filters == Filters(image=filters.image):
            return self.of_image(filters.image)
        # the same list is asked for again by each page of it and each sample opened from it:
        # kept until the samples, their outcomes or their free-form scores change
        key = (*vars(filters).values(), id(self.entries), len(self.entries), self._results_at, len(self.freeform))
        if self._selected is None or self._selected[0] != key:
            free = self.freeform
            kept = [k for k, e in enumerate(self.entries) if filters.keep(e, free.get(e.id))]
            if filters.sort:
                kept.sort(key=lambda k: float(free[self.entries[k].id][filters.sort]))
            self._selected = (key, kept)
        return self._selected[1]

    def counts(self, key: str) -> Counter[str]:
        """How many samples per value of `key`: "task", "family", "mode" or "outcome" (counted once)."""
        if key not in ("task", "family", "mode", "outcome"):
            raise KeyError(f"no counts of {key!r}: task, family, mode or outcome")
        if key not in self._counts:
            self._counts[key] = Counter(getattr(e, key) for e in self.entries)
        return self._counts[key]

    def of_image(self, image_id: str) -> list[int]:
        """Positions of the samples that show this image."""
        if self._by_image is None:
            table: dict[str, list[int]] = {}
            for k, e in enumerate(self.entries):
                for i in dict.fromkeys(e.image_ids):
                    table.setdefault(i, []).append(k)
            self._by_image = table
        return self._by_image.get(image_id, [])

    # --- scenes, images, traces ---------------------------------------------------------------

    def scene(self, image_id: str) -> Scene | None:
        """The scene graph of an image (None when the scenes file lacks it or it is invalid)."""
        with self._lock:
            if self._lookup is None:
                self._lookup = SceneLookup(self.scenes_files)
            ctx = self._lookup.context([image_id])
        return ctx.scene(0) if ctx is not None else None

    def image_file(self, image_id: str) -> Path | None:
        """The image file of an image id, if it exists: a sample's path (relative to the run
        folder), else the scene's `image` (relative to a scene file's folder, or as written)."""
        return next((p for p in self.image_candidates(image_id) if p.is_file()), None)

    def image_candidates(self, image_id: str) -> list[Path]:
        """Where the image of an image id is looked for, in order (`image_file`)."""
        candidates: list[Path] = []
        root = samples_root(self.path)
        for k in self.of_image(image_id)[:1]:
            for img in self.entries[k].record["images"]:
                if img.get("id") == image_id and isinstance(img.get("path"), str):
                    if is_url(img["path"]):  # samples made from scenes read from a URL: the image's local copy
                        copy = fetch_files([img["path"]])[img["path"]]
                        if isinstance(copy, Path):
                            return [copy]
                        continue
                    candidates.append(root / img["path"])
        scene = self.scene(image_id)
        if scene is not None and scene.image:
            folders = dict.fromkeys(f.parent for f in self.scenes_files)
            candidates += [*(folder / scene.image for folder in folders), Path(scene.image)]
        return list(dict.fromkeys(candidates))

    def trace(self, entry: Entry) -> tuple[list[Scene | None], Trace]:
        """The sample's scenes (None where missing) and its program run on them."""
        scenes = [self.scene(i) for i in entry.image_ids]
        record = entry.record
        if any(s is None for s in scenes):
            missing = [i for i, s in zip(entry.image_ids, scenes) if s is None]
            return scenes, Trace([], failure=f"scene(s) not in {self.scenes_label(short=True)}: {', '.join(missing)}")
        try:
            # the scene files' closed category lists (COCO), as `verify` reads them (`scene` made the lookup)
            categories = self._lookup.categories if self._lookup is not None else None
            values = run_nodes(record["program"], ExecutionContext([s for s in scenes if s is not None],
                                                                   categories=categories))
        except ExecutionFailure as exc:
            return scenes, Trace([], failure=str(exc))
        except (ProgramError, KeyError, TypeError, IndexError, ValueError) as exc:
            return scenes, Trace([], failure=f"the program cannot run: {exc!r}")
        out_type = OPS[record["program"][-1]["op"]].out
        try:
            answer = to_answer(values[-1], out_type)
        except (TypeError, ValueError) as exc:
            return scenes, Trace(values, failure=str(exc))
        return scenes, Trace(values, answer=answer,
                             matches=answers_equal(record["answer"], answer, str(record["answer_type"])))

    def close(self) -> None:
        if self._lookup is not None:
            self._lookup.close()
            self._lookup = None
