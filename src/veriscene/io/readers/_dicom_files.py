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

from veriscene.errors import MissingExtra
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


def read_dicom_header(path: Path) -> tuple[Any | None, str]:
    """(the DICOM header of `path`, pixels not read, "") or (None, why it is not one)."""
    import pydicom

    try:
        header = pydicom.dcmread(path, stop_before_pixels=True)
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


def require_dicom(path: Path, fmt: str, kind: str) -> None:
    """Refuse a file named as input that is not DICOM at all (pydicom cannot read its header),
    naming it, before a reader's DICOM library fails on it with a traceback."""
    from veriscene.io.readers.detect import FormatDetectionError  # detect imports dicom_seg, which imports this module

    if _header(path) is None:
        raise FormatDetectionError(f"{path}: not a DICOM file (no readable DICOM header); --from {fmt} reads "
                                   f"{kind} files, or a folder holding them")


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


class Series(NamedTuple):
    """The image series a DICOM object was drawn on: highdicom's volume of it (in HU for a CT),
    what its files' headers say of it (`dicom_facts`), and with ``window=stored``, it shown
    through each file's own display window (`_dicom_windows`; None without, or where none is kept)."""

    volume: Any
    facts: VolumeFacts
    stored: Any = None  # _dicom_windows.StoredWindows


def _series_volume(scan: DicomScan, images: Path, frame_of_reference: str,
                   series: set[str] | None = None, stored: bool = False) -> Series:
    """The image series under `images` in this frame of reference (the one among `series`, the
    series a SEG or structure set says it was drawn on, when given, else the only one there);
    `stored`, to show it through its files' own windows too."""
    import pydicom

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
        raise bad(f"no image of frame of reference {frame_of_reference} under {images}", "images")
    if len(found) > 1:
        listed = ", ".join(f"{uid} ({len(paths)} files)" for uid, paths in sorted(found.items()))
        raise bad(f"several image series of frame of reference {frame_of_reference} under {images}: {listed}; "
                  "pass images=DIR holding only the one the segmentation was drawn on", "images")
    (paths,) = found.values()
    datasets = [pydicom.dcmread(p) for p in paths]
    # values as stored, rescaled (HU for a CT): a MONOCHROME1 image's inversion is for display only
    volume, facts = hd.get_volume_from_series(datasets, apply_presentation_lut=False), dicom_facts(datasets)
    return Series(volume, facts, stored_windows(scan.ctx.report, datasets) if stored else None)


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
