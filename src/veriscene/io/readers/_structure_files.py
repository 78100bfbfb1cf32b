"""Folders of one binary mask per structure, TotalSegmentator's layout: each NIfTI file holds one
structure (its name the file's: `kidney_left.nii.gz` is the left kidney), all on one voxel grid.

    veriscene convert s0011/ --from label_map -r slice_images=slices/ --out scenes.jsonl

Layouts (`structure_cases`, found by `find_cases` before any other):
- a case folder holding `segmentations/` and, when there is one, its CT `ct.nii.gz` (a subject of
  TotalSegmentator's dataset, `s0011/`);
- a folder of such case folders (the dataset's root, beside its `meta.csv`);
- a `segmentations/` folder itself (what ``TotalSegmentator -i ct.nii.gz -o segmentations``
  writes), its image the `ct.nii.gz` beside it;
- any folder of such masks with ``structure_files=true`` (other tools, other folder names).
`images` may name the image volume (a file) of a single case.

A case is read one mask at a time (decompressed into one buffer kept from mask to mask:
`_nifti_voxels`), each kept as its voxels' box only (an organ fills a small part of a CT: a case
of 117 masks stays small), then sliced as a label map volume is (`label_map`):
canonical orientation, radiological view, one scene per slice holding a structure. Masks may
overlap (a lesion mask inside the liver's), each keeping its own pixels as DICOM segments do.
A case of sheared affine (a tilted CT converted uncorrected) has its slices across the images
corrected, or kept (``tilt``), as a label map file's (`_nifti_tilt`): each mask's box resampled,
the same voxels as the whole volume's; said once per case.

The masks of a case share one grid: the shape and affine (within 1e-3) most of them have. A mask
on another is a file reject naming the field that differs (``shape``, ``affine``); where no grid
has more masks than another, the case is rejected whole (the folder: nothing says which grid is
the CT's). A mask holding a value other than 0 and 1 (a label map of several structures: read it
without this) is a file reject too; a rejected mask's structure is not taken as annotated (no
slice says it is absent). An empty mask is counted (``empty_masks``).
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from veriscene.errors import SceneValidationError
from veriscene.io.readers._base import ReadContext, bad
from veriscene.io.readers._dicom_tilt import CORRECT
from veriscene.io.readers._label_map_files import (
    Case, Grid, _nibabel, _stem, _suffix, count_skipped, image_volume, nifti_grid, plane, slice_meta, slice_png,
    squared_slice,
)
from veriscene.io.readers._nifti_tilt import tilt_plan, untilted_box
from veriscene.io.readers._nifti_voxels import VoxelReader
from veriscene.io.readers._structures import Options, Structure, VolumePieces, splits, structure_scene, volume_pieces
from veriscene.io.readers._windows import NO_FACTS, VolumeFacts, volume_modality, volume_window
from veriscene.scene.model import Scene

SEGMENTATIONS = "segmentations"  # TotalSegmentator's folder of masks
CT_NAMES = ("ct.nii.gz", "ct.nii")  # the image beside it


def _masks_in(folder: Path) -> tuple[Path, ...]:
    return tuple(sorted(p for p in folder.iterdir() if p.is_file() and _suffix(p) in (".nii", ".nii.gz")))


def _case(folder: Path, masks_dir: Path, image: Path | None) -> Case:
    if image is None:
        image = next((folder / n for n in CT_NAMES if (folder / n).is_file()), None)
    return Case(masks_dir, image, folder.name, structures=_masks_in(masks_dir))


def structure_cases(path: Path, images: str | os.PathLike[str] | None = None,
                    forced: bool = False) -> list[Case] | None:
    """The cases of a folder in one of the layouts above, None when `path` is in none of them."""
    if not path.is_dir():
        return None
    image = Path(images) if images is not None and Path(images).is_file() else None
    if forced or path.name == SEGMENTATIONS:
        if not _masks_in(path):
            raise FileNotFoundError(f"{path}: no NIfTI masks (.nii, .nii.gz) in this folder")
        if path.name == SEGMENTATIONS:  # named by the folder holding it, its CT beside it
            return [_case(path.parent, path, image)]
        return [Case(path, image, path.name, structures=_masks_in(path))]
    if (path / SEGMENTATIONS).is_dir():
        return [_case(path, path / SEGMENTATIONS, image)]
    subjects = sorted(p for p in path.iterdir() if p.is_dir() and (p / SEGMENTATIONS).is_dir())
    return [_case(p, p / SEGMENTATIONS, None) for p in subjects] or None


# ---- one case -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mask:
    number: int  # the file's place in the case, from 1 (the object's id)
    name: str  # the file's stem: "kidney_left"
    start: tuple[int, ...]  # the first voxel of its box, canonical axes
    voxels: np.ndarray  # bool, its box


def _span(data: np.ndarray, axis: int) -> tuple[int, int]:
    """(first, last + 1) index along `axis` of `data`'s non-zero voxels (`data` holds some)."""
    held = np.flatnonzero(data.any(axis=tuple(b for b in range(data.ndim) if b != axis)))
    return int(held[0]), int(held[-1]) + 1


