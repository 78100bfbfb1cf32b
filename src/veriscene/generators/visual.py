"""Visual honesty: could a person looking at the image read "a <predicate> b" into it?

Annotations are conservative: the demo world, for instance, emits "left of" only for objects in
roughly the same row, so a missing directional relation never means "no". Questions whose answer
relies on a relation being the *only* one ("Which object is left of the square?", "the circle
left of the square", "What is the relation between ...?") therefore also check a generous,
geometry-based reading: no other object (predicate) may plausibly fit.

Generous readings (boxes xyxy pixels, y down):
- left of:  a lies mostly left of b: a.x1 <= b.x0 + `slack` * min(w_a, w_b), any vertical offset;
  or a is shifted left of b: it reaches further left (a.x0 < b.x0), b further right (a.x1 <
  b.x1), and a's centre lies left of b's by `slack` * min(w_a, w_b) or more (a plant overlapping
  40% of a mug's width, its centre 35 px left of the mug's: `may_read`). right of / above /
  below likewise. A "no" needs neither; a "yes" of an annotated direction needs the first, a
  clear one (`direction_shown`): between them either answer may be disputed.
- near: the boxes' gap is at most `near_frac` of the longer image side.
- a synonym of one of these (`vocab.PREDICATE_SYNONYM_CLASSES`: "next to", "beside", "by",
  "close to" of near; "over" of above; "to the left of" of left of) is read where that is
  (`read_as`): "next to" is neither a wrong option nor a "no" for a horse overlapping the fence.
- in front of / behind, where objects have a depth (`DEPTH_ORDER`): the annotation, and any pair
  whose order the image shows, unless depth puts the subject clearly on the wrong side (farther,
  for "in front of", by `DEPTH_TIE` of the scene's depth range or more). The order shows where the
  boxes overlap (one hides the other) and, where the depth was measured over a photo (a dense
  depth map: perspective shows it too), where they share columns (one stands on the other's line
  of sight, higher in the image when farther on the ground) or are near: the dog overlapping a
  car and nearer is "in front of" it, the rider above a fence and nearer too, a lamp beside the
  sofa and farther "behind" it. (The demo's flat shapes show depth by occlusion only, and its
  annotation says every overlap: nothing is added there.)
- any other predicate ("holding", ...): the annotation itself (the demo world rejects scenes
  where those could be read either way; photos' annotations are all we have), and "on top of"
  may also be read into an annotated "in front of".
- a place ("on", "in", "behind", ...) is also read into an annotated posture or state at that
  place (Visual Genome's "standing on", "parked on", "hanging on": `implied_place`): the man
  standing on the sidewalk is on it, so "What is on the sidewalk?" has no one answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from veriscene.program.context import SceneIndex

# the depth order (`DEPTH_ORDER`, `DEPTH_TIE`: module notes), which free-form scoring reads too
from veriscene.scene.depth_order import DEPTH_ORDER as DEPTH_ORDER
from veriscene.scene.depth_order import DEPTH_TIE as DEPTH_TIE
from veriscene.scene.depth_order import DepthOrder as _DepthOrder
from veriscene.scene.geometry import DIRECTIONS as _DIRECTIONS
from veriscene.scene.geometry import NEAR_FRACTION, READABLE, READING_SLACK
# (defined beside `could_read`, where programs read them too: `SceneIndex.could_hold`)
from veriscene.scene.geometry import SHIFTED as SHIFTED
from veriscene.scene.geometry import may_read as may_read
from veriscene.vocab import CONVERSE_PREDICATES, implied_place, predicate_class

# Scenes of up to this many objects answer "only one" questions with `could_hold` in plain
# Python, larger ones from `_holders` in numpy (the same answers; numpy's calls cost more than a
# few objects' checks).
_FEW_OBJECTS = 12
# Holders (`GenerousReader._holders`) listed and kept per (predicate, anchor) up to this many;
# past it, a question needs only their number, or a mask made again when asked.
_LISTED = 64
# Rows of gaps (`GenerousReader._gaps`) kept at most: a row per anchor of a scene of thousands of
# objects, all kept, made an (N, N) table.
_GAP_ROWS = 256
# The predicates `could_hold` may read into a pair without an annotation of that predicate.
GENEROUS_PREDICATES = (*_DIRECTIONS, "near", "on top of", "in front of", "behind")
_READ_BEYOND = frozenset((*GENEROUS_PREDICATES, *DEPTH_ORDER))
# predicate -> the one of `_READ_BEYOND` it is read as, "" for none (`read_as`; a vocabulary's
# predicates at most)
_READ_AS: dict[str, str] = {}


def read_as(predicate: str) -> str:
    """The predicate of `_READ_BEYOND` that `predicate` is read as: itself, or the one naming its
    synonym class (`vocab.predicate_class`: 'next to', 'beside', 'by', 'close to' -> near; 'over'
    -> above; 'to the left of' -> left of; 'in back of' as itself, a depth order); "" for any
    other ('on', 'holding': read as annotated). What "near" means may be read wherever "near" may."""
    found = _READ_AS.get(predicate)
    if found is None:
        klass = predicate if predicate in _READ_BEYOND else predicate_class(predicate)
        found = _READ_AS[predicate] = klass if klass in _READ_BEYOND else ""
    return found


@lru_cache(maxsize=8)
def _read_in(vocabulary: frozenset[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(reading, the vocabulary's predicates read as it: `read_as`) for each reading any has, in
    `_READ_BEYOND`'s order of `GENEROUS_PREDICATES` first (made once per vocabulary)."""
    by: dict[str, list[str]] = {}
    for p in sorted(vocabulary):
        reading = read_as(p)
        if reading:
            by.setdefault(reading, []).append(p)
    order = [*GENEROUS_PREDICATES, *sorted(set(DEPTH_ORDER) - set(GENEROUS_PREDICATES))]
    return tuple((r, tuple(by[r])) for r in order if r in by)


