"""Split scene graphs into train / validation / test files with no image in two of them.

    summary = split("scenes.jsonl", "splits/", ratios={"train": 0.9, "test": 0.1})
    # splits/train.jsonl, splits/test.jsonl, splits/split.json, splits/split_rejects.jsonl

Held-out evaluation needs held-out images: a benchmark whose test questions ask about images
the model was trained on measures memory, not vision. Splitting the *scenes* before generating
keeps every image, and every multi-image group (each split's run draws its partner images from
its own scenes), on one side. Run `generate` once per split file.

Which split a scene goes to depends only on (seed, its key), never on the order of the input or
its size: the key's BLAKE2b hash, read as a number in [0, 1), falls in one split's share of the
ratios. The same scene graphs give the same files; adding scenes to the input later leaves the
earlier ones where they were; an image id given twice lands twice in one split. The key is the
image id, or with `group_by` a field of the record (a dotted path such as `meta.label_map`: the
slices of one medical volume; `meta.video`: the frames of one clip), so related images never
straddle two splits; a record without that field is split by its image id, and counted
(`SplitSummary.ungrouped`).

Records are copied as they are, except a relative `image` path, which is rewritten relative to
the output folder (scene files name their images relative to their own folder), and a closed
category list (COCO's: ``meta["categories"]``, which the reader writes into a file's first scene
only) added to the first scene of its set in each split file that would lack it. A line that is
not a JSON object with an image id is not written to any split: it goes to `split_rejects.jsonl`
with its file, line and reason, and is counted. Records are checked no further: `generate` does
that. `split.json` records the inputs (paths and sha256), the seed, the ratios, `group_by` and
the counts. Memory holds one line at a time, and with `group_by` an 8-byte hash per group (to
count the groups of each split).

An image id given by two records (in one file, or in two: data sets whose images share ids, both
with a "1.jpg") puts both in one split, so no image straddles two; but `generate` reads the first
scene of an id only and rejects the others as duplicates. `split` counts such records
(`SplitSummary.repeated`, split.json's `counts.repeated`) and names the first (`repeats`: file and
line of the record and of the one whose id it repeats), keeping 16 bytes per record (a 64-bit
hash of its image id and its line) to find them: give each data set's image ids a prefix of their
own before splitting two whose ids overlap.

The output folder is locked while a split writes it (`engine.run_lock`): another split into it
meanwhile is refused, before it reads a record. Before, the two wrote into the same temporary
files: one stopped with a bare "No such file or directory", the other exited 0 with split files
holding 7,732 lines of a 6,000-scene input and a split.json counting 6,000.
"""

from __future__ import annotations

import hashlib
import os
import re
from array import array
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Mapping, Sequence

import numpy as np
import orjson

from veriscene.category_sets import listed_categories
from veriscene.engine.manifest import file_sha256, write_json
from veriscene.engine.options import SEED_RANGE, check_int, check_path
from veriscene.engine.scan import later_repeats, stable_hash
from veriscene.engine.remote import is_url
from veriscene.engine.run_lock import RunKind, holding_locks, lock_folder
from veriscene.scene.compressed import create_scene_file, open_scene_file, read_errors
from veriscene.scene.inputs import input_files
from veriscene.option_names import option

SPLIT_FILE = "split.json"
REJECTS_FILE = "split_rejects.jsonl"
COMPRESSIONS = {"none": ("", None), "gz": (".gz", "gzip"), "zst": (".zst", "zstd")}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_MISSING = object()
SPLIT = RunKind("split", "two splits into one folder would mix their split files")


@dataclass
class SplitSummary:
    """What `split` wrote: scenes per split, the files, and what it could not place."""

    out: Path
    files: dict[str, Path] = field(default_factory=dict)  # split name -> its scene file
    scenes: dict[str, int] = field(default_factory=dict)  # split name -> scenes written
    groups: dict[str, int] = field(default_factory=dict)  # with group_by: split name -> distinct groups
    rejected: int = 0  # lines written to no split (see split_rejects.jsonl)
    ungrouped: int = 0  # with group_by: records without the field, split by their image id
    repeated: int = 0  # records whose image id an earlier record gave (`generate` keeps the first)
    repeats: list[str] = field(default_factory=list)  # the first of them, "file:line repeats file:line"
    errors: list[str] = field(default_factory=list)  # the first rejects, "file:line: reason"
    # files of the input's folders and patterns not read: veriscene's own beside scene files (reject reports...)
    notes: list[str] = field(default_factory=list)
    # without group_by: medical volumes (meta.label_map, meta.dicom_seg, meta.dicom_rtstruct) whose
    # slices went to more than one split, of how many, and the field that keeps them together
    volumes_across: int = 0
    volumes: int = 0
    volume_field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["out"] = str(self.out)
        found["files"] = {k: str(v) for k, v in self.files.items()}
        return found


