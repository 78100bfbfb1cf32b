"""The viewer draws the points a marked question names (`veriscene.scene.marks`) with their labels,
as a model is shown them: each on the image it is drawn on."""

import re
from pathlib import Path

import pytest

from tests.conftest import make_scene
from veriscene.demo.pipeline import run_demo
from veriscene.viewer.catalog import Catalog
from veriscene.viewer.figures import question_marks
from veriscene.viewer.pages import sample_card
from veriscene.viewer.static import EmbeddedLinks


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


def test_each_image_of_a_question_over_several_shows_its_own_mark() -> None:
    scene = make_scene([{"name": "box", "box": [10, 10, 50, 50]}], width=200, height=100)
    program = [{"op": "image_marked_point", "inputs": [], "args": [0, "A", 20.5, 30.5]},
               {"op": "image_marked_point", "inputs": [], "args": [1, "B", 120.25, 60.75]},
               {"op": "image_marked_point", "inputs": [], "args": [2, "C", 40.0, 70.0]}]
    record = {"program": program, "choices": None, "meta": {"mode": "qa"},
              "question": "In which image does the marked point lie on a box?"}
    for image, (label, centre) in enumerate([("A", ("20.5", "30.5")), ("B", ("120.2", "60.8")), ("C", ("40.0", "70.0"))]):
        svg = question_marks(record, scene, image=image)
        assert re.findall(r"<circle cx='([0-9.]+)' cy='([0-9.]+)'", svg) == [centre], image
        assert re.findall(r">([A-H])</text>", svg) == [label], image
    assert question_marks(record, scene, image=3) == ""


def test_the_html_view_draws_each_image_s_mark_on_that_image(tmp_path: Path) -> None:
    """Through `write_html` (the served page is the same `sample_card`): each figure of a sample
    over several images holds the mark its image carries (images[k].marks), and no other."""
    run_demo(tmp_path / "run", scenes=12, seed=0, generators="multi.marked_point.v1",
             generator_options={"multi.marked_point.v1": {"marks": True}})
    catalog = Catalog.open(tmp_path / "run")
    assert catalog.entries
    for k, entry in enumerate(catalog.entries[:6]):
        record = entry.record
        card = sample_card(catalog, k, EmbeddedLinks(catalog, 640))
        figures = card.split("<svg")[1:]  # one a figure, in image order
        assert len(figures) == len(record["images"]) >= 2
        for figure, image in zip(figures, record["images"]):
            (mark,) = image["marks"]
            assert re.findall(r">([A-H])</text>", figure) == [mark["label"]]
            (centre,) = re.findall(r"<circle cx='([0-9.]+)' cy='([0-9.]+)'", figure)
            assert [float(v) for v in centre] == pytest.approx(mark["point"], abs=0.05)
