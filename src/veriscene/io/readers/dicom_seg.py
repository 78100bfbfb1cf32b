"""DICOM Segmentation objects (SEG): segments of a CT or MR series read into scene graphs of anatomy.

    veriscene convert seg.dcm --from dicom_seg -r images=ct_series/ -r slice_images=slices/ --out scenes.jsonl

A DICOM SEG holds binary (or fractional) masks of numbered segments, or one label value a pixel (a
Label Map Segmentation, a SOP class of its own since 2024, segments never overlapping, 8 or 16
bits, greyscale or palette colour: read alike), each segment described by a label
and a coded property type ("Liver", "Kidney" with a "Left" modifier), over frames that refer to
positions in the patient. It is read with highdicom (``pip install veriscene[dicom]``) into a
volume of segment masks, turned to the closest canonical (RAS+) orientation as NIfTI volumes are
(`label_map`), and cut into one scene per slice along `axis` (default 2, axial), every `step`-th
slice, shown as a radiologist reads it (``meta["orientation"] == "radiological"``: the patient's
right on the image's left). Slices with no segment are skipped (counted).

Inputs (`path`): a SEG file, or a folder searched recursively for SEG files (other DICOM files there,
such as the source series, are passed over and counted). Each SEG's frame of reference must be
one volume (highdicom's rules: parallel, evenly spaced frames), its frames' positions stepping
along their planes' normal or, as a CT gantry tilted up to 30 degrees steps them along z, off it
(`_dicom_files.MAX_TILT_DEGREES`). Slices across the images of such a tilted series (coronal and
sagittal for an axial one) come from the volume resampled onto the grid of its true slice normal,
unsheared (``tilt="correct"``, the default; ``meta["tilt_corrected_degrees"]``), or as stored,
sheared by the tilt (``tilt="keep"``: ``meta["tilt_kept_degrees"]``); slices in the images' own
plane are the images (`_dicom_tilt`). A SEG in Explicit VR Big Endian (retired, in old archives) is
read as its little endian twin (`_segread`).

Objects: one per segment present in the slice, named by its coded property type with its modifiers
("left kidney"), or by its segment label with ``names="label"``; segments may overlap (a lesion in
the liver), which a label map cannot hold. `components` and `min_pixels` split and filter as
for label maps, and ``meta["single"]`` lists the names held once by construction as there (segments
not split, no other bearing the name: counting questions leave them out); relations ``touching``
and ``surrounded by`` are computed from the masks, for every pair (complete). Fractional
segments are read as present where their value is at least 0.5.

Images (`images`): the folder of the source series (every DICOM file there of the SEG's frame of
reference, read as one volume by highdicom, in HU for a CT). With `slice_images` (a folder), each
slice of it is written there as an 8-bit PNG (through `window`, as for label maps: a CT window
where the series' Modality is CT, "stored" its WindowCenter / WindowWidth) and becomes the
scene's image; the SEG's masks are placed into the series' geometry first, so a SEG covering part
of the series lands on the right slices (over a tilted series, each frame on the image it names,
counted as ``segs_placed_by_source_images``: the grids of the two differ by the tilt's shift).
Without `images`, the series is looked for beside the SEG (its folder, recursively: the series it
names, counted as ``series_found_beside_the_seg``); where none is found, slices are those the SEG
spans and scenes have no image (counted as ``series_not_found``; `meta` names the SEG file and
slice).
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from veriscene.errors import ReaderOptionError, SceneValidationError
from veriscene.io.readers._base import ReadContext, bad
# DICOM_SUFFIXES, NOT_IMAGES and read_dicom_header are re-exported: they were defined here
from veriscene.io.readers._dicom_files import (  # noqa: F401
    _RAS_OF_LPS,
    DICOM_SUFFIXES,
    NAMED_DICOM,
    NOT_IMAGES,
    SEG_CLASSES,
    SEGMENTATION_STORAGE,
    TILT_TOLERANCE,
    DicomScan,
    Series,
    SeriesNotFound,
    _canonical,
    _has_dicm,
    _header,
    _highdicom,
    _invalid_dicom,
    _series_volume,
    may_be_dicom,
    read_dataset,
    read_dicom_header,
    referenced_series,
    require_dicom,
    sop_class_of,
)
from veriscene.io.readers._label_map_files import canonical_voxel_mm, count_skipped, slice_meta, slice_png, squared_slice
from veriscene.io.readers.label_map import (
    Options,
    _count_option,
    _scipy,
    plane,
    split_names,
    structure_scene,
)
from veriscene.io.readers._structures import Structure, splits, volume_pieces, warn_unmatched
from veriscene.io.readers._dicom_tilt import CORRECT, Tilt, frame_positions, parse_tilt, volume_tilt
from veriscene.io.readers._dicom_windows import StoredWindows
from veriscene.io.readers._windows import NO_FACTS, STORED, VolumeFacts, parse_window, volume_modality, volume_window
from veriscene.io.readers.label_tables import structure_name
from veriscene.scene.model import Scene

NAME_SOURCES = ("type", "label")
# How far a SEG's geometry may be from its series' and still be placed on it voxel for voxel (in
# cosines of directions, ratios of spacings, voxels of shift). highdicom's default, 1e-5, refused a
# SEG over a real tilted MR series (nibabel's nicom 0.dcm, 1.dcm): slice spacings of 2.999958 and
# 2.999916 mm, from positions rounded to the 16 characters of a DICOM decimal string.
GEOMETRY_TOLERANCE = 1e-3


def is_dicom_seg(path: Path) -> bool:
    """Whether `path` is a DICOM Segmentation file (its header is read)."""
    if not path.is_file() or not may_be_dicom(path):
        return False
    if importlib.util.find_spec("pydicom") is None:  # cannot look inside: a DICOM file is taken for one
        return path.suffix.lower() in NAMED_DICOM and _has_dicm(path)
    header = _header(path)
    return header is not None and sop_class_of(header) in SEG_CLASSES


def find_segs(path: Path, scan: DicomScan) -> list[Path]:
    """SEG files: `path` itself, or those under the folder `path` (sorted); other DICOM files
    under it are counted as ``dicom_files_not_seg``, files that are not DICOM reported (`DicomScan`)."""
    if path.is_file():
        require_dicom(path, "dicom_seg", "DICOM Segmentation (SEG)", SEG_CLASSES)
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"{path} does not exist")
    # by the data set's class, else the file meta's: a SEG cut short before its SOPClassUID is read
    # (and rejected, naming it), not counted among the files that are not SEG
    found = [p for p, header in scan.headers(path) if sop_class_of(header) in SEG_CLASSES]
    scan.ctx.report.count("dicom_files_not_seg", len(scan.headers(path)) - len(found))
    if not found:
        raise FileNotFoundError(f"{path}: no DICOM Segmentation (SEG) file found")
    return found


def segment_name(description: Any, source: str) -> str:
    """A segment's structure name: its coded property type with modifier words in front ("left
    kidney"), or its segment label (`source="label"`); whichever is missing gives way to the other."""
    label = str(description.get("SegmentLabel", "") or "").strip()
    coded = ""
    types = description.get("SegmentedPropertyTypeCodeSequence") or []
    if types:
        meaning = str(types[0].get("CodeMeaning", "") or "").strip()
        modifiers = [str(m.get("CodeMeaning", "") or "").strip()
                     for m in (types[0].get("SegmentedPropertyTypeModifierCodeSequence") or [])]
        coded = " ".join([*(m for m in modifiers if m), meaning]).strip() if meaning else ""
    first, second = (label, coded) if source == "label" else (coded, label)
    return structure_name(first or second or f"segment {description.get('SegmentNumber', '?')}")


