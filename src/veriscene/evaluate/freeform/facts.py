"""`SceneFacts`: a scene graph in normalised words, and the verdict of a claim against it: true
(supported), false (hallucinated) or None (left open), as `score` sets out: what the annotation
says, directions and "near" read from the boxes, "in front of" / "behind" from the depth, names
annotated in full or not (``meta["exhaustive"]``, category sets), sparse attributes and relations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace

from veriscene.answers.normalize import normalize_phrase
from veriscene.evaluate.freeform.claim_model import Claim, Mention
from veriscene.evaluate.freeform.names import broader_of, covers, read_name
from veriscene.evaluate.freeform.words import COUNTABLE_GENERIC
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
