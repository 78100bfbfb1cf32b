"""Names, attributes and predicates are normalised here, and only here, for every reader.

- object names: lower case, whitespace collapsed, last word made singular ("Tennis  Balls" ->
  "tennis ball", "people" -> "person"), then the synonym map;
- attributes and predicates: lower case, whitespace collapsed, then their synonym maps ("grey"
  is "gray", GQA's "to the left of" is "left of", as the demo and the ops that read directions
  from the boxes say it).

Singular forms come from `inflect` (offline). Its rules strip a final "s" from words such as "bus"
or "cactus", so short words, words ending in -ss/-us/-is/-ics and nouns that only exist in the
plural ("jeans", "glasses") are left alone; irregular plurals ("men", "mice") are handled.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import orjson

from veriscene.text import SAME_PLURAL, UNIT_NOUNS, inflect_engine

_SPACE = re.compile(r"\s+")

# Nouns used in the plural for one thing (`text.UNIT_NOUNS`), whose plural is the word itself, or
# that inflect would mangle.
_KEEP_PLURAL = frozenset(UNIT_NOUNS) | SAME_PLURAL | {"gas", "canvas", "lens"}
_KEEP_SUFFIXES = ("ss", "us", "is", "ics", "ous")


_PREDICATE_SYNONYMS = {
    "to the left of": "left of", "to the right of": "right of", "to left of": "left of",
    "to right of": "right of", "on the left of": "left of", "on the right of": "right of",
}


def _clean(raw: str) -> str:
    return _SPACE.sub(" ", raw.replace("_", " ")).strip().lower()


class Normalizer:
    """Normalise object names, attributes and predicates.

    `synonyms` maps a normalised object name to its canonical form (e.g. {"men": "man"} is not
    needed, {"t shirt": "shirt"} might be); `attribute_synonyms` and `predicate_synonyms` do the
    same for attributes ({"grey": "gray"}) and predicates ({"on top of": "on"}). Keys are
    normalised like the words they replace, so users may write them in any case.
    """

    def __init__(
        self,
        synonyms: Mapping[str, str] | None = None,
        *,
        attribute_synonyms: Mapping[str, str] | None = None,
        predicate_synonyms: Mapping[str, str] | None = None,
        singularize: bool = True,
    ) -> None:
        self.singularize = singularize
        self.synonyms: dict[str, str] = {}
        self.attribute_synonyms: dict[str, str] = {"grey": "gray"}
        # GQA's and Visual Genome's wordings of the directions the ops read from the boxes
        self.predicate_synonyms: dict[str, str] = dict(_PREDICATE_SYNONYMS)
        self._engine: Any = None  # inflect.engine, built on first use
        self._cache: dict[str, str] = {}
        self.add_synonyms(synonyms or {}, kind="name")
        self.add_synonyms(attribute_synonyms or {}, kind="attribute")
        self.add_synonyms(predicate_synonyms or {}, kind="predicate")

    # ---- configuration ---------------------------------------------------------------------

    def add_synonyms(self, mapping: Mapping[str, str], *, kind: str = "name") -> None:
        """Add or override synonym entries for `kind` in {"name", "attribute", "predicate"}."""
        table = {
            "name": self.synonyms,
            "attribute": self.attribute_synonyms,
            "predicate": self.predicate_synonyms,
        }.get(kind)
        if table is None:
            raise ValueError(f"synonym kind must be 'name', 'attribute' or 'predicate', got {kind!r}")
        for key, value in mapping.items():
            if not isinstance(key, str) or not isinstance(value, str) or not _clean(key) or not _clean(value):
                raise ValueError(f"synonym entries must be non-empty strings, got {key!r}: {value!r}")
            table[_clean(key)] = _clean(value)
        self._cache.clear()

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Normalizer:
        """Build from a JSON file: either a flat {word: canonical} map of object names, or
        {"names": {...}, "attributes": {...}, "predicates": {...}}."""
        with open(path, "rb") as fh:
            try:
                data = orjson.loads(fh.read())
            except orjson.JSONDecodeError as exc:
                raise ValueError(f"{path}: synonym file is not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise ValueError(  # noqa: TRY004 - bad file content, reported like bad JSON
                f"{path}: synonym file must hold a JSON object, got {type(data).__name__}"
            )
        sections = {"names", "attributes", "predicates"}
        if data and set(data) <= sections and all(isinstance(v, dict) for v in data.values()):
            return cls(
                data.get("names"),
                attribute_synonyms=data.get("attributes"),
                predicate_synonyms=data.get("predicates"),
            )
        return cls(data)

    # ---- normalising -----------------------------------------------------------------------

    def _singular(self, word: str) -> str:
        if (
            (len(word) <= 3 and word.endswith("s"))  # bus, gas, his, yes; but men -> man
            or word in _KEEP_PLURAL
            or word.endswith(_KEEP_SUFFIXES)
            or not word.isalpha()
        ):
            return word
        if self._engine is None:  # the shared engine: inflect imported without typeguard's cost
            self._engine = inflect_engine()
        singular = self._engine.singular_noun(word)
        return singular if isinstance(singular, str) and singular else word

    def name(self, raw: str) -> str:
        """Normalised object name ("" when `raw` holds only whitespace)."""
        cached = self._cache.get(raw)
        if cached is not None:
            return cached
        text = _clean(raw)
        text = self.synonyms.get(text, text)
        if self.singularize and text:
            head, _, last = text.rpartition(" ")
            singular = self._singular(last)
            text = f"{head} {singular}" if head else singular
            text = self.synonyms.get(text, text)
        if len(self._cache) < 100_000:
            self._cache[raw] = text
        return text

    def attribute(self, raw: str) -> str:
        text = _clean(raw)
        return self.attribute_synonyms.get(text, text)

    def predicate(self, raw: str) -> str:
        text = _clean(raw)
        return self.predicate_synonyms.get(text, text)
