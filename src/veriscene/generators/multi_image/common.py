"""What multi-image generators share: drawing groups from the pool, program fragments, option text.

Conventions:
- A group is 2-4 scenes in question order; "Image k" in a question is `scenes[k - 1]` and an
  `image_index` answer is 0-based (`veriscene.sample`). The anchor (`ctx.scene`) is always in the
  group; groups are shuffled so the anchor, and so the answer of "which image" questions, sits at
  a uniformly random position.
- Partners come from `ctx.pool` only through its postings (`with_name`, ...) and `draw` with an
  `accept` test on the pooled entry (names / attributes / predicates present), so drawing a group
  costs a bounded number of pool accesses whatever the data set's size. A partner whose
  uniqueness needs object counts (not in the entry) is parsed and checked; such checks get a small
  fixed budget of extra draws (`SPARE`) and the candidate is dropped if the budget runs out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np
from mypy_extensions import mypyc_attr

from veriscene.engine.scan import PoolEntry
from veriscene.engine.scan_result import scene_group
from veriscene.generators.base import Candidate, GeneratorConfig, GroupContext, MultiImageGenerator, capabilities
from veriscene.generators.common import shuffled as shuffled_list, uncountable_names
from veriscene.generators.draws import Draws
from veriscene.generators.vocabulary_draws import naming_same
from veriscene.program.builder import ProgramBuilder
from veriscene.program.context import SceneIndex
from veriscene.scene.model import Scene
from veriscene.text import join_words, number_word
from veriscene.vocab import annotations_implying, synonyms_of

if TYPE_CHECKING:
    from veriscene.engine.pool import ScenePool

# an entry test, read for its truth (`entry_tests` return the entry's word tuples as they are)
Accept = Callable[[PoolEntry], object]
T = TypeVar("T")
SPARE = 4  # extra partners drawn when drawn partners must still pass a check on the parsed scene

# Requirements an entry tells exactly (it meets one if and only if its scene does: `scene_ok`
# leaves them to these tests): the entry's word tuple that must not be empty
_HAVE: dict[str, str] = {"relations": "predicates", "attributes": "attributes", "objects": "names"}


def holding(*, names: Sequence[str] = (), attributes: Sequence[str] = (), words: Sequence[str] = (),
            synonyms: Sequence[str] = ()) -> Accept:
    """Entry test: the scene has objects of all these names, all these `attributes` by meaning
    (annotated with the word or one implying it: "big" holds where a "large" or "huge" thing is,
    as `filter_attribute` reads it; `vocab.annotations_implying`), all these `words` as annotated
    (for answers that list annotated words, `attribute_values`) and all these `synonyms` up to
    synonyms (the word or one of its class: "big" holds where a "large" thing is, not where only
    a "huge" one is; `vocab.synonyms_of`, as `differing_attribute_type` compares values), each
    anywhere."""
    if attributes or synonyms:
        # per attribute and synonym, the words any of which holds it
        alternatives = [*map(annotations_implying, attributes), *map(synonyms_of, synonyms)]
        # words tested alone: `words`, and attributes and synonyms that no other word stands for (most)
        single = (*words, *(a for a, found in zip((*attributes, *synonyms), alternatives) if len(found) == 1))
        either = tuple(frozenset(found) for found in alternatives if len(found) > 1)
    else:  # names and annotated words (most calls): nothing to look up
        single, either = tuple(words), ()

    def test(e: PoolEntry) -> bool:  # plain loops: called on every draw, cheaper than all(...)
        for n in names:
            if n not in e.names:
                return False
        for a in single:
            if a not in e.attributes:
                return False
        return True

    if not either:
        return test

    def test_meanings(e: PoolEntry) -> bool:  # `test` written out: one call less per draw
        for n in names:
            if n not in e.names:
                return False
        for a in single:
            if a not in e.attributes:
                return False
        for found in either:
            if found.isdisjoint(e.attributes):
                return False
        return True

    return test_meanings


def alike_names(ctx: GroupContext, names: Sequence[str]) -> tuple[str, ...]:
    """The data set's names, not among `names`, that may name an object one of `names` names
    (`vocabulary_draws.naming_same`: "person" for "man"): a partner holding one neither lacks
    the name for sure nor has a known count of it (`missing`, `counted`). Usually none. Each
    name's are found once per vocabulary (asked of a name per group drawn: 28 a demo scene)."""
    table: dict[str, tuple[str, ...]] = ctx.vocab.view("alike names", dict)  # name -> its others, sorted
    found: tuple[str, ...] = ()
    for n in names:
        alike = table.get(n)
        if alike is None:
            alike = table[n] = tuple(sorted(set(naming_same(ctx.vocab, n)).difference((n,))))
        found += alike
    if len(names) > 1 and found:  # (a pair: each name's, less the other name, once each)
        return tuple(sorted(set(found).difference(names)))
    return found


