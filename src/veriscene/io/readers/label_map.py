"""Medical segmentation label maps: one structure per label value, read into scene graphs of anatomy.

    veriscene convert labelsTr/ --from label_map -r labels=dataset.json -r images=imagesTr/ \\
        -r slice_images=slices/ --out scenes.jsonl

Inputs (`path`):
- a label map: a 2D image whose pixel values are labels (PNG, TIFF, BMP; greyscale, 16-bit or
  palette, never RGB), a NumPy array (`.npy`, 2D or 3D, read with ``allow_pickle=False``), or a
  NIfTI volume (`.nii`, `.nii.gz`; needs nibabel: ``pip install veriscene[medical]``);
- a folder of them (sorted by name);
- a Medical Segmentation Decathlon / nnU-Net folder: its `dataset.json` names the labels
  (``{"labels": {"0": "background", "1": "liver"}}``, or nnU-Net v2's ``{"liver": 1}``) and, in
  ``"training"``, the image and label file of each case.

Label names (`labels`): a JSON file as above, a CSV/TSV (``value,name`` rows, or columns found by
their header: 3D Slicer CSV colour tables, BIDS ``dseg.tsv``), an ITK-SNAP label description
(``value R G B A visible mesh "name"``), a 3D Slicer colour table (``.ctbl``) or a FreeSurfer LUT
(``value name R G B A``): `label_tables`; by default a `dataset.json`, `labels.json`, `labels.csv`,
`labels.tsv`, `labels.txt` or `labels.ctbl` beside the input. Value 0 is background. A value with no name is read
as "label <value>" (counted as ``labels_without_name``). Names are normalised as every reader's:
"kidney_left" becomes "left kidney".

Each 2D map is one scene; a 3D volume gives one scene per slice along `axis` (default 2, the axial
axis of a NIfTI volume), every `step`-th slice, slices holding no label skipped (counted). NIfTI
volumes are turned to the closest canonical (RAS+) orientation and each slice is shown as a
radiologist reads it: the patient's right on the image's left, anterior (axial) or superior
(coronal, sagittal) at the top, and ``meta["orientation"]`` says so: **directions in questions
("leftmost", "to the left of") are the image's**, and a question about left and right says it
(`veriscene.generators.runner.IMAGE_SIDES_NOTE`). NumPy volumes are sliced as stored; pass
``orientation="radiological"`` for those, or 2D maps (chest radiographs), shown that way.

Objects: by default one object per label value present in the scene (its mask may have several
pieces: a liver cut in two by the slice is one liver). Labels whose instances should be counted
(lesions, "kidney" covering both kidneys) are split into connected pieces (8-connected) with
`components`: a comma-separated list of names, or ``all``. Pieces or structures under
`min_pixels` are dropped (counted). Each object has its mask (COCO RLE) and tight box.

Relations, computed from the masks for every pair, so complete: ``touching`` (the masks meet:
one pixel apart, 8-connected; both directions) and ``surrounded by`` (every pixel of A lies
within B's outline in the slice, holes of B filled: a tumour in the liver, not one on its edge).

Images (`images`): for a 2D map, the image of the same file name (or stem) in that folder; for an
MSD folder, each case's image. 3D volumes have no image file per slice: with `slice_images` (a
folder) each slice of the image volume is written there as an 8-bit PNG (intensities between the
slice's 0.5th and 99.5th percentiles; the first channel of a multi-channel volume) and becomes the
scene's image; without it a slice scene has
no image (its `meta` names the volume and slice). Reading needs scipy (connected pieces, filled
outlines): ``pip install veriscene[medical]``.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from veriscene.errors import SceneValidationError
from veriscene.io.readers._base import ReadContext, SceneParts, bad, parse_json
from veriscene.io.readers._images import read_header, upright_array
from veriscene.io.readers.label_tables import LABEL_TABLE_FILES, read_label_table, structure_name
from veriscene.scene.masks import encode_mask
from veriscene.scene.model import RADIOLOGICAL, Scene

IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".bmp")
VOLUME_SUFFIXES = (".nii", ".nii.gz", ".npy")
LABEL_MAP_SUFFIXES = IMAGE_SUFFIXES + VOLUME_SUFFIXES
TOUCHING, SURROUNDED = "touching", "surrounded by"


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return ".nii.gz" if name.endswith(".nii.gz") else path.suffix.lower()


def _stem(path: Path) -> str:
    return path.name[: -len(_suffix(path))] if _suffix(path) else path.name


def is_label_map(path: Path) -> bool:
    return _suffix(path) in LABEL_MAP_SUFFIXES


def _scipy() -> Any:
    try:
        from scipy import ndimage
    except ImportError:
        raise ImportError("reading label maps needs scipy: pip install 'veriscene[medical]'") from None
    return ndimage


# ---- cases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One label map and the image it annotates (None when there is none); or, with `fault`, an
    entry of a `dataset.json` that names no label map, to be reported (`label` is the file)."""

    label: Path
    image: Path | None
    name: str
    fault: str | None = None


