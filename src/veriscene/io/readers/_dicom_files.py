"""DICOM files and series, for the readers of DICOM objects drawn on a CT or MR series
(`dicom_seg`, `dicom_rt`): which files are DICOM (`may_be_dicom`, `read_dicom_header`), the DICOM
files under a folder with each header read once and every file passed over said (`DicomScan`),
the image series an object was drawn on read as one volume (`_series_volume`, `referenced_series`),
and DICOM's patient coordinates (LPS) turned to the canonical RAS+ orientation of NIfTI volumes
(`_canonical`). pydicom, highdicom and nibabel are imported when first needed
(``pip install veriscene[dicom]``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from veriscene.errors import MissingExtra, SceneValidationError
from veriscene.io.readers._base import ReadContext, bad
from veriscene.io.readers._windows import VolumeFacts, dicom_facts

NAMED_DICOM = (".dcm", ".dicom", ".ima")  # .ima: Siemens scanners' exports
DICOM_SUFFIXES = (*NAMED_DICOM, "")


def _highdicom() -> Any:
    try:
        import highdicom
    except ImportError:
        raise MissingExtra("reading DICOM", "dicom", "highdicom") from None
    return highdicom


def _nibabel_orientations() -> Any:
    try:
        from nibabel import orientations
    except ImportError:
        raise MissingExtra("reading DICOM", "dicom", "nibabel") from None
    return orientations


def _invalid_dicom() -> type[Exception]:
    """pydicom's error for a file that is not DICOM (an Exception, not a ValueError)."""
    from pydicom.errors import InvalidDicomError

    return InvalidDicomError


def _header(path: Path) -> Any | None:
    """The DICOM header of `path` (pixels not read), or None if it is not a DICOM file."""
    return read_dicom_header(path)[0]


# the first bytes of a DICOM data set stored without the 128-byte preamble and 'DICM' marker (older
# exports, a structure set written by a planning system: pydicom's own rtstruct.dcm): the tag of its
# first element, of group 0008 (identification) or 0002 (file meta), little or big endian
_BARE_DATASET_STARTS = (b"\x08\x00", b"\x00\x08", b"\x02\x00", b"\x00\x02")


def _bare_dataset(path: Path) -> bool:
    """Whether `path` starts as a DICOM data set without preamble (`_BARE_DATASET_STARTS`)."""
    with open(path, "rb") as fh:
        head = fh.read(132)
    return head[128:132] != b"DICM" and head[:2] in _BARE_DATASET_STARTS


def read_dataset(path: Path, stop_before_pixels: bool = False) -> Any:
    """`path` read by pydicom, a file without the DICOM preamble and marker too (a bare data set,
    `_bare_dataset`: read with ``force``, and given the transfer syntax it was found to be written
    in, which decoding its pixels needs). Raises pydicom's errors as `pydicom.dcmread` does."""
    import pydicom
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    try:
        return pydicom.dcmread(path, stop_before_pixels=stop_before_pixels)
    except pydicom.errors.InvalidDicomError:
        if not _bare_dataset(path):
            raise
    dataset = pydicom.dcmread(path, stop_before_pixels=stop_before_pixels, force=True)
    meta = getattr(dataset, "file_meta", None)
    if meta is None or "TransferSyntaxUID" not in meta:
        # (pydicom 3's original_encoding; pydicom 2 keeps the two flags on the data set)
        implicit, little = getattr(dataset, "original_encoding", None) or (dataset.is_implicit_VR,
                                                                           dataset.is_little_endian)
        dataset.file_meta = meta if meta is not None else FileMetaDataset()
        dataset.file_meta.TransferSyntaxUID = (ImplicitVRLittleEndian if implicit else
                                               ExplicitVRLittleEndian if little else ExplicitVRBigEndian)
    return dataset


def read_dicom_header(path: Path) -> tuple[Any | None, str]:
    """(the DICOM header of `path`, pixels not read, "") or (None, why it is not one)."""
    import pydicom

    try:
        header = read_dataset(path, stop_before_pixels=True)
    except (pydicom.errors.InvalidDicomError, OSError, ValueError, EOFError, KeyError, TypeError,
            AttributeError, IndexError, OverflowError, NotImplementedError) as exc:
        # (pydicom meets a damaged header with any of these)
        return None, _not_dicom_reason(path, exc)
    # pydicom reads what there is of a file cut short: one that does not even say what it is
    # (a SOP class, in its file meta or its dataset) is no DICOM object to read
    file_meta = getattr(header, "file_meta", None) or {}
    if not (header.get("SOPClassUID") or file_meta.get("MediaStorageSOPClassUID")):
        return None, "damaged DICOM header: it names no SOP class (SOPClassUID), so it is cut short or empty"
    return header, ""


