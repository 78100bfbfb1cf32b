"""Free-form scoring on scene graphs that annotate a closed list of categories and nothing else
(COCO, Objects365: ``meta["category_set"]``): claims about the categories are checked, claims
about other names ("a window") are open, neither true nor false (helper-181). The categories are
the file's list, which the first scene read from it carries (``meta["categories"]``), else the
names of the input's scenes of the same set."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import pytest

from tests.io.readers.reader_helpers import read_all, write_json
from veriscene.evaluate.freeform import ReplyScore, score_texts
from veriscene.scene.model import Scene

# person, chair and dog on image 1; cat on image 2; no bus on any image
_COCO = {
    "images": [{"id": 1, "file_name": "a.jpg", "width": 640, "height": 480},
               {"id": 2, "file_name": "b.jpg", "width": 640, "height": 480}],
    "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [300, 100, 100, 300]},
                    {"id": 2, "image_id": 1, "category_id": 62, "bbox": [100, 250, 120, 200]},
                    {"id": 3, "image_id": 1, "category_id": 18, "bbox": [450, 350, 100, 100]},
                    {"id": 4, "image_id": 2, "category_id": 17, "bbox": [10, 10, 200, 200]}],
    "categories": [{"id": 1, "name": "person"}, {"id": 17, "name": "cat"}, {"id": 18, "name": "dog"},
                   {"id": 62, "name": "chair"}, {"id": 6, "name": "bus"}],
}


@pytest.fixture
def coco(tmp_path: Path) -> dict[str, Scene]:
    scenes, _ = read_all(write_json(tmp_path / "instances_val2017.json", _COCO), "coco")
    return {s.image_id: s for s in scenes}


def _score(scenes: dict[str, Scene], text: str, image: str = "1") -> ReplyScore:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (`test_without_the_list_a_category_no_scene_shows_is_open_and_said`)
        (score,), _, _ = score_texts([(image, text)], scenes, matcher="lexical")
    return score


def _verdicts(scenes: dict[str, Scene], text: str, image: str = "1") -> dict[str, bool | None]:
    return {c["text"]: c["supported"] for c in _score(scenes, text, image).claims}


def test_categories_are_checked_and_other_names_are_open(coco: dict[str, Scene]) -> None:
    # a true category object, a false one (a hallucination: stays false) and a window (open: COCO
    # does not annotate windows; it was false, as if COCO said there is none)
    assert _verdicts(coco, "There is a person, a cat and a window.") == {
        "person": True, "cat": False, "window": None}
    score = _score(coco, "A person sits on a chair near a window and a shelf.")
    assert score.hallucinations == [] and score.truthfulness == 1.0  # window, shelf and their relations open
    assert {c["text"]: c["supported"] for c in score.claims}["window"] is None


def test_absence_counts_and_narrower_names_on_a_category_set(coco: dict[str, Scene]) -> None:
    assert _verdicts(coco, "There is no window.") == {"no window": None}
    assert _verdicts(coco, "There is no cat.") == {"no cat": True}
    assert _verdicts(coco, "There is no dog.") == {"no dog": False}
    assert _verdicts(coco, "Two chairs and three windows.") == {
        "chair": True, "2 x chair": False, "window": None, "3 x window": None}
    # "a man" where COCO annotates a person: which one, is not known; where no person is, there
    # is no man (every person is annotated)
    assert _verdicts(coco, "A man.") == {"man": None}
    assert _verdicts(coco, "A man.", image="2") == {"man": False}


def test_another_data_set_s_names_do_not_make_a_category(coco: dict[str, Scene]) -> None:
    """A complete scene of the same input (a demo or CLEVR scene, every name annotated) with a
    window leaves COCO's windows open: only the scenes of a category set give its names."""
    room = Scene.from_objects("room", 400, 300, [{"name": "window", "box": [0, 0, 100, 100]},
                                                 {"name": "cat", "box": [200, 0, 300, 100]}])
    both = {**coco, "room": room}
    assert _verdicts(both, "A cat and a window.") == {"cat": False, "window": None}
    assert _verdicts(both, "A cat and a window.", image="room") == {"cat": True, "window": True}
    assert _verdicts(both, "A dog.", image="room") == {"dog": False}


def test_the_file_s_list_closes_a_category_no_scene_shows(coco: dict[str, Scene]) -> None:
    """The first scene read from the file carries its category list (``meta["categories"]``): a
    bus, a category of the file that no scene shows, is closed (false), and nothing is said; so
    it is on a subset of the scenes that holds the first (helper-183)."""
    assert coco["1"].meta["categories"] == ["bus", "cat", "chair", "dog", "person"]
    assert "categories" not in coco["2"].meta
    for scenes in (coco, {"1": coco["1"]}):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            (score,), _, _ = score_texts([("1", "A bus and a cat.")], scenes, matcher="lexical")
        assert {c["text"]: c["supported"] for c in score.claims} == {"bus": False, "cat": False}


def _without_list(scenes: dict[str, Scene]) -> dict[str, Scene]:
    return {k: replace(s, meta={m: v for m, v in s.meta.items() if m != "categories"}) for k, s in scenes.items()}


def test_without_the_list_a_category_no_scene_shows_is_open_and_said(coco: dict[str, Scene]) -> None:
    """Scenes converted before the list was written (or a subset without the file's first scene):
    the scenes read give the categories, and a bus, which no scene shows, is open (the number in
    the set id tells that one is missing, and a warning says so)."""
    with pytest.warns(UserWarning, match=r"4 of the 5 categories of category set '5:[0-9a-f]{16}'"):
        (score,), _, _ = score_texts([("1", "A bus and a cat.")], _without_list(coco), matcher="lexical")
    assert {c["text"]: c["supported"] for c in score.claims} == {"bus": None, "cat": False}


def test_a_list_that_is_not_the_set_s_is_not_read(coco: dict[str, Scene]) -> None:
    """A list edited by hand (a name added) is not its set's: not read, and said; the scenes'
    names give the categories, as without a list."""
    edited = dict(coco)
    edited["1"] = replace(coco["1"], meta={**coco["1"].meta, "categories": [*coco["1"].meta["categories"], "window"]})
    with pytest.warns(UserWarning) as said:
        (score,), _, _ = score_texts([("1", "A bus and a window.")], edited, matcher="lexical")
    assert any("meta.categories: 6 names that are not the list of category set '5:" in str(w.message) for w in said)
    assert {c["text"]: c["supported"] for c in score.claims} == {"bus": None, "window": None}


def test_scenes_without_a_category_set_annotate_every_name() -> None:
    """COCO scenes converted before (no ``meta["category_set"]``) are read as they were."""
    old = Scene.from_objects("1", 640, 480, [{"name": "person", "box": [300, 100, 400, 400]}])
    assert _verdicts({"1": old}, "A person and a window.") == {"person": True, "window": False}