def parse_ratios(text: str) -> dict[str, float]:
    """"train=0.9,test=0.1" -> {"train": 0.9, "test": 0.1} (ValueError naming what is wrong)."""
    ratios: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if name.strip() in ratios:  # else the last share would stand for both, unsaid
            raise ValueError(f"ratio {part!r}: split {name.strip()!r} is given twice in {text.strip()!r}")
        try:
            ratios[name.strip()] = float(value) if sep else float("nan")
        except ValueError:
            raise ValueError(f"ratio {part!r}: expected NAME=NUMBER, e.g. train=0.9") from None
        if not sep:
            raise ValueError(f"ratio {part!r}: expected NAME=NUMBER, e.g. train=0.9")
    return ratios


def check_ratios(ratios: Mapping[str, float]) -> dict[str, float]:
    """The ratios, checked: at least two names usable as file names, each share above 0, summing
    to 1 (within 1e-6)."""
    if len(ratios) < 2:
        raise ValueError(f"a split needs at least two parts, e.g. train=0.9,test=0.1; got {dict(ratios)}")
    for name, share in ratios.items():
        if not isinstance(name, str) or not _NAME.match(name) or name in ("split", "split_rejects"):
            raise ValueError(f"split name {name!r}: letters, digits, '_', '-' and '.', not starting with a "
                             "punctuation mark, and not 'split' or 'split_rejects'")
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
            raise ValueError(f"split {name!r}: its share must be a number above 0 and at most 1, got {share!r}")
    total = sum(ratios.values())
    if abs(total - 1) > 1e-6:
        raise ValueError(f"the shares add up to {total:g}, not 1: {', '.join(f'{k}={v:g}' for k, v in ratios.items())}")
    return {name: float(share) for name, share in ratios.items()}