def _binary_box(data: np.ndarray) -> tuple[tuple[int, ...], np.ndarray] | None:
    """A mask's voxels (canonical, 3 axes, as nibabel reads them) as (its box's first voxel, its
    voxels there, bool, C order); None for an empty mask. A mask is checked binary by its extremes,
    its box found axis by axis on what the previous axes left (the slowest axis in memory first),
    and only its box compared with 0: indexing each whole volume by its own `data != 0` (a copy
    in C order of a Fortran-order array) took 6.6 s of a 13 s profiled read of a case of 117 masks
    of 256x256x120 voxels."""
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise bad(f"expected a 3D mask, got an array of shape {data.shape}", "pixels")
    kind = data.dtype.kind
    if kind in "iu":  # binary, and empty or not, by its extremes
        high, low = int(data.max(initial=0)), int(data.min(initial=0)) if kind == "i" else 0
        binary, held = high <= 1 and low >= 0, high > 0
    else:  # (NaN is neither 0 nor 1)
        binary = kind == "b" or (kind == "f" and not np.any((data != 0) & (data != 1)))
        held = binary and bool(data.any())
    if not binary:
        top = data.max() if kind in "biuf" else data.dtype
        raise bad(f"not a binary mask (it holds values other than 0 and 1, up to {top}): a label map of "
                  "several structures is read as one, without structure_files", "pixels")
    if not held:
        return None
    box: list[slice] = [slice(None)] * 3
    for axis in sorted(range(3), key=lambda a: -abs(data.strides[a])):
        first, end = _span(data[tuple(box)], axis)
        box[axis] = slice(first, end)
    return tuple(b.start for b in box), np.ascontiguousarray(data[tuple(box)] != 0)


class _Header(NamedTuple):
    number: int  # the file's place in the case, from 1
    path: Path
    img: Any  # nibabel's image: its header read, its voxels not yet
    shape: tuple[int, ...]  # as stored, 3 axes
    affine: np.ndarray  # (4, 4)


def _describe(header: _Header) -> str:
    return f"shape {header.shape}, affine {np.round(header.affine, 3).tolist()}"


def _grid_fault(header: _Header, grid: list[_Header], masks: int) -> SceneValidationError:
    """A mask off the case's grid (`grid`: the masks sharing it, most of the case's `masks`),
    naming the field that differs: its shape, else its affine (how far, mm)."""
    first = grid[0]
    shared = f"the grid of {len(grid)} of the case's {masks} masks: the masks of one case must share one grid"
    if header.shape != first.shape:
        return bad(f"the mask's shape {header.shape} is not that of {first.path.name} (shape {first.shape}), "
                   f"{shared}", "shape")
    off = float(np.abs(header.affine - first.affine).max())
    return bad(f"the mask's affine {np.round(header.affine, 3).tolist()} is not that of {first.path.name} (affine "
               f"{np.round(first.affine, 3).tolist()}; up to {off:.3g} mm apart), {shared}", "affine")


