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
    truthfulness  supported claims / claims (None when the reply states nothing checkable);
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
    hallucinations  the text of every unsupported claim
    hedges        a claim said with a hedge ("there might be a dog": "maybe dog", `hedges`) weighs
                  HEDGED_WEIGHT (a half) of a plain one in truthfulness and in the helpfulness of
                  the tuple it states; a hedged hallucination is listed with its "maybe"

A reply about several images (a comparison caption) is checked against all of them: a claim its
wording ties to images ("Image 2 has a square", "both images ...") must hold in each of those, an
untied one in some image; helpfulness counts each image's tuples. A reply about a region (a
region description) is checked against the object(s) in it (`SceneFacts(scene, focus=...)`):
its entity, attribute and count claims must be about them, its relations must involve one, and
helpfulness counts their tuples only.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Set as AbstractSet
from dataclasses import dataclass, field, replace
from typing import Any

from veriscene.answers.normalize import normalize_phrase
from veriscene.category_sets import listed_categories
from veriscene.evaluate.freeform.claims import (
    COUNTABLE_GENERIC,
    PREDICATE_PHRASES,
    Claim,
    Lexicon,
    Mention,
)
from veriscene.evaluate.freeform.embed import LexicalMatcher
from veriscene.evaluate.freeform.hedges import HEDGED_WEIGHT
from veriscene.evaluate.freeform.names import broader_of, covers, name_class, read_name
from veriscene.scene.depth_order import DEPTH_ORDER, DepthOrder
from veriscene.scene.geometry import NEAR_FRACTION, READABLE, READING_SLACK, could_read
from veriscene.scene.model import Scene
from veriscene.vocab import (
    CONVERSE_PREDICATES,
    OVERLAPPING,
    attribute_type,
    exclusive,
    predicate_class,
    predicate_senses,
)

# (broader, narrower) attribute words: a "small" claim holds of a "tiny" object; a "tiny" claim of
# a "small" one is left open
_NARROWER = frozenset(OVERLAPPING)


def lexicon_from_scenes(scenes: Iterable[Scene]) -> Lexicon:
    lex = Lexicon()
    for s in scenes:
        add_scene_words(lex, s)
    return lex


def add_scene_words(lex: Lexicon, s: Scene) -> None:
    """Add a scene's object names, attributes and predicates to `lex` (what `lexicon_from_scenes`
    adds); the names of a scene of a category set (``meta["category_set"]``) to that set's too,
    and the set's whole list where the scene carries it (``meta["categories"]``, the first scene
    COCO's reader gives of a file: `veriscene.category_sets`), so that a category none of the
    scenes read shows is still closed. A list that is not its set's is not read (a warning)."""
    lex.add(names=s.names, attributes=[a for attrs in s.attributes for a in attrs],
            predicates=[p for _, p, _ in s.relations])
    synsets = s.meta.get("synsets")
    if isinstance(synsets, list) and len(synsets) == len(s.names):  # (one per object, or None)
        for name, synset in zip(s.names, synsets):
            if isinstance(synset, str) and synset:
                lex.synsets.setdefault(normalize_phrase(name), Counter())[synset] += 1
    category_set = s.meta.get("category_set")
    if category_set is not None:
        names = lex.category_sets.setdefault(category_set, set())
        names.update(s.names)
        try:
            listed = listed_categories(s.meta)
        except ValueError as exc:
            warnings.warn(f"scene {s.image_id!r}: {exc}; not read: the set's categories are the names of its scenes",
                          stacklevel=2)
            listed = None
        if listed is not None:
            names.update(listed[1])


def category_classes(lex: Lexicon, synonyms: Mapping[str, str] | None = None) -> dict[str, frozenset[str]]:
    """category set id -> the names its scenes give (`Lexicon.category_sets`) read as
    `SceneFacts` reads names (normalised, synonym class, through `synonyms`: `names.synset_classes`):
    what a scene of the set annotates in full."""
    return {k: frozenset(read_name(normalize_phrase(n), synonyms) for n in names)
            for k, names in lex.category_sets.items()}