@lru_cache(maxsize=256)
def _others_read_in(vocabulary: frozenset[str], klass: str) -> tuple[tuple[str, ...], ...]:
    """The vocabulary's predicates read as each reading (`_read_in`), those of a class other than
    `klass` (`vocab.predicate_class`), for the readings that have any (made once per vocabulary
    and class: `GenerousReader.other_reading`)."""
    out = []
    for _, read in _read_in(vocabulary):
        others = tuple(p for p in read if predicate_class(p) != klass)
        if others:
            out.append(others)
    return tuple(out)


@dataclass(frozen=True)
class Readings:
    slack: float = READING_SLACK  # directional: overlap along the axis allowed, share of the narrower side
    near_frac: float = NEAR_FRACTION  # "near": gap <= this * longer image side


_DEFAULT_READINGS = Readings()
_DEFAULT_KEY = "generous reader"  # `GenerousReader.of`'s memo key for `_DEFAULT_READINGS`


class GenerousReader:
    """Generous readings of predicates between the objects of one scene."""

    def __init__(self, index: SceneIndex, readings: Readings = Readings()) -> None:
        # the index's tables, not the index: the reader is kept in the index's memo, and a
        # reference back would make each scene's tables cyclic garbage (left to the collector)
        self.relations = index.relation_set
        self._between = index.predicates_between
        self.scene = index.scene
        self._objects = range(index.n)  # all objects (the scene's length, asked for each question)
        # (N, 4) boxes as nested lists (plain Python is faster on a few objects), and as an array.
        # Made here, not as cached_property: compiled with mypyc (`veriscene.compiled`), a
        # cached_property is a property computing its value on every read.
        self._boxes: list[list[float]] = index.box_list
        self._box_array: np.ndarray = np.asarray(self.scene.boxes, dtype=np.float64).reshape(-1, 4)
        self.readings = readings
        # `could_read`'s arguments besides the boxes, the same for every pair
        self._reading = (max(self.scene.width, self.scene.height), readings.slack, readings.near_frac)
        # (target, predicate, anchor, among, side) -> whether target is the only reading:
        # several generators ask the same of one scene
        self._only: dict[tuple[Any, ...], bool] = {}
        self._holding: dict[tuple[str, int, str], list[int] | None] = {}  # see `_holders`
        self._gap_rows: dict[int, np.ndarray] = {}  # see `_gaps`
        if len(self._objects) > _FEW_OBJECTS:  # read by `_holders` (small scenes do without)
            self._incoming, self._outgoing = index.incoming, index.outgoing
        # (a, place, b) for each annotated (a, "<participle> <place>", b): read as the place too
        placed = frozenset((a, place, b) for a, p, b in index.relation_set
                           if (place := implied_place(p)) is not None)
        # the relations a viewer reads as annotated: the annotated ones and those (the same set
        # where no predicate says a posture at a place, as in the demo)
        self._read = self.relations | placed if placed else self.relations
        self._depth = _DepthOrder.of(index.scene)  # None: no depth
        # (place, anchor, side) -> the other objects of `placed`, for `_holders`
        self._placed_by: dict[tuple[str, int, str], list[int]] = {}
        for a, place, b in sorted(placed):
            self._placed_by.setdefault((place, b, "subject"), []).append(a)
            self._placed_by.setdefault((place, a, "object"), []).append(b)

    @classmethod
    def of(cls, index: SceneIndex, readings: Readings = _DEFAULT_READINGS) -> "GenerousReader":
        """The reader of a scene index, shared by the generators that ask (made once per index)."""
        # (the default readings under a key of their own: a key holding them hashes the frozen
        # dataclass by a call of its own __hash__, asked 24 times a demo scene)
        key = _DEFAULT_KEY if readings is _DEFAULT_READINGS else ("generous reader", readings)
        return index.memo(key, lambda: cls(index, readings))

    def _gaps(self, anchor: int) -> np.ndarray:
        """(N,) gaps in pixels between the anchor's box and each box (0 when they touch or
        overlap), kept per anchor: a whole (N, N) table is hundreds of megabytes of temporaries
        on a scene of thousands of objects, of which a scene asks a few rows."""
        found = self._gap_rows.get(anchor)
        if found is None:
            if len(self._gap_rows) >= _GAP_ROWS:  # rows of a few anchors, not (N, N) of a dense scene
                self._gap_rows.clear()
            b = self._box_array
            a = b[anchor]
            gx = np.maximum(b[:, 0] - a[2], a[0] - b[:, 2])
            gy = np.maximum(b[:, 1] - a[3], a[1] - b[:, 3])
            found = self._gap_rows[anchor] = np.hypot(np.maximum(gx, 0.0), np.maximum(gy, 0.0))
        return found

    def could_hold(self, a: int, predicate: str, b: int) -> bool:
        """Whether a viewer might say "a <predicate> b" (always True when annotated)."""
        if a == b:
            return False
        if (a, predicate, b) in self._read:
            return True
        reading = _READ_AS.get(predicate)
        if reading is None:
            reading = read_as(predicate)  # ("next to" is read as "near")
        if reading in READABLE:  # the directions and "near", read from the boxes
            boxes = self._boxes
            return may_read(boxes[a], boxes[b], reading, *self._reading)
        if reading == "on top of":
            return (a, "in front of", b) in self.relations
        nearer = DEPTH_ORDER.get(reading)
        if nearer is not None and self._depth is not None:
            front, back = (a, b) if nearer else (b, a)
            return self._depth.shown(self._boxes[a], self._boxes[b], self._reading) and self._depth.may_lead(front, back)
        return False

    def other_reading(self, a: int, b: int, predicate: str, vocabulary: frozenset[str]) -> bool:
        """Whether some predicate of `vocabulary` other than `predicate` and its synonyms (of its
        class, `vocab.predicate_class`: "near" beside "next to" is one answer) could be read from
        a to b: the same as asking `could_hold` of each, but only the pair's annotated predicates
        and those read as a generous one (`read_as`) can answer yes, so the cost does not grow
        with the vocabulary."""
        if a == b:
            return False
        klass = predicate_class(predicate)
        annotated = self._between.get((a, b), ())
        if any(p in vocabulary and predicate_class(p) != klass for p in annotated):
            return True  # (annotated: read)
        relations = self._read
        for first, *rest in _others_read_in(vocabulary, klass):
            # `could_hold` of the first predicate of a reading reads the image for all of them
            # ("next to", "beside" as "near"); the others differ only by their annotation
            if self.could_hold(a, first, b) or any((a, p, b) in relations for p in rest):
                return True
        return False

    def only_subject(self, target: int, predicate: str, anchor: int, among: tuple[int, ...] | None = None) -> bool:
        """Whether `target` is the only object (of `among`, default all) that could be read as
        "<x> <predicate> anchor"."""
        return self._only_one(target, predicate, anchor, among, "subject")

    def only_object(self, target: int, predicate: str, anchor: int, among: tuple[int, ...] | None = None) -> bool:
        """Whether `target` is the only object that could be read as "anchor <predicate> <x>"."""
        return self._only_one(target, predicate, anchor, among, "object")

    def _only_one(self, target: int, predicate: str, anchor: int, among: tuple[int, ...] | None, side: str) -> bool:
        key = (target, predicate, anchor, among if among is None else tuple(among), side)
        found = self._only.get(key)
        if found is not None:
            return found
        if len(self._objects) <= _FEW_OBJECTS:  # plain Python, up to a second reading
            found = True
            could_hold = self.could_hold
            for x in self._objects if among is None else among:
                if x != anchor and x != target and (
                        could_hold(x, predicate, anchor) if side == "subject" else could_hold(anchor, predicate, x)):
                    found = False
                    break
        else:
            holders = self._holders(predicate, anchor, side)  # sorted, distinct; None: many
            if among is None:
                found = holders is not None and (not holders or holders == [target])
            elif holders is not None:
                pool = set(among)
                found = not any(x != target and x in pool for x in holders)
            else:
                held = self._holder_mask(predicate, anchor, side)[np.asarray(among, dtype=np.intp)].tolist()
                found = not any(x != target and h for x, h in zip(among, held))
        self._only[key] = found
        return found

    def _holders(self, predicate: str, anchor: int, side: str) -> list[int] | None:
        """The objects x, in order, for which `could_hold(x, predicate, anchor)` (side "subject")
        or `could_hold(anchor, predicate, x)` (side "object") is true, for all x at once in numpy;
        None when more than `_LISTED` are (in a dense scene "left of" holds of half of it:
        `_only_one` then needs no list, or asks `_holder_mask`). Kept, as several targets are
        asked about with the same predicate and anchor."""
        key = (predicate, anchor, side)
        try:
            return self._holding[key]
        except KeyError:
            pass
        subject = side == "subject"
        table = self._incoming if subject else self._outgoing  # (anchor, predicate) -> the other side
        annotated = table.get((anchor, predicate), ())  # sorted
        if not read_as(predicate) and key not in self._placed_by and anchor not in annotated:
            found = self._holding[key] = list(annotated)  # read as annotated only (most predicates)
            return found
        read, extra = self._readings(predicate, anchor, subject)
        if read is not None and int(np.count_nonzero(read)) - int(read[anchor]) > _LISTED:
            self._holding[key] = None  # (more read from the boxes alone)
            return None
        held = set(annotated)
        if read is not None:
            held.update(np.flatnonzero(read).tolist())
        held.update(extra)
        held.discard(anchor)
        listed = self._holding[key] = sorted(held) if len(held) <= _LISTED else None
        return listed

    def _holder_mask(self, predicate: str, anchor: int, side: str) -> np.ndarray:
        """(N,) bool: the objects `_holders` finds, as a mask (made again each time: asked only
        where more than `_LISTED` hold, whose lists would fill a dense scene's memory)."""
        subject = side == "subject"
        table = self._incoming if subject else self._outgoing
        read, extra = self._readings(predicate, anchor, subject)
        held = np.zeros(len(self._objects), dtype=bool) if read is None else read.copy()
        held[list(table.get((anchor, predicate), ()))] = True
        held[list(extra)] = True
        held[anchor] = False
        return held

    def _readings(self, predicate: str, anchor: int, subject: bool) -> tuple[np.ndarray | None, list[int]]:
        """What a generous viewer reads besides the annotation, with the anchor on the object
        side (`subject`: "x <predicate> anchor") or the subject side: (N,) bool of the objects
        the boxes put there ("left of", "near"; None for other predicates), and the others: an
        annotated "in front of" read as "on top of", a posture or state at the place
        (`implied_place`). May hold the anchor itself."""
        read = None
        extra: list[int] = []
        reading = read_as(predicate)  # ("next to" is read as "near")
        direction = _DIRECTIONS.get(reading)
        if direction is not None:
            lo, hi, flip = direction
            boxes = self._box_array
            extent = boxes[:, hi] - boxes[:, lo]
            side_len = np.minimum(extent, extent[anchor])  # min(x's, the anchor's)
            # "first[hi] <= second[lo] + slack * side", or first shifted before second (`may_read`),
            # first the subject (second if flipped)
            x_lo, x_hi, a_lo, a_hi = boxes[:, lo], boxes[:, hi], boxes[anchor, lo], boxes[anchor, hi]
            margin, shift = self.readings.slack * side_len, 2 * SHIFTED * side_len
            if subject != flip:  # x first
                read = x_hi <= a_lo + margin
                read |= (x_lo < a_lo) & (x_hi < a_hi) & ((a_lo + a_hi) - (x_lo + x_hi) >= shift)
            else:
                read = a_hi <= x_lo + margin
                read |= (a_lo < x_lo) & (a_hi < x_hi) & ((x_lo + x_hi) - (a_lo + a_hi) >= shift)
        elif reading == "near":
            longer = max(self.scene.width, self.scene.height)
            read = self._gaps(anchor) <= self.readings.near_frac * longer
        elif reading == "on top of":
            table = self._incoming if subject else self._outgoing
            extra += table.get((anchor, "in front of"), ())
        elif reading in DEPTH_ORDER and self._depth is not None:
            # x is the subject ("x in front of anchor") with `subject`: nearer if the predicate says so
            x_front = DEPTH_ORDER[reading] == subject
            read = self._depth.shown_all(self._box_array, anchor, self._gaps(anchor), self._reading)
            read &= self._depth.may_lead_all(anchor, x_front)
        extra += self._placed_by.get((predicate, anchor, "subject" if subject else "object"), ())
        return read, extra


