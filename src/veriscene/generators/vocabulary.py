"""The data set's vocabulary: object names, attribute values by type, predicates, and how often
two names occur in the same image.

Generators draw multiple-choice distractors and "absent" names for negative questions from it;
co-occurrence counts give *adversarial* absent names for hallucination probes (a fork is absent
from a kitchen scene that has a knife and a plate). It is collected in one streaming pass over the
scenes before generation (so every worker sees the same vocabulary and output does not depend on
scene order) and saved with the run. The draws themselves (`absent_sample`, `wrong_attributes`,
`Without`) are in `vocabulary_draws`, re-exported here.

Co-occurrence is kept, per name, for the names it meets most often, not for every pair: a large
annotation set has tens of millions of distinct name pairs (100,000 scenes of 30 objects whose
names follow a Zipf law over 50,000 names: 25.8 million), which the scan, the saved
`vocabulary.json` and every worker would otherwise hold (about 900 MiB). A name's row is exact
until it holds `2 * COOCCURRING_KEPT` names; it is then cut back to the `COOCCURRING_KEPT` with
the highest counts (ties by name), and grows again from there. The cut depends only on the scenes
read so far, in file order, so it is the same for every worker count. Names that co-occur often
stay; a count may then be lower than the true one (a name cut and met again starts over). The
engine's scan counts a large file in chunks and merges them in file order (`merge`), which cuts
the summed rows the same way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Iterable, Sequence, TypeVar

import numpy as np
from mypy_extensions import mypyc_attr

from veriscene.category_sets import listed_categories, record_set_names
from veriscene.scene.model import Scene
from veriscene.vocab import (
    UNTYPED,
    attribute_class,
    attribute_type,
    attribute_types_version,
    compatible_attributes,
)
# drawing from a vocabulary, in a module of its own (re-exported: callers import it from here)
from veriscene.generators.vocabulary_draws import (
    Without, _absent_weight, _name_weights, _weighted_draws, _weights, absent_names, absent_sample,
    wrong_attributes,
)

__all__ = [
    # defined here
    "COOCCURRING_KEPT", "Vocabulary", "_Rows", "_cut", "_trim",
    # moved to `vocabulary_draws`
    "Without", "_absent_weight", "_name_weights", "_weighted_draws", "_weights", "absent_names", "absent_sample",
    "wrong_attributes",
]

T = TypeVar("T")

# Names kept in a co-occurrence row when it is cut (it is cut on reaching twice as many).
COOCCURRING_KEPT = 32
# Up to this many entries in the rows of a scene's names, `cooccurring_absent` sums them in
# plain Python (the demo's scenes: a few dozen), beyond it in numpy (Visual Genome's: thousands).
_FEW_COOCCURRING = 256
# Sets of attribute words whose `unshown_values` a vocabulary keeps (the table is emptied when
# full): each entry is a few short lists of the types' words.
_UNSHOWN_KEPT = 4096


@dataclass
class Vocabulary:
    names: Counter[str] = field(default_factory=Counter)
    attributes: Counter[str] = field(default_factory=Counter)
    predicates: Counter[str] = field(default_factory=Counter)
    # name -> other name -> number of scenes holding both (symmetric; each scene counts once)
    cooccurrence: dict[str, Counter[str]] = field(default_factory=dict)
    # name -> number of scenes holding it, and the number of scenes counted (`absent_sample`)
    images: Counter[str] = field(default_factory=Counter)
    scenes: int = 0
    # closed category lists (`veriscene.category_sets`): set id -> the names known to be its
    # categories (its list where a scene carries it, and the names of its scenes)
    category_sets: dict[str, set[str]] = field(default_factory=dict)
    # the sorted views and other values derived from the counts (`view`), emptied when they change
    _views: dict[Hashable, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def add_scene(self, scene: Scene) -> None:
        """Count a scene (every one given: `from_scenes` counts each image once)."""
        self.add_names(scene.names, [a for attrs in scene.attributes for a in attrs], [p for _, p, _ in scene.relations])
        self._add_set_names(scene)

    def _add_set_names(self, scene: Scene) -> None:
        """Record the names of a scene of a closed category list (`add_set_scene`); one whose
        list is not its set's is refused, naming the scene."""
        if not self.add_set_scene(scene.meta, scene.names):
            try:
                listed_categories(scene.meta)
            except ValueError as exc:  # what is wrong with its list, and whose it is
                raise ValueError(f"scene {scene.image_id!r}: {exc}") from None

    def add_set_scene(self, meta: Any, names: Sequence[str]) -> bool:
        """Record the names of a scene of a closed category list (``meta["category_set"]``) as
        its set's, with the list itself where its meta carries one (`veriscene.category_sets`).
        False where that list is not its set's: left out (the scan counts it)."""
        if not isinstance(meta, dict) or not meta.get("category_set"):
            return True
        self._views = {}
        return record_set_names(self.category_sets, meta, names)

    def add_categories(self, set_id: str, names: Iterable[str]) -> None:
        """Record `names` as categories of the closed list `set_id` (a scene's
        ``meta["category_set"]``): its own names, or the list its meta carries."""
        self._views = {}
        self.category_sets.setdefault(set_id, set()).update(names)

    def closed_names(self, set_id: str) -> frozenset[str] | None:
        """The names a scene of category set `set_id` can tell the absence or count of (every
        instance of a category is annotated, nothing else is): the set's names known here
        (`category_sets`; none for a set not recorded). None where they hold every name of the
        vocabulary, so that the set closes nothing a generator may ask (a run of COCO alone)."""

        def compute() -> frozenset[str] | None:
            names = frozenset(self.category_sets.get(set_id, ()))
            return None if self.name_set() <= names else names

        return self.view(("closed names", set_id), compute)

    def add_names(self, names: Sequence[str], attributes: Iterable[str], predicates: Iterable[str]) -> None:
        """Count one scene from its object names, attribute occurrences and relation predicates
        (the engine's scan pass calls this on raw JSON, without building a Scene)."""
        self._views = {}  # the sorted views are made again on next use
        self.names.update(names)
        distinct = sorted(set(names))
        self.images.update(distinct)
        self.scenes += 1
        if len(distinct) > 2 * COOCCURRING_KEPT:  # every row is cut: see `_add_crowded`
            _add_crowded(self.cooccurrence, distinct)
        else:
            for a in distinct:
                row = self.cooccurrence.setdefault(a, Counter())
                row.update(distinct)  # counted in C; a row never holds its own name:
                del row[a]
                _trim(row)
        self.attributes.update(attributes)
        self.predicates.update(predicates)

    def remove_names(self, names: Sequence[str], attributes: Iterable[str], predicates: Iterable[str]) -> None:
        """Take out one scene `add_names` counted (the scan's later record of an image id read
        before, which generation leaves out: `engine.scan`). Word, image and scene counts are then
        as if it was never counted, and so are co-occurrence rows never cut; a row that was cut
        loses the pairs of the scene it holds, so a count stays at or below the true one, as the
        cut leaves it. A word no scene holds any more leaves the vocabulary, its row with it.
        (The names a closed category list was given, `category_sets`, are what is known of the
        set's categories, not counts: they stay.)"""
        self._views = {}
        distinct = sorted(set(names))
        _take(self.names, names)
        _take(self.images, distinct)
        self.scenes -= 1
        for a in distinct:
            row = self.cooccurrence.get(a)
            if row is None:
                continue
            if a not in self.images:
                del self.cooccurrence[a]
            else:
                _take(row, [b for b in distinct if b != a and b in row])
        _take(self.attributes, attributes)
        _take(self.predicates, predicates)

    def merge(self, other: "Vocabulary") -> None:
        """Add the counts of another part of the data set (the scan's next chunk of the file).

        Word counts add up exactly. Co-occurrence rows add up, and a row that then holds
        `2 * COOCCURRING_KEPT` names or more is cut as in `add_names`; merging a vocabulary into
        an empty one copies it. The result depends on how the data set was split and in what
        order the parts are merged, which the scan fixes by the file alone."""
        self._views = {}
        self.names.update(other.names)
        self.attributes.update(other.attributes)
        self.predicates.update(other.predicates)
        self.images.update(other.images)
        self.scenes += other.scenes
        for set_id, names in other.category_sets.items():
            self.category_sets.setdefault(set_id, set()).update(names)
        for name, theirs in other.cooccurrence.items():
            row = self.cooccurrence.get(name)
            if row is None:
                self.cooccurrence[name] = Counter(theirs)
                continue
            row.update(theirs)
            _trim(row)

    @classmethod
    def from_scenes(cls, scenes: Iterable[Scene]) -> "Vocabulary":
        """The vocabulary of these scenes, each image counted once, from its first scene: a later
        scene of an image id given before (a scene repeated, a second annotation file) is the
        record generation rejects as a duplicate, and is not counted, as the engine's scan takes
        it out (`engine.scan`); the names of its closed category list are kept, as there (what is
        known of the list, not counts). The same vocabulary as a run's of the same scenes."""
        vocab = cls()
        seen: set[str] = set()
        for scene in scenes:
            if scene.image_id in seen:
                vocab._add_set_names(scene)
                continue
            seen.add(scene.image_id)
            vocab.add_scene(scene)
        return vocab

    # Sorted views: every draw from the vocabulary is over a deterministic order. Each is made
    # once and shared (a vocabulary of a large annotation set has tens of thousands of words, and
    # generators ask for these views on every scene): callers must not modify the lists. They are
    # made again after `add_names`; change the counters only through it.
    def view(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A value derived from the vocabulary (`key` names it and its arguments), computed once."""
        views = self._views
        try:
            return views[key]
        except KeyError:
            value = views[key] = compute()
            return value

    def name_list(self) -> list[str]:
        return self.view("names", lambda: sorted(self.names))

    def name_set(self) -> frozenset[str]:
        return self.view("name set", lambda: frozenset(self.names))

    def attributes_of_type(self, kind: str) -> list[str]:
        """Sorted attribute words of a type."""
        return self.view(("attributes of type", kind, attribute_types_version()),
                         lambda: sorted(a for a in self.attributes if attribute_type(a) == kind))

    def attribute_choices(self, kind: str) -> list[str]:
        """Sorted attribute words of a type, one per synonym class (`vocab.attribute_class`; the
        class's most frequent word in the data set, ties by the word): what wrong options are
        drawn from, so that no two options are synonyms. `attributes_of_type` where no two
        words of the type are synonyms."""

        def compute() -> list[str]:
            words = self.attributes_of_type(kind)
            best: dict[str, str] = {}
            for word in words:
                cls = attribute_class(word)
                held = best.get(cls)
                if held is None or (-self.attributes[word], word) < (-self.attributes[held], held):
                    best[cls] = word
            return words if len(best) == len(words) else sorted(best.values())

        return self.view(("attribute choices", kind, attribute_types_version()), compute)

    def unshown_values(self, shown: Iterable[str]) -> dict[str, list[str]]:
        """Per attribute type of `shown` (an object's or a name's attributes; untyped ones left
        out), in type order, the vocabulary's values of that type that cannot hold with any of
        `shown` (`vocab.compatible_attributes`: not "large" or "tall" beside "big"): what a
        hard negative ("a green square" beside red ones) can swap in. Kept per set of words
        (generators ask it of every name of every scene; do not modify the result)."""
        key = frozenset(shown)
        table: dict[frozenset[str], dict[str, list[str]]]
        table = self.view(("unshown values", attribute_types_version()), dict)
        found = table.get(key)
        if found is None:
            if len(table) >= _UNSHOWN_KEPT:  # bounded: start again
                table.clear()
            found = table[key] = self._unshown_values(key)
        return found

    def _unshown_values(self, shown: frozenset[str]) -> dict[str, list[str]]:
        kinds = sorted({attribute_type(a) for a in shown} - {UNTYPED})
        if not kinds:
            return {}
        ruled_out = set().union(*map(compatible_attributes, shown))
        return {kind: [a for a in self.attributes_of_type(kind) if a not in ruled_out] for kind in kinds}

    def attribute_types(self) -> list[str]:
        return self.view(("attribute types", attribute_types_version()),
                         lambda: sorted({attribute_type(a) for a in self.attributes}))

    def predicate_list(self) -> list[str]:
        return self.view("predicates", lambda: sorted(self.predicates))

    def predicate_set(self) -> frozenset[str]:
        return self.view("predicate set", lambda: frozenset(self.predicates))

    def cooccurring_present(self, present: Sequence[str], limit: int) -> list[str]:
        """The `limit` names of `present` that co-occur most with the others (sum of
        co-occurrence counts), then by overall frequency, then alphabetically: a hallucination
        probe's "yes" names, chosen as its "no" names are (`cooccurring_absent`), so that the
        names it asks about do not give the answer away."""
        if len(present) <= limit:
            return sorted(present)
        rows = self.cooccurrence
        # each name's counts in the other present names' rows (dozens of names on a dense
        # scene): one row's counts of all present names at once, summed per name
        zeros = [0] * len(present)
        counted = []
        for other in present:
            row = rows.get(other)
            if row is not None:
                counts = list(map(row.get, present, zeros))
                if other in row:  # (a row keeps no count of its own name)
                    counts = [0 if name == other else k for name, k in zip(present, counts)]
                counted.append(counts)
        totals = dict(zip(present, map(sum, zip(*counted)))) if counted else dict.fromkeys(present, 0)
        return sorted(present, key=lambda n: (-totals[n], -self.names[n], n))[:limit]

    def cooccurring_absent(self, present: Iterable[str], limit: int | None = None) -> list[str]:
        """Names absent from `present`, most co-occurring with the present names first (sum of
        co-occurrence counts), then by overall frequency, then alphabetically; the first `limit`
        of them when a limit is given."""
        present = set(present)
        by_count = self._names_by_count()
        if limit is None:
            score: Counter[str] = Counter()
            for name in present:
                score.update(self.cooccurrence.get(name, Counter()))
            candidates = (n for n, k in score.items() if k > 0 and n not in present and n in self.names)
            return (sorted(candidates, key=lambda n: (-score[n], -self.names[n], n))
                    + [n for n in by_count if n not in present and score[n] <= 0])
        # The first `limit` only (a hallucination probe per scene): the present names' rows
        # summed over positions in `by_count`, whose order breaks ties in score; in plain Python
        # for rows of a few names in all (numpy's calls cost more), else in numpy.
        rows, position = self._cooccurrence_rows()
        present_rows = [n for n in sorted(present) if n in self.cooccurrence]
        if not present_rows or limit <= 0:
            scored: set[int] = set()
            found: list[str] = []
        elif sum(len(self.cooccurrence[n]) for n in present_rows) <= _FEW_COOCCURRING:
            summed: dict[int, float] = {}  # position -> score
            for n in present_rows:
                for other, count in self.cooccurrence[n].items():
                    r = position.get(other)
                    if r is not None:
                        summed[r] = summed.get(r, 0) + count
            scored = {r for r, total in summed.items() if total > 0}
            ranked = sorted((-summed[r], r) for r in scored if by_count[r] not in present)
            found = [by_count[r] for _, r in ranked[:limit]]
            if len(found) == limit:
                return found
        else:
            parts = [rows[n] for n in present_rows]
            at, counts = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
            positions, inverse = np.unique(at, return_inverse=True)
            totals = np.bincount(inverse.reshape(-1), weights=counts)
            positive = totals > 0
            keep = positive.copy()
            mine = np.array([position[n] for n in present if n in position], dtype=np.int64)
            if len(positions) and len(mine):
                slots = np.minimum(np.searchsorted(positions, mine), len(positions) - 1)
                keep[slots[positions[slots] == mine]] = False  # present names are not absent
            chosen, scores = positions[keep], totals[keep]
            found = [by_count[r] for r in chosen[np.lexsort((chosen, -scores))[:limit]].tolist()]
            if len(found) == limit:
                return found
            scored = set(positions[positive].tolist())
        for r, n in enumerate(by_count):
            if len(found) >= limit:
                break
            if r not in scored and n not in present:
                found.append(n)
        return found

    def _names_by_count(self) -> list[str]:
        """Every name, most frequent first, then alphabetically."""
        return self.view("names by count", lambda: sorted(self.names, key=lambda n: (-self.names[n], n)))

    def _cooccurrence_rows(self) -> tuple["_Rows", dict[str, int]]:
        """Each name's co-occurrence row as (positions in `_names_by_count`, counts) arrays, made
        on first use (names missing from `names` left out, as `cooccurring_absent` leaves them);
        and each name's position there."""

        def compute() -> tuple[_Rows, dict[str, int]]:
            position = {n: r for r, n in enumerate(self._names_by_count())}
            return _Rows(self.cooccurrence, position), position

        return self.view("cooccurrence rows", compute)

    def attribute_list(self) -> list[str]:
        """Every attribute word, sorted."""
        return self.view("attributes", lambda: sorted(self.attributes))

    def to_dict(self) -> dict[str, Any]:
        return {
            "names": dict(sorted(self.names.items())),
            "attributes": dict(sorted(self.attributes.items())),
            "predicates": dict(sorted(self.predicates.items())),
            "cooccurrence": {a: dict(sorted(row.items())) for a, row in sorted(self.cooccurrence.items())},
            "images": dict(sorted(self.images.items())),
            "scenes": self.scenes,
            # only where a scene is of a closed category list (a run without any writes what it did)
            **({"category_sets": {k: sorted(v) for k, v in sorted(self.category_sets.items())}}
               if self.category_sets else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Vocabulary":
        return cls(
            Counter(d.get("names", {})), Counter(d.get("attributes", {})), Counter(d.get("predicates", {})),
            {a: Counter(row) for a, row in d.get("cooccurrence", {}).items()},
            Counter(d.get("images", {})), int(d.get("scenes", 0)),
            {k: set(v) for k, v in d.get("category_sets", {}).items()},
        )


def _take(counts: Counter[str], words: Iterable[str]) -> None:
    """One less of each of `words` (a word as often as given), a word at 0 taken out."""
    for word in words:
        left = counts.get(word, 0) - 1
        if left > 0:
            counts[word] = left
        else:
            counts.pop(word, None)


def _trim(row: Counter[str]) -> None:
    """Cut a co-occurrence row back to `COOCCURRING_KEPT` names once it holds twice as many."""
    if len(row) >= 2 * COOCCURRING_KEPT:
        _cut(row, COOCCURRING_KEPT)


def _add_crowded(cooccurrence: dict[str, Counter[str]], distinct: list[str]) -> None:
    """The rows `add_names` makes for a scene of more than `2 * COOCCURRING_KEPT` distinct names
    (sorted), without counting every name into every row first (D x D work: 11 s at 10,000
    names). Each row then holds `2 * COOCCURRING_KEPT` names or more and is cut back to the
    `COOCCURRING_KEPT` with the highest counts, ties by name (`_trim`); the scene's names it did
    not hold come in at 1, the lowest count, so only the first `COOCCURRING_KEPT` of them by name
    can stay, and only those are counted in. The row's names keep the order `row.update` gives
    them (its own first, then the new ones by name), as `_cut` keeps it."""
    in_scene = set(distinct)
    for a in distinct:
        row = cooccurrence.setdefault(a, Counter())
        counted = {name: count + (name in in_scene) for name, count in row.items()}  # never holds a
        fresh = 0
        for name in distinct:
            if fresh == COOCCURRING_KEPT:
                break
            if name != a and name not in counted:
                counted[name] = 1
                fresh += 1
        row.clear()
        row.update(counted)
        _cut(row, COOCCURRING_KEPT)


def _cut(row: Counter[str], keep: int) -> None:
    """Keep the `keep` names of a co-occurrence row with the highest counts, ties by name.

    Found through the `keep`-th highest count: the names above it stay, and the names at it are
    sorted only among themselves (half the time of sorting the whole row by (count, name); the
    scan of a large annotation set spends most of its time here)."""
    if len(row) <= keep:
        return
    threshold = sorted(row.values(), reverse=True)[keep - 1]
    kept = {name: count for name, count in row.items() if count > threshold}
    for name in sorted(name for name, count in row.items() if count == threshold)[: keep - len(kept)]:
        kept[name] = threshold
    row.clear()
    row.update(kept)


# a class of Python's own where compiled: a dict subclass found by `__missing__`
@mypyc_attr(native_class=False)
class _Rows(dict[str, Any]):
    """Name -> its co-occurrence row as arrays (see `Vocabulary._cooccurrence_rows`), each made
    when first asked for: a large vocabulary has tens of thousands of rows, a run reads some."""

    def __init__(self, cooccurrence: dict[str, Counter[str]], position: dict[str, int]) -> None:
        super().__init__()
        self._cooccurrence, self._position = cooccurrence, position

    def __missing__(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        position = self._position
        kept = [(position[n], k) for n, k in self._cooccurrence[name].items() if n in position]
        row = self[name] = (np.array([r for r, _ in kept], dtype=np.int64), np.array([k for _, k in kept], dtype=np.float64))
        return row
