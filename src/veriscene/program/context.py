"""Per-scene lookup tables that ops share, built lazily once per scene.

An ExecutionContext wraps the scene(s) a program runs on. Generators make one context per scene
and run many programs through it, so indexes (name -> objects, attribute -> objects, relation
lookups, areas, centres) are computed once. The scenes themselves are never modified.
"""

from __future__ import annotations

from typing import Any, Callable, Collection, Generic, Hashable, Mapping, Sequence, TypeVar, cast, overload

import numpy as np
from mypy_extensions import mypyc_attr

from veriscene.category_sets import names_in_full
from veriscene.scene.box_grid import nearby_blocks
from veriscene.scene.geometry import (
    DIRECTIONS, READABLE, READING_SLACK, box_area, box_center, box_intersection_area, may_read, pair_intersection_area,
)
from veriscene.scene.masks import mask_area
from veriscene.scene.model import Scene
from veriscene.vocab import BROADER_WORDS, predicate_class

T = TypeVar("T")
_NONE: frozenset[int] = frozenset()
# Objects up to which `SceneIndex.overlap_pairs` measures the whole (N, N) table at once (a few
# numpy calls; a scene of thousands is measured a block of nearby boxes at a time).
_WHOLE_TABLE = 256


# predicate -> its `geometric_reading` (kept: asked for every pair a relation op reads)
_GEOMETRIC: dict[str, str] = {}
_GEOMETRIC_KEPT = 1 << 16  # (predicates of programs read in: unbounded)


def geometric_reading(predicate: str) -> str:
    """The `READABLE` predicate ("left of", ..., "near") that `predicate` is read as from boxes:
    itself, or its synonym class (`vocab.predicate_class`: 'to the left of' -> left of, 'over'
    -> above, 'next to', 'beside', 'by' -> near); "" for one the boxes do not decide ('on',
    'holding', 'behind'). Programs and generators read a predicate alike
    (`generators.visual.read_as` of these)."""
    found = _GEOMETRIC.get(predicate)
    if found is None:
        if len(_GEOMETRIC) >= _GEOMETRIC_KEPT:
            _GEOMETRIC.clear()
        klass = predicate if predicate in READABLE else predicate_class(predicate)
        found = _GEOMETRIC[predicate] = klass if klass in READABLE else ""
    return found


@mypyc_attr(native_class=False)  # (a descriptor: Python reads its __get__)
class computed_once(Generic[T]):
    """`functools.cached_property` for the tables of `SceneIndex`: computed on first read and kept
    in the instance's `__dict__`, where later reads find it (a plain attribute read). mypyc, which
    compiles this module in the compiled build (`veriscene.compiled`), builds a
    `cached_property` as a plain property that computes its value on every read; this class is
    not one it knows, so it stays what it is. No lock (cached_property has one in Python 3.11):
    a table computed twice at once by two threads is the same table."""

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self.compute = compute
        self.name = ""
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name  # (compiled, a method has no __name__ to read in __init__)

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> computed_once[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)
        return value


def true_rows(table: np.ndarray) -> list[list[int]]:
    """Per row of an (N, N) bool table, the columns that hold True, in order: one np.nonzero for
    the whole table (a call per row costs more than the rows of a small scene)."""
    rows: list[list[int]] = [[] for _ in range(len(table))]
    for a, b in zip(*(side.tolist() for side in np.nonzero(table))):
        rows[a].append(b)
    return rows


def rows_of_pairs(n: int, i: np.ndarray, j: np.ndarray) -> list[list[int]]:
    """Per row 0 .. n-1, the j of the pairs (i, j) with that i, in the pairs' order: `true_rows`
    of the (n, n) table holding the pairs, without the table."""
    rows: list[list[int]] = [[] for _ in range(n)]
    for a, b in zip(i.tolist(), j.tolist()):
        rows[a].append(b)
    return rows


