"""Label map files: the cases a path holds (a map, a folder of them, an MSD / nnU-Net folder) and
the image each annotates, their arrays read (`load_array`) and sliced (`plane`), and slices of an
image volume written as PNGs (`_write_slice`). See `label_map` for the formats."""

from __future__ import annotations

import os
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from veriscene.io.readers._base import bad, parse_json
from veriscene.io.readers._dicom_tilt import MIN_SHIFT_PIXELS, Tilt
from veriscene.errors import DataError, MissingExtra, ReaderOptionError, SceneValidationError
from veriscene.io.readers._windows import NO_FACTS, PERCENTILE, VolumeFacts, Window, nifti_facts
from veriscene.io.readers.label_tables import LABEL_TABLE_FILES
from veriscene.scene.model import RADIOLOGICAL

IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".bmp")
VOLUME_SUFFIXES = (".nii", ".nii.gz", ".npy")
LABEL_MAP_SUFFIXES = IMAGE_SUFFIXES + VOLUME_SUFFIXES


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return ".nii.gz" if name.endswith(".nii.gz") else path.suffix.lower()


def _stem(path: Path) -> str:
    return path.name[: -len(_suffix(path))] if _suffix(path) else path.name


def is_label_map(path: Path) -> bool:
    return _suffix(path) in LABEL_MAP_SUFFIXES