def unseen_categories(lex: Lexicon) -> str | None:
    """What to say when the scenes read do not show every category of a set (and none of them
    carries the set's list, ``meta["categories"]``: scenes converted before 0.24, or a subset
    without the file's first scene): claims about a category no scene shows are left open, not
    checked. The number of categories is read from a set id as COCO's reader writes it
    ("80:1c6d..."); another id is taken as complete."""
    short = []
    for k, names in sorted(lex.category_sets.items()):
        head = k.partition(":")[0]
        if head.isdigit() and len(names) < int(head):
            short.append(f"{len(names)} of the {int(head)} categories of category set {k!r}")
    if not short:
        return None
    return (f"the scenes read show {'; '.join(short)}: claims about a category no scene shows are left open, "
            "not checked. Give the data set's whole converted scene file as the scenes (every scene is read "
            "for its names, only the replied ones are held)")


@dataclass
class ReplyScore:
    helpfulness: float
    truthfulness: float | None
    claims: list[dict[str, Any]]
    hallucinations: list[str]
    recall_by_kind: dict[str, float | None] = field(default_factory=dict)
    extracted: bool = True  # False: the claim extractor gave no readable answer (nothing was checked)

    def to_dict(self) -> dict[str, Any]:
        return {"helpfulness": self.helpfulness, "truthfulness": self.truthfulness,
                "hallucinations": self.hallucinations, "recall_by_kind": self.recall_by_kind,
                "claims": self.claims}


def _relation_key(s: str, p: str, o: str) -> tuple[str, str, str]:
    p = predicate_class(p)
    converse = CONVERSE_PREDICATES.get(p)
    if converse is None:
        return (s, p, o)
    return min((s, p, o), (o, converse, s))


def _in_full(scene: Scene, names: list[str], category_sets: Mapping[str, AbstractSet[str]] | None,
             synonyms: Mapping[str, str] | None = None) -> AbstractSet[str] | None:
    """The names (classes) a scene annotates in full, None for all: ``meta["exhaustive"]``, else
    the names of the scenes of its ``meta["category_set"]`` in `category_sets` (of the input's
    scenes: `category_classes`; the scene's own `names` when its set is not there)."""
    exhaustive = scene.meta.get("exhaustive")
    if exhaustive is not None:
        return frozenset(read_name(normalize_phrase(n), synonyms) for n in exhaustive)
    category_set = scene.meta.get("category_set")
    if category_set is None:
        return None
    found = (category_sets or {}).get(category_set)
    return found if found is not None else frozenset(names)


