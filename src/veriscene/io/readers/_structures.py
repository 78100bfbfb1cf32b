"""A medical scene from its structures' masks: one object per structure (or per connected piece),
its box, and the relations the pixels show (`touching`, `surrounded by`). Label maps, DICOM SEG
and DICOM RTSTRUCT readers build their slices' scenes here (`structure_scene`).

Lesions of a volume are its structure's 3D connected pieces (`volume_pieces`), 26-connected: two
voxels sharing a face, an edge or a corner are one lesion, so pixels a slice shows 8-connected
(the 2D pieces of a 2D map) are never two lesions, and a lesion cut into two pieces by a slice
(a U-shaped one, or one bent out of the plane) is one object of a mask of two pieces there,
with the same id ("5.2": the second lesion of label 5) on every slice. 6-connected pieces (faces
only) would split a lesion whose voxels meet at an edge, as they do between thick slices where
it runs obliquely."""

from __future__ import annotations

import difflib
import functools
import re
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

import numpy as np

from veriscene.errors import MissingExtra, ReaderOptionError
from veriscene.io.readers._base import ReadContext, SceneParts, bad
from veriscene.io.readers._label_map_files import plane
from veriscene.io.readers._windows import PERCENTILE, Window
from veriscene.io.readers.label_tables import structure_name
from veriscene.scene.masks import encode_mask
from veriscene.scene.model import Scene

TOUCHING, SURROUNDED = "touching", "surrounded by"


def _scipy() -> Any:
    try:
        from scipy import ndimage
    except ImportError:
        raise MissingExtra("reading label maps", "medical", "scipy") from None
    return ndimage


# Words naming structures that come several at a time, counted by their pieces by default
# (`components="auto"`): "liver tumour", "cancer" (MSD), "lung nodule", "left kidney cyst", "lymph node"
# (names as normalised: lower case, singular)
LESION_WORDS = ("lesion", "tumour", "tumor", "cancer", "metastasis", "nodule", "cyst", "stone", "gallstone",
                "calculus", "polyp", "mass", "lymph node")
# ...unless the name is a part of one tumour (a glioma's regions: "enhancing tumour", "tumour core")
PART_WORDS = frozenset({"enhancing", "core", "necrotic", "necrosis", "whole", "edema", "oedema"})


@functools.lru_cache(maxsize=4096)  # asked per structure and slice: the same few names
def is_lesion(name: str) -> bool:
    """Whether a (normalised) structure name names lesions (`LESION_WORDS`), not a part of one."""
    words = name.replace("-", " ").split()
    text = f" {' '.join(words)} "
    return any(f" {w} " in text for w in LESION_WORDS) and not PART_WORDS & set(words)


@dataclass(frozen=True)
class Split:
    """Which structures become one object per connected piece (the `components` option): those
    named in `names`, every one with `every`, lesions (`is_lesion`) with `lesions`. The names of
    the structures asked about are kept (`seen`), to say which of `names` the data never held
    (`warn_unmatched`)."""

    names: frozenset[str] = frozenset()
    every: bool = False
    lesions: bool = False
    seen: set[str] = field(default_factory=set, compare=False, repr=False)

    def applies(self, name: str) -> bool:
        """`covers`, the name kept as one asked about (a structure read)."""
        if self.names:
            self.seen.add(name)
        return self.covers(name)

    def covers(self, name: str) -> bool:
        """Whether structures of `name` are split (nothing recorded: a label table's names too)."""
        return self.every or name in self.names or (self.lesions and is_lesion(name))


@dataclass(frozen=True)
class Options:
    table: dict[int, str]
    split: Split
    min_pixels: int
    square: bool = True  # slices of pixels that are not square resampled to square ones (`square_pixels`)
    window: Window = PERCENTILE  # how slices of the image volume become PNGs (`window`)


def splits(ctx: ReadContext, opts: Options, raw: str) -> bool:
    """Whether the structure of raw name `raw` becomes one object per connected piece."""
    return opts.split.applies(ctx.normalizer.name(structure_name(raw)))