@dataclass
class _Case:
    masks: np.ndarray  # (X, Y, Z, segments) bool, canonical RAS+
    names: dict[int, str]  # channel -> raw structure name
    numbers: list[int]  # channel -> segment number
    image: np.ndarray | None  # (X, Y, Z) canonical, when the series was found
    series_dir: Path | None = None  # where the series was read from
    voxel_mm: tuple[float, ...] | None = None  # voxel size along the canonical axes
    facts: VolumeFacts = NO_FACTS  # the series' Modality and stored window (`dicom_facts`)
    stored: StoredWindows | None = None  # with window=stored, the series through its files' own windows
    tilt: Tilt | None = None  # how its images lie off the volume's grid (`_dicom_tilt`), None: on it


def _segread(path: Path) -> Any:
    """highdicom's SEG of `path`. One in Explicit VR Big Endian (retired from DICOM in 2004, kept in
    old archives), which highdicom refuses to parse, is written again little endian in memory
    first: pydicom has read its elements' values, and its pixels, bits packed in bytes (BINARY) or
    bytes (FRACTIONAL), read the same in either byte order (a SEG of this SOP class has no 16-bit
    pixels; Label Map Segmentations, 16-bit, are another SOP class, defined in 2024, long after big
endian was retired)."""
    import pydicom
    from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian

    hd = _highdicom()
    dataset = read_dataset(path)
    _check_frame_count(dataset)
    if dataset.file_meta.get("TransferSyntaxUID") != ExplicitVRBigEndian:
        return hd.seg.Segmentation.from_dataset(dataset, copy=False)
    dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, dataset, implicit_vr=False, little_endian=True)
    buffer.seek(0)
    return hd.seg.Segmentation.from_dataset(pydicom.dcmread(buffer), copy=False)


