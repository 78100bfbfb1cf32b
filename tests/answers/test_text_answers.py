"""Words and phrases (str), sets of them (str_set) and image indices."""

from __future__ import annotations

import itertools

import pytest

from veriscene.answers import match_answer, normalize_phrase, parse_answer

from ._variants import CORE_WRAPPERS, wrap

# --- str ----------------------------------------------------------------------------------

GOLDS = ["red", "dog", "gray", "wooden table", "left of", "person", "cup", "traffic light", "metal"]


def _str_forms(gold: str) -> list[str]:
    plural = {"person": "people", "left of": "left of", "metal": "metal"}.get(gold, gold + "s")
    return [gold, gold.upper(), gold.title(), f"the {gold}", f"a {gold}", f"It is {gold}.",
            f"It's a {gold}", f"I think it is {gold}", plural, f"The object is a {gold}."]


STR_VARIANTS = [(r, g) for g in GOLDS for f in _str_forms(g) for r in wrap(f, CORE_WRAPPERS)]


@pytest.mark.parametrize(("reply", "gold"), STR_VARIANTS)
def test_str_variants_match(reply: str, gold: str) -> None:
    res = match_answer(reply, gold, "str")
    assert res.correct and res.score == 1.0, (res.reason, res.parsed)


@pytest.mark.parametrize(("reply", "gold", "correct"), [
    ("grey", "gray", True), ("Grey.", "gray", True), ("blue", "red", False), ("a cat", "dog", False),
    ("It is light blue.", "light blue", True), ("It is light blue.", "blue", True),
    ("It is red, not blue.", "red", True), ("The dogs.", "dog", True), ("mice", "mouse", True),
    ("Glasses", "glasses", True), ("T-shirt", "t shirt", True), ("black & white", "black and white", True),
    ("The ball is red and the cube is blue.", "red", False), ("to the left of", "left of", True),
])
def test_str_hand(reply: str, gold: str, correct: bool) -> None:
    res = match_answer(reply, gold, "str")
    assert res.correct is correct, (res.reason, res.parsed)


@pytest.mark.parametrize("reply", ["red or blue", "red, blue, green", "red/blue", "It is red, blue or green."])
def test_str_enumerations_fail(reply: str) -> None:
    res = match_answer(reply, "red", "str")
    assert res.parse_failed and res.score == 0.0 and res.reason


def test_str_synonyms_and_vocabulary() -> None:
    assert match_answer("crimson", "red", "str", synonyms={"crimson": "red"}).correct
    assert not match_answer("crimson", "red", "str").correct
    vocab = ["dog", "cat", "horse"]
    assert match_answer("I'm fairly confident the animal is a cat.", "cat", "str", vocabulary=vocab).correct
    res = match_answer("Either a cat or a dog.", "cat", "str", vocabulary=vocab)
    assert res.parse_failed and res.reason
    assert "several" in (match_answer("A cat and a dog.", "cat", "str", vocabulary=vocab).reason or "")
    assert parse_answer("It is a horse.", "str", vocabulary=vocab).value == "horse"


@pytest.mark.parametrize(("text", "norm"), [
    ("The Grey Dogs.", "gray dog"), ("an apple", "apple"), ("T-shirts", "t shirt"), ("people", "person"),
    ("Bus", "bus"), ("buses", "bus"), ("glass", "glass"), ("  Red!! ", "red"), ("dog's", "dog"),
])
def test_normalize_phrase(text: str, norm: str) -> None:
    assert normalize_phrase(text) == norm


# --- str_set ------------------------------------------------------------------------------

SETS = [["cat", "dog"], ["cat", "dog", "horse"], ["bench", "person", "umbrella"], ["red"], ["cup", "plate", "spoon", "table"]]


def _set_forms(items: list[str]) -> list[str]:
    out = []
    for order in itertools.islice(itertools.permutations(items), 3):
        out += [", ".join(order), " and ".join(order), "; ".join(order),
                ", ".join(order[:-1]) + (" and " if len(order) > 1 else "") + order[-1],
                ", ".join(f"a {x}" for x in order), ", ".join(x + "s" for x in order),
                "The objects are: " + ", ".join(order), "\n".join(f"- {x}" for x in order),
                "I see " + ", ".join(f"two {x}s" for x in order)]
    return out


SET_VARIANTS = [(r, s) for s in SETS for f in _set_forms(s) for r in wrap(f, CORE_WRAPPERS[:6])]


@pytest.mark.parametrize(("reply", "gold"), SET_VARIANTS)
def test_set_variants(reply: str, gold: list[str]) -> None:
    res = match_answer(reply, gold, "str_set")
    assert res.correct and res.score == 1.0, (res.reason, res.parsed)


@pytest.mark.parametrize(("reply", "gold", "score"), [
    ("dog", ["cat", "dog"], 0.5), ("dog, cat, horse", ["cat", "dog"], 0.5), ("bird", ["cat"], 0.0),
    ("None", [], 1.0), ("There are none.", [], 1.0), ("dog", [], 0.0), ("nothing", ["cat"], 0.0),
    ("Grey, white", ["gray", "white"], 1.0),
])
def test_set_score(reply: str, gold: list[str], score: float) -> None:
    res = match_answer(reply, gold, "str_set")
    assert res.score == pytest.approx(score) and res.correct is (score == 1.0)


