"""Normalisation of words and phrases so that equivalent answers compare equal.

`normalize_phrase` lowercases, folds Unicode, turns hyphens / underscores into spaces, drops
punctuation and the articles a / an / the, applies synonyms (whole phrase, then per word; by default
British spellings and the attribute synonym classes of `vocab.SYNONYM_CLASSES`),
singularises nouns with `inflect` ("dogs" -> "dog", "people" -> "person") and collapses
whitespace. Gold answers and replies go through the same function, so any quirk of the
singulariser applies to both sides alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType

from veriscene.text import inflect_engine
from veriscene.vocab import SYNONYM_CLASSES

# Always applied (both sides); users add more with `synonyms`. Words of one synonym class of
# attributes (`vocab.SYNONYM_CLASSES`: "large" -> "big", "wooden" -> "wood") read as the class's
# name, so "big" is right where the scene graph says "large" (generators never offer two words of
# one class as options, so no option is lost).
# Words a reply may use for another type's word: not one class in `vocab` ("metallic" is a finish
# there, how a surface looks), but a reply "metallic" to "What material is the cube made of?" says
# metal, as "wooden" says wood (CLEVR's own answers and most models' replies use both).
ACROSS_TYPES: dict[str, str] = {"metallic": "metal"}
DEFAULT_SYNONYMS: dict[str, str] = {
    "colour": "color",
    **{word: words[0] for words in SYNONYM_CLASSES for word in words[1:]},
    **ACROSS_TYPES,
}
ARTICLES = frozenset({"a", "an", "the"})
# Words inflect would wrongly singularise ("is" -> "i", "has" -> "ha", "bus" -> "bu").
_NO_SINGULAR = frozenset({
    "is", "was", "has", "does", "this", "his", "its", "yes", "us", "as", "gas", "bus", "lens",
    "news", "series", "species", "always", "perhaps", "less", "thus", "plus", "towards",
    "across", "upstairs", "downstairs", "outdoors", "indoors", "christmas", "chaos", "canvas",
    "atlas", "iris", "axis", "pants", "jeans", "shorts", "glasses", "scissors", "trousers",
})
_PUNCT_RE = re.compile(r"[^\w\s.]|(?<!\d)\.|\.(?!\d)|_")
_SPACE_RE = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def singular(word: str) -> str:
    """Singular of a lowercase word; unchanged for non-nouns, singulars and the guard list."""
    if len(word) < 3 or word in _NO_SINGULAR or not word.isalpha() or word.endswith(("ss", "us", "is")):
        return word
    result = inflect_engine().singular_noun(word)
    return result if isinstance(result, str) and result else word


def fold(text: str) -> str:
    """Unicode-fold and lowercase; curly quotes to straight; hyphen/underscore/slash to space."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"[-_/\u2013\u2014]", " ", text)


def tokens(text: str) -> list[str]:
    """Lowercase word tokens without punctuation (decimal points in numbers kept)."""
    text = fold(text).replace("&", " and ").replace("'s ", " ").replace("'", "")
    return [t for t in _SPACE_RE.split(_PUNCT_RE.sub(" ", text)) if t]


def prepare_synonyms(synonyms: Mapping[str, str] | None) -> Mapping[str, str]:
    """Merge user synonyms over the defaults; keys and values normalised to token strings. The
    result is shared (read-only): scoring asks for it several times per reply, and normalising
    every entry each time was two thirds of the time scoring took."""
    if synonyms and not isinstance(synonyms, Mapping):
        raise TypeError(f"synonyms must be a dict {{word: word}} or None, got {synonyms!r}")
    extra = tuple(sorted(synonyms.items())) if synonyms else ()
    return _prepared(tuple(DEFAULT_SYNONYMS.items()), extra)  # DEFAULT_SYNONYMS may be added to


@lru_cache(maxsize=64)
def _prepared(defaults: tuple[tuple[str, str], ...], extra: tuple[tuple[str, str], ...]) -> Mapping[str, str]:
    merged = dict(defaults)
    merged.update(extra)
    return MappingProxyType({" ".join(tokens(k)): " ".join(tokens(v)) for k, v in merged.items() if tokens(k)})


def normalize_phrase(text: str, synonyms: Mapping[str, str] | None = None, *,
                     prepared: Mapping[str, str] | None = None) -> str:
    """Canonical form of a word or phrase; see the module docstring. "The Grey Dogs." -> "gray dog"."""
    if type(text) is not str and not isinstance(text, str):
        raise TypeError(f"normalize_phrase: text must be a str, got {text!r}")
    syn = prepared if prepared is not None else prepare_synonyms(synonyms)
    words = [w for w in tokens(text) if w not in ARTICLES]
    phrase = " ".join(words)
    if phrase in syn:
        words = syn[phrase].split()
    out: list[str] = []
    for w in words:
        w = syn.get(w, w)
        s = singular(w)
        out.extend(syn.get(s, s).split())
    phrase = " ".join(out)
    return syn.get(phrase, phrase)


def find_phrases(text_norm: str, candidates: Iterable[str], longest: int | None = None) -> list[str]:
    """Candidates (normalised) occurring as whole words in `text_norm` (normalised), keeping
    only maximal matches: with "light blue" and "blue" in "light blue car", only "light blue".
    In order of first occurrence.

    With `longest` (the most words of a candidate) and a set or mapping of candidates, the
    reply's n-grams are looked up in it: the cost grows with the reply, not with the number of
    candidates (a data set's vocabulary has tens of thousands). Otherwise each candidate is
    searched for; O(hits log hits) after the searches."""
    hits: list[tuple[int, int, str]] = []
    if longest is not None and isinstance(candidates, (Mapping, set, frozenset)):
        words = text_norm.split()
        offsets, at = [], 1  # character offset of each word in " " + text_norm + " "
        for w in words:
            offsets.append(at)
            at += len(w) + 1
        for k in range(len(words)):
            for n in range(1, min(longest, len(words) - k) + 1):
                cand = " ".join(words[k:k + n])
                if cand in candidates:
                    hits.append((offsets[k] - 1, offsets[k] + len(cand), cand))
    else:
        padded = f" {text_norm} "
        for cand in set(candidates):
            if not cand:
                continue
            start = padded.find(f" {cand} ")
            while start != -1:
                hits.append((start, start + len(cand) + 1, cand))
                start = padded.find(f" {cand} ", start + 1)
    # Sorted by start, longer first: a hit lies inside a longer one exactly when some hit of
    # another span before it in this order ends at or after its end.
    hits.sort(key=lambda h: (h[0], -h[1]))
    seen: dict[str, None] = {}
    furthest, span = -1, (-1, -1)
    for start, end, cand in hits:
        if (start, end) != span:
            furthest, span = max(furthest, span[1]), (start, end)
        if furthest < end:
            seen.setdefault(cand, None)
    return list(seen)
