"""COCO RLE masks: round trip through pycocotools, tight box, and pixel lookups decoding only the crops of the masks looked at."""

import numpy as np

from veriscene.scene.masks import (
    BACKGROUND, CONTESTED, SceneMasks, crop_of_runs, decode_mask, encode_mask, mask_area, mask_runs, mask_to_box,
)


def _mask() -> np.ndarray:
    mask = np.zeros((30, 40), dtype=bool)
    mask[5:12, 8:20] = True
    mask[12:20, 15:18] = True  # an L shape: the box holds pixels off the mask
    return mask


def test_round_trip_area_and_box() -> None:
    rle = encode_mask(_mask())
    assert (decode_mask(rle) == _mask()).all()
    assert mask_area(rle) == int(_mask().sum())
    assert mask_to_box(rle).tolist() == [8, 5, 20, 20]  # x1, y1 exclusive


def test_encoding_does_not_depend_on_memory_order_or_dtype() -> None:
    """Row-major or column-major, bool or 0/1 bytes, a view with strides: the same RLE."""
    mask = _mask()
    expected = encode_mask(mask)
    big = np.zeros((60, 80), dtype=bool)
    big[::2, ::2] = mask
    for variant in (np.asfortranarray(mask), mask.astype(np.uint8), np.asfortranarray(mask.astype(np.uint8)),
                    big[::2, ::2], mask.T.copy().T):
        assert encode_mask(variant) == expected


