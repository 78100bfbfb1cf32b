"""Which of a sample's images a sentence of a reply speaks of.

A reply about several images ties what it says to them by wording: "Image 2 has a square",
"in the first picture", "both images contain circles". `split_by_image` cuts a sentence's tokens
into clauses with the images each one names (the reference words removed, so "Image 2 features a
square" does not read "2 features"), and the claims of a clause are checked against those images.
A sentence that names no image is left untied: its claims hold if some image holds them.

    "only image 2 contains three circles"            -> [(only contains three circles, image 2)]
    "image 1 has a circle , and image 2 a square"    -> [(has a circle, image 1), (a square, image 2)]
    "squares appear in image 1 , image 3 and image 4" -> [(squares appear in , and, images 1, 3, 4)]
    "every image contains a hexagon"                 -> [(contains a hexagon, every image)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from veriscene.answers.numbers import UNITS

IMAGE_NOUNS = frozenset({"image", "images", "picture", "pictures", "photo", "photos", "photograph",
                         "photographs", "img"})
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
            "eighth": 8, "ninth": 9, "tenth": 10}
QUANTIFIERS = frozenset({"both", "all", "every", "each"})
HARD_BREAKS = frozenset({";", ":", "(", ")", "while", "whereas", "but"})  # always end a clause
SOFT_BREAKS = frozenset({",", "and"})  # end one unless a list of images goes on
# words that say nothing about objects (a clause of only these has no claim to tie)
_FILLER = frozenset({"in", "on", "at", "of", "the", "a", "an", "and", "only", "appear", "appears", "is", "are",
                     "has", "have", "contains", "contain", "there", "with", "both", "also", "too"})


@dataclass(frozen=True)
class ImageScope:
    """Images named by a clause: 0-based indexes, or every image of the sample."""

    images: tuple[int, ...] = ()
    every: bool = False

    def merge(self, other: ImageScope) -> ImageScope:
        return ImageScope(tuple(sorted(set(self.images) | set(other.images))), self.every or other.every)


def _index(token: str) -> int | None:
    """1-based image number of "2", "two" (also "2's"); None for anything else."""
    word = token.removesuffix("'s")
    n = int(word) if word.isdigit() else UNITS.get(word)
    return n if n is not None and n >= 1 else None


def _reference_at(tokens: Sequence[str], i: int) -> tuple[int, ImageScope] | None:
    """(tokens used, scope) of an image reference starting at i, if one does (none past the end:
    a sentence may end on "and" or a comma, as a reply cut short does)."""
    if i >= len(tokens):
        return None
    tok = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    if tok in IMAGE_NOUNS and _index(nxt) is not None:  # "image 2"
        return 2, ImageScope((_index(nxt) - 1,))  # type: ignore[operator]
    start = i + 1 if tok == "the" else i
    if start < len(tokens) and tokens[start] in ORDINALS and start + 1 < len(tokens) \
            and tokens[start + 1] in IMAGE_NOUNS:  # "the second image"
        return start + 2 - i, ImageScope((ORDINALS[tokens[start]] - 1,))
    if tok in QUANTIFIERS:  # "both images", "all of the three pictures", "every image"
        j = i + 1
        for optional in ("of", "the"):
            j += int(j < len(tokens) and tokens[j] == optional)
        j += int(j < len(tokens) and _index(tokens[j]) is not None)
        if j < len(tokens) and tokens[j] in IMAGE_NOUNS:
            return j + 1 - i, ImageScope(every=True)
    return None


def _is_content(token: str) -> bool:
    return token.isalpha() and token not in _FILLER


@dataclass
class _Clause:
    tokens: list[str]
    scope: ImageScope | None = None
    content_since_ref: bool = False  # words about objects after the clause's last reference

    def add_ref(self, scope: ImageScope) -> None:
        self.scope = scope if self.scope is None else self.scope.merge(scope)
        self.content_since_ref = False

    def add_word(self, token: str) -> None:
        self.tokens.append(token)
        self.content_since_ref = self.content_since_ref or _is_content(token)


def split_by_image(tokens: Sequence[str]) -> list[tuple[list[str], ImageScope | None]]:
    """A sentence's clauses with the images each names (None: none named), references removed.
    A sentence naming one scope is one clause; otherwise a clause naming none takes the scope of
    the clause before it (else the one after it)."""
    clauses = [_Clause([])]
    i = 0
    while i < len(tokens):
        ref = _reference_at(tokens, i)
        if ref is not None:
            clauses[-1].add_ref(ref[1])
            i += ref[0]
            continue
        tok = tokens[i]
        ends = tok in HARD_BREAKS or (tok in SOFT_BREAKS and (
            _reference_at(tokens, i + 1) is None or clauses[-1].content_since_ref))
        clauses[-1].add_word(tok)
        if ends:
            clauses.append(_Clause([]))
        i += 1
    scopes = {c.scope for c in clauses if c.scope is not None}
    if len(scopes) <= 1:
        scope = next(iter(scopes), None)
        return [([t for c in clauses for t in c.tokens], scope)]
    return _fill_scopes(clauses)


def _fill_scopes(clauses: list[_Clause]) -> list[tuple[list[str], ImageScope | None]]:
    out: list[tuple[list[str], ImageScope | None]] = []
    for k, clause in enumerate(clauses):
        scope = clause.scope
        if scope is None:
            before = [c.scope for c in clauses[:k] if c.scope is not None]
            after = [c.scope for c in clauses[k + 1:] if c.scope is not None]
            scope = before[-1] if before else after[0] if after else None
        if clause.tokens:
            out.append((clause.tokens, scope))
    return out