# ---- cases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One label map and the image it annotates (None when there is none); or, with `fault`, an
    entry of a `dataset.json` that names no label map, to be reported (`label` is the file); or,
    with `structures`, a folder (`label`) of one mask file per structure."""

    label: Path
    image: Path | None
    name: str
    fault: str | None = None
    structures: tuple[Path, ...] = ()  # a folder of one mask per structure (`_structure_files`): its masks
    channel: str | None = None  # what a dataset.json calls the image's first channel ("CT", "T2")


def _msd_cases(root: Path, data: dict[str, Any]) -> list[Case]:
    """The cases of an MSD `dataset.json`'s "training" list; an entry without a label path is a
    case holding its fault (reported as a reject of that entry; the others are read)."""
    entries = data.get("training")
    where = root / "dataset.json"
    if not isinstance(entries, list):
        raise ValueError(f"{where}: 'training' must be a list of {{image, label}} entries, got {type(entries).__name__}")
    channels = data.get("channel_names") or data.get("modality")  # nnU-Net v2's, MSD's: {"0": "CT"}
    channel = channels.get("0") if isinstance(channels, dict) else None
    channel = channel if isinstance(channel, str) and channel.strip() else None
    cases = []
    for k, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("label"), str) or not entry["label"]:
            cases.append(Case(where, None, f"training[{k}]",
                              f"entry has no 'label' path (expected {{\"image\": ..., \"label\": ...}}), got {entry!r}"[:300]))
            continue
        label = (root / entry["label"]).resolve()
        image = (root / entry["image"]).resolve() if isinstance(entry.get("image"), str) else None
        cases.append(Case(label, image, _stem(label), channel=channel))
    return cases


def _image_beside(label: Path, images: Path | None) -> Path | None:
    if images is None:
        return None
    same = images / label.name
    if same.is_file():
        return same
    stem = _stem(label)
    for suffix in (*IMAGE_SUFFIXES, ".jpg", ".jpeg", *VOLUME_SUFFIXES):
        for name in (stem + suffix, stem + "_0000" + suffix):  # nnU-Net names channel 0 "_0000"
            if (images / name).is_file():
                return images / name
    return None


def find_cases(path: str | os.PathLike[str], images: str | os.PathLike[str] | None = None,
               structure_files: bool = False) -> tuple[list[Case], Path | None]:
    """The cases under `path` and the label table found beside them (None if there is none);
    folders of one mask per structure first (`_structure_files`, forced by `structure_files`)."""
    from veriscene.io.readers._structure_files import structure_cases

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    image_dir = Path(images) if images is not None else None
    if image_dir is not None and not image_dir.exists():
        raise FileNotFoundError(f"images: {image_dir}: no such file or folder")
    if structure_files and not path.is_dir():
        raise ReaderOptionError(f"{path}: structure_files reads a folder of one mask per structure, not a file "
                                "(leave it out for a label map file)", option="structure_files", value=True)
    by_structure = structure_cases(path, images, structure_files)
    if by_structure is not None:
        _check_structure_images(path, image_dir, by_structure)
        return by_structure, None
    root = path if path.is_dir() else path.parent
    table = next((root / n for n in LABEL_TABLE_FILES if (root / n).is_file()), None)
    if path.is_dir() and (path / "dataset.json").is_file():
        try:
            data = parse_json((path / "dataset.json").read_bytes())
        except ValueError as exc:
            raise DataError(f"{path / 'dataset.json'}: malformed JSON: {exc}") from None
        if isinstance(data, dict) and data.get("training"):
            if image_dir is not None:
                raise ReaderOptionError(f"images={image_dir}: the dataset.json of {path} names each case's image "
                                        "(its 'training' entries); leave images out", option="images", value=str(image_dir))
            return _msd_cases(path, data), table
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and is_label_map(p))
        if not files:
            raise FileNotFoundError(f"{path}: no label maps ({', '.join(LABEL_MAP_SUFFIXES)}) in this folder")
    elif not is_label_map(path):
        raise ValueError(f"{path}: not a label map (expected one of {', '.join(LABEL_MAP_SUFFIXES)})")
    else:
        files = [path]
    if image_dir is not None and image_dir.is_file():  # the image of the one label map (a CT and its segmentation)
        if len(files) > 1:
            raise ReaderOptionError(f"images={image_dir} is one file, but {path} holds {len(files)} label maps: give "
                                    "the folder of their images (each matched by file name)", option="images",
                                    value=str(image_dir))
        return [Case(files[0], image_dir, _stem(files[0]))], table
    return [Case(f, _image_beside(f, image_dir), _stem(f)) for f in files], table


def _check_structure_images(path: Path, image_dir: Path | None, cases: list[Case]) -> None:
    """Refuse an `images` option the folders of one mask per structure would not use: a folder
    (the image is one volume, a file), or one volume for several subjects (each has its own)."""
    if image_dir is None:
        return
    if image_dir.is_dir():
        raise ReaderOptionError(f"images={image_dir} is a folder; for a folder of one mask per structure give the "
                                "image volume file (ct.nii.gz)", option="images", value=str(image_dir))
    if len(cases) > 1:
        raise ReaderOptionError(f"images={image_dir} is one image volume, but {path} holds {len(cases)} subjects: "
                                "leave images out (each subject's ct.nii.gz beside its segmentations/ folder is "
                                "read)", option="images", value=str(image_dir))


# ---- arrays --------------------------------------------------------------------------------


def _nibabel() -> Any:
    try:
        import nibabel
    except ImportError:
        raise MissingExtra("reading NIfTI volumes", "medical", "nibabel") from None
    return nibabel


class Grid(NamedTuple):
    """Where a NIfTI volume's canonical voxels come from: their size in mm along the canonical axes,
    and the file's own (RAS) affine, which says how the canonical turn reordered its axes."""

    voxel_mm: tuple[float, ...]
    affine: np.ndarray
    header: Any = None  # the file's NIfTI header (its extensions may hold a label table)

    def stored_slice(self, axis: int, k: int, length: int) -> list[int]:
        """[the file's voxel axis, index] of slice k of `length` along canonical `axis`: where it
        is in the file as stored (nibabel's array, ITK-SNAP's slice numbers from 0), which the
        turn may have reversed (a volume stored from the head down: its slice 0 is canonical 63)."""
        from nibabel import orientations

        ornt = orientations.io_orientation(self.affine)
        source = int(np.flatnonzero(ornt[:, 0] == axis)[0])
        return [source, length - 1 - k if ornt[source, 1] < 0 else k]


def nifti_grid(img: Any, canonical: Any) -> Grid:
    return Grid(tuple(float(z) for z in canonical.header.get_zooms()[:3]), np.asarray(img.affine, dtype=np.float64),
                img.header)


