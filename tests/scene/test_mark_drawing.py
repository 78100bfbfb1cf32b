"""Marks drawn with their label where the generator put it (``label_at``)."""

import numpy as np
import pytest
from PIL import Image

from veriscene.scene.mark_drawing import MARK_COLOUR, draw_marks
from veriscene.scene.marks import LABEL_CORNERS, label_box, marks_of


def _red_in(im: Image.Image, box: tuple[int, int, int, int]) -> int:
    a = np.asarray(im)[box[1]:box[3], box[0]:box[2]]
    return int((a == MARK_COLOUR).all(axis=-1).sum())


@pytest.mark.parametrize("corner", LABEL_CORNERS)
def test_the_label_is_drawn_at_the_corner_its_mark_names(corner) -> None:
    im = Image.new("RGB", (200, 100), (255, 255, 255))
    drawn = draw_marks(im, [{"label": "A", "point": [100.5, 50.5], "label_at": corner}])
    boxes = {c: label_box([100.5, 50.5], c, 200, 100) for c in LABEL_CORNERS}
    assert _red_in(drawn, boxes[corner]) > 40  # (a box of 13 px: red behind the letter, edged in black)
    assert all(_red_in(drawn, box) == 0 for c, box in boxes.items() if c != corner)


def test_a_mark_without_one_is_labelled_up_right_as_before() -> None:
    im = Image.new("RGB", (200, 100), (255, 255, 255))
    drawn = draw_marks(im, [{"label": "A", "point": [100.5, 50.5]}])
    assert _red_in(drawn, label_box([100.5, 50.5], "up right", 200, 100)) > 0


def test_a_label_corner_that_is_none_is_refused() -> None:
    with pytest.raises(ValueError, match=r"images\[0\].marks\[0\].label_at must be one of"):
        marks_of({"marks": [{"label": "A", "point": [1, 2], "label_at": "above"}]}, "images[0]")
