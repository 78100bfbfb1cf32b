"""Dataset card: the README.md to publish beside a generated run (Hugging Face Hub or anywhere).

Built from facts only:
- the run's manifest: the input and its sha256, seed, modes, generator selection or mixture,
  scene counts, shard format, and the `veriscene generate` command that makes the run again
  (`veriscene.engine.reproduce`);
- one streamed pass over the samples: the figures of `veriscene stats` (the same `StatsReport`,
  so the counts agree) plus each task's answer types and modes, the templates used and the
  number of distinct images (counted by 64-bit hash: 8 bytes of memory per image);
- one streamed pass over the scenes file the manifest names (when it is there and its sha256 is
  the recorded one): scenes annotated only in part (`meta.sparse`), with exhaustive names,
  crowd or stuff regions, radiological orientation;
- with `verify=True`, `veriscene.verify.verify` over every sample (against the scenes file the
  manifest names, or the one given as `scenes`: a samples file alone has no manifest).

A samples file given alone has no manifest: the card says what is therefore unknown. Unreadable
sample lines are counted as `veriscene stats` counts them and reported in the card, never fatal.
The card's text is rendered by `veriscene.card_text`; the scenes file's facts are gathered by
`veriscene.card_scenes` (`SceneFacts` and `scene_facts` are importable from here too).
"""

from __future__ import annotations

import os
import sys
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import orjson

from veriscene.card_data import DataFiles
from veriscene.card_scenes import SceneFacts, scene_facts
from veriscene.engine.manifest import input_file, read_manifest, scene_inputs
from veriscene.engine.options import check_callback, check_flags, check_int, check_path
from veriscene.engine.runfiles import Part, part_lines, reported, sample_parts
from veriscene.engine.fetch import readable
from veriscene.engine.scan import stable_hash
from veriscene.stats import PART_BYTES, StatsReport, stats_of
from veriscene.verify import VerifyReport, resolve_inputs, verify as verify_run
from veriscene.option_names import option

# scene files as `veriscene.verify.verify` takes them: a file, folder or glob, or several
Scenes = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]

# what `veriscene.stats.stats` counts as an unreadable line (kept in step: the counts agree)
_READ_ERRORS = (orjson.JSONDecodeError, KeyError, TypeError, AttributeError)


class DistinctCount:
    """How many distinct strings were added, held as sorted unique 64-bit hashes (8 bytes each)
    plus a buffer of at most `BUFFER` hashes; a repeat of the previous value costs nothing."""

    BUFFER = 1 << 20

    def __init__(self) -> None:
        self._seen = np.empty(0, dtype=np.uint64)
        self._buffer = array("Q")
        self._last: str | None = None

    def add(self, value: str) -> None:
        if value == self._last:  # samples come grouped by scene: most repeats are consecutive
            return
        self._last = value
        self._buffer.append(stable_hash(value))
        if len(self._buffer) >= self.BUFFER:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._seen = np.union1d(self._seen, np.frombuffer(self._buffer, dtype=np.uint64))
            self._buffer = array("Q")

    def __len__(self) -> int:
        self._flush()
        return int(self._seen.size)

    def overlap(self, other: "DistinctCount") -> int:
        """How many strings both counted."""
        return int(self.common(other).size)

    def common(self, other: "DistinctCount") -> np.ndarray:
        """The hashes (`stable_hash`, uint64, sorted) of the strings both counted."""
        self._flush()
        other._flush()
        return np.intersect1d(self._seen, other._seen)

    def merge(self, other: "DistinctCount") -> None:
        """Add what `other` counted (the same strings counted once)."""
        self._flush()
        other._flush()
        self._seen = np.union1d(self._seen, other._seen)


@dataclass
class SampleTally:
    """One pass over the samples: `veriscene stats`'s report and what the card adds to it."""

    report: StatsReport = field(default_factory=StatsReport)
    answer_types: dict[str, Counter[str]] = field(default_factory=dict)  # task -> answer type -> samples
    modes: dict[str, Counter[str]] = field(default_factory=dict)  # task -> mode -> samples
    templates: set[tuple[str, str]] = field(default_factory=set)  # (task, template id)
    images: DistinctCount = field(default_factory=DistinctCount)

    def add_line(self, line: bytes, part: Part | None = None, k: int = 0) -> None:
        """Count one sample line, the `k`-th of `part` (0-based; with `part`, the first unreadable
        line is named by file and line, in `veriscene stats`'s words)."""
        try:
            record = orjson.loads(line)
            self.report.add(record)
        except _READ_ERRORS:
            self.report.unreadable += 1
            if part is not None and not self.report.first_unreadable:  # stats says why, once
                self.report.first_unreadable = stats_of([(k, line)], part).first_unreadable
            return
        task = str(record["task"])
        self.answer_types.setdefault(task, Counter())[str(record["answer_type"])] += 1
        self.modes.setdefault(task, Counter())[str((record.get("meta") or {}).get("mode", "qa"))] += 1
        self.templates.add((task, str(record.get("template_id"))))
        images = record.get("images")
        for image in images if isinstance(images, list) else ():
            if isinstance(image, dict) and image.get("id") is not None:
                self.images.add(str(image["id"]))

    def add_part(self, part: Part, progress: Callable[[int], None] | None = None) -> None:
        """Count the lines of one part of a run's samples (a file, a shard or a piece of one)."""
        lines = ((k, line) for k, line in enumerate(part_lines(part)) if line.strip())
        for k, line in reported(lines, progress):
            self.add_line(line, part, k)

    def merge(self, other: "SampleTally") -> None:
        """Add the tally of the samples that follow (a worker's part): the tally of all."""
        self.report.merge(other.report)
        for mine, theirs in ((self.answer_types, other.answer_types), (self.modes, other.modes)):
            for task, counts in theirs.items():
                mine.setdefault(task, Counter()).update(counts)
        self.templates |= other.templates
        self.images.merge(other.images)