def _msd_cases(root: Path, data: dict[str, Any]) -> list[Case]:
    """The cases of an MSD `dataset.json`'s "training" list; an entry without a label path is a
    case holding its fault (reported as a reject of that entry; the others are read)."""
    entries = data.get("training")
    where = root / "dataset.json"
    if not isinstance(entries, list):
        raise ValueError(f"{where}: 'training' must be a list of {{image, label}} entries, got {type(entries).__name__}")
    cases = []
    for k, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("label"), str) or not entry["label"]:
            cases.append(Case(where, None, f"training[{k}]",
                              f"entry has no 'label' path (expected {{\"image\": ..., \"label\": ...}}), got {entry!r}"[:300]))
            continue
        label = (root / entry["label"]).resolve()
        image = (root / entry["image"]).resolve() if isinstance(entry.get("image"), str) else None
        cases.append(Case(label, image, _stem(label)))
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


def find_cases(path: str | os.PathLike[str], images: str | os.PathLike[str] | None = None) -> tuple[list[Case], Path | None]:
    """The cases under `path` and the label table found beside them (None if there is none)."""
    path = Path(path)
    image_dir = Path(images) if images is not None else None
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    root = path if path.is_dir() else path.parent
    table = next((root / n for n in LABEL_TABLE_FILES if (root / n).is_file()), None)
    if path.is_dir() and (path / "dataset.json").is_file():
        try:
            data = parse_json((path / "dataset.json").read_bytes())
        except ValueError as exc:
            raise ValueError(f"{path / 'dataset.json'}: malformed JSON: {exc}") from None
        if isinstance(data, dict) and data.get("training"):
            return _msd_cases(path, data), table
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and is_label_map(p))
        if not files:
            raise FileNotFoundError(f"{path}: no label maps ({', '.join(LABEL_MAP_SUFFIXES)}) in this folder")
    elif not is_label_map(path):
        raise ValueError(f"{path}: not a label map (expected one of {', '.join(LABEL_MAP_SUFFIXES)})")
    else:
        files = [path]
    return [Case(f, _image_beside(f, image_dir), _stem(f)) for f in files], table


# ---- arrays --------------------------------------------------------------------------------


def _nibabel() -> Any:
    try:
        import nibabel
    except ImportError:
        raise ImportError("reading NIfTI volumes needs nibabel: pip install 'veriscene[medical]'") from None
    return nibabel


def load_array(path: Path, labels: bool) -> tuple[np.ndarray, bool]:
    """(array, is_nifti) of a label map (`labels`: 2D or 3D, integers) or of an image volume."""
    suffix = _suffix(path)
    nifti = suffix in (".nii", ".nii.gz")
    if nifti:
        nibabel = _nibabel()
        try:
            array = np.asanyarray(nibabel.as_closest_canonical(nibabel.load(str(path))).dataobj)
        except nibabel.filebasedimages.ImageFileError as exc:
            raise ValueError(str(exc)) from None
    elif suffix == ".npy":
        array = np.load(path, allow_pickle=False)
    else:
        from PIL import Image

        with Image.open(path) as im:
            if im.mode not in ("L", "P", "I", "I;16", "I;16B", "I;16L", "1"):
                raise bad(f"a label map must be one channel of integers (greyscale, 16-bit or palette); "
                          f"this image is {im.mode}", "pixels")
            array = np.asarray(im)
    if array.ndim > 3:
        array = np.squeeze(array)  # NIfTI's trailing axes of length 1
    if not labels and array.ndim == 4:
        array = array[..., 0]  # a multi-channel image volume (MSD's MRI sequences): the first channel
    if array.ndim not in (2, 3) or (not labels and array.ndim != 3):
        raise bad(f"expected a 2D map or a 3D volume, got an array of shape {array.shape}", "pixels")
    if array.size == 0:
        raise bad(f"the {'label map' if labels else 'image volume'} is empty (shape {array.shape})", "pixels")
    if not labels:
        return array, nifti
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.array_equal(array, np.round(array)):
            raise bad("the label map holds values that are not integers", "pixels")
        if np.abs(array).max() > 2**53:  # past this a float is no exact integer (and int64 overflows)
            raise bad(f"the label map holds a value of {np.abs(array).max():g}, too large for a label", "pixels")
        array = array.astype(np.int64)
    elif array.dtype.kind not in "iub":
        raise bad(f"the label map holds {array.dtype} values, not integer labels", "pixels")
    if array.dtype.kind == "i" and array.size and array.min() < 0:
        raise bad(f"the label map holds a negative label ({int(array.min())})", "pixels")
    return array, nifti


