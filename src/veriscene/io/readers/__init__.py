"""Readers: annotation formats in, validated scene graphs (internal convention) out.

    from veriscene.io.readers import read
    for scene in read("scene_graphs.json", "auto", report=report):
        ...

Every reader is a pure streaming function ``read_<fmt>(path, **options) -> Iterator[Scene]``,
registered here under its format name. Options shared by all readers: `report` (a RejectReport),
`strict` (raise the first SceneValidationError instead of reporting it), `normalizer`,
`image_root` (image files, for sizes missing from the annotation), `image_size` ((W, H) fallback)
and `drop_bad_parts` (drop a bad object or relation instead of rejecting its whole scene);
`read` itself takes `id_prefix` (put before every image id: data sets whose images share ids,
"1.jpg", kept apart when their scenes are used together).
"""

from __future__ import annotations

import difflib
import inspect
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any

from veriscene.errors import ReaderOptionError
from veriscene.io.readers._option_values import given_values
from veriscene.io.readers.clevr import read_clevr
from veriscene.io.readers.coco import read_coco
from veriscene.io.readers.detect import FormatDetectionError, detect, detect_format
from veriscene.io.readers.dicom_rt import read_dicom_rt
from veriscene.io.readers.dicom_seg import read_dicom_seg
from veriscene.io.readers.gqa import read_gqa
from veriscene.io.readers.label_map import read_label_map
from veriscene.io.readers.open_images import read_open_images
from veriscene.io.readers.provision import read_provision
from veriscene.io.readers.veriscene_jsonl import read_veriscene_jsonl
from veriscene.io.readers.visual_genome import read_visual_genome
from veriscene.io.rejects import RejectReport
from veriscene.scene.model import Scene

ReaderFn = Callable[..., Iterator[Scene]]

READERS: dict[str, ReaderFn] = {}
# Other names users type for a format.
ALIASES: dict[str, str] = {
    "vg": "visual_genome",
    "coco_panoptic": "coco",
    "coco_instances": "coco",
    "jsonl": "veriscene_jsonl",
    "veriscene": "veriscene_jsonl",
    "oi": "open_images",
    "openimages": "open_images",
    "medical": "label_map",
    "nifti": "label_map",
    "msd": "label_map",
    "dicom": "dicom_seg",
    "seg": "dicom_seg",
    "rtstruct": "dicom_rt",
    "rt": "dicom_rt",
}
COMMON_OPTIONS = ("report", "strict", "normalizer", "image_root", "image_size", "drop_bad_parts", "sparse", "id_prefix")


def register_reader(name: str, fn: ReaderFn) -> ReaderFn:
    """Register `fn` as the reader of format `name` (duplicate names are refused)."""
    if name in READERS or name in ALIASES:
        raise ValueError(f"a reader named {name!r} is already registered")
    READERS[name] = fn
    return fn


for _name, _fn in (
    ("visual_genome", read_visual_genome),
    ("gqa", read_gqa),
    ("coco", read_coco),
    ("clevr", read_clevr),
    ("provision", read_provision),
    ("open_images", read_open_images),
    ("label_map", read_label_map),
    ("dicom_seg", read_dicom_seg),
    ("dicom_rt", read_dicom_rt),
    ("veriscene_jsonl", read_veriscene_jsonl),
):
    register_reader(_name, _fn)