def position(seed: int, key: str) -> float:
    """Where `key` falls in [0, 1) for `seed`: a hash, the same on every machine and run."""
    digest = hashlib.blake2b(orjson.dumps([seed, key]), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def choose(ratios: Mapping[str, float], at: float) -> str:
    """The split whose share of [0, 1), in the order given, holds `at`."""
    upto = 0.0
    for name, share in ratios.items():
        upto += share
        if at < upto:
            return name
    return name  # rounding: the shares sum to 1 within 1e-6


def _field(record: Mapping[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _image_id(record: Any) -> str | None:
    image_id = record.get("image_id") if isinstance(record, dict) else None
    if isinstance(image_id, int) and not isinstance(image_id, bool):
        return str(image_id)
    return image_id if isinstance(image_id, str) and image_id else None


def _no_image_id(record: Any) -> str:
    """Why a record has no place in a split; a sample record (`generate`'s output) says what to split instead."""
    reason = "no image_id (a non-empty string or an integer): cannot be placed in a split"
    if isinstance(record, dict) and "question" in record and "program" in record:
        reason += ("; it is a sample (it has a question and a program), not a scene graph: split the scene "
                   "file the samples are made from, then run `generate` on each split")
    return reason


def _rebased(record: dict[str, Any], source_dir: Path, out: Path) -> dict[str, Any] | None:
    """The record with a relative image path rewritten relative to `out`; None when it needs none."""
    image = record.get("image")
    if not isinstance(image, str) or not image or is_url(image) or os.path.isabs(image):
        return None
    moved = os.path.relpath(os.path.abspath(source_dir / image), os.path.abspath(out))
    return {**record, "image": Path(moved).as_posix()}


class _ImageIds:
    """The image id (as a 64-bit hash) and line of every record placed, file by file, to find the
    records that repeat an earlier record's image id (16 bytes a record)."""

    def __init__(self) -> None:
        self.hashes, self.lines = array("Q"), array("Q")
        self.ends: list[int] = []  # records placed up to the end of each file

    def add(self, image_id: str, line: int) -> None:
        self.hashes.append(stable_hash(image_id))
        self.lines.append(line)

    def end_file(self) -> None:
        self.ends.append(len(self.hashes))

    def repeats(self, files: list[Path], listed: int = 5) -> tuple[int, list[str]]:
        """(records repeating an earlier one's image id, the first `listed` as "file:line repeats
        file:line")."""
        found = later_repeats(np.frombuffer(self.hashes, dtype=np.uint64))

        def where(k: int) -> str:
            return f"{files[int(np.searchsorted(self.ends, k, side='right'))]}:{self.lines[k]}"

        return len(found), [f"{where(k)} repeats the image id of {where(first)}" for k, first in found[:listed]]


class _CategoryLists:
    """Closed category lists (`veriscene.category_sets`) carried into every split file: a COCO file
    gives its list (``meta["categories"]``) in its first scene only, so without this the split
    holding that scene alone would know the set's categories, and generation and free-form
    scoring of the other splits would fall back to the names their own scenes show. The first
    scene of a set placed in a split file without the list gets it (once per split and set)."""

    def __init__(self) -> None:
        self.lists: dict[str, list[str]] = {}  # set id -> its sorted names, as a scene listed them
        self.given: dict[str, set[str]] = {}  # split name -> set ids whose list its file holds

    def place(self, record: dict[str, Any], name: str) -> dict[str, Any] | None:
        """`record` with its set's list added where the split file `name` lacks it; None when
        it goes as it is. A list that is not its id's (`listed_categories`) is not passed on."""
        meta = record.get("meta")
        if not isinstance(meta, dict) or not isinstance(meta.get("category_set"), str):
            return None
        given = self.given.setdefault(name, set())
        try:
            listed = listed_categories(meta)
        except ValueError:
            listed = None
        if listed is not None:
            self.lists.setdefault(listed[0], list(listed[1]))
            given.add(listed[0])
            return None
        set_id = meta["category_set"]
        if set_id in given or set_id not in self.lists:
            return None
        given.add(set_id)
        return {**record, "meta": {**meta, "categories": self.lists[set_id]}}


@holding_locks  # the output folder, locked until it returns (`engine.run_lock`)
def split(
    scenes: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    ratios: Mapping[str, float] | str = "train=0.9,test=0.1",
    seed: int = 0,
    group_by: str | None = None,
    compress: str = "none",
) -> SplitSummary:
    """Split the scene graphs of `scenes` (a file, plain or compressed, a folder or a glob pattern
    of them, or a list of these, read one after another: as `generate` reads them, leaving out of
    a folder or pattern the reject reports veriscene writes beside scene files, `notes` naming
    them) into one file per split in folder `out` (see the module docstring). `ratios`:
    {name: share} or "train=0.8,val=0.1,test=0.1"; `compress`: "none", "gz" or "zst"
    (`<name>.jsonl.zst`). Existing split files in `out` are replaced. Another split writing `out`
    meanwhile: `engine.run_lock.RunLockedError`, nothing read nor written."""
    if not isinstance(ratios, (str, Mapping)):
        raise TypeError(f"ratios must be a dict of split names and shares or a text such as "
                        f"'train=0.9,test=0.1', got {ratios!r}")
    if group_by is not None and not isinstance(group_by, str):
        raise TypeError(f"group_by must be the name of a scene field (a str, e.g. 'meta.video'), got {group_by!r}")
    shares = check_ratios(parse_ratios(ratios) if isinstance(ratios, str) else ratios)
    if compress not in COMPRESSIONS:
        raise ValueError(f"unknown compression {compress!r}; choose one of {', '.join(COMPRESSIONS)}")
    seed = check_int("seed", seed, *SEED_RANGE)  # as `generate` takes it (orjson hashes 64-bit integers)
    check_path("out", out, "the folder receiving the split files")
    found = input_files(scenes)
    files = found.paths
    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} is a file: {option('out', '--out')} names the folder receiving the split files")
    mine = {(out_dir / f"{name}.jsonl{COMPRESSIONS[compress][0]}").resolve() for name in shares}
    for file in files:
        if file.resolve() in mine:
            raise ValueError(f"{file} is an input and would be written over as a split file: give another "
                             f"{option('out', '--out')}")
    lock_folder(out_dir, SPLIT)  # (made for it)
    out_dir.mkdir(parents=True, exist_ok=True)  # (where nothing is locked: Windows)
    summary = SplitSummary(out=out_dir, notes=found.notes())
    suffix, kind = COMPRESSIONS[compress]
    targets = {name: out_dir / f"{name}.jsonl{suffix}" for name in shares}
    keys: dict[str, set[float]] = {name: set() for name in shares}  # group positions, with group_by
    handles: dict[str, IO[bytes]] = {}
    placed = _ImageIds()
    lists = _CategoryLists()
    volumes: dict[tuple[str, str], set[str]] | None = {} if group_by is None else None  # (field, volume) -> splits
    rejects_tmp = out_dir / f".{REJECTS_FILE}.tmp"
    temporary = [path.with_name(f".{path.name}.tmp") for path in targets.values()] + [rejects_tmp]
    try:
        for name, path in targets.items():
            handles[name] = create_scene_file(path.with_name(f".{path.name}.tmp"), kind, name=path.name)
        with open(rejects_tmp, "wb") as rejects:
            for file in files:
                _split_file(file, out_dir, shares, seed, group_by, handles, keys, rejects, summary, placed, lists,
                            volumes)
                placed.end_file()
    except BaseException:  # a broken input, Ctrl-C: no half-written split file is left behind
        for fh in handles.values():
            fh.close()
        for tmp in temporary:
            tmp.unlink(missing_ok=True)
        raise
    for fh in handles.values():
        fh.close()
    for name, path in targets.items():
        os.replace(path.with_name(f".{path.name}.tmp"), path)
        summary.files[name] = path
        if group_by is not None:
            summary.groups[name] = len(keys[name])
        summary.scenes.setdefault(name, 0)
    os.replace(rejects_tmp, out_dir / REJECTS_FILE)
    summary.repeated, summary.repeats = placed.repeats(files)
    if volumes:
        summary.volumes = len(volumes)
        summary.volumes_across = sum(len(names) > 1 for names in volumes.values())
        summary.volume_field = "meta." + Counter(name for name, _ in volumes).most_common(1)[0][0]
    write_json(out_dir / SPLIT_FILE, {
        "inputs": [{"path": str(f), "sha256": file_sha256(f)} for f in files],
        "seed": seed, "ratios": shares, "group_by": group_by, "compress": compress,
        "counts": {"scenes": summary.scenes, "groups": summary.groups, "rejected": summary.rejected,
                   "ungrouped": summary.ungrouped, "repeated": summary.repeated},
    })
    return summary


def _reject(rejects: IO[bytes], summary: SplitSummary, file: Path, line: int, field_: str | None,
            reason: str) -> None:
    rejects.write(orjson.dumps({"file": str(file), "record": line, "field": field_, "reason": reason}) + b"\n")
    summary.rejected += 1
    if len(summary.errors) < 10:
        summary.errors.append(f"{file}:{line}: {reason}")


VOLUME_FIELDS = ("label_map", "dicom_seg", "dicom_rtstruct")  # a slice's meta naming its volume's file


def _volume(record: dict[str, Any]) -> tuple[str, str] | None:
    """(the meta field, the volume's file) of a medical slice's scene record, else None."""
    meta = record.get("meta")
    if not isinstance(meta, dict) or "slice" not in meta:
        return None
    for name in VOLUME_FIELDS:
        if isinstance(meta.get(name), str):
            return name, meta[name]
    return None


def _split_file(file: Path, out: Path, shares: dict[str, float], seed: int, group_by: str | None,
                handles: dict[str, IO[bytes]], keys: dict[str, set[float]], rejects: IO[bytes],
                summary: SplitSummary, placed: _ImageIds, lists: _CategoryLists,
                volumes: dict[tuple[str, str], set[str]] | None = None) -> None:
    """Each line of one scene file to its split's file (see `split`); without `group_by`, the
    splits each medical volume's slices went to, in `volumes`."""
    with read_errors(file), open_scene_file(file) as fh:
        for number, line in enumerate(fh, start=1):
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                _reject(rejects, summary, file, number, None, f"not JSON ({exc})")
                continue
            image_id = _image_id(record)
            if image_id is None:
                _reject(rejects, summary, file, number, "image_id", _no_image_id(record))
                continue
            key, grouped = image_id, False
            if group_by is not None:
                value = _field(record, group_by)
                if value is _MISSING or value is None:
                    summary.ungrouped += 1
                else:
                    key, grouped = "group:" + (value if isinstance(value, str) else orjson.dumps(value).decode()), True
            at = position(seed, key)
            name = choose(shares, at)
            if volumes is not None and (volume := _volume(record)) is not None:
                volumes.setdefault(volume, set()).add(name)
            rebased = _rebased(record, file.parent, out)
            listed = lists.place(record if rebased is None else rebased, name)
            changed = rebased if listed is None else listed
            handles[name].write(line.rstrip(b"\r\n") + b"\n" if changed is None else orjson.dumps(changed) + b"\n")
            summary.scenes[name] = summary.scenes.get(name, 0) + 1
            placed.add(image_id, number)
            if grouped:
                keys[name].add(at)