@dataclass(frozen=True)
class VolumePieces:
    """The 26-connected pieces of one structure's voxels in a volume, numbered from 1 in scipy's
    order (by their first voxel), over the box of its voxels."""

    start: tuple[int, ...]  # the box's first voxel in the volume
    numbers: np.ndarray  # (box) unsigned ints: the piece of each voxel, 0 outside the structure
    count: int

    def cut(self, shape: tuple[int, ...], axis: int, k: int, radiological: bool) -> np.ndarray:
        """Slice k along `axis` of the volume (of `shape`) as `plane` shows it: the piece of each
        pixel, zeros where the box does not reach."""
        across, down = (a for a in range(3) if a != axis)
        full = np.zeros((shape[across], shape[down]), dtype=self.numbers.dtype)
        at = k - self.start[axis]
        if 0 <= at < self.numbers.shape[axis]:
            local = self.numbers[(slice(None),) * axis + (at,)]
            (a0, d0), (a1, d1) = (self.start[across], self.start[down]), local.shape
            full[a0:a0 + a1, d0:d0 + d1] = local
        return plane(np.expand_dims(full, axis), axis, 0, radiological)


def volume_pieces(mask: np.ndarray, start: tuple[int, ...] = (0, 0, 0)) -> VolumePieces:
    """The 26-connected pieces of a 3D bool `mask` (a crop of the volume at `start`), kept over
    the box of its voxels."""
    ndimage = _scipy()
    spans = [np.flatnonzero(mask.any(axis=tuple(b for b in range(3) if b != a))) for a in range(3)]
    if not spans[0].size:
        return VolumePieces(tuple(start), np.zeros((0, 0, 0), np.int32), 0)
    box = tuple(slice(int(span[0]), int(span[-1]) + 1) for span in spans)
    numbers, count = ndimage.label(mask[box], structure=np.ones((3, 3, 3), dtype=bool), output=np.int32)
    small = numbers.astype(np.min_scalar_type(count))  # uint8 for up to 255 pieces: a slice's stack stays small
    return VolumePieces(tuple(int(s + b.start) for s, b in zip(start, box)), small, int(count))


class Structure(NamedTuple):
    """One structure of a slice: its number (label value, segment or file number), raw name and
    (rows, columns) bool mask, column-major; for one split into the pieces of its volume, the
    piece of each pixel (`VolumePieces.cut`, 0 outside) and how many pieces the volume holds."""

    value: int
    raw: str
    mask: np.ndarray
    pieces: np.ndarray | None = None
    in_volume: int = 0


def _volume_pieces_here(pieces: np.ndarray, min_pixels: int) -> tuple[list[tuple[int, np.ndarray]], int]:
    """(number, mask) of each piece of the volume a slice shows with at least `min_pixels` pixels
    (a piece cut in two by the slice is one mask of two parts), in number order; and how many
    showed fewer."""
    numbers, sizes = np.unique(pieces[pieces > 0], return_counts=True)
    kept = [(int(n), pieces == n) for n, size in zip(numbers.tolist(), sizes.tolist()) if size >= min_pixels]
    return kept, len(numbers) - len(kept)


def _pieces(ndimage: Any, mask: np.ndarray, min_pixels: int) -> tuple[list[np.ndarray], int]:
    """The 8-connected pieces of `mask` of at least `min_pixels`, in label order; and how many were smaller."""
    labelled, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    sizes = np.bincount(labelled.ravel(), minlength=count + 1)
    kept = [labelled == k for k in range(1, count + 1) if sizes[k] >= min_pixels]
    return kept, count - len(kept)


def _box(mask: np.ndarray) -> list[float]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return [float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1)]