def _not_dicom_reason(path: Path, exc: Exception) -> str:
    """Why pydicom could not read `path`: no DICOM Part 10 marker, or a damaged header."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError as error:
        return f"cannot be read: {error}"
    if len(head) < 132:
        return (f"not a DICOM file: {len(head)} bytes, shorter than the 128-byte preamble and 'DICM' marker "
                "every DICOM file starts with")
    if head[128:132] != b"DICM":
        return "not a DICOM file: no 'DICM' marker after the 128-byte preamble"
    return f"unreadable DICOM header ({type(exc).__name__}: {exc})"[:300]


def may_be_dicom(path: Path) -> bool:
    """Whether a file's name lets it be DICOM: a DICOM suffix (`DICOM_SUFFIXES`), none, or a
    number (files named by their instance UID, ``1.2.840.113619.2.55.3.1``)."""
    suffix = path.suffix.lower()
    return suffix in DICOM_SUFFIXES or suffix[1:].isdigit()


class DicomScan:
    """The DICOM files under the folders one reader call looks in, each header read once.

    Nothing is passed over unsaid: a file named as DICOM (`NAMED_DICOM`: .dcm, .dicom, .ima) that
    is not one, or whose header is damaged, is a file reject naming why; a file of another name
    that could be DICOM (no suffix: ``README``, ``.DS_Store``) and is not is only counted, as
    ``files_not_dicom_skipped``. Files of other names (``notes.txt``) are not looked at.
    """

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self._folders: dict[Path, list[tuple[Path, Any]]] = {}  # resolved folder -> its DICOM files
        self._judged: set[Path] = set()  # files already reported or counted

    def headers(self, folder: Path) -> list[tuple[Path, Any]]:
        """(path, header) of every DICOM file under `folder`, recursively, sorted by path."""
        key = folder.resolve()
        if key in self._folders:
            return self._folders[key]
        for scanned, found in self._folders.items():  # a folder inside one already scanned
            if key.is_relative_to(scanned):
                inside = [(p, h) for p, h in found if p.resolve().is_relative_to(key)]
                self._folders[key] = inside
                return inside
        found = []
        for path in sorted(q for q in folder.rglob("*") if q.is_file() and may_be_dicom(q)):
            header, reason = read_dicom_header(path)
            if header is not None:
                found.append((path, header))
            elif path.resolve() not in self._judged:
                self._judged.add(path.resolve())
                if path.suffix.lower() in NAMED_DICOM:
                    self.ctx.file_error(bad(reason), str(path))
                else:
                    self.ctx.report.count("files_not_dicom_skipped")
        self._folders[key] = found
        return found


# the DICOM objects the readers read, by SOP class UID: the --from format that reads them
SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"  # BINARY and FRACTIONAL segmentations
# one label value a pixel, 8 or 16 bits, segments never overlapping (DICOM Supplement 243, 2024)
LABEL_MAP_SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.7"
SEG_CLASSES = (SEGMENTATION_STORAGE, LABEL_MAP_SEGMENTATION_STORAGE)
DICOM_OBJECTS = {SEGMENTATION_STORAGE: "dicom_seg", LABEL_MAP_SEGMENTATION_STORAGE: "dicom_seg",
                 "1.2.840.10008.5.1.4.1.1.481.3": "dicom_rt"}


def require_dicom(path: Path, fmt: str, kind: str, sop_class: str | tuple[str, ...] | None = None) -> None:
    """Refuse a file named as input that is not DICOM at all (pydicom cannot read its header), or
    not of `sop_class` (or one of them: a CT image given as a structure set), naming it and what
    it is, before a reader's DICOM library fails on it with a traceback or a misleading reason."""
    from veriscene.io.readers.detect import FormatDetectionError  # detect imports dicom_seg, which imports this module

    header, why = read_dicom_header(path)
    if header is None:
        raise FormatDetectionError(f"{path}: not a DICOM file ({why.removeprefix('not a DICOM file: ')}); --from {fmt} "
                                   f"reads {kind} files, or a folder holding them")
    found = sop_class_of(header)
    if sop_class is None or found in ((sop_class,) if isinstance(sop_class, str) else sop_class):
        return
    other = DICOM_OBJECTS.get(found)
    raise FormatDetectionError(
        f"{path}: {dicom_kind(header)} file, not one of the {kind} files --from {fmt} reads"
        f"{f' (read it with --from {other})' if other else ''}; give the {kind} file, or a folder holding it")


