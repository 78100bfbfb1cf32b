"""Tilt correction of a DICOM series whose images' positions step off their planes' normal (a CT
gantry tilted up to `_dicom_files.MAX_TILT_DEGREES`, an oblique stack), for `dicom_seg` and
`dicom_rt` (reader option ``tilt``).

highdicom stacks such a series as a volume whose slices lie along the planes' normal, its images
as they are: image k truly lies shifted in its plane by k times the tilt's step (in pixels:
``(row, column) = offset + k * step``, fitted to the images' positions). An axial slice (the
series' own plane) is an image, correct as it is; a slice across the images (coronal, sagittal
for an axial series) is sheared by tan(tilt) a slice. With ``tilt="correct"`` (the default) the
volume is resampled, for slices across the images only, onto the grid of the series' own
in-plane axes and its true slice normal (the volume's grid, widened to hold every image where it
truly lies), as a viewer's (or dcm2niix's) gantry tilt correction does: masks by nearest
neighbour (a voxel is in a segment or not), images linearly (scipy's `affine_transform`).
``tilt="keep"`` leaves them sheared, as before.

That grid is square to the images, not to the patient: its slices are undistorted (lengths,
areas and angles are the patient's), but turned with the series. For a gantry tilted by t about
the left-right axis a sagittal slice is the patient's sagittal plane turned by t, a coronal one
a plane tilted by t from the patient's coronal plane; "up" on them is the series' normal, t from
the patient's head-foot axis. Slicing as any oblique volume is sliced (`label_map`: along its
closest canonical axes) keeps the images' own plane unresampled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from veriscene.errors import ReaderOptionError
from veriscene.io.readers._dicom_files import _RAS_OF_LPS, _nibabel_orientations

CORRECT, KEEP = "correct", "keep"
TILT_MODES = (CORRECT, KEEP)
# A series whose images shift less than this (pixels, first to last image) is left as it is: nearest
# neighbour resampling would move no voxel of a mask (DICOM's decimal positions give an untilted
# series shifts of 1e-6 pixels; nibabel's real tilted MR pair, nicom 0.dcm and 1.dcm, 0.0087).
MIN_SHIFT_PIXELS = 0.5
# Images whose shifts stray further than this (pixels) from a straight line (an uneven stack) are
# no one tilt: the volume is left as it is (`Tilt.straight`; counted as ``tilted_series_uneven_kept``).
MAX_RESIDUAL_PIXELS = 0.5


def parse_tilt(value: str) -> str:
    """The reader option `tilt`: "correct" or "keep" (module notes)."""
    mode = str(value).strip().lower()
    if mode not in TILT_MODES:
        raise ReaderOptionError(f"tilt must be one of {TILT_MODES}, got {value!r}", option="tilt", value=value)
    return mode


@dataclass(frozen=True)
class Tilt:
    """How a volume's images lie off its grid, in canonical (RAS+) voxel indices: `to_true`
    (4, 4) takes a stored voxel's canonical index to where it truly lies on the canonical grid."""

    degrees: float  # the angle between the images' step and their planes' normal
    to_true: np.ndarray  # (4, 4) canonical index -> true canonical index (a shear along `own_axis`)
    own_axis: int  # the canonical axis the images are stacked along (their slices are the images)
    straight: bool = True  # the images' shifts on one line (`MAX_RESIDUAL_PIXELS`): else not corrected

    def grid(self, shape: tuple[int, ...]) -> tuple[np.ndarray, tuple[int, int, int]]:
        """((4, 4) corrected-grid index -> stored canonical index, the corrected grid's shape) for
        a canonical volume of spatial `shape`: the canonical grid, widened and moved by whole voxels
        to hold every stored voxel where it truly lies (the grid's own voxels stay on it)."""
        corners = np.array([[x, y, z, 1.0] for x in (0, shape[0] - 1) for y in (0, shape[1] - 1)
                            for z in (0, shape[2] - 1)]).T  # (4, 8)
        true = self.to_true @ corners
        low = np.floor(true[:3].min(axis=1) + 1e-6)
        high = np.ceil(true[:3].max(axis=1) - 1e-6)
        moved = np.eye(4)
        moved[:3, 3] = low
        size = (high - low + 1).astype(int)
        return np.linalg.inv(self.to_true) @ moved, (int(size[0]), int(size[1]), int(size[2]))

    def resample(self, volume: np.ndarray, nearest: bool, cval: float = 0.0) -> np.ndarray:
        """`volume` (X, Y, Z) or (X, Y, Z, channels), canonical, on the corrected grid (`grid`):
        by nearest neighbour (masks, labels: bool and integer volumes keep their dtype and values)
        or linearly (images, float32); `cval` outside the images (black: the volume's least)."""
        from scipy import ndimage

        if volume.dtype == np.bool_ and volume.ndim == 4 and nearest:  # masks: 32 segments a voxel (`_packed`)
            words = self.resample(_packed(volume), nearest=True)
            bits = np.unpackbits(words.view(np.uint8), axis=-1, count=volume.shape[-1], bitorder="little")
            return bits.view(np.bool_)
        to_stored, shape = self.grid(volume.shape[:3])
        channels = volume.shape[3:]
        matrix = np.eye(3 + len(channels))  # channels are carried through as they are
        matrix[:3, :3] = to_stored[:3, :3]
        offset = np.zeros(3 + len(channels))
        offset[:3] = to_stored[:3, 3]
        source = volume.view(np.uint8) if volume.dtype == np.bool_ else volume
        # nearest: "grid-constant", a point within half a voxel past the volume's edge takes the edge
        # voxel ("constant" took it as outside: a structure at the edge of the field of view lost a
        # third of its voxels on a 20-degree tilt; a shear moves each image whole, so none is lost)
        out = ndimage.affine_transform(source, matrix, offset, output_shape=(*shape, *channels),
                                       output=source.dtype if nearest else np.float32, order=0 if nearest else 1,
                                       mode="grid-constant" if nearest else "constant", cval=cval, prefilter=False)
        return out.view(np.bool_) if volume.dtype == np.bool_ else out


