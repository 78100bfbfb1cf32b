"""Medical segmentation label maps: one structure per label value, read into scene graphs of anatomy.

    veriscene convert labelsTr/ --from label_map -r labels=dataset.json -r images=imagesTr/ \\
        -r slice_images=slices/ --out scenes.jsonl

Inputs (`path`):
- a label map: a 2D image whose pixel values are labels (PNG, TIFF, BMP; greyscale, 16-bit or
  palette, never RGB), a NumPy array (`.npy`, 2D or 3D, read with ``allow_pickle=False``), or a
  NIfTI volume (`.nii`, `.nii.gz`; needs nibabel: ``pip install veriscene[medical]``);
- a folder of them (sorted by name);
- a Medical Segmentation Decathlon / nnU-Net folder: its `dataset.json` names the labels
  (``{"labels": {"0": "background", "1": "liver"}}``, or nnU-Net v2's ``{"liver": 1}``) and, in
  ``"training"``, the image and label file of each case.

Label names (`labels`): a JSON file as above, a CSV/TSV (``value,name`` rows, or columns found by
their header: 3D Slicer CSV colour tables, BIDS ``dseg.tsv``), an ITK-SNAP label description
(``value R G B A visible mesh "name"``), a 3D Slicer colour table (``.ctbl``) or a FreeSurfer LUT
(``value name R G B A``): `label_tables`; by default a `dataset.json`, `labels.json`, `labels.csv`,
`labels.tsv`, `labels.txt` or `labels.ctbl` beside the input. Value 0 is background. A value with no name is read
as "label <value>" (counted as ``labels_without_name``). Names are normalised as every reader's:
"kidney_left" becomes "left kidney".

Each 2D map is one scene; a 3D volume gives one scene per slice along `axis` (default 2, the axial
axis of a NIfTI volume), every `step`-th slice, slices holding no label skipped (counted). NIfTI
volumes are turned to the closest canonical (RAS+) orientation and each slice is shown as a
radiologist reads it: the patient's right on the image's left, anterior (axial) or superior
(coronal, sagittal) at the top, and ``meta["orientation"]`` says so: **directions in questions
("leftmost", "to the left of") are the image's**, and a question about left and right says it
(`veriscene.generators.runner.IMAGE_SIDES_NOTE`). ``meta["plane"]`` names the slice's plane (a
sagittal slice's left is the patient's front, an axial slice's top too: the notes follow it) and
``meta["pixel_size_mm"]`` its pixel's width and height (`_label_map_files.slice_meta`); a slice of
pixels that are not square (coronal, of 5 mm CT slices) is resampled to square ones unless
``square_pixels=False`` (`_label_map_files.squared_slice`). NumPy volumes are sliced as stored; pass
``orientation="radiological"`` for those, or 2D maps (chest radiographs), shown that way.
A NIfTI of sheared affine (a CT series of tilted gantry converted without tilt correction: its
slice axis leaning off its images' normal, `_label_map_files.affine_shear`), a label map file or a
folder of one mask file per structure alike (`_nifti_tilt`), has its slices across the images
(coronal, sagittal of an axial series) resampled unsheared as a tilted DICOM series' are
(``tilt="correct"``, the default: ``meta["tilt_corrected_degrees"]``, counted as
``tilted_series_corrected``; `_dicom_tilt`), or read sheared as stored (``tilt="keep"``:
``meta["tilt_kept_degrees"]``, ``tilted_series_kept``). A shear that is no such tilt (the images'
own axes skewed, a lean past 30 degrees) is kept sheared, warned of per file (or folder) and
counted (``sheared_affines_not_corrected``, ``meta["tilt_kept_degrees"]``). Slices in the images'
own plane, and volumes of square affines (oblique or not), are read as they are.

Objects: one object per label value present in the scene (its mask may have several pieces: a
liver cut in two by the slice is one liver), except for structures whose instances are counted:
`components` (default ``auto``: those named as lesions, `_structures.is_lesion`; ``none``,
``all``, or a comma-separated list of names, which may hold ``auto``) splits them into their
pieces, one object each ("How many liver tumours?"): in a volume its 26-connected 3D pieces
(`_structures.volume_pieces`), so a lesion has one id on every slice ("5.2", or "5" where the
volume holds one) and a lesion a slice cuts in two is one object of two parts there; on a 2D map
its 8-connected pieces. A listed name no structure has is refused before reading where the
label table (or the mask files) name none of the list, else warned of once all is read
(`_structures.check_components`, `warn_unmatched`). A piece's (or structure's) pixels on the slice under `min_pixels` are
dropped (counted). Each object has its mask (COCO RLE) and tight box. ``meta["single"]`` lists the
names the slice holds at most one object of by construction (a structure not split, that no other
label value shares: the liver, the spleen, absent or present); counting questions leave them out
("How many livers?" would ask presence), lesions split into pieces stay counted
(`_structures.structure_scene`).

Relations, computed from the masks for every pair, so complete: ``touching`` (the masks meet:
one pixel apart, 8-connected; both directions) and ``surrounded by`` (every pixel of A lies
within B's outline in the slice, holes of B filled: a tumour in the liver, not one on its edge).

Images (`images`): for a 2D map, the image of the same file name (or stem) in that folder; for an
MSD folder, each case's image. 3D volumes have no image file per slice: with `slice_images` (a
folder) each slice of the image volume is written there as an 8-bit PNG (the first channel of a
multi-channel volume) and becomes the scene's image; without it a slice scene has no image (its
`meta` names the volume and slice). `window` says how intensities become grey levels (`_windows`):
by default between the slice's 0.5th and 99.5th percentiles, a CT window ("soft_tissue", "lung",
"bone", "brain", "WIDTH,LEVEL" in HU) for CT volumes, or "stored" (a NIfTI's cal_min / cal_max);
``meta["window"]`` says which, ``meta["modality"]`` and ``meta["modality_from"]`` what the volume
is taken for and why (a dataset.json's modality, the NIfTI header's words, or its values).
Reading needs scipy (connected pieces, filled outlines): ``pip install veriscene[medical]``.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from veriscene.errors import ReaderOptionError, SceneValidationError
from veriscene.io.readers._base import ReadContext, bad
from veriscene.io.readers._dicom_tilt import CORRECT, parse_tilt
from veriscene.io.readers._images import read_header, upright_array
# the files and their arrays, and the scenes of structures, in modules of their own (re-exported:
# the DICOM readers and `detect` import them from here)
from veriscene.io.readers._label_map_files import (
    IMAGE_SUFFIXES, LABEL_MAP_SUFFIXES, VOLUME_SUFFIXES, Case, Grid, _stem, _suffix, _write_slice, count_skipped,
    find_cases, image_volume, is_label_map, load_array, plane, slice_meta, slice_png, squared_slice,
)
from veriscene.io.readers._nifti_tilt import tilt_plan
from veriscene.io.readers._structure_files import structure_file_scenes
from veriscene.io.readers._structures import (
    SURROUNDED, TOUCHING, Options, Split, Structure, VolumePieces, _count_option, _scipy, check_components,
    split_names, splits, structure_scene, volume_pieces, warn_unmatched,
)
from veriscene.io.readers._windows import NO_FACTS, VolumeFacts, parse_window, volume_modality, volume_window
from veriscene.io.readers.label_tables import nifti_header_table, read_label_table, structure_name
from veriscene.scene.model import RADIOLOGICAL, Scene

__all__ = [
    "IMAGE_SUFFIXES", "LABEL_MAP_SUFFIXES", "SURROUNDED", "TOUCHING", "VOLUME_SUFFIXES", "Case", "Options",
    "_count_option", "_scipy", "_write_slice", "find_cases", "is_label_map", "load_array", "plane",
    "read_label_map", "split_names", "structure_scene",
]


# ---- one scene -----------------------------------------------------------------------------


def _scene(ctx: ReadContext, opts: Options, labels: np.ndarray, image_id: str, image: str | None,
           meta: dict[str, Any], numbers: np.ndarray | None = None, in_volume: dict[int, int] | None = None) -> Scene:
    """The scene of a 2D map or a volume's slice; `numbers`, the slice's pixels' pieces of the
    volume (0 outside) for the label values of `in_volume` (value -> pieces in the volume)."""
    labels = np.asfortranarray(labels)  # masks cut from it are column-major, as pycocotools encodes them
    if numbers is not None:
        numbers = np.asfortranarray(numbers)
    in_volume = in_volume or {}

    def structures() -> Iterator[Structure]:
        for value in np.unique(labels).tolist():
            if value == 0:
                continue
            raw = opts.table.get(value)
            if raw is None:
                raw = f"label {value}"
                ctx.repair("labels_without_name")
            mask = labels == value
            if numbers is not None and value in in_volume:
                yield Structure(value, raw, mask, np.where(mask, numbers, 0), in_volume[value])
            else:
                yield Structure(value, raw, mask)

    return structure_scene(ctx, opts, structures(), labels.shape, image_id, image, meta, opts.table.values())


def _label_pieces(ctx: ReadContext, opts: Options, labels: np.ndarray) -> dict[int, VolumePieces]:
    """The 3D pieces (`volume_pieces`) of each label value of a volume split into them (`splits`)."""
    from scipy import ndimage

    if opts.split == Split():
        return {}
    top = int(labels.max())
    if top < 2**16:  # every value's box in one pass (a list as long as the largest value)
        found = ndimage.find_objects(labels, max_label=top)
        boxes = {k + 1: box for k, box in enumerate(found) if box is not None}
    else:
        boxes = {v: (slice(None),) * 3 for v in np.unique(labels).tolist() if v != 0}
    return {value: volume_pieces(labels[box] == value, tuple(b.start or 0 for b in box))
            for value, box in boxes.items() if splits(ctx, opts, opts.table.get(value) or f"label {value}")}


def _fit_to_image(ctx: ReadContext, case: Case, labels: np.ndarray) -> np.ndarray:
    """A 2D map as the pixels of its image shown upright (`_images`; the image's header is read,
    not its pixels): masks and boxes are in the map's pixels, so the two must be the same size.
    A map the size of a photo as stored sideways (EXIF orientation 5 to 8; not the size shown)
    was made on the stored pixels and is turned as the photo is (counted as
    ``label_maps_turned_upright``); a map of a square photo, or of one stored mirrored or upside
    down, cannot tell and is taken as made on the upright photo. Any other size raises, naming
    both files."""
    if case.image is None or _suffix(case.image) not in (*IMAGE_SUFFIXES, ".jpg", ".jpeg"):
        return labels
    header = read_header(case.image)
    height, width = labels.shape
    if header is None or header.size == (width, height):
        return labels
    if header.stored == (width, height):
        ctx.repair("label_maps_turned_upright")
        return np.ascontiguousarray(upright_array(labels, header.orientation))
    shown = f" as shown (EXIF orientation {header.orientation} applied)" if header.orientation != 1 else ""
    raise bad(f"the image {case.image} is {header.size[0]}x{header.size[1]}{shown} but the label map {case.label} "
              f"is {width}x{height} (width x height): a map must be the size of the image it annotates",
              "image").located(str(case.label))


class _Untilted(NamedTuple):
    """A NIfTI volume's labels and image for slices along one axis (`_untilted`)."""

    labels: np.ndarray
    volume: np.ndarray | None
    voxel_mm: tuple[float, ...] | None
    meta: dict[str, float]  # what its slices' meta says of its shear
    stored: bool  # its slices are the file's (`Grid.stored_slice`): not resampled


