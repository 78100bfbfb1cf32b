"""Instance masks as COCO RLE: encoded, decoded whole, measured and boxed through pycocotools.
Pixel lookups (`SceneMasks`) read the counts themselves, to check them before anything trusts
them and to make the crop of a mask's box from its runs, where pycocotools decodes the whole
frame a byte at a time."""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from typing import Any, Iterable, Sequence

import numpy as np
from pycocotools import mask as mask_utils

from veriscene.scene.box_grid import BoxGrid


def encode_mask(binary: np.ndarray) -> dict[str, Any]:
    """(H, W) bool/uint8 -> JSON-ready COCO RLE ``{"size": [H, W], "counts": str}``.

    pycocotools reads the mask column by column (Fortran order): a mask already in that order
    (the ProVision reader writes its sparse masks so) is encoded without a copy; the usual
    row-major one is transposed once."""
    array = np.asarray(binary)
    if array.dtype == bool:
        array = array.view(np.uint8)  # numpy's booleans are 0/1 bytes: the same values, no copy
    rle = mask_utils.encode(np.asfortranarray(array, dtype=np.uint8))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}


# A character of compressed counts (a byte, '0'..'o' for 0..63 once '0' is taken off) -> its 5-bit
# group as a digit of its number (base 32, lowest first), read as a signed group in a number's
# last character (below 32 once less '0': no continuation bit), whose bit 4 is the number's sign;
# and the digits' place values (a number has at most 7 groups)
_GROUP = np.array([v - 32 if v >= 16 else v for v in range(-48, 208)], dtype=np.int64)
_POW32 = 32 ** np.arange(7, dtype=np.int64)


def _read_counts(counts: Sequence[Any], height: int, width: int) -> tuple[list[np.ndarray], tuple[int, str] | None]:
    """Each mask's runs (int64, background first, column by column as pycocotools lays them),
    and None; or no runs and the first mask whose counts do not describe a (height, width) mask,
    with why. Compressed counts (COCO's string) are read in one pass over all the masks'
    characters, as pycocotools reads them."""
    total = height * width
    strings: list[str] = []
    at: list[int] = []
    for i, c in enumerate(counts):
        if isinstance(c, bytes):
            c = c.decode("latin-1")  # (pycocotools' own form; a byte past ASCII is refused below)
        if isinstance(c, str):
            if not c or not c.isascii():
                return [], (i, "compressed counts must be a non-empty ASCII string")
            strings.append(c)
            at.append(i)
        elif isinstance(c, list):
            if not all(type(r) is int and r >= 0 for r in c):
                return [], (i, "uncompressed counts must be a list of non-negative integers")
            if sum(c) != total:
                return [], (i, f"the runs add up to {sum(c)} pixels, not {height}x{width}")
        else:
            return [], (i, f"counts must be a string (compressed RLE) or a list of ints, got {type(c).__name__}")
    if not strings:
        return [np.asarray(c, np.int64) for c in counts], None
    mask_ends = list(accumulate(map(len, strings)))  # where each mask's characters end
    raw = np.frombuffer("".join(strings).encode("ascii"), np.uint8)
    # (numpy's methods and ufuncs, not its functions of the same name: those add a Python call each)
    if raw.min() < 48 or raw.max() > 111:
        first = int(((raw < 48) | (raw > 111)).argmax())
        return [], (at[bisect_right(mask_ends, first)], "compressed counts hold a character outside '0'..'o'")
    last = raw < 80  # a number's last character: no continuation bit (0x20 of the character less '0')
    if not last[[end - 1 for end in mask_ends]].all():
        k = next(k for k, end in enumerate(mask_ends) if not last[end - 1])
        return [], (at[k], "compressed counts end inside a number")
    ends = last.nonzero()[0]  # each number's last character
    starts = np.empty_like(ends)
    starts[0], starts[1:] = 0, ends[:-1] + 1
    sizes = ends - starts + 1
    if sizes.max() > 7:  # its eighth 5-bit group would pass 64 bits
        first = int(starts[int((sizes > 7).argmax())]) + 7
        return [], (at[bisect_right(mask_ends, first)], "compressed counts hold a number too large")
    digit = np.arange(raw.size) - starts.repeat(sizes)  # 5-bit group within its number
    number = np.add.reduceat(_GROUP[raw] * _POW32[digit], starts)
    firsts = ends.searchsorted([0, *mask_ends[:-1]])  # each mask's first number (every mask has one)
    bounds = [*firsts.tolist(), number.size]
    first_of = firsts.repeat([b - a for a, b in zip(bounds, bounds[1:])])  # of each number: its mask's first
    # run m = number m + run m-2 for m > 2: a mask's odd runs are the running sums of its odd
    # numbers, its even runs from the third on those of its even numbers from the third (the
    # first run alone). One running sum per parity over all the masks, less its value at the
    # mask's first number (which adds nothing to either: the masks before it)
    odd = ((np.arange(number.size) - first_of) & 1).astype(bool)
    odd_numbers = np.where(odd, number, 0)
    even_numbers = number - odd_numbers
    even_numbers[firsts] = 0
    odd_sums, even_sums = odd_numbers.cumsum(), even_numbers.cumsum()
    runs = np.where(odd, odd_sums - odd_sums[first_of], even_sums - even_sums[first_of])
    runs[firsts] = number[firsts]
    pixels = np.add.reduceat(runs, firsts)
    if runs.min() < 0 or (pixels != total).any():
        negative = np.logical_or.reduceat(runs < 0, firsts)
        k = int((negative | (pixels != total)).argmax())
        if negative[k]:
            return [], (at[k], "compressed counts hold a negative run")
        return [], (at[k], f"the runs add up to {int(pixels[k])} pixels, not {height}x{width}")
    compressed = iter([runs[a:b] for a, b in zip(bounds, bounds[1:])])
    return [np.asarray(c, np.int64) if isinstance(c, list) else next(compressed) for c in counts], None


