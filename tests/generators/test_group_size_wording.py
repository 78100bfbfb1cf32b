"""Multi-image questions say two images as English does: "both images", "the other image", "more",
not "every image", "none of the other images", "the most" (which speak of three or more); and
the wording of single-image templates that read unnaturally ("tinier", "the circle of Image 1")."""

import pytest

from tests.generators.test_multi_ops import group_candidates, group_qa
from veriscene.generators import get_generator
from veriscene.generators.agreement import agree


def _texts(name: str, anchor: str, partners: str, template: int, sizes: tuple[int, ...]) -> set[str]:
    """Every question of template `template` proposed for the group (yes and no groups alike)."""
    templates = get_generator(name).templates["default"]
    return {agree(templates[template], c.plural).format(**c.slots)
            for c, _ in group_candidates(name, anchor, partners, sizes=sizes)}


def test_exists_all_asks_of_both_images_or_of_every_image() -> None:
    two = _texts("multi.exists_all.v1", "A", "BCD", 0, sizes=(2,))
    three = _texts("multi.exists_all.v1", "A", "BCD", 0, sizes=(3,))
    assert two and all(t.endswith(" in both images?") for t in two), two
    assert three and all(t.endswith(" in every image?") for t in three), three


@pytest.mark.parametrize(("generator", "anchor", "partners", "template", "sizes", "expected"), [
    ("multi.lacks_object.v1", "A", "B", 2, (2,), {
        "Only one of the two images shows a square. Which image does not?": "B",
        "Only one of the two images shows a triangle. Which image does not?": "A"}),
    ("multi.lacks_object.v1", "A", "BD", 2, (3,), {"All images but one show a square. Which image does not?": "B"}),
    ("multi.most_objects.v1", "B", "A", 2, (2,), {"Which image contains the larger number of circles?": "B"}),
    ("multi.most_objects.v1", "B", "AD", 2, (3,), {"Which image contains the largest number of circles?": "B"}),
    ("multi.most_objects.v1", "B", "AD", 0, (3,), {"Which image has the most circles?": "B"}),
    ("multi.least_objects.v1", "A", "B", 3, (2,), {"Count the circles in each image. Which image has fewer?": "A"}),
    ("multi.only_in.v1", "B", "D", 1, (2,),
     {"What kinds of objects does [B] contain that the other image does not?": ["triangle"]}),
    ("multi.only_in.v1", "C", "AB", 1, (3,),
     {"What kinds of objects does [C] contain that no other image contains?": ["star"]}),
])
def test_group_questions_agree_with_the_number_of_images(generator, anchor, partners, template, sizes,
                                                          expected) -> None:
    assert group_qa(generator, anchor, partners, sizes=sizes, template=template) == expected


def test_attribute_same_names_the_object_in_an_image_not_of_it() -> None:
    got = group_qa("multi.attribute_same.v1", "A", "D", template=2)
    assert got["Do the circle in [A] and the circle in [D] share their finish?"] is True
    assert not any(" of [" in question for question in got)  # "the head of Image 2": a part of the image?


def test_no_template_says_tinier() -> None:
    templates = get_generator("size.compare.v1").templates["smallest"]
    assert templates[2] == "Is {the_a} smaller than {the_b} in this picture?"
    assert not any("tinier" in t for group in get_generator("size.compare.v1").templates.values() for t in group)
