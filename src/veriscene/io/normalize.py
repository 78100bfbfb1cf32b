"""Names, attributes and predicates are normalised here, and only here, for every reader.

- object names: lower case, whitespace collapsed, last word made singular ("Tennis  Balls" ->
  "tennis ball", "people" -> "person"), then the synonym map. `name_and_group` tells too whether
  the name was plural: Visual Genome and GQA name a box around several things "trees" or
  "people", and their readers mark such an object as a crowd region. `name_and_group` also reads
  a collective as a group of what it collects ("group of people", "bunch of bananas", "pair of
  shoes" -> "person", "banana", "shoe"; "crowd" -> "person": `text.COLLECTIVE_NOUNS`,
  `text.GROUP_NAMES`), so the group makes the count of its members unknown; a pair of a thing
  that comes in pairs is one ("pair of jeans" -> "jeans"), and a heap of a substance a thing of
  its own ("pile of snow");
- attributes and predicates: lower case, whitespace collapsed, then their synonym maps ("grey"
  is "gray", GQA's "to the left of" is "left of", as the demo and the ops that read directions
  from the boxes say it). A predicate also loses a leading copula and a trailing article
  (Visual Genome's "are on" is "on", "has a" is "has": `text.trim_predicate`); one that says
  nothing ("and", `text.MEANINGLESS_PREDICATES`) becomes "" and readers drop its relation.

Singular forms come from `inflect` (offline), through `text.singular_form`. Its rules strip a final
"s" from words such as "bus" or "cactus", so short words, words ending in -ss/-us/-is/-ics and
nouns that only exist in the plural ("jeans", "glasses") are left alone; irregular plurals ("men",
"mice") are handled.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import orjson

from veriscene.errors import DataError
from veriscene.text import (
    COLLECTIVE_NOUNS,
    GROUP_NAMES,
    MEANINGLESS_PREDICATES,
    UNIT_NOUNS,
    is_uncountable,
    singular_form,
    trim_predicate,
)

_SPACE = re.compile(r"\s+")


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
        # raw name -> (`name`, and `name_and_group`'s name and whether it names a group)
        self._cache: dict[str, tuple[str, str, bool]] = {}
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
                raise DataError(f"synonym entries must be non-empty strings, got {key!r}: {value!r}")
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
                raise DataError(f"{path}: synonym file is not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise DataError(  # noqa: TRY004 - bad file content, reported like bad JSON
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

    def name(self, raw: str) -> str:
        """Normalised object name ("" when `raw` holds only whitespace), the last word made
        singular; a collective stays one ("group of person"): a caller that keeps no group flag
        must not take a group of people for one person."""
        return self._names(raw)[0]

    def name_and_group(self, raw: str) -> tuple[str, bool]:
        """(normalised name, whether it names a group of several): ("tree", True) for "Trees",
        ("person", True) for "people", "group of people" and "crowd", ("banana", True) for "bunch
        of bananas", ("jeans", False) for "jeans" and "pair of jeans" (one pair)."""
        _, name, group = self._names(raw)
        return name, group

    def _names(self, raw: str) -> tuple[str, str, bool]:
        cached = self._cache.get(raw)
        if cached is not None:
            return cached
        text = _clean(raw)
        text = self.synonyms.get(text, text)
        plain, group = self._singular(text)
        name = plain
        if self.singularize and text:
            collected = _collective(text)
            if collected is not None:
                name, group = collected
                name = self.synonyms.get(name, name)
        result = (plain, name, group)
        if len(self._cache) < 100_000:
            self._cache[raw] = result
        return result

    def _singular(self, text: str) -> tuple[str, bool]:
        """(`text` with its last word made singular, then the synonym map; whether it changed)."""
        group = False
        if self.singularize and text:
            head, _, last = text.rpartition(" ")
            singular = singular_form(last)
            if singular is not None:
                group = True
                text = f"{head} {singular}" if head else singular
            text = self.synonyms.get(text, text)
        return text, group

    def attribute(self, raw: str) -> str:
        text = _clean(raw)
        return self.attribute_synonyms.get(text, text)

    def predicate(self, raw: str) -> str:
        """Normalised predicate: "" when `raw` holds only whitespace or says nothing ("and")."""
        text = _clean(raw)
        if text in self.predicate_synonyms:
            return self.predicate_synonyms[text]
        text = trim_predicate(text)
        if text in MEANINGLESS_PREDICATES:
            return ""
        return self.predicate_synonyms.get(text, text)


def _collective(text: str) -> tuple[str, bool] | None:
    """(name, group) of a name that says a group of things, None for any other: 'group of
    people' -> ('person', True), 'large herd of zebras' -> ('zebra', True), 'crowd' -> ('person',
    True), 'herd' -> ('herd', True); 'pair of jeans' -> ('jeans', False) (a pair is one),
    'stack of jeans' -> ('jeans', True); 'herd of sheep' -> ('sheep', True); 'pile of snow' ->
    None (a pile of a substance is one thing), 'string of kite' -> None (before a singular, only
    a collective of `GROUP_NAMES`: a string, a band, a line or a set may be one thing), 'piece
    of cake' -> None (not a collective)."""
    head, of, member = text.partition(" of ")
    if of:
        words = head.split()
        if not member or not 1 <= len(words) <= 3:
            return None
        collective = singular_form(words[-1]) or words[-1]  # "groups of people"
        if collective not in COLLECTIVE_NOUNS:
            return None
        first, _, last = member.rpartition(" ")
        unit = UNIT_NOUNS.get(last)
        if unit is not None:  # "pair of jeans", "set of stairs": one; "stack of jeans": several
            return member, collective not in (unit, "pair", "set")
        singular = singular_form(last)
        if singular is None and (is_uncountable(member) or collective not in GROUP_NAMES):
            # "pile of snow", "bunch of broccoli": one heap of a substance; "string of kite",
            # "line of sight": a collective that also names a part or a thing, before a singular
            return None
        return (f"{first} {singular}" if first else singular) if singular else member, True
    words = text.split()
    last = singular_form(words[-1]) or words[-1]
    if last in GROUP_NAMES:
        group_member = GROUP_NAMES[last]
        if group_member is not None:  # "crowd", "large crowd": people
            return group_member, True
        if len(words) == 1:  # "herd", "herds"; not "smoke stack"
            return last, True
    return None
