"""Colour words read from pixels."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from veriscene.annotate.colours import COLOURS, dominant_colour, pixel_colours
from veriscene.vocab import attribute_type


def hsv_of(rgb: tuple[int, int, int], size: tuple[int, int] = (4, 4)) -> np.ndarray:
    return np.asarray(Image.new("RGB", size, rgb).convert("HSV"))


@pytest.mark.parametrize("rgb, name", [
    ((230, 20, 20), "red"), ((250, 140, 0), "orange"), ((240, 230, 30), "yellow"), ((20, 160, 40), "green"),
    ((30, 60, 220), "blue"), ((130, 40, 200), "purple"), ((240, 80, 180), "pink"), ((120, 60, 20), "brown"),
    ((10, 10, 10), "black"), ((245, 245, 245), "white"), ((128, 128, 128), "gray"),
])
def test_pixel_colours(rgb: tuple[int, int, int], name: str) -> None:
    assert {COLOURS[int(k)] for k in pixel_colours(hsv_of(rgb)).ravel()} == {name}


def test_colour_words_are_typed_colours() -> None:
    assert {attribute_type(c) for c in COLOURS} == {"color"}


def test_dominant_colour_reads_the_middle_of_the_box_and_needs_a_majority() -> None:
    image = Image.new("RGB", (40, 40), (30, 60, 220))  # blue around ...
    image.paste((230, 20, 20), (10, 10, 30, 30))  # ... a red middle
    hsv = np.asarray(image.convert("HSV"))
    assert dominant_colour(hsv, [0, 0, 40, 40]) == "red"  # the middle half of the box is red
    assert dominant_colour(hsv, [0, 0, 40, 40], inner=1.0) == "blue"  # 400 red of 1,600 pixels
    assert dominant_colour(hsv, [0, 0, 40, 40], inner=1.0, share=0.8) is None
    assert dominant_colour(hsv, [39.5, 39.5, 40, 40]) == "blue"  # a sliver still reads a pixel
