"""The display windows a DICOM series' files keep (``window=stored``), each file's own.

A DICOM image says how its values are shown in its VOI LUT module: a VOI LUT (a lookup table,
VOILUTSequence, which takes precedence), or WindowCenter / WindowWidth pairs under a VOI LUT
Function (LINEAR, the default; LINEAR_EXACT; SIGMOID), of which the first is shown. Each file
may hold its own: an MR series often stores a window per slice, fitted to that slice's
intensities. So each file's pixels go through that file's transform, applied by highdicom
(`get_volume_from_series(apply_voi_transform=True)`, the library that reads the series as a
volume; it follows pydicom's `apply_voi_lut` and maps the result to 0..1 whatever the files' bit
depth and rescale, and inverts MONOCHROME1 images as a viewer shows them), into a volume of
display values (`StoredWindows.shown`). A slice in the files' plane (axial, for an axial series)
shows one file, with its window (`StoredWindows.window`); a slice across them (coronal, sagittal)
shows each file's row through that file's window, and says so where they differ
(``"from": "dicom_windows_per_file"``).

A VOI LUT of one value (every entry equal: it would show the file as one grey, and highdicom, which
stretches a LUT's values to 0..1, divides by zero into NaN) is no transform: it is left out, counted
(``dicom_voi_luts_of_one_value``), and the file's window pair used if it keeps one. A file keeping
no usable transform (no window, a width of 0, a VOI LUT Function DICOM does not define) is shown
through the one most of the series' files keep (counted as ``dicom_files_without_stored_window``); a series whose transforms highdicom cannot apply (a VOI LUT
over a rescale that is not whole numbers) keeps the linear window most files hold (counted as
``stored_windows_not_applied``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from veriscene.io.readers._dicom_files import TILT_TOLERANCE, _RAS_OF_LPS, _canonical, _highdicom, _nibabel_orientations
from veriscene.io.readers._windows import Window, _first_number

VOI_FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")  # DICOM's VOI LUT Functions (PS3.3 C.11.2.1.3)
VOI_TAGS = ("VOILUTSequence", "WindowCenter", "WindowWidth", "VOILUTFunction")
# a slice across files whose windows differ: each file's part through its own
PER_FILE = Window("stored", source="dicom_windows_per_file", applied=True)


def one_value_lut(header: Any) -> bool:
    """Whether a file's VOI LUT (the first, which highdicom applies) maps every value to one."""
    luts = header.get("VOILUTSequence")
    data = luts[0].get("LUTData") if luts else None
    if data is None:
        return False
    if isinstance(data, (bytes, bytearray)):  # OW: 16-bit words (8-bit entries two a word, alike if all equal)
        values = np.frombuffer(data, dtype=np.uint16 if len(data) % 2 == 0 else np.uint8)
    else:
        values = np.atleast_1d(np.asarray(data))
    return values.size > 0 and bool(values.min() == values.max())


def file_window(header: Any) -> Window | None:
    """The VOI transform a file keeps, as highdicom applies it (already applied to the picture):
    its VOI LUT (unless of one value), else its first window pair; None where it keeps none that
    can be applied."""
    if header.get("VOILUTSequence") and not one_value_lut(header):
        return Window("stored", source="dicom_voi_lut", applied=True)
    width, level = _first_number(header.get("WindowWidth")), _first_number(header.get("WindowCenter"))
    function = str(header.get("VOILUTFunction", "") or "LINEAR").strip().upper()
    # LINEAR maps level - width/2 .. level + width/2 - 1: a width of 1 or less is no range
    narrowest = 1.0 if function == "LINEAR" else 0.0
    if width is None or level is None or function not in VOI_FUNCTIONS or width <= narrowest:
        return None
    return Window("stored", width, level, "dicom_window", None if function == "LINEAR" else function, applied=True)


@dataclass(frozen=True)
class StoredWindows:
    """A series shown through its files' own VOI transforms: `shown`, the volume of display
    values (canonical RAS+ axes, float32, 0 black to 1 white), the canonical `axis` its files
    are stacked along, and the window of each slice along it (`per_slice`, one per file)."""

    shown: np.ndarray
    axis: int
    per_slice: tuple[Window, ...]

    def window(self, axis: int, k: int) -> Window:
        """The window slice k along `axis` was shown through: its file's along the files' axis;
        across them, the one they all keep, else `PER_FILE`."""
        if axis == self.axis:
            return self.per_slice[k]
        distinct = set(self.per_slice)
        return distinct.pop() if len(distinct) == 1 else PER_FILE


def _copy_voi(donor: Any, dataset: Any) -> None:
    """Give `dataset` (read for this and dropped after) the VOI transform `donor` keeps."""
    for keyword in VOI_TAGS:
        if keyword in donor:
            setattr(dataset, keyword, donor[keyword].value)
        elif keyword in dataset:
            delattr(dataset, keyword)


def stored_windows(report: Any, datasets: Sequence[Any]) -> StoredWindows | None:
    """The series of `datasets` (one image each) shown through each file's VOI transform (module
    notes); None where no file keeps one, or highdicom cannot apply them (counted)."""
    for ds in datasets:
        if one_value_lut(ds):  # no transform: its window pair, else the series' (below)
            del ds.VOILUTSequence
            report.count("dicom_voi_luts_of_one_value")
    windows = [file_window(ds) for ds in datasets]
    kept = Counter(w for w in windows if w is not None)
    if not kept:
        return None
    common = kept.most_common(1)[0][0]
    donor = datasets[windows.index(common)]
    for ds, window in zip(datasets, windows):
        if window is None:
            _copy_voi(donor, ds)
            report.count("dicom_files_without_stored_window")
    hd = _highdicom()
    try:
        # (a series tilted as a CT gantry tilts is one volume, as `_series_volume` reads it)
        volume = hd.get_volume_from_series(datasets, dtype=np.float32, apply_voi_transform=True,
                                           voi_output_range=(0.0, 1.0), perpendicular_tol=TILT_TOLERANCE)
    except (ValueError, RuntimeError, IndexError, TypeError, KeyError, AttributeError, NotImplementedError):
        report.count("stored_windows_not_applied")
        return None
    # each file's slice in the volume (highdicom sorts them along the stack), then canonical axes
    positions = np.asarray([[float(v) for v in ds.ImagePositionPatient] for ds in datasets])
    slices = np.rint(volume.map_reference_to_indices(positions)[:, 0]).astype(int)
    per_slice: list[Window] = [common] * volume.spatial_shape[0]
    for k, window in zip(slices.tolist(), windows):
        per_slice[k] = window or common
    ornt = _nibabel_orientations().io_orientation(_RAS_OF_LPS @ np.asarray(volume.affine, dtype=np.float64))
    axis, flipped = int(ornt[0, 0]), bool(ornt[0, 1] < 0)  # where the stack's axis goes, reversed or not
    return StoredWindows(_canonical(np.asarray(volume.array), volume.affine), axis,
                         tuple(reversed(per_slice) if flipped else per_slice))