def sop_class_of(header: Any) -> str:
    """The SOP class UID a DICOM header names (its data set's, else its file meta's), or ""."""
    return str(header.get("SOPClassUID", "") or getattr(header, "file_meta", {}).get("MediaStorageSOPClassUID", ""))


def dicom_kind(header: Any) -> str:
    """What a DICOM file is, in words: "a DICOM CT Image Storage (Modality CT)"."""
    from pydicom.uid import UID

    modality = str(header.get("Modality", "") or "").strip()
    return f"a DICOM {UID(sop_class_of(header)).name}{f' (Modality {modality})' if modality else ''}"


def _has_dicm(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(128)
        return fh.read(4) == b"DICM"


_RAS_OF_LPS = np.diag([-1.0, -1.0, 1.0, 1.0])  # DICOM's patient coordinates (LPS) to NIfTI's (RAS)


def _canonical(array: np.ndarray, affine_lps: np.ndarray) -> np.ndarray:
    """`array` (spatial axes first) turned to the closest canonical RAS+ orientation."""
    orientations = _nibabel_orientations()
    ras = _RAS_OF_LPS @ np.asarray(affine_lps, dtype=np.float64)
    return np.asarray(orientations.apply_orientation(array, orientations.io_orientation(ras)))


NOT_IMAGES = ("SEG", "RTSTRUCT", "RTDOSE", "RTPLAN", "RTRECORD", "REG", "SR", "KO", "PR")


# The largest tilt of a series' planes from the line its images' positions step along, in degrees:
# a CT scanner's gantry tilts up to 30 degrees while its images' positions step along the table (z).
# highdicom's default (its dot product within 1e-3 of 1: about 2.5 degrees) refused such series.
# The volume is their images stacked as they are, its slices along the planes' normal 1 - cos(tilt)
# apart from the positions' line: an axial slice is an image with its own pixels (a SEG's frames
# and a structure set's contours are placed on it, `dicom_seg`, `dicom_rt`); a coronal or sagittal
# slice across a tilted series would be sheared by the tilt, and is taken from the volume resampled
# onto the grid of its true slice normal (`_dicom_tilt`, reader option ``tilt``, default "correct").
MAX_TILT_DEGREES = 30.0
TILT_TOLERANCE = 1.0 - float(np.cos(np.radians(MAX_TILT_DEGREES)))  # highdicom's perpendicular_tol


class Series(NamedTuple):
    """The image series a DICOM object was drawn on: highdicom's volume of it (in HU for a CT),
    what its files' headers say of it (`dicom_facts`), and with ``window=stored``, it shown
    through each file's own display window (`_dicom_windows`; None without, or where none is kept)."""

    volume: Any
    facts: VolumeFacts
    stored: Any = None  # _dicom_windows.StoredWindows
    positions: np.ndarray | None = None  # (images, 3) each image's ImagePositionPatient (mm), single-frame images
    instances: tuple[str, ...] = ()  # each image's SOPInstanceUID, in the order of `positions`

    def slice_instances(self) -> list[str] | None:
        """The SOPInstanceUID of the image of each slice of `volume`, in slice order; None where
        the images are not one to a slice (multi-frame images, positions off the slices)."""
        if self.positions is None or len(self.instances) != len(self.positions):
            return None
        at = np.asarray(self.volume.map_reference_to_indices(self.positions), dtype=np.float64)[:, 0]
        slices = np.round(at).astype(int)
        if np.abs(at - slices).max() > 0.01 or sorted(slices.tolist()) != list(range(self.volume.spatial_shape[0])):
            return None
        ordered = [""] * len(slices)
        for k, uid in zip(slices.tolist(), self.instances):
            ordered[k] = uid
        return ordered


class SeriesNotFound(SceneValidationError):
    """No image series, or several, of an object's frame of reference in the folder looked in
    (`_series_volume`); a series found whose files are at fault raises a plain `SceneValidationError`."""


def _series_volume(scan: DicomScan, images: Path, frame_of_reference: str,
                   series: set[str] | None = None, stored: bool = False) -> Series:
    """The image series under `images` in this frame of reference (the one among `series`, the
    series a SEG or structure set says it was drawn on, when given, else the only one there);
    `stored`, to show it through its files' own windows too."""
    from veriscene.io.readers._dicom_windows import stored_windows  # (it imports this module)

    hd = _highdicom()
    found: dict[str, list[Path]] = {}
    for p, header in scan.headers(images):
        if str(header.get("Modality", "")).upper() in NOT_IMAGES or "Rows" not in header:
            continue
        if str(header.get("FrameOfReferenceUID", "")) == frame_of_reference:
            found.setdefault(str(header.get("SeriesInstanceUID", "")), []).append(p)
    if series:
        found = {uid: paths for uid, paths in found.items() if uid in series} or found
    if not found:
        raise SeriesNotFound(f"no image of frame of reference {frame_of_reference} under {images}", field="images")
    if len(found) > 1:
        listed = ", ".join(f"{uid} ({len(paths)} files)" for uid, paths in sorted(found.items()))
        raise SeriesNotFound(f"several image series of frame of reference {frame_of_reference} under {images}: {listed}; "
                             "pass images=DIR holding only the one the segmentation was drawn on", field="images")
    ((uid, paths),) = found.items()
    datasets = _series_datasets(paths, uid)
    try:
        # values as stored, rescaled (HU for a CT): a MONOCHROME1 image's inversion is for display only
        volume = hd.get_volume_from_series(datasets, apply_presentation_lut=False, perpendicular_tol=TILT_TOLERANCE)
    except (ValueError, RuntimeError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise _series_fault(paths, datasets, uid, images, exc) from None
    return Series(volume, dicom_facts(datasets), stored_windows(scan.ctx.report, datasets) if stored else None,
                  _positions(datasets), tuple(str(ds.get("SOPInstanceUID", "") or "") for ds in datasets))


def _positions(datasets: list[Any]) -> np.ndarray | None:
    """(images, 3) the ImagePositionPatient of each image (mm), None unless every one has its own
    (a multi-frame image keeps them per frame)."""
    try:
        found = [[float(v) for v in ds.ImagePositionPatient] for ds in datasets
                 if int(ds.get("NumberOfFrames", 1) or 1) == 1]
    except (AttributeError, TypeError, ValueError):
        return None
    return np.asarray(found, dtype=np.float64) if len(found) == len(datasets) and found else None


_PYDICOM_ERRORS = (OSError, ValueError, EOFError, KeyError, TypeError, AttributeError, IndexError, RuntimeError,
                   NotImplementedError)


def _series_datasets(paths: list[Path], uid: str) -> list[Any]:
    """The files of image series `uid` read whole; one that cannot be, or a second copy of an image
    (one SOP Instance UID twice: a study exported twice into one folder), is named."""
    datasets: list[Any] = []
    seen: dict[str, Path] = {}
    for p in paths:
        try:
            dataset = read_dataset(p)
        except (*_PYDICOM_ERRORS, _invalid_dicom()) as exc:
            raise bad(f"image {p} of series {uid} cannot be read ({type(exc).__name__}: {exc})"[:300], "images") from None
        instance = str(dataset.get("SOPInstanceUID", "") or "")
        if instance and instance in seen:
            raise bad(f"{seen[instance]} and {p} are the same image of series {uid} (SOP Instance UID {instance}): "
                      "keep one of them", "SOPInstanceUID")
        seen[instance] = p
        datasets.append(dataset)
    return datasets


def _series_fault(paths: list[Path], datasets: list[Any], uid: str, images: Path, exc: Exception) -> Exception:
    """Why image series `uid` is not one volume: the first of its files whose pixels cannot be
    decoded (cut short, a compression no installed plugin reads), else what highdicom says of the
    series as a whole (slices missing or unevenly spaced, images of different sizes)."""
    for p, dataset in zip(paths, datasets):
        try:
            _ = dataset.pixel_array  # decoded here only to find the file at fault
        except _PYDICOM_ERRORS as error:
            return bad(f"image {p} of series {uid}: its pixels cannot be read ({error})"[:300], "PixelData")
    return bad(f"the image series {uid} under {images} ({len(paths)} files) is not one volume: {exc}"[:300], "images")


def referenced_series(dataset: Any) -> set[str]:
    """Series instance UIDs a SEG (ReferencedSeriesSequence) or an RT structure set
    (ReferencedFrameOfReferenceSequence > RTReferencedStudySequence > RTReferencedSeriesSequence)
    names as its source."""
    uids = {str(item.SeriesInstanceUID) for item in dataset.get("ReferencedSeriesSequence") or []
            if item.get("SeriesInstanceUID")}
    for frame in dataset.get("ReferencedFrameOfReferenceSequence") or []:
        for study in frame.get("RTReferencedStudySequence") or []:
            for item in study.get("RTReferencedSeriesSequence") or []:
                if item.get("SeriesInstanceUID"):
                    uids.add(str(item.SeriesInstanceUID))
    return uids