# The directions across each direction: a pair may stand in one of these too (diagonally).
_ACROSS = {"left of": ("above", "below"), "right of": ("above", "below"),
           "above": ("left of", "right of"), "below": ("left of", "right of")}


def readable(index: SceneIndex, a: int, predicate: str, b: int) -> bool:
    """Whether a viewer might say "a <predicate> b" of the boxes, for a predicate read as a
    direction (`read_as`: "left of", "to the left of", "over"; `may_read`); False for any other
    predicate."""
    direction = read_as(predicate)
    if direction not in _DIRECTIONS:
        return False
    boxes = index.box_list
    return may_read(boxes[a], boxes[b], direction, max(index.scene.width, index.scene.height))


# direction_shown(index, a, predicate, b): whether a "yes" to "a <predicate> b" stands as the boxes
# show it: for a predicate read as a direction (`read_as`: 'left of', 'to the left of', 'over'), a
# lies mostly that way of b (`could_read`: overlap along the axis at most `READING_SLACK` of the
# narrower side), not merely shifted that way, nor the other way (an annotation said from the
# object's own side: "the man's left"); True for any other predicate, which the boxes do not
# decide. `SceneIndex.shows` itself, which referring expressions read (no call of a wrapper: asked
# of each relation of a scene, 90 times a demo scene).
direction_shown = SceneIndex.shows


