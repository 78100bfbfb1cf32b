"""Dense depth maps: the file a scene's ``depth_map`` names, read into an (H, W) float32 array.

What a depth map file is:
- ``.npy``: a 2-D array (H, W) of floats or integers (read with ``allow_pickle=False``).
- ``.png``: a 16-bit grayscale PNG (Pillow mode ``I;16``/``I``), as NYU Depth v2, SUN RGB-D and
  ScanNet store depth (millimetres) and KITTI (1/256 m). An 8-bit or colour PNG is refused: it is
  a picture of depth (a colour map, 256 levels), not depth.
- (H, W) must be the scene's (height, width): the map holds the scene's pixels shown.

What the values mean: ``meta["depth_map_encoding"]`` of the scene says it, one of `ENCODINGS`:
- ``"depth"`` (the default): distance from the camera, **smaller = closer**, as per-object depth
  (`Scene.depth`). Any linear unit: only the order of two values and their ratio are read, so
  metres, millimetres and KITTI's 1/256 m give the same questions.
- ``"inverse"``: inverse depth or disparity, **larger = closer**, known up to a scale but not a
  shift (a stereo disparity, metric inverse depth); read as depth ``1 / v``.
- ``"relative"``: smaller = closer, known only up to a scale and a shift (a model's inverse depth
  flipped, ``max - v``, as `annotate` writes it): only the order is read, and how far apart two
  values are is measured as a share of the map's range (`value_range`), not as a ratio.
- ``"relative_inverse"``: **larger = closer**, known only up to a scale and a shift: a monocular
  model's disparity as it gives it (MiDaS, DPT, Depth Anything: "affine-invariant inverse depth"),
  and ProVision's 0-255 maps (Depth Anything V2's output stretched to 0-255 per image: 0 is the
  image's farthest pixel, 255 its nearest); read as ``-v`` (smaller = closer, the same order and
  range) and then as "relative". Read as "inverse", ``1 / v`` of such a map is no depth: its shift
  is unknown (the farthest pixel's 0 became "no depth", and two far pixels 20 and 23 of 255 were
  "15 % apart"). ProVision scenes converted before 0.29.0 say "inverse": their maps are refused,
  naming the fix (`scene.provision_depth`).
Nothing is guessed: a map of inverse depth read as depth asks every question the wrong way round,
so say it. A value that is NaN or infinite is "no depth there", and for "depth" and "inverse" one
that is zero or negative too (sensors write 0 where they measured nothing); for the relative
encodings 0 and less are values like any other.

Paths: absolute, or relative to the folder of the scene's file, as `Scene.image` is (`anchored`,
applied by `generate`'s workers and by `verify`), or a URL (``s3://``, ``gs://``, ``https://``: a
map named so, or relative to a scene file read from one). A map at a URL is read through its local
copy, as images at URLs are (`engine.downloads.fetch_file`: kept in ``VERISCENE_DOWNLOADS`` and
downloaded again only when the object changes); an error names the scene and the URL.

Maps of a photo's stored pixels: ``meta["depth_map_exif_orientation"]`` (1 to 8, default 1) says
the file holds the stored pixels of a photo of that EXIF orientation (a depth model that read a
phone's sideways photo with Pillow alone; a scene drawn on the stored pixels, mapped onto the photo
shown by a reader's ``drawn_on``). The map is turned as `ImageOps.exif_transpose` turns the photo
(`scene.orientations.upright_array`, pixel for pixel) before its shape is checked and its values
read: the file is never rewritten.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from veriscene.errors import SceneValidationError
from veriscene.scene import provision_depth
from veriscene.scene.model import Scene
from veriscene.scene.orientations import ORIENTATIONS, upright_array

ENCODINGS = ("depth", "inverse", "relative", "relative_inverse")  # meta["depth_map_encoding"] (module notes)
RELATIVE = ("relative", "relative_inverse")  # known up to a scale and a shift: order and share of the range read
ENCODING_KEY = "depth_map_encoding"
ORIENTATION_KEY = "depth_map_exif_orientation"  # of the photo whose stored pixels the file holds (module notes)
_PNG16_MODES = ("I;16", "I;16B", "I;16L", "I")  # how Pillow opens a 16-bit grayscale PNG


class DepthMapError(SceneValidationError):
    """A depth map file that is missing, unreadable or does not fit its scene (the message names
    the file and the scene)."""


def anchored(scene: Scene, folder: str | os.PathLike[str] | None) -> Scene:
    """`scene` with a relative ``depth_map`` made relative to `folder`, that of its scene file
    (as image paths are read); as it is when it has no map, an absolute one, a URL, or no folder.
    Under a folder URL (scenes read from one) it becomes a URL, read from the store: left
    relative, it was read from the working directory, a file of that name there or none."""
    path = scene.depth_map
    if path is None or folder is None or os.path.isabs(path) or "://" in path:
        return scene
    if "://" in str(folder):
        return replace(scene, depth_map=f"{str(folder).rstrip('/')}/{path}")
    return replace(scene, depth_map=os.path.join(folder, path))


def encoding_of(scene: Scene) -> str:
    """The scene's ``meta["depth_map_encoding"]`` ("depth" when not given); DepthMapError for
    another value, and for the "inverse" of a ProVision scene converted before 0.29.0, whose map
    is "relative_inverse" (`scene.provision_depth`: the message names the file and the fix)."""
    encoding = scene.meta.get(ENCODING_KEY, "depth")
    if encoding not in ENCODINGS:
        raise DepthMapError(f"scene {scene.image_id!r}: meta.{ENCODING_KEY} must be one of {', '.join(ENCODINGS)}, "
                            f"got {str(encoding)[:80]!r}", field=f"meta.{ENCODING_KEY}")
    if encoding == "inverse" and provision_depth.misread(scene):
        raise DepthMapError(provision_depth.message(scene), field=f"meta.{ENCODING_KEY}")
    return str(encoding)


def orientation_of(scene: Scene) -> int:
    """The scene's ``meta["depth_map_exif_orientation"]`` (1, the map lays on the scene as stored,
    when not given); DepthMapError for another value than 1 to 8."""
    turn = scene.meta.get(ORIENTATION_KEY, 1)
    if isinstance(turn, bool) or not isinstance(turn, int) or turn not in ORIENTATIONS:
        raise DepthMapError(f"scene {scene.image_id!r}: meta.{ORIENTATION_KEY} must be an EXIF orientation, 1 to 8 "
                            f"(that of the photo whose stored pixels the map holds), got {str(turn)[:80]!r}",
                            field=f"meta.{ORIENTATION_KEY}")
    return turn


class DepthPixels:
    """A scene's depth map read a pixel at a time (`open_depth_map`): the file's values as stored
    (an .npy memory-mapped, not read whole; a PNG decoded, 2 bytes a pixel), each turned into
    depth as `load_depth_map` turns the whole map, the same float32 arithmetic. What `verify`
    keeps of a scene's map in each context it caches: a few pages, not the map."""

    def __init__(self, raw: np.ndarray, encoding: str) -> None:
        self.raw, self.encoding = raw, encoding

    def at(self, row: int, col: int) -> float:
        """The depth at pixel (row, col), smaller = closer; NaN where there is none."""
        value = np.float32(self.raw[row, col])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if not np.isfinite(value) or (self.encoding not in RELATIVE and value <= 0):
                return float("nan")
            if self.encoding == "relative_inverse":
                return float(-value)
            if self.encoding == "inverse":
                value = np.float32(1.0) / value
                if not np.isfinite(value):
                    return float("nan")
        return float(value)