def plane(volume: np.ndarray, axis: int, k: int, radiological: bool) -> np.ndarray:
    """Slice k along `axis`; for a canonical (RAS+) NIfTI volume turned as a radiologist reads it:
    rows run down from anterior / superior, columns from the patient's right to left. Axes after
    the three spatial ones (segments of a DICOM SEG) are kept last."""
    cut = volume[(slice(None),) * axis + (k,)]  # a view (np.take would copy the whole volume first)
    return np.ascontiguousarray(cut.swapaxes(0, 1)[::-1, ::-1] if radiological else cut)


# ---- one scene -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    table: dict[int, str]
    split: frozenset[str] | None  # names split into connected pieces; None: all
    min_pixels: int


def _pieces(ndimage: Any, mask: np.ndarray, min_pixels: int) -> tuple[list[np.ndarray], int]:
    """The 8-connected pieces of `mask` of at least `min_pixels`, in label order; and how many were smaller."""
    labelled, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    sizes = np.bincount(labelled.ravel(), minlength=count + 1)
    kept = [labelled == k for k in range(1, count + 1) if sizes[k] >= min_pixels]
    return kept, count - len(kept)


def _box(mask: np.ndarray) -> list[float]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return [float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1)]


def _relations(ndimage: Any, masks: list[np.ndarray], boxes: list[list[float]]) -> list[tuple[int, str, int]]:
    """``touching`` (both ways) and ``surrounded by`` between every pair of masks, from the pixels."""
    height, width = masks[0].shape if masks else (0, 0)
    windows = [(slice(max(int(y0) - 1, 0), min(int(y1) + 1, height)), slice(max(int(x0) - 1, 0), min(int(x1) + 1, width)))
               for x0, y0, x1, y1 in boxes]  # each box and a pixel around it
    grown = [ndimage.binary_dilation(mask[w], structure=np.ones((3, 3), dtype=bool)) for mask, w in zip(masks, windows)]
    filled: dict[int, np.ndarray] = {}  # outlines with holes filled, made for the boxes that hold another
    out: list[tuple[int, str, int]] = []
    for a in range(len(masks)):
        for b in range(len(masks)):
            if a == b:
                continue
            ax0, ay0, ax1, ay1 = boxes[a]
            bx0, by0, bx1, by1 = boxes[b]
            if ax0 > bx1 or bx0 > ax1 or ay0 > by1 or by0 > ay1:
                continue  # more than a pixel apart
            if a < b and np.any(grown[a] & masks[b][windows[a]]):
                out += [(a, TOUCHING, b), (b, TOUCHING, a)]
            if ax0 >= bx0 and ay0 >= by0 and ax1 <= bx1 and ay1 <= by1:  # a's pixels all lie in b's window
                if b not in filled:
                    filled[b] = ndimage.binary_fill_holes(masks[b][windows[b]])
                if not np.any(masks[a][windows[b]] & ~filled[b]):
                    out.append((a, SURROUNDED, b))
    return sorted(out)


def _scene(ctx: ReadContext, opts: Options, labels: np.ndarray, image_id: str, image: str | None,
           meta: dict[str, Any]) -> Scene:
    labels = np.asfortranarray(labels)  # masks cut from it are column-major, as pycocotools encodes them

    def structures() -> Iterator[tuple[int, str, np.ndarray]]:
        for value in np.unique(labels).tolist():
            if value == 0:
                continue
            raw = opts.table.get(value)
            if raw is None:
                raw = f"label {value}"
                ctx.repair("labels_without_name")
            yield value, raw, labels == value

    return structure_scene(ctx, opts, structures(), labels.shape, image_id, image, meta)