def test_set_parsed_is_sorted_normalised() -> None:
    assert parse_answer("Dogs, a cat and the Horses", "str_set").value == ["cat", "dog", "horse"]
    assert not parse_answer("", "str_set").ok


# --- image_index --------------------------------------------------------------------------

ORDINAL_WORDS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]
NUMBER_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight"]
SUFFIX = {1: "st", 2: "nd", 3: "rd"}


def _index_forms(n: int) -> list[str]:
    return [f"Image {n}", f"image {n}", f"Image #{n}", f"the {ORDINAL_WORDS[n - 1]} image",
            f"The {ORDINAL_WORDS[n - 1].title()} picture", f"image {NUMBER_WORDS[n - 1]}", str(n),
            f"The {n}{SUFFIX.get(n, 'th')} image.", f"Picture {n} shows the dog.", ORDINAL_WORDS[n - 1],
            f"It is in Image {n}."]


INDEX_VARIANTS = [(r, n - 1) for n in range(1, 9) for f in _index_forms(n) for r in wrap(f, CORE_WRAPPERS)]


@pytest.mark.parametrize(("reply", "index"), INDEX_VARIANTS)
def test_image_index_variants(reply: str, index: int) -> None:
    res = parse_answer(reply, "image_index")
    assert res.ok, res.reason
    assert res.value == index


@pytest.mark.parametrize(("reply", "reason"), [
    ("Image 1 and Image 2", "several images"), ("Image 0", "start at 1"), ("the left one", "no image number"),
])
def test_image_index_failures(reply: str, reason: str) -> None:
    res = parse_answer(reply, "image_index")
    assert not res.ok and reason in (res.reason or "")


def test_image_index_match() -> None:
    assert match_answer("the second image", 1, "image_index").correct
    assert not match_answer("Image 1", 1, "image_index").correct


# --- str: replies naming several candidates of the gold's kind (gaming) -------------------

@pytest.mark.parametrize(("reply", "gold"), [
    ("circle triangle star hexagon diamond", "hexagon"),
    ("The object could be a circle, a triangle, a star, a hexagon or a diamond.", "hexagon"),
    ("The answer is one of circle triangle star hexagon diamond", "hexagon"),
    ("hexagon star", "hexagon"),
    ("cat horse dog", "dog"),
    ("It might be a dog, a cat or a horse.", "dog"),
    ("color finish size", "color"),
    ("red green blue", "green"),
])
def test_str_listing_candidates_fails(reply: str, gold: str) -> None:
    result = match_answer(reply, gold, "str")
    assert result.parse_failed and not result.correct and result.score == 0.0


@pytest.mark.parametrize(("reply", "gold"), [
    ("It is a hexagon.", "hexagon"),
    ("The rightmost object is the hexagon.", "hexagon"),
    ("It's the hexagon on the right.", "hexagon"),
    ("The hexagon, not the star.", "hexagon"),
    ("It is a large brown dog.", "dog"),
    ("fluffy dog", "dog"),
    ("The hexagon is green.", "green"),  # a name beside a colour is no second colour
    ("It is a green hexagon.", "green"),
    ("It is to the left of the square.", "left of"),  # "square" is a shape, not a relation
    ("The hexagon is left of the square, not right of it.", "left of"),
])
def test_str_natural_replies_with_other_kinds_pass(reply: str, gold: str) -> None:
    assert match_answer(reply, gold, "str").correct


@pytest.mark.parametrize("reply", ["Image 1 or 2", "Image 2 and 3", "Images 1 and 2", "images 1, 2 and 3", "Image 1-3"])
def test_image_index_several_images_fail(reply: str) -> None:
    result = parse_answer(reply, "image_index")
    assert not result.ok and "several images" in (result.reason or "")


def test_the_last_image_needs_the_number_of_images() -> None:
    assert parse_answer("the last image", "image_index", num_images=4).value == 3
    assert parse_answer("The last one.", "image_index", num_images=2).value == 1
    result = parse_answer("the last image", "image_index")
    assert not result.ok and "number of images" in (result.reason or "")


def test_set_oxford_comma_or_splits_items() -> None:
    assert parse_answer("gray, matte, or small", "str_set").value == ["gray", "matte", "small"]


@pytest.mark.parametrize(("reply", "gold", "correct"), [
    ("big", "large", True), ("It is large.", "big", True), ("The table is wooden.", "wood", True),
    ("A large wooden cube", "big wood cube", True), ("circular", "round", True), ("Grey", "gray", True),
    ("small", "large", False), ("huge", "big", False), ("metal", "wood", False),
    # a finish in `vocab` (how a surface looks), but said of a material it says metal, as "wooden" says wood
    ("metallic", "metal", True), ("A large metallic cube", "big metal cube", True), ("metallic", "rubber", False),
])
def test_attribute_synonym_classes_match_by_default(reply: str, gold: str, correct: bool) -> None:
    # vocab.SYNONYM_CLASSES: words of one class are one answer ("huge" is narrower than "big",
    # not the same word: a different answer)
    assert match_answer(reply, gold, "str").correct is correct


def test_an_option_named_by_a_synonym_is_chosen() -> None:
    res = match_answer("Big.", "large", "str", choices=["small", "large"], answer_letter="B")
    assert res.correct and res.parsed == "large"
    assert not match_answer("It is little.", "large", "str", choices=["small", "large"], answer_letter="B").correct