def open_depth_map(scene: Scene) -> DepthPixels:
    """The depth map of `scene`, checked as `load_depth_map` checks it, read a pixel at a time."""
    return DepthPixels(_raw_map(scene, mmap=True), encoding_of(scene))


def load_depth_map(scene: Scene) -> np.ndarray:
    """The depth map of `scene` as an (H, W) float32 array of depth, smaller = closer, NaN where
    there is none. DepthMapError (naming the file and the scene) when the scene names no map, or
    the file is missing, unreadable, of another shape or of no number type."""
    encoding = encoding_of(scene)
    values = _raw_map(scene).astype(np.float32)  # (a copy: the file's array is never written to)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        none = ~np.isfinite(values)
        if encoding not in RELATIVE:  # (a shifted map may hold 0 and less anywhere)
            none |= values <= 0
        if encoding == "relative_inverse":  # larger = closer: flipped, order and range kept
            np.negative(values, out=values)
        if encoding == "inverse":
            values = np.float32(1.0) / values
            none |= ~np.isfinite(values)
    values[none] = np.nan
    return values


def _raw_map(scene: Scene, mmap: bool = False) -> np.ndarray:
    """The values of `scene`'s map file as stored, turned by its EXIF orientation (a view) and
    checked (module notes); an .npy memory-mapped with `mmap`. DepthMapError naming the file (its
    URL) and the scene."""
    path = scene.depth_map
    if path is None:
        raise DepthMapError(f"scene {scene.image_id!r} names no depth map", field="depth_map")
    where = f"depth map {path} of scene {scene.image_id!r}"
    encoding_of(scene)  # (a bad encoding and orientation are said before the file is read)
    turn = orientation_of(scene)
    local = _local_file(path, where)
    suffix = Path(urlsplit(path).path if "://" in path else path).suffix.lower()
    try:
        if suffix == ".npy":
            raw = np.load(local, mmap_mode="r" if mmap else None, allow_pickle=False)
        elif suffix == ".png":
            raw = _png16(local, where)
        else:
            raise DepthMapError(f"{where}: not a kind of depth map read here ({suffix or 'no suffix'}); "
                                "write an (H, W) array as .npy, or a 16-bit grayscale .png", field="depth_map")
    except DepthMapError:  # (a ValueError too: said as it is, not as "unreadable (DepthMapError: ...)")
        raise
    except FileNotFoundError:
        raise DepthMapError(f"{where}: no such file", field="depth_map") from None
    except (OSError, ValueError, EOFError) as exc:  # not an .npy or PNG, cut short, pickled objects
        raise DepthMapError(f"{where}: unreadable ({type(exc).__name__}: {exc})"[:400], field="depth_map") from None
    if not isinstance(raw, np.ndarray) or raw.dtype.kind not in "fiu":
        kind = raw.dtype if isinstance(raw, np.ndarray) else type(raw).__name__
        raise DepthMapError(f"{where}: holds {kind}, not numbers", field="depth_map")
    if raw.ndim == 2 and turn != 1:
        raw = upright_array(raw, turn)  # (a view: a memory-mapped file is still read a page at a time)
    if raw.shape != (scene.height, scene.width):
        shape = f"{raw.shape[1]}x{raw.shape[0]}" if raw.ndim == 2 else f"of shape {raw.shape}"
        turned = f" turned as EXIF orientation {turn} turns its photo (meta.{ORIENTATION_KEY})" if turn != 1 else ""
        raise DepthMapError(f"{where}: the map{turned} is {shape}, the scene {scene.width}x{scene.height} "
                            "(an (H, W) map of the image's pixels shown is read)", field="depth_map")
    return raw


