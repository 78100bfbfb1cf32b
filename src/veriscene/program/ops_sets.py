"""Ops over a literal set of words that a question lists: "Which of these appear in Image 1 but
not in Image 2: bench, cat, kite, lamp?".

A question about every name of a dense scene (Visual Genome lists 20-40 kinds of objects an image)
has an answer of tens of words, which no one writes or scores well. A question that lists a few
candidates asks the same thing of each of them: the program restricts a set to the listed words
(`names_among`) and combines the results with the usual set ops (`set_union`, `set_difference`
of `ops_multi`). The words are an op argument, a JSON array (`WordList`): the program carries them,
so the answer is computed from them like any other.
"""

from __future__ import annotations

from typing import Any

from veriscene.program.context import ExecutionContext
from veriscene.program.ops import incomplete
from veriscene.program.registry import op
from veriscene.program.types import OBJECTS, STR_SET, Objs, OpenNames


class _WordListType(type):
    """Makes `isinstance(value, WordList)` the test the checker applies to an argument (a type
    argument is checked with isinstance: `checker._check_arg`)."""

    def __instancecheck__(cls, value: Any) -> bool:
        return (isinstance(value, list) and len(value) > 0 and len(set(map(str, value))) == len(value)
                and all(isinstance(w, str) and w.strip() == w and w != "" for w in value))


class WordList(metaclass=_WordListType):
    """An op argument: a non-empty JSON array of distinct, non-empty strings without surrounding
    spaces (["bench", "cat", "kite"]); the checker refuses any other value, naming the node."""


def _among_closed(ctx: ExecutionContext, objs: Objs, words: list[str]) -> tuple[str, ...]:
    """`names_among` of a set that may miss objects: known where it holds every object of an
    image of a closed category list (COCO; not of `meta.exhaustive` alone, which fails as
    before) and every listed word is one of its list's (`SceneIndex.complete`); where some are
    not ("window"), the words it shows with those left open (`OpenNames`: an answer they
    cannot change is still given). Any other such set fails."""
    index = ctx.indexes[objs.image]
    if index.in_full is index.exhaustive or len(objs.idx) != index.n:  # (the same object but on a set's scene)
        incomplete(objs, "which of the listed names the set holds")
    shown = index.by_name
    sure = tuple(sorted(w for w in set(words) if w in shown))
    unknown = frozenset(w for w in words if w not in shown and not index.complete(w))
    return OpenNames(sure, unknown) if unknown else sure


@op("names_among", inputs=[OBJECTS], args=[WordList], out=STR_SET)
def names_among(ctx: ExecutionContext, objs: Objs, words: list[str]) -> tuple[str, ...]:
    """The listed names that objects of the set have, sorted (`names_in` of the set, intersected
    with the list). Fails where the set may miss objects: an unannotated one may bear a listed name.
    On a scene of a closed category list (COCO) a set of every object of the image misses only
    objects of names outside its list (`SceneIndex.in_full`): "Which of car, tv, boat does Image 2
    hold?" is known when every listed name is one of its list's."""
    if not objs.complete:
        return _among_closed(ctx, objs, words)
    names = ctx.scene(objs.image).names
    listed = set(words)
    return tuple(sorted({names[i] for i in objs.idx} & listed))
