"""Relation questions between two uniquely described objects."""

from __future__ import annotations

from functools import lru_cache, partial
from typing import Callable, Iterable

from veriscene.generators.agreement import plural_slots
from veriscene.generators.base import Candidate, Deferred, GenContext, Generator
from veriscene.generators.common import referent_query, sample_up_to, wording
from veriscene.generators.registry import register
from veriscene.generators.visual import readable_predicates, sole_direction
from veriscene.generators.vocabulary import Vocabulary, Without
from veriscene.program.context import SceneIndex
from veriscene.scene.describe import Referent, referents
from veriscene.scene.geometry import READABLE
from veriscene.text import agreeing_relation_phrase, relation_phrase
from veriscene.text_predicates import predicate_key
from veriscene.vocab import CONVERSE_PREDICATES


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
    by_key: dict[str, list[str]] = vocab.view("predicates by key", lambda: _by_key(vocab.predicate_list()))
    out = set(predicates)
    for p in list(out):
        out.update(by_key.get(predicate_key(p), ()))
    return out


def _by_key(predicates: Iterable[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in predicates:
        out.setdefault(predicate_key(p), []).append(p)
    return out


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
    (`_same_question`; none for an action: only places are ruled out)."""
    same = spellings(vocab, (predicate,))
    return [p for p in ruled_out(index, s, o, vocab) if p not in same and _same_question(p, predicate, doing)]


@register("relation.exists.v1", family="relation")
class RelationExists(Generator):
    """Is the A <predicate> the B? A "no" uses a predicate whose converse holds (A right of B ->
    "Is A left of B?") when the predicate is geometric, else one the pair does not have (where
    relations are sparse, a spatial one the boxes rule out: another may hold, unannotated)."""

    answer_type = "bool"
    requires = ("relations",)
    description = "Whether a relation holds between two objects."
    templates = {
        "is": ("Is {the_a} {rel} {the_b}?", "Is it true that {the_a} is {rel} {the_b}?",
               "Would you say {the_a} is {rel} {the_b}?"),
        "verb": ("Is it true that {the_a} {rel} {the_b}?", "Does this statement hold: {the_a} {rel} {the_b}?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Deferred]:
        refs = referents(ctx.index, allow_relations=False)
        vocab_predicates = ctx.vocab.predicate_list()
        for (s, o), held in sorted(ctx.index.predicates_between.items()):
            if s not in refs or o not in refs:
                continue
            asks = [(p, True) for p in held]
            negatives = [CONVERSE_PREDICATES[p] for p in held if p in CONVERSE_PREDICATES]
            negatives = [p for p in negatives if p not in held]
            if not negatives and not ctx.index.sparse_relations:
                # not geometric: any predicate of the data set the pair lacks
                negatives = sample_up_to(ctx.rng, Without(vocab_predicates, spellings(ctx.vocab, held)), 1)
            elif not negatives:
                # where relations are sparse, one sure not to hold: a spatial one the boxes rule out
                negatives = sample_up_to(ctx.rng, ruled_out(ctx.index, s, o, ctx.vocab), 1)
            asks += [(p, False) for p in sorted(set(negatives))]
            for predicate, expected in asks:
                # many per scene, one or two used: phrased only if picked
                yield Deferred(expected, partial(self._make, refs[s], refs[o], predicate, expected,
                                                 ctx.scene.names[s]))

    def _make(self, a: Referent, b: Referent, predicate: str, expected: bool, name: str) -> Candidate:
        # a verb in the slot agrees itself ("the jeans hold"); "is" beside the slot (`text.agree`);
        # 'of' says the subject's noun ("Is the leg a leg of the man?": `agreeing_relation_phrase`)
        phrase = agreeing_relation_phrase(name, predicate)
        rel = phrase.removeprefix("are ").removeprefix("is ")
        return Candidate(None, {"the_a": a.the, "the_b": b.the, "rel": rel}, group=_kind(predicate),
                         plural=plural_slots(the_a=a),
                         expected=expected, distractors=[not expected],
                         build=partial(referent_query, (a, b), "has_relation", (predicate,)))


@register("relation.query.v1", family="relation")
class QueryRelation(Generator):
    """What is the relation of A to B? Only pairs with exactly one predicate (the program fails
    otherwise) and, for a direction, none across it that a viewer might read of the boxes
    (`sole_direction`: "below" and also clearly "left of" is not asked); options never include
    another predicate that holds, nor one a viewer might read of the boxes (`readable_predicates`:
    a direction, "near", "on top of" an object it is in front of; where relations are sparse,
    only predicates sure not to hold: `sure_wrong`)."""

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

    def propose(self, ctx: GenContext) -> Iterable[Deferred]:
        refs = referents(ctx.index, allow_relations=False)
        for (s, o), held in sorted(ctx.index.predicates_between.items()):
            if len(held) != 1 or s not in refs or o not in refs:
                continue
            if not sole_direction(ctx.index, s, held[0], o):
                continue  # "below", and also clearly "left of": either is right
            # many per scene, one or two used: phrased only if picked
            # where relations are sparse, options only among those sure not to hold
            wrong = sure_wrong(ctx.index, s, o, held[0], ctx.vocab) if ctx.index.sparse_relations else None
            yield Deferred(held[0], partial(self._make, refs[s], refs[o], held[0], ctx.vocab, wrong,
                                            partial(readable_predicates, ctx.index, s, o)))

    def _make(self, a: Referent, b: Referent, predicate: str, vocab: Vocabulary,
              wrong: list[str] | None = None, seen: Callable[[], tuple[str, ...]] = tuple) -> Candidate:
        group = wording(predicate)
        if group == "doing" and " " in predicate:
            group = "doing_with"  # options stay those of "doing": every action answers it
        distractors: Iterable[str]
        if wrong is not None:
            readable = seen()
            distractors = [p for p in wrong if p not in readable]
        else:
            # Distractors that answer the same question (`options_like`) and neither hold nor
            # may be read from A to B (the converse, which holds from B to A, is a good hard
            # negative).
            distractors = Without(options_like(vocab, predicate), (*spellings(vocab, (predicate,)), *seen()))
        return Candidate(None, {"the_a": a.the, "the_b": b.the}, group=group, expected=predicate,
                         plural=plural_slots(the_a=a),
                         distractors=distractors, build=partial(referent_query, (a, b), "query_relation"))