# ---- sheared affines ------------------------------------------------------------------------
# A NIfTI whose affine's columns are not square to each other: a CT series of tilted gantry (or an
# oblique stack) converted without tilt correction (dcm2niix -y n, older versions) stores its images
# as they are, its slice axis stepping off their normal. Its slices across the images (coronal,
# sagittal of an axial series) are sheared as `_dicom_tilt` says of a DICOM series; the same
# correction applies (reader option ``tilt``) where the shear is that one: the file's two in-plane
# axes square to each other, the slice axis (the header's slice_dim, else the third) leaning by at
# most `MAX_TILT_DEGREES`. Any other shear (the images' own axes skewed, or a lean no gantry
# makes) is kept, counted and warned of per file: nothing is guessed.
MAX_TILT_DEGREES = 30.0  # as `_dicom_files.MAX_TILT_DEGREES`: a gantry tilts no further


class Shear(NamedTuple):
    """How a NIfTI volume's voxels lie off a square grid (`affine_shear`): `tilt` in canonical
    indices (its `straight` False where it is not corrected, `why`), and the voxel size in mm
    along the canonical axes of the corrected grid (the slice axis' is the step along the true
    normal: the stored step times cos(tilt))."""

    tilt: Tilt
    true_mm: tuple[float, ...]
    why: str | None = None  # why it is not corrected; None: it can be
    every_plane: bool = False  # the images' own axes skewed: every plane is sheared, theirs too


def _angle(u: np.ndarray, v: np.ndarray) -> float:
    """Degrees between vectors u and v off square (0: perpendicular)."""
    cosine = abs(float(u @ v)) / float(np.linalg.norm(u) * np.linalg.norm(v))
    return float(np.degrees(np.arcsin(min(1.0, cosine))))


def affine_shear(grid: Grid, canonical_shape: tuple[int, ...]) -> Shear | None:
    """The shear of a NIfTI volume on `grid`, read turned canonical (`canonical_shape`, 3 axes):
    None where its voxels lie within `MIN_SHIFT_PIXELS` of a square grid (first to last voxel,
    along each axis)."""
    from nibabel import orientations

    matrix = np.asarray(grid.affine, dtype=np.float64)[:3, :3]  # (3, 3): the file's voxel axes in mm (columns)
    ornt = orientations.io_orientation(grid.affine)  # (3, 2): file axis -> (canonical axis, flip)
    shape = tuple(int(canonical_shape[int(ornt[source, 0])]) for source in range(3))  # the file's
    slice_dim = _slice_dim(grid.header)
    own = slice_dim if slice_dim is not None else 2
    a, b = (axis for axis in range(3) if axis != own)
    ca, cb, cs = matrix[:, a], matrix[:, b], matrix[:, own]
    # in pixels, how far the images' axes run off square across the image, and the stack across its slices
    skew = max(abs(float(ca @ cb)) / float(ca @ ca) * (shape[b] - 1), abs(float(ca @ cb)) / float(cb @ cb) * (shape[a] - 1))
    step = np.array([float(cs @ ca) / float(ca @ ca), float(cs @ cb) / float(cb @ cb)])  # file pixels a slice
    lean = float(np.abs(step).max()) * (shape[own] - 1)
    if skew < MIN_SHIFT_PIXELS and lean < MIN_SHIFT_PIXELS:
        return None
    normal = np.cross(ca, cb)
    true_step = normal * float(cs @ normal) / float(normal @ normal)  # the slice axis' part along the normal
    to_source = orientations.inv_ornt_aff(ornt, shape)  # canonical index -> file index
    shear = np.eye(4)  # stored file index -> where it truly lies on the square grid (file axes a, b, normal)
    shear[a, own], shear[b, own] = step
    to_true = np.linalg.inv(to_source) @ shear @ to_source
    degrees = 90.0 - _angle(cs, normal)  # the slice axis' lean off the images' normal
    true_mm = [0.0, 0.0, 0.0]
    for source, size in enumerate(np.linalg.norm(matrix, axis=0)):
        true_mm[int(ornt[source, 0])] = float(np.linalg.norm(true_step)) if source == own else float(size)
    own_canonical = int(ornt[own, 0])
    if skew >= MIN_SHIFT_PIXELS:
        skewed = _angle(ca, cb)
        return Shear(Tilt(max(degrees, skewed), to_true, own_canonical, straight=False), tuple(true_mm),
                     f"the images' own axes are {skewed:.1f} degrees off square", every_plane=True)
    if degrees > MAX_TILT_DEGREES:
        return Shear(Tilt(degrees, to_true, own_canonical, straight=False), tuple(true_mm),
                     f"its slices lean more than a gantry tilts ({MAX_TILT_DEGREES:g} degrees)")
    return Shear(Tilt(degrees, to_true, own_canonical), tuple(true_mm))


