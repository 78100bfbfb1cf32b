"""Relation questions between two uniquely described objects."""

from __future__ import annotations

from functools import lru_cache, partial
from typing import AbstractSet, Any, Callable, Container, Iterable, Sequence

from mypy_extensions import mypyc_attr

from veriscene.generators.agreement import plural_slots
from veriscene.generators.base import Batch, Candidate, GenContext, Generator
from veriscene.generators.common import grouped_by, referent_query, sample_up_to, wording
from veriscene.generators.registry import register
from veriscene.generators.option_blocks import Allocation, allocate, draw
from veriscene.generators.relation_options import by_class, scene_values, wrong_options
from veriscene.generators.visual import (
    DEPTH_ORDER,
    GENEROUS_PREDICATES,
    GenerousReader,
    direction_shown,
    read_as,
    readable_predicates,
    sole_direction,
)
from veriscene.generators.vocabulary import Vocabulary, Without
from veriscene.program.context import SceneIndex
from veriscene.scene.describe import Referent, referents
from veriscene.scene.geometry import DIRECTIONS, READABLE
from veriscene.text import agreeing_relation_phrase, relation_phrase
from veriscene.text_predicates import predicate_key
from veriscene.vocab import (
    CONVERSE_PREDICATES,
    compatible_predicate_senses,
    converse_predicate_senses,
    predicate_class,
    predicate_senses,
    says_place,
)


@lru_cache(maxsize=4096)
def _kind(predicate: str) -> str:
    """Template group of a predicate: 'is'-phrased or a plain verb ("has", "wears")."""
    return "is" if relation_phrase(predicate).startswith("is ") else "verb"


def predicates_of_kind(vocab: Vocabulary, kind: str) -> list[str]:
    """The vocabulary's predicates of one template group (`_kind`), sorted (made once per
    vocabulary; do not modify)."""
    return vocab.view(("predicates of kind", kind), lambda: [p for p in vocab.predicate_list() if _kind(p) == kind])


def spellings(vocab: Vocabulary, predicates: Iterable[str]) -> set[str]:
    """The predicates and the vocabulary's other spellings of their relations (`predicate_key`):
    'with', 'have' and 'has'; 'holding', 'hold' and 'holds'. One is never the "no" or the wrong
    option of another: "Does the bike hold the giraffe?" would be answered "no" beside "Is the
    bike holding the giraffe?" answered "yes"."""
    by_key: dict[str, list[str]] = vocab.view("predicates by key", lambda: grouped_by(vocab.predicate_list(), predicate_key))
    out = set(predicates)
    for p in list(out):
        out.update(by_key.get(predicate_key(p), ()))
    return out


# Contacts a reader states of every pair of objects it holds for, read off the pixels (medical
# label maps, DICOM SEG and RTSTRUCT: `io.readers._structures`), each with the predicate that
# implies it: a structure surrounded by another touches it, and is said to (both are annotated).
# "How is A related to B?" is then "touching" wherever asked (a pair surrounded holds two
# predicates and is never asked): `forced_answer`.
CONTACTS = {"touching": "surrounded by"}


def forced_answer(vocab: Vocabulary, predicate: str) -> bool:
    """Whether `predicate`, the one predicate of a pair, answers "how is A related to B?" on
    every pair asked in the data set: a contact whose implying predicate the data set uses
    (`CONTACTS`: only "touching" could be the answer; "surrounded by" never holds alone)."""
    implied_by = CONTACTS.get(predicate)
    return implied_by is not None and implied_by in vocab.predicate_set()


def contacts_lacking(ctx: GenContext, refs: dict[int, Referent]) -> list[tuple[int, int, str]]:
    """(a, b, contact) for each ordered pair of described objects that lacks a `CONTACTS`
    predicate the data set uses, where relations are complete: "Is the spleen touching the
    aorta?" is a "no" the image decides (else "touching", held both ways of every pair asked,
    was answered "yes" wherever asked). None where relations are sparse or say no contact."""
    known = ctx.vocab.predicate_set()
    contacts = [p for p in CONTACTS if p in known]
    if not contacts or ctx.index.sparse_relations:
        return []
    between = ctx.index.predicates_between
    out = []
    for a in sorted(refs):
        for b in sorted(refs):
            if a != b:
                held = between.get((a, b), ())
                out += [(a, b, p) for p in contacts if p not in held]
    return out