def _random_masks(rng: np.random.Generator, n: int, h: int, w: int) -> list[np.ndarray]:
    """n masks of random rectangles and discs, some overlapping, the first one empty."""
    yy, xx = np.mgrid[:h, :w]
    masks = [np.zeros((h, w), dtype=bool)]
    for _ in range(n - 1):
        m = np.zeros((h, w), dtype=bool)
        x0, y0 = int(rng.integers(w - 4)), int(rng.integers(h - 4))
        m[y0 : y0 + int(rng.integers(2, 12)), x0 : x0 + int(rng.integers(2, 12))] = True
        cx, cy, r = rng.integers(w), rng.integers(h), rng.integers(2, 8)
        m |= (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
        masks.append(m)
    return masks


def _uncompressed(mask: np.ndarray) -> dict:
    """COCO's uncompressed RLE: run lengths over the column-major pixels, starting with zeros."""
    flat = mask.T.ravel().astype(np.int8)
    edges = np.flatnonzero(np.diff(flat)) + 1
    runs = np.diff(np.concatenate([[0], edges, [flat.size]])).tolist()
    return {"size": list(mask.shape), "counts": ([0] if flat[0] else []) + runs}


def _expected_labels(masks: list[np.ndarray]) -> np.ndarray:
    stack = np.array(masks)
    labels = np.where(stack.any(axis=0), stack.argmax(axis=0), BACKGROUND)
    return np.where(stack.sum(axis=0) > 1, CONTESTED, labels)


def test_scene_masks_match_the_decoded_masks() -> None:
    rng = np.random.default_rng(0)
    h, w = 23, 31
    masks = _random_masks(rng, 6, h, w)
    rles = [encode_mask(m) for m in masks]
    rles[1] = {"size": [h, w], "counts": rles[1]["counts"].encode()}  # bytes counts work too
    rles[2] = _uncompressed(masks[2])  # and uncompressed RLE
    assert (decode_mask(rles[2]) == masks[2]).all()
    lookup = SceneMasks(rles, w, h)
    for row in range(h):
        for col in range(w):
            assert lookup.at(col, row) == [j for j, m in enumerate(masks) if m[row, col]]
    expected = _expected_labels(masks)
    assert (expected == CONTESTED).any() and (expected == BACKGROUND).any()
    for _ in range(200):
        x0, y0 = int(rng.integers(w)), int(rng.integers(h))
        x1, y1 = x0 + int(rng.integers(1, w - x0 + 1)), y0 + int(rng.integers(1, h - y0 + 1))
        assert (SceneMasks(rles, w, h).labels(x0, y0, x1, y1) == expected[y0:y1, x0:x1]).all()
    assert 0 not in lookup.near(0, 0, w, h)  # the empty mask meets no window


def test_alone_is_the_labels_of_the_mask() -> None:
    """alone(j, window) holds the window's pixels labelled j: windows around, inside and across
    each mask's box, with and without other masks meeting them."""
    rng = np.random.default_rng(3)
    h, w = 23, 31
    masks = _random_masks(rng, 6, h, w)
    lookup = SceneMasks([encode_mask(m) for m in masks], w, h)
    expected = _expected_labels(masks)
    for j, (a, b, c, d) in enumerate(lookup.boxes):
        windows = [(0, 0, w, h), (a, b, c, d), (max(a - 2, 0), max(b - 1, 0), min(c + 3, w), min(d + 1, h))]
        for _ in range(30):
            x0, y0 = int(rng.integers(w)), int(rng.integers(h))
            windows.append((x0, y0, x0 + int(rng.integers(0, w - x0 + 1)), y0 + int(rng.integers(0, h - y0 + 1))))
        for x0, y0, x1, y1 in windows:
            found = lookup.alone(j, x0, y0, x1, y1)
            assert found.shape == (y1 - y0, x1 - x0)
            assert (found == (expected[y0:y1, x0:x1] == j)).all(), (j, x0, y0, x1, y1)


def test_scene_masks_decode_only_the_masks_looked_at() -> None:
    masks = [np.zeros((20, 40), dtype=bool) for _ in range(3)]
    masks[0][2:8, 2:8] = masks[1][2:8, 20:28] = masks[2][10:18, 30:38] = True
    lookup = SceneMasks([encode_mask(m) for m in masks], 40, 20)
    assert lookup.at(5, 5) == [0] and lookup.at(15, 5) == []
    assert (lookup.labels(0, 0, 10, 10) == _expected_labels(masks)[:10, :10]).all()
    assert sorted(lookup._pixels) == [0]  # the other two masks were never decoded


def test_crops_of_runs_are_pycocotools_decodes() -> None:
    """A window's columns made from a mask's runs hold the pixels pycocotools decodes there:
    masks touching the frame's edges, full, empty, of single pixels, runs across columns."""
    rng = np.random.default_rng(5)
    h, w = 17, 13
    masks = _random_masks(rng, 20, h, w) + [np.ones((h, w), bool)]
    for corner in ((0, 0), (h - 1, w - 1), (0, w - 1), (h - 1, 0)):
        masks.append(np.zeros((h, w), bool))
        masks[-1][corner] = True
    masks.append(rng.random((h, w)) < 0.5)
    rles = [encode_mask(m) for m in masks]
    runs = mask_runs([r["counts"] for r in rles] + [_uncompressed(masks[3])["counts"]], h, w)
    assert runs[-1].tolist() == runs[3].tolist()
    for mask, mask_runs_ in zip(masks, runs):
        assert mask_runs_.sum() == h * w and mask_runs_[1::2].sum() == mask.sum()
        for _ in range(30):
            x0, y0 = int(rng.integers(w)), int(rng.integers(h))
            x1, y1 = x0 + int(rng.integers(0, w - x0 + 1)), y0 + int(rng.integers(0, h - y0 + 1))
            crop = crop_of_runs(mask_runs_, h, x0, y0, x1, y1)
            assert crop.shape == (y1 - y0, x1 - x0) and (crop == mask[y0:y1, x0:x1]).all()
    speckled = rng.random((90, 110)) < 0.5  # more runs (about 5,000) than crop_of_runs keeps parities for
    runs = mask_runs([encode_mask(speckled)["counts"]], 90, 110)[0]
    assert runs.size > 4096 and (crop_of_runs(runs, 90, 3, 5, 107, 80) == speckled[5:80, 3:107]).all()


def test_box_of_runs_is_the_crop_of_the_tight_box() -> None:
    """`box_of_runs` cuts only the first and last runs: on a mask's tight box (toBbox, as
    SceneMasks reads it) it is `crop_of_runs` there, the pixels pycocotools decodes: masks on the
    frame's edges and corners, full, empty, speckled (more runs than the parities kept)."""
    from veriscene.scene.masks import box_of_runs

    rng = np.random.default_rng(7)
    h, w = 17, 13
    masks = _random_masks(rng, 20, h, w) + [np.ones((h, w), bool), np.zeros((h, w), bool)]
    for corner in ((0, 0), (h - 1, w - 1), (0, w - 1), (h - 1, 0)):
        masks.append(np.zeros((h, w), bool))
        masks[-1][corner] = True
    masks += [rng.random((h, w)) < 0.5, rng.random((90, 110)) < 0.5]
    for mask in masks:
        rle = encode_mask(mask)
        (runs,) = mask_runs([rle["counts"]], *mask.shape)
        x0, y0, x1, y1 = SceneMasks([rle], mask.shape[1], mask.shape[0]).boxes[0]
        crop = box_of_runs(runs, mask.shape[0], mask.shape[1], x0, y0, x1, y1)
        assert crop.shape == (y1 - y0, x1 - x0) and (crop == mask[y0:y1, x0:x1]).all()
        assert (crop == crop_of_runs(runs, mask.shape[0], x0, y0, x1, y1)).all()
        assert crop.sum() == mask.sum()  # the tight box holds every pixel
    assert runs.size > 4096


def test_counts_that_would_overrun_the_frame_are_refused_before_decoding() -> None:
    """pycocotools writes a mask's runs without checking them against the frame: a malformed RLE
    could corrupt memory and kill the process. Every mask's counts are read first."""
    import pytest

    from veriscene.errors import SceneValidationError
    from veriscene.scene.masks import bad_counts

    rng = np.random.default_rng(3)
    h, w = 23, 31
    masks = _random_masks(rng, 40, h, w) + [np.ones((h, w), bool), np.zeros((h, w), bool)]
    rles = [encode_mask(m) for m in masks]
    counts = [r["counts"] for r in rles]
    assert bad_counts(counts, h, w) is None
    assert bad_counts([c.encode() for c in counts] + [_uncompressed(masks[0])["counts"]], h, w) is None
    assert bad_counts(counts, h, w + 1) == (0, f"the runs add up to {h * w} pixels, not {h}x{w + 1}")
    wrong = {
        "abc": "compressed counts end inside a number",
        counts[3][:-1] + "o": "compressed counts end inside a number",
        counts[3] + "1": "the runs add up to",  # one more run, past the frame
        "0" + chr(127): "compressed counts hold a character outside",
        "@": "compressed counts hold a negative run",  # -16 pixels
        "ooooooooo0": "compressed counts hold a number too large",
        "": "compressed counts must be a non-empty ASCII string",
        "é": "compressed counts must be a non-empty ASCII string",
    }
    for text, why in wrong.items():
        found = bad_counts(counts[:3] + [text] + counts[3:], h, w)
        assert found is not None and found[0] == 3 and found[1].startswith(why), (text, found)
    assert bad_counts([[h * w + 1]], h, w) == (0, f"the runs add up to {h * w + 1} pixels, not {h}x{w}")
    assert bad_counts([[h * w, -1, 1]], h, w)[1].startswith("uncompressed counts must be")
    assert bad_counts([5], h, w)[1] == "counts must be a string (compressed RLE) or a list of ints, got int"
    # the lookups refuse them, naming the object; a mask decoded alone too
    rles[7] = {"size": [h, w], "counts": counts[7] + "1"}
    lookup = SceneMasks(rles, w, h)
    with pytest.raises(SceneValidationError, match="mask cannot be decoded") as raised:
        lookup.labels(0, 0, w, h)
    assert raised.value.field == "objects[7].mask.counts"
    with pytest.raises(SceneValidationError):
        decode_mask(rles[7])
    # each mask is told apart: the others still decode, the wrong one raises when looked up
    found = mask_runs([r["counts"] for r in rles], h, w)
    assert isinstance(found[7], str) and found[7].startswith("the runs add up to")
    assert all(not isinstance(r, str) for j, r in enumerate(found) if j != 7)
    lookup = SceneMasks(rles, w, h)
    x0, y0, x1, y1 = lookup.boxes[3]
    assert (lookup.pixels([3])[0] == masks[3][y0:y1, x0:x1]).all()
    with pytest.raises(SceneValidationError, match="objects\\[7\\]"):
        lookup.pixels([3, 7])


def test_many_masks_are_looked_up_through_a_grid_with_the_same_answers() -> None:
    """Past `_FEW_MASKS` masks, lookups test a grid's candidates instead of every mask's box:
    `near`, `at`, `labels` and `alone` answer as the masks themselves say (masks of rectangles
    and discs, some overlapping, an empty one first)."""
    from veriscene.scene.masks import _FEW_MASKS

    rng = np.random.default_rng(11)
    h, w = 60, 90
    masks = _random_masks(rng, 2 * _FEW_MASKS + 10, h, w)
    lookup = SceneMasks([encode_mask(m) for m in masks], w, h)
    expected = _expected_labels(masks)
    for row in range(0, h, 3):
        for col in range(0, w, 2):
            assert lookup.at(col, row) == [j for j, m in enumerate(masks) if m[row, col]]
    for _ in range(150):
        x0, y0 = int(rng.integers(w)), int(rng.integers(h))
        x1, y1 = x0 + int(rng.integers(1, w - x0 + 1)), y0 + int(rng.integers(1, h - y0 + 1))
        assert lookup.near(x0, y0, x1, y1) == [j for j, (a, b, c, d) in enumerate(lookup.boxes)
                                               if a < x1 and x0 < c and b < y1 and y0 < d]
        assert (lookup.labels(x0, y0, x1, y1) == expected[y0:y1, x0:x1]).all()
    for j in range(0, len(masks), 7):
        a, b, c, d = lookup.boxes[j]
        assert (lookup.alone(j, a, b, c, d) == (expected[b:d, a:c] == j)).all()