def _case_grid(ctx: ReadContext, case: Case, nibabel: Any) -> list[_Header]:
    """The headers of the case's masks on its grid: the grid (shape and affine, within 1e-3) most
    of its readable masks share; a mask on another is a file reject naming the field that differs
    (`_grid_fault`), left out. No grid shared by more masks than any other (two masks, two
    grids): nothing says which is the CT's, so the case is rejected (the folder, naming a mask of
    each grid) and none is read."""
    headers: list[_Header] = []
    for number, path in enumerate(case.structures, 1):
        try:
            img = nibabel.load(str(path))
        except (OSError, ValueError, EOFError, zlib.error, nibabel.filebasedimages.ImageFileError) as exc:
            ctx.file_error(bad(f"cannot read the mask: {exc}"[:300]), str(path))
            continue
        headers.append(_Header(number, path, img, tuple(int(n) for n in img.shape[:3]),
                               np.asarray(img.affine, dtype=np.float64)))
    grids: list[list[_Header]] = []
    for header in headers:
        same = next((g for g in grids if header.shape == g[0].shape
                     and np.allclose(header.affine, g[0].affine, atol=1e-3)), None)
        if same is None:
            grids.append([header])
        else:
            same.append(header)
    if len(grids) <= 1:
        return headers
    grids.sort(key=len, reverse=True)  # (stable: among grids of as many masks, the first file's first)
    if len(grids[0]) == len(grids[1]):
        tied = [g for g in grids if len(g) == len(grids[0])]
        field = "shape" if len({g[0].shape for g in tied}) > 1 else "affine"
        each = "; ".join(f"{g[0].path.name} ({_describe(g[0])})" for g in tied)
        ctx.file_error(bad(f"the masks lie on {len(grids)} grids, none shared by more masks than another "
                           f"({len(grids[0])} each): {each}; the masks of one case must share one grid, and "
                           "which is the CT's is not guessed: none of the case is read", field), str(case.label))
        return []
    for other in grids[1:]:
        for header in other:
            ctx.file_error(_grid_fault(header, grids[0], len(headers)), str(header.path))
    return sorted(grids[0], key=lambda h: h.number)


def _load_masks(ctx: ReadContext, case: Case) -> tuple[list[_Mask], tuple[int, ...] | None, Grid | None, list[str]]:
    """The case's non-empty masks, cropped to their boxes, with the canonical shape and `Grid` of
    the masks read and the names of the masks read (empty ones too: annotated, absent); a mask
    that cannot be read or lies off the case's grid (`_case_grid`) is reported and left out, its
    structure not taken as annotated."""
    nibabel = _nibabel()
    masks: list[_Mask] = []
    shape: tuple[int, ...] | None = None
    voxels: Grid | None = None
    read: list[str] = []
    reader = VoxelReader()  # the masks' voxels, one file at a time, in one buffer (`_nifti_voxels`)
    for header in _case_grid(ctx, case, nibabel):
        path = header.path
        try:
            canonical = nibabel.as_closest_canonical(reader.read(header.img, path))  # (a view of its buffer)
            data = np.asanyarray(canonical.dataobj)
            held = _binary_box(data)
        except SceneValidationError as exc:
            ctx.file_error(exc, str(path))
            continue
        except (OSError, ValueError, EOFError, zlib.error, nibabel.filebasedimages.ImageFileError) as exc:
            ctx.file_error(bad(f"cannot read the mask: {exc}"[:300]), str(path))
            continue
        shape = data.shape[:3]
        voxels = nifti_grid(header.img, canonical)
        read.append(_stem(path))
        if held is None:
            ctx.report.count("empty_masks")
            continue
        masks.append(_Mask(header.number, _stem(path), *held))
    return masks, shape, voxels, read


def _slice_stack(here: list[_Mask], pieces: dict[int, VolumePieces], shape: tuple[int, ...], axis: int,
                 k: int) -> np.ndarray:
    """Slice k along `axis` of the masks `here` (each holding voxels there) as a radiologist reads
    it (`plane`: rows down from anterior / superior, columns from the patient's right): (rows,
    columns, masks), 1 in a mask, or for one split into pieces, its piece's number. Each mask's
    part is copied from its box into its place; Fortran order, so a mask's (rows, columns) is
    column-major and contiguous, as pycocotools encodes it (no copy per structure)."""
    across, down = (a for a in range(3) if a != axis)
    rows, cols = shape[down], shape[across]
    boxes = [(pieces[m.number].start, pieces[m.number].numbers) if m.number in pieces else (m.start, m.voxels)
             for m in here]
    out = np.zeros((rows, cols, len(here)), dtype=np.result_type(*(voxels.dtype for _, voxels in boxes)), order="F")
    for c, (start, voxels) in enumerate(boxes):
        local = voxels[(slice(None),) * axis + (k - start[axis],)]  # (across, down)
        (a0, d0), (a1, d1) = (start[across], start[down]), local.shape
        out[rows - d0 - d1:rows - d0, cols - a0 - a1:cols - a0, c] = local.T[::-1, ::-1]  # `plane`'s turn
    return out


