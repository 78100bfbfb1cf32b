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
not closed planar polygons (points, open lines) are skipped and counted. A closed planar contour
of fewer than three points (it outlines nothing), or off the image series (beyond its slices, or
not in one of its planes), is left out and its ROI read: a reject of level "mask" naming the ROI,
the contour's index and the field, which a strict run reports and goes past. A contour whose
ContourData is malformed (not x, y, z triples, not numbers, not finite, fewer points than its
NumberOfContourPoints) is a reject naming its ROI (number and name), the contour's index and the
field, and its ROI is left out: a contour left out may be a hole or a piece of the region, whose
mask would then be wrong on a plane that cannot be told. The other ROIs are read.

What each ROI is, the structure set's RTROIObservationsSequence says (RTROIInterpretedType). By
default (``rois="anatomy"``) the scenes hold anatomy: organs (ORGAN, organs at risk), anatomical
cavities (CAVITY), target volumes (GTV, CTV, ITV, PTV: what a radiotherapy model is asked about;
their objects are listed in ``meta["rt_targets"]``) and ROIs of no type or of a type DICOM does not
define. Left out and counted are the body outline (EXTERNAL, often "BODY" or "External": an object
beside the organs it holds) as ``rt_rois_left_out_body_outline``, and planning structures, which
are no anatomy seen on the image, as ``rt_rois_left_out_<type>``: regions drawn to shape the dose
(AVOIDANCE: organ-at-risk margins, rings, sparing shells; CONTROL, DOSE_REGION, TREATED_VOLUME,
IRRAD_VOLUME, DOSE_MEASUREMENT), things on or in the patient (SUPPORT, the couch; FIXATION, BOLUS,
MARKER, CONTRAST_AGENT, BRACHY_*) and points (ISOCENTER, REGISTRATION); so are ROIs named as
planning helpers (`planning_name`: "z_ring", "_PTV", "PTV_opt"), as
``rt_rois_left_out_planning_name``. ``rois="all"`` keeps every ROI; ``rois`` may also list the
types to keep ("anatomy,AVOIDANCE", "GTV,CTV,PTV"). A structure set without
RTROIObservationsSequence has every ROI read, whatever `rois` says (counted as
``rt_structure_sets_without_roi_types``), and its scenes no types. Where the types are read,
``meta["rt_roi_types"]`` holds each object's ("" where its ROI has none).