def _check_frame_count(dataset: Any) -> None:
    """SceneValidationError (field NumberOfFrames) when a SEG's pixel data holds more frames than
    its NumberOfFrames says (1 when it is missing): pydicom cuts that many frames of its pixels,
    and highdicom places those, the other frames' structures lost without a word. (Frames the
    SEG describes but whose pixels are not there, as in pydicom's liver_1frame.dcm, are the
    file's own loss: it is read as it is. Compressed pixel data is not counted here.)"""
    pixels = dataset.get("PixelData")
    syntax = dataset.file_meta.get("TransferSyntaxUID") if hasattr(dataset, "file_meta") else None
    if not isinstance(pixels, bytes) or syntax is None or syntax.is_compressed:
        return
    try:
        frame_bits = int(dataset.Rows) * int(dataset.Columns) * int(dataset.BitsAllocated)
        said = dataset.get("NumberOfFrames")
        frames = 1 if said is None else int(said)
    except (AttributeError, TypeError, ValueError):  # (highdicom says what is wrong with these)
        return
    held = len(pixels) * 8 // frame_bits if frame_bits > 0 else 0
    if held > frames:
        stated = "missing" if said is None else str(said)
        described = len(dataset.get("PerFrameFunctionalGroupsSequence") or [])
        raise bad(f"NumberOfFrames is {stated}, but its pixel data holds {held} frames ({described} described in "
                  "PerFrameFunctionalGroupsSequence): only the first would be read", "NumberOfFrames")


def _is_label_map(seg: Any) -> bool:
    """Whether `seg` holds one label value a pixel (a Label Map Segmentation)."""
    return str(getattr(seg, "SegmentationType", "")) == "LABELMAP"


def _one_hot(labels: np.ndarray, numbers: list[int]) -> np.ndarray:
    """(..., segments) bool of a label map's values, a channel per segment number. highdicom's own
    split of a label map (`combine_segments=False`) leaves segments past 255 empty (highdicom
    0.28: it works in 8 bits), so label maps are read whole and split here."""
    return labels[..., None] == np.asarray(numbers, dtype=labels.dtype)[None]


