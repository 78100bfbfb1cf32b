"""Which mentions of a sentence a relation phrase links (`claims.RuleExtractor`).

A sentence is read into elements: ("mention", Mention or None when negated), ("pred", predicate),
("sep", "," / "and" / ...), ("word", a copula or a back reference), ("attrs", attributes said with a
verb), ("blank", a noun phrase that names no object: "the bottom", "it"). Between two predicates
lies a group of them. A relation links the mention right before the predicate (the list it ends,
when a plural copula follows it) to the mention right after it and those "and" joins to it; a
mention after a comma, or one that a copula or the next predicate follows, starts the next clause.
So "a hexagon, a circle and a heart next to a cross" says the heart is near the cross, and "at the
bottom there are two circles, a star and a square" links nothing (it linked every shape to "at").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from veriscene.evaluate.freeform.claims import Mention

BACK_REFERENCES = frozenset({"which", "it", "that", "who", "this"})
COPULAS = frozenset({"is", "are", "was", "were", "sits", "lies", "stands", "appears", "seems", "located",
                     "positioned", "placed", "situated"})


def _mentions(group: Sequence[tuple[str, object]]) -> list[Mention | None]:
    return [v for k, v in group if k == "mention"]  # type: ignore[misc]


def clause_subjects(group: Sequence[tuple[str, object]]) -> list[Mention | None]:
    """Subjects of the first predicate of a sentence: the mention right before it, and the list
    it ends when a plural copula follows ("a circle, a star and a square are left of the
    hexagon"); otherwise not the list before it ("a hexagon, a circle and a heart next to a
    cross": the heart)."""
    at = [i for i, (k, _) in enumerate(group) if k == "mention"]
    if not at or any(k == "blank" for k, _ in group[at[-1] + 1:]):
        return []
    subjects = [group[at[-1]][1]]
    if any(k == "word" and v in ("are", "were") for k, v in group[at[-1] + 1:]):
        i = at[-1]  # "A, B and C are left of D": each of them
        while i >= 2 and group[i - 1] in (("sep", "and"), ("sep", ",")) and group[i - 2][0] == "mention":
            subjects.insert(0, group[i - 2][1])
            i -= 2
    return subjects  # type: ignore[return-value]


def split_group(group: Sequence[tuple[str, object]], subjects: list[Mention | None],
                last: bool = True) -> tuple[list[Mention | None], list[Mention | None]]:
    """Objects of the predicate before `group` and subjects of the predicate after it. The
    objects are the mention right after the predicate and those joined to it by "and" ("left of
    the square and the circle"); a mention after a comma, or one that a copula or the next
    predicate follows, starts the next clause ("on the table and a cup near the sink")."""
    if not group or group[0][0] != "mention":
        objects: list[Mention | None] = []
        k = 0
    else:
        objects, k = [group[0][1]], 1  # type: ignore[list-item]
    while (k + 1 < len(group) and group[k] == ("sep", "and") and group[k + 1][0] == "mention"
           and not (k + 2 < len(group) and group[k + 2][0] == "word" and group[k + 2][1] in COPULAS)
           and not (not last and k + 2 == len(group))):
        objects.append(group[k + 1][1])  # type: ignore[arg-type]
        k += 2
    rest = group[k:]
    if any(kd == "word" and v in BACK_REFERENCES for kd, v in rest) and objects and not _mentions(rest):
        return objects, [objects[-1]]  # "..., which is above C"
    later = clause_subjects(rest)
    if later or _mentions(rest):
        return objects, later  # "A is left of B and C is above D"
    return objects, subjects  # "A is below B and left of C"