def _local_file(path: str, where: str) -> str:
    """The local file of a map path: itself; a ``file://`` URL's path; for a URL, its local copy
    (`engine.downloads.fetch_file`, as images at URLs are read: downloaded again only when the
    object changes). DepthMapError naming the map (`where`) when the store has no such file or
    cannot be read (network, credentials, fsspec or the store's package missing)."""
    from veriscene.engine.url_paths import RemoteError, is_url, local_path

    if not is_url(path):
        return str(local_path(path))
    from veriscene.engine.downloads import fetch_file

    try:
        return str(fetch_file(path))
    except FileNotFoundError:
        raise DepthMapError(f"{where}: no such file at the URL", field="depth_map") from None
    except IsADirectoryError:
        raise DepthMapError(f"{where}: a folder at the URL, not a file", field="depth_map") from None
    except RemoteError as exc:  # (RemotePackageMissing too: its message says what to install)
        raise DepthMapError(f"{where}: cannot be read ({exc})"[:400], field="depth_map") from None


def value_range(depth: np.ndarray) -> float:
    """The spread of a map's values: its 98th percentile minus its 2nd (a few stray pixels do
    not stretch it), over the pixels with depth; 0.0 for none."""
    valid = depth[np.isfinite(depth)]
    if valid.size == 0:
        return 0.0
    lo, hi = np.percentile(valid, [2.0, 98.0])
    return float(hi - lo)