def resolve_format(fmt: str) -> str:
    """Canonical format name for `fmt` (or an alias); KeyError with close matches otherwise."""
    key = fmt.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in READERS:
        known = sorted(READERS) + sorted(ALIASES)
        close = difflib.get_close_matches(key, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown input format {fmt!r}{hint} (known: auto, {', '.join(sorted(READERS))})")
    return key


# Common options that are true or false; a reader's own are those annotated `bool`.
_COMMON_FLAGS = frozenset({"strict", "drop_bad_parts"})


def _fit_options(fn: ReaderFn, fmt: str, options: dict[str, Any]) -> dict[str, Any]:
    """Keep the options `fn` takes; unset options for other formats are ignored, set ones refused
    (`ReaderOptionError`, as every reader refuses a bad option value). A true/false option given
    anything but a bool (`-r skip_crowd=flase`, which any text would make true) is refused too."""
    params = [p for p in inspect.signature(fn).parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    own = {p.name for p in params}
    flags = _COMMON_FLAGS | {p.name for p in params if p.annotation in (bool, "bool")}
    # options that may be true or false ("str | bool | None") take the command line's "1" and "0"
    # as true and false; the others (`axis`, `step`) take them as numbers
    may_be_bool = flags | {"sparse"} | {p.name for p in params if re.search(r"\bbool\b", str(p.annotation))}
    out = {}
    for key, value in options.items():
        if key in may_be_bool and value in ("1", "0"):
            value = value == "1"
        if key in flags and not isinstance(value, bool):
            # (the command line's words are made bools before: Python's masks="no" is no bool either)
            raise ReaderOptionError(f"option {key!r} of format {fmt!r} must be true or false (True or False in Python; "
                                    f"on the command line yes/no, on/off, 1/0 too), got {value!r}", option=key,
                                    value=value)
        if key in own or key in COMMON_OPTIONS:
            out[key] = value
        elif value not in (None, False):
            # the options a user gives: not those convert and generate pass themselves
            taken = sorted((own | set(COMMON_OPTIONS) | {"synonyms"}) - {"report", "strict", "normalizer"})
            raise ReaderOptionError(f"option {key!r} does not apply to format {fmt!r} (it takes: "
                                    f"{', '.join(taken)}){meant(key, taken)}", option=key, value=value)
    return out


def meant(key: str, taken: Iterable[str]) -> str:
    """``"; did you mean 'window'?"`` for a reader option misspelt (`key`) among those `taken`,
    else ""."""
    close = difflib.get_close_matches(key, list(taken), n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def reader_options(fmt: str) -> tuple[str, ...]:
    """The options of format `fmt`'s reader besides `COMMON_OPTIONS` (e.g. COCO's `masks`,
    `skip_crowd`, `panoptic_root`), as `read`, `convert` and `generate(reader_options=...)` take
    them."""
    fn = READERS[resolve_format(fmt)]
    return tuple(p.name for p in inspect.signature(fn).parameters.values()
                 if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in COMMON_OPTIONS)


def read(
    path: str | os.PathLike[str],
    fmt: str = "auto",
    *,
    report: RejectReport | None = None,
    strict: bool = False,
    **options: Any,
) -> Iterator[Scene]:
    """Stream validated scenes from `path` in format `fmt` ("auto" detects it). `id_prefix`: text
    put before every image id ("vg/" makes "1" "vg/1"), so that two data sets whose images share
    ids give their samples different ids (a sample id hashes its image ids)."""
    name = detect_format(path) if fmt == "auto" else resolve_format(fmt)
    fn = READERS[name]
    options = given_values(options)  # image_size="WxH" and synonyms=FILE, as on the command line
    prefix = options.pop("id_prefix", None)
    if prefix is not None and (not isinstance(prefix, str) or not prefix.strip() or prefix != prefix.strip()):
        raise ReaderOptionError(f"id_prefix must be text without leading or trailing spaces, got {prefix!r}",
                                option="id_prefix", value=prefix)
    scenes = fn(path, report=report, strict=strict, **_fit_options(fn, name, options))
    return scenes if not prefix else (replace(scene, image_id=prefix + scene.image_id) for scene in scenes)


__all__ = [
    "ALIASES",
    "READERS",
    "FormatDetectionError",
    "ReaderFn",
    "ReaderOptionError",
    "detect",
    "detect_format",
    "read",
    "read_clevr",
    "read_coco",
    "read_gqa",
    "read_open_images",
    "read_provision",
    "read_veriscene_jsonl",
    "read_visual_genome",
    "reader_options",
    "register_reader",
    "resolve_format",
]