def part_tally(part: Part) -> SampleTally:
    """The tally of one part of a run's samples (what a worker of `card_facts(workers=N)` does)."""
    tally = SampleTally()
    tally.add_part(part)
    return tally


@dataclass
class CardFacts:
    """Everything a card states, gathered by `card_facts`."""

    run: Path  # the run folder, or the samples file given alone
    manifest: dict[str, Any] | None  # None for a samples file given alone
    tally: SampleTally
    scenes: SceneFacts | None = None
    scenes_note: str = ""  # why `scenes` is None
    verification: VerifyReport | None = None
    verify_error: str = ""  # why verification could not run (verify=True)
    scene_files: list[Path] = field(default_factory=list)  # given as `scenes`: verified against, not the manifest's

    @property
    def report(self) -> StatsReport:
        return self.tally.report

    @property
    def run_dir(self) -> Path:
        return self.run if self.run.is_dir() else self.run.parent

    def counts_line(self) -> str:
        """One line of counts, for the command line."""
        r = self.report
        line = (f"{r.samples:,} samples, {len(self.tally.images):,} images, {len(r.per_task)} tasks, "
                f"{len(r.per_family)} families")
        if r.unreadable:
            line += f", {r.unreadable:,} unreadable line(s)"
            line += f" (first: {r.first_unreadable})" if r.first_unreadable else ""
        if self.verification is not None:
            line += f"; {self.verification.verified:,} of {self.verification.samples:,} verified"
        elif self.verify_error:
            line += f"; not verified: {self.verify_error}"
        return line


# why verification could not run for want of a scenes file (which `scenes` gives)
NO_SCENES = ("no manifest.json names the scenes file the samples were made from",
             "the scenes file the manifest names was not found beside the run")


def _verification(run: Path, facts: CardFacts, workers: int = 1,
                  progress: Callable[[int], None] | None = None) -> None:
    """Verify every sample, or say in `verify_error` why it cannot be done (in words that name
    no local path: the card is published)."""
    if facts.scene_files:
        _verify_into(facts, run, workers, progress)
        return
    if not (facts.run_dir / "manifest.json").is_file():
        facts.verify_error = NO_SCENES[0]
        return
    try:
        found = facts.manifest is None or all(input_file(facts.run_dir, entry["path"]).is_file()
                                              for entry in scene_inputs(facts.manifest["config"]))
    except (FileNotFoundError, RuntimeError):  # at a URL: gone, or out of reach
        found = False
    if not found:
        facts.verify_error = NO_SCENES[1]
        return
    _verify_into(facts, run, workers, progress)


def _verify_into(facts: CardFacts, run: Path, workers: int, progress: Callable[[int], None] | None) -> None:
    try:
        facts.verification = verify_run(run, facts.scene_files or None, workers=workers, progress=progress)
    except (FileNotFoundError, KeyError, ValueError) as exc:
        facts.verify_error = str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc)


def card_facts(run: str | os.PathLike[str], *, scenes: Scenes | None = None, verify: bool = False,
               workers: int = 1, progress: Callable[[int], None] | None = None) -> CardFacts:
    """Gather what the card of `run` (a run folder, or a samples file) states; see module notes.
    `scenes`: the scene file(s) to verify against (as `veriscene.verify.verify` takes them; needed
    for a samples file alone, else the manifest's are used); only with `verify=True`. `workers`: local processes reading the samples (in parts, as `stats(workers=N)` does: the
    same facts) and verifying them (`verify=True`); `progress(n)`: called as samples are read
    (and again as they are verified)."""
    check_int("workers", workers, 1, sys.maxsize)  # workers=0 was taken as 1, None failed deep inside
    check_flags(verify=verify)  # verify="no" verified
    check_callback("progress(n)", progress)
    check_path("run", run, "a run folder or a samples file")
    path = readable(run)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if scenes is not None and not verify:
        raise ValueError("scenes are read to verify the samples against: give them with "
                         f"{option('verify=True', '--verify')}")
    # a missing scenes file is said before the samples are read
    scene_files = resolve_inputs(path, scenes)[1] if scenes is not None else []
    manifest = read_manifest(path) if path.is_dir() else None
    if manifest is not None and not isinstance(manifest.get("config"), dict):
        raise ValueError(f"{path / 'manifest.json'} has no 'config': not a veriscene run manifest")
    tally = SampleTally()
    if workers > 1:
        from veriscene.engine.backends import ordered_map

        for counted in ordered_map(part_tally, [(p,) for p in sample_parts(path, PART_BYTES)], workers=workers):
            tally.merge(counted)
            if progress is not None:
                progress(counted.report.samples + counted.report.unreadable)
    else:  # whole files: lines numbered as a worker's part numbers them
        for part in sample_parts(path, size=None):
            tally.add_part(part, progress)
    tally.report.done()
    facts = CardFacts(path, manifest, tally, scene_files=scene_files)
    if manifest is not None:
        facts.scenes, facts.scenes_note = scene_facts(path, manifest["config"])
    else:
        facts.scenes_note = "without the run's manifest the scenes file is not known"
    if verify:
        _verification(path, facts, workers, progress)
    return facts