def _slice_dim(header: Any) -> int | None:
    """The file's slice axis as its NIfTI header's dim_info says (0, 1, 2), or None."""
    try:
        found = header.get_dim_info()[2]
    except (AttributeError, TypeError, ValueError, IndexError):
        return None
    return int(found) if found in (0, 1, 2) else None


def _cifti_kind(img: Any) -> str:
    """What a CIFTI-2 file holds, from its NIfTI intent ("ConnDense": a dense connectivity matrix)."""
    try:
        return f"intent {img.nifti_header.get_intent()[0]}, shape {tuple(img.shape)}"
    except (AttributeError, TypeError, ValueError, KeyError, IndexError):
        return f"shape {tuple(getattr(img, 'shape', ()))}"


def load_array(path: Path, labels: bool) -> tuple[np.ndarray, bool, Grid | None]:
    """(array, is_nifti, its `Grid` for NIfTI) of a label map (`labels`: 2D or 3D, integers) or
    of an image volume."""
    suffix = _suffix(path)
    nifti = suffix in (".nii", ".nii.gz")
    grid: Grid | None = None
    if nifti:
        nibabel = _nibabel()
        try:
            img = nibabel.load(str(path))
            if not isinstance(img, nibabel.spatialimages.SpatialImage):  # a CIFTI-2 file: no voxel grid to slice
                raise bad(f"a CIFTI-2 file ({_cifti_kind(img)}), not a volume: "
                          "its values lie on surface vertices and brain structures (grayordinates), not on a "
                          "voxel grid to slice; give the NIfTI label volume (.nii, .nii.gz)", "pixels")
            canonical = nibabel.as_closest_canonical(img)
            array = np.asanyarray(canonical.dataobj)
        except nibabel.filebasedimages.ImageFileError as exc:
            raise ValueError(str(exc)) from None
        grid = nifti_grid(img, canonical)
    elif suffix == ".npy":
        array = np.load(path, allow_pickle=False)
    else:
        from PIL import Image

        with Image.open(path) as im:
            if im.mode not in ("L", "P", "I", "I;16", "I;16B", "I;16L", "1"):
                raise bad(f"a label map must be one channel of integers (greyscale, 16-bit or palette); "
                          f"this image is {im.mode}", "pixels")
            array = np.asarray(im)
    stored = array.shape  # (said in the errors: a squeezed shape is not the file's)
    if array.ndim > 3:
        array = np.squeeze(array)  # NIfTI's trailing axes of length 1
    if not labels and array.ndim == 4:
        array = array[..., 0]  # a multi-channel image volume (MSD's MRI sequences): the first channel
    if array.ndim not in (2, 3) or (not labels and array.ndim != 3):
        raise bad(f"expected a 2D map or a 3D volume, got an array of shape {stored}", "pixels")
    if array.size == 0:
        raise bad(f"the {'label map' if labels else 'image volume'} is empty (shape {array.shape})", "pixels")
    if not labels:
        return array, nifti, grid
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.array_equal(array, np.round(array)):
            raise bad("the label map holds values that are not integers", "pixels")
        largest = float(np.abs(array).max())  # (a float16's own 2**53 is inf: numpy warned of the cast)
        if largest > 2**53:  # past this a float is no exact integer (and int64 overflows)
            raise bad(f"the label map holds a value of {largest:g}, too large for a label", "pixels")
        array = array.astype(np.int64)
    elif array.dtype.kind not in "iub":
        raise bad(f"the label map holds {array.dtype} values, not integer labels", "pixels")
    if array.dtype.kind == "i" and array.size and array.min() < 0:
        raise bad(f"the label map holds a negative label ({int(array.min())})", "pixels")
    fault = _intensity_image_fault(array)
    if fault is not None:
        raise bad(fault, "pixels")
    return array, nifti, grid