The filled volume then goes the way of a SEG's: turned to the canonical orientation, one scene per
slice holding a region along `axis`, shown radiologically (``meta["orientation"]``), one object
per ROI present (named by its ROI name, normalised: "Kidney_Left" is "left kidney"), relations
``touching`` and ``surrounded by`` from the pixels; `components`, `min_pixels`, `step`,
`slice_images`, ``meta["single"]`` (the ROIs' names held once by construction) and `tilt` (a
tilted series' slices across its images unsheared: `_dicom_tilt`) as for `dicom_seg`. Needs
pydicom, highdicom (the series as a volume), nibabel and scipy: ``pip install veriscene[dicom]``.
"""

from __future__ import annotations

import difflib
import importlib.util
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from veriscene.errors import ReaderOptionError
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
    sop_class_of,
)
from veriscene.io.readers._dicom_tilt import CORRECT, parse_tilt, volume_tilt
from veriscene.io.readers.dicom_seg import _Case, case_scenes
from veriscene.io.readers._windows import STORED, parse_window
from veriscene.io.readers._structures import warn_unmatched
from veriscene.io.readers.label_map import Options, _count_option, _scipy, split_names
from veriscene.scene.model import Scene

RTSTRUCT_STORAGE = "1.2.840.10008.5.1.4.1.1.481.3"

# What an ROI is (RTROIObservationsSequence > RTROIInterpretedType): the defined terms of DICOM
# PS3.3 C.8.8.8, and ITV, which planning systems write though DICOM does not define it
TARGETS = ("GTV", "CTV", "ITV", "PTV")  # target volumes: kept, their objects in meta["rt_targets"]
ANATOMY = ("ORGAN", "CAVITY", *TARGETS)  # kept by rois="anatomy", as ROIs of no or another type are
BODY_OUTLINE = "EXTERNAL"
PLANNING = ("AVOIDANCE", "BOLUS", "BRACHY_ACCESSORY", "BRACHY_CHANNEL", "BRACHY_CHNL_SHLD", "BRACHY_SRC_APP",
            "CONTRAST_AGENT", "CONTROL", "DOSE_MEASUREMENT", "DOSE_REGION", "FIXATION", "IRRAD_VOLUME", "ISOCENTER",
            "MARKER", "REGISTRATION", "SUPPORT", "TREATED_VOLUME")
ROI_TYPES = (*ANATOMY, BODY_OUTLINE, *PLANNING)
ROI_CHOICES = ("anatomy", "all")  # besides ROI_TYPES, the words of the `rois` option
# ROI names of planning helpers whatever their type: AAPM TG-263's prefixes for structures not
# used in evaluation ("_PTV", "z_ring", "zPTV_opt", "zz..."; "z" before a capital or digit, so
# "zygoma" is not one), and the whole words "opt" and "ring" ("PTV_opt", "Ring 2cm"; not "OpticNerve")
_HELPER_PREFIX = re.compile(r"_|[zZ][_\-\s.]|z[A-Z0-9]|[zZ]{2}")
_HELPER_WORD = re.compile(r"(?:^|[^a-z])(?:opt|ring)(?:[^a-z]|$)")


def planning_name(name: str) -> bool:
    """Whether an ROI's name marks it as a planning helper (`_HELPER_PREFIX`, `_HELPER_WORD`)."""
    name = name.strip()
    return _HELPER_PREFIX.match(name) is not None or _HELPER_WORD.search(name.lower()) is not None


@dataclass(frozen=True)
class RoiChoice:
    """The ROIs a structure set's scenes hold (the `rois` option): every one (`every`), or those
    of the types in `types` (RTROIInterpretedType), with ROIs of no type or of a type DICOM does
    not define when `untyped` (rois="anatomy"); planning helpers by name (`planning_name`) only
    with `every`."""

    types: frozenset[str] = frozenset(ANATOMY)
    untyped: bool = True
    every: bool = False

    def left_out(self, kind: str, name: str) -> str | None:
        """None for an ROI of type `kind` ("" for none) and name `name` kept, else the counter of
        why it is left out."""
        if self.every:
            return None
        if planning_name(name):
            return "rt_rois_left_out_planning_name"
        if kind in self.types or (self.untyped and kind not in ROI_TYPES):
            return None
        if kind == BODY_OUTLINE:
            return "rt_rois_left_out_body_outline"
        return "rt_rois_left_out_" + (re.sub(r"[^a-z0-9]+", "_", kind.lower()).strip("_") or "untyped")


def parse_rois(value: object) -> RoiChoice:
    """The `rois` option: "anatomy" (default), "all", or a comma-separated list of those and RT
    ROI types (`ROI_TYPES`) kept besides ("anatomy,AVOIDANCE"; "GTV,CTV,PTV": targets only)."""
    words = [w.strip() for w in str(value).split(",") if w.strip()] if isinstance(value, str) else []
    unknown = [w for w in words if w.lower() not in ROI_CHOICES and w.upper() not in ROI_TYPES]
    if not words or unknown:
        close = [m for w in unknown[:1] for m in difflib.get_close_matches(w.upper(), [*ROI_TYPES, "ANATOMY", "ALL"],
                                                                           n=1, cutoff=0.6)]
        hint = f" (did you mean {close[0].lower() if close[0] in ('ANATOMY', 'ALL') else close[0]}?)" if close else ""
        raise ReaderOptionError(f"rois must be anatomy, all, or a comma-separated list of them and RT ROI types "
                                f"({', '.join(ROI_TYPES)}), got {value!r}{hint}", option="rois", value=value)
    if any(w.lower() == "all" for w in words):
        return RoiChoice(every=True)
    anatomy = any(w.lower() == "anatomy" for w in words)
    types = {w.upper() for w in words if w.lower() not in ROI_CHOICES} | (set(ANATOMY) if anatomy else set())
    return RoiChoice(frozenset(types), untyped=anatomy)


def is_dicom_rt(path: Path) -> bool:
    """Whether `path` is a DICOM RT Structure Set file (its header is read)."""
    if not path.is_file() or not may_be_dicom(path) or importlib.util.find_spec("pydicom") is None:
        return False
    header = _header(path)
    return header is not None and sop_class_of(header) == RTSTRUCT_STORAGE


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


def _roi_types(rt: Any) -> dict[int, str] | None:
    """ROI number -> its RTROIInterpretedType (upper case, "" for none), from the structure set's
    RTROIObservationsSequence; None where it has none (its ROIs are then all read, untyped)."""
    observations = rt.get("RTROIObservationsSequence")
    if observations is None:
        return None
    types: dict[int, str] = {}
    for item in observations:
        number = item.get("ReferencedROINumber")
        if number is not None and str(number).strip().lstrip("-").isdigit():
            types.setdefault(int(number), str(item.get("RTROIInterpretedType", "") or "").strip().upper())
    return types


def contour_fault(contour: Any) -> tuple[np.ndarray, str]:
    """((N, 3) float64 points of a contour's ContourData in mm, "") or (no points, what is wrong
    with it, naming the field): values not x, y, z triples, not numbers, not finite, or fewer than
    NumberOfContourPoints."""
    none = np.zeros((0, 3))
    try:
        raw = contour.get("ContourData")
    except (ValueError, TypeError, OverflowError) as exc:  # pydicom refusing a DS value (strict reading)
        return none, f"ContourData cannot be read ({exc})"[:200]
    values = [] if raw is None else [raw] if isinstance(raw, (str, bytes, int, float)) else list(raw)
    try:
        flat = np.asarray(values, dtype=np.float64)
    except (ValueError, TypeError, OverflowError):
        k, value = next((k, v) for k, v in enumerate(values) if not _is_float(v))
        return none, f"ContourData value {k} is not a number: {str(value)[:40]!r}"
    if len(flat) % 3:
        return none, f"ContourData holds {len(flat)} values, not x, y, z triples"
    if not np.isfinite(flat).all():
        k = int(np.flatnonzero(~np.isfinite(flat))[0])
        return none, f"ContourData value {k} is {float(flat[k])} (not finite)"
    try:
        declared = contour.get("NumberOfContourPoints")
    except (ValueError, TypeError, OverflowError):  # a malformed count says nothing against the points
        declared = None
    if declared is not None and str(declared).strip().isdigit() and int(declared) > len(flat) // 3:
        return none, (f"ContourData holds {len(flat) // 3} points, NumberOfContourPoints says {int(declared)} "
                      "(cut short)")
    return flat.reshape(-1, 3), ""


def _is_float(value: Any) -> bool:
    try:
        float(value)
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def _read_case(scan: DicomScan, path: Path, images: Path, rois: RoiChoice, stored: bool = False) -> _RtCase:
    rt = read_dataset(path)
    if "SOPClassUID" not in rt:  # found by its file meta: the data set after it is gone
        raise bad("its data set has no SOPClassUID (is the file cut short?)", "SOPClassUID")
    names = _roi_names(rt)
    types = _roi_types(rt)
    ctx = scan.ctx
    if types is None:
        ctx.report.count("rt_structure_sets_without_roi_types")
    # the ROIs read: (ROI number, its contours: (index in the ROI's ContourSequence, field, points
    # (N, 3) mm), closed planar ones only)
    read: list[tuple[int, list[tuple[int, str, np.ndarray]]]] = []
    left_out: list[str] = []
    contoured = skipped = malformed = 0
    for item_index, item in enumerate(rt.get("ROIContourSequence") or []):
        if not item.get("ContourSequence"):
            continue
        contoured += 1
        number = int(item.ReferencedROINumber)
        name = names.get(number, f"roi {number}")
        kind = types.get(number, "") if types is not None else ""
        why = rois.left_out(kind, name) if types is not None else None
        if why is not None:
            ctx.report.count(why)
            left_out.append(f"{name!r} (ROI {number}, {kind or 'no type'})")
            continue
        polygons: list[tuple[int, str, np.ndarray]] = []
        for index, contour in enumerate(item.ContourSequence):
            if str(contour.get("ContourGeometricType", "")).upper() != "CLOSED_PLANAR":
                skipped += 1
                continue
            points, fault = contour_fault(contour)
            field = f"ROIContourSequence[{item_index}].ContourSequence[{index}].ContourData"
            if fault:  # the ROI is left out (module notes), named; the others are read
                ctx.reject(f"ROI {number} ({name})",
                           bad(f"ROI {number} ({name!r}), contour {index} (from 0): {fault}; the ROI is left out",
                               field), "object")
                malformed += 1
                break
            if len(points) < 3:  # outlines nothing: left out, its ROI read (a "mask" reject: never stops strict)
                ctx.reject(f"ROI {number} ({name})",
                           bad(f"ROI {number} ({name!r}), contour {index} (from 0): {len(points)} point"
                               f"{'' if len(points) == 1 else 's'}, fewer than 3 outline nothing; the contour is "
                               "left out, the ROI's others read", field), "mask")
                continue
            polygons.append((index, field, points))
        else:
            read.append((number, polygons))
    ctx.report.count("contours_not_closed_planar", skipped)
    if not contoured:
        raise bad("the structure set has no contour", "ROIContourSequence")
    if not read:
        shown = ", ".join(left_out[:5]) + (f" and {len(left_out) - 5} more" if len(left_out) > 5 else "")
        reasons = [(f"{shown} left out as no anatomy, by type or name (-r rois=all reads them; "
                    "rois=anatomy,EXTERNAL lists types to keep)")] if left_out else []
        if malformed:
            reasons.append(f"{malformed} left out for a malformed contour (each a reject of its own)")
        raise bad(f"no ROI with contours is left to read: {'; '.join(reasons)}",
                  "RTROIInterpretedType" if left_out else "ContourData")
    found = _series_volume(scan, images, _frame_of_reference(rt), referenced_series(rt), stored)
    series = found.volume
    slices, rows, cols = series.spatial_shape
    masks = np.zeros((slices, rows, cols, len(read)), dtype=bool)
    shifts = _image_shifts(series, found.positions)
    for channel, (number, contours) in enumerate(read):
        by_slice: dict[int, list[np.ndarray]] = {}
        for contour_index, field, points in contours:
            # (slice, row, column), fractional, on the pixel grid of slice k's own image (`_image_shifts`);
            # rounded so that a vertex on a pixel centre stays on it after the trip through patient
            # coordinates (the half-open rule decides edge pixels)
            index = series.map_reference_to_indices(points)
            k = int(round(float(np.median(index[:, 0]))))
            if not 0 <= k < slices or np.ptp(index[:, 0]) > 0.5:  # left out, its ROI read: named
                name = names.get(number, f"roi {number}")
                where = (f"its points lie {np.ptp(index[:, 0]):.2g} slices apart, not in one image plane"
                         if 0 <= k < slices else f"it lies at slice {k} of a series of {slices}")
                ctx.reject(f"ROI {number} ({name})",
                           bad(f"ROI {number} ({name!r}), contour {contour_index} (from 0) is off "
                               f"the image series: {where}; the contour is left out, the ROI's others read", field),
                           "mask")
                continue
            index = np.round(index - shifts.get(k, 0.0), 6)
            by_slice.setdefault(k, []).append(index[:, [2, 1]])  # (column, row) vertices
        for k, outlines in by_slice.items():
            masks[k, :, :, channel] = fill_polygons(outlines, rows, cols)
    numbers = [number for number, _ in read]
    image = _canonical(np.asarray(series.array), series.affine)
    return _RtCase(_canonical(masks, series.affine), {c: names.get(n, f"roi {n}") for c, n in enumerate(numbers)},
                   numbers, image, images, canonical_voxel_mm(_RAS_OF_LPS @ np.asarray(series.affine, dtype=np.float64)),
                   found.facts, found.stored, volume_tilt(series, found.positions), types)


@dataclass
class _RtCase(_Case):
    types: dict[int, str] | None = None  # ROI number -> RTROIInterpretedType (`_roi_types`), None: not given


class _StructureSet:
    """One RTSTRUCT file read for `case_scenes` (`load`), keeping what its ROIs are (`types`) to
    give its scenes (`typed`)."""

    def __init__(self, scan: DicomScan, path: Path, images: Path, rois: RoiChoice, stored: bool) -> None:
        self.scan, self.path, self.images, self.rois, self.stored = scan, path, images, rois, stored
        self.types: dict[int, str] | None = None

    def load(self) -> _Case:
        case = _read_case(self.scan, self.path, self.images, self.rois, self.stored)
        self.types = case.types
        return case

    def typed(self, scene: Scene) -> Scene:
        """`scene` with each object's RT ROI type (``meta["rt_roi_types"]``, by its object id,
        "value" or "value.piece": `structure_scene`) and the target volumes among them
        (``meta["rt_targets"]``), where the structure set gives types. The scene was made here
        and is not yet given out: its meta is filled in place."""
        if self.types is not None:
            kinds = [self.types.get(int(oid.split(".")[0]), "") for oid in scene.meta["object_ids"]]
            scene.meta["rt_roi_types"] = kinds
            scene.meta["rt_targets"] = [i for i, kind in enumerate(kinds) if kind in TARGETS]
        return scene


def find_structure_sets(path: Path, scan: DicomScan) -> list[Path]:
    """RTSTRUCT files: `path`, or those under the folder `path` (sorted); other DICOM files under
    it are counted as ``dicom_files_not_rtstruct``, files that are not DICOM reported (`DicomScan`)."""
    if path.is_file():
        require_dicom(path, "dicom_rt", "DICOM RT Structure Set (RTSTRUCT)", RTSTRUCT_STORAGE)
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"{path} does not exist")
    # by the data set's class, else the file meta's: a structure set cut short before its
    # SOPClassUID is read (and rejected, naming it), not counted among the other DICOM files
    found = [p for p, header in scan.headers(path) if sop_class_of(header) == RTSTRUCT_STORAGE]
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
    rois: str = "anatomy",
    tilt: str = CORRECT,
    **options: Any,
) -> Iterator[Scene]:
    """Stream scenes from DICOM RT Structure Sets (module notes): one per slice holding a region.
    `images` is the folder of the series the contours were drawn on (default: the RTSTRUCT's
    folder), `components` the names counted by connected pieces ("auto", default: lesions; "none",
    "all"), `slice_images` the folder the series' slices are written to as PNG, `square_pixels`
    and `window` as `read_label_map`'s, `rois` the ROIs read by their RT ROI type ("anatomy",
    default: no body outline or planning structure; "all"; or types, `parse_rois`), `tilt` "correct"
    (default) or "keep" a tilted series' slices across its images (`_dicom_tilt`)."""
    min_pixels, step = _count_option("min_pixels", min_pixels), _count_option("step", step)
    choice = parse_rois(rois)
    axis = _count_option("axis", axis, low=-3, high=2) % 3
    window_used = parse_window(window)
    tilt_mode = parse_tilt(tilt)
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
        structure_set = _StructureSet(scan, rt_path, image_dir, choice, window_used == STORED and out_dir is not None)
        for scene in case_scenes(ctx, opts, rt_path, structure_set.load, "RTSTRUCT", axis, step, out_dir, tilt_mode):
            yield structure_set.typed(scene)
    warn_unmatched(opts.split, str(path))