def _relations(ndimage: Any, masks: list[np.ndarray], boxes: list[list[float]]) -> list[tuple[int, str, int]]:
    """``touching`` (both ways) and ``surrounded by`` between every pair of masks, from the pixels."""
    height, width = masks[0].shape if masks else (0, 0)
    windows = [(slice(max(int(y0) - 1, 0), min(int(y1) + 1, height)), slice(max(int(x0) - 1, 0), min(int(x1) + 1, width)))
               for x0, y0, x1, y1 in boxes]  # each box and a pixel around it
    grown = [ndimage.binary_dilation(mask[w], structure=np.ones((3, 3), dtype=bool)) for mask, w in zip(masks, windows)]
    filled: dict[int, np.ndarray] = {}  # outlines with holes filled, made for the boxes that hold another
    out: list[tuple[int, str, int]] = []
    for a in range(len(masks)):
        for b in range(len(masks)):
            if a == b:
                continue
            ax0, ay0, ax1, ay1 = boxes[a]
            bx0, by0, bx1, by1 = boxes[b]
            if ax0 > bx1 or bx0 > ax1 or ay0 > by1 or by0 > ay1:
                continue  # more than a pixel apart
            if a < b and np.any(grown[a] & masks[b][windows[a]]):
                out += [(a, TOUCHING, b), (b, TOUCHING, a)]
            if ax0 >= bx0 and ay0 >= by0 and ax1 <= bx1 and ay1 <= by1:  # a's pixels all lie in b's window
                if b not in filled:
                    filled[b] = ndimage.binary_fill_holes(masks[b][windows[b]])
                if not np.any(masks[a][windows[b]] & ~filled[b]):
                    out.append((a, SURROUNDED, b))
    return sorted(out)


def structure_scene(ctx: ReadContext, opts: Options, structures: Iterable[Structure],
                    shape: tuple[int, ...], image_id: str, image: str | None, meta: dict[str, Any],
                    annotated: Iterable[str] = ()) -> Scene:
    """The scene of one slice from its structures (`Structure`: masks column-major, Fortran
    order, for pycocotools). Masks may overlap (DICOM segments do).

    A structure split into its volume's pieces (`Structure.pieces`) gives one object per piece
    the slice shows, id "value.piece" ("value" where the volume holds one), its mask all the
    piece's pixels here; one split on a 2D map, one per 8-connected piece ("value.k", k from 1 in
    the slice); any other, one object ("value").

    A segmentation annotates its structures (`annotated`: the raw names of all it may hold, the
    label table's), not all a slice shows (a CT slice shows muscle, bone, bowel that a liver
    segmentation leaves out): ``meta["exhaustive"]`` lists the names complete in this slice, those
    annotated and those present, less a name with a piece under `min_pixels` left out (a sliver of
    the kidney is there, unannotated). Programs then say no spleen only where spleens are
    annotated, and refuse "the largest object" or a caption of "every object".

    ``meta["single"]`` lists the names, annotated or present, of which the slice holds at most one
    object by construction: one structure (label value, segment, mask file) bears the name and it
    is not split into pieces (`Split.covers`). "How many livers?" is answered 1 or 0 whatever the
    image shows, a presence question dressed as counting: the counting generators leave these
    names out (`veriscene.generators.common.uncountable_names`); lesions counted by their pieces,
    and a name two structures bear, stay counted."""
    ndimage = _scipy()
    height, width = shape
    parts = SceneParts(ctx)
    masks: list[np.ndarray] = []
    incomplete: set[str] = set()
    values: dict[str, set[int]] = {}  # the structures bearing each name present
    for value, raw, mask, numbered, in_volume in structures:
        name = ctx.name(structure_name(raw), f"labels[{value}]")
        values.setdefault(name, set()).add(value)
        if numbered is not None:
            kept, small = _volume_pieces_here(numbered, opts.min_pixels)
            pieces = [(f"{value}" if in_volume == 1 else f"{value}.{n}", piece) for n, piece in kept]
        else:
            if opts.split.applies(name):
                found, small = _pieces(ndimage, mask, opts.min_pixels)
            elif int(mask.sum()) >= opts.min_pixels:
                found, small = [mask], 0
            else:
                found, small = [], 1
            pieces = [(f"{value}" if len(found) == 1 else f"{value}.{k + 1}", piece) for k, piece in enumerate(found)]
        if small:
            ctx.repair("small_pieces_dropped", small)
            incomplete.add(name)
        for oid, piece in pieces:
            box = _box(piece)
            parts.add(oid, partial(dict, name=name, box=box, attributes=[], mask=encode_mask(piece)),
                      f"labels[{value}]")
            masks.append(piece)
    if not parts.rows:
        raise bad(f"no structure of at least {opts.min_pixels} pixels", "pixels")
    ids = parts.ids
    for s, predicate, o in _relations(ndimage, masks, [r["box"] for r in parts.rows]):
        parts.relate(ids[s], predicate, ids[o], "relations")
    # how many structures bear each name: the annotation's (one raw name per structure), else the
    # slice's (a value no table names, "label 7")
    bearers = Counter(ctx.normalizer.name(structure_name(raw)) for raw in annotated)
    for name, held in values.items():
        bearers.setdefault(name, len(held))
    complete = set(bearers) | {r["name"] for r in parts.rows}
    single = sorted(n for n, k in bearers.items() if n and k == 1 and not opts.split.covers(n))
    meta = {**meta, "exhaustive": sorted(n for n in complete - incomplete if n), "single": single}
    return parts.scene(image_id, width, height, image=image, meta=meta)