# An intensity image (an MR, a CT stored without rescale, a greyscale photo) given as a label map
# would be read as hundreds of "structures" of one grey level each. A label map is regions of one
# value: next to a labelled pixel, another labelled pixel almost always holds the same label (in
# pydicom's and nibabel's test images, 98-99.9% of neighbouring non-zero pixels differ; in a map of
# 1,000 or 5,000 parcels of a 64^3 volume, 20% and 34%).
_DIFFERING_NEIGHBOURS = 0.8  # above this share of differing neighbours (and `_MANY_VALUES`): an image
_MANY_VALUES = 64  # a map with no more values than this is taken as labels whatever its texture
_SAMPLED_SLICES = 16  # slices of a volume looked at (evenly spaced along its last axis)


def _intensity_image_fault(array: np.ndarray) -> str | None:
    """Why `array` (a 2D map or a 3D volume of non-negative integers) is an intensity image rather
    than a label map (`_DIFFERING_NEIGHBOURS`), or None; judged on up to `_SAMPLED_SLICES` slices."""
    if array.ndim == 3:
        picks = np.unique(np.linspace(0, array.shape[2] - 1, min(_SAMPLED_SLICES, array.shape[2])).round().astype(int))
        planes = [array[:, :, k] for k in picks]
    else:
        planes = [array]
    pairs = differing = 0
    for cut in planes:
        for a, b in ((cut[1:], cut[:-1]), (cut[:, 1:], cut[:, :-1])):  # neighbours down and across
            both = (a != 0) & (b != 0)
            pairs += int(np.count_nonzero(both))
            differing += int(np.count_nonzero(both & (a != b)))
    if pairs == 0 or differing <= _DIFFERING_NEIGHBOURS * pairs:
        return None
    values = len(np.unique(np.concatenate([cut[cut != 0] for cut in planes])))
    if values <= _MANY_VALUES:
        return None
    return (f"an intensity image, not a label map: {values} different values in {len(planes)} "
            f"slice{'s' if len(planes) > 1 else ''} looked at, and {100 * differing / pairs:.0f}% of neighbouring "
            "labelled pixels differ in value (in a label map each structure is a region of one value); give its "
            "segmentation, and this file as its image (images=...)")


def plane(volume: np.ndarray, axis: int, k: int, radiological: bool) -> np.ndarray:
    """Slice k along `axis`; for a canonical (RAS+) NIfTI volume turned as a radiologist reads it:
    rows run down from anterior / superior, columns from the patient's right to left. Axes after
    the three spatial ones (segments of a DICOM SEG) are kept last."""
    cut = volume[(slice(None),) * axis + (k,)]  # a view (np.take would copy the whole volume first)
    return np.ascontiguousarray(cut.swapaxes(0, 1)[::-1, ::-1] if radiological else cut)


# The plane of a slice of a canonical (RAS+) volume along axis 0, 1, 2.
PLANES = ("sagittal", "coronal", "axial")


def canonical_voxel_mm(affine_ras: np.ndarray) -> tuple[float, ...]:
    """The voxel size in mm along the axes of a volume of this (RAS) affine once turned to the
    closest canonical orientation (the lengths of the affine's columns, reordered)."""
    from nibabel import orientations

    sizes = np.linalg.norm(np.asarray(affine_ras, dtype=np.float64)[:3, :3], axis=0)
    out = [0.0, 0.0, 0.0]
    for source, (target, _) in enumerate(orientations.io_orientation(affine_ras)):
        out[int(target)] = float(sizes[source])
    return tuple(out)