@mypyc_attr(native_class=False)  # (its tables are kept in its __dict__: `computed_once`)
class SceneIndex:
    """Lookup tables of one scene. `categories`: the names of closed category lists (set id ->
    names; `veriscene.category_sets`), for a scene of one (``meta["category_set"]``, COCO): its
    set's names are the names it annotates in full (`in_full`)."""

    def __init__(self, scene: Scene, categories: Mapping[str, Collection[str]] | None = None) -> None:
        self.scene = scene
        self.n = len(scene)
        self._memo: dict[Hashable, Any] = {}
        # values of the ops that select by the scene alone, made once (an `Objs` costs about as
        # much as the rest of its op): `scene` by image position, `filter_name` of all objects
        # by (image position, name, complete); see `veriscene.program.ops`
        self.selections: dict[Hashable, Any] = {}
        meta = scene.meta
        crowd, stuff = meta.get("crowd"), meta.get("stuff")
        # objects that stand for a group of instances (``scene.meta["crowd"]``, see `Scene`)
        self.crowd: frozenset[int] = frozenset(crowd) if crowd else _NONE
        # amorphous regions: sky, grass, a merged region of trees (``scene.meta["stuff"]``)
        self.stuff: frozenset[int] = frozenset(stuff) if stuff else _NONE
        # both kinds: objects that are regions, not single objects; programs never count them,
        # single them out or take one for one object (see `veriscene.program.ops`)
        self.regions: frozenset[int] = self.crowd | self.stuff if stuff else self.crowd
        exhaustive = meta.get("exhaustive")
        # names of which every instance is annotated (``scene.meta["exhaustive"]``); None: all
        self.exhaustive: frozenset[str] | None = None if exhaustive is None else frozenset(exhaustive)
        # names of which the programs take every instance to be annotated (`complete`); None: all.
        # `exhaustive`, and on a scene of a closed category list (``meta["category_set"]``: COCO
        # annotates its 80 categories, no window) its set's names (`category_sets.names_in_full`:
        # from `categories`, else the list the scene carries, else the scene's own names), within
        # `exhaustive` where both are given. Generators read `exhaustive` (and the run's
        # vocabulary) themselves: for them the two differ on set scenes alone.
        self.in_full = self.exhaustive
        set_id = meta.get("category_set")
        if set_id is not None:
            closed = names_in_full(set_id, meta, scene.names, categories)
            self.in_full = closed if self.exhaustive is None else closed & self.exhaustive
        sparse = meta.get("sparse") or ()
        # attributes / relations recorded only in part (``scene.meta["sparse"]``): one not
        # annotated may hold, so sets filtered by them may miss objects (see `veriscene.program.ops`)
        self.sparse_attributes: bool = "attributes" in sparse
        self.sparse_relations: bool = "relations" in sparse
        self.sparse: bool = self.sparse_attributes or self.sparse_relations

    def complete(self, name: str) -> bool:
        """Whether every instance of `name` in the image is annotated (`in_full`: its
        `exhaustive`, or its closed category list)."""
        return self.in_full is None or name in self.in_full

    def nameable(self, name: str) -> bool:
        """Whether an object of `name` may be singled out by its name ("the person"): not beside
        a crowd or stuff region of the name, nor where others of it may be unannotated."""
        return not (self.regions and name in self.region_names) and self.complete(name)

    def could_hold(self, a: int, predicate: str, b: int) -> bool:
        """Whether "a <predicate> b" may hold where relations are sparse: annotated, or for a
        predicate with a geometric reading (`geometric_reading`: "left of", "to the left of",
        "near", "next to", ...), one a viewer might read into the boxes (`geometry.may_read`: a
        box merely shifted left of another may be read left of it, as the generators read it:
        `generators.visual.GenerousReader`); any other predicate may always hold, unannotated."""
        if a == b:
            return False
        reading = _GEOMETRIC.get(predicate)
        if reading is None:
            reading = geometric_reading(predicate)
        if not reading or (a, predicate, b) in self.relation_set:
            return True
        boxes = self.box_list
        return may_read(boxes[a], boxes[b], reading, max(self.scene.width, self.scene.height))

    def shows(self, a: int, predicate: str, b: int) -> bool:
        """Whether the boxes show "a <predicate> b" as a viewer would say it, for a predicate read
        as a direction (`geometric_reading`: "left of", "to the left of", "over"): a lies mostly
        that way of b (`could_read`: overlap along the axis at most `READING_SLACK` of the
        narrower side), not merely shifted that way, nor the other way (an annotation said from
        the object's own side: "the man's left"). True for any other predicate, which the boxes
        do not decide. An object named or asked by a direction ("the circle to the left of the
        square", "Is the circle left of the square? yes") needs it."""
        reading = _GEOMETRIC.get(predicate)
        if reading is None:
            reading = geometric_reading(predicate)
        direction = DIRECTIONS.get(reading)
        if direction is None:
            return True
        # `could_read` of a direction, written out (asked of each pair a relation names, 90 times
        # a demo scene): the first box's far edge at most the slack past the second's near edge
        lo, hi, flip = direction
        boxes = self.box_list
        first, second = (boxes[b], boxes[a]) if flip else (boxes[a], boxes[b])
        side, other = first[hi] - first[lo], second[hi] - second[lo]
        return first[hi] <= second[lo] + READING_SLACK * (other if other < side else side)  # min(side, other)

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A pure result derived from this scene (referring expressions, clear regions, ...),
        computed once per index: `key` must name the computation and every argument it depends
        on besides the scene. The scene itself is never written to."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = compute()
            return value

    @computed_once
    def region_names(self) -> frozenset[str]:
        """Names of which the scene has a crowd or stuff region: how many there are is unknown,
        and no object of the name can be singled out by its name ("the person")."""
        names = self.scene.names
        return frozenset(names[i] for i in self.regions)

    @computed_once
    def all(self) -> tuple[int, ...]:
        return tuple(range(self.n))

    @computed_once
    def by_name(self) -> dict[str, tuple[int, ...]]:
        table: dict[str, list[int]] = {}
        for i, name in enumerate(self.scene.names):
            table.setdefault(name, []).append(i)
        return {k: tuple(v) for k, v in table.items()}

    @computed_once
    def by_attribute(self) -> dict[str, tuple[int, ...]]:
        """Attribute word -> sorted objects annotated with exactly that word: the words the scene
        uses (to list them). Which objects an attribute holds of is `having_attribute`."""
        table: dict[str, list[int]] = {}
        for i, attrs in enumerate(self.scene.attributes):
            for a in attrs:
                table.setdefault(a, []).append(i)
        return {k: tuple(v) for k, v in table.items()}

    @computed_once
    def having_attribute(self) -> dict[str, tuple[int, ...]]:
        """Attribute word -> sorted objects it holds of: those annotated with it or with a word
        that implies it (`vocab.implied_attributes`: a "large" or a "huge" dog is big), so
        "How many big dogs?" counts the dog annotated "large" and "the big dog" is not unique
        beside it. `filter_attribute` reads it, and so must every set, count or uniqueness test by
        attribute that a program is to agree with; its keys include words no object is annotated
        with ("big" where only "large" is)."""
        table = self.by_attribute
        extra: dict[str, list[int]] = {}  # implied word -> objects whose annotation implies it
        for word, objects in table.items():
            said = BROADER_WORDS.get(word)
            if said is not None:
                for w in said:
                    extra.setdefault(w, []).extend(objects)
        if not extra:  # no word of the scene implies another (most scenes of most data sets)
            return table
        merged = dict(table)
        for w, implying in extra.items():
            own = table.get(w)
            # an object may be annotated with two words implying w ("big" and "large")
            merged[w] = tuple(sorted(set(implying).union(own) if own else set(implying)))
        return merged

    @computed_once
    def relation_set(self) -> frozenset[tuple[int, str, int]]:
        return frozenset(self.scene.relations)

    @computed_once
    def predicates_between(self) -> dict[tuple[int, int], tuple[str, ...]]:
        """(subject, object) -> sorted predicates from subject to object."""
        table: dict[tuple[int, int], set[str]] = {}
        for s, p, o in self.scene.relations:
            table.setdefault((s, o), set()).add(p)
        return {k: tuple(sorted(v)) for k, v in table.items()}

    @computed_once
    def outgoing(self) -> dict[tuple[int, str], tuple[int, ...]]:
        """(subject, predicate) -> sorted objects."""
        table: dict[tuple[int, str], set[int]] = {}
        for s, p, o in self.scene.relations:
            table.setdefault((s, p), set()).add(o)
        return {k: tuple(sorted(v)) for k, v in table.items()}

    @computed_once
    def incoming(self) -> dict[tuple[int, str], tuple[int, ...]]:
        """(object, predicate) -> sorted subjects."""
        table: dict[tuple[int, str], set[int]] = {}
        for s, p, o in self.scene.relations:
            table.setdefault((o, p), set()).add(s)
        return {k: tuple(sorted(v)) for k, v in table.items()}

    @computed_once
    def centers(self) -> np.ndarray:
        """(N, 2) box centres in pixels."""
        return box_center(self.scene.boxes)

    @computed_once
    def box_list(self) -> list[list[float]]:
        """(N, 4) xyxy boxes as nested lists of floats (plain Python is faster on a few objects)."""
        return self.scene.boxes.tolist()

    @computed_once
    def center_list(self) -> list[list[float]]:
        """`centers` as nested lists [[x, y], ...] (plain Python is faster on a few objects)."""
        return self.centers.tolist()

    @computed_once
    def area_list(self) -> list[float]:
        """`areas` as a list."""
        return self.areas.tolist()

    @computed_once
    def overlap_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(i, j) int64 arrays of the ordered pairs of different objects whose boxes meet
        (intersection area > 0, by `box_intersection_area`), sorted by i, then j: both (i, j)
        and (j, i). Past `_WHOLE_TABLE` objects, measured a block of nearby boxes at a time
        against the boxes near them (`scene.box_grid.nearby_blocks`), not as an (N, N) table."""
        boxes = self.scene.boxes
        if self.n <= _WHOLE_TABLE:
            i, j = np.nonzero(box_intersection_area(boxes, boxes) > 0)  # (row by row: sorted)
            other = i != j
            return i[other], j[other]
        found_i, found_j = [], []
        for block, near in nearby_blocks(boxes, boxes):
            a, b = np.nonzero(box_intersection_area(boxes[block], boxes[near]) > 0)
            found_i.append(block[a])
            found_j.append(near[b])
        i = np.concatenate(found_i) if found_i else np.empty(0, dtype=np.int64)
        j = np.concatenate(found_j) if found_j else np.empty(0, dtype=np.int64)
        other = i != j
        order = np.lexsort((j[other], i[other]))
        return i[other][order], j[other][order]

    @computed_once
    def overlaps(self) -> np.ndarray:
        """(N, N) bool: whether the boxes of objects i and j meet (intersection area > 0; the
        diagonal holds each box with itself), from `overlap_pairs`. One byte per pair: the
        generators read `overlapping` or `overlap_pairs`, which grow with the pairs that meet."""
        table = np.zeros((self.n, self.n), dtype=bool)
        table[self.overlap_pairs] = True
        boxes = self.scene.boxes
        table[np.diag_indices(self.n)] = pair_intersection_area(boxes, boxes) > 0
        return table

    @computed_once
    def overlapping(self) -> list[list[int]]:
        """Per object i, the other objects whose boxes meet its box, in index order."""
        return rows_of_pairs(self.n, *self.overlap_pairs)

    @computed_once
    def areas(self) -> np.ndarray:
        """(N,) object areas in square pixels: mask area when masks exist, else box area."""
        if self.scene.masks is not None:
            return np.array([mask_area(m) for m in self.scene.masks], dtype=np.float64)
        return box_area(self.scene.boxes)


class ExecutionContext:
    """The scenes a program runs on (index 0 for single-image programs)."""

    def __init__(self, scenes: Scene | Sequence[Scene] | None, indexes: Sequence[SceneIndex | None] | None = None,
                 categories: Mapping[str, Collection[str]] | None = None) -> None:
        """`indexes`: lookup tables already built for these scenes (one per scene, None where
        there is none yet), so contexts over the same scenes share them. `categories`: the names
        of closed category lists (set id -> names, `SceneIndex`), for the indexes made here:
        without them a scene of a list (COCO) is taken to annotate in full the list it carries
        (``meta["categories"]``), else its own names only (`category_sets.names_in_full`).
        `scenes` None: the scenes of `indexes`, every one given (`of_indexes`)."""
        if scenes is None:  # (`of_indexes`: nothing to check)
            if not indexes or None in indexes:
                raise ValueError("a context of its indexes alone needs one index for each scene")
            self.indexes: list[SceneIndex] = cast("list[SceneIndex]", list(indexes))
            self.scenes: tuple[Scene, ...] = tuple([x.scene for x in self.indexes])
            self._read_flags()
            return
        self.scenes = (scenes,) if isinstance(scenes, Scene) else tuple(scenes)
        if not self.scenes:
            raise ValueError("a program needs at least one scene")
        if indexes is None:
            indexes = [None] * len(self.scenes)
        elif len(indexes) != len(self.scenes):
            raise ValueError("indexes must be one per scene, each built on that scene")
        for x, s in zip(indexes, self.scenes):
            if x is not None and x.scene is not s:
                raise ValueError("indexes must be one per scene, each built on that scene")
        # each scene's lookup tables, made now where not given (their tables are built lazily,
        # so an index costs little until used); the hot ops read this list (`index` is the same)
        self.indexes = [SceneIndex(s, categories) if x is None else x for x, s in zip(indexes, self.scenes)]
        self._read_flags()

    def _read_flags(self) -> None:
        # whether any scene has crowd or stuff regions (`SceneIndex.regions`: its meta's "crowd" or
        # "stuff"), and whether any annotates only some names exhaustively (`SceneIndex.exhaustive`:
        # its meta's "exhaustive"): ops check them only then
        self.has_regions = self.partial = False
        for x in self.indexes:
            if x.regions:
                self.has_regions = True
            if x.exhaustive is not None:
                self.partial = True

    @classmethod
    def of_indexes(cls, indexes: Sequence[SceneIndex]) -> ExecutionContext:
        """`ExecutionContext(scenes, indexes)` over the scenes of `indexes` (at least one), made
        without re-checking what the indexes hold already: a multi-image generator makes one
        per candidate it runs."""
        return cls(None, indexes)

    @property
    def closed(self) -> bool:
        """Whether any scene is of a closed category list (``meta["category_set"]``: its
        `SceneIndex.in_full` is not its `exhaustive`). Worked out when asked: only
        `describe_images` asks, and contexts are made per candidate."""
        return any(x.in_full is not x.exhaustive for x in self.indexes)

    def index(self, image: int) -> SceneIndex:
        return self.indexes[image]

    def scene(self, image: int) -> Scene:
        return self.scenes[image]
