"""Helpfulness, truthfulness and hallucinations of free-form replies against scene graphs.

For one reply and its image's scene graph:

    claims        extracted by an extractor (`claims.RuleExtractor` or `llm_claims.LLMExtractor`);
                  their words mapped onto the vocabulary by a matcher (`embed`), names through
                  their synonym class on both sides (`names`: "sofa" is couch; names of the
                  input's scenes sharing a WordNet synset, `names.synset_classes`)
    supported     entity: an object of that name exists; attribute: the object the mention
                  grounds to (same name, most of the mention's attributes) has it; count: the
                  number of objects with that name and all the attributes equals it (when a
                  crowd or stuff region is among them, at least that number plus one per
                  crowd region, a crowd being two instances or more and an area of stuff one
                  or more); relation:
                  some grounded subject and object stand in that relation (or its converse),
                  in any of the annotated predicate's senses ("parked on" is "on"); a direction
                  or "near" not annotated is read from the boxes (`SceneFacts.verdict`), "in
                  front of" / "behind" from the depth where the scene has it, as the generators
                  read it (`veriscene.scene.depth_order`); a relation a reader may say of
                  several nouns ("a man on a motorcycle next to a bus") holds if one reading
                  does, is open if one is, false only if each is; absent ("there is no dog"):
                  no object of that name
    truthfulness  supported claims / claims (None when the reply states nothing checkable); a
                  true absent claim is listed but counted in neither (it states no fact of the
                  graph, and a reply could say it of anything no image holds: padding a region
                  description of three false claims with fifteen "there is no <thing>" raised
                  its combined score from 0.47 to 0.84), a false one counts;
                  on a scene graph that annotates only some names in full (`meta["exhaustive"]`,
                  or `meta["category_set"]`: COCO annotates its 80 categories, read from the
                  list a scene of the set carries, `meta["categories"]`, else taken as the names
                  of the input's scenes of that set, and nothing else), a claim about another
                  name beyond what is annotated ("there is a fork" with no fork annotated, "a
                  window" on COCO) is undetermined: listed with `supported` None, counted in
                  neither (a narrower name of one annotated in full, "a man" where persons are,
                  is checked: no person, no man); so, on one that records attributes or
                  relations only in part (`meta["sparse"]`, Visual Genome), is an attribute
                  that a grounded object may have unannotated, no annotated word of it ruling
                  it out (`vocab.exclusive`: "the car is red" of a car with no colour or of a
                  "red and white car" annotated white; not of a white car), a count of
                  attributed objects above the annotated one and within the objects of the name
                  that may have the attributes so ("two red buses" of a red and a white bus is
                  false), and a relation between existing objects that is not annotated (unless
                  its opposite is: "left of" where "right of" is annotated). A relation of an
                  object the scene graph says is not there is false ("a teddy bear on a chair"
                  where teddy bears are annotated in full and none is), of one it leaves open
                  open, "a man" where persons are annotated included
    helpfulness   scene-graph tuples stated by a supported claim / all scene-graph tuples, where
                  tuples are (name), (name, attribute) and (name, predicate, name), a relation
                  and its converse counting once
    combined      the F1 of the two: truthfulness as precision, helpfulness as recall
                  (2PR / (P + R)); 0 for a reply stating nothing checkable (truthfulness None) or
                  nothing of the scene graph. Neither listing everything (its truthfulness falls)
                  nor saying nothing (0) raises it: read it, not helpfulness alone, where one
                  figure has to rank replies
    hallucinations  the text of every unsupported claim
    hedges        a claim said with a hedge ("there might be a dog": "maybe dog"; "the cup might
                  be on the table", "possibly left of": `hedges`) counts as a plain one in
                  truthfulness (a hedge excuses no falsehood) and states HEDGED_WEIGHT (a half) of
                  its tuple in helpfulness (a plain claim of the same tuple: all of it); a hedged
                  hallucination is listed with its "maybe". So a hedged claim never scores more
                  than the same claim said plainly, whether it is true (less helpfulness, the same
                  truthfulness) or false (the same of both): hedging pays nothing. (In 0.31.0 and before a
                  hedged claim weighed a half in truthfulness too: a hedged falsehood cost half,
                  paid for by nothing when it was false)

A reply about several images (a comparison caption) is checked against all of them: a claim its
wording ties to images ("Image 2 has a square", "both images ...") must hold in each of those, an
untied one in some image; helpfulness counts each image's tuples. A comparison (`comparison=True`:
a sample whose program is `describe_images`, the kinds of objects each image holds) is asked which
images hold which names: its helpfulness counts each image's names only (the entity tuples, as its
gold caption states them), each stated by a supported claim tied to that image ("Only Image 2
contains a star", "Both images contain a square"); a claim tied to no image ("there is a red
circle") says nothing of which image holds what and states none (it still counts in truthfulness). A reply about a region (a
region description) is checked against the object(s) in it (`SceneFacts(scene, focus=...)`):
its entity, attribute and count claims must be about them, its relations must involve one, and
helpfulness counts their tuples only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from veriscene.answers.normalize import normalize_phrase
from veriscene.evaluate.freeform.bounded import Bounded
from veriscene.evaluate.freeform.claim_model import Claim, Mention
from veriscene.evaluate.freeform.embed import LexicalMatcher
from veriscene.evaluate.freeform.facts import SceneFacts
from veriscene.evaluate.freeform.hedges import HEDGED_WEIGHT
from veriscene.evaluate.freeform.lexicon import (  # noqa: F401  (all but Lexicon re-exported: they were defined here)
    Lexicon,
    add_scene_words,
    category_classes,
    lexicon_from_scenes,
    unseen_categories,
)
from veriscene.evaluate.freeform.names import name_class, read_name
from veriscene.evaluate.freeform.words import COUNTABLE_GENERIC, PREDICATE_PHRASES


# claim kinds that count in truthfulness only when false (see the module docstring)
FREE_CLAIMS = frozenset({"absent"})


@dataclass
class ReplyScore:
    helpfulness: float
    truthfulness: float | None
    claims: list[dict[str, Any]]
    hallucinations: list[str]
    recall_by_kind: dict[str, float | None] = field(default_factory=dict)
    combined: float = 0.0  # F1 of truthfulness (precision) and helpfulness (recall): `combined_score`
    extracted: bool = True  # False: the claim extractor gave no readable answer (nothing was checked)
    unread: str | None = None  # why, where the extractor said (`claim_model.Unread`)

    def to_dict(self) -> dict[str, Any]:
        return {"helpfulness": self.helpfulness, "truthfulness": self.truthfulness, "combined": self.combined,
                "hallucinations": self.hallucinations, "recall_by_kind": self.recall_by_kind,
                "claims": self.claims}


def combined_score(helpfulness: float, truthfulness: float | None) -> float:
    """The F1 of truthfulness (precision) and helpfulness (recall): 0 when the reply states no
    checkable claim (truthfulness None) or either is 0. Listing every name with every attribute
    earns full helpfulness and little truthfulness, so little of this; a reply of no claims, 0."""
    if truthfulness is None or truthfulness <= 0.0 or helpfulness <= 0.0:
        return 0.0
    return 2.0 * truthfulness * helpfulness / (truthfulness + helpfulness)


class Canonicaliser:
    """Maps every word of a claim onto the lexicon with a matcher (memoised per word, the
    `most_words` used last: a policy in training says ever new words)."""

    def __init__(self, lexicon: Lexicon, matcher: LexicalMatcher, synonyms: Mapping[str, str] | None = None, *,
                 most_words: int = 100_000) -> None:
        self.matcher = matcher
        self._synonyms = synonyms  # names of the input's scenes read as one (`names.synset_classes`)
        self._slots = {"name": sorted(lexicon.names), "attribute": sorted(lexicon.attributes),
                       "predicate": sorted(lexicon.predicates)}
        self._known = {k: frozenset(v) for k, v in self._slots.items()}
        self._memo: Bounded[tuple[str, str], str] = Bounded(most_words)

    def kept(self) -> int:
        """The words memoised now."""
        return len(self._memo)

    def word(self, slot: str, term: str) -> str:
        key = (slot, term)
        if key not in self._memo:
            norm = normalize_phrase(term)
            if slot == "name" and (norm in COUNTABLE_GENERIC or name_class(norm) != norm):
                self._memo[key] = read_name(norm, self._synonyms)  # a synonym is read as its class, never respelt
            elif slot == "name":
                found = self.matcher.canonical(term, self._slots[slot], self._known[slot])
                self._memo[key] = read_name(found, self._synonyms)
            elif slot == "predicate" and " ".join(term.lower().split()) in PREDICATE_PHRASES:
                self._memo[key] = PREDICATE_PHRASES[" ".join(term.lower().split())]
            else:
                self._memo[key] = self.matcher.canonical(term, self._slots[slot], self._known[slot])
        return self._memo[key]

    def mention(self, m: Mention) -> Mention:
        return Mention(self.word("name", m.name), tuple(self.word("attribute", a) for a in m.attributes), m.count,
                       m.every)

    def claim(self, c: Claim) -> Claim:
        return replace(c, subject=self.mention(c.subject),
                       attribute=self.word("attribute", c.attribute) if c.attribute else None,
                       predicate=self.word("predicate", c.predicate) if c.predicate else None,
                       object=self.mention(c.object) if c.object else None,
                       alternatives=tuple(self.mention(m) for m in c.alternatives))


def check_claim(c: Claim, images: Sequence[SceneFacts]) -> tuple[bool | None, list[int]]:
    """(verdict, images where it holds) of a claim about a sample's images. A claim tied to images
    by its wording must hold in each of them (False when it names an image the sample lacks), an
    untied one in some image. Verdicts: True, False, None (undetermined)."""
    scope = c.images
    if scope is None or scope.every:
        named: Sequence[int] = range(len(images))
    else:
        named = scope.images
        if any(k >= len(images) for k in named):
            return False, []
    verdicts = {k: images[k].verdict(c) for k in named}
    holding = [k for k, v in verdicts.items() if v]
    values = set(verdicts.values())
    if scope is None:  # some image
        return (True if True in values else None if None in values else False), holding
    return (False if False in values else None if None in values else True), holding


def score_claims(claims: Sequence[Claim], images: Sequence[SceneFacts], canon: Canonicaliser, *,
                 comparison: bool = False) -> ReplyScore:
    """Scores of a reply's claims against the scene graphs of its sample's images (in order);
    `comparison`: helpfulness counts each image's names stated by claims tied to it (see the
    module docstring)."""
    checked: list[dict[str, Any]] = []
    # (image, tuple) -> the share of it a claim states: 1, HEDGED_WEIGHT by a hedged claim (a
    # plain claim's over a hedged one's)
    covered: dict[str, dict[tuple[int, tuple[str, ...]], float]] = {k: {} for k in images[0].tuples}
    seen: set[str] = set()
    for raw in claims:
        c = canon.claim(raw)
        key = f"{c.kind}|{c.text}"
        if key in seen:  # two phrasings of one claim count once
            continue
        seen.add(key)
        ok, holding = check_claim(c, images)
        weight = HEDGED_WEIGHT if c.hedged else 1.0
        checked.append({"kind": c.kind, "text": c.text, "said": raw.text, "supported": ok})
        tied = c.images is not None or not comparison  # (a comparison's untied claim states no tuple)
        for k in holding if ok and tied else ():
            found = images[k].tuple_of(c)
            if found is not None and found[1] in images[k].tuples[found[0]]:
                stated = covered[found[0]]
                stated[(k, found[1])] = max(stated.get((k, found[1]), 0.0), weight)
    totals = {kind: sum(len(f.tuples[kind]) for f in images) for kind in covered}
    asked = ("entity",) if comparison else tuple(covered)  # the kinds of tuple helpfulness counts
    total, hit = sum(totals[k] for k in asked), sum(sum(covered[k].values()) for k in asked)
    # a true absence ("there is no zebra") states no fact of the graph and is free to say of
    # anything no image holds: counted, it let a reply pad its claims with them (`FREE_CLAIMS`)
    decided = [c for c in checked if c["supported"] is not None and not (c["supported"] and c["kind"] in FREE_CLAIMS)]
    # a hedged claim counts as a plain one here: a hedge excuses no falsehood (`hedges`)
    supported = sum(1 for c in decided if c["supported"])
    helpfulness = hit / total if total else 0.0
    truthfulness = supported / len(decided) if decided else None
    return ReplyScore(
        helpfulness=helpfulness,
        truthfulness=truthfulness,
        combined=combined_score(helpfulness, truthfulness),
        claims=checked,
        hallucinations=[c["text"] for c in decided if not c["supported"]],
        recall_by_kind={k: (sum(covered[k].values()) / n if n else None) for k, n in totals.items()},
    )
