"""Instance masks as COCO RLE, through pycocotools (never hand-rolled RLE)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from pycocotools import mask as mask_utils


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


def bad_counts(counts: Sequence[Any], height: int, width: int) -> tuple[int, str] | None:
    """The first of these masks' RLE `counts` that does not describe a (height, width) mask, with
    why, or None when all do.

    pycocotools trusts the counts it decodes: runs that add up to more than the frame (or a
    negative run) are written past its buffer, which can kill the process. So the counts are
    checked before they are decoded: compressed counts (COCO's string) are read in one pass over
    all the masks' characters, as pycocotools reads them; each run must be non-negative and the
    runs must add up to height x width. Uncompressed counts (a list of ints) are summed."""
    total = height * width
    strings: list[str] = []
    at: list[int] = []
    for i, c in enumerate(counts):
        if isinstance(c, bytes):
            c = c.decode("latin-1")  # (pycocotools' own form; a byte past ASCII is refused below)
        if isinstance(c, str):
            if not c or not c.isascii():
                return i, "compressed counts must be a non-empty ASCII string"
            strings.append(c)
            at.append(i)
        elif isinstance(c, list):
            if not all(type(r) is int and r >= 0 for r in c):
                return i, "uncompressed counts must be a list of non-negative integers"
            if sum(c) != total:
                return i, f"the runs add up to {sum(c)} pixels, not {height}x{width}"
        else:
            return i, f"counts must be a string (compressed RLE) or a list of ints, got {type(c).__name__}"
    if not strings:
        return None
    n = len(strings)
    lengths = np.fromiter(map(len, strings), np.int64, n)
    value = np.frombuffer("".join(strings).encode("ascii"), np.uint8).astype(np.int64) - 48
    owner = np.repeat(np.arange(n), lengths)  # the mask of each character
    outside = (value < 0) | (value > 63)
    if outside.any():
        return at[int(owner[np.flatnonzero(outside)[0]])], "compressed counts hold a character outside '0'..'o'"
    more = (value & 0x20) != 0  # a number goes on in the next character
    cut = more[np.cumsum(lengths) - 1]
    if cut.any():
        return at[int(np.flatnonzero(cut)[0])], "compressed counts end inside a number"
    ends = np.flatnonzero(~more)
    starts = np.empty_like(ends)
    starts[0], starts[1:] = 0, ends[:-1] + 1
    digit = np.arange(value.size) - np.repeat(starts, ends - starts + 1)  # 5-bit group within its number
    if digit.max() > 6:
        return at[int(owner[np.flatnonzero(digit > 6)[0]])], "compressed counts hold a number too large"
    number = np.add.reduceat((value & 0x1F) << (5 * digit), starts)
    negative = (value[ends] & 0x10) != 0  # the sign bit of a number's last group
    number[negative] -= np.left_shift(1, 5 * (digit[ends][negative] + 1))
    mask = owner[ends]
    place = np.arange(number.size) - np.searchsorted(mask, np.arange(n))[mask]  # the run's index in its mask
    # run m = number m + run m-2 for m > 2: running sums over each mask's odd runs and its even
    # runs from the third on (the first run alone)
    series = mask * 3 + np.where(place == 0, 0, 1 + (place & 1))
    order = np.argsort(series, kind="stable")
    ordered, keys = number[order], series[order]
    sums = np.cumsum(ordered)
    first = np.maximum.accumulate(np.where(np.r_[True, keys[1:] != keys[:-1]], np.arange(keys.size), 0))
    runs = np.empty_like(number)
    runs[order] = sums - sums[first] + ordered[first]
    negative_run = np.zeros(n, dtype=bool)
    negative_run[mask[runs < 0]] = True
    pixels = np.bincount(mask, weights=runs, minlength=n)
    wrong = np.flatnonzero(negative_run | (pixels != total))
    if wrong.size == 0:
        return None
    k = int(wrong[0])
    if negative_run[k]:
        return at[k], "compressed counts hold a negative run"
    return at[k], f"the runs add up to {int(pixels[k])} pixels, not {height}x{width}"


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


class SceneMasks:
    """A scene's masks for pixel lookups. Each mask's tight box is read from the RLE without
    decoding; a mask is decoded (once) only when a lookup touches its box, and its pixels are
    kept as the crop of its box. pycocotools decodes into a frame the size of the image, so the
    cost is per frame, and on large images most of it would be in frames no question looks at.

    Masks whose boxes do not meet share a frame: the masks are split into groups of pairwise
    disjoint boxes (greedily, in index order), and a group is decoded once, as the union of its
    masks (merged as RLE), when one of them is first looked up; its frame is kept. A mask's
    pixels all lie in its box, which meets no other box of the group, so the crop of the union
    is exactly the mask: a scene of many objects needs only a few frames."""

    def __init__(self, masks: Sequence[dict[str, Any]], width: int, height: int) -> None:
        self.width, self.height = width, height
        self._masks = masks
        self._rles = [_as_coco(m) for m in masks]
        xywh = mask_utils.toBbox(self._rles).tolist() if self._rles else []
        # each mask's tight box as [x0, x1) x [y0, y1) pixel bounds (an empty mask meets nothing)
        self.boxes = [(int(x), int(y), int(x + w), int(y + h)) for x, y, w, h in xywh]
        self._pixels: dict[int, np.ndarray] = {}
        self._group: list[int] | None = None  # mask -> its group (built at the first decode)
        self._frames: dict[int, tuple[np.ndarray, int]] = {}  # group -> (decoded frames, channel)

    def _groups(self) -> list[int]:
        """Each mask's group: the first group holding no mask whose box meets its box."""
        if self._group is None:
            group: list[int] = []
            members: list[list[tuple[int, int, int, int]]] = []  # per group, its masks' boxes
            for a, b, c, d in self.boxes:
                g = next((g for g, boxes in enumerate(members)
                          if not any(a < x1 and x0 < c and b < y1 and y0 < d for x0, y0, x1, y1 in boxes)),
                         len(members))
                if g == len(members):
                    members.append([])
                members[g].append((a, b, c, d))
                group.append(g)
            self._group = group
        return self._group

    def near(self, x0: int, y0: int, x1: int, y1: int) -> list[int]:
        """The masks whose tight box meets the window [x0, x1) x [y0, y1)."""
        return [j for j, (a, b, c, d) in enumerate(self.boxes) if a < x1 and x0 < c and b < y1 and y0 < d]

    def pixels(self, masks: Sequence[int]) -> list[np.ndarray]:
        """Each mask's (h, w) bool pixels inside its tight box, read-only (the groups not decoded
        yet are decoded together, in one call)."""
        missing = [j for j in masks if j not in self._pixels]
        if missing:
            group = self._groups()
            todo = sorted({group[j] for j in missing} - self._frames.keys())
            if todo:
                members = [j for j, g in enumerate(group) if g in todo]
                check_counts([self._masks[j] for j in members], self.height, self.width, members)
                unions = [[rle for rle, g in zip(self._rles, group) if g == t] for t in todo]
                frames = mask_utils.decode(  # (H, W, len(todo))
                    [rles[0] if len(rles) == 1 else mask_utils.merge(rles, intersect=False) for rles in unions])
                frames = frames.view(bool)  # pycocotools writes 0/1 bytes: bool without a copy
                frames.flags.writeable = False  # the crops handed out are views of it
                self._frames.update((t, (frames, k)) for k, t in enumerate(todo))
            for j in missing:
                frames, k = self._frames[group[j]]
                x0, y0, x1, y1 = self.boxes[j]
                self._pixels[j] = frames[y0:y1, x0:x1, k]
        return [self._pixels[j] for j in masks]

    def at(self, col: int, row: int) -> list[int]:
        """The masks holding pixel (col, row)."""
        near = self.near(col, row, col + 1, row + 1)
        return [j for j, pixels in zip(near, self.pixels(near))
                if pixels[row - self.boxes[j][1], col - self.boxes[j][0]]]

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
        """(y1 - y0, x1 - x0) bool: the pixels of the window [x0, x1) x [y0, y1) that mask j
        holds and no other mask does (``labels(x0, y0, x1, y1) == j``, without the labels)."""
        found = np.zeros((y1 - y0, x1 - x0), dtype=bool)
        a, b, c, d = self.boxes[j]
        # the part of the window inside mask j's box: only masks meeting it can take pixels from j
        wx0, wy0, wx1, wy1 = max(a, x0), max(b, y0), min(c, x1), min(d, y1)
        if wx0 >= wx1 or wy0 >= wy1:
            return found
        others = [k for k in self.near(wx0, wy0, wx1, wy1) if k != j]
        pixels = self.pixels([j, *others])
        part = found[wy0 - y0 : wy1 - y0, wx0 - x0 : wx1 - x0]  # a view: writes go to `found`
        part[...] = pixels[0][wy0 - b : wy1 - b, wx0 - a : wx1 - a]
        for k, other in zip(others, pixels[1:]):
            ka, kb, kc, kd = self.boxes[k]
            # mask k's box inside the part, in part and in mask k coordinates
            px0, py0, px1, py1 = max(ka, wx0), max(kb, wy0), min(kc, wx1), min(kd, wy1)
            part[py0 - wy0 : py1 - wy0, px0 - wx0 : px1 - wx0] &= ~other[py0 - kb : py1 - kb, px0 - ka : px1 - ka]
        return found