def _by_sense(vocab: Vocabulary) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The vocabulary's predicates by each of their senses (`predicate_senses`) and by each class
    they may hold with (`compatible_predicate_senses`)."""
    by_sense: dict[str, list[str]] = {}
    by_compatible: dict[str, list[str]] = {}
    for p in vocab.predicate_list():
        for c in predicate_senses(p):
            by_sense.setdefault(c, []).append(p)
        for c in compatible_predicate_senses(p):
            by_compatible.setdefault(c, []).append(p)
    return by_sense, by_compatible


def _compatible_with(vocab: Vocabulary, predicate: str) -> frozenset[str]:
    """The vocabulary's predicates q with `predicates_compatible(predicate, q)`."""
    by_sense, by_compatible = vocab.view("predicates by sense", lambda: _by_sense(vocab))
    found = {q for c in compatible_predicate_senses(predicate) for q in by_sense.get(c, ())}
    found.update(q for c in predicate_senses(predicate) for q in by_compatible.get(c, ()))
    return frozenset(found)


def _against(vocab: Vocabulary, predicate: str) -> frozenset[str]:
    """The vocabulary's predicates that may hold from A to B where `predicate` holds from B to A
    (any of their senses among `converse_predicate_senses`)."""
    by_sense = vocab.view("predicates by sense", lambda: _by_sense(vocab))[0]
    return frozenset(q for c in converse_predicate_senses(predicate) for q in by_sense.get(c, ()))


def may_hold(vocab: Vocabulary, held: Iterable[str], held_back: Iterable[str] = ()) -> set[str]:
    """The vocabulary's predicates that may hold from A to B where `held` are annotated from A
    to B and `held_back` from B to A: their spellings (`spellings`), predicates that say the same
    or may hold with them ('on' and 'on top of', 'above', 'sitting on'; 'near' and 'next to';
    'has' and 'wearing', 'holding': `vocab.predicates_compatible`) and those that may say the
    converse of one held back (B on A: A 'under' B, A 'has' B: `converse_predicate_senses`).
    None is a wrong option nor a "no" for the pair."""
    out: set[str] = set()
    with_table: dict[str, frozenset[str]] = vocab.view("may hold with", dict)  # made once per predicate
    for p in held:
        found = with_table.get(p)
        if found is None:
            found = with_table[p] = frozenset(spellings(vocab, (p,))) | _compatible_with(vocab, p)
        out |= found
    if held_back:
        against_table: dict[str, frozenset[str]] = vocab.view("may hold against", dict)
        for p in held_back:
            found = against_table.get(p)
            if found is None:
                found = against_table[p] = _against(vocab, p)
            out |= found
    return out


# Entries kept by `_may_hold_of` per vocabulary before it starts afresh (keys are the predicates
# of a pair both ways: few on any data set, bounded all the same)
_MAY_HOLD_KEPT = 4096


def _may_hold_of(vocab: Vocabulary, held: tuple[str, ...], held_back: tuple[str, ...] = ()) -> frozenset[str]:
    """`may_hold(vocab, held, held_back)`, made once per vocabulary and arguments: asked of every
    pair by `relation.exists`, `open_rivals` and the option sets of `relation.query`."""
    table: dict[tuple[tuple[str, ...], tuple[str, ...]], frozenset[str]] = vocab.view("may hold, kept", dict)
    key = (held, held_back)
    found = table.get(key)
    if found is None:
        if len(table) >= _MAY_HOLD_KEPT:
            table.clear()
        found = table[key] = frozenset(may_hold(vocab, held, held_back))
    return found


def _same_question(p: str, predicate: str, doing: bool) -> bool:
    """Whether `p` answers the question that asks for `predicate`: of its phrasing (`_kind`) and
    its question form (`wording`): options of "Where is A relative to B?" are places, those of
    "What is A doing with B?" actions ("right of" or "belonging to" there is wrong by its grammar
    alone)."""
    return _kind(p) == _kind(predicate) and wording(p, doing) == wording(predicate, doing)


def options_like(vocab: Vocabulary, predicate: str, doing: bool = True) -> list[str]:
    """The vocabulary's predicates that answer the question asking for `predicate`
    (`_same_question`), sorted (made once per vocabulary and question; do not modify)."""
    kind, group = _kind(predicate), wording(predicate, doing)
    return vocab.view(("predicates answering", kind, group, doing),
                      lambda: [p for p in predicates_of_kind(vocab, kind) if wording(p, doing) == group])


