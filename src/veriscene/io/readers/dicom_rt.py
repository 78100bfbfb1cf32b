"""DICOM RT Structure Sets (RTSTRUCT): contoured regions of interest of a CT or MR series read
into scene graphs of anatomy, as DICOM SEG objects are (`dicom_seg`).

    veriscene convert plan/ --from dicom_rt -r slice_images=slices/ --out scenes.jsonl

An RT Structure Set, what radiotherapy planning systems export, draws each region of interest
(ROI: organs at risk, target volumes, the body outline) as closed polygons in patient
coordinates (mm), one or more per image plane. It has no pixels of its own: the polygons are
filled on the pixel grid of the image series they were drawn on, which must be given (`images`,
default: the folder holding the RTSTRUCT file, searched recursively for images of its frame of
reference). A pixel belongs to a region when its centre lies inside the polygons of its plane by
the even-odd rule, so a contour drawn inside another of the same ROI cuts a hole (a centre exactly
on an outline counts on its left and top edges only). Contours that are
not closed planar polygons (points, open lines) are skipped and counted.

The filled volume then goes the way of a SEG's: turned to the canonical orientation, one scene per
slice holding a region along `axis`, shown radiologically (``meta["orientation"]``), one object
per ROI present (named by its ROI name, normalised: "Kidney_Left" is "left kidney"), relations
``touching`` and ``surrounded by`` from the pixels; `components`, `min_pixels`, `step` and
`slice_images` as for `dicom_seg`. Needs pydicom, highdicom (the series as a volume), nibabel and
scipy: ``pip install veriscene[dicom]``.
"""

from __future__ import annotations

import importlib.util
import math
import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from veriscene.io.readers._base import ReadContext, bad
from veriscene.io.readers._label_map_files import canonical_voxel_mm
from veriscene.io.readers._dicom_files import (
    _RAS_OF_LPS,
    DicomScan,
    _canonical,
    _header,
    _highdicom,
    _series_volume,
    may_be_dicom,
    read_dataset,
    referenced_series,
    require_dicom,
)
from veriscene.io.readers.dicom_seg import _Case, case_scenes
from veriscene.io.readers._windows import STORED, parse_window
from veriscene.io.readers._structures import warn_unmatched
from veriscene.io.readers.label_map import Options, _count_option, _scipy, split_names
from veriscene.scene.model import Scene

RTSTRUCT_STORAGE = "1.2.840.10008.5.1.4.1.1.481.3"


def is_dicom_rt(path: Path) -> bool:
    """Whether `path` is a DICOM RT Structure Set file (its header is read)."""
    if not path.is_file() or not may_be_dicom(path) or importlib.util.find_spec("pydicom") is None:
        return False
    header = _header(path)
    return header is not None and str(header.get("SOPClassUID", "")) == RTSTRUCT_STORAGE


def fill_polygons(polygons: list[np.ndarray], rows: int, cols: int) -> np.ndarray:
    """(rows, cols) bool: pixels whose centre (row r, column c at integer coordinates) lies inside
    the (N, 2) polygons of (column, row) vertices by the even-odd rule (holes cut by inner ones).
    A centre exactly on an outline is inside on its left and top edges, outside on its right and
    bottom ones (half-open), so polygons sharing an edge share no pixel."""
    out = np.zeros((rows, cols), dtype=bool)
    starts, ends = [], []
    for poly in polygons:
        if len(poly) >= 3:
            starts.append(poly)
            ends.append(np.roll(poly, -1, axis=0))
    if not starts:
        return out
    a, b = np.concatenate(starts), np.concatenate(ends)  # every edge, from a to b
    x0, y0, x1, y1 = a[:, 0], a[:, 1], b[:, 0], b[:, 1]
    top, bottom = max(0, math.ceil(min(y0.min(), y1.min()))), min(rows - 1, math.floor(max(y0.max(), y1.max())))
    centres = np.arange(cols, dtype=np.float64)
    for r in range(top, bottom + 1):
        crossing = (y0 <= r) != (y1 <= r)  # edges a horizontal line through the row's centres crosses
        if not crossing.any():
            continue
        xs = np.sort(x0[crossing] + (r - y0[crossing]) * (x1[crossing] - x0[crossing]) / (y1[crossing] - y0[crossing]))
        # even-odd: a centre is inside when an odd number of crossings lie to its left
        out[r] = (np.searchsorted(xs, centres, side="right") % 2) == 1
    return out


def _roi_names(rt: Any) -> dict[int, str]:
    return {int(item.ROINumber): str(item.get("ROIName", "") or f"roi {item.ROINumber}")
            for item in rt.get("StructureSetROISequence") or []}


def _frame_of_reference(rt: Any) -> str:
    for item in rt.get("StructureSetROISequence") or []:
        if item.get("ReferencedFrameOfReferenceUID"):
            return str(item.ReferencedFrameOfReferenceUID)
    for item in rt.get("ReferencedFrameOfReferenceSequence") or []:
        if item.get("FrameOfReferenceUID"):
            return str(item.FrameOfReferenceUID)
    raise bad("the structure set names no frame of reference", "ReferencedFrameOfReferenceUID")


def _image_shifts(series: Any, positions: np.ndarray | None) -> dict[int, np.ndarray]:
    """Slice -> (0, row, column) of its image's first pixel on the volume's grid, where it is not
    (0, 0): highdicom stacks a series as a volume whose slices lie along the planes' normal, but a
    tilted series (an oblique MR, a slight gantry tilt) may step its images' positions along z, each
    image shifted in its plane from the last (nibabel's nicom 0.dcm and 1.dcm: 0.0087 pixels; a CT
    tilted by 1 degree, 7.8 pixels across 100 slices). The images' pixels are kept as they are, so a
    contour is placed on its slice's own image by taking that shift off."""
    if positions is None:
        return {}
    corners = series.map_reference_to_indices(positions)  # (images, 3): slice, row, column
    return {int(round(float(c[0]))): np.array([0.0, c[1], c[2]]) for c in corners
            if abs(c[1]) > 1e-9 or abs(c[2]) > 1e-9}