def slice_meta(axis: int, k: int, voxel_mm: tuple[float, ...] | None,
               stored: list[int] | None = None) -> dict[str, Any]:
    """The `meta` of slice k along `axis` of a canonical volume shown radiologically (`plane`):
    its plane, and with the voxel size, the size of one of the slice's pixels in mm, width then
    height (an axial slice of 0.8 x 0.8 x 5 mm voxels has pixels of 0.8 x 0.8 mm, a coronal one
    0.8 x 5: drawn square, it looks squashed 6 to 1, though areas compare as they would in mm);
    `stored`, where the slice is in the file (`Grid.stored_slice`)."""
    meta: dict[str, Any] = {"axis": axis, "slice": k, "plane": PLANES[axis], "orientation": RADIOLOGICAL}
    if voxel_mm is not None:
        across, down = (a for a in range(3) if a != axis)  # `plane` shows the second down, the first across
        meta["pixel_size_mm"] = [round(voxel_mm[across], 4), round(voxel_mm[down], 4)]
    if stored is not None:
        meta["stored_slice"] = stored
    return meta


def _resample(picture: np.ndarray, size: tuple[int, int], nearest: bool) -> np.ndarray:
    """`picture` (rows, columns[, segments]) at `size` (rows, columns), pixel centres aligned:
    the nearest pixel (masks and labels: a pixel is in a structure or not) or linear (intensities)."""
    out = picture
    for ax, new in enumerate(size):
        n = out.shape[ax]
        if new == n:
            continue
        where = (np.arange(new) + 0.5) * n / new - 0.5  # each new pixel centre, in old pixels
        if nearest:
            out = np.take(out, np.clip(np.floor(where + 0.5).astype(np.intp), 0, n - 1), axis=ax)
            continue
        low = np.clip(np.floor(where).astype(np.intp), 0, n - 1)
        weight = np.clip(where - low, 0.0, 1.0).reshape([-1 if a == ax else 1 for a in range(out.ndim)])
        out = np.take(out, low, axis=ax) * (1.0 - weight) + np.take(out, np.minimum(low + 1, n - 1), axis=ax) * weight
    return out


