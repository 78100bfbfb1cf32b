"""Vocabulary shared by generators, readers and answer matching.

`ATTRIBUTE_TYPES` maps an attribute word to its type ("color", "material", ...), so a generator can
ask "What color is ...?" and draw distractors of the same type. Words not listed have type
"attribute" (untyped). Users extend it with `register_attribute_types`.
"""

from __future__ import annotations

from typing import Callable, Mapping

UNTYPED = "attribute"

_DEFAULT_TYPES: dict[str, tuple[str, ...]] = {
    "color": (
        "red", "green", "blue", "yellow", "purple", "orange", "gray", "grey", "brown", "black",
        "white", "pink", "cyan", "tan", "silver", "gold", "beige", "navy",
    ),
    "material": (
        "metal", "metallic", "rubber", "wooden", "wood", "plastic", "glass",
        "leather", "stone", "concrete", "brick", "fabric", "paper", "ceramic",
    ),
    "finish": ("matte", "shiny", "glossy", "dull"),
    "size": ("small", "large", "big", "tiny", "huge", "tall", "short", "little", "giant"),
    "shape": ("round", "square", "rectangular", "triangular", "circular", "oval", "cylindrical"),
    "pattern": ("striped", "dotted", "checkered", "plaid", "spotted", "plain", "patterned"),
}

ATTRIBUTE_TYPES: dict[str, str] = {
    word: kind for kind, words in _DEFAULT_TYPES.items() for word in words
}


def attribute_type(word: str) -> str:
    """The type of an attribute word ("color", "material", ...) or "attribute" if unknown."""
    return ATTRIBUTE_TYPES.get(word, UNTYPED)


# Called after every `register_attribute_types`: caches of results derived from the types.
_ON_REGISTER: list[Callable[[], None]] = []
_REGISTERED = [0]  # how many times types were registered (part of the key of cached results)


def attribute_types_version() -> int:
    """A number that changes whenever attribute types are registered."""
    return _REGISTERED[0]


def on_register_attribute_types(clear: Callable[[], None]) -> None:
    """Have `clear` (a cache's clear function) called whenever attribute types are registered."""
    _ON_REGISTER.append(clear)


def register_attribute_types(mapping: Mapping[str, str]) -> None:
    """Add or override attribute word -> type entries (e.g. {"crimson": "color"})."""
    for word, kind in mapping.items():
        if not word or not kind:
            raise ValueError(f"attribute type entries must be non-empty strings, got {word!r}: {kind!r}")
        ATTRIBUTE_TYPES[word] = kind
    _REGISTERED[0] += 1
    for clear in _ON_REGISTER:
        clear()


# Relation predicates whose meaning is purely geometric, with their converse. Used to phrase
# questions both ways and to reject degenerate relation questions.
CONVERSE_PREDICATES: dict[str, str] = {
    "left of": "right of",
    "right of": "left of",
    "above": "below",
    "below": "above",
    "in front of": "behind",
    "behind": "in front of",
    "near": "near",
}