def _on_source_images(seg: Any, numbers: list[int], found: Series) -> np.ndarray | None:
    """(slices, rows, columns, segments) the SEG's frames placed on the images of the series they
    were drawn on, each by the image its frame names (DerivationImageSequence), in the series'
    slices; None where the SEG names an image the series does not hold, or the series' images
    are not one to a slice. For a series whose images are shifted in their planes from the
    normal's line (a gantry tilt: positions stepping along z), where highdicom's match of the two
    grids is off by the shift of the SEG's first frame (0.055 pixels a slice at 1 degree)."""
    ordered = found.slice_instances()
    named = {str(uids[-1]) for uids in seg.get_source_image_uids()}
    if ordered is None or not named or not named <= set(ordered):
        return None
    # a slice none of whose images the SEG has a frame of is empty (SEGs leave empty frames out)
    return np.asarray(seg.get_pixels_by_source_instance(ordered, segment_numbers=numbers,
                                                         combine_segments=_is_label_map(seg),
                                                         assert_missing_frames_are_empty=True))


def _read_case(scan: DicomScan, path: Path, images: Path | None, names: str, stored: bool = False) -> _Case:
    seg = _segread(path)
    numbers = list(seg.segment_numbers)
    if not numbers:
        raise bad("the SEG has no segment", "SegmentSequence")
    raw_names = {k: segment_name(seg.get_segment_description(n), names) for k, n in enumerate(numbers)}
    # frames of a tilted series step along z, off their normal (`_dicom_files.MAX_TILT_DEGREES`)
    label_map = _is_label_map(seg)  # (read as labels, split after: `_one_hot`)
    volume = seg.get_volume(segment_numbers=numbers, combine_segments=label_map, perpendicular_tol=TILT_TOLERANCE)
    found = None
    if images is not None:
        found = _series_volume(scan, images, str(seg.FrameOfReferenceUID), referenced_series(seg), stored)
    else:  # the series it was drawn on, if it lies beside the SEG (a study folder): else no images
        try:
            found = _series_volume(scan, path.parent, str(seg.FrameOfReferenceUID), referenced_series(seg), stored)
            images = path.parent
            scan.ctx.report.count("series_found_beside_the_seg")
        except SeriesNotFound:  # (a series found there whose files are at fault is a reject)
            scan.ctx.report.count("series_not_found")
    series = found.volume if found is not None else None
    affine = volume.affine
    array: np.ndarray | None = None
    if series is not None:
        assert found is not None
        try:
            volume = volume.match_geometry(series, tol=GEOMETRY_TOLERANCE)
        except RuntimeError as exc:  # a tilted series (placed image by image), or another grid
            array = _on_source_images(seg, numbers, found)
            if array is None:  # resampled, or drawn on another series of the frame
                raise bad(f"the SEG's voxel grid is not its series' under {images} (spacing {_mm(volume.spacing)} mm, "
                          f"the series' {_mm(series.spacing)} mm; highdicom: {exc}); a SEG is read on the grid of "
                          "the series it was drawn on", "images") from None
            scan.ctx.report.count("segs_placed_by_source_images")
        affine = series.affine
    if array is None:
        array = np.asarray(volume.array)
    if label_map:
        array = _one_hot(array, numbers)
    elif array.ndim == 3:  # one segment: no channel axis
        array = array[..., None]
    masks = _canonical(array >= (0.5 if array.dtype.kind == "f" else 1), affine)
    image = _canonical(np.asarray(series.array), series.affine) if series is not None else None
    # the masks lie on the series' grid where it was found, else on the SEG's own
    tilt = volume_tilt(series, found.positions) if found is not None else volume_tilt(volume, frame_positions(seg))
    return _Case(masks, raw_names, numbers, image, images if series is not None else None,
                 canonical_voxel_mm(_RAS_OF_LPS @ np.asarray(affine, dtype=np.float64)),
                 found.facts if found is not None else NO_FACTS, found.stored if found is not None else None, tilt)


def _mm(values: Any) -> str:
    return " x ".join(f"{float(v):.4g}" for v in values)


