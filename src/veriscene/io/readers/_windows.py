"""How a slice of an image volume's intensities becomes an 8-bit PNG (`window`, a reader option of
the medical readers): a CT window, as radiologists read CT, the window the files store, or a
stretch between percentiles.

A CT window of width W and level L shows Hounsfield units from L - W/2 (black) to L + W/2 (white),
linearly; below and above are clipped. Presets (width, level in HU): ``soft_tissue`` 400, 40
(abdominal organs, lesions in them), ``lung`` 1500, -600, ``bone`` 1800, 400, ``brain`` 80, 40;
any other as ``"WIDTH,LEVEL"`` ("350,50"). ``stored`` is the window the image files keep: each
DICOM file's own VOI transform (its VOI LUT, else its first WindowCenter / WindowWidth pair under
its VOI LUT Function, SIGMOID included: `_dicom_windows`; an MR series' files often keep one a
slice), a NIfTI header's cal_min / cal_max display range; it applies to any modality (it is in
the values the files hold, after their rescale); a volume whose files keep none is stretched by
percentiles, counted (``volumes_without_stored_window``). ``percentile`` (the default) stretches
each slice between its own 0.5th and 99.5th percentiles, for any modality: a CT slice holding air
and bone then shows soft tissue in a narrow band of greys (liver and spleen near one grey), and
the same organ's grey differs from slice to slice.

A CT window applies to CT volumes only (`modality`): what the files say (a DICOM series' Modality,
an MSD / nnU-Net `dataset.json`'s modality of channel 0, the words of a NIfTI header's descrip or
intent_name), or where they say nothing, whether the volume holds air in Hounsfield units (at
least 0.5% of its values at or below -500 HU: an MR's intensities do not go there, but for a few
voxels of a resampling's undershoot). Another volume (an MR, a CT stored
without its rescale) keeps the percentile stretch, counted (``volumes_not_in_hounsfield_units``).
What a slice's PNG was made with is its scene's ``meta["window"]``; the volume's modality and
where it was found, ``meta["modality"]`` and ``meta["modality_from"]``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from veriscene.errors import ReaderOptionError

PERCENTILES = (0.5, 99.5)  # the `percentile` stretch's low and high percentiles of a slice
HOUNSFIELD_AIR = -500.0  # a CT volume in HU holds air (-1000) below this; MR intensities do not go there
AIR_SHARE = PERCENTILES[0] / 100.0  # ... in at least this share of its voxels (its 0.5th percentile is air)

# name -> (width, level) in Hounsfield units
WINDOWS: dict[str, tuple[float, float]] = {
    "soft_tissue": (400.0, 40.0),
    "lung": (1500.0, -600.0),
    "bone": (1800.0, 400.0),
    "brain": (80.0, 40.0),
}


@dataclass(frozen=True)
class Window:
    """A window of `width` and `level` named `name`: a CT window in HU (a preset, or "custom"),
    or the window stored in the files ("stored", `source` saying where); with no width, the
    `percentile` stretch, or `STORED` before a volume's stored window is known. `applied`: the
    picture already holds display values from 0 (black) to 1 (white), the files' own VOI
    transform applied to them (a DICOM file's window under its VOI LUT Function, `function`
    when not LINEAR, or its VOI LUT: `_dicom_windows`)."""

    name: str
    width: float | None = None
    level: float | None = None
    source: str | None = None  # where a stored window was read: "dicom_window", "dicom_voi_lut", "nifti_cal_range"
    function: str | None = None  # a DICOM VOI LUT Function other than LINEAR: "LINEAR_EXACT", "SIGMOID"
    applied: bool = False

    @property
    def is_ct(self) -> bool:
        return self.width is not None and self.name != "stored"

    def meta(self) -> dict[str, Any]:
        """The scene's ``meta["window"]``: name and width and level (and the VOI LUT Function
        and where a stored one was read), or the percentiles."""
        if self.width is None and not self.applied:
            return {"name": self.name, "percentiles": list(PERCENTILES)}
        out: dict[str, Any] = {"name": self.name}
        if self.width is not None:
            out.update(width=self.width, level=self.level)
        if self.function is not None:
            out["function"] = self.function
        if self.source is not None:
            out["from"] = self.source
        return out

    def to_8bit(self, picture: np.ndarray) -> np.ndarray:
        """`picture` (rows, columns) as uint8 grey levels."""
        values = picture.astype(np.float64)
        if self.applied:
            low, high = 0.0, 1.0
        elif self.width is not None:
            assert self.level is not None
            low, high = self.level - self.width / 2.0, self.level + self.width / 2.0
        else:
            low, high = np.percentile(values, PERCENTILES) if values.size else (0.0, 1.0)
        if high <= low:
            return np.zeros(values.shape, dtype=np.uint8)
        return np.round(np.clip((values - low) / (high - low), 0.0, 1.0) * 255.0).astype(np.uint8)


PERCENTILE = Window("percentile")
STORED = Window("stored")  # the files' own window, looked up per volume (`volume_window`)


@dataclass(frozen=True)
class VolumeFacts:
    """What an image volume's files say of it: its modality ("CT", "MR", "PT"; None when they do
    not say) and where that was read (`modality_from`), and the display window they keep
    ((width, level) in their values, or None) and where (`stored_from`)."""

    modality: str | None = None
    modality_from: str | None = None  # "dicom_modality", "dataset_json", "nifti_descrip", "nifti_intent_name"
    stored: tuple[float, float] | None = None
    stored_from: str | None = None  # "dicom_window", "nifti_cal_range"


NO_FACTS = VolumeFacts()

# words naming a modality in free text (a NIfTI header's descrip, a dataset.json's channel name)
_MODALITY_WORDS = (
    ("CT", re.compile(r"\bct\b|computed tomography", re.IGNORECASE)),
    ("MR", re.compile(r"\bmri?\b|magnetic resonance|\bt1(w|c|ce|gd)?\b|\bt2w?\b|\bflair\b|\bdwi\b|\badc\b|"
                      r"\bswi\b|\bpd\b", re.IGNORECASE)),
    ("PT", re.compile(r"\bpet\b", re.IGNORECASE)),
)


def modality_in_text(text: str) -> str | None:
    """The modality a text names ("CT", "MR", "PT"), None when it names none or several ("PET/CT")."""
    named = {m for m, words in _MODALITY_WORDS if words.search(text)}
    return named.pop() if len(named) == 1 else None


def dicom_facts(headers: Iterable[Any]) -> VolumeFacts:
    """A DICOM series' facts from its files' headers: Modality (of the first file that has one)
    and the window most files store (the first WindowCenter / WindowWidth pair of each)."""
    modality: str | None = None
    windows: Counter[tuple[float, float]] = Counter()
    for header in headers:
        modality = modality or (str(header.get("Modality", "") or "").strip().upper() or None)
        pair = _first_number(header.get("WindowWidth")), _first_number(header.get("WindowCenter"))
        if pair[0] is not None and pair[1] is not None and pair[0] > 0:
            windows[(pair[0], pair[1])] += 1
    stored = windows.most_common(1)[0][0] if windows else None
    return VolumeFacts(modality, "dicom_modality" if modality else None, stored, "dicom_window" if stored else None)


def _first_number(value: Any) -> float | None:
    """The first of a DICOM decimal string's values (WindowCenter may hold several: alternatives)."""
    if value is None or isinstance(value, (str, bytes)) and not str(value).strip():
        return None
    try:
        number = float(value[0] if not isinstance(value, (str, bytes, int, float)) else value)
    except (TypeError, ValueError, IndexError):
        return None
    return number if np.isfinite(number) else None


