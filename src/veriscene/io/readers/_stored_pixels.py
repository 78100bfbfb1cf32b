"""Annotation drawn on an image's stored pixels, mapped onto the photo as shown.

A phone stores a portrait photo sideways and tags it with an EXIF orientation (1 to 8); every
veriscene command shows the photo upright (`scene.image_files`), and takes a scene's boxes and
masks as drawn on it so. Tools that read images with `cv2.imread(..., IMREAD_IGNORE_ORIENTATION)`
or Pillow alone (coco-annotator, several published sets in COCO's layout, TACO among them) drew
on the stored pixels instead. The reader option `drawn_on` says which (`parse_drawn_on`):

- "shown": drawn on the photo as shown (upright); a sideways photo annotated by its stored
  (swapped) size is rejected naming both sizes.
- "stored": drawn on the stored pixels: every box and mask of an image whose file carries an
  orientation is mapped onto the upright photo (`shown_scene`), and the scene's size is the
  size shown. Needs the image files (`image_root`): the orientation is in them.
- "auto" (the readers' default): as "shown", except that an image annotated by its stored size
  where the turn swaps width and height (orientations 5 to 8) is taken as drawn on the stored
  pixels and mapped: before, such a scene was rejected. A turn that keeps the size (upside down,
  mirrored: 2 to 4; any turn of a square photo) cannot be told from the sizes: it is taken as
  shown (and counted, `_sizes.TURNED`).

Coordinates are continuous pixel coordinates (a box's x1 is the right edge of its last column),
in the stored image of (width W, height H). Each orientation sends a stored point (x, y) to the
shown point below; the pixels move as `_images.upright_array` (Pillow's `ImageOps.exif_transpose`)
moves them, so a box or mask covers the same pixels of the photo before and after.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from veriscene.errors import ReaderOptionError
from veriscene.io.readers._images import SIDEWAYS, upright_array
from veriscene.scene.depth_maps import ORIENTATION_KEY
from veriscene.scene.masks import encode_mask
from veriscene.scene.model import Scene
from veriscene.scene.orientations import ORIENTATIONS, then

SHOWN, STORED, AUTO = "shown", "stored", "auto"
DRAWN_ON = (AUTO, SHOWN, STORED)
# The repair count of an image whose annotation was mapped from its stored pixels to the photo shown
MAPPED = "images_drawn_on_stored_pixels"
# The repair count of a scene whose dense depth map (`Scene.depth_map`) is a file of a photo's stored
# pixels, read turned as the photo is (``meta["depth_map_exif_orientation"]``, `scene.depth_maps`):
# a scene so mapped (`shown_scene`), or a ProVision map of a sideways photo's stored shape
DEPTH_MAP_TURNED = "depth_maps_of_stored_pixels_read_turned"


def parse_drawn_on(value: Any) -> str:
    """The reader option `drawn_on`: "shown", "stored" or "auto" (module notes)."""
    mode = str(value).strip().lower()
    if mode not in DRAWN_ON:
        raise ReaderOptionError(f"drawn_on must be one of {', '.join(DRAWN_ON)} (the pixels the annotation was drawn "
                                f"on: the photo as shown, upright, or as stored before its EXIF orientation is "
                                f"applied), got {value!r}", option="drawn_on", value=value)
    return mode


def shown_size(stored: tuple[int, int], turn: int) -> tuple[int, int]:
    """(width, height) shown of an image of `stored` (width, height) and EXIF orientation `turn`."""
    width, height = stored
    return (height, width) if turn in SIDEWAYS else (width, height)


def shown_points(xy: np.ndarray, stored: tuple[int, int], turn: int) -> np.ndarray:
    """(N, 2) points (x, y) of the stored image of size `stored` (W, H) -> the same points of the
    image shown by EXIF orientation `turn` (a new float array)."""
    w, h = stored
    x, y = np.asarray(xy, dtype=np.float64).T
    shown = {
        1: (x, y),
        2: (w - x, y),  # mirrored left-right
        3: (w - x, h - y),  # half a turn
        4: (x, h - y),  # mirrored top-bottom
        5: (y, x),  # mirrored about the main diagonal
        6: (h - y, x),  # stored a quarter turn anticlockwise: turned clockwise to show
        7: (h - y, w - x),  # mirrored about the other diagonal
        8: (y, w - x),  # stored a quarter turn clockwise: turned anticlockwise to show
    }[turn]
    return np.stack(shown, axis=-1)


def shown_boxes(boxes: np.ndarray, stored: tuple[int, int], turn: int) -> np.ndarray:
    """(N, 4) xyxy boxes of the stored image -> (N, 4) float32 xyxy boxes of the image shown: its
    two corners mapped (`shown_points`), then ordered again (a mirror swaps left and right)."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    a = shown_points(boxes[:, :2], stored, turn)
    b = shown_points(boxes[:, 2:], stored, turn)
    return np.concatenate([np.minimum(a, b), np.maximum(a, b)], axis=1).astype(np.float32)


def shown_mask(rle: dict[str, Any], turn: int) -> dict[str, Any]:
    """A COCO RLE mask of the stored image (``{"size": [H, W], "counts": str}``) -> that of the
    image shown: decoded, the part within its box turned as the pixels are (`upright_array`) into
    the box shown, encoded again. Only the box is turned: a whole 12-megapixel mask turned and
    made column-major again took 29 ms of the 57 a mask cost (load 14), its box a fraction."""
    counts = rle["counts"]
    compact = {"size": list(rle["size"]), "counts": counts.encode() if isinstance(counts, str) else counts}
    binary = mask_utils.decode(compact)  # (H, W) uint8, column-major
    height, width = binary.shape
    x, y, w, h = (int(v) for v in mask_utils.toBbox(compact))  # whole pixels: a box of the mask's pixels
    shown = np.zeros(shown_size((width, height), turn)[::-1], dtype=np.uint8, order="F")  # (h, w) shown
    x0, y0, x1, y1 = (int(v) for v in shown_boxes(np.array([[x, y, x + w, y + h]]), (width, height), turn)[0])
    shown[y0:y1, x0:x1] = upright_array(binary[y:y + h, x:x + w], turn)
    return encode_mask(shown)


def shown_scene(scene: Scene, turn: int) -> Scene:
    """A scene read in its image's stored pixels -> the scene of the photo shown (EXIF orientation
    `turn`): boxes and masks mapped, width and height those shown."""
    stored = (scene.width, scene.height)
    width, height = shown_size(stored, turn)
    masks = None if scene.masks is None else tuple(shown_mask(m, turn) for m in scene.masks)
    return replace(scene, width=width, height=height, boxes=shown_boxes(scene.boxes, stored, turn), masks=masks,
                   meta=_depth_map_turned(scene, turn))


def _depth_map_turned(scene: Scene, turn: int) -> dict[str, Any]:
    """The meta of a scene mapped by `turn` (`shown_scene`): a dense depth map, of the stored
    pixels as the scene was, said to be (``meta["depth_map_exif_orientation"]``: read turned as the
    photo is, `scene.depth_maps`); one the scene said was turned already by an orientation turned
    by both. A value that is no orientation is left for `load_depth_map` to name."""
    given = scene.meta.get(ORIENTATION_KEY, 1)
    if scene.depth_map is None or isinstance(given, bool) or given not in ORIENTATIONS:
        return scene.meta
    meta = {k: v for k, v in scene.meta.items() if k != ORIENTATION_KEY}
    both = then(given, turn)
    if both != 1:  # (a map turned already, and mapped back: it lays on the photo shown as stored)
        meta[ORIENTATION_KEY] = both
    return meta