def untilted(report: Any, case: _Case, axis: int, mode: str, pictures: bool) -> tuple[_Case, dict[str, float]]:
    """(`case` for slices along `axis`, what its slices' meta says of its tilt). A tilted series'
    slices across its images (`_dicom_tilt`) come from its volume resampled onto the grid of its
    true slice normal (`mode` "correct": counted as ``tilted_series_corrected``, ``meta
    ["tilt_corrected_degrees"]``; its image volumes too where `pictures` are made of them, else
    dropped), or sheared as stored ("keep": ``meta["tilt_kept_degrees"]``); slices along its
    images, and series that are not tilted, are the volume as it is."""
    tilt = case.tilt
    if tilt is None or axis == tilt.own_axis:
        return case, {}
    degrees = round(tilt.degrees, 2)
    if mode != CORRECT or not tilt.straight:
        report.count("tilted_series_kept" if tilt.straight else "tilted_series_uneven_kept")
        return case, {"tilt_kept_degrees": degrees}
    report.count("tilted_series_corrected")
    image = case.image if pictures else None
    stored = case.stored if pictures else None
    return replace(case, masks=tilt.resample(case.masks, nearest=True),
                   image=tilt.resample(image, False, float(image.min())) if image is not None else None,
                   stored=replace(stored, shown=tilt.resample(stored.shown, False)) if stored is not None else None,
                   ), {"tilt_corrected_degrees": degrees}


def _dicom_fault(exc: Exception) -> str:
    """What went wrong reading a DICOM object, in words: a data set lacking an element pydicom was
    asked for ("'FileDataset' object has no attribute 'SOPClassUID'") is said to lack it, which is
    what a file cut short after its header looks like."""
    missing = re.search(r"Dataset' object has no attribute '(\w+)'", str(exc)) if isinstance(exc, AttributeError) else None
    if missing:
        return f"its data set has no {missing.group(1)} (is the file cut short?)"
    tag = exc.args[0] if isinstance(exc, KeyError) and len(exc.args) == 1 else None
    if isinstance(tag, int):  # a pydicom tag looked up and missing: said as the bare tag, '(0062,000B)'
        from pydicom.datadict import keyword_for_tag
        from pydicom.tag import Tag

        return f"an item of it has no {keyword_for_tag(tag) or 'element'} {Tag(tag)}"
    return str(exc)


def case_scenes(ctx: ReadContext, opts: Options, path: Path, load: Callable[[], _Case], kind: str,
                axis: int, step: int, slice_images: Path | None, tilt: str = CORRECT) -> Iterator[Scene]:
    """The slice scenes of one DICOM object (`kind`: "SEG", "RTSTRUCT") whose masks `load` reads;
    a tilted series' slices across its images corrected or not by `tilt` (`untilted`)."""
    try:
        case = load()
    except SceneValidationError as exc:
        ctx.file_error(exc, str(path))
        return
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RuntimeError, IndexError,
            sqlite3.Error, _invalid_dicom()) as exc:  # (sqlite3: highdicom's table of the frames' indices)
        ctx.file_error(bad(f"cannot read the DICOM {kind}: {_dicom_fault(exc)}"[:300]), str(path))
        return
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    # window=stored on a series whose files keep windows: each slice through its file's (`_dicom_windows`)
    stored = case.stored if slice_images is not None else None
    window = volume_window(ctx.report, opts.window, case.image if slice_images is not None and stored is None
                           else None, case.facts)
    modality = volume_modality(case.image, case.facts) if case.image is not None else {}
    # (the window and modality above are the stored images', whose values resampling does not add to)
    case, tilt_meta = untilted(ctx.report, case, axis, tilt, slice_images is not None)
    stored = case.stored if slice_images is not None else None
    # lesions: each segment split into its 3D pieces, numbered in the volume (`_structures`)
    pieces = {c: volume_pieces(case.masks[..., c]) for c in range(case.masks.shape[-1]) if splits(ctx, opts, case.names[c])}
    present = set(np.flatnonzero(np.any(case.masks, axis=tuple(a for a in range(4) if a != axis))).tolist())
    empty = small = 0
    for k in range(0, case.masks.shape[axis], step):
        if k not in present:
            empty += 1
            continue
        meta: dict[str, Any] = {f"dicom_{kind.lower()}": str(path), **slice_meta(axis, k, case.voxel_mm), **modality,
                                **tilt_meta}
        cut = plane(case.masks, axis, k, True)  # (rows, columns, structures)
        if pieces:  # 1 in a mask, or for one split into pieces, its piece's number
            cut = cut.astype(np.result_type(*(p.numbers.dtype for p in pieces.values())))
            for c, p in pieces.items():
                cut[..., c] = p.cut(case.masks.shape[:3], axis, k, True)
        shown = stored.shown if stored is not None else case.image
        picture = plane(shown, axis, k, True) if shown is not None and slice_images is not None else None
        if opts.square:
            cut, picture = squared_slice(meta, cut, picture)
        if np.count_nonzero(cut, axis=(0, 1)).max() < opts.min_pixels:
            small += 1  # the last slivers of segments: skipped and counted, as an empty slice is
            continue
        image_id = f"{stem}_{'xyz'[axis]}{k:04d}"
        image = slice_png(picture, slice_images, image_id, stored.window(axis, k) if stored else window, meta)
        if case.series_dir is not None:
            meta["image_series"] = str(case.series_dir)
        structures = (Structure(case.numbers[c], case.names[c], np.asfortranarray(cut[..., c] != 0),
                                np.asfortranarray(cut[..., c]) if c in pieces else None,
                                pieces[c].count if c in pieces else 0)
                      for c in range(cut.shape[-1]) if cut[..., c].any())
        scene = ctx.scene(f"{path.name}[{'xyz'[axis]}={k}]",
                          partial(structure_scene, ctx, opts, structures, cut.shape[:2], image_id, image, meta,
                                  case.names.values()))
        if scene is not None:
            if image is None:
                ctx.report.count("scenes_without_image")
            yield scene
    count_skipped(ctx.report, empty, small)