def nifti_facts(header: Any, channel_name: str | None = None) -> VolumeFacts:
    """A NIfTI image's facts: its modality from `channel_name` (a dataset.json's name of the
    channel shown, "CT", "T2") else from the header's descrip or intent_name, and its
    cal_min / cal_max display range as a stored window."""
    modality, source = (modality_in_text(channel_name), "dataset_json") if channel_name else (None, None)
    for field in ("descrip", "intent_name"):
        if modality is None:
            text = _header_text(header, field)
            modality, source = modality_in_text(text), f"nifti_{field}"
    stored = None
    try:
        low, high = float(header["cal_min"]), float(header["cal_max"])
    except (KeyError, TypeError, ValueError):
        low = high = 0.0
    if np.isfinite(low) and np.isfinite(high) and high > low:
        stored = (high - low, (high + low) / 2.0)
    return VolumeFacts(modality, source if modality else None, stored, "nifti_cal_range" if stored else None)


def _header_text(header: Any, field: str) -> str:
    try:
        value = header[field]
    except (KeyError, TypeError, ValueError):
        return ""
    value = value.item() if hasattr(value, "item") else value
    return value.decode("latin-1", "replace") if isinstance(value, bytes) else str(value)


def _number(text: str, what: str, given: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not np.isfinite(value):
        raise ReaderOptionError(f"window: the {what} must be a number of Hounsfield units, got {text.strip()!r} in "
                                f"{given!r}", option="window", value=given)
    return value


def parse_window(value: str | None) -> Window:
    """The `window` option: None or "percentile", "stored", a preset's name, or "WIDTH,LEVEL" in HU."""
    if value is None:
        return PERCENTILE
    if not isinstance(value, str):
        raise ReaderOptionError(f"window must be text (a name or 'WIDTH,LEVEL'), got {type(value).__name__} {value!r}",
                                option="window", value=value)
    name = value.strip().lower().replace("-", "_").replace(" ", "_")
    if name == PERCENTILE.name:
        return PERCENTILE
    if name == STORED.name:
        return STORED
    if name in WINDOWS:
        return Window(name, *WINDOWS[name])
    if "," not in name:
        raise ReaderOptionError(f"window must be one of {PERCENTILE.name}, {STORED.name}, {', '.join(WINDOWS)} or "
                                f"'WIDTH,LEVEL' in Hounsfield units (e.g. '350,50'), got {value!r}", option="window", value=value)
    width_text, _, level_text = value.partition(",")
    width, level = _number(width_text, "width", value), _number(level_text, "level", value)
    if width <= 0:
        raise ReaderOptionError(f"window: the width must be positive, got {width:g} in {value!r}", option="window", value=value)
    return Window("custom", width, level)


def volume_modality(volume: np.ndarray | None, facts: VolumeFacts = NO_FACTS) -> dict[str, Any]:
    """A volume's ``meta["modality"]`` and ``meta["modality_from"]``: what its files say
    (`facts`), else "CT" from its values where it holds air in HU (at least `AIR_SHARE` of its
    values at or below `HOUNSFIELD_AIR`: "hounsfield_values"), else None (not said, and no HU).
    Empty without a volume."""
    if facts.modality is not None:
        return {"modality": facts.modality, "modality_from": facts.modality_from}
    if volume is None or volume.size == 0:
        return {}
    # air is a share of a CT (outside the body, the lungs, the bowel), not a few voxels: an MR
    # resampled with a spline (SPM's normalised T1, nibabel's anatomical.nii) undershoots to -610
    # in 3 of its 33,825 voxels
    in_hu = np.count_nonzero(volume <= HOUNSFIELD_AIR) >= AIR_SHARE * volume.size
    return {"modality": "CT" if in_hu else None, "modality_from": "hounsfield_values"}


def volume_window(report: Any, window: Window, volume: np.ndarray | None,
                  facts: VolumeFacts = NO_FACTS) -> Window:
    """The window a volume's slices are written with: `window`; the files' own for `STORED`
    (percentiles where they keep none, counted); for a CT window on a volume that is not a CT
    (`volume_modality`), the percentile stretch (counted in `report`)."""
    if volume is None or volume.size == 0:
        return window
    if window.name == STORED.name and window.width is None:
        if facts.stored is None:
            report.count("volumes_without_stored_window")
            return PERCENTILE
        return Window(STORED.name, *facts.stored, source=facts.stored_from)
    if not window.is_ct:
        return window
    if volume_modality(volume, facts).get("modality") != "CT":
        report.count("volumes_not_in_hounsfield_units")
        return PERCENTILE
    return window