def structure_file_scenes(ctx: ReadContext, opts: Options, case: Case, axis: int, step: int,
                          slice_images: Path | None, tilt: str = CORRECT) -> Iterator[Scene]:
    """The slice scenes of one case of mask files (module notes)."""
    masks, shape, grid, read = _load_masks(ctx, case)
    if shape is None or grid is None:
        return  # every mask was reported
    volume: np.ndarray | None = None
    facts: VolumeFacts = NO_FACTS
    if case.image is not None and slice_images is not None:
        volume, usable, facts = image_volume(ctx, case.image, shape, "the masks", labels=grid)
        if not usable:
            return
    window = volume_window(ctx.report, opts.window, volume, facts)
    modality = volume_modality(volume, facts)
    # (the window and modality above are the stored image's, whose values resampling does not add to)
    how = tilt_plan(ctx, case.label, grid, shape, axis, tilt)  # a sheared affine: as a label map file's
    if how.shear is not None:
        untilt = how.shear.tilt
        masks = [replace(m, start=at, voxels=voxels) for m in masks
                 for at, voxels in [untilted_box(untilt, shape, m.start, m.voxels)]]
        if volume is not None:
            volume = untilt.resample(volume, False, float(volume.min()))
        shape = untilt.grid(shape)[1]
    # lesions: each mask split into its 3D pieces, numbered in the volume (`_structures`)
    pieces: dict[int, VolumePieces] = {m.number: volume_pieces(m.voxels, m.start) for m in masks
                                       if splits(ctx, opts, m.name)}
    # the slices each mask has voxels in (a mask of two pieces, slices 1-2 and 6-7, is in none of
    # 3-5: there it is absent, not a piece under min_pixels)
    spans = [set((np.flatnonzero(m.voxels.any(axis=tuple(b for b in range(3) if b != axis))) + m.start[axis]).tolist())
             for m in masks]
    empty = small = 0
    for k in range(0, shape[axis], step):
        here = [m for m, span in zip(masks, spans) if k in span]
        if not here:
            empty += 1
            continue
        meta: dict[str, Any] = {"label_map": str(case.label),
                                **slice_meta(axis, k, how.voxel_mm,
                                             grid.stored_slice(axis, k, shape[axis]) if how.stored else None),
                                **how.meta}
        if case.image is not None:
            meta["image_volume"] = str(case.image)
        meta.update(modality)
        # (rows, columns, structures): 1 in a mask, or for one split into pieces, its piece's number
        cut = _slice_stack(here, pieces, shape, axis, k)
        picture = plane(volume, axis, k, True) if volume is not None and slice_images is not None else None
        if opts.square:
            cut, picture = squared_slice(meta, cut, picture)
        if np.count_nonzero(cut, axis=(0, 1)).max() < opts.min_pixels:
            small += 1  # the last slivers of structures: skipped and counted, as an empty slice is
            continue
        image_id = f"{case.name}_{'xyz'[axis]}{k:04d}"
        image = slice_png(picture, slice_images, image_id, window, meta)
        structures = (Structure(m.number, m.name, np.asfortranarray(cut[..., c] != 0),
                                np.asfortranarray(cut[..., c]) if m.number in pieces else None,
                                pieces[m.number].count if m.number in pieces else 0) for c, m in enumerate(here))
        scene = ctx.scene(f"{case.label.name}[{'xyz'[axis]}={k}]",
                          partial(structure_scene, ctx, opts, structures, cut.shape[:2], image_id, image, meta,
                                  read))
        if scene is not None:
            if image is None:
                ctx.report.count("scenes_without_image")
            yield scene
    count_skipped(ctx.report, empty, small)