def distinct_options_like(vocab: Vocabulary, predicate: str, doing: bool = True) -> tuple[list[str], dict[str, str]]:
    """`options_like`, one predicate a class (`vocab.predicate_class`: the data set's commonest
    spelling, then the first in order), sorted, and the one kept of each class: two wrong options
    that say the same ("near" and "next to") would tell a careful reader that neither is right
    (made once per vocabulary and question; do not modify)."""
    def make() -> tuple[list[str], dict[str, str]]:
        kept: dict[str, str] = {}
        for p in options_like(vocab, predicate, doing):
            klass = predicate_class(p)
            if klass not in kept or vocab.predicates[p] > vocab.predicates[kept[klass]]:
                kept[klass] = p
        return sorted(kept.values()), kept

    return vocab.view(("distinct predicates answering", _kind(predicate), wording(predicate, doing), doing), make)


def options_read(vocab: Vocabulary, answer: str, seen: Sequence[str], classes: Iterable[str]) -> Sequence[str]:
    """The options of the question asking for `answer` as a place (`options_like(doing=False)`)
    of `classes`, the classes of the predicates `seen` (`vocab.predicate_class`: "next to",
    "beside" and "by" where "near" is read), and `seen` themselves: none is a wrong option where
    a viewer may read `seen` (`visual.readable_predicates`)."""
    if not seen:
        return ()
    by_class: dict[str, tuple[str, ...]] = vocab.view(
        ("predicates answering by class", _kind(answer), wording(answer, doing=False)), lambda: _classes_of(
            options_like(vocab, answer, doing=False)))
    return (*seen, *(p for c in classes for p in by_class.get(c, ())))


