"""COCO RLE masks through pycocotools: round trip, tight box, and decoding inside the box."""

import numpy as np

from veriscene.scene.masks import decode_mask, decode_mask_box, encode_mask, mask_area, mask_to_box


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


def test_decode_mask_box_is_the_mask_inside_its_tight_box() -> None:
    for rle in (encode_mask(_mask()), {"size": [30, 40], "counts": encode_mask(_mask())["counts"].encode()}):
        x0, y0, pixels = decode_mask_box(rle)
        x1, y1 = (int(v) for v in mask_to_box(rle)[2:])
        assert (x0, y0) == (8, 5) and pixels.dtype == bool
        assert (pixels == decode_mask(rle)[y0:y1, x0:x1]).all()


def test_decode_mask_box_of_an_empty_mask_is_empty() -> None:
    x0, y0, pixels = decode_mask_box(encode_mask(np.zeros((6, 7), dtype=bool)))
    assert pixels.size == 0