def _untilted(ctx: ReadContext, case: Case, grid: Grid | None, axis: int, mode: str, labels: np.ndarray,
              volume: np.ndarray | None) -> _Untilted:
    """`labels` (and its image `volume`) for slices along `axis`. A NIfTI of sheared affine
    (`_label_map_files.affine_shear`: a tilted series converted uncorrected) has its slices across
    its images resampled onto the square grid of their true normal as a DICOM series' are
    (`_dicom_tilt`; `mode` "correct": counted as ``tilted_series_corrected``, ``meta
    ["tilt_corrected_degrees"]``, its voxel along the normal the true step), or kept sheared ("keep":
    ``tilted_series_kept``, ``meta["tilt_kept_degrees"]``). A shear no tilt correction undoes is
    kept, counted as ``sheared_affines_not_corrected`` and warned of per file (`_nifti_tilt.tilt_plan`,
    as for a folder of mask files). Slices along the images, and volumes of square affines, are
    read as they are."""
    how = tilt_plan(ctx, case.label, grid, labels.shape, axis, mode)
    if how.shear is None:
        return _Untilted(labels, volume, how.voxel_mm, how.meta, True)
    tilt = how.shear.tilt
    return _Untilted(tilt.resample(labels, nearest=True),
                     tilt.resample(volume, False, float(volume.min())) if volume is not None else None,
                     how.voxel_mm, how.meta, False)