def _classes_of(predicates: Sequence[str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for p in predicates:
        out.setdefault(predicate_class(p), []).append(p)
    return {c: tuple(ps) for c, ps in out.items()}


def ruled_out(index: SceneIndex, s: int, o: int, vocab: Vocabulary) -> list[str]:
    """The data set's predicates sure not to hold from s to o where relations are sparse
    (``meta["sparse"]``), in `READABLE` order: the opposite of an annotated spatial one, and
    those with a geometric reading that the boxes rule out (`SceneIndex.could_hold`)."""
    held = index.predicates_between.get((s, o), ())
    opposites = {CONVERSE_PREDICATES[p] for p in held if CONVERSE_PREDICATES.get(p, p) != p}
    known = vocab.predicate_set()
    return [p for p in READABLE if p in known and (p in opposites or not index.could_hold(s, p, o))]


def sure_wrong(index: SceneIndex, s: int, o: int, predicate: str, vocab: Vocabulary,
               doing: bool = True) -> list[str]:
    """Options for "how is s related to o?" (answer `predicate`) where relations are sparse: any
    unannotated predicate may hold, so only those `ruled_out` that answer the same question
    (`_same_question`; none for an action: only places are ruled out) and may not hold with the
    pair's annotated ones (`may_hold`: not "above" for "on", "near" for "next to")."""
    same = _may_hold_of(vocab, (predicate,), index.predicates_between.get((o, s), ()))
    return [p for p in ruled_out(index, s, o, vocab) if p not in same and _same_question(p, predicate, doing)]


def open_rivals(index: SceneIndex, vocab: Vocabulary, s: int, o: int, predicate: str) -> list[str]:
    """Readings besides the one annotated `predicate` that answer "how is s related to o?" as
    well, so that an open question would accept one of two right answers: a depth order the
    image may show (`GenerousReader`: "Where is the lamp relative to the sofa? next to" of a
    lamp beside the sofa and farther, "behind" too) and a direction the boxes show clearly
    (`direction_shown`: "near" of a lamp clearly right of the sofa), of a reading the data set
    uses. Not one that may hold with the answer (`may_hold`: "above" beside "on"), nor "near",
    which says less than any answer (said of any two objects close by), nor "on top of" read
    into an annotated "in front of" (its wording in a flat picture). The options of a multiple
    choice leave all readings out (`readable_predicates`); an open question has none."""
    rivals = _rivals_of(vocab, predicate)
    if not rivals:
        return []
    reader = GenerousReader.of(index)
    # (the boxes and depth first: read for a few pairs of a scene, seldom a rival)
    shown = [q for q in rivals if (reader.could_hold(s, q, o) if q in DEPTH_ORDER else direction_shown(index, s, q, o))]
    if not shown:
        return shown
    same = _may_hold_of(vocab, (predicate,), index.predicates_between.get((o, s), ()))
    return [q for q in shown if q not in same]


def _rivals_of(vocab: Vocabulary, predicate: str) -> tuple[str, ...]:
    """The readings the data set uses (directions, depth orders) that may rival `predicate` as the
    answer of an open question, by the words alone: of another class, answering the same question
    (made once per vocabulary and predicate; `open_rivals` reads the image)."""
    table: dict[str, tuple[str, ...]] = vocab.view("rival readings", dict)
    found = table.get(predicate)
    if found is None:
        used: tuple[tuple[str, str], ...] = vocab.view("rival readings used", lambda: tuple(
            (q, predicate_class(q)) for q in (*DIRECTIONS, *DEPTH_ORDER)
            if q in {read_as(p) for p in vocab.predicate_list()}))  # (reading, its class)
        klass = predicate_class(predicate)
        found = table[predicate] = tuple(q for q, c in used if c != klass and _same_question(q, predicate, True))
    return found


# Where any two objects may be, one beside the other: asked of any pair, a "no" about them is a
# question a language prior cannot answer ("Is the sky behind the shirt?", not "Is the sky wearing
# the shirt?")
_ANY_PAIR_SENSES = frozenset({"near", "left of", "right of", "above", "below", "under", "in front of", "behind"})


@lru_cache(maxsize=4096)
def _any_pair(predicate: str) -> bool:  # (cached: asked of every predicate said of a pair's names)
    return predicate_senses(predicate) <= _ANY_PAIR_SENSES


# What one object has, wears or is part of: where a pair holds one of these, a place between them
# is a "no" the words answer ("Is the skier above the coat?", "Is the cow near the head?"), or a
# place that holds too (the man is near the shirt he wears)
_OWNING_SENSES = frozenset({"has", "wearing", "of"})


def owning(predicates: Iterable[str]) -> bool:
    """Whether one of `predicates` says that one object has, wears or is part of the other."""
    return any(map(_owns, predicates))


@lru_cache(maxsize=4096)
def _owns(predicate: str) -> bool:
    return not predicate_senses(predicate).isdisjoint(_OWNING_SENSES)


class SeenPredicates:
    """The predicates a scene annotates, by its subjects' names, its objects' names and both."""

    def __init__(self, names: Sequence[str], relations: Iterable[tuple[int, str, int]]) -> None:
        self.pair: dict[tuple[str, str], set[str]] = {}
        self.subject: dict[str, set[str]] = {}
        self.object: dict[str, set[str]] = {}
        anywhere: set[str] = set()
        for a, p, b in relations:
            self.pair.setdefault((names[a], names[b]), set()).add(p)
            self.subject.setdefault(names[a], set()).add(p)
            self.object.setdefault(names[b], set()).add(p)
            anywhere.add(p)
        self.names = names
        self.any_pair = sorted(p for p in anywhere if _any_pair(p))


class _Barred:
    """The predicates never a "no" from s to o: those that may hold with the pair's annotated ones
    (`held`: `may_hold`) and those a viewer might read into the image (`GenerousReader.could_hold`:
    a direction or "near" of the boxes, a depth order: "Is the lamp to the right of the sofa? no"
    of a lamp clearly right of it, "Is the lamp behind the sofa? no" of one beside it and farther,
    where relations are complete but not every reading is annotated), read only when asked."""

    __slots__ = ("held", "reader", "s", "o")

    def __init__(self, held: AbstractSet[str], reader: GenerousReader, s: int, o: int) -> None:
        self.held, self.reader, self.s, self.o = held, reader, s, o

    def __contains__(self, predicate: object) -> bool:
        return predicate in self.held or (isinstance(predicate, str) and self.reader.could_hold(self.s, predicate, self.o))


def plausible_negatives(vocab: Vocabulary, seen: SeenPredicates, s: int, o: int, excluded: Container[str],
                        owned: bool = False) -> list[str]:
    """Predicates for a "no" from s to o where relations are complete, sorted, none `excluded`:
    those the scene says of objects named as s and o are (the same pair of names, or one said of
    s's name and one of o's, unless a place only some pairs have: "Is the man wearing the hat?"
    where a man wears a shirt and a woman a hat, not "Is the player on the pizza?" where a player
    is on a skateboard and a cup on a pizza); failing those, a place any two objects may have
    (`_ANY_PAIR_SENSES`) that the scene uses, then one of the data set, then one said of s's
    name or of o's; else none (the pair is asked "yes" only). Never a predicate of the data set
    drawn blind ("Is the sky wearing the shirt?" is answered by the words alone), nor a place
    where one of the pair has, wears or is part of the other (`owned`, `owning`)."""
    a, b = seen.names[s], seen.names[o]
    crossed = {p for p in seen.subject.get(a, set()) & seen.object.get(b, set()) if _any_pair(p) or not says_place(p)}
    said = seen.pair.get((a, b), set()) | crossed
    if owned:
        said = {p for p in said if not says_place(p)}
    found = sorted(p for p in said if p not in excluded)
    if owned:
        return found
    if not found:
        found = [p for p in seen.any_pair if p not in excluded]
    if not found:
        anywhere = vocab.view("any-pair predicates", lambda: [p for p in vocab.predicate_list() if _any_pair(p)])
        found = [p for p in anywhere if p not in excluded]
    if not found:  # a data set without places: one said of s's name, or of o's
        found = sorted(p for p in seen.subject.get(a, set()) | seen.object.get(b, set()) if p not in excluded)
    return found


@mypyc_attr(allow_interpreted_subclasses=True)
class RelationExists(Generator):
    """Is the A <predicate> the B? A "no" uses a predicate whose converse holds (A right of B ->
    "Is A left of B?") when the predicate is geometric, else a plausible one the pair does not
    have (`plausible_negatives`; where relations are sparse, a spatial one the boxes rule out:
    another may hold, unannotated, but none where one of the pair has, wears or is part of the
    other: `owning`). Never one that may hold with an annotated one (`may_hold`: not "Is the cup
    on top of the table?" answered "no" beside "on"), nor one a viewer might read into the image
    (`_Barred`: a direction or "near" of the boxes; where objects have a depth, an order it may
    show: not "Is the lamp behind the sofa?" answered "no" of a lamp beside it and farther; nor
    "Is the plant to the left of the mug?" of a plant shifted left of it: `visual.may_read`). A
    "yes" of an annotated direction only where the boxes show it clearly (`direction_shown`)."""

    answer_type = "bool"
    requires = ("relations",)
    description = "Whether a relation holds between two objects."
    templates = {
        "is": ("Is {the_a} {rel} {the_b}?", "Is it true that {the_a} is {rel} {the_b}?",
               "Would you say {the_a} is {rel} {the_b}?"),
        "verb": ("Is it true that {the_a} {rel} {the_b}?", "Does this statement hold: {the_a} {rel} {the_b}?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        refs = referents(ctx.index, allow_relations=False)
        seen: SeenPredicates | None = None  # made when first needed (few pairs of most scenes lack a converse "no")
        reader = GenerousReader.of(ctx.index)
        between = ctx.index.predicates_between
        answers: list[bool] = []
        asked: list[tuple[Referent, Referent, str, bool, str]] = []
        for (s, o), held in sorted(between.items()):
            if s not in refs or o not in refs:
                continue
            held_back = between.get((o, s), ())
            excluded = _Barred(_may_hold_of(ctx.vocab, held, held_back), reader, s, o)
            negatives = [CONVERSE_PREDICATES[p] for p in held if p in CONVERSE_PREDICATES]
            negatives = [p for p in negatives if p not in excluded]
            if not negatives:
                owned = owning((*held, *held_back))
                if not ctx.index.sparse_relations:
                    # not geometric: a predicate the pair lacks, said of such a pair elsewhere
                    if seen is None:
                        seen = SeenPredicates(ctx.scene.names, ctx.scene.relations)
                    negatives = sample_up_to(ctx.rng, plausible_negatives(ctx.vocab, seen, s, o, excluded, owned), 1)
                elif not owned:
                    # where relations are sparse, one sure not to hold: a spatial one the boxes rule out
                    ruled = [p for p in ruled_out(ctx.index, s, o, ctx.vocab) if p not in excluded]
                    negatives = sample_up_to(ctx.rng, ruled, 1)
            ref_s, ref_o, name = refs[s], refs[o], ctx.scene.names[s]
            negatives = sorted(set(negatives))
            # a "yes" of a direction only where the boxes show it clearly (`direction_shown`)
            shown = [p for p in held if direction_shown(ctx.index, s, p, o)]
            answers += [True] * len(shown) + [False] * len(negatives)
            asked += [(ref_s, ref_o, p, True, name) for p in shown]
            asked += [(ref_s, ref_o, p, False, name) for p in negatives]
        for s, o, p in contacts_lacking(ctx, refs):  # (medical slices: "touching" between structures)
            answers.append(False)
            asked.append((refs[s], refs[o], p, False, ctx.scene.names[s]))
        # many per scene, one or two used: phrased only if picked
        yield Batch.of(answers, asked, self._make)

    def _make(self, a: Referent, b: Referent, predicate: str, expected: bool, name: str) -> Candidate:
        # a verb in the slot agrees itself ("the jeans hold"); "is" beside the slot (`text.agree`);
        # 'of' says the subject's noun ("Is the leg a leg of the man?": `agreeing_relation_phrase`)
        phrase = agreeing_relation_phrase(name, predicate)
        rel = phrase.removeprefix("are ").removeprefix("is ")
        return Candidate(None, {"the_a": a.the, "the_b": b.the, "rel": rel}, group=_kind(predicate),
                         plural=plural_slots(the_a=a),
                         expected=expected, distractors=[not expected],
                         build=partial(referent_query, (a, b), "has_relation", (predicate,)))


register("relation.exists.v1", family="relation")(RelationExists)


def wrong_option_test(vocab: Vocabulary, index: SceneIndex, s: int, o: int, predicate: str) -> Callable[[str], bool]:
    """The test of a value as a wrong option of "how is s related to o?" (answer `predicate`, the
    pair's one predicate, relations complete): it answers the same question, is of another class
    (`distinct_options_like`: "near" and "next to" are one; any spelling of an allowed class), may
    not hold with the answer (`may_hold`: "on top of" beside "on", "under" where o is on s) and is
    not a reading a viewer may make of the pair, in any wording (`readable_predicates`: "next to"
    where "near" is read). The converse, which holds from o to s, is a good hard negative."""
    options, kept = distinct_options_like(vocab, predicate)
    readable = [kept[c] for c in {predicate_class(p) for p in readable_predicates(index, s, o)} if c in kept]
    allowed = Without(options, (*_may_hold_of(vocab, (predicate,), index.predicates_between.get((o, s), ())), *readable))
    same = by_class(allowed, kept, predicate_class, partial(_same_question, predicate=predicate, doing=True))
    klass = predicate_class(predicate)
    return lambda value: predicate_class(value) != klass and same(value)


@lru_cache(maxsize=1024)
def _generous_of_class(klass: str) -> tuple[str, ...]:
    """The predicates of `GENEROUS_PREDICATES` of class `klass` (`vocab.predicate_class`)."""
    return tuple(p for p in GENEROUS_PREDICATES if predicate_class(p) == klass)


def _reads_class(reader: GenerousReader, annotated: Sequence[str], s: int, o: int, klass: str) -> bool:
    """Whether a viewer may read from s to o a predicate of class `klass` (`vocab.predicate_class`):
    whether `klass` is among the classes of `readable_predicates` (the pair's `annotated`
    predicates and the generous ones that `reader.could_hold`), asking only those of the class."""
    for p in annotated:  # (loops, not any() of generators: asked ~30 times a demo scene)
        if predicate_class(p) == klass and reader.could_hold(s, p, o):
            return True
    for p in _generous_of_class(klass):
        if reader.could_hold(s, p, o):
            return True
    return False


def _wrong_spellings(vocab: Vocabulary, predicate: str) -> dict[str, tuple[str, str]]:
    """value -> `_wrong_entry(vocab, predicate, value)`, filled as asked: one table per question
    form (`_kind` and `wording` of `predicate`, what the entries depend on), shared by the
    predicates of that form (made once per vocabulary; do not modify). Kept per predicate, a
    data set of thousands of predicates (Visual Genome) met new (predicate, value) pairs on
    every scene, each some 15,000 instructions."""
    table: dict[str, dict[str, tuple[str, str]]] = vocab.view("wrong option spellings", dict)
    found = table.get(predicate)
    if found is None:
        forms: dict[tuple[str, str], dict[str, tuple[str, str]]] = vocab.view("wrong option spellings by form", dict)
        found = table[predicate] = forms.setdefault((_kind(predicate), wording(predicate)), {})
    return found


def _wrong_entry(vocab: Vocabulary, predicate: str, value: str) -> tuple[str, str]:
    """(`value`'s class, `vocab.predicate_class`; the spelling kept of that class among the
    options of the question asking for `predicate` (`distinct_options_like`) where `value`
    answers that question, else ""): the same for every predicate of one question form."""
    klass = predicate_class(value)
    if not _same_question(value, predicate, True):
        return klass, ""
    return klass, distinct_options_like(vocab, predicate)[1].get(klass, "")


def _wrong_spelling(vocab: Vocabulary, predicate: str, value: str) -> str:
    """The part of `wrong_option_test` that reads the words alone: the spelling kept of `value`'s
    class (`distinct_options_like`) where `value` is of another class than `predicate` and answers
    its question, else "". `value` passes the test of a pair where that spelling is not among
    those that may hold with the answer (`may_hold`) and its class not among the pair's readings
    (`readable_predicates`: the spellings `wrong_option_test` leaves out are those kept of the
    classes read, one class each). (`_SceneOptions.masks` reads it from `_wrong_spellings`.)"""
    klass, spelled = _wrong_entry(vocab, predicate, value)
    return "" if klass == predicate_class(predicate) else spelled


class _SceneOptions:
    """The option sets of a scene's "how is A related to B?" questions, drawn so that the options
    alone never tell the answer (`option_blocks`): each set holds answers of the scene only, each
    of its values as often right where it is offered, and each wrong option passes the pair's
    `wrong_option_test`. Made when a question of the scene is first phrased (one or two of its
    candidates), once for all of them: `asked` lists (s, o, answer) in the order of the batch."""

    def __init__(self, ctx: GenContext, asked: list[tuple[int, int, str]], size: int) -> None:
        self.ctx, self.asked, self.size = ctx, asked, size
        self._made: tuple[list[str], list[tuple[int, int]], Allocation] | None = None

    def _make(self) -> tuple[list[str], list[tuple[int, int]], Allocation]:
        values, where, safe = self.masks()
        return values, where, allocate(safe, self.size)

    def masks(self) -> tuple[list[str], list[tuple[int, int]], list[list[int]]]:
        """The scene's answers (sorted), each candidate's (value, place among the value's) and,
        per value and candidate, the mask of the values that pass its `wrong_option_test`."""
        vocab, index = self.ctx.vocab, self.ctx.index
        values = sorted({p for _, _, p in self.asked})
        at = {v: x for x, v in enumerate(values)}
        safe: list[list[int]] = [[] for _ in values]
        where: list[tuple[int, int]] = []  # candidate i -> (its value, its place among the value's)
        between = index.predicates_between
        reader = GenerousReader.of(index)
        for s, o, predicate in self.asked:
            # `wrong_option_test` of each value, written out (the same masks): the tests of the
            # words alone made once per vocabulary (`_wrong_spellings`), `may_hold` once per
            # predicate and pair's converse, a reading of the pair only of a class a value left
            # to test has (`_reads_class`; none on a scene of one answer)
            mask = 0
            if len(values) > 1:
                spellings_of = _wrong_spellings(vocab, predicate)
                own = predicate_class(predicate)
                held = _may_hold_of(vocab, (predicate,), between.get((o, s), ()))
                read: dict[str, bool] = {}  # class -> whether a viewer may read one of it of the pair
                for y, v in enumerate(values):
                    entry = spellings_of.get(v)
                    if entry is None:
                        entry = spellings_of[v] = _wrong_entry(vocab, predicate, v)
                    klass, spelled = entry  # (`_wrong_spelling`: none of the answer's own class)
                    if spelled and klass != own and spelled not in held:
                        seen = read.get(klass)
                        if seen is None:
                            seen = read[klass] = _reads_class(reader, between.get((s, o), ()), s, o, klass)
                        if not seen:
                            mask |= 1 << y
            x = at[predicate]
            where.append((x, len(safe[x])))
            safe[x].append(mask)
        return values, where, safe

    def wrong(self, i: int, u: float) -> list[str]:
        """The wrong options of candidate i (in `asked`) by a uniform number u in [0, 1): none
        where it takes no set for that u (asked open only)."""
        if self._made is None:
            self._made = self._make()
        values, where, allocation = self._made
        x, j = where[i]
        mask = draw(allocation[x][j], u)
        return [v for y, v in enumerate(values) if mask >> y & 1 and y != x]


@mypyc_attr(allow_interpreted_subclasses=True)
class QueryRelation(Generator):
    """What is the relation of A to B? Only pairs with exactly one predicate (the program fails
    otherwise) and, for a direction, none across it that a viewer might read of the boxes
    (`sole_direction`: "below" and also clearly "left of" is not asked), and one the boxes show
    clearly (`direction_shown`: not "left of" of a box merely shifted left); options never include
    another predicate that holds or may hold with it (`may_hold`: "next to" for "near", "on top
    of" for "on", "has" for "wearing"), nor one a viewer might read of the boxes (`readable_predicates`:
    a direction, "near", "on top of" an object it is in front of). The options are other answers
    of the scene, in sets each of whose values is as often right where the set is offered
    (`_SceneOptions`, `option_blocks`): a pair that takes none is asked open only. Where relations
    are sparse, only predicates sure not to hold (`sure_wrong`). Not asked where another reading answers as
    well (`open_rivals`: "next to" of a lamp the image shows behind the sofa too): asked open,
    the question would accept one of two right answers (the runner asks each candidate in both
    modes)."""

    answer_type = "str"
    requires = ("relations",)
    description = "The relation that holds between two objects."
    templates = {
        "is": ("Where is {the_a} relative to {the_b}?", "What is the spatial relation of {the_a} to {the_b}?",
               "How is {the_a} positioned with respect to {the_b}?"),
        # actions only (`wording`): "What is the man doing to the horse?" answered "riding"
        "doing": ("What is {the_a} doing to {the_b}?", "What is {the_a} doing with {the_b}?"),
        # an action said with its preposition ('playing with'): "doing to" would say two
        "doing_with": ("What is {the_a} doing with {the_b}?", "How is {the_a} interacting with {the_b}?"),
        "verb": ("What is the relationship between {the_a} and {the_b}?",
                 "How is {the_a} related to {the_b}?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        refs = referents(ctx.index, allow_relations=False)
        sparse = ctx.index.sparse_relations
        answers: list[str] = []
        asked: list[tuple[Any, ...]] = []
        pairs: list[tuple[int, int, str]] = []
        # the scene's option sets, drawn among its answers (where relations are complete)
        choices = self.config.num_choices  # (at least 2: max of two ints, written out)
        options = None if sparse else _SceneOptions(ctx, pairs, 2 if 2 > choices else choices)
        for (s, o), held in sorted(ctx.index.predicates_between.items()):
            if len(held) != 1 or s not in refs or o not in refs or forced_answer(ctx.vocab, held[0]):
                continue
            if not sole_direction(ctx.index, s, held[0], o) or not direction_shown(ctx.index, s, held[0], o):
                continue  # "below", and also "left of": either is right; "left of" the boxes do not show
            if open_rivals(ctx.index, ctx.vocab, s, o, held[0]):
                continue  # "next to", and "behind" as the image shows: asked open, either is right
            answers.append(held[0])
            if options is not None:
                asked.append((ctx, refs[s], refs[o], held[0], options, len(pairs)))
                pairs.append((s, o, held[0]))
            else:  # where relations are sparse, options only among those sure not to hold
                asked.append((ctx, refs[s], refs[o], held[0], answers, sure_wrong(ctx.index, s, o, held[0], ctx.vocab),
                              partial(readable_predicates, ctx.index, s, o)))
        # many per scene, one or two used: phrased only if picked
        yield Batch.of(answers, asked, self._make if options is not None else self._make_sparse)

    def _make(self, ctx: GenContext, a: Referent, b: Referent, predicate: str, options: _SceneOptions,
              i: int) -> Candidate:
        # one draw whatever the mode (a pick's draws do not depend on its mode); none: a pair
        # that takes no option set of its scene is asked open only
        return self._candidate(a, b, predicate, options.wrong(i, float(ctx.rng.random())))

    def _make_sparse(self, ctx: GenContext, a: Referent, b: Referent, predicate: str, answers: list[str],
                     wrong: list[str], seen: Callable[[], tuple[str, ...]]) -> Candidate:
        # Any unannotated predicate may hold: options only among those the boxes rule out
        # (`sure_wrong`), none a viewer may read, the scene's answers first, one drawn by the data
        # set's counts only where the scene has no other (`relation_options`)
        readable = seen()
        allowed = [p for p in wrong if p not in readable]
        distractors = wrong_options(ctx.rng, self.config.num_choices - 1, allowed, predicate.__ne__,
                                    ctx.vocab.predicates, scene=scene_values(answers), kind=predicate_class,
                                    fill_to=1)
        return self._candidate(a, b, predicate, distractors)

    def _candidate(self, a: Referent, b: Referent, predicate: str, distractors: list[str]) -> Candidate:
        group = wording(predicate)
        if group == "doing" and " " in predicate:
            group = "doing_with"  # options stay those of "doing": every action answers it
        return Candidate(None, {"the_a": a.the, "the_b": b.the}, group=group, expected=predicate,
                         plural=plural_slots(the_a=a),
                         distractors=distractors, build=partial(referent_query, (a, b), "query_relation"))


register("relation.query.v1", family="relation")(QueryRelation)
