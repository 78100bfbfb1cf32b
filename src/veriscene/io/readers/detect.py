"""Guess the annotation format of a path from file names and the first bytes of the file.

Big JSON files are not parsed here: the first megabyte is searched for keys that only one format
uses. The result is a format name of `veriscene.io.readers.READERS`, with the reason it was chosen.
A compressed file (gzip, zstd, bz2, xz, or a zip archive of one file, known by its first bytes) is
told by its name without the compression suffix and by its first decompressed megabyte.
"""

from __future__ import annotations

import os
import re
from importlib.util import find_spec
from pathlib import Path

import orjson

from veriscene.io.readers._dicom_files import dicom_kind, may_be_dicom, read_dicom_header
from veriscene.io.readers._structure_files import SEGMENTATIONS
from veriscene.io.readers.dicom_rt import is_dicom_rt
from veriscene.io.readers.dicom_seg import is_dicom_seg
from veriscene.io.readers.label_map import is_label_map
from veriscene.io.readers.label_tables import LABEL_TABLE_FILES
from veriscene.scene import archives
from veriscene.scene.compressed import (
    READ_ERRORS, data_compression, data_error, data_files, find_data_file, jsonl_files, open_data_file, plain_name,
    unreadable,
)
from veriscene.option_names import option

_PEEK = 1 << 20  # bytes
_PEEK_READ = 1 << 16  # bytes decompressed per read of the peek
_VG_FILES = ("scene_graphs.json", "objects.json", "attributes.json", "relationships.json")
# what a DICOM image (a CT series) given as input is told to give instead
DICOM_OBJECTS_READ = ("veriscene reads the annotations drawn on such images: DICOM Segmentation (SEG) files "
                      "(--from dicom_seg) and RT Structure Sets (--from dicom_rt), with -r images=DIR naming the "
                      "folder of their series")

# (format, reason, keys that must all occur) in order of precedence: rarer, more specific keys first.
_RULES: tuple[tuple[str, str, tuple[bytes, ...]], ...] = (
    ("clevr", "CLEVR key 'pixel_coords'", (b'"pixel_coords"',)),
    ("clevr", "CLEVR keys 'image_index' and 'objects'", (b'"image_index"', b'"objects"')),
    ("coco", "COCO panoptic key 'segments_info'", (b'"segments_info"',)),
    ("provision", "ProVision key 'det_scores'", (b'"det_scores"',)),
    ("provision", "ProVision key 'seg_mask_id'", (b'"seg_mask_id"',)),
    ("provision", "ProVision key 'depth_mask_id'", (b'"depth_mask_id"',)),
    ("provision", "ProVision keys 'annotation', 'labels', 'bboxes'", (b'"annotation"', b'"labels"', b'"bboxes"')),
    ("visual_genome", "Visual Genome key 'subject_id'", (b'"subject_id"',)),
    ("visual_genome", "Visual Genome key 'synsets'", (b'"synsets"',)),
    ("visual_genome", "Visual Genome key 'object_id'", (b'"object_id"',)),
    ("visual_genome", "Visual Genome key 'names'", (b'"names"',)),
    ("visual_genome", "Visual Genome key 'object_names'", (b'"object_names"',)),
    ("coco", "COCO key 'categories'", (b'"categories"',)),
    ("coco", "COCO key 'iscrowd'", (b'"iscrowd"',)),
    ("coco", "COCO keys 'images' and 'file_name'", (b'"images"', b'"file_name"')),
)
_GQA_HEAD = re.compile(rb'^\s*\{\s*"[^"]+"\s*:\s*\{')


class FormatDetectionError(ValueError):
    """The format of an input could not be told; the message says what to pass instead."""


def _from_format() -> str:
    """How to name the format, as the caller gives options (`option_names`): from_format=FORMAT
    to convert()'s caller, --from FORMAT to the CLI's user."""
    return option("from_format=FORMAT", "--from FORMAT")


def _peek_to(path: Path) -> tuple[bytes, BaseException | None]:
    """(the first `_PEEK` bytes of the file, decompressed; the error that ended its stream before
    them, when it is cut short or corrupt, else None)."""
    head = b""
    try:
        with open_data_file(path) as fh:
            while len(head) < _PEEK:
                # in small reads: a read that meets the end of a cut-short stream loses what it
                # had decompressed, so a single 1 MiB read would give nothing at all
                data = fh.read(min(_PEEK_READ, _PEEK - len(head)))
                if not data:
                    break
                head += data
    except READ_ERRORS as exc:
        if not data_error(exc):
            raise
        return head, exc
    return head, None


