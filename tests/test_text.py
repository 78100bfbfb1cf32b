"""English surface forms: the cached shortcuts must say what inflect says."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from veriscene.text import (
    INITIALISMS, _unit_of, capitalise, counted, counted_plural, display_case, inflect_engine, is_uncountable, plural, region_noun,
    unit_phrase, with_article,
)

# Words inflect has special rules for (abbreviations, "hour", "uni-", "one", single letters, ...)
TRICKY = [
    "hour", "hourly", "heir", "honest", "honor", "euler", "mpeg", "uni", "unicorn", "union", "unimodal",
    "uninformed", "one", "once", "onetime", "oner", "ukr", "ukulele", "US", "USB", "UN", "UK", "UNESCO",
    "FBI", "FJORD", "HYPE", "HY", "RYE", "SQUID", "SCUBA", "X", "x", "a", "e", "u", "b", "y", "yttrium",
    "ybl", "ewe", "eu", "u-boat", "x-ray", "e-mail", "8", "11", "18th", "f-th", "apple", "red", "orange",
    "umbrella", "ubiquitous", "user", "NASA", "MRI", "LED", "ugly", "utensil", "owl", "yellow", "ice",
    "A", "an", "An", "AN", "a\tb", "\tred",
]

phrases = st.lists(st.sampled_from(TRICKY) | st.text("abcehinouxyFHNSUXY-. \t", min_size=1, max_size=6),
                   min_size=1, max_size=3).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(phrases)
def test_with_article_is_inflects_article(phrase: str) -> None:
    assume(_unit_of(phrase) is None)  # 'ice', 'oxen': no article, or counted in a unit (tested below)
    assert with_article(phrase) == inflect_engine().a(phrase)


def test_with_article_on_tricky_word_pairs() -> None:
    for first in TRICKY:
        for rest in ("", "cup", "x", "iron", "hour", "a", " cup", "cup ", "\tcup"):
            phrase = f"{first} {rest}" if rest else first
            if _unit_of(phrase) is None:
                assert with_article(phrase) == inflect_engine().a(phrase), phrase


def test_plural_inflects_the_last_word() -> None:
    assert plural("red box") == "red boxes" and plural("man") == "men" and counted(3, "large mouse") == "three large mice"
    assert counted(1, "hour glass") == "an hour glass" and with_article("unicorn horn") == "a unicorn horn"


_IMPORT_CHECK = """
import typeguard
before = typeguard.typechecked
from veriscene.text import inflect_engine
engine = inflect_engine()
assert typeguard.typechecked is before, "typeguard.typechecked was not restored"
words = ["hour", "box", "mouse", "unicorn", "cactus", "sheep", "octopus", "US"]
print([engine.a(w) for w in words], [engine.plural(w) for w in words], [engine.singular_noun(engine.plural(w)) for w in words])
# without run-time checks a wrong type reaches inflect's own code instead of typeguard's error
try:
    engine.a(3)
except typeguard.TypeCheckError:
    print("checked")
except Exception:
    print("unchecked")
