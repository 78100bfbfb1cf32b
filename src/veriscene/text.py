"""English surface forms: articles, plurals, number words, lists and relation phrases.

The one place to import them from. The code lives in two modules by topic:

- `veriscene.text_nouns`: nouns and numbers (articles, plurals, units such as "a pair of jeans",
  substances, number words, lists) and the shared inflect engine, imported on first use without
  its run-time type checks (`_import_inflect`);
- `veriscene.text_predicates`: relations (a predicate as a verb phrase, after a noun, agreeing
  with its subject; whether it says a place, an action or a state).

inflect does the linguistics; results are cached because generators call these in hot loops.
"""

from __future__ import annotations

from veriscene.text_nouns import (
    COLLECTIVE_NOUNS,
    FOOD_UNITS,
    GROUP_NAMES,
    INITIALISMS,
    GROUP_UNIT,
    KEEP_PLURAL,
    MASS_NOUNS,
    MASS_UNIT,
    PIECE_NOUNS,
    PIECE_UNIT,
    SAME_PLURAL,
    TISSUE_UNITS,
    UNCOUNTABLE_NOUNS,
    UNIT_NOUNS,
    _import_inflect,  # named in the README (how inflect is imported)
    _unit_of,  # tests read a noun's counting unit
    capitalise,
    counted,
    counted_plural,
    display_case,
    inflect_engine,
    is_mass,
    is_uncountable,
    join_words,
    number_word,
    plural,
    region_noun,
    singular_form,
    takes_plural_verb,
    unit_phrase,
    with_article,
)
from veriscene.text_predicates import (
    LEADING_COPULAS,
    MEANINGLESS_PREDICATES,
    TRAILING_ARTICLES,
    agreeing_relation_modifier,
    agreeing_relation_phrase,
    has_subject_free_phrase,
    is_action,
    is_prepositional,
    is_spatial,
    predicate_key,
    relation_modifier,
    relation_phrase,
    relation_phrase_plural,
    trim_predicate,
)

__all__ = [
    "COLLECTIVE_NOUNS", "FOOD_UNITS", "GROUP_NAMES", "GROUP_UNIT", "INITIALISMS", "KEEP_PLURAL", "LEADING_COPULAS", "MASS_NOUNS", "MASS_UNIT", "MEANINGLESS_PREDICATES",
    "PIECE_NOUNS", "PIECE_UNIT", "SAME_PLURAL", "TISSUE_UNITS", "TRAILING_ARTICLES", "UNCOUNTABLE_NOUNS", "UNIT_NOUNS", "_import_inflect", "_unit_of",
    "agreeing_relation_modifier", "agreeing_relation_phrase", "capitalise", "counted", "counted_plural",
    "display_case",
    "has_subject_free_phrase", "inflect_engine", "is_action", "is_mass", "is_prepositional", "is_spatial",
    "is_uncountable", "join_words", "number_word", "plural", "predicate_key", "region_noun", "relation_modifier",
    "relation_phrase", "relation_phrase_plural", "singular_form", "takes_plural_verb", "trim_predicate",
    "unit_phrase", "with_article",
]