def _packed(masks: np.ndarray) -> np.ndarray:
    """(X, Y, Z, segments) bool as (X, Y, Z, words) uint32, 32 segments a word, bit s of word w
    segment 32 w + s: nearest neighbour moves whole values, so a voxel's segments move together,
    in a 32nd of the work (scipy interpolates in float64, exact for 32-bit words)."""
    bits = np.packbits(masks, axis=-1, bitorder="little")  # (X, Y, Z, bytes)
    padded = np.zeros((*bits.shape[:3], -(-bits.shape[-1] // 4) * 4), np.uint8)
    padded[..., : bits.shape[-1]] = bits
    return padded.view(np.uint32)


def volume_tilt(volume: Any, positions: np.ndarray | None) -> Tilt | None:
    """The tilt of highdicom's `volume` (slices, rows, columns) whose planes' first pixels lie at
    `positions` ((images, 3) LPS mm: a series' ImagePositionPatient, a SEG's frames'): a `Tilt`;
    None where its images lie on its grid (within `MIN_SHIFT_PIXELS`), or positions are missing
    or all in one plane. A tilt whose shifts are no straight line is not `straight`."""
    if positions is None or len(positions) < 2:
        return None
    at = np.asarray(volume.map_reference_to_indices(np.asarray(positions, dtype=np.float64)), dtype=np.float64)
    k = at[:, 0]  # (images,) slice; at[:, 1:], where each image's first pixel is on the grid (row, column)
    if np.ptp(k) < 0.5:
        return None
    design = np.stack([np.ones_like(k), k], axis=1)
    (offset, step), *_ = np.linalg.lstsq(design, at[:, 1:], rcond=None)  # (2,) each: pixels, pixels a slice
    last = volume.spatial_shape[0] - 1
    if max(np.abs(offset).max(), np.abs(offset + last * step).max()) < MIN_SHIFT_PIXELS:
        return None
    straight = bool(np.abs(design @ np.stack([offset, step]) - at[:, 1:]).max() <= MAX_RESIDUAL_PIXELS)
    shear = np.eye(4)  # stored (slice, row, column) -> where it truly lies on the volume's grid
    shear[1:3, 0], shear[1:3, 3] = step, offset
    affine = np.asarray(volume.affine, dtype=np.float64)
    normal, true_step = affine[:3, 0], (affine @ shear)[:3, 0]
    cosine = abs(float(normal @ true_step)) / float(np.linalg.norm(normal) * np.linalg.norm(true_step))
    orientations = _nibabel_orientations()
    ornt = orientations.io_orientation(_RAS_OF_LPS @ affine)
    to_source = orientations.inv_ornt_aff(ornt, volume.spatial_shape)  # canonical index -> volume index
    return Tilt(float(np.degrees(np.arccos(min(1.0, cosine)))), np.linalg.inv(to_source) @ shear @ to_source,
                int(ornt[0, 0]), straight)


def frame_positions(seg: Any) -> np.ndarray | None:
    """(frames, 3) the ImagePositionPatient of each frame of a SEG (LPS mm), from its per-frame
    functional groups (its shared ones for a SEG of one frame); None where a frame has none."""
    found: list[list[float]] = []
    shared: Any = (seg.get("SharedFunctionalGroupsSequence") or [None])[0]
    for item in seg.get("PerFrameFunctionalGroupsSequence") or []:
        planes: Any = item.get("PlanePositionSequence") or (shared.get("PlanePositionSequence") if shared else None)
        if not planes:
            return None
        try:
            found.append([float(v) for v in planes[0].ImagePositionPatient])
        except (AttributeError, TypeError, ValueError, IndexError):
            return None
    return np.asarray(found, dtype=np.float64) if found else None