def squared_slice(meta: dict[str, Any], cut: np.ndarray,
                  picture: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """A slice (`cut`: labels or masks, `picture`: its image) of pixels that are not square
    (`meta["pixel_size_mm"]`: a coronal slice of 5 mm CT slices, 0.8 x 5 mm) resampled to square
    pixels of the finer side, so it is drawn in its true proportions (it looked squashed 6 to 1);
    `meta` then gives the new pixel size and `resampled_from`, the slice's size in voxels. Square
    pixels (within 1%) are left as they are."""
    pixel_mm = meta.get("pixel_size_mm")
    if pixel_mm is None or max(pixel_mm) <= min(pixel_mm) * 1.01:
        return cut, picture
    fine = min(pixel_mm)
    rows, cols = cut.shape[:2]
    size = (max(1, round(rows * pixel_mm[1] / fine)), max(1, round(cols * pixel_mm[0] / fine)))
    meta["pixel_size_mm"] = [round(pixel_mm[0] * cols / size[1], 4), round(pixel_mm[1] * rows / size[0], 4)]
    meta["resampled_from"] = [cols, rows]
    squared = np.asfortranarray(_resample(cut, size, nearest=True))
    return squared, (_resample(picture.astype(np.float64), size, nearest=False) if picture is not None else None)


def _sheared_apart(labels: Grid, image: Grid, shape: tuple[int, ...], of: str) -> str | None:
    """What to say of an image volume on `image` whose affine is not that of the labels (`of`) on
    `labels`, both of canonical `shape` (one voxel count: one voxel grid, as always taken), where
    either is sheared (`affine_shear`); None where their affines agree (1e-3) or both are square.
    The usual cause: one of them written by a tool that keeps no shear (ITK's NIfTI writer, as
    nnU-Net's predictions are: a square affine on the sheared image's voxels), or one tilt-corrected
    onto as many voxels (then their voxels differ: nothing here can tell)."""
    if np.allclose(labels.affine, image.affine, atol=1e-3):
        return None
    theirs, its = affine_shear(labels, shape), affine_shear(image, shape)
    if theirs is None and its is None:
        return None

    def said(shear: Shear | None, affine: np.ndarray) -> str:
        how = "square" if shear is None else f"sheared, {shear.tilt.degrees:.1f} degrees"
        return f"{how}: {np.round(affine, 3).tolist()}"

    return (f"the image volume's affine ({said(its, image.affine)}) is not that of {of} ({said(theirs, labels.affine)}): "
            "its voxels are taken as the labels' (the same shape), and the labels' affine rules how both are sliced "
            "(a tilt corrected or kept); counted as image_affines_unlike_labels. One written by a tool that keeps "
            "no shear (ITK's NIfTI writer: nnU-Net's predictions)? Give the labels the image's affine to have its "
            "tilt corrected")


def image_volume(ctx: Any, image: Path, shape: tuple[int, ...], of: str, channel: str | None = None,
                 labels: Grid | None = None) -> tuple[np.ndarray | None, bool, VolumeFacts]:
    """(the image volume at `image`, True, what its file says of it: `nifti_facts`, with
    `channel` a dataset.json's name of its first channel); or (None, False, no facts) once it is
    reported (`ctx.file_error`) as unreadable, or of another shape than `of` ("the masks", "the
    label map") has. Given the labels' `Grid`, an image of another affine where either is sheared
    is read as theirs, counted (``image_affines_unlike_labels``) and warned of (`_sheared_apart`)."""
    try:
        volume, _, grid = load_array(image, labels=False)
    except (SceneValidationError, OSError, ValueError, EOFError, zlib.error) as exc:
        ctx.file_error(bad(f"cannot read the image volume: {exc}"[:300], "image"), str(image))
        return None, False, NO_FACTS
    if volume.shape != tuple(shape):
        ctx.file_error(bad(f"the image volume has shape {volume.shape}, {of} {tuple(shape)}: they must be of one "
                           "voxel grid (is it the image these were drawn on?)", "image"), str(image))
        return None, False, NO_FACTS
    apart = _sheared_apart(labels, grid, tuple(shape), of) if labels is not None and grid is not None else None
    if apart is not None:
        ctx.report.count("image_affines_unlike_labels")
        warnings.warn(f"{image}: {apart}", stacklevel=4)
    if grid is not None:
        return volume, True, nifti_facts(grid.header, channel)
    return volume, True, nifti_facts({}, channel)


def slice_png(picture: np.ndarray | None, slice_images: Path | None, image_id: str,
              window: Window = PERCENTILE, meta: dict[str, Any] | None = None) -> str | None:
    """Write a slice's picture as `slice_images/<image_id>.png` through `window` (`_windows`),
    said in `meta["window"]`; its path, or None without a picture or a folder to write it in."""
    if picture is None or slice_images is None:
        return None
    out = slice_images / f"{image_id}.png"
    _write_slice(picture, out, window)
    if meta is not None:
        meta["window"] = window.meta()
    return str(out)


def count_skipped(report: Any, empty: int, small: int) -> None:
    """Count a volume's slices left out: without structures, or with slivers below min_pixels."""
    if empty:
        report.count("empty_slices_skipped", empty)
    if small:
        report.count("slices_below_min_pixels", small)


def _write_slice(picture: np.ndarray, out: Path, window: Window = PERCENTILE) -> None:
    """An 8-bit PNG of one slice through `window` (by default between the slice's 0.5th and
    99.5th percentiles)."""
    from PIL import Image

    # (here: a reader loads the writers only when it writes a picture)
    from veriscene.io.writers.files import temporary_sibling

    out.parent.mkdir(parents=True, exist_ok=True)
    # through a name of its own: two conversions writing one slice folder (which no run lock
    # covers) each write a whole PNG, and a failure leaves none behind
    tmp = temporary_sibling(out)
    try:
        Image.fromarray(window.to_8bit(picture)).save(tmp, format="PNG")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)  # (gone after the rename)