def _read_case(scan: DicomScan, path: Path, images: Path, stored: bool = False) -> _Case:
    rt = read_dataset(path)
    names = _roi_names(rt)
    found = _series_volume(scan, images, _frame_of_reference(rt), referenced_series(rt), stored)
    series = found.volume
    slices, rows, cols = series.spatial_shape
    contoured = [item for item in rt.get("ROIContourSequence") or [] if item.get("ContourSequence")]
    if not contoured:
        raise bad("the structure set has no contour", "ROIContourSequence")
    masks = np.zeros((slices, rows, cols, len(contoured)), dtype=bool)
    shifts = _image_shifts(series, found.positions)
    numbers, raw_names = [], {}
    skipped = outside = 0
    for channel, item in enumerate(contoured):
        number = int(item.ReferencedROINumber)
        numbers.append(number)
        raw_names[channel] = names.get(number, f"roi {number}")
        by_slice: dict[int, list[np.ndarray]] = {}
        for contour in item.ContourSequence:
            points = np.asarray(contour.get("ContourData") or [], dtype=np.float64).reshape(-1, 3)
            if str(contour.get("ContourGeometricType", "")).upper() != "CLOSED_PLANAR" or len(points) < 3:
                skipped += 1
                continue
            # (slice, row, column), fractional, on the pixel grid of slice k's own image (`_image_shifts`);
            # rounded so that a vertex on a pixel centre stays on it after the trip through patient
            # coordinates (the half-open rule decides edge pixels)
            index = series.map_reference_to_indices(points)
            k = int(round(float(np.median(index[:, 0]))))
            if not 0 <= k < slices or np.ptp(index[:, 0]) > 0.5:
                outside += 1  # off the series, or not in one of its planes
                continue
            index = np.round(index - shifts.get(k, 0.0), 6)
            by_slice.setdefault(k, []).append(index[:, [2, 1]])  # (column, row) vertices
        for k, polygons in by_slice.items():
            masks[k, :, :, channel] = fill_polygons(polygons, rows, cols)
    scan.ctx.report.count("contours_not_closed_planar", skipped)
    scan.ctx.report.count("contours_off_the_series", outside)
    image = _canonical(np.asarray(series.array), series.affine)
    return _Case(_canonical(masks, series.affine), raw_names, numbers, image, images,
                 canonical_voxel_mm(_RAS_OF_LPS @ np.asarray(series.affine, dtype=np.float64)), found.facts,
                 found.stored)


def find_structure_sets(path: Path, scan: DicomScan) -> list[Path]:
    """RTSTRUCT files: `path`, or those under the folder `path` (sorted); other DICOM files under
    it are counted as ``dicom_files_not_rtstruct``, files that are not DICOM reported (`DicomScan`)."""
    if path.is_file():
        require_dicom(path, "dicom_rt", "DICOM RT Structure Set (RTSTRUCT)", RTSTRUCT_STORAGE)
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"{path} does not exist")
    found = [p for p, header in scan.headers(path) if str(header.get("SOPClassUID", "")) == RTSTRUCT_STORAGE]
    scan.ctx.report.count("dicom_files_not_rtstruct", len(scan.headers(path)) - len(found))
    if not found:
        raise FileNotFoundError(f"{path}: no DICOM RT Structure Set (RTSTRUCT) file found")
    return found


def read_dicom_rt(
    path: str | os.PathLike[str],
    *,
    images: str | os.PathLike[str] | None = None,
    components: str | bool | None = "auto",
    min_pixels: int | str = 10,
    axis: int | str = 2,
    step: int | str = 1,
    slice_images: str | os.PathLike[str] | None = None,
    square_pixels: bool = True,
    window: str | None = None,
    **options: Any,
) -> Iterator[Scene]:
    """Stream scenes from DICOM RT Structure Sets (module notes): one per slice holding a region.
    `images` is the folder of the series the contours were drawn on (default: the RTSTRUCT's
    folder), `components` the names counted by connected pieces ("auto", default: lesions; "none",
    "all"), `slice_images` the folder the series' slices are written to as PNG, `square_pixels`
    and `window` as `read_label_map`'s."""
    min_pixels, step = _count_option("min_pixels", min_pixels), _count_option("step", step)
    axis = _count_option("axis", axis, low=-3, high=2) % 3
    window_used = parse_window(window)
    _scipy()
    _highdicom()
    ctx = ReadContext(path, "dicom_rt", **options)
    opts = Options({}, split_names(ctx, components), min_pixels, square_pixels, window_used)
    root = Path(path)
    image_dir = Path(images) if images is not None else (root if root.is_dir() else root.parent)
    if not image_dir.is_dir():
        raise FileNotFoundError(f"images: {image_dir} is not a folder")
    out_dir = Path(slice_images) if slice_images is not None else None
    scan = DicomScan(ctx)
    for rt_path in find_structure_sets(root, scan):
        ctx.source = str(rt_path)
        load = partial(_read_case, scan, rt_path, image_dir, window_used == STORED and out_dir is not None)
        yield from case_scenes(ctx, opts, rt_path, load, "RTSTRUCT", axis, step, out_dir)
    warn_unmatched(opts.split, str(path))