def _peek(path: Path) -> bytes:
    """The first `_PEEK` bytes of the file, decompressed (what a broken compressed file gives)."""
    return _peek_to(path)[0]


def _sniff_json(path: Path) -> tuple[str, str] | None:
    head = _peek(path)
    for fmt, reason, keys in _RULES:
        if all(k in head for k in keys):
            return fmt, reason
    if _GQA_HEAD.match(head) and b'"objects"' in head and (b'"relations"' in head or b'"x"' in head):
        return "gqa", "GQA layout {imageId: {objects: {objId: ...}}}"
    return None


def _first_record(path: Path) -> object:
    """The first line of a (compressed) file parsed as JSON; None when it is not JSON."""
    try:
        with open_data_file(path) as fh:
            first = next((line for line in fh if line.strip()), b"")
        return orjson.loads(first.removeprefix(b"\xef\xbb\xbf"))  # past a BOM
    except (*READ_ERRORS, orjson.JSONDecodeError):
        return None


def _folder_of_files(path: Path) -> str:
    """Why a folder's format is not told: a folder of annotation files read one at a time (COCO's
    annotations/, GQA's scene graphs) names them, with the command for one."""
    known = []
    for file in data_files(path, ".json")[:_FOLDER_SNIFFS]:
        found = _sniff_json(file)
        if found is not None:
            known.append(f"{file.name} ({found[0]})")
    if not known:
        below = _annotations_below(path)
        if below:  # COCO's download: annotations/ beside val2017/ ("pass --from FORMAT" led to another refusal)
            return (f"{path}: cannot tell the annotation format of this folder, whose annotation files are in a "
                    f"folder of it ({', '.join(below)}); give the file to convert, as in {below[0].split(' (')[0]} "
                    "(with --image-root naming the folder of its images)")
        return f"{path}: cannot tell the annotation format of this folder; pass {_from_format()}"
    first = known[0].split(" (")[0]
    return (f"{path}: a folder of annotation files read one at a time ({', '.join(known)}); give the one to "
            f"convert, as in {(path / first).as_posix()}")


def _annotations_below(path: Path) -> list[str]:
    """The annotation files (COCO, GQA, ...) of `path`'s first subfolders, as 'PATH (FORMAT)'."""
    known = []
    for folder in [p for p in sorted(path.iterdir()) if p.is_dir() and not p.name.startswith(".")][:_FOLDER_SNIFFS]:
        for file in data_files(folder, ".json")[:_FOLDER_SNIFFS]:
            found = _sniff_json(file)
            if found is not None:
                known.append(f"{file.as_posix()} ({found[0]})")
    return known[:_FOLDER_SNIFFS]


_FOLDER_SNIFFS = 20  # the JSON files of a folder whose formats a refusal names