def _case_scenes(ctx: ReadContext, opts: Options, case: Case, axis: int, step: int,
                 slice_images: Path | None, orientation: str | None, tilt: str = CORRECT) -> Iterator[Scene]:
    if case.fault is not None:
        ctx.reject(case.name, bad(case.fault, "training"), "file")
        return
    if case.structures:
        yield from structure_file_scenes(ctx, opts, case, axis, step, slice_images, tilt)
        return
    try:
        labels, nifti, grid = load_array(case.label, labels=True)
    except (SceneValidationError, OSError, ValueError, EOFError, zlib.error) as exc:
        error = exc if isinstance(exc, SceneValidationError) else bad(f"cannot read the label map: {exc}"[:300])
        ctx.file_error(error, str(case.label))
        return
    if grid is not None and not opts.table:  # a multi-label NIfTI may name its labels in its header
        try:
            named = nifti_header_table(grid.header, str(case.label))
        except ValueError as exc:
            ctx.file_error(bad(str(exc)[:300], "labels"), str(case.label))
            return
        if named:
            opts = replace(opts, table=named)
            ctx.report.count("label_tables_from_nifti_headers")
    if labels.ndim == 2:
        image = str(case.image) if case.image is not None else None
        if case.image is not None and not case.image.is_file():  # named by a dataset.json, not there
            ctx.report.count("images_not_found")
            image, case = None, Case(case.label, None, case.name)
        meta: dict[str, Any] = {"label_map": str(case.label)}
        if orientation == RADIOLOGICAL:
            meta["orientation"] = RADIOLOGICAL

        def build() -> Scene:
            return _scene(ctx, opts, _fit_to_image(ctx, case, labels), case.name, image, meta)

        scene = ctx.scene(case.label.name, build)
        if scene is not None:
            if image is None:
                ctx.report.count("scenes_without_image")
            yield scene
        return
    axis %= 3
    if labels.dtype == bool:
        labels = labels.view(np.uint8)  # (a volume of one label, as 0 and 1)
    volume: np.ndarray | None = None
    facts: VolumeFacts = NO_FACTS
    if case.image is not None and slice_images is not None:
        volume, usable, facts = image_volume(ctx, case.image, labels.shape, "the label map", case.channel, grid)
        if not usable:
            return
    elif case.image is not None:  # named in meta["image_volume"]; its slices become images only with slice_images
        ctx.report.count("image_volumes_not_sliced")
    window = volume_window(ctx.report, opts.window, volume, facts)
    modality = volume_modality(volume, facts)
    # (the window and modality above are the stored image's, whose values resampling does not add to)
    untilted = _untilted(ctx, case, grid, axis, tilt, labels, volume)
    labels, volume = untilted.labels, untilted.volume
    pieces = _label_pieces(ctx, opts, labels)
    in_volume = {value: p.count for value, p in pieces.items()}
    present = set(np.flatnonzero(np.any(labels != 0, axis=tuple(a for a in range(3) if a != axis))).tolist())
    empty = small = 0
    for k in range(0, labels.shape[axis], step):
        if k not in present:
            empty += 1
            continue
        meta = {"label_map": str(case.label), "axis": axis, "slice": k}
        if nifti:  # canonical: its plane is known
            assert grid is not None
            meta.update(slice_meta(axis, k, untilted.voxel_mm,
                                   grid.stored_slice(axis, k, labels.shape[axis]) if untilted.stored else None))
            meta.update(untilted.meta)
        elif orientation == RADIOLOGICAL:
            meta["orientation"] = RADIOLOGICAL
        if case.image is not None:
            meta["image_volume"] = str(case.image)
        meta.update(modality)
        cut = plane(labels, axis, k, nifti)
        numbers = None
        if pieces:  # each pixel's lesion, numbered in the volume: kept beside its label through squaring
            cuts = [p.cut(labels.shape, axis, k, nifti) for p in pieces.values()]
            numbers = sum(cuts[1:], start=cuts[0])
            cut = np.stack([cut, numbers.astype(cut.dtype, copy=False)] if numbers.max(initial=0) <= np.iinfo(cut.dtype).max
                           else [cut.astype(np.int64), numbers.astype(np.int64)], axis=-1)
        picture = plane(volume, axis, k, nifti) if volume is not None and slice_images is not None else None
        if opts.square:
            cut, picture = squared_slice(meta, cut, picture)
        if numbers is not None:
            cut, numbers = cut[..., 0], cut[..., 1]
        if np.unique(cut[cut != 0], return_counts=True)[1].max() < opts.min_pixels:
            small += 1  # an organ's last sliver: skipped and counted, as an empty slice is
            continue
        image_id = f"{case.name}_{'xyz'[axis]}{k:04d}"
        image = slice_png(picture, slice_images, image_id, window, meta)
        scene = ctx.scene(f"{case.label.name}[{'xyz'[axis]}={k}]",
                          partial(_scene, ctx, opts, cut, image_id, image, meta, numbers, in_volume))
        if scene is not None:
            if image is None:
                ctx.report.count("scenes_without_image")
            yield scene
    count_skipped(ctx.report, empty, small)


