"""Names of medical label tables said as English and anatomy say them: tissues and body fluids are
substances ("white matter", never "a white matter" or "two white matters"), bowel comes in
loops, and body parts that end like plurals ("pancreas") are one thing."""

from __future__ import annotations

import pytest

from veriscene.text import (
    counted,
    counted_plural,
    is_uncountable,
    plural,
    singular_form,
    takes_plural_verb,
    unit_phrase,
    with_article,
)


@pytest.mark.parametrize(("name", "two", "many"), [
    ("white matter", "two regions of white matter", "regions of white matter"),
    ("grey matter", "two regions of grey matter", "regions of grey matter"),
    ("cerebrospinal fluid", "two regions of cerebrospinal fluid", "regions of cerebrospinal fluid"),
    ("edema", "two regions of edema", "regions of edema"),
    ("peritumoral oedema", "two regions of peritumoral oedema", "regions of peritumoral oedema"),
    ("subcutaneous fat", "two regions of subcutaneous fat", "regions of subcutaneous fat"),
    ("liver parenchyma", "two regions of liver parenchyma", "regions of liver parenchyma"),
    ("small bowel", "two loops of small bowel", "loops of small bowel"),
])
def test_tissues_are_substances_counted_in_regions(name: str, two: str, many: str) -> None:
    assert is_uncountable(name)  # so the counting generators never ask "How many ...?" of it
    assert with_article(name) == name == counted(1, name)  # "the image shows white matter"
    assert counted(2, name) == two and plural(name) == many == counted_plural(name)
    assert unit_phrase(name) == many.replace("regions", "region").replace("loops", "loop")
    assert not takes_plural_verb(name)


@pytest.mark.parametrize(("name", "one", "two"), [
    ("pancreas", "a pancreas", "two pancreases"),
    ("right iliopsoas", "a right iliopsoas", "two right iliopsoases"),
    ("left psoas", "a left psoas", "two left psoases"),
    ("left biceps", "a left biceps", "two left biceps"),
])
def test_body_parts_ending_like_plurals_are_one_thing(name: str, one: str, two: str) -> None:
    last = name.rpartition(" ")[2]
    assert singular_form(last) is None  # the normaliser keeps "pancreas" (it made "pancrea")
    assert with_article(name) == one and counted(2, name) == two  # not "a group of pancreas"
    assert not takes_plural_verb(name) and not is_uncountable(name)


def test_other_anatomy_ending_like_plurals_is_kept() -> None:
    assert singular_form("pons") is None and singular_form("ascites") is None  # not "pon", "ascite"
    assert is_uncountable("ascites") and with_article("ascites") == "ascites"
    assert singular_form("kidneys") == "kidney" and singular_form("vertebrae") == "vertebra"  # as before


def test_names_ending_in_a_number_take_a_lower_case_s() -> None:
    assert plural("liver segment 1") == "liver segment 1s"  # inflect wrote "1S"
    assert counted(2, "liver segment 4") == "two liver segment 4s"
    # other words as inflect has them
    assert plural("glass") == "glasses" and plural("bus") == "buses" and plural("kidney") == "kidneys"