def missing(*, names: Sequence[str] = (), attributes: Sequence[str] = (), alike: Sequence[str] = ()) -> Accept:
    """Entry test: the scene is known to lack at least one of these names or attributes (by
    meaning, as `holding` and the programs read them: a scene with a "large" thing has a big
    one). Where a scene annotates only some names in full (`PoolEntry.complete`), it must
    annotate all of `names` in full: an unannotated fork might be red, so no "red fork" is not
    known either. Drawn partners then answer the programs, which refuse an absence that is not
    known; partners drawn without this test fail there, so groups would come mostly from
    whatever needs no absence. Nor may it hold a name of `alike` (`alike_names`: a scene with a
    person is not known to lack a man)."""
    held = holding(names=names, attributes=attributes) if attributes else None

    def lacks(e: PoolEntry) -> bool:  # (names alone, the common case: one call per entry tested)
        for m in alike:
            if m in e.names:
                return False
        if held is None:
            for n in names:
                if n not in e.names:
                    break
            else:
                return False  # it has them all
        elif held(e):
            return False
        if e.complete is not None:  # `counted`
            for n in names:
                if n not in e.complete:
                    return False
        return True

    return lacks


def counted(*, names: Sequence[str], alike: Sequence[str] = ()) -> Accept:
    """Entry test: the scene annotates all of these names in full, so their counts are known
    (always true on data sets that annotate every name in full, `PoolEntry.complete`), and holds
    none of `alike` (`alike_names`: the men of a scene with people are not all its people)."""

    def test(e: PoolEntry) -> bool:
        for m in alike:
            if m in e.names:
                return False
        if e.complete is not None:
            for n in names:
                if n not in e.complete:
                    return False
        return True

    return test


def counted_in(pool: "ScenePool", names: Sequence[str], alike: Sequence[str] = ()) -> Accept | None:
    """`counted`, or None (accept all) where every pooled scene annotates every name in full
    (`ScenePool.all_complete`) and no name is `alike`: the same partners, with no test per entry
    drawn."""
    return None if pool.all_complete and not alike else counted(names=names, alike=alike)


def countable_names(index: SceneIndex) -> list[str]:
    """The anchor's names whose objects are all annotated (every name, on most data sets) and
    are things, not a substance (`text.is_uncountable`: "How many patches of sky in total?" counts
    how boxes were drawn) nor held once at most by construction (`common.single_names`: livers
    over slices count the slices showing one), sorted. Computed once per scene index (three
    generators ask): read-only."""

    def compute() -> list[str]:
        exhaustive = index.exhaustive
        uncountable = uncountable_names(index)
        return sorted(n for n in index.by_name if (exhaustive is None or n in exhaustive) and n not in uncountable)

    return index.memo(("countable names",), compute)