def bad_counts(counts: Sequence[Any], height: int, width: int) -> tuple[int, str] | None:
    """The first of these masks' RLE `counts` that does not describe a (height, width) mask, with
    why, or None when all do.

    pycocotools trusts the counts it decodes: runs that add up to more than the frame (or a
    negative run) are written past its buffer, which can kill the process. So the counts are
    checked before they are decoded: compressed counts (COCO's string) are read in one pass over
    all the masks' characters, as pycocotools reads them; each run must be non-negative and the
    runs must add up to height x width. Uncompressed counts (a list of ints) are summed."""
    return _read_counts(counts, height, width)[1]


def mask_runs(counts: Sequence[Any], height: int, width: int) -> list[np.ndarray | str]:
    """Each mask's runs (see `_read_counts`), or why its counts do not describe a (height, width)
    mask: the masks are read together, and one by one only when one of them is wrong."""
    runs, found = _read_counts(counts, height, width)
    if found is None:
        return list(runs)
    out: list[np.ndarray | str] = []
    for c in counts:
        alone, why = _read_counts([c], height, width)
        out.append(alone[0] if why is None else why[1])
    return out


_ODD = np.arange(4096) % 2 == 1  # False, True, False, ...: which runs are the mask's


def crop_of_runs(runs: np.ndarray, height: int, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """(y1 - y0, x1 - x0) bool, row-major: the window [x0, x1) x [y0, y1) of the (height, width)
    mask of these valid runs (background first, column by column). Only the window's columns
    are written (pycocotools' decode writes the whole frame, a byte at a time)."""
    lo, hi = x0 * height, x1 * height  # the window's columns, as positions in the column-major frame
    ends = runs.cumsum()
    # each run clipped to the columns: its pixels among them (the others count 0)
    inside = np.minimum(ends, hi) - np.maximum(ends - runs, lo)
    np.maximum(inside, 0, out=inside)
    n = runs.size
    odd = _ODD[:n] if n <= _ODD.size else np.arange(n) % 2 == 1  # odd runs are the mask's
    # the window's columns laid out as rows, turned once: numpy's loops over a transposed view
    # cost about three times as many instructions as over rows
    return np.ascontiguousarray(odd.repeat(inside).reshape(x1 - x0, height)[:, y0:y1].T)


def box_of_runs(runs: np.ndarray, height: int, width: int, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """`crop_of_runs` of a window holding every pixel of the (height, width) mask (its tight box,
    as `mask_utils.toBbox` reads it from the same counts): only the first run (background up to
    column x0) and the last (background from column x1) reach outside the window's columns, so
    only they are cut (where `crop_of_runs` clips every run, five array ops more)."""
    inside = runs.copy()
    inside[0] -= x0 * height  # (one run: an empty mask, whose window is empty: cut to 0 by both)
    inside[-1] -= (width - x1) * height
    n = runs.size
    odd = _ODD[:n] if n <= _ODD.size else np.arange(n) % 2 == 1  # odd runs are the mask's
    return np.ascontiguousarray(odd.repeat(inside).reshape(x1 - x0, height)[:, y0:y1].T)


def check_counts(masks: Sequence[dict[str, Any]], height: int, width: int, index: Sequence[int] | None = None) -> None:
    """Raise SceneValidationError naming the first mask whose counts `bad_counts` finds wrong
    (`index` maps the masks given to their objects' indices)."""
    found = bad_counts([m["counts"] for m in masks], height, width)
    if found is not None:
        from veriscene.errors import SceneValidationError

        i, why = found
        raise SceneValidationError(f"mask cannot be decoded: {why}",
                                   field=f"objects[{index[i] if index is not None else i}].mask.counts")


def _as_coco(rle: dict[str, Any]) -> dict[str, Any]:
    counts = rle["counts"]
    if isinstance(counts, list):  # uncompressed RLE -> compressed
        h, w = rle["size"]
        return mask_utils.frPyObjects(rle, h, w)
    return {"size": rle["size"], "counts": counts.encode("ascii") if isinstance(counts, str) else counts}


def decode_mask(rle: dict[str, Any]) -> np.ndarray:
    """COCO RLE (compressed or uncompressed) -> (H, W) bool array (its counts checked first)."""
    check_counts([rle], *rle["size"])
    return mask_utils.decode(_as_coco(rle)).astype(bool)


def _xywh(coco: dict[str, Any]) -> tuple[int, int, int, int]:
    """Tight (x, y, w, h) box of a pycocotools RLE, read without decoding."""
    x, y, w, h = (int(v) for v in mask_utils.toBbox(coco).tolist())
    return x, y, w, h


def mask_area(rle: dict[str, Any]) -> int:
    return int(mask_utils.area(_as_coco(rle)))


def mask_to_box(rle: dict[str, Any]) -> np.ndarray:
    """Tight xyxy box of a mask, in pixels."""
    x, y, w, h = _xywh(_as_coco(rle))
    return np.array([x, y, x + w, y + h], dtype=np.float32)


# Labels of `SceneMasks.labels`: pixels on no mask, and pixels on several overlapping masks.
BACKGROUND = -1
CONTESTED = -2
# Scenes of up to this many masks test every mask's box per lookup; more are put on a grid first
# (the same masks found: the grid's candidates are tested alike).
_FEW_MASKS = 64


class SceneMasks:
    """A scene's masks for pixel lookups. Each mask's tight box is read from the RLE without
    decoding; a mask is decoded (once) only when a lookup touches its box, and only the crop of
    its box is made (from its runs, `crop_of_runs`): pycocotools would decode a frame the size of
    the image, a byte at a time, and on large images most of it would be in frames no question
    looks at. The masks' counts are read (and checked, `mask_runs`) together at the first lookup;
    a mask whose counts are wrong raises SceneValidationError when it is looked up."""

    def __init__(self, masks: Sequence[dict[str, Any]], width: int, height: int) -> None:
        self.width, self.height = width, height
        self._masks = masks
        rles = [_as_coco(m) for m in masks]
        xywh = mask_utils.toBbox(rles).tolist() if rles else []
        # each mask's tight box as [x0, x1) x [y0, y1) pixel bounds (an empty mask meets nothing)
        self.boxes = [(int(x), int(y), int(x + w), int(y + h)) for x, y, w, h in xywh]
        self._pixels: dict[int, np.ndarray] = {}
        self._runs: list[np.ndarray | str] | None = None  # per mask: its runs or why they are wrong
        self._grid: BoxGrid | None = None  # the boxes on a grid, made at the first lookup of many masks

    def _candidates(self, x0: int, y0: int, x1: int, y1: int) -> Iterable[int]:
        """The masks, in order, whose box may meet the window [x0, x1] x [y0, y1]: all of a few,
        a grid's candidates among many (testing every box per lookup made a scene of thousands
        of masks cost N x N tests)."""
        if len(self.boxes) <= _FEW_MASKS:
            return range(len(self.boxes))
        if self._grid is None:
            self._grid = BoxGrid(np.array(self.boxes, dtype=np.float64).reshape(-1, 4))
        return self._grid.near(x0, y0, x1, y1).tolist()

    def near(self, x0: int, y0: int, x1: int, y1: int) -> list[int]:
        """The masks whose tight box meets the window [x0, x1) x [y0, y1)."""
        boxes = self.boxes
        if len(boxes) <= _FEW_MASKS:
            return [j for j, (a, b, c, d) in enumerate(boxes) if a < x1 and x0 < c and b < y1 and y0 < d]
        found = []
        for j in self._candidates(x0, y0, x1, y1):
            a, b, c, d = boxes[j]
            if a < x1 and x0 < c and b < y1 and y0 < d:
                found.append(j)
        return found

    def pixels(self, masks: Sequence[int]) -> list[np.ndarray]:
        """Each mask's (h, w) bool pixels inside its tight box, read-only."""
        missing = [j for j in masks if j not in self._pixels]
        if missing:
            if self._runs is None:
                self._runs = mask_runs([m["counts"] for m in self._masks], self.height, self.width)
            for j in missing:  # every mask checked before any is decoded
                if isinstance(self._runs[j], str):
                    from veriscene.errors import SceneValidationError

                    raise SceneValidationError(f"mask cannot be decoded: {self._runs[j]}",
                                               field=f"objects[{j}].mask.counts")
            for j in missing:
                runs = self._runs[j]
                assert not isinstance(runs, str)
                crop = box_of_runs(runs, self.height, self.width, *self.boxes[j])  # (the box is tight)
                crop.flags.writeable = False
                self._pixels[j] = crop
        return [self._pixels[j] for j in masks]

    def at(self, col: int, row: int) -> list[int]:
        """The masks holding pixel (col, row)."""
        found = []
        boxes = self.boxes
        for j in self._candidates(col, row, col, row):  # (`near` and `pixels` for one pixel)
            a, b, c, d = boxes[j]
            if a <= col < c and b <= row < d:
                pixels = self._pixels.get(j)
                if pixels is None:
                    pixels = self.pixels((j,))[0]
                if pixels[row - b, col - a]:
                    found.append(j)
        return found

    def labels(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """(y1 - y0, x1 - x0) int16 labels of the window [x0, x1) x [y0, y1): per pixel the
        index of the one mask holding it, BACKGROUND on none and CONTESTED on several."""
        found = np.full((y1 - y0, x1 - x0), BACKGROUND, dtype=np.int16)
        near = self.near(x0, y0, x1, y1)
        for j, pixels in zip(near, self.pixels(near)):
            a, b, c, d = self.boxes[j]
            # the part of the window inside mask j's box, in window and in mask coordinates
            wx0, wy0, wx1, wy1 = max(a, x0), max(b, y0), min(c, x1), min(d, y1)
            inside = pixels[wy0 - b : wy1 - b, wx0 - a : wx1 - a]
            window = found[wy0 - y0 : wy1 - y0, wx0 - x0 : wx1 - x0]  # a view: writes go to `found`
            window[inside & (window != BACKGROUND)] = CONTESTED
            window[inside & (window == BACKGROUND)] = j
        return found

    def alone(self, j: int, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """(y1 - y0, x1 - x0) bool, not to be written to: the pixels of the window [x0, x1) x
        [y0, y1) that mask j holds and no other mask does (``labels(x0, y0, x1, y1) == j``,
        without the labels). A window inside mask j's box that no other mask's box meets is a
        read-only view of its pixels."""
        a, b, c, d = self.boxes[j]
        # the part of the window inside mask j's box: only masks meeting it can take pixels from j
        wx0, wy0, wx1, wy1 = max(a, x0), max(b, y0), min(c, x1), min(d, y1)
        if wx0 >= wx1 or wy0 >= wy1:
            return np.zeros((y1 - y0, x1 - x0), dtype=bool)
        others = [k for k in self.near(wx0, wy0, wx1, wy1) if k != j]
        pixels = self.pixels([j, *others])
        own = pixels[0][wy0 - b : wy1 - b, wx0 - a : wx1 - a]
        if not others and (wx0, wy0, wx1, wy1) == (x0, y0, x1, y1):
            return own
        found = np.zeros((y1 - y0, x1 - x0), dtype=bool)
        part = found[wy0 - y0 : wy1 - y0, wx0 - x0 : wx1 - x0]  # a view: writes go to `found`
        part[...] = own
        for k, other in zip(others, pixels[1:]):
            ka, kb, kc, kd = self.boxes[k]
            # mask k's box inside the part, in part and in mask k coordinates
            px0, py0, px1, py1 = max(ka, wx0), max(kb, wy0), min(kc, wx1), min(kd, wy1)
            part[py0 - wy0 : py1 - wy0, px0 - wx0 : px1 - wx0] &= ~other[py0 - kb : py1 - kb, px0 - ka : px1 - ka]
        return found
