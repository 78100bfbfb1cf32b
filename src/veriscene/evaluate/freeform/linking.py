"""Which mentions of a sentence a relation phrase links (`claims.RuleExtractor`).

A sentence is read into elements: ("mention", Mention or None when negated), ("pred", `claims.Predicate`),
("sep", "," / "and" / ...), ("word", a copula or a back reference), ("attrs", attributes said with a
verb), ("blank", a noun phrase that names no object: "the bottom", "it"). Between two predicates
lies a group of them. A relation links the mention right before the predicate (the list it ends,
when a plural copula follows it) to the mention right after it and those "and" joins to it; a
mention after a comma, or one that a copula or the next predicate follows, starts the next clause.
So "a hexagon, a circle and a heart next to a cross" says the heart is near the cross, and "at the
bottom there are two circles, a star and a square" links nothing (it linked every shape to "at").
A predicate right after another's object, nothing between, may be said of that object as well as
of the subject (`attachable`: "a man on a motorcycle next to a bus").

A relation phrase that opens a clause (the sentence, or what follows a comma or "and" after the
last mention) may say its subject after the verb (`inverted`): "to the right of the hexagon is a
circle", "behind the man there is a tree", "next to the bed stands a lamp" (the verb, not a
copula, read as nothing between the two mentions), and at the start of a sentence after a comma,
"next to the sofa, the cat sleeps on a blanket". The subject is then the mention after the
object, with the list it starts ("on the counter there are a banana, an apple and a bowl"). (Before,
"on the left is a star, and below the star is a triangle" said the star was below itself.)

An existential's "and" after a place, before a noun phrase of a new thing (`NEW_THING`: "there is a
cat on the sofa and a lamp", "... and two chairs") ends the place's objects: the lamp is a new
thing said to be there, not a second thing the cat is on (0.32.0 read "cat on lamp"). "there is a
cat on the sofa and the chair" stays a second object: "the" names a thing already known, so it
reads as a second place, and reading it so checks each relation on its own ("cat on chair" is
false where the cat is not on it); reading "the chair" as merely there would leave that place
unchecked. The new thing is claimed like any other ("lamp": false where no lamp is there).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from veriscene.evaluate.freeform.claims import Mention

BACK_REFERENCES = frozenset({"which", "it", "that", "who", "this"})
# the separator of "and" between an existential's place and a new thing ("there is a cat on the
# sofa and a lamp"): it ends the place's objects as a comma does (`claims.RuleExtractor._elements`)
NEW_THING = "and (a new thing)"
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
    return objects, _next_subjects(group[k:], objects, subjects)


def _next_subjects(rest: Sequence[tuple[str, object]], objects: list[Mention | None],
                   subjects: list[Mention | None]) -> list[Mention | None]:
    """Subjects of the next predicate, of the elements `rest` after this predicate's objects."""
    if any(kd == "word" and v in BACK_REFERENCES for kd, v in rest) and objects and not _mentions(rest):
        return [objects[-1]]  # "..., which is above C"
    later = clause_subjects(rest)
    if later or _mentions(rest):
        return later  # "A is left of B and C is above D"
    return subjects  # "A is below B and left of C"


def attachable(group: Sequence[tuple[str, object]], last: bool) -> list[Mention]:
    """The object of a predicate that the next predicate may be said of too, `group` being the
    elements between them: that object alone, nothing after it ("a man on a motorcycle next to a
    bus": the motorcycle may be the one next to the bus); none where a comma, "and", a copula or
    anything else comes between ("a man on a motorcycle, next to a bus", "A is below B and left of
    C", "the cup on the table is next to the chair": the subject's), or no predicate follows
    (`last`)."""
    if last or len(group) != 1 or group[0][0] != "mention" or group[0][1] is None:
        return []
    return [group[0][1]]  # type: ignore[list-item]


def opens_clause(before: Sequence[tuple[str, object]], at_start: bool) -> tuple[bool, bool]:
    """(whether a predicate opens a clause, whether it opens the sentence), of the elements
    `before` it since the predicate before it (since the sentence's start: `at_start`): nothing
    but separators since the start, or a separator after anything else ("..., and below
    the star is ...", "a sink in it, and above the sink is ...")."""
    if at_start and all(k == "sep" for k, _ in before):
        return True, True
    return bool(before) and before[-1][0] == "sep" and any(k != "sep" for k, _ in before), False


def inverted(group: Sequence[tuple[str, object]], first: bool,
             ) -> tuple[list[Mention | None], list[Mention | None], list[Mention | None]] | None:
    """(objects, subjects, subjects of the next predicate) of a predicate that opens a clause and
    says its subject after the verb, `group` being the elements after it; None when it does not.
    Between the object (or the "and" list it starts) and the subject: a copula ("is", "stands"),
    nothing (a verb that is no copula: "hangs"), or, opening the sentence (`first`), a comma or a
    colon ("next to the sofa, the cat ...", "on the table: two plates ...")."""
    if not group or group[0][0] != "mention" or group[0][1] is None:
        return None
    objects: list[Mention | None] = [group[0][1]]  # type: ignore[list-item]
    k = 1
    while k + 1 < len(group) and group[k] == ("sep", "and") and group[k + 1][0] == "mention":
        objects.append(group[k + 1][1])  # type: ignore[arg-type]
        k += 2
    while k < len(group) and (group[k][0] == "word" and group[k][1] in COPULAS
                              or first and group[k] in (("sep", ","), ("sep", ":"))):
        k += 1
    if k >= len(group) or group[k][0] != "mention" or group[k][1] is None:
        return None
    subjects: list[Mention | None] = [group[k][1]]  # type: ignore[list-item]
    k += 1
    # the list the subject starts: "a banana, a red apple and a green apple"; not a mention after a
    # comma that a copula or a predicate follows ("..., a chair is by the window")
    while k + 1 < len(group) and group[k] in (("sep", "and"), ("sep", ",")) and group[k + 1][0] == "mention":
        if k + 2 < len(group) and group[k + 2][0] == "word" and group[k + 2][1] in COPULAS:
            break
        subjects.append(group[k + 1][1])  # type: ignore[arg-type]
        k += 2
    return objects, subjects, _next_subjects(group[k:], subjects, subjects)
