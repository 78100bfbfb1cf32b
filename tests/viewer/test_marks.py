"""The viewer draws the points a marked question names (`veriscene.scene.marks`) with their labels,
as a model is shown them."""

import re

from tests.conftest import make_scene
from veriscene.viewer.figures import question_marks


def test_marked_points_are_drawn_with_their_labels() -> None:
    scene = make_scene([{"name": "box", "box": [10, 10, 50, 50]}], width=200, height=100)
    program = [{"op": "marked_point", "inputs": [], "args": ["A", 20.5, 30.5]},
               {"op": "marked_point", "inputs": [], "args": ["B", 120.25, 60.75]},
               {"op": "closer_point", "inputs": [0, 1], "args": ["closer"]},
               {"op": "mark_label", "inputs": [2], "args": []}]
    record = {"program": program, "choices": None, "meta": {"mode": "qa"},
              "question": "Which point is closer to the camera: A or B?"}
    svg = question_marks(record, scene)
    assert re.findall(r"<circle cx='([0-9.]+)' cy='([0-9.]+)'", svg) == [("20.5", "30.5"), ("120.2", "60.8")]
    assert ">A</text>" in svg and ">B</text>" in svg