class SceneFacts:
    """A scene graph in normalised words, ready to check claims against; with `focus` (object
    indexes), only about those objects (the object a region description describes).
    `category_sets`: the names of each category set's scenes (`category_classes`), the names a
    scene of that set (``meta["category_set"]``) annotates in full. `synonyms`: names of the
    input's scenes read as one (`names.synset_classes`), read so on both sides too."""

    def __init__(self, scene: Scene, *, focus: Iterable[int] | None = None,
                 category_sets: Mapping[str, AbstractSet[str]] | None = None,
                 synonyms: Mapping[str, str] | None = None) -> None:
        # names read through their synonym class ("sofa" is "couch"), on both sides (`Canonicaliser`)
        self.names = [read_name(normalize_phrase(n), synonyms) for n in scene.names]
        self.boxes = scene.boxes.tolist()  # (N, 4) xyxy pixels: directions and "near" read from them
        self.longer_side = float(max(scene.width, scene.height))
        # "in front of" / "behind" read as the generators read them (None: the scene has no depth)
        self.depth = DepthOrder.of(scene)
        self.attributes = [frozenset(normalize_phrase(a) for a in attrs) for attrs in scene.attributes]
        self.focus = None if focus is None else frozenset(focus)
        bad = sorted(i for i in self.focus or () if not 0 <= i < len(self.names))
        if bad:
            raise ValueError(f"focus objects {bad} are not in scene {scene.image_id!r} ({len(self.names)} objects)")
        # the objects entity, attribute and count claims are about
        self.pool = range(len(self.names)) if self.focus is None else sorted(self.focus)
        # crowd regions are two instances or more, stuff regions (an area of them) one or more
        self.crowd = frozenset(scene.meta.get("crowd") or ())
        self.regions = self.crowd | frozenset(scene.meta.get("stuff") or ())
        # names annotated in full (classes); None: all of them
        self.exhaustive = _in_full(scene, self.names, category_sets, synonyms)
        sparse = scene.meta.get("sparse") or ()
        # a scene graph that annotates no attribute (or no relation) at all, as COCO's, says nothing
        # of them: "two wooden chairs" is open there, not false (directions and "near" are still
        # read from the boxes)
        self.sparse_attributes = "attributes" in sparse or not any(scene.attributes)
        self.sparse_relations = "relations" in sparse or not scene.relations
        self.relations: set[tuple[int, str, int]] = set()
        for s, p, o in scene.relations:
            # every sense of the annotated predicate: "parked on" is "on" too, "next to" is "near"
            for sense in {p, predicate_class(p), *predicate_senses(p)}:
                self.relations.add((s, sense, o))
                if sense in CONVERSE_PREDICATES:
                    self.relations.add((o, CONVERSE_PREDICATES[sense], s))
        self.tuples: dict[str, set[tuple[str, ...]]] = {
            "entity": {(self.names[i],) for i in self.pool},
            "attribute": {(self.names[i], a) for i in self.pool for a in self.attributes[i]},
            "relation": {_relation_key(self.names[s], p, self.names[o]) for s, p, o in scene.relations
                         if self.focus is None or (s in self.focus and o in self.focus)},
        }

    def verdict(self, c: Claim) -> bool | None:
        """True (supported), False (hallucinated) or None (undetermined). An attribute or a
        relation of an object the scene graph leaves open ("the sofa is gray" where no sofa is
        annotated and sofas are not annotated in full) is open too. A direction or "near" the
        scene graph does not annotate is read from the boxes: held where the boxes stand apart
        on that axis (the square at the top right is right of the star at the left, though
        not in its row), open where a viewer might read it, false where the boxes rule it out;
        "in front of" and "behind" from the depth, where the scene has it (`_read_in_depth`).
        A relation a reader may say of several nouns ("a man on a motorcycle next to a bus":
        `Claim.alternatives`) takes the reading most favourable to the reply: true if one
        holds, open if one is open, false only when each is false."""
        if c.alternatives:
            verdicts = [self.verdict(r) for r in c.readings()]
            return True if True in verdicts else None if None in verdicts else False
        mentions = [m for m in (c.subject, c.object) if m is not None]
        if c.kind == "relation" and any(self._absent(m) for m in mentions):
            return False  # "a teddy bear on a chair" where no teddy bear is (nor may be)
        if c.kind in ("attribute", "relation") and any(self._open_name(m) for m in mentions):
            return None
        if c.kind == "relation" and not self.supports(c):
            read = self._read_from_boxes(c)
            if read is NotImplemented:
                read = self._read_in_depth(c)
            if read is not NotImplemented:
                return read
        if c.kind == "absent":  # open where an object of the name may be unannotated
            return None if self._open_name(c.subject) and not self.supports(replace(c, kind="entity")) \
                else not self.supports(replace(c, kind="entity"))
        if c.kind in ("entity", "count") and self._narrower_only(c.subject.name):
            return None
        if c.kind == "attribute" and self._attribute_narrower(c):
            return None
        return None if self.undetermined(c) else self.supports(c)

    def _named(self, i: int, name: str) -> bool:
        """Whether object i may be called `name` (its name, a broader one, or a generic noun)."""
        return name in COUNTABLE_GENERIC or covers(name, self.names[i])

    def _narrower_only(self, name: str) -> bool:
        """Whether no object is called `name` but one is called by a broader name ("a man" where
        the annotation says "person"): which one it is, is not known."""
        return not any(self.names[i] == name for i in self.pool) and any(
            self.names[i] in broader_of(name) for i in self.pool)

    def _open_name(self, m: Mention) -> bool:
        """Whether the scene graph leaves open whether an object of the mention's name is there,
        or which one it is ("a man" where persons are annotated: what is said of him is open)."""
        if self._narrower_only(m.name):
            return True
        if m.name in COUNTABLE_GENERIC or any(self._named(i, m.name) for i in range(len(self.names))):
            return False
        return self.undetermined(Claim("entity", Mention(m.name)))

    def _absent(self, m: Mention) -> bool:
        """Whether no object of the mention's name is there, and the scene graph says so."""
        return (m.name not in COUNTABLE_GENERIC and not any(self._named(i, m.name) for i in range(len(self.names)))
                and not self._open_name(m))

    def _attribute_narrower(self, c: Claim) -> bool:
        """Whether the claimed attribute is narrower than one the object has ("tiny" of a small one)."""
        cands = self.candidates(c.subject)
        return bool(cands) and not self.supports(c) and any(
            (a, str(c.attribute)) in _NARROWER for i in cands for a in self.attributes[i])

    def _read_from_boxes(self, c: Claim) -> bool | None:
        """A direction or "near" not annotated, read from the boxes (NotImplemented: another predicate)."""
        predicate = predicate_class(str(c.predicate))
        if predicate not in READABLE:
            return NotImplemented
        pairs = self._pairs(c)
        if not pairs:
            return NotImplemented
        boxes, side = self.boxes, self.longer_side
        if predicate != "near" and any(could_read(boxes[s], boxes[o], predicate, side, slack=0.0) for s, o in pairs):
            return True
        if any(could_read(boxes[s], boxes[o], predicate, side) for s, o in pairs):
            return None
        return False

    def _read_in_depth(self, c: Claim) -> bool | None:
        """ "A in front of B" / "A behind B" not annotated, read from the depth as the generators
        read it (`veriscene.scene.depth_order`; NotImplemented: another predicate, or no depth):
        of a pair whose boxes show their order (they overlap; with a dense depth map, they share
        columns or are near), held where A is on the said side by `DEPTH_TIE` of the scene's
        depth range or more, false where it is so on the other side (or the other order is
        annotated); open where the order does not show or the depths are too close to tell.
        Some pair holding holds, some open is open."""
        predicate = predicate_class(str(c.predicate))
        nearer = DEPTH_ORDER.get(predicate)
        if nearer is None or self.depth is None:
            return NotImplemented
        pairs = self._pairs(c)
        if not pairs:
            return NotImplemented
        depth, boxes = self.depth, self.boxes
        reading = (self.longer_side, READING_SLACK, NEAR_FRACTION)  # `could_read`'s, as the generators'
        opposite = "behind" if nearer else "in front of"  # "s in front of o" rules out "s behind o"
        found: bool | None = False
        for s, o in pairs:
            if (s, opposite, o) in self.relations:
                continue  # (annotated the other way: false of this pair)
            front, back = (s, o) if nearer else (o, s)
            if not depth.shown(boxes[s], boxes[o], reading):
                found = None  # the order does not show
            elif depth.clearly_leads(front, back):
                return True
            elif not depth.clearly_leads(back, front):
                found = None  # too close to tell
        return found

    def candidates(self, m: Mention, *, anywhere: bool = False) -> list[int]:
        """Objects a mention may refer to: its name (any object for "object", "shape"), and among
        those the ones holding most of its attributes. Only the focus objects unless `anywhere`."""
        objects = range(len(self.names)) if anywhere else self.pool
        pool = [i for i in objects if self._named(i, m.name)]
        if not pool or not m.attributes:
            return pool
        matches = {i: len(set(m.attributes) & self.attributes[i]) for i in pool}
        best = max(matches.values())
        return [i for i in pool if matches[i] == best]

    def supports(self, c: Claim) -> bool:
        if c.kind == "entity":
            return any(self._named(i, c.subject.name) for i in self.pool)
        if c.kind == "attribute" and c.subject.every:  # "both circles are small": each of them
            named = [i for i in self.pool if self._named(i, c.subject.name)
                     and all(self._has(i, a) for a in c.subject.attributes)]
            return bool(named) and all(self._has(i, str(c.attribute)) for i in named)
        if c.kind == "attribute":  # of some object the mention may name ("red and yellow pillows": each)
            return any(self._has(i, str(c.attribute)) for i in self.candidates(c.subject))
        if c.kind == "count":
            matching = [i for i in self.pool
                        if self._named(i, c.subject.name) and all(self._has(i, a) for a in c.subject.attributes)]
            if not self.regions.isdisjoint(matching):  # only a lower bound is known (of no count, nothing holds)
                return c.count is not None and c.count >= len(matching) + sum(1 for i in matching if i in self.crowd)
            return len(matching) == c.count
        predicate = predicate_class(str(c.predicate))
        return any((s, predicate, o) in self.relations for s, o in self._pairs(c))

    def _has(self, i: int, attribute: str) -> bool:
        """Whether object i has the attribute, or a narrower one ("small" of a tiny object)."""
        return attribute in self.attributes[i] or any((attribute, a) in _NARROWER for a in self.attributes[i])

    def _pairs(self, c: Claim) -> list[tuple[int, int]]:
        """(subject, object) pairs a relation claim may be about: distinct objects, one of them
        a focus object when there is a focus."""
        assert c.object is not None
        subjects = self.candidates(c.subject, anywhere=True)
        objects = self.candidates(c.object, anywhere=True)
        return [(s, o) for s in subjects for o in objects
                if s != o and (self.focus is None or s in self.focus or o in self.focus)]

    def undetermined(self, c: Claim) -> bool:
        """Whether the scene graph leaves the claim open: an object or a number of objects of a
        name it does not annotate in full (``meta["exhaustive"]``), beyond what it annotates.
        Such claims are neither supported nor hallucinated. So are, where attributes or relations
        are sparse (``meta["sparse"]``), claims that an unannotated one may make true."""
        if (self.sparse_attributes or self.sparse_relations) and self._sparse_open(c):
            return True
        if self.exhaustive is None or self.focus is not None or c.kind not in ("entity", "count"):
            return False  # the objects in a region are known: all the region holds
        name = c.subject.name
        generic = name in COUNTABLE_GENERIC  # "three objects": any name, some not annotated in full
        # a name annotated in full, or narrower than one ("a man" where every person is annotated)
        if not generic and (name in self.exhaustive or not self.exhaustive.isdisjoint(broader_of(name))):
            return False
        if c.kind == "entity":  # (a broader name is there when a narrower one is: "person" of a man)
            return not generic and not any(covers(name, n) for n in self.names)
        annotated = sum(1 for i, n in enumerate(self.names)
                        if (generic or covers(name, n)) and set(c.subject.attributes) <= self.attributes[i])
        return c.count is not None and c.count >= annotated  # fewer than annotated is false

    def _sparse_open(self, c: Claim) -> bool:
        """Whether a claim not supported by the annotation may hold through an attribute or a
        relation the annotators left out (``meta["sparse"]``)."""
        if c.kind == "relation":
            if not self.sparse_relations or c.object is None or self.supports(c):
                return False
            pairs = self._pairs(c)
            opposite = CONVERSE_PREDICATES.get(str(c.predicate), c.predicate)
            return bool(pairs) and not (
                opposite != c.predicate and any((s, opposite, o) in self.relations for s, o in pairs))
        if not self.sparse_attributes:
            return False
        if c.kind == "attribute":
            cands = self.candidates(c.subject)
            if not cands or self.supports(c):
                return False
            said = (*c.subject.attributes, str(c.attribute))
            return any(self._may_have(i, str(c.attribute), said) for i in cands)
        if c.kind == "count" and c.subject.attributes and c.count is not None:
            # open between the objects annotated with the attributes and those that may have
            # them: "two blue pillows" of a red and a yellow pillow is false, of two without a colour open
            named = [i for i in self.pool if self._named(i, c.subject.name)]
            held = sum(1 for i in named if all(self._has(i, a) for a in c.subject.attributes))
            possible = sum(1 for i in named if all(self._may_have(i, a, c.subject.attributes)
                                                   for a in c.subject.attributes))
            return held < c.count <= possible
        return False

    def _may_have(self, i: int, attribute: str, said: Sequence[str]) -> bool:
        """Whether object i may have the attribute where attributes are sparse: it has it, or no
        annotated word of i rules it out (`vocab.exclusive`: a white bus is not red; a word of
        no known type, a size of another sub-kind or a narrower colour does not), or i is
        annotated with another word of its type said together with it ("red and white buses"
        of a bus annotated red: two-coloured things are often annotated with one colour)."""
        if self._has(i, attribute):
            return True
        kind = attribute_type(attribute)
        if any(a != attribute and attribute_type(a) == kind and self._has(i, a) for a in said):
            return True
        return not any(exclusive(attribute, a) for a in self.attributes[i])

    def tuple_of(self, c: Claim) -> tuple[str, tuple[str, ...]] | None:
        if c.alternatives:  # the tuple of the first reading that holds
            c = next((r for r in c.readings() if self.verdict(r)), c.readings()[0])
        if c.kind == "entity":
            return "entity", (c.subject.name,)
        if c.kind == "attribute":
            return "attribute", (c.subject.name, str(c.attribute))
        if c.kind == "relation" and c.object is not None:
            return "relation", _relation_key(c.subject.name, str(c.predicate), c.object.name)
        return None