def read_label_map(
    path: str | os.PathLike[str],
    *,
    labels: str | os.PathLike[str] | None = None,
    images: str | os.PathLike[str] | None = None,
    components: str | bool | None = "auto",
    min_pixels: int | str = 10,
    axis: int | str = 2,
    step: int | str = 1,
    slice_images: str | os.PathLike[str] | None = None,
    orientation: str | None = None,
    structure_files: bool = False,
    square_pixels: bool = True,
    window: str | None = None,
    tilt: str = CORRECT,
    **options: Any,
) -> Iterator[Scene]:
    """Stream scenes from medical label maps (module notes): 2D maps, 3D volumes sliced along
    `axis` every `step` slices, or an MSD folder. `labels` names the label values, `images` is
    the folder of the images, `components` the names counted by connected pieces ("auto", default:
    lesions; "none", "all"), `slice_images` the folder slices of image volumes are written to, `orientation`
    "radiological" for 2D maps or NumPy volumes shown the patient's right on the left (NIfTI
    slices always are), `structure_files` to read the folder `path` as one case of one binary
    mask per structure (TotalSegmentator's `segmentations/` folders are found without it),
    `square_pixels` false to keep a slice of pixels that are not square (coronal slices of thick CT
    slices) on its voxel grid instead of resampling it to square pixels, `window` how slices of
    the image volume become PNGs: "percentile" (default), a CT window ("soft_tissue", "lung",
    "bone", "brain"), "WIDTH,LEVEL" in HU or "stored" (the files' own) (`_windows`), `tilt`
    "correct" (default) or "keep" the slices across the images of a NIfTI of sheared affine (a
    tilted series converted uncorrected: `_untilted`)."""
    min_pixels, step = _count_option("min_pixels", min_pixels), _count_option("step", step)
    axis = _count_option("axis", axis, low=-3, high=2)
    if orientation not in (None, RADIOLOGICAL):
        raise ReaderOptionError(f"orientation must be {RADIOLOGICAL!r} (or not given), got {orientation!r}",
                                option="orientation", value=orientation)
    window_used = parse_window(window)
    tilt = parse_tilt(tilt)
    _scipy()
    cases, found_table = find_cases(path, images, structure_files)
    table_path = Path(labels) if labels is not None else found_table
    if labels is not None and not Path(labels).is_file():  # named as `images` is ("[Errno 2] ..." before)
        raise FileNotFoundError(f"labels: {labels}: no such file (a label table: JSON, CSV, TSV, ITK-SNAP, "
                                "3D Slicer or FreeSurfer)")
    table = read_label_table(table_path) if table_path is not None else {}
    ctx = ReadContext(path, "label_map", **options)
    opts = Options(table, split_names(ctx, components), min_pixels, square_pixels, window_used)
    # the structures' names known before reading (a label table's, the mask files'): components checked
    known = [*table.values(), *(_stem(mask) for case in cases for mask in case.structures)]
    check_components(opts.split, (ctx.normalizer.name(structure_name(raw)) for raw in known),
                     f"the label table {table_path}" if table else f"the mask files under {path}", components)
    out_dir = Path(slice_images) if slice_images is not None else None
    for case in cases:
        ctx.source = str(case.label)
        yield from _case_scenes(ctx, opts, case, axis, step, out_dir, orientation, tilt)
    warn_unmatched(opts.split, str(path))