def readable_predicates(index: SceneIndex, s: int, o: int) -> tuple[str, ...]:
    """The predicates a viewer might read from s to o (`GenerousReader.could_hold`): never a wrong
    option of "how is s related to o?" ("near" beside the answer "behind" when the boxes almost
    touch; "on top of" beside "in front of"). Only the pair's annotated predicates and the
    generous ones can be read, so only those are asked."""
    reader = GenerousReader.of(index)
    asked = dict.fromkeys((*index.predicates_between.get((s, o), ()), *GENEROUS_PREDICATES))  # (once each, in order)
    return tuple(p for p in asked if reader.could_hold(s, p, o))


def sole_direction(index: SceneIndex, a: int, predicate: str, b: int) -> bool:
    """Whether `predicate` is the only direction a viewer would answer "where is a?" with: always
    for a predicate that is not a direction; for a direction, unless one across it holds as
    clearly (a pair annotated "below" that also lies mostly to the left: "left of" is as right
    as "below"; `could_read` of the two directions across, in one step)."""
    reading = _READ_AS.get(predicate)
    across = _ACROSS.get(reading if reading is not None else read_as(predicate))  # ('to the left of' as 'left of')
    if across is None:
        return True
    lo, hi, _ = _DIRECTIONS[across[0]]
    boxes = index.box_list
    box_a, box_b = boxes[a], boxes[b]
    side, other = box_a[hi] - box_a[lo], box_b[hi] - box_b[lo]
    slack = READING_SLACK * (other if other < side else side)  # min(side, other), no call of the builtin
    # neither "a before b" nor "b before a" along the other axis (`could_read`: a second answer
    # as clear as the annotated one; one merely shifted across, `may_read`, is no wrong option
    # either: `readable_predicates`)
    return box_a[hi] > box_b[lo] + slack and box_b[hi] > box_a[lo] + slack


def geometric(predicate: str) -> bool:
    """Predicates with a geometric meaning (and a converse)."""
    return predicate in CONVERSE_PREDICATES