def dataset_card(run: str | os.PathLike[str], *, name: str | None = None, license: str = "unknown",
                 data_files: DataFiles | None = None, scenes: Scenes | None = None, verify: bool = False,
                 workers: int = 1, card_dir: str | os.PathLike[str] | None = None, split: str = "train",
                 split_run: Mapping[str, str | os.PathLike[str]] | None = None) -> str:
    """The dataset card (Markdown with YAML front matter for the Hugging Face Hub) of a run
    folder or samples file. `name`: the card's title and `pretty_name` (default: the run
    folder's name); `license`: a Hub license id; `data_files`: the Hub's `configs` block, one glob
    or {split: glob(s)}, relative to `card_dir` (the card's folder, default the run folder; with
    no `data_files` a card in the run folder names the run's samples files); `verify`: re-run
    every program (on `workers` local processes, against `scenes` if given, else the scene files
    the manifest names) and state the outcome. `split_run`: {split name: run} of the other splits
    published with `run` (whose split is `split`), summed up in a Splits section
    (`veriscene.card_splits`)."""
    from veriscene.card_splits import check_splits, split_facts
    from veriscene.card_text import render_card

    check_splits(split, {} if split_run is None else split_run)  # before any sample is read
    facts = card_facts(run, scenes=scenes, verify=verify, workers=workers)
    others = split_facts(split_run, verify=verify, workers=workers) if split_run else None
    return render_card(facts, name=name, license=license, data_files=data_files,
                       card_dir=Path(card_dir) if card_dir is not None else None, split=split, splits=others)


def card_path(out: str | os.PathLike[str]) -> Path:
    """Where a card given `out` goes: OUT/README.md for an existing folder or a name ending in a
    path separator (a folder, made if need be), else OUT itself."""
    text = os.fspath(out)
    if text.endswith(("/", os.sep)) or Path(text).is_dir():
        return Path(text) / "README.md"
    return Path(text)


def save_card(text: str, out: str | os.PathLike[str]) -> Path:
    """Write the card `text` to `card_path(out)` (making its folder); returns that path. Written
    whole or not at all (`io.writers.files.AtomicTextFile`): a write that fails or is stopped
    part-way leaves an earlier card there as it was, and no folder of its own."""
    from veriscene.io.writers.files import AtomicTextFile, new_folders

    path = card_path(out)
    with new_folders(path), AtomicTextFile(path) as fh:
        fh.write(text)
    return path


def default_card_path(run: str | os.PathLike[str]) -> Path:
    """Where a card goes without `out`, as `veriscene card RUN` writes it: RUN/README.md, or
    README.md beside a samples file given alone (the local copy's, for a run at a URL)."""
    path = readable(run)
    if not path.exists():  # said as `card_facts` says it, not as a folder made for the card
        raise FileNotFoundError(f"{path} does not exist")
    return (path if path.is_dir() else path.parent) / "README.md"


def write_card(run: str | os.PathLike[str], out: str | os.PathLike[str] | None = None, *, name: str | None = None,
               license: str = "unknown", data_files: DataFiles | None = None, scenes: Scenes | None = None,
               verify: bool = False, workers: int = 1, split: str = "train",
               split_run: Mapping[str, str | os.PathLike[str]] | None = None) -> Path:
    """Write `dataset_card(run, ...)` to `out` (a file, or a folder: `card_path`; default
    `default_card_path(run)`, RUN/README.md, as the command writes it); returns the path.
    `data_files` are relative to the card's folder. An `out` below a file is refused (OutputError)
    before any sample is read."""
    from veriscene.io.writers.files import check_folders

    if out is None:
        check_path("run", run, "a run folder or a samples file")
        out = default_card_path(run)
    check_path("out", out, "the card's file, or the folder for its README.md")
    check_folders(card_path(out), "out")
    return save_card(dataset_card(run, name=name, license=license, data_files=data_files, scenes=scenes,
                                  verify=verify, workers=workers, card_dir=card_path(out).parent, split=split,
                                  split_run=split_run), out)
