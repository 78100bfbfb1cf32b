"""How a slice of an image volume's intensities becomes an 8-bit PNG (`window`, a reader option of
the medical readers): a CT window, as radiologists read CT, or a stretch between percentiles.

A CT window of width W and level L shows Hounsfield units from L - W/2 (black) to L + W/2 (white),
linearly; below and above are clipped. Presets (width, level in HU): ``soft_tissue`` 400, 40
(abdominal organs, lesions in them), ``lung`` 1500, -600, ``bone`` 1800, 400, ``brain`` 80, 40;
any other as ``"WIDTH,LEVEL"`` ("350,50"). ``percentile`` (the default) stretches each slice
between its own 0.5th and 99.5th percentiles, for any modality: a CT slice holding air and bone
then shows soft tissue in a narrow band of greys (liver and spleen near one grey), and the same
organ's grey differs from slice to slice.

A window applies to volumes in Hounsfield units only: a volume whose lowest value is above -500
HU (no air: an MR, or a CT stored without its rescale) keeps the percentile stretch, counted
(``volumes_not_in_hounsfield_units``). What a slice's PNG was made with is its scene's
``meta["window"]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

PERCENTILES = (0.5, 99.5)  # the `percentile` stretch's low and high percentiles of a slice
HOUNSFIELD_AIR = -500.0  # a CT volume in HU holds air (-1000) below this; MR intensities do not go there

# name -> (width, level) in Hounsfield units
WINDOWS: dict[str, tuple[float, float]] = {
    "soft_tissue": (400.0, 40.0),
    "lung": (1500.0, -600.0),
    "bone": (1800.0, 400.0),
    "brain": (80.0, 40.0),
}


@dataclass(frozen=True)
class Window:
    """A CT window (`width`, `level` in HU) named `name` (a preset, or "custom"); or, with no
    width, the `percentile` stretch."""

    name: str
    width: float | None = None
    level: float | None = None

    @property
    def is_ct(self) -> bool:
        return self.width is not None

    def meta(self) -> dict[str, Any]:
        """The scene's ``meta["window"]``: name and width and level, or the percentiles."""
        if self.width is None:
            return {"name": self.name, "percentiles": list(PERCENTILES)}
        return {"name": self.name, "width": self.width, "level": self.level}

    def to_8bit(self, picture: np.ndarray) -> np.ndarray:
        """`picture` (rows, columns) as uint8 grey levels."""
        values = picture.astype(np.float64)
        if self.width is not None:
            assert self.level is not None
            low, high = self.level - self.width / 2.0, self.level + self.width / 2.0
        else:
            low, high = np.percentile(values, PERCENTILES) if values.size else (0.0, 1.0)
        if high <= low:
            return np.zeros(values.shape, dtype=np.uint8)
        return np.round(np.clip((values - low) / (high - low), 0.0, 1.0) * 255.0).astype(np.uint8)


PERCENTILE = Window("percentile")


def _number(text: str, what: str, given: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not np.isfinite(value):
        raise ValueError(f"window: the {what} must be a number of Hounsfield units, got {text.strip()!r} in {given!r}")
    return value


def parse_window(value: str | None) -> Window:
    """The `window` option: None or "percentile", a preset's name, or "WIDTH,LEVEL" in HU."""
    if value is None:
        return PERCENTILE
    if not isinstance(value, str):
        raise TypeError(f"window must be text (a name or 'WIDTH,LEVEL'), got {type(value).__name__} {value!r}")
    name = value.strip().lower().replace("-", "_").replace(" ", "_")
    if name == PERCENTILE.name:
        return PERCENTILE
    if name in WINDOWS:
        return Window(name, *WINDOWS[name])
    if "," not in name:
        raise ValueError(f"window must be one of {PERCENTILE.name}, {', '.join(WINDOWS)} or 'WIDTH,LEVEL' in "
                         f"Hounsfield units (e.g. '350,50'), got {value!r}")
    width_text, _, level_text = value.partition(",")
    width, level = _number(width_text, "width", value), _number(level_text, "level", value)
    if width <= 0:
        raise ValueError(f"window: the width must be positive, got {width:g} in {value!r}")
    return Window("custom", width, level)


def volume_window(report: Any, window: Window, volume: np.ndarray | None) -> Window:
    """The window a volume's slices are written with: `window`, or for a CT window on a volume
    not in Hounsfield units (lowest value above `HOUNSFIELD_AIR`), the percentile stretch
    (counted in `report`)."""
    if volume is None or not window.is_ct or volume.size == 0:
        return window
    if float(np.nanmin(volume)) > HOUNSFIELD_AIR:
        report.count("volumes_not_in_hounsfield_units")
        return PERCENTILE
    return window