class Canonicaliser:
    """Maps every word of a claim onto the lexicon with a matcher (memoised per word)."""

    def __init__(self, lexicon: Lexicon, matcher: LexicalMatcher, synonyms: Mapping[str, str] | None = None) -> None:
        self.matcher = matcher
        self._synonyms = synonyms  # names of the input's scenes read as one (`names.synset_classes`)
        self._slots = {"name": sorted(lexicon.names), "attribute": sorted(lexicon.attributes),
                       "predicate": sorted(lexicon.predicates)}
        self._known = {k: frozenset(v) for k, v in self._slots.items()}
        self._memo: dict[tuple[str, str], str] = {}

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


def score_claims(claims: Sequence[Claim], images: Sequence[SceneFacts], canon: Canonicaliser) -> ReplyScore:
    """Scores of a reply's claims against the scene graphs of its sample's images (in order)."""
    checked: list[dict[str, Any]] = []
    weights: list[float] = []  # of each checked claim: 1, or HEDGED_WEIGHT said with a hedge
    # (image, tuple) -> the weight of the claim that states it (a plain claim's over a hedged one's)
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
        weights.append(weight)
        for k in holding if ok else ():
            found = images[k].tuple_of(c)
            if found is not None and found[1] in images[k].tuples[found[0]]:
                stated = covered[found[0]]
                stated[(k, found[1])] = max(stated.get((k, found[1]), 0.0), weight)
    totals = {kind: sum(len(f.tuples[kind]) for f in images) for kind in covered}
    total, hit = sum(totals.values()), sum(sum(t.values()) for t in covered.values())
    decided = [(c, w) for c, w in zip(checked, weights) if c["supported"] is not None]
    # a hedged claim weighs HEDGED_WEIGHT: a hedged wrong claim costs less than a confident one
    decided_weight = sum(w for _, w in decided)
    supported = sum(w for c, w in decided if c["supported"])
    return ReplyScore(
        helpfulness=hit / total if total else 0.0,
        truthfulness=supported / decided_weight if decided else None,
        claims=checked,
        hallucinations=[c["text"] for c, _ in decided if not c["supported"]],
        recall_by_kind={k: (sum(covered[k].values()) / n if n else None) for k, n in totals.items()},
    )