def _png16(path: str, where: str) -> np.ndarray:
    """The values of a 16-bit grayscale PNG; DepthMapError for another mode, and for one over twice
    the decompression-bomb limit images are opened under (`scene.image_files`: Pillow raises its
    own error, which is no reader's, so it took a whole `verify` down)."""
    from PIL import Image

    from veriscene.scene.image_files import MAX_PIXELS_ENV

    try:
        image = Image.open(path)
    except Image.DecompressionBombError:
        raise DepthMapError(f"{where}: over twice Pillow's decompression-bomb limit (Image.MAX_IMAGE_PIXELS: "
                            f"{Image.MAX_IMAGE_PIXELS}); raise it if the map is real: {MAX_PIXELS_ENV}=PIXELS "
                            "(or =none)", field="depth_map") from None
    with image:
        if image.mode not in _PNG16_MODES:
            raise DepthMapError(f"{where}: a PNG of mode {image.mode}, not 16-bit grayscale (an 8-bit or colour "
                                "PNG is a picture of depth, not depth: write the values as .npy or a 16-bit PNG)",
                                field="depth_map")
        return np.asarray(image)  # (uint16 or int32: made float where read)


def steady_pixels(depth: np.ndarray, radius: int = 2, tolerance: float = 0.05,
                  spread: float | None = None) -> np.ndarray:
    """(H, W) bool: pixels whose (2 * radius + 1)^2 neighbourhood lies in the image, has depth
    everywhere and no depth edge: no step between two neighbouring pixels (across or down) of
    more than `tolerance` of the nearer one (of `spread`, the map's range, when given: a map of
    encoding "relative", whose values may be 0 or less). A point there is off any edge, so the pixel a reader
    takes it for has the depth of the surface it is on; a smooth slope (a floor receding, 3 % a
    row in a small image) is no edge. Window maxima are taken along rows, then columns.
    A step a depth model blurred over more pixels than that (2-4 % a pixel) is no edge here
    either: `depth_surfaces.on_surfaces` tells its ramp from a surface, at a larger scale."""
    h, w = depth.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        step = np.zeros((h, w), dtype=np.float32)  # the larger relative step to the right or down
        across, down = np.abs(np.diff(depth, axis=1)), np.abs(np.diff(depth, axis=0))
        if spread is None:
            across, down = across / np.minimum(depth[:, 1:], depth[:, :-1]), down / np.minimum(depth[1:], depth[:-1])
        else:  # (a map of one value everywhere: any step at all is an edge)
            across, down = across / spread, down / spread
        step[:, :-1] = across
        step[:-1] = np.maximum(step[:-1], down)  # (NaN spreads: np.maximum keeps it)
        step[np.isnan(step) | np.isnan(depth)] = np.inf
        # (a step to a pixel just outside the window counts too: one ring stricter, no harm)
        return np.asarray(_window_max(step, radius) <= tolerance)


def _window_max(values: np.ndarray, radius: int) -> np.ndarray:
    """(H, W): the maximum of `values` over each pixel's (2r + 1)^2 window, inf where the window
    leaves the image; 2 x (2r + 1) array passes, not (2r + 1)^2."""
    h, w = values.shape
    padded = np.pad(values, radius, constant_values=np.inf)
    rows = padded[:, 0:w]
    for k in range(1, 2 * radius + 1):
        rows = np.maximum(rows, padded[:, k:k + w])
    out = rows[0:h]
    for k in range(1, 2 * radius + 1):
        out = np.maximum(out, rows[k:k + h])
    return out
