"""The multi-image partner pool: a bounded, indexed sample of the data set's scenes.

Multi-image generators draw partner images for an anchor scene from here. The pool holds at most
`pool_size` scenes (a bottom-k hash sample, see `scan.py`), with inverted indexes from object name,
attribute and predicate to pool positions, so drawing a group costs the same whether the data set
has a thousand or a million images. Scenes are parsed from their stored JSONL line on first use and
kept in a bounded cache.

Attributes are looked up by meaning, as programs read them (`vocab.implied_attributes`,
`SceneIndex.having_attribute`): `with_attribute("big")` holds the scenes annotated "big", "large",
"huge" or "giant" (`vocab.annotations_implying`, also importable from here); `annotated_with`
holds those annotated with the word itself, for generators whose answers list annotated words
(`attribute_values`).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Collection, Iterable, Mapping, Sequence

import numpy as np
import orjson

from veriscene.engine.scan import PoolEntry
from veriscene.engine.scan_result import scene_group
from veriscene.errors import SceneValidationError
from veriscene.generators.draws import Draws
from veriscene.generators.vocabulary import Vocabulary
from veriscene.program.context import SceneIndex
from veriscene.scene.jsonl import scene_from_dict
from veriscene.scene.model import Scene
# `annotations_implying` is vocabulary knowledge; imported from here by earlier callers
from veriscene.vocab import annotations_implying

# Parsed scenes kept per worker. The default pool (4,096 scenes) fits whole: about 45 MiB of demo
# scenes, the same at any data-set size; larger pools fall back to least-recently-used eviction.
_CACHE_SIZE = 4096
_UNREAD: Any = object()
# the postings of a word no pooled scene has: one array, shared (postings are read only)
_NO_POSITIONS = np.empty(0, dtype=np.int32)
_NO_POSITIONS.flags.writeable = False


def _postings(entries: Sequence[PoolEntry], key: Callable[[PoolEntry], Iterable[str]]) -> dict[str, np.ndarray]:
    table: dict[str, list[int]] = {}
    for i, entry in enumerate(entries):
        for word in key(entry):
            table.setdefault(word, []).append(i)
    return {word: np.asarray(ids, dtype=np.int32) for word, ids in table.items()}


def _first_of_each_image(scenes: Iterable[Scene]) -> list[Scene]:
    """The scenes but the later ones of an image id given before."""
    seen: set[str] = set()
    found: list[Scene] = []
    for scene in scenes:
        if scene.image_id not in seen:
            seen.add(scene.image_id)
            found.append(scene)
    return found


class ScenePool:
    def __init__(self, entries: Sequence[PoolEntry], categories: Mapping[str, Collection[str]] | None = None) -> None:
        """`categories`: the names of the run's closed category lists (set id -> names, its
        `Vocabulary.category_sets`), for the lookup tables of pooled scenes of one (COCO:
        `program.context.SceneIndex.in_full`)."""
        self.entries = list(entries)
        self.categories = categories
        self.by_name = _postings(self.entries, lambda e: e.names)
        self.by_attribute = _postings(self.entries, lambda e: e.attributes)
        self.by_predicate = _postings(self.entries, lambda e: e.predicates)
        self._having: dict[str, np.ndarray] = {}  # attribute -> `with_attribute` (merged postings)
        self._cache: OrderedDict[int, Scene | None] = OrderedDict()
        self._indexes: dict[str, SceneIndex] = {}  # image id -> lookup tables of a cached scene
        self._groups = {e.image_id: e.group for e in self.entries if e.group is not None}
        # whether any pooled scene is a slice or frame (`PoolEntry.group`): where none is, a
        # draw has no group to exclude, and callers need not find the anchor's
        self.grouped = bool(self._groups)
        # whether every pooled scene annotates every name in full (no `PoolEntry.complete`): then
        # every count is known, and callers need no test for it (`multi_image.common.counted_in`)
        self.all_complete = all(e.complete is None for e in self.entries)
        self._evicts = len(self.entries) > _CACHE_SIZE  # the cache cannot hold every pooled scene
        # the entries' word tuples ("names", "attributes", "predicates") that no pooled entry has
        # empty: a test that one is not empty passes everywhere, and callers may leave it out
        self.filled = frozenset(field for field in ("names", "attributes", "predicates")
                                if all(getattr(e, field) for e in self.entries))
        self._ids = [e.image_id for e in self.entries]  # by position (read on every entry tested)

    @classmethod
    def from_scenes(cls, scenes: Iterable[Scene], vocab: Vocabulary | None = None) -> "ScenePool":
        """A pool holding these scenes (for tests and in-memory use), each image once, from its
        first scene: a later scene of an image id given before is the record generation rejects
        as a duplicate, never a partner, as in the engine's pool (`engine.scan`). `vocab`: the
        run's, which knows the names of closed category lists (``meta["category_set"]``: a COCO
        scene annotates its set's names in full and no other, `Vocabulary.closed_names`)."""
        from veriscene.scene.jsonl import dumps_scene

        def complete(s: Scene) -> frozenset[str] | None:
            if s.meta.get("exhaustive") is not None:
                return frozenset(s.meta["exhaustive"])
            set_id = s.meta.get("category_set")
            return None if set_id is None or vocab is None else vocab.closed_names(set_id)

        return cls([
            PoolEntry(dumps_scene(s), s.image_id, tuple(sorted(set(s.names))),
                      tuple(sorted({a for attrs in s.attributes for a in attrs})),
                      tuple(sorted({p for _, p, _ in s.relations})), complete(s), group=scene_group(s.meta))
            for s in _first_of_each_image(scenes)
        ], None if vocab is None else vocab.category_sets)

    def __len__(self) -> int:
        return len(self.entries)

    def group_of(self, image_id: str) -> str | None:
        """The volume or clip of a pooled scene (`PoolEntry.group`), None for one of its own."""
        return self._groups.get(image_id)

    def scene(self, i: int) -> Scene | None:
        """The pooled scene at position i, or None if its record is invalid."""
        found = self._cache.get(i, _UNREAD)
        if found is not _UNREAD:
            if self._evicts:  # least recently used goes first
                self._cache.move_to_end(i)
            return found
        try:
            scene: Scene | None = scene_from_dict(orjson.loads(self.entries[i].line))
        except (SceneValidationError, orjson.JSONDecodeError):
            scene = None
        self._cache[i] = scene
        if scene is not None:
            self._indexes[scene.image_id] = SceneIndex(scene, self.categories)
        if len(self._cache) > _CACHE_SIZE:
            _, evicted = self._cache.popitem(last=False)
            if evicted is not None:
                self._indexes.pop(evicted.image_id, None)
        return scene

    def index(self, scene: Scene) -> SceneIndex:
        """Lookup tables of a scene: shared while a pooled scene stays cached (programs and
        generators then build them once), new for any other scene."""
        found = self._indexes.get(scene.image_id)
        return found if found is not None and found.scene is scene else SceneIndex(scene, self.categories)

    def draw(
        self,
        rng: np.random.Generator,
        k: int,
        *,
        accept: Callable[[PoolEntry], object] | None = None,  # read for its truth
        among: np.ndarray | None = None,
        exclude_ids: Iterable[str] = (),
        exclude_groups: Iterable[str] = (),
        max_tries: int = 64,
    ) -> list[Scene]:
        """Up to k distinct valid pooled scenes drawn uniformly (from `among` positions if given)
        that satisfy `accept`, skipping `exclude_ids`, at most one of each volume or clip
        (`PoolEntry.group`) and none of `exclude_groups` (the anchor's).

        From at most `max_tries` positions (a rare name's postings), every one is tested once and
        the scenes are drawn from those that pass: a sample is found whenever one exists, at no
        more tests than rejection would make. From more, rejection sampling: O(k) expected draws
        when accepted scenes are not rare; it gives up after `max_tries` draws and returns what it
        has."""
        entries = self.entries
        population = len(entries) if among is None else len(among)
        if population == 0 or k <= 0:
            return []
        excluded = set(exclude_ids)
        groups = set(exclude_groups)  # grows with the groups drawn
        chosen: list[Scene] = []
        # cached scenes are read from the cache here (`scene` reads the others, and keeps the
        # cache's order where it evicts)
        cache, evicts = self._cache, self._evicts
        # a draw in [0, n): the runner's rng is a `Draws`, whose `below(n)` is `int(integers(n))`
        # (the same draw) without `integers`' arguments to sort out (a few dozen a scene)
        draw: Callable[[int], int] = rng.below if isinstance(rng, Draws) else (lambda n: int(rng.integers(n)))
        if population <= max_tries:
            positions = range(population) if among is None else among.tolist()
            ids = self._ids
            if self.grouped:
                passing = [i for i in positions if ids[i] not in excluded and entries[i].group not in groups
                           and (accept is None or accept(entries[i]))]
            elif accept is None:  # (no groups: every entry's is None)
                passing = [i for i in positions if ids[i] not in excluded]
            else:
                passing = [i for i in positions if ids[i] not in excluded and accept(entries[i])]
            while passing and len(chosen) < k:
                j = draw(len(passing))
                i = passing[j]
                passing[j] = passing[-1]  # drawn without replacement: the last takes its place
                passing.pop()
                scene = cache.get(i, _UNREAD)
                if scene is _UNREAD or evicts:
                    scene = self.scene(i)
                group = entries[i].group
                if scene is not None and scene.image_id not in excluded and (group is None or group not in groups):
                    excluded.add(scene.image_id)
                    if group is not None:
                        groups.add(group)
                    chosen.append(scene)
            return chosen
        for _ in range(max_tries):
            j = draw(population)
            i = j if among is None else among.item(j)
            entry = entries[i]
            if entry.image_id in excluded or (accept is not None and not accept(entry)) or (
                    entry.group is not None and entry.group in groups):
                continue
            scene = cache.get(i, _UNREAD)
            if scene is _UNREAD or evicts:
                scene = self.scene(i)
            if scene is None:
                continue
            excluded.add(entry.image_id)
            if entry.group is not None:
                groups.add(entry.group)
            chosen.append(scene)
            if len(chosen) == k:
                break
        return chosen

    def with_name(self, name: str) -> np.ndarray:
        return self.by_name.get(name, _NO_POSITIONS)

    def with_attribute(self, attribute: str) -> np.ndarray:
        """Sorted positions of the scenes with an object that has `attribute` by meaning: annotated
        with it or a word implying it (`annotations_implying`: "big" finds a "large" dog)."""
        found = self._having.get(attribute)
        if found is None:
            lists = [p for p in map(self.by_attribute.get, annotations_implying(attribute)) if p is not None]
            if len(lists) == 1:  # one word in use (the common case): its postings as they are
                found = lists[0]
            else:
                found = np.unique(np.concatenate(lists)) if lists else _NO_POSITIONS
            self._having[attribute] = found
        return found

    def annotated_with(self, word: str) -> np.ndarray:
        """Sorted positions of the scenes with an object annotated with exactly `word`."""
        return self.by_attribute.get(word, _NO_POSITIONS)

    def with_predicate(self, predicate: str) -> np.ndarray:
        return self.by_predicate.get(predicate, _NO_POSITIONS)