def detect(path: str | os.PathLike[str]) -> tuple[str, str]:
    """(format, reason) for `path`; raises FormatDetectionError when no rule matches."""
    path = Path(path)
    archives.require(path)  # on disk, or a file inside a zip archive
    if path.is_dir():
        if (path / "dataset.json").is_file() and b'"labels"' in _peek(path / "dataset.json"):
            return "label_map", "folder holds a segmentation dataset.json (Medical Segmentation Decathlon / nnU-Net)"
        if path.name == SEGMENTATIONS or (path / SEGMENTATIONS).is_dir() or any(
                (p / SEGMENTATIONS).is_dir() for p in sorted(path.iterdir())[:200] if p.is_dir()):
            return "label_map", f"folder holds a {SEGMENTATIONS}/ folder of one mask per structure (TotalSegmentator)"
        for name in _VG_FILES:
            file = find_data_file(path, name)
            if file is not None:
                return "visual_genome", f"folder holds {file.name}"
        lines = jsonl_files(path)
        if lines:
            for file in lines[:5]:
                fmt, why = _jsonl_format(file)
                if fmt == "provision":
                    return fmt, f"folder holds *.jsonl files ({file.name}: {why})"
            return "veriscene_jsonl", "folder holds *.jsonl files"
        for file in data_files(path, ".json")[:5]:
            found = _sniff_json(file)
            if found is not None and found[0] in ("provision", "clevr"):
                return found[0], f"{file.name}: {found[1]}"
        files = sorted(path.iterdir())[:200]
        if any(is_dicom_seg(p) for p in files):
            return "dicom_seg", "folder holds DICOM Segmentation (SEG) files"
        if any(is_dicom_rt(p) for p in files):
            return "dicom_rt", "folder holds a DICOM RT Structure Set (RTSTRUCT)"
        if any(is_label_map(p) for p in path.iterdir()) and all(
                p.name in LABEL_TABLE_FILES for p in path.glob("*.json")):
            return "label_map", "folder holds label maps (NIfTI, NumPy or image files) and no annotation JSON"
        dicom = next(((p, h) for p in files if p.is_file() and may_be_dicom(p) and find_spec("pydicom") is not None
                      for h in [read_dicom_header(p)[0]] if h is not None), None)
        if dicom is not None:  # a CT series: images, no SEG or structure set among them
            raise FormatDetectionError(f"{path}: a folder of DICOM files holding no Segmentation (SEG) or RT "
                                       f"Structure Set (RTSTRUCT) ({dicom[0].name}: {dicom_kind(dicom[1])} file); "
                                       f"{DICOM_OBJECTS_READ}")
        raise FormatDetectionError(_folder_of_files(path))
    if is_label_map(path):
        return "label_map", "a label map file (NIfTI, NumPy or image)"
    if is_dicom_seg(path):
        return "dicom_seg", "a DICOM Segmentation (SEG) file"
    if is_dicom_rt(path):
        return "dicom_rt", "a DICOM RT Structure Set (RTSTRUCT) file"
    header = read_dicom_header(path)[0] if may_be_dicom(path) and find_spec("pydicom") is not None else None
    if header is not None:  # a CT or MR image, a dose grid: no annotation to read
        raise FormatDetectionError(f"{path}: {dicom_kind(header)} file, not annotations; {DICOM_OBJECTS_READ}")
    kind = data_compression(path)
    found = _by_name_or_content(path, plain_name(path) if kind else path.name)
    if found is None and kind is not None:
        record = _first_record(path)  # veriscene JSONL under a name that does not say so
        if isinstance(record, dict) and "image_id" in record and "objects" in record:
            found = "veriscene_jsonl", "its first record has image_id and objects"
    if found is None and kind is not None:
        cut = _peek_to(path)[1]
        if cut is not None:  # the stream ends within what detection reads: say so, not "cannot tell"
            raise FormatDetectionError(f"{path}: {unreadable(path, cut, 'annotation file')} Its format cannot be "
                                       f"told from what comes before the end; pass {_from_format()} to read that part")
    if found is None:
        what = f"its first {_PEEK // 1024} KiB" + (f" ({kind}-decompressed)" if kind else "")
        raise FormatDetectionError(f"{path}: cannot tell the annotation format from {what}; pass {_from_format()}")
    if kind:
        found = found[0], f"{found[1]} ({kind}-compressed)"
    inside = archives.archive_member(path)
    return (found[0], f"{found[1]} (in the zip archive {inside[0].name})") if inside else found


def _by_name_or_content(path: Path, name: str) -> tuple[str, str] | None:
    """(format, reason) for a file called `name` (its name without a compression suffix)."""
    suffix = Path(name).suffix.lower()
    if suffix == ".jsonl":
        return _jsonl_format(path)
    if suffix == ".csv":
        header = _peek(path).split(b"\n", 1)[0]
        if b"RelationshipLabel" in header or b"LabelName1" in header:
            return "open_images", "CSV header with LabelName1/RelationshipLabel"
        if b"LabelName" in header and b"IsGroupOf" in header:
            return "open_images", "CSV header with LabelName/IsGroupOf (boxes)"
        raise FormatDetectionError(f"{path}: CSV without Open Images box or relationship columns; pass "
                                   f"{_from_format()}")
    if name in _VG_FILES or name == "image_data.json":
        return "visual_genome", f"file name {name}"
    return _sniff_json(path)


def _jsonl_format(path: Path) -> tuple[str, str]:
    """A JSON Lines file is veriscene's (its first record has image_id and objects) unless it is
    ProVision's (lines of {image_id: {annotation: ...}}, told by ProVision's keys)."""
    record = _first_record(path)
    if isinstance(record, dict) and "image_id" in record and "objects" in record:
        return "veriscene_jsonl", "file extension .jsonl, first record has image_id and objects"
    found = _sniff_json(path)
    if found is not None and found[0] == "provision":
        return found[0], f"JSON Lines with {found[1]}"
    return "veriscene_jsonl", "file extension .jsonl"


def detect_format(path: str | os.PathLike[str]) -> str:
    """The format name for `path` (see `detect` for the reason)."""
    return detect(path)[0]
