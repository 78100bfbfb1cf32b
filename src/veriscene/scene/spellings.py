"""A scene's predicates that spell one relation, and who stands in a relation over all of them.

Readers keep a predicate's spellings apart as Visual Genome writes them: one man "holding" the
cup and another that "holds" it are two predicates to the index, one relation to a viewer
(`text_predicates.predicate_key`). A question that asks for the one object in a relation ("What
is holding the cup?", "the man holding the cup") must find it alone over every spelling; its
program may still name one spelling, which picks that object alone.

Where the scene spells each relation one way (the demo, CLEVR, most GQA scenes) every function
here answers exactly what `SceneIndex.incoming` / `outgoing` / `relation_set` do.
"""

from __future__ import annotations

from veriscene.program.context import SceneIndex
from veriscene.text_predicates import predicate_key


def _by_predicate(index: SceneIndex) -> dict[str, tuple[str, ...]]:
    """Each of the scene's predicates -> its spellings in the scene, sorted (one lookup per call
    of `spelled_alike`: it is asked for every hop and relational description)."""
    table: dict[str, set[str]] = {}
    for p in {p for _, p, _ in index.scene.relations}:
        table.setdefault(predicate_key(p), set()).add(p)
    return {p: tuple(sorted(group)) for group in table.values() for p in group}


def spelled_alike(index: SceneIndex, predicate: str) -> tuple[str, ...]:
    """`predicate` and the scene's other spellings of its relation, sorted ('holding' ->
    ('hold', 'holding', 'holds') where the scene has all three); (`predicate`,) where the scene
    spells it one way or not at all. Computed once per scene index."""
    found = index.memo(("spellings by predicate",), lambda: _by_predicate(index)).get(predicate)
    if found is not None:
        return found
    # asked of a predicate the scene does not use: its spellings the scene does use, and itself
    key = predicate_key(predicate)
    others = {q for q in index.memo(("spellings by predicate",), lambda: _by_predicate(index))
              if predicate_key(q) == key}
    return tuple(sorted((*others, predicate)))


def annotated_over_spellings(index: SceneIndex, s: int, predicate: str, o: int) -> bool:
    """Whether (s, q, o) is annotated for `predicate` or any spelling q of it (`spelled_alike`)."""
    relations = index.relation_set
    return any((s, q, o) in relations for q in spelled_alike(index, predicate))


def subjects_over_spellings(index: SceneIndex, o: int, predicate: str) -> tuple[int, ...]:
    """Sorted subjects annotated to stand in `predicate`, or any spelling of it, to object o: one
    "holding" and one that "holds" the cup are two."""
    return _merged(index.incoming, o, spelled_alike(index, predicate))


def objects_over_spellings(index: SceneIndex, s: int, predicate: str) -> tuple[int, ...]:
    """Sorted objects subject s is annotated to stand in `predicate`, or any spelling of it, to."""
    return _merged(index.outgoing, s, spelled_alike(index, predicate))


def _merged(table: dict[tuple[int, str], tuple[int, ...]], i: int, predicates: tuple[str, ...]) -> tuple[int, ...]:
    if len(predicates) == 1:  # the common case: the index's own (sorted) tuple
        return table.get((i, predicates[0]), ())
    found: set[int] = set()
    for q in predicates:
        found.update(table.get((i, q), ()))
    return tuple(sorted(found))