def structure_scene(ctx: ReadContext, opts: Options, structures: Iterable[tuple[int, str, np.ndarray]],
                    shape: tuple[int, ...], image_id: str, image: str | None, meta: dict[str, Any]) -> Scene:
    """The scene of one slice from its structures: (number, raw name, boolean mask) each, masks
    column-major (Fortran order) for pycocotools. Masks may overlap (DICOM segments do)."""
    ndimage = _scipy()
    height, width = shape
    parts = SceneParts(ctx)
    masks: list[np.ndarray] = []
    for value, raw, mask in structures:
        name = ctx.name(structure_name(raw), f"labels[{value}]")
        if opts.split is None or name in opts.split:
            pieces, small = _pieces(ndimage, mask, opts.min_pixels)
        elif int(mask.sum()) >= opts.min_pixels:
            pieces, small = [mask], 0
        else:
            pieces, small = [], 1
        if small:
            ctx.repair("small_pieces_dropped", small)
        for k, piece in enumerate(pieces):
            oid = f"{value}" if len(pieces) == 1 else f"{value}.{k + 1}"
            box = _box(piece)
            parts.add(oid, partial(dict, name=name, box=box, attributes=[], mask=encode_mask(piece)),
                      f"labels[{value}]")
            masks.append(piece)
    if not parts.rows:
        raise bad(f"no structure of at least {opts.min_pixels} pixels", "pixels")
    ids = parts.ids
    for s, predicate, o in _relations(ndimage, masks, [r["box"] for r in parts.rows]):
        parts.relate(ids[s], predicate, ids[o], "relations")
    return parts.scene(image_id, width, height, image=image, meta=meta)


def _write_slice(picture: np.ndarray, out: Path) -> None:
    """An 8-bit PNG of one slice, intensities between its 0.5th and 99.5th percentiles."""
    from PIL import Image

    values = picture.astype(np.float64)
    low, high = np.percentile(values, [0.5, 99.5]) if values.size else (0.0, 1.0)
    scaled = np.zeros_like(values) if high <= low else np.clip((values - low) / (high - low), 0.0, 1.0) * 255.0
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    Image.fromarray(np.round(scaled).astype(np.uint8)).save(tmp, format="PNG")
    tmp.replace(out)


def _fit_to_image(ctx: ReadContext, case: Case, labels: np.ndarray) -> np.ndarray:
    """A 2D map as the pixels of its image shown upright (`_images`; the image's header is read,
    not its pixels): masks and boxes are in the map's pixels, so the two must be the same size.
    A map the size of a photo as stored sideways (EXIF orientation 5 to 8; not the size shown)
    was made on the stored pixels and is turned as the photo is (counted as
    ``label_maps_turned_upright``); a map of a square photo, or of one stored mirrored or upside
    down, cannot tell and is taken as made on the upright photo. Any other size raises, naming
    both files."""
    if case.image is None or _suffix(case.image) not in (*IMAGE_SUFFIXES, ".jpg", ".jpeg"):
        return labels
    header = read_header(case.image)
    height, width = labels.shape
    if header is None or header.size == (width, height):
        return labels
    if header.stored == (width, height):
        ctx.repair("label_maps_turned_upright")
        return np.ascontiguousarray(upright_array(labels, header.orientation))
    shown = f" as shown (EXIF orientation {header.orientation} applied)" if header.orientation != 1 else ""
    raise bad(f"the image {case.image} is {header.size[0]}x{header.size[1]}{shown} but the label map {case.label} "
              f"is {width}x{height} (width x height): a map must be the size of the image it annotates",
              "image").located(str(case.label))


