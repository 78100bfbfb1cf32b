"""Free-form scoring: replies about several images, about a region, attributes said with a verb,
and words that name no object (audit of the free-form reward)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.evaluate.conftest import samples
from veriscene.evaluate.freeform import FreeformItem, Lexicon, RuleExtractor, score_records, score_texts
from veriscene.evaluate.freeform.api import region_focus
from veriscene.evaluate.freeform.image_refs import ImageScope, split_by_image
from veriscene.scene import read_scenes


def _scenes(run: Path) -> dict:
    return {s.image_id: s for s in read_scenes(run / "scenes.jsonl")}


def _first(run: Path, task: str) -> dict:
    return next(s for s in samples(run) if s["task"] == task and not s.get("choices"))


def _score(scenes: dict, item: FreeformItem):
    return score_texts([item], scenes, matcher="lexical")[0][0]


def _extract(text: str) -> set[str]:
    lex = Lexicon()
    lex.add(names=["circle", "square", "hexagon", "star"])
    return {c.text for c in RuleExtractor(lex).extract(text)}


# -- several images -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("only image 2 contains three circles", [(["only", "contains", "three", "circles"], ImageScope((1,)))]),
    ("every image contains a hexagon", [(["contains", "a", "hexagon"], ImageScope(every=True))]),
    ("squares appear in image 1 , image 3 and image 4", [(["squares", "appear", "in", ",", "and"], ImageScope((0, 2, 3)))]),
    ("the first image has a circle , and the second picture a star",
     [(["has", "a", "circle", ","], ImageScope((0,))), (["and", "a", "star"], ImageScope((1,)))]),
    ("a circle is left of a square", [(["a", "circle", "is", "left", "of", "a", "square"], None)]),
    # a sentence ending on a soft break, as a reply cut short does ("... circle and"): IndexError
    ("image 1 has a circle and", [(["has", "a", "circle", "and"], ImageScope((0,)))]),
    ("a circle ,", [(["a", "circle", ","], None)]),
])
def test_split_by_image(text, expected) -> None:
    assert split_by_image(text.split()) == expected


@pytest.mark.parametrize("text", ["There is a red circle and", "There is a red circle,", "I see a circle, a square, and"])
def test_a_reply_cut_short_after_and_or_a_comma_is_scored(street, text: str) -> None:
    score = _score({street.image_id: street}, FreeformItem((street.image_id,), text))
    assert "circle" in {c["text"] for c in score.claims} and score.truthfulness > 0


def test_compare_caption_checked_against_every_image(demo_run) -> None:
    scenes = _scenes(demo_run)
    cap = next(s for s in samples(demo_run) if s["task"] == "multi.compare_caption.v1" and len(s["images"]) >= 3)
    ids = tuple(i["id"] for i in cap["images"])
    gold = _score(scenes, FreeformItem(ids, cap["answer"], cap["question"]))
    assert gold.truthfulness == 1.0 and gold.hallucinations == []
    assert all("[" in c["text"] for c in gold.claims)  # every claim is tied to the images it names
    # the same caption with images 1 and 2 swapped says what each holds wrongly
    swapped = cap["answer"].replace("Image 1", "Image #").replace("Image 2", "Image 1").replace("Image #", "Image 2")
    if swapped != cap["answer"] and _score(scenes, FreeformItem(ids, swapped)).claims != gold.claims:
        assert _score(scenes, FreeformItem(ids, swapped)).truthfulness < 1.0
    beyond = _score(scenes, FreeformItem(ids, f"Image {len(ids) + 1} contains a circle."))
    assert beyond.truthfulness == 0.0 and beyond.hallucinations == [f"circle [image {len(ids) + 1}]"]


def test_claim_ties_to_the_image_it_names(street) -> None:
    from tests.conftest import make_scene

    other = make_scene([{"name": "star", "box": [0, 0, 20, 20], "attributes": ["yellow"]}], image_id="s1")
    scenes = {"s0": street, "s1": other}
    assert _score(scenes, FreeformItem(("s0", "s1"), "There is a yellow star and a blue square.")).truthfulness == 1.0
    right = _score(scenes, FreeformItem(("s0", "s1"), "Image 1 has a blue square, and image 2 a yellow star."))
    wrong = _score(scenes, FreeformItem(("s0", "s1"), "Image 2 has a blue square, and image 1 a yellow star."))
    assert right.truthfulness == 1.0 and wrong.truthfulness == 0.0
    assert _score(scenes, FreeformItem(("s0", "s1"), "Both images contain a star.")).hallucinations == ["star [every image]"]


def test_score_records_uses_all_images_and_regions(demo_run) -> None:
    free = [s for s in samples(demo_run) if s["answer_type"] == "text" and not s.get("choices")]
    records = [{"id": s["id"], "task": s["task"], "status": "not_scored", "reply": s["answer"], "prompt": s["question"],
                "image_ids": [i["id"] for i in s["images"]]} for s in free]
    assert {"multi.compare_caption.v1", "region.describe.v1"} <= {s["task"] for s in free}
    summary = score_records(records, demo_run / "samples.jsonl")
    assert summary["n"] == len(free) and summary["unscorable"] == 0
    assert summary["truthfulness"] == 1.0 and summary["hallucinations"] == 0


# -- attributes said with a verb ------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("The hexagon is purple.", {"hexagon", "hexagon is purple"}),
    ("The hexagon is blue and small and shiny.", {"hexagon", "hexagon is blue", "hexagon is small", "hexagon is shiny"}),
    ("The large circle looks red, and the star is very tiny.",
     {"circle", "circle is big", "circle is red", "star", "star is tiny"}),
    ("The hexagon, which is blue, is left of the square.",
     {"hexagon", "hexagon is blue", "square", "hexagon left of square"}),
    ("The square is not red.", {"square"}),
    ("There are red circles.", {"circle", "circle is red"}),
])
def test_predicative_attributes(text, expected) -> None:
    assert _extract(text) == expected


def test_predicative_attribute_is_checked(street) -> None:
    scenes = {"s0": street}
    assert _score(scenes, FreeformItem(("s0",), "The square is blue.")).truthfulness == 1.0
    false = _score(scenes, FreeformItem(("s0",), "The square is red and shiny."))
    assert false.hallucinations == ["square is red", "square is shiny"]
    # grounded with the attributes the mention was named with: the small circle is matte
    assert _score(scenes, FreeformItem(("s0",), "The small circle is shiny.")).hallucinations == ["circle is shiny"]


# -- the object in a region -------------------------------------------------------------------------

def test_region_description_is_about_the_region(demo_run) -> None:
    scenes = _scenes(demo_run)
    s = next(x for x in samples(demo_run) if x["task"] == "region.describe.v1" and x["meta"]["mode"] == "qa")
    image = s["images"][0]["id"]
    focus = region_focus(s, scenes)
    assert focus is not None and len(focus) == 1
    scene = scenes[image]
    target = focus[0][1]
    other = next(i for i, n in enumerate(scene.names) if n != scene.names[target])
    everything = " and ".join(f"a {' '.join(sorted(a))} {n}" for n, a in zip(scene.names, scene.attributes))

    def score(text: str):
        return _score(scenes, FreeformItem((image,), text, s["question"], focus))

    gold = score(s["answer"])
    assert gold.truthfulness == 1.0 and gold.helpfulness == 1.0
    wrong = score(f"a {' '.join(sorted(scene.attributes[other]))} {scene.names[other]}")
    assert wrong.truthfulness == 0.0 and wrong.helpfulness == 0.0
    listed = score(everything)
    assert listed.truthfulness < 0.5 and listed.hallucinations


def test_region_of_a_sample_that_does_not_run_is_unknown(demo_run) -> None:
    from tests.conftest import make_scene

    # no object of this scene fills the sample's region: what the region holds is unknown
    scenes = {**_scenes(demo_run), "far": make_scene([{"name": "star", "box": [0, 0, 5, 5]}], image_id="far",
                                                     width=480, height=360)}
    s = _first(demo_run, "region.describe.v1")
    assert region_focus({**s, "images": [{"id": "far", "path": ""}]}, scenes) is None
    assert region_focus(_first(demo_run, "scene_graph.caption.v1"), scenes) == ()


# -- words that name no object ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("The image shows a simple composition of geometric shapes.", set()),
    ("A simple red circle.", {"circle", "circle is red"}),
    ("A detailed description of the scene.", set()),
    ("A dog sits near a simple circle.", {"dog", "circle", "dog near circle"}),
    ("The various shapes include a purple pentagon.", {"pentagon", "pentagon is purple"}),
])
def test_non_object_words(text, expected) -> None:
    assert _extract(text) == expected


def test_question_words_are_not_claims(demo_run) -> None:
    scenes = _scenes(demo_run)
    cap = _first(demo_run, "scene_graph.caption.v1")
    image = (cap["images"][0]["id"],)
    echo = _score(scenes, FreeformItem(image, cap["question"], cap["question"]))
    assert echo.claims == [] and echo.truthfulness is None and echo.helpfulness == 0.0
    # a word of the question that is not in the scene is still a hallucination when not from it
    planted = _score(scenes, FreeformItem(image, "There is a dog.", cap["question"]))
    assert planted.hallucinations == ["dog"]
