from __future__ import annotations

import json
from pathlib import Path

import pytest

from veriscene.io.normalize import Normalizer


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Dog", "dog"), ("  Tennis   Balls ", "tennis ball"), ("people", "person"), ("Men", "man"),
        ("leaves", "leaf"), ("boxes", "box"), ("buses", "bus"), ("bus", "bus"), ("glass", "glass"),
        ("cactus", "cactus"), ("jeans", "jeans"), ("glasses", "glasses"), ("gas", "gas"),
        ("tennis", "tennis"), ("fire_hydrant", "fire hydrant"), ("t-shirt", "t-shirt"), ("sheep", "sheep"),
    ],
)
def test_names(raw: str, expected: str) -> None:
    assert Normalizer().name(raw) == expected


def test_synonyms_are_extendable_and_normalised() -> None:
    norm = Normalizer({"T Shirt": "shirt"}, attribute_synonyms={"Crimson": "red"}, predicate_synonyms={"on top of": "on"})
    assert norm.name("t  shirts") == "shirt"
    assert norm.attribute(" CRIMSON ") == "red" and norm.attribute("grey") == "gray"
    assert norm.predicate("On  Top Of") == "on"
    norm.add_synonyms({"puppy": "dog"})
    assert norm.name("Puppies") == "dog"
    with pytest.raises(ValueError):
        norm.add_synonyms({"": "x"})
    with pytest.raises(ValueError):
        norm.add_synonyms({"a": "b"}, kind="colour")


def test_singularize_off() -> None:
    assert Normalizer(singularize=False).name("Dogs") == "dogs"


def test_from_file(tmp_path: Path) -> None:
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"kitty": "cat"}))
    assert Normalizer.from_file(flat).name("Kitties") == "cat"
    sections = tmp_path / "s.json"
    sections.write_text(json.dumps({"names": {"kitty": "cat"}, "attributes": {"scarlet": "red"}}))
    n = Normalizer.from_file(sections)
    assert n.name("kitty") == "cat" and n.attribute("Scarlet") == "red"
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        Normalizer.from_file(bad)


def test_singular_names_use_the_engine_without_run_time_checks() -> None:
    """Readers singularise names through veriscene's shared inflect engine, imported without
    typeguard's instrumentation (which costs about 2 s in every process that converts a data set,
    and checks the arguments of every call)."""
    import subprocess
    import sys

    check = (
        "import typeguard\n"
        "from veriscene.io.normalize import Normalizer\n"
        "from veriscene.text import inflect_engine\n"
        "norm = Normalizer()\n"
        "print(norm.name('Tennis Balls'), 'inflect' in __import__('sys').modules)\n"
        "try:\n"
        "    inflect_engine().a(3)\n"
        "except typeguard.TypeCheckError:\n"
        "    print('checked')\n"
        "except Exception:\n"
        "    print('unchecked')\n"
    )
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["tennis ball True", "unchecked"]


def test_direction_wordings_are_the_ops_ones() -> None:
    n = Normalizer()
    assert n.predicate("To the left of") == "left of" and n.predicate("to the right of") == "right of"
    assert n.predicate("on the left of") == "left of" and n.predicate("on left side of") == "on left side of"
    assert Normalizer(predicate_synonyms={"to the left of": "beside"}).predicate("to the left of") == "beside"


@pytest.mark.parametrize(("raw", "expected"), [
    ("has a", "has"), ("ON A", "on"), ("are on", "on"), ("is sitting on the", "sitting on"), ("wearing his", "wearing"),
    ("part of", "part of"), ("hold", "hold"), ("and", ""), ("is", ""), ("  And ", ""), ("to the left of", "left of"),
    ("are to the left of", "left of"),
])
def test_predicates_lose_copulas_and_articles(raw: str, expected: str) -> None:
    assert Normalizer().predicate(raw) == expected
    assert Normalizer(predicate_synonyms={"and": "near"}).predicate("and") == "near"  # a synonym decides first