def read_dicom_seg(
    path: str | os.PathLike[str],
    *,
    images: str | os.PathLike[str] | None = None,
    names: str = "type",
    components: str | bool | None = "auto",
    min_pixels: int | str = 10,
    axis: int | str = 2,
    step: int | str = 1,
    slice_images: str | os.PathLike[str] | None = None,
    square_pixels: bool = True,
    window: str | None = None,
    tilt: str = CORRECT,
    **options: Any,
) -> Iterator[Scene]:
    """Stream scenes from DICOM SEG files (module notes): one per slice holding a segment.
    `images` is the folder of the source series, `names` "type" (coded property type) or "label"
    (segment label), `components` the names counted by connected pieces ("auto", default: lesions;
    "none", "all"), `slice_images` the folder the series' PNG slices go to, `square_pixels` and
    `window` as `read_label_map`'s, `tilt` "correct" (default) or "keep" a tilted series' slices
    across its images (`_dicom_tilt`)."""
    min_pixels, step = _count_option("min_pixels", min_pixels), _count_option("step", step)
    axis = _count_option("axis", axis, low=-3, high=2) % 3
    if names not in NAME_SOURCES:
        raise ReaderOptionError(f"names must be one of {NAME_SOURCES}, got {names!r}", option="names", value=names)
    window_used = parse_window(window)
    tilt_mode = parse_tilt(tilt)
    _scipy()
    _highdicom()
    ctx = ReadContext(path, "dicom_seg", **options)
    opts = Options({}, split_names(ctx, components), min_pixels, square_pixels, window_used)
    image_dir = Path(images) if images is not None else None
    if image_dir is not None and not image_dir.is_dir():
        raise FileNotFoundError(f"images: {image_dir} is not a folder")
    out_dir = Path(slice_images) if slice_images is not None else None
    scan = DicomScan(ctx)
    for seg_path in find_segs(Path(path), scan):
        ctx.source = str(seg_path)
        load = partial(_read_case, scan, seg_path, image_dir, names, window_used == STORED and out_dir is not None)
        yield from case_scenes(ctx, opts, seg_path, load, "SEG", axis, step, out_dir, tilt_mode)
    warn_unmatched(opts.split, str(path))