def all_of(tests: Sequence[Accept | None]) -> Accept | None:
    """One entry test passing when all of `tests` pass (None, accept all, when there are none;
    a None among them accepts all too)."""
    present = [test for test in tests if test is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    if len(present) == 2:
        first, second = present
        return lambda e: first(e) and second(e)
    return lambda e: all(test(e) for test in present)


def image_label(i: int) -> str:
    """0-based image index -> "Image 1"."""
    return f"Image {i + 1}"


def images_phrase(indices: Iterable[int]) -> str:
    """[0, 2] -> "Image 1 and Image 3"."""
    return join_words([image_label(i) for i in indices])


@mypyc_attr(allow_interpreted_subclasses=True)
class GroupGenerator(MultiImageGenerator):
    """Base of the built-in multi-image generators (not registered itself): option text for image
    indices and word sets, partner draws that respect the generator's requirements."""

    max_candidates: ClassVar[int] = 4  # groups drawn per anchor scene (bounds the cost per scene)

    def __init__(self, config: GeneratorConfig | None = None) -> None:
        super().__init__(config)
        # Made here, not as cached_property: compiled with mypyc (`veriscene.compiled`), a
        # cached_property is a property computing its value on every read.
        # The entry tests of this generator's requirements (those an entry can tell): each reads
        # one of the entry's word tuples, true when not empty (`attrgetter`: no Python call per
        # entry tested).
        self.entry_tests: tuple[Accept, ...] = tuple(attrgetter(_HAVE[r]) for r in self.requires if r in _HAVE)
        # `ScenePool.filled` -> `entry_tests` less those every entry of such a pool passes (at most 8 keys)
        self._pool_entry_tests: dict[frozenset[str], tuple[Accept, ...]] = {}
        # The requirements an entry cannot tell (depth, masks, ``*_in_full``): a partner drawn on
        # `entry_tests` meets the others, and is parsed and checked by `scene_ok` only for these.
        self.scene_requirements: tuple[str, ...] = tuple(r for r in self.requires if r not in _HAVE)

    def choice_text(self, value: Any, scene: Scene) -> str:
        if self.answer_type == "image_index":
            return image_label(int(value))
        if self.answer_type == "str_set":
            return ", ".join(sorted(value)) if value else "none"
        return super().choice_text(value, scene)

    def pool_entry_tests(self, pool: "ScenePool") -> tuple[Accept, ...]:
        """`entry_tests` less those that every entry of `pool` passes (`ScenePool.filled`: on most
        data sets every scene has attributes): the same partners, fewer tests per entry drawn."""
        by_filled = self._pool_entry_tests
        found = by_filled.get(pool.filled)
        if found is None:
            found = by_filled[pool.filled] = tuple(
                attrgetter(_HAVE[r]) for r in self.requires if r in _HAVE and _HAVE[r] not in pool.filled)
        return found

    def entry_ok(self, entry: PoolEntry) -> bool:
        """Whether a pooled partner meets this generator's requirements (as far as the entry
        tells: depth and masks are checked on the parsed scene by `scene_ok`)."""
        return all(test(entry) for test in self.entry_tests)

    def scene_ok(self, scene: Scene, index: SceneIndex) -> bool:
        """Whether a parsed partner drawn on `entry_tests` meets the requirements (the verdict,
        and the capabilities it is read from, kept in its `index`)."""
        if not self.scene_requirements:
            return True
        return index.memo(("meets_requirements", self.requires), lambda: not self.missing_requirements(
            scene, index.memo("capabilities", partial(capabilities, scene))))

    def partners(self, ctx: GroupContext, k: int, *, accept: Accept | None = None, among: np.ndarray | None = None,
                 exclude: Iterable[str] = ()) -> list[Scene] | None:
        """k distinct partner scenes (never the anchor) meeting the requirements and `accept`, or
        None when the pool cannot supply them within the draw budget."""
        if k <= 0:
            return []
        got = self.partners_upto(ctx, k, accept=accept, among=among, exclude=exclude)
        return got if len(got) == k else None

    def matched_partner(self, ctx: GroupContext, match: Callable[[SceneIndex], T | None], *,
                        accept: Accept | None = None, among: np.ndarray | None = None,
                        exclude: Iterable[str] = ()) -> tuple[Scene, T] | None:
        """The first of at most 1 + SPARE drawn partners on whose parsed scene `match` finds
        something, with what it found (None if none does)."""
        for scene in self.partners_upto(ctx, 1 + SPARE, accept=accept, among=among, exclude=exclude):
            found = match(ctx.index_of(scene))  # parsed only until one matches
            if found is not None:
                return scene, found
        return None

    def partners_upto(self, ctx: GroupContext, k: int, *, accept: Accept | None = None,
                      among: np.ndarray | None = None, exclude: Iterable[str] = ()) -> list[Scene]:
        """Up to k partners (fewer when the pool runs short): drawn on `entry_tests` and `accept`,
        then kept if `scene_ok` (a no-op when the entries tell every requirement)."""
        pool = ctx.pool
        if self.entry_tests:
            tests = self.pool_entry_tests(pool)
            if tests:
                accept = all_of((*tests, accept))
        anchor = ctx.scene
        groups: Sequence[str] = ()
        if pool.grouped:  # never a second slice of a volume in the group, the anchor's or a partner's
            exclude = tuple(exclude)  # (`PoolEntry.group`; a pool without slices has none to exclude)
            groups = [g for g in (scene_group(anchor.meta), *map(pool.group_of, exclude)) if g is not None]
        got = pool.draw(ctx.rng, k, accept=accept, among=among, exclude_ids=(anchor.image_id, *exclude),
                        exclude_groups=groups)
        if not self.scene_requirements:
            return got
        return [s for s in got if self.scene_ok(s, pool.index(s))]

    def negatives(self, ctx: GroupContext, k: int, check: Callable[[SceneIndex], bool], *, hard: np.ndarray | None,
                  hard_accept: Accept | None = None, easy_accept: Accept, exclude: Iterable[str] = ()) -> list[Scene] | None:
        """k partners that lack something: first from `hard` positions (pool postings of scenes
        that could hold it; each parsed and kept if `check` passes), then topped up with partners
        whose entry alone rules it out (`easy_accept`). `hard=None`: easy partners only. None if
        the pool cannot supply k."""
        if k <= 0:
            return []
        exclude = tuple(exclude)
        found: list[Scene] = []
        if hard is not None:
            for scene in self.partners_upto(ctx, k + SPARE // 2, accept=hard_accept, among=hard, exclude=exclude):
                if len(found) == k:
                    break  # (the rest drawn are not checked)
                if check(ctx.index_of(scene)):
                    found.append(scene)
        rest = self.partners(ctx, k - len(found), accept=easy_accept, exclude=(*exclude, *(s.image_id for s in found)))
        return None if rest is None else found + rest

    def group_size(self, ctx: GroupContext) -> int:
        rng = ctx.rng  # (the runner's is a `Draws`: its `below` makes the same draw for less)
        n = len(self.group_sizes)
        return int(self.group_sizes[rng.below(n) if isinstance(rng, Draws) else int(rng.integers(n))])


def shuffled(ctx: GroupContext, scenes: Sequence[Scene]) -> tuple[Scene, ...]:
    """The scenes in a uniformly random order (the question order)."""
    return tuple(shuffled_list(ctx.rng, scenes))


def position(scenes: Sequence[Scene], scene: Scene) -> int:
    """Index of `scene` (by identity) in the group."""
    for i, s in enumerate(scenes):
        if s is scene:
            return i
    raise ValueError(f"scene {scene.image_id} is not in the group")


def count_in(index: SceneIndex, name: str, attributes: Sequence[str] = ()) -> int:
    """Objects named `name` having every attribute in `attributes` (by meaning, as
    `filter_attribute` reads them: `SceneIndex.having_attribute`). Counted without making sets:
    most phrases count none or one object of an image."""
    members = index.by_name.get(name, ())  # distinct object indexes
    if not attributes or not members:
        return len(members)
    having = index.having_attribute
    if len(attributes) == 1:  # (the common case; a plain loop: no generator per count)
        held = having.get(attributes[0], ())
        found = 0
        for i in members:
            if i in held:
                found += 1
        return found
    return sum(1 for i in members if all(i in having.get(a, ()) for a in attributes))


# ---- program fragments -------------------------------------------------------------------------


def objects_node(b: ProgramBuilder, image: int, name: str, attributes: Sequence[str] = ()) -> int:
    """scene(image) -> filter_name -> filter_attribute*; returns the Objects node. (The nodes
    `ProgramBuilder.add` would append, written out: the fragment of most multi-image programs,
    made a few dozen times per anchor.)"""
    program = b.program
    node = len(program)  # the scene node
    program.append({"op": "scene", "inputs": [], "args": [image]})
    program.append({"op": "filter_name", "inputs": [node], "args": [name]})
    node += 1
    for a in attributes:
        program.append({"op": "filter_attribute", "inputs": [node], "args": [a]})
        node += 1
    return node


def count_node(b: ProgramBuilder, image: int, name: str, attributes: Sequence[str] = ()) -> int:
    return b.add("count", objects_node(b, image, name, attributes))


def exists_node(b: ProgramBuilder, image: int, name: str, attributes: Sequence[str] = ()) -> int:
    return b.add("exists", objects_node(b, image, name, attributes))


def triple_node(b: ProgramBuilder, image: int, subject: str, predicate: str, obj: str) -> int:
    """exists(some `subject` in `predicate` to some `obj`) in one image."""
    s = objects_node(b, image, subject)
    o = objects_node(b, image, obj)
    return b.add("exists", b.add("filter_relation", s, o, args=[predicate, "subject"]))


def chain(b: ProgramBuilder, op_name: str, nodes: Sequence[int]) -> int:
    """Fold a binary op left to right over nodes: op(op(n0, n1), n2) ..."""
    acc = nodes[0]
    for node in nodes[1:]:
        acc = b.add(op_name, acc, node)
    return acc


def per_image(n: int, fragment: Callable[[ProgramBuilder, int], int], final: str,
              final_args: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """A program applying `fragment` to images 0..n-1 and combining the n values with the
    arity-specific op `final{n}` (e.g. "select_image" -> "select_image3")."""
    b = ProgramBuilder()
    values = [fragment(b, i) for i in range(n)]
    b.add(f"{final}{n}", *values, args=list(final_args))
    return b.program


def folded(n: int, fragment: Callable[[ProgramBuilder, int], int], op_name: str) -> list[dict[str, Any]]:
    """A program applying `fragment` to images 0..n-1 and folding the values with a binary op."""
    b = ProgramBuilder()
    chain(b, op_name, [fragment(b, i) for i in range(n)])
    return b.program


def which_image(scenes: tuple[Scene, ...], target: Scene, fragment: Callable[[ProgramBuilder, int], int],
                final: str, slots: dict[str, str], group: str = "default") -> Candidate:
    """A "which image ...?" candidate: `fragment` gives each image's value, `final{n}` selects the
    image; the answer is the target's position and the options are the other images."""
    answer = position(scenes, target)
    n = len(scenes)
    return Candidate(None, {**slots, "n": number_word(n)}, group=group, expected=answer,
                     distractors=[i for i in range(n) if i != answer], scenes=scenes,
                     build=partial(per_image, n, fragment, final))