@pytest.mark.parametrize(("raw", "expected"), [
    ("trees", ("tree", True)), ("People", ("person", True)), ("tall men", ("tall man", True)),
    ("tree", ("tree", False)), ("jeans", ("jeans", False)), ("bus", ("bus", False)), ("grass", ("grass", False)),
    ("sheep", ("sheep", False)),
])
def test_name_and_group_tells_plural_names(raw: str, expected: tuple[str, bool]) -> None:
    assert Normalizer().name_and_group(raw) == expected
    assert Normalizer(singularize=False).name_and_group(raw) == (raw.lower(), False)


@pytest.mark.parametrize(
    "raw, expected, plain",
    [
        # plurals: one box around several (as before)
        ("trees", ("tree", True), "tree"), ("people", ("person", True), "person"),
        ("clouds", ("cloud", True), "cloud"), ("leaves", ("leaf", True), "leaf"),
        # collectives: a group of what they collect, whatever their modifiers or number
        ("group of people", ("person", True), "group of person"),
        ("Bunch of  Bananas", ("banana", True), "bunch of banana"),
        ("large herd of zebras", ("zebra", True), "large herd of zebra"),
        ("groups of people", ("person", True), "groups of person"),
        ("a group of trees", ("tree", True), "a group of tree"),
        ("group of tree", ("tree", True), "group of tree"),  # singular after "of": still several
        ("flock of sheep", ("sheep", True), "flock of sheep"),
        ("row of windows", ("window", True), "row of window"),
        ("pair of shoes", ("shoe", True), "pair of shoe"),
        ("stack of plates", ("plate", True), "stack of plate"),
        ("line of cars", ("car", True), "line of car"),
        # named alone: people, or the collective kept
        ("crowd", ("person", True), "crowd"), ("large crowd", ("person", True), "large crowd"),
        ("crowds", ("person", True), "crowd"), ("cattle", ("cow", True), "cattle"),
        ("herd", ("herd", True), "herd"), ("herds", ("herd", True), "herd"),
        # one thing: a pair of what comes in pairs, a heap of a substance, a portion, a single word
        ("pair of jeans", ("jeans", False), "pair of jeans"), ("pair of glasses", ("glasses", False), "pair of glasses"),
        ("set of stairs", ("stairs", False), "set of stairs"),
        ("stack of jeans", ("jeans", True), "stack of jeans"),
        ("pile of snow", ("pile of snow", False), "pile of snow"),
        ("bunch of broccoli", ("bunch of broccoli", False), "bunch of broccoli"),
        ("piece of cake", ("piece of cake", False), "piece of cake"),
        # before a singular, a collective that may name one thing or a part is read as written
        ("string of kite", ("string of kite", False), "string of kite"),
        ("line of sight", ("line of sight", False), "line of sight"),
        ("band of watch", ("band of watch", False), "band of watch"),
        ("string of lights", ("light", True), "string of light"),
        ("glass of water", ("glass of water", False), "glass of water"),
        ("line", ("line", False), "line"), ("smoke stack", ("smoke stack", False), "smoke stack"),
        ("glasses", ("glasses", False), "glasses"), ("pants", ("pants", False), "pants"),
        ("scissors", ("scissors", False), "scissors"), ("bus", ("bus", False), "bus"),
        ("grass", ("grass", False), "grass"),
    ],
)
def test_groups(raw: str, expected: tuple[str, bool], plain: str) -> None:
    """`name_and_group` reads plurals and collectives as groups of their members; `name`, whose
    callers keep no group flag, leaves a collective as written (a group of people is no person)."""
    norm = Normalizer()
    assert norm.name_and_group(raw) == expected
    assert norm.name(raw) == plain


def test_groups_use_the_synonyms_and_not_without_singularising() -> None:
    assert Normalizer({"kitty": "cat"}).name_and_group("bunch of kitties") == ("cat", True)
    assert Normalizer(singularize=False).name_and_group("group of people") == ("group of people", False)
