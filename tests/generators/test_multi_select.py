"""multi_select generators on the hand-built world of test_multi_ops (see its docstring)."""

import pytest

from tests.generators.test_multi_ops import WORLD, group_candidates, group_qa


@pytest.mark.parametrize("anchor, partners, sizes, expected", [
    ("A", "B", (2,), {"Which image contains a square?": "A", "Which image contains a triangle?": "B"}),
    ("A", "BC", (3,), {"Which image contains a star?": "C"}),  # circle/square/triangle: no unique holder
])
def test_has_object(anchor, partners, sizes, expected) -> None:
    assert group_qa("multi.has_object.v1", anchor, partners, sizes=sizes) == expected


def test_has_object_paraphrases_name_the_group_size() -> None:
    assert group_qa("multi.has_object.v1", "A", "BC", sizes=(3,), template=1) == {
        "In which of the three images is there a star?": "C"}


def test_lacks_object() -> None:
    assert group_qa("multi.lacks_object.v1", "A", "BD") == {
        "Which image does not contain a triangle?": "A",  # A lacks it, B has one
        "Which image does not contain a square?": "B",  # A has one, B lacks it
    }


def test_has_attributed_uses_hard_negatives() -> None:
    assert group_qa("multi.has_attributed.v1", "A", "BD") == {
        "Which image contains a red circle?": "A",  # partner D: a circle, but blue (B has a red one)
        "Which image contains a large circle?": "A",  # partner D (B has a large circle)
        "Which image contains a blue square?": "A",  # partner B: no square at all (D's is blue)
        "Which image contains a matte square?": "A",
        "Which image contains a small square?": "A",  # partner D: a large square
    }  # "shiny circle": B and D both have one, so no group exists
    for cand, _ in group_candidates("multi.has_attributed.v1", "A", "BD"):
        if cand.slots["a_phrase"] in ("a red circle", "a large circle", "a small square"):
            assert {s.image_id for s in cand.scenes} == {"A", "D"}


@pytest.mark.parametrize("partners, partner", [("BD", "D"), ("B", "B")])
def test_has_relation_negatives_are_clear(partners: str, partner: str) -> None:
    # D holds a circle and a square with the square left of the circle: a clear negative of
    # "a circle to the left of a square"; B has no square at all.
    assert group_qa("multi.has_relation.v1", "A", partners) == {
        "In which image is there a circle to the left of a square?": "A",
        "In which image is there a square to the right of a circle?": "A",
    }
    for cand, _ in group_candidates("multi.has_relation.v1", "A", partners):
        assert {s.image_id for s in cand.scenes} == {"A", partner}


def test_image_options_are_image_labels() -> None:
    (cand, answer), *_ = group_candidates("multi.has_object.v1", "A", "BC", sizes=(3,))
    from veriscene.generators import get_generator

    gen = get_generator("multi.has_object.v1")()
    assert gen.choice_text(answer, WORLD["A"]) == f"Image {answer + 1}"
    assert sorted(cand.distractors) == [i for i in range(3) if i != answer]


@pytest.mark.parametrize(("name", "template", "asked"), [
    # a thing plural in form is one pair after "no": never "is there no glasses"
    ("glasses", 1, "In which of the two images is there no pair of glasses?"),
    ("jeans", 3, "Which of the images has no pair of jeans in it?"),
    ("sky", 1, "In which of the two images is there no sky?"),  # a substance: no "patch of"
    ("tree", 1, "In which of the two images is there no tree?"),
])
def test_lacks_object_says_one_object_after_no(name: str, template: int, asked: str) -> None:
    from veriscene.generators import get_generator
    from veriscene.generators.agreement import agree
    from veriscene.scene import Scene

    def scene(image_id: str, *names: str) -> Scene:
        return Scene.from_objects(image_id, 100, 100, [
            {"name": n, "box": [10 * k, 10, 10 * k + 8, 18], "attributes": []} for k, n in enumerate(names)])

    gen = get_generator("multi.lacks_object.v1")
    a, b = scene("A", name, "cup"), scene("B", "cup")
    cand = gen()._candidate((a, b), b, name)
    assert agree(gen.templates[cand.group][template], cand.plural).format(**cand.slots) == asked