"""


def test_inflect_is_imported_without_run_time_checks_and_says_the_same() -> None:
    """A fresh process: our import skips typeguard's instrumentation (2 s per process, 50-140 us
    per call) and gives the same words as inflect imported the usual way."""
    import subprocess
    import sys

    ours = subprocess.run([sys.executable, "-c", _IMPORT_CHECK], capture_output=True, text=True, check=True).stdout
    plain = subprocess.run([sys.executable, "-c", "import inflect\n" + _IMPORT_CHECK], capture_output=True,
                           text=True, check=True).stdout
    assert ours.splitlines()[-1] == "unchecked" and plain.splitlines()[-1] == "checked"
    assert ours.splitlines()[0] == plain.splitlines()[0]
    assert "an hour" in ours and "mice" in ours


@pytest.mark.parametrize(("noun", "one", "two", "many"), [
    ("jeans", "a pair of jeans", "two pairs of jeans", "jeans"),
    ("blue jeans", "a pair of blue jeans", "two pairs of blue jeans", "blue jeans"),
    ("scissors", "a pair of scissors", "two pairs of scissors", "scissors"),
    ("skis", "a pair of skis", "two pairs of skis", "skis"),  # COCO's category: one pair
    ("sunglasses", "a pair of sunglasses", "two pairs of sunglasses", "sunglasses"),
    ("stairs", "a flight of stairs", "two flights of stairs", "stairs"),
    ("species", "a species", "two species", "species"),
    ("dice", "a dice", "two dice", "dice"),
    ("hair drier", "a hair drier", "two hair driers", "hair driers"),
    ("elephant", "an elephant", "two elephants", "elephants"),  # ends like "pants", is not one
])
def test_nouns_plural_in_form(noun, one, two, many) -> None:
    assert with_article(noun) == one == counted(1, noun)
    assert counted(2, noun) == two and plural(noun) == many


def test_regions_are_named_without_a_number() -> None:
    from veriscene.text import is_mass, region_noun

    assert region_noun("sky") == "sky" and region_noun("brick wall") == "brick wall"
    assert region_noun("playing field") == "playing field" and region_noun("tree") == "trees"
    assert region_noun("building") == "buildings" and region_noun("stairs") == "stairs"
    assert is_mass("grass") and not is_mass("grass hopper") and not is_mass("dog")


def test_names_with_a_qualifier_inflect_the_noun_before_it() -> None:
    from veriscene.text import counted, plural, with_article

    # LVIS tells "bow (weapon)" from "bow (decorative ribbons)"
    assert plural("bow (weapon)") == "bows (weapon)" and counted(3, "glass (drink container)") == "three glasses (drink container)"
    assert with_article("aerosol can") == "an aerosol can" and counted(1, "bow (weapon)") == "a bow (weapon)"
    assert counted(2, "jeans (denim)") == "two pairs of jeans (denim)" and plural("jeans (denim)") == "jeans (denim)"
    assert plural("(x)") == "(x)s"  # nothing before the parenthesis: an ordinary word


def test_relation_phrases_of_visual_genome_and_gqa_predicates() -> None:
    from veriscene.text import is_prepositional, relation_phrase

    assert relation_phrase("left of") == "is to the left of"
    assert relation_phrase("holding") == "is holding"
    assert relation_phrase("to the left of") == "is to the left of"
    assert relation_phrase("attached to") == "is attached to" and relation_phrase("made of") == "is made of"
    assert relation_phrase("of") == "is of" and relation_phrase("parked on") == "is parked on"
    assert relation_phrase("has") == "has" and relation_phrase("wears") == "wears"
    assert is_prepositional("attached to") and not is_prepositional("wears")


@pytest.mark.parametrize(("noun", "one", "two", "many"), [
    # a name plural in form (JSONL input is not normalised): one object of it is a group
    ("trees", "a group of trees", "two groups of trees", "groups of trees"),
    ("people", "a group of people", "two groups of people", "groups of people"),
    ("tall men", "a group of tall men", "two groups of tall men", "groups of tall men"),
    # a substance: no article, counted in patches
    ("grass", "grass", "two patches of grass", "patches of grass"),
    ("green grass", "green grass", "two patches of green grass", "patches of green grass"),
    ("sky", "sky", "two patches of sky", "patches of sky"),
    ("big water", "big water", "two patches of big water", "patches of big water"),
    # food and drink of Visual Genome: it said "a crispy bacon", "an orange juice", "a toast"; boxes of
    # food are pieces or servings (`FOOD_UNITS`: COCO said "patches of broccoli")
    ("crispy bacon", "crispy bacon", "two pieces of crispy bacon", "pieces of crispy bacon"),
    ("orange juice", "orange juice", "two servings of orange juice", "servings of orange juice"),
    ("toast", "toast", "two pieces of toast", "pieces of toast"),
    # singular nouns that end like plurals, or are their own plurals: as before
    ("bus", "a bus", "two buses", "buses"), ("glass", "a glass", "two glasses", "glasses"),
    ("cactus", "a cactus", "two cactuses", "cactuses"), ("sheep", "a sheep", "two sheep", "sheep"),
    ("atlas", "an atlas", "two atlases", "atlases"), ("tennis racket", "a tennis racket", "two tennis rackets", "tennis rackets"),
    ("wall", "a wall", "two walls", "walls"), ("tree", "a tree", "two trees", "trees"),
])
def test_plural_names_and_substances(noun, one, two, many) -> None:
    assert with_article(noun) == one == counted(1, noun)
    assert counted(2, noun) == two and plural(noun) == many


def test_regions_of_plural_names_and_substances_are_named_as_they_are() -> None:
    from veriscene.text import is_uncountable, region_noun, singular_form

    assert region_noun("trees") == "trees" and region_noun("hair") == "hair" and region_noun("tree") == "trees"
    assert is_uncountable("grass") and is_uncountable("green grass") and not is_uncountable("wall")
    assert singular_form("trees") == "tree" and singular_form("people") == "person" and singular_form("men") == "man"
    for word in ("tree", "bus", "jeans", "glasses", "species", "sheep", "grass", "tennis", "US", "t-shirts"):
        assert singular_form(word) is None, word


@pytest.mark.parametrize(("noun", "one", "two", "many", "plural_verb"), [
    # the head of "N of M" is N: Visual Genome's collectives, parts and portions, raw as JSONL
    # keeps them ("a group of group of men is", "two patches of glass of water" were said)
    ("group of men", "a group of men", "two groups of men", "groups of men", False),
    ("row of trees", "a row of trees", "two rows of trees", "rows of trees", False),
    ("large group of people", "a large group of people", "two large groups of people", "large groups of people", False),
    ("pair of jeans", "a pair of jeans", "two pairs of jeans", "pairs of jeans", False),
    ("glass of water", "a glass of water", "two glasses of water", "glasses of water", False),
    ("piece of cake", "a piece of cake", "two pieces of cake", "pieces of cake", False),
    ("herd of sheep", "a herd of sheep", "two herds of sheep", "herds of sheep", False),
    ("group of men (crowd)", "a group of men (crowd)", "two groups of men (crowd)", "groups of men (crowd)", False),
])
def test_the_head_of_a_noun_of_a_noun_is_inflected_and_counted(noun, one, two, many, plural_verb) -> None:
    from veriscene.text import agreeing_relation_phrase, counted_plural, is_uncountable, takes_plural_verb, unit_phrase

    assert with_article(noun) == one == counted(1, noun) and unit_phrase(noun) == one.split(" ", 1)[1]
    assert counted(2, noun) == two and plural(noun) == many == counted_plural(noun)
    assert takes_plural_verb(noun) is plural_verb and not is_uncountable(noun)
    assert agreeing_relation_phrase(noun, "on") == "is on"


@pytest.mark.parametrize(("predicate", "one", "many", "after_noun"), [
    ("left of", "is to the left of", "are to the left of", "to the left of"),
    ("holding", "is holding", "are holding", "holding"),
    ("has", "has", "have", "with"), ("have", "has", "have", "with"),
    ("wears", "wears", "wear", "wearing"),
    ("hold", "holds", "hold", "holding"), ("holds", "holds", "hold", "holding"),
    ("carry", "carries", "carry", "carrying"), ("watch", "watches", "watch", "watching"),
    ("look at", "looks at", "look at", "looking at"), ("sit on", "sits on", "sit on", "sitting on"),
    ("belongs to", "belongs to", "belong to", "belonging to"),
    ("part of", "is part of", "are part of", "that is part of"), ("full of", "is full of", "are full of", "that is full of"),
    ("close to", "is close to", "are close to", "that is close to"),
    ("taller than", "is taller than", "are taller than", "that is taller than"),
    # raw Visual Genome wordings (JSONL input): copula and article dropped
    ("has a", "has", "have", "with"), ("on a", "is on", "are on", "on"), ("are on", "is on", "are on", "on"),
    ("is sitting on the", "is sitting on", "are sitting on", "sitting on"),
    ("rel0502", "rel0502", "rel0502", "rel0502"),  # not a word: as it is
])
def test_relation_phrases_conjugate_and_clean_predicates(predicate, one, many, after_noun) -> None:
    from veriscene.text import relation_modifier, relation_phrase, relation_phrase_plural

    assert relation_phrase(predicate) == one
    assert relation_phrase_plural(predicate) == many
    assert relation_modifier(predicate) == after_noun


def test_predicate_trimming() -> None:
    from veriscene.text import trim_predicate

    assert trim_predicate("has a") == "has" and trim_predicate("are on") == "on" and trim_predicate("is") == "is"
    assert trim_predicate("on the") == "on" and trim_predicate("a") == "a" and trim_predicate("in front of") == "in front of"


@pytest.mark.parametrize(("noun", "one", "counted_many", "plural_verb"), [
    ("cup", "cup", "cups", False), ("red cup", "red cup", "red cups", False),
    # a thing plural in form: one pair, counted in pairs ("How many jeans?" left the unit open)
    ("jeans", "pair of jeans", "pairs of jeans", True),
    ("blue glasses", "pair of blue glasses", "pairs of blue glasses", True),
    ("stairs", "flight of stairs", "flights of stairs", True),
    ("spectacles", "pair of spectacles", "pairs of spectacles", True),  # LVIS: never "a spectacle"
    # a kind of things (Open Images' classes): one piece, counted in pieces, said "the clothing is"
    ("clothing", "piece of clothing", "pieces of clothing", False),
    ("sports equipment", "piece of sports equipment", "pieces of sports equipment", False),
    ("luggage", "piece of luggage", "pieces of luggage", False), ("food", "piece of food", "pieces of food", False),
    # a substance: one patch, counted in patches, said "the grass is"
    ("grass", "patch of grass", "patches of grass", False), ("ground", "patch of ground", "patches of ground", False),
    # a name plural in form: one group
    ("trees", "group of trees", "groups of trees", True), ("people", "group of people", "groups of people", True),
    ("species", "species", "species", False), ("bus", "bus", "buses", False), ("person", "person", "people", False),
])
def test_units_counts_and_verbs_of_nouns(noun: str, one: str, counted_many: str, plural_verb: bool) -> None:
    from veriscene.text import counted_plural, takes_plural_verb, unit_phrase

    assert unit_phrase(noun) == one  # "at least one <one>"
    assert counted_plural(noun) == counted_many and counted(3, noun) == f"three {counted_many}"
    assert takes_plural_verb(noun) is plural_verb


@pytest.mark.parametrize(("subject", "predicate", "phrase"), [
    ("cup", "on", "is on"), ("jeans", "on", "are on"), ("glasses", "has", "have"), ("trees", "hold", "hold"),
    ("man", "hold", "holds"), ("blue jeans", "part of", "are part of"), ("grass", "covering", "is covering"),
])
def test_relation_phrase_agrees_with_its_subject(subject: str, predicate: str, phrase: str) -> None:
    from veriscene.text import agreeing_relation_phrase

    assert agreeing_relation_phrase(subject, predicate) == phrase


def test_meaningless_predicate_is_no_participle() -> None:
    from veriscene.text import relation_modifier

    assert relation_modifier("and") == "and"  # it said "anding"


@pytest.mark.parametrize(("predicate", "spatial"), [
    ("left of", True), ("to the right of", True), ("on", True), ("on top of", True), ("in front of", True),
    ("next to", True), ("close to", True), ("inside", True), ("behind", True), ("are on", True),
    ("made of", False), ("parked on", False), ("part of", False), ("holding", False), ("has", False),
    ("with", False), ("of", False), ("taller than", False), ("wears", False), ("attached to", False),
])
def test_spatial_predicates_say_where(predicate: str, spatial: bool) -> None:
    from veriscene.text import is_spatial

    assert is_spatial(predicate) is spatial


@pytest.mark.parametrize(("predicate", "one", "many", "after_noun"), [
    # a stative verb is said in the simple present: it read "the leg is belonging to the bag"
    ("belonging to", "belongs to", "belong to", "belonging to"),
    ("containing", "contains", "contain", "containing"), ("having", "has", "have", "with"),
    ("owning", "owns", "own", "owning"), ("resembling", "resembles", "resemble", "resembling"),
    ("including", "includes", "include", "including"), ("consisting of", "consists of", "consist of", "consisting of"),
    ("is belonging to the", "belongs to", "belong to", "belonging to"),
    # a possession said with "with" is said with "has": it read "the man is with the hat"
    ("with", "has", "have", "with"), ("is with", "has", "have", "with"), ("are with", "has", "have", "with"),
    # "has" with a particle: it read "the man with on the hat"
    ("has on", "has on", "have on", "that has on"),
    # participles of acts and placements stay progressive
    ("covering", "is covering", "are covering", "covering"), ("hanging on", "is hanging on", "are hanging on", "hanging on"),
    ("of", "is of", "are of", "of"),
])
def test_stative_and_possessive_predicates_read_as_english(predicate, one, many, after_noun) -> None:
    from veriscene.text import relation_modifier, relation_phrase, relation_phrase_plural

    assert relation_phrase(predicate) == one
    assert relation_phrase_plural(predicate) == many
    assert relation_modifier(predicate) == after_noun


@pytest.mark.parametrize(("subject", "predicate", "phrase", "modifier"), [
    # 'of' in a sentence says the subject's noun: it read "the leg is of the man"
    ("leg", "of", "is a leg of", "of"), ("apple", "of", "is an apple of", "of"),
    ("hair", "of", "is part of", "of"), ("jeans", "of", "are jeans of", "of"),
    ("jeans", "has on", "have on", "that have on"), ("jeans", "belonging to", "belong to", "belonging to"),
    ("cup", "with", "has", "with"), ("glasses", "with", "have", "with"),
])
def test_agreeing_phrases_of_links_and_statives(subject, predicate, phrase, modifier) -> None:
    from veriscene.text import agreeing_relation_modifier, agreeing_relation_phrase

    assert agreeing_relation_phrase(subject, predicate) == phrase
    assert agreeing_relation_modifier(subject, predicate) == modifier


@pytest.mark.parametrize(("predicate", "action"), [
    ("holding", True), ("eating", True), ("riding", True), ("playing with", True), ("wearing", True),
    ("is carrying", True),
    # a state or a placement: "What is the sign doing with the pole?" answered "hanging on" read wrong
    ("belonging to", False), ("containing", False), ("covering", False), ("hanging on", False),
    ("sitting on", False), ("laying on", False), ("surrounding", False), ("facing", False),
    # a participle followed by a place says where
    ("walking on", False), ("looking at", False), ("standing in", False),
    # not participles
    ("holds", False), ("on", False), ("left of", False), ("made of", False), ("has", False), ("with", False),
])
def test_actions_are_participles_of_acts(predicate: str, action: bool) -> None:
    from veriscene.text import is_action

    assert is_action(predicate) is action


def test_subject_free_phrases() -> None:
    from veriscene.text import has_subject_free_phrase

    assert not has_subject_free_phrase("of")  # "What is of the man?"
    assert has_subject_free_phrase("part of") and has_subject_free_phrase("belonging to")
    assert has_subject_free_phrase("with") and has_subject_free_phrase("on")


@pytest.mark.parametrize(("noun", "one", "two"), [
    ("clothing", "a piece of clothing", "two pieces of clothing"),
    ("sports equipment", "a piece of sports equipment", "two pieces of sports equipment"),
    ("spectacles", "a pair of spectacles", "two pairs of spectacles"),
])
def test_kinds_of_things_are_counted_in_pieces(noun: str, one: str, two: str) -> None:
    """Open Images' "Clothing" read "a clothing", "many clothings"; LVIS's "spectacles" "a spectacle"."""
    from veriscene.text import region_noun, singular_form

    assert with_article(noun) == one and counted(2, noun) == two
    assert region_noun(noun) == noun  # a region of it is named as it is, not "pieces of clothing"
    assert singular_form("spectacles") is None


@pytest.mark.parametrize(("name", "one", "two", "many", "sentence_start"), [
    # COCO's "tv": it said "a tv", "two tvs", "Tvs appear only in Image 2"
    ("tv", "a TV", "two TVs", "TVs", "TVs"),
    ("tv stand", "a TV stand", "two TV stands", "TV stands", "TV stands"),
    ("atm", "an ATM", "two ATMs", "ATMs", "ATMs"),
    # other COCO names, as they were
    ("hair drier", "a hair drier", "two hair driers", "hair driers", "Hair driers"),
    ("skis", "a pair of skis", "two pairs of skis", "pairs of skis", "Pairs of skis"),
    ("sports ball", "a sports ball", "two sports balls", "sports balls", "Sports balls"),
    ("dining table", "a dining table", "two dining tables", "dining tables", "Dining tables"),
    ("potted plant", "a potted plant", "two potted plants", "potted plants", "Potted plants"),
    ("mouse", "a mouse", "two mice", "mice", "Mice"),
    ("scissors", "a pair of scissors", "two pairs of scissors", "pairs of scissors", "Pairs of scissors"),
])
def test_coco_names_in_every_form(name: str, one: str, two: str, many: str, sentence_start: str) -> None:
    assert with_article(name) == one == counted(1, name)
    assert counted(2, name) == two and counted_plural(name) == many
    assert capitalise(counted_plural(name)) == sentence_start


def test_display_case_writes_initialisms_in_capitals_only() -> None:
    assert display_case("Are there more tvs than tv stands? Tvs") == "Are there more TVs than TV stands? TVs"
    assert display_case("a tvmonitor in the atmosphere") == "a tvmonitor in the atmosphere"  # whole words only
    assert unit_phrase("tv") == "TV" and region_noun("tv") == "TVs"
    # every initialism, in every case, is found by the cheap test that comes before the search
    for word in INITIALISMS:
        for form in (word, word.capitalize(), word.upper()):
            assert display_case(f"Is there a {form}? two {form}s") == f"Is there a {word.upper()}? two {word.upper()}s"


@pytest.mark.parametrize(("name", "two", "many"), [
    # boxes of food are pieces or servings (it said "two patches of broccoli"); still substances
    ("broccoli", "two pieces of broccoli", "pieces of broccoli"),
    ("cheese", "two pieces of cheese", "pieces of cheese"),
    ("rice", "two servings of rice", "servings of rice"),
    ("hot soup", "two servings of hot soup", "servings of hot soup"),
    ("grass", "two patches of grass", "patches of grass"),  # not food: patches, as before
])
def test_food_is_counted_in_pieces_or_servings(name: str, two: str, many: str) -> None:
    assert counted(2, name) == two and plural(name) == many == counted_plural(name)
    assert with_article(name) == name == region_noun(name)  # no article: a substance
    assert is_uncountable(name)  # never counted: "How many pieces of broccoli?" is not asked