def _case_scenes(ctx: ReadContext, opts: Options, case: Case, axis: int, step: int,
                 slice_images: Path | None, orientation: str | None) -> Iterator[Scene]:
    if case.fault is not None:
        ctx.reject(case.name, bad(case.fault, "training"), "file")
        return
    try:
        labels, nifti = load_array(case.label, labels=True)
    except (SceneValidationError, OSError, ValueError, EOFError, zlib.error) as exc:
        error = exc if isinstance(exc, SceneValidationError) else bad(f"cannot read the label map: {exc}"[:300])
        ctx.file_error(error, str(case.label))
        return
    if labels.ndim == 2:
        image = str(case.image) if case.image is not None else None
        if case.image is not None and not case.image.is_file():  # named by a dataset.json, not there
            ctx.report.count("images_not_found")
            image, case = None, Case(case.label, None, case.name)
        meta = {"label_map": str(case.label)}
        if orientation == RADIOLOGICAL:
            meta["orientation"] = RADIOLOGICAL

        def build() -> Scene:
            return _scene(ctx, opts, _fit_to_image(ctx, case, labels), case.name, image, meta)

        scene = ctx.scene(case.label.name, build)
        if scene is not None:
            if image is None:
                ctx.report.count("scenes_without_image")
            yield scene
        return
    axis %= 3
    volume: np.ndarray | None = None
    if case.image is not None and slice_images is not None:
        try:
            volume, _ = load_array(case.image, labels=False)
        except (SceneValidationError, OSError, ValueError, EOFError, zlib.error) as exc:
            ctx.file_error(bad(f"cannot read the image volume: {exc}"[:300], "image"), str(case.image))
            return
        if volume.shape != labels.shape:
            ctx.file_error(bad(f"the image volume has shape {volume.shape}, the label map {labels.shape}", "image"),
                           str(case.image))
            return
    present = set(np.flatnonzero(np.any(labels != 0, axis=tuple(a for a in range(3) if a != axis))).tolist())
    empty = 0
    for k in range(0, labels.shape[axis], step):
        if k not in present:
            empty += 1
            continue
        image_id = f"{case.name}_{'xyz'[axis]}{k:04d}"
        image: str | None = None
        if volume is not None and slice_images is not None:
            out = slice_images / f"{image_id}.png"
            _write_slice(plane(volume, axis, k, nifti), out)
            image = str(out)
        meta = {"label_map": str(case.label), "axis": axis, "slice": k}
        if nifti or orientation == RADIOLOGICAL:
            meta["orientation"] = RADIOLOGICAL
        if case.image is not None:
            meta["image_volume"] = str(case.image)
        cut = plane(labels, axis, k, nifti)
        scene = ctx.scene(f"{case.label.name}[{'xyz'[axis]}={k}]",
                          partial(_scene, ctx, opts, cut, image_id, image, meta))
        if scene is not None:
            if image is None:
                ctx.report.count("scenes_without_image")
            yield scene
    if empty:
        ctx.report.count("empty_slices_skipped", empty)


def split_names(ctx: ReadContext, components: str | bool | None) -> frozenset[str] | None:
    """The `components` option: names counted by connected pieces (normalised), None for all."""
    if components is None or components is False or str(components).strip().lower() in ("", "none", "false"):
        return frozenset()
    if components is True or str(components).strip().lower() in ("all", "true"):
        return None
    return frozenset(ctx.normalizer.name(structure_name(w)) for w in str(components).split(",") if w.strip())


def _count_option(name: str, value: int | str, low: int = 1, high: int | None = None) -> int:
    """An integer option, given as a number or as command-line text ("5")."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        span = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ValueError(f"{name} must be an integer {span}, got {value!r}")
    return value


def read_label_map(
    path: str | os.PathLike[str],
    *,
    labels: str | os.PathLike[str] | None = None,
    images: str | os.PathLike[str] | None = None,
    components: str | bool | None = None,
    min_pixels: int | str = 10,
    axis: int | str = 2,
    step: int | str = 1,
    slice_images: str | os.PathLike[str] | None = None,
    orientation: str | None = None,
    **options: Any,
) -> Iterator[Scene]:
    """Stream scenes from medical label maps (module notes): 2D maps, 3D volumes sliced along
    `axis` every `step` slices, or an MSD folder. `labels` names the label values, `images` is
    the folder of the images, `components` the names counted by connected pieces (or "all"),
    `slice_images` the folder slices of image volumes are written to, `orientation`
    "radiological" for 2D maps or NumPy volumes shown the patient's right on the left (NIfTI
    slices always are)."""
    min_pixels, step = _count_option("min_pixels", min_pixels), _count_option("step", step)
    axis = _count_option("axis", axis, low=-3, high=2)
    if orientation not in (None, RADIOLOGICAL):
        raise ValueError(f"orientation must be {RADIOLOGICAL!r} (or not given), got {orientation!r}")
    _scipy()
    cases, found_table = find_cases(path, images)
    table_path = Path(labels) if labels is not None else found_table
    table = read_label_table(table_path) if table_path is not None else {}
    ctx = ReadContext(path, "label_map", **options)
    opts = Options(table, split_names(ctx, components), min_pixels)
    out_dir = Path(slice_images) if slice_images is not None else None
    for case in cases:
        ctx.source = str(case.label)
        yield from _case_scenes(ctx, opts, case, axis, step, out_dir, orientation)