def split_names(ctx: ReadContext, components: str | bool | None) -> Split:
    """The `components` option: "auto" (or None: not given) for lesions (`LESION_WORDS`), "all"
    (true), "none" (false), or a comma-separated list of names, which may hold "auto"."""
    if components is True:
        return Split(every=True)
    if components is False:
        return Split()
    words = [w.strip() for w in str("auto" if components is None else components).split(",") if w.strip()]
    lowered = [w.lower() for w in words]
    if lowered in ([], ["none"], ["false"]):
        return Split()
    if lowered in (["all"], ["true"]):
        return Split(every=True)
    names = frozenset(ctx.normalizer.name(structure_name(w)) for w, low in zip(words, lowered) if low != "auto")
    return Split(names, lesions="auto" in lowered)


UNNAMED = re.compile(r"label \d+")  # a value a label table does not name ("label 7"): may be in the data


def _listed(names: Iterable[str], most: int = 20) -> str:
    ordered = sorted(names)
    more = f" and {len(ordered) - most} more" if len(ordered) > most else ""
    return ", ".join(ordered[:most]) + more


def _unknown(missing: Iterable[str], known: set[str]) -> str:
    """`missing` quoted, each with the known name closest to it ("'livr' (did you mean 'liver'?)")."""
    out = []
    for name in sorted(missing):
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        out.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return ", ".join(out)


def check_components(split: Split, known: Iterable[str], source: str, given: object) -> None:
    """Refuse a `components` list naming no structure of `known` (the normalised names a label
    table or the mask files give, before any is read), so a misspelt name does not leave every
    lesion whole unsaid; "label N" names are let through (a value the table does not name)."""
    names = {n for n in split.names if not UNNAMED.fullmatch(n)}
    known = set(known)
    if not names or not known or names & known or len(names) < len(split.names):
        return
    raise ReaderOptionError(f"components: no structure of {source} is named {_unknown(names, known)}; its "
                            f"structures are {_listed(known)} (or give auto, all or none)", option="components",
                            value=given)


def warn_unmatched(split: Split, source: str) -> None:
    """Warn (the command's error output) of names of the `components` list no structure read had,
    once the reader has read them all: those structures are not split, whatever was meant."""
    missing = split.names - split.seen
    if missing:
        read = f"the structures read: {_listed(split.seen)}" if split.seen else "no structure was read"
        warnings.warn(f"components: no structure of {source} is named {_unknown(missing, split.seen)}, so none "
                      f"was counted by its pieces under that name; {read}", stacklevel=3)


def _count_option(name: str, value: int | str, low: int = 1, high: int | None = None) -> int:
    """An integer option, given as a number or as command-line text ("5")."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        span = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ReaderOptionError(f"{name} must be an integer {span}, got {value!r}", option=name, value=value)
    return value
