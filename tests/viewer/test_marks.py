"""The viewer draws the points a marked question names (`veriscene.scene.marks`) with their labels,
as a model is shown them: each on the image it is drawn on."""

import re
from pathlib import Path

from PIL import Image

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
    svg = question_marks(record, scene)  # each ring centred on its point's pixel, as drawn
    assert _centres(svg) == [(20.5, 30.5), (120.5, 60.5)]
    assert ">A</text>" in svg and ">B</text>" in svg


def test_each_image_of_a_question_over_several_shows_its_own_mark() -> None:
    scene = make_scene([{"name": "box", "box": [10, 10, 50, 50]}], width=200, height=100)
    program = [{"op": "image_marked_point", "inputs": [], "args": [0, "A", 20.5, 30.5]},
               {"op": "image_marked_point", "inputs": [], "args": [1, "B", 120.25, 60.75]},
               {"op": "image_marked_point", "inputs": [], "args": [2, "C", 40.0, 70.0]}]
    record = {"program": program, "choices": None, "meta": {"mode": "qa"},
              "question": "In which image does the marked point lie on a box?"}
    for image, (label, centre) in enumerate([("A", (20.5, 30.5)), ("B", (120.5, 60.5)), ("C", (40.5, 70.5))]):
        svg = question_marks(record, scene, image=image)
        assert _centres(svg) == [centre], image
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
            (centre,) = _centres(figure)  # on the point's pixel
            assert list(centre) == [int(v) + 0.5 for v in mark["point"]]


# --- the viewer's marks are the drawn image's, pixel for pixel (`scene.mark_drawing.mark_layout`) ----

GREY = (128, 128, 128)


def _label_rects(svg: str) -> list[tuple[str, tuple[int, int, int, int]]]:
    """(label, (x0, y0, x1, y1) exclusive) of each mark's label box in a figure's SVG."""
    found = re.findall(r"<g class='mark-label' data-label='([^']+)'><rect x='(\d+)' y='(\d+)' width='(\d+)' "
                       r"height='(\d+)'", svg)
    return [(label, (int(x), int(y), int(x) + int(w), int(y) + int(h))) for label, x, y, w, h in found]


def _centres(svg: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(
        r"<g class='mark' data-label='[^']+'><circle cx='([0-9.]+)' cy='([0-9.]+)'", svg)]


def assert_drawn_where_shown(svg: str, image: Image.Image, marks: list[dict]) -> None:
    """The label boxes and ring centres the SVG shows are where `draw_marks` puts them on `image`:
    each box's edge pixels are the drawing's black edge, the pixels just outside it untouched
    (away from the rings and the other labels), each ring centred on its point's pixel."""
    from veriscene.scene.mark_drawing import EDGE_COLOUR, draw_marks
    from veriscene.scene.marks import mark_reach

    drawn = draw_marks(image, marks)
    w, h = image.size
    reach = mark_reach(w, h)
    centres = [(int(m["point"][0]), int(m["point"][1])) for m in marks]
    assert _centres(svg) == [(cx + 0.5, cy + 0.5) for cx, cy in centres]
    rects = _label_rects(svg)
    assert [label for label, _ in rects] == [m["label"] for m in marks]

    def free(x: int, y: int, own: tuple[int, int, int, int]) -> bool:  # off every ring and other label
        return (0 <= x < w and 0 <= y < h and all((x - cx) ** 2 + (y - cy) ** 2 > (reach + 1) ** 2 for cx, cy in centres)
                and not any(b != own and b[0] <= x < b[2] and b[1] <= y < b[3] for _, b in rects))

    for _, (x0, y0, x1, y1) in rects:
        own = (x0, y0, x1, y1)
        edge = [(x, y) for x in range(x0, x1) for y in (y0, y1 - 1)] + [(x, y) for y in range(y0, y1) for x in (x0, x1 - 1)]
        outside = [(x, y) for x in range(x0 - 1, x1 + 1) for y in (y0 - 1, y1)] + \
                  [(x, y) for y in range(y0, y1) for x in (x0 - 1, x1)]
        assert all(drawn.getpixel(p) == EDGE_COLOUR for p in edge if free(*p, own))
        assert all(drawn.getpixel(p) == image.getpixel(p) for p in outside if free(*p, own))


def test_labels_are_shown_at_the_corner_the_image_draws_them() -> None:
    """`label_at` names where the drawn image puts a label (the generator's choice); the viewer
    shows it there, not beside the point as 0.32.0 did."""
    scene = make_scene([{"name": "box", "box": [10, 10, 150, 90]}], width=200, height=100)
    marks = [{"label": "A", "point": [60.5, 50.5], "label_at": "down left"},
             {"label": "B", "point": [120.25, 40.75], "label_at": "up left"},
             {"label": "C", "point": [15.5, 15.5]}]  # none named: the first corner inside, clear of the rest
    program = [{"op": "marked_point", "inputs": [], "args": [m["label"], *m["point"]]} for m in marks]
    record = {"program": program, "choices": None, "meta": {"mode": "qa"}, "question": "Which point ...?",
              "images": [{"id": "s0", "marks": marks}]}
    svg = question_marks(record, scene)
    assert_drawn_where_shown(svg, Image.new("RGB", (200, 100), GREY), marks)


def test_a_run_s_marked_samples_are_shown_as_drawn(tmp_path: Path) -> None:
    """On a demo run with marks on, every marked figure of the HTML view shows each label box and
    ring where the image handed to a model has them (drawn on the sample's own image)."""
    from veriscene.scene.image_files import read_rgb

    names = ("depth.points.v1", "segmentation.same_object.v1", "multi.marked_point.v1")
    run_demo(tmp_path / "run", scenes=12, seed=0, generators=",".join(names),
             generator_options={name: {"marks": True} for name in names})
    catalog = Catalog.open(tmp_path / "run")
    seen = set()
    for k, entry in enumerate(catalog.entries):
        record = entry.record
        if record["task"] in seen:
            continue
        seen.add(record["task"])
        card = sample_card(catalog, k, EmbeddedLinks(catalog, 640))
        for figure, image in zip(card.split("<svg")[1:], record["images"]):
            path = tmp_path / "run" / image["path"]
            assert_drawn_where_shown(figure, read_rgb(path), image["marks"])
    assert seen == set(names)
