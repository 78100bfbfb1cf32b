"""Words drawn from the vocabulary for one scene: wrong options for attribute questions, the
names a scene lacks, and `Without`, a sorted word list minus a few words; wrong options drawn
the way right answers arise (`likely_wrong_attributes`, `likely_wrong_names`, and the words wrong
sets add, `likely_set_names`, `likely_set_attributes`), weighted by the data set's counts.

These are what generators ask of a `Vocabulary` (`veriscene.generators.vocabulary`, which
re-exports them) on every scene, so they avoid copying its word lists: a `Without` view stands for
"every name but the scene's", and absent names are drawn by bisection over running weight sums.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from functools import lru_cache
from itertools import accumulate
from typing import TYPE_CHECKING, Hashable, Iterable, Iterator, Sequence, overload

import numpy as np

from veriscene.io.normalize import Normalizer
from veriscene.vocab import attribute_class, attribute_types_version, compatible_attributes

if TYPE_CHECKING:  # annotations only: `vocabulary` imports this module
    from veriscene.generators.vocabulary import Vocabulary
    from veriscene.program.context import SceneIndex


class Without(Sequence[str]):
    """A sorted word list minus a few words, without copying it.

    Generators take absent names and distractors as "the vocabulary's sorted names except the
    ones here"; for a vocabulary of tens of thousands of words, building that list per scene
    cost more than the rest of the scene. This view holds the excluded positions (found by
    bisection, so `words` must be sorted and without repeats) and maps an index past them: the
    same items, in the same order, as `[w for w in words if w not in excluded]`, so draws by
    index (`sample_up_to`, the runner's options) pick the same words.
    """

    __slots__ = ("words", "excluded", "gaps")

    def __init__(self, words: Sequence[str], excluded: Iterable[str]) -> None:
        self.words = words
        self.excluded = frozenset(excluded)
        gaps = []
        for word in self.excluded:
            i = bisect_left(words, word)
            if i < len(words) and words[i] == word:
                gaps.append(i)
        self.gaps = sorted(gaps)

    def __len__(self) -> int:
        return len(self.words) - len(self.gaps)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("Without index out of range")
        for gap in self.gaps:  # few: the words of one scene
            if gap > index:
                break
            index += 1
        return self.words[index]

    def __iter__(self) -> Iterator[str]:
        excluded = self.excluded
        return (w for w in self.words if w not in excluded)

    def __contains__(self, word: object) -> bool:
        if word in self.excluded or not isinstance(word, str):
            return False
        i = bisect_left(self.words, word)
        return i < len(self.words) and self.words[i] == word

    def __repr__(self) -> str:
        return f"Without({len(self.words)} words, {len(self.gaps)} excluded)"


def wrong_attributes(vocab: Vocabulary, kind: str, answer: str, own: Iterable[str] = ()) -> "Without":
    """Wrong options for an attribute question of type `kind` whose answer is `answer`: the
    vocabulary's words of the type, one per synonym class (`Vocabulary.attribute_choices`), less
    the words that may hold with the answer (`vocab.compatible_attributes`: its synonyms, the
    classes overlapping its own, its type's other sub-kinds) and the object's own words `own`."""
    excluded = compatible_attributes(answer)
    return Without(vocab.attribute_choices(kind), excluded.union(own) if own else excluded)


def closed_names(vocab: Vocabulary, index: "SceneIndex") -> frozenset[str] | None:
    """The names whose absence or count a scene of a closed category list can tell (its
    ``meta["category_set"]``: COCO annotates every instance of its 80 categories and nothing
    else, so whether a window is there is unknown): its set's names the vocabulary knows
    (`Vocabulary.closed_names`). None for any other scene, and where the set holds every name of
    the vocabulary (a run of COCO alone asks what it asked)."""
    set_id = index.scene.meta.get("category_set")
    return None if set_id is None else vocab.closed_names(set_id)


def known_in_full(vocab: Vocabulary, index: "SceneIndex") -> frozenset[str] | None:
    """The names whose absence the scene can tell, None for every name: its
    ``meta["exhaustive"]`` (`SceneIndex.exhaustive`), else its category set's (`closed_names`)."""
    exhaustive = index.exhaustive
    return exhaustive if exhaustive is not None else closed_names(vocab, index)


def option_names(vocab: Vocabulary, index: "SceneIndex | None") -> tuple[Sequence[str], Hashable]:
    """(the sorted names a wrong option naming one of the scene's objects is drawn from, the key
    of that list among the vocabulary's views): the vocabulary's names (`name_list`, "names"),
    but on a scene of a closed category list its set's names alone (`closed_names`; its
    ("names", set id)): "window" is no wrong option of "What object is at the point ...?" on a
    COCO image, which may show a window unannotated. The vocabulary's names where the set holds
    every one of them (a run of COCO alone draws what it drew), and for `index` None."""
    closed = None if index is None else closed_names(vocab, index)
    if index is None or closed is None:
        return vocab.name_list(), "names"
    key = ("names", index.scene.meta["category_set"])
    return vocab.view(key, lambda: sorted(n for n in closed if n in vocab.names)), key


def count_known(vocab: Vocabulary, index: "SceneIndex", name: str) -> bool:
    """Whether the scene tells how many objects of `name` it shows, none included: the name is
    annotated in full (`SceneIndex.complete`) and, on a scene of a closed category list, one of
    its set's (`closed_names`: a COCO image's windows are not counted as none)."""
    if not index.complete(name):
        return False
    closed = closed_names(vocab, index)
    return closed is None or name in closed


def absent_names(vocab: Vocabulary, index: "SceneIndex") -> Sequence[str]:
    """The vocabulary's names that the scene has no object of, as a `Without` view; made once per
    scene index (several generators ask). On a scene that annotates only some names in full
    (`SceneIndex.exhaustive`, or a closed category list: `closed_names`), only those: the
    absence of any other is unknown. Never one that may name an object of the scene
    (`naming_present`: "person" beside a man)."""
    exhaustive = known_in_full(vocab, index)
    alike = naming_present(vocab, index)
    if exhaustive is not None:
        known, present = vocab.names, index.by_name
        return index.memo(("absent names", id(vocab)),
                          lambda: sorted(n for n in exhaustive if n in known and n not in present and n not in alike))
    return index.memo(("absent names", id(vocab)),
                      lambda: Without(vocab.name_list(), [*index.by_name, *alike] if alike else index.by_name))


def naming_present(vocab: Vocabulary, index: "SceneIndex") -> frozenset[str]:
    """The vocabulary's names the scene has no object of that may name one of its objects
    ("person" beside a man, "trees" beside a tree: `overlapping_kinds` of their `name_kind`):
    "Is there a person in the image?" is not "no" beside a man. Once per scene index."""

    def compute() -> frozenset[str]:
        by_kind: dict[str, list[str]] = vocab.view("names by kind", lambda: _names_by_kind(vocab.name_list()))
        present = index.by_name
        kinds = {k for n in present for k in overlapping_kinds(name_kind(n))}
        return frozenset(m for k in kinds for m in by_kind.get(k, ()) if m not in present)

    return index.memo(("names naming present objects", id(vocab)), compute)


def _absent_weight(images: int, scenes: int) -> float:
    """Weight of a name among the absent names drawn for a scene: f / (1 - f) for the share f of
    the data set's scenes that hold it (`absent_sample`)."""
    return images / (scenes - images + 1)


def _name_weights(vocab: Vocabulary) -> tuple[dict[str, int], list[float], list[float]]:
    """(position of each name in `name_list`, its weight, the running sums of the weights); every
    weight 1 for a vocabulary without scene counts (one built by hand)."""
    names = vocab.name_list()
    weights = _weights(vocab, names)
    return {n: i for i, n in enumerate(names)}, weights, list(accumulate(weights))


def _weights(vocab: Vocabulary, names: Sequence[str]) -> list[float]:
    if not vocab.scenes:
        return [1.0] * len(names)
    return [_absent_weight(vocab.images[n], vocab.scenes) for n in names]


def absent_sample(rng: np.random.Generator, vocab: Vocabulary, index: "SceneIndex", k: int) -> list[str]:
    """Up to k names the scene lacks (`absent_names`), drawn without replacement, each with a
    weight that grows with how many of the data set's scenes hold it: f / (1 - f) for a share f.

    Present names come from the scene, so a name is asked as present about as often as scenes
    hold it. Absent names drawn uniformly made a rare name almost always absent and a common one
    almost always present: "Is there a person?" was "yes" nearly every time, and the question
    alone gave its answer away. Weighted, the two come closer: on 190 real COCO images tiled to
    2,000 scenes, a guess from the question text alone (`veriscene.stats`) of `object.exists`
    fell from 60% to 53% right, against 50-51% for a constant guess (the copies lift both). A
    name held by most scenes still leans to "yes": it can be absent only from the few scenes
    without it, and a scene asks about one of its drawn names; levelling it needs quotas over
    the whole run."""
    if k <= 0:
        return []
    if known_in_full(vocab, index) is not None:  # a short list of names known absent: weighed directly
        absent = absent_names(vocab, index)
        weights = _weights(vocab, absent)
        return _weighted_draws(rng, absent, weights, list(accumulate(weights)), [], k)
    positions, weights, cum = vocab.view("absent weights", lambda: _name_weights(vocab))
    excluded = sorted(positions[n] for n in (*index.by_name, *naming_present(vocab, index)) if n in positions)
    return _weighted_draws(rng, vocab.name_list(), weights, cum, excluded, k)


def _weighted_draws(rng: np.random.Generator, names: Sequence[str], weights: list[float], cum: list[float],
                    excluded: list[int], k: int) -> list[str]:
    """Up to k of `names` but the `excluded` positions (sorted), drawn one at a time without
    replacement with probability proportional to `weights` (`cum`: their running sums). A draw
    is a point in the total weight of the names left, carried past the excluded names' weight
    before it, then found by bisection: a few steps, however long the list."""
    if not names:
        return []
    excluded = list(excluded)
    left = cum[-1] - sum(weights[e] for e in excluded)
    found: list[str] = []
    while len(found) < k and len(excluded) < len(names) and left > 0:
        u = rng.random() * left
        for e in excluded:  # ascending: skip the weight of every excluded name before the point
            if u >= cum[e] - weights[e]:
                u += weights[e]
            else:
                break
        i = min(bisect_right(cum, u), len(names) - 1)
        if i in excluded:  # rounding at a boundary: the nearest name left, before it or after
            before = [j for j in range(i) if j not in excluded]
            i = before[-1] if before else next(j for j in range(i + 1, len(names)) if j not in excluded)
        found.append(names[i])
        insort(excluded, i)
        left -= weights[i]
    return found



# ---- wrong options drawn as answers arise ------------------------------------------------------
#
# A wrong option drawn uniformly from the vocabulary is a rare word nearly every time, so a
# frequent word ("man", "white") was offered only where it was right, and the options alone gave
# the answer away (attribute.query on Visual Genome-shaped scenes: a guesser that sees the options
# only was right 46% of the time against 30% by chance). Drawn with the weight answers have, a
# frequent word is offered as wrong about as often as it is right.


def _attribute_weights(vocab: Vocabulary, kind: str) -> tuple[list[str], list[float], list[float]]:
    """(the sorted words of type `kind`, each one's weight as a wrong option, their running sums).

    A word's weight is its count in the data set (at least 1; how often it is an answer) over the
    share of the other words' count beside whose answers it may be offered (those it is not
    compatible with): "patterned" may be a wrong option only beside "plain" (a striped thing is
    patterned), "plain" beside every other pattern; counts alone offered "patterned" so rarely that
    it was right 25 times of the 37 it was offered, and "plain" 22 of 149."""
    words = vocab.attributes_of_type(kind)
    counts = [float(max(vocab.attributes[w], 1)) for w in words]
    total = sum(counts)
    allowed = [0.0] * len(words)  # per word: the count of the answers it may be offered beside
    for a, count in zip(words, counts):
        compatible = compatible_attributes(a)
        for i, w in enumerate(words):
            if w not in compatible:
                allowed[i] += count
    weights = [c * (total - c) / allowed[i] if allowed[i] else c for i, c in enumerate(counts)]
    return words, weights, list(accumulate(weights))


def _positions(words: Sequence[str], among: Iterable[str]) -> list[int]:
    """The sorted positions in `words` (sorted) of those of `among` it holds."""
    found = set()
    for word in among:
        i = bisect_left(words, word)
        if i < len(words) and words[i] == word:
            found.add(i)
    return sorted(found)


def likely_wrong_attributes(rng: np.random.Generator, vocab: Vocabulary, kind: str, answer: str, k: int,
                            own: Iterable[str] = ()) -> list[str]:
    """Up to k wrong options for an attribute question of type `kind` whose answer is `answer`,
    drawn without replacement, each word with the weight of its count in the data set (how often
    it is an answer), never two of one synonym class ("big" and "large"). Never a word that may
    hold with the answer (`compatible_attributes`: its synonyms, overlapping classes, the type's
    other sub-kinds) nor one of the object's own words `own`: what `wrong_attributes` leaves out.

    `wrong_attributes` offers one word per synonym class, the class's most frequent: its other
    words ("gray" where "grey" is more frequent) were offered only where they were right."""
    if k <= 0:
        return []
    words, allowed, classes, left = vocab.view(("wrong attribute weights", kind, answer, attribute_types_version()),
                                               lambda: _wrong_attribute_weights(vocab, kind, answer))
    weights = allowed
    mine = _positions(words, own) if own else ()
    if any(weights[i] for i in mine):
        weights = list(allowed)
        for i in mine:
            weights[i] = 0.0
        left = _classes_left(weights, classes)
    # never every class left: a word drawn whenever it may be (sizes beside "big": "small" or
    # "little", and "tiny") is wrong wherever it is offered, however it is weighted
    k = min(k, max(1, left - 1))
    found: list[str] = []
    while len(found) < k:
        total = sum(weights)
        if total <= 0:
            break
        u = rng.random() * total
        for i, w in enumerate(weights):
            u -= w
            if u < 0 and w:
                drawn = i
                break
        else:  # past the end by rounding: the last
            drawn = max(i for i, w in enumerate(weights) if w)
        found.append(words[drawn])
        if weights is allowed:
            weights = list(allowed)
        for i, c in enumerate(classes):  # the drawn word's whole class
            if c == classes[drawn]:
                weights[i] = 0.0
    return found


def _wrong_attribute_weights(vocab: Vocabulary, kind: str, answer: str) -> tuple[list[str], list[float], list[str], int]:
    """(the sorted words of type `kind`, each one's weight as a wrong option beside `answer`: 0
    for the words that may hold with it, `_attribute_weights` for the others; each one's synonym
    class; the number of classes of weight left)."""
    words, weights, _ = vocab.view(("attribute weights", kind, attribute_types_version()),
                                   lambda: _attribute_weights(vocab, kind))
    compatible = compatible_attributes(answer)
    allowed = [0.0 if w in compatible else weight for w, weight in zip(words, weights)]
    classes = [attribute_class(w) for w in words]
    return words, allowed, classes, _classes_left(allowed, classes)


def _classes_left(weights: Sequence[float], classes: Sequence[str]) -> int:  # synonym classes with a word of weight
    return len({c for c, w in zip(classes, weights) if w})


def _object_weights(vocab: Vocabulary, names: Sequence[str]) -> tuple[dict[str, int], list[float], list[float]]:
    """(position of each name of `names` (sorted), its number of objects in the data set (at
    least 1), the running sums)."""
    weights = [float(max(vocab.names[n], 1)) for n in names]
    return {n: i for i, n in enumerate(names)}, weights, list(accumulate(weights))


# names read as readers read them (no synonyms of the user's: only the kind of a group)
_NORMALIZER = Normalizer()


@lru_cache(maxsize=65536)
def name_kind(name: str) -> str:
    """What one object of `name` is, or a group of: 'man', 'men' and 'group of men' -> 'man',
    'trees' and 'row of trees' -> 'tree' (`io.normalize.Normalizer.name_and_group`); the name
    itself for most. Names of one kind are not wrong options to each other: the leftmost object
    of a group of men is not wrongly called "man"."""
    return _NORMALIZER.name_and_group(name)[0] or name


# Kinds of names (`name_kind`) that may name one object: synonyms, and a broader name beside the
# names under it (the leftmost man is a person). Small and explicit, of the commonest names of
# Visual Genome and COCO: never a wrong option of one another.
NAME_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("airplane", "plane"), ("bicycle", "bike"), ("motorcycle", "motorbike"), ("tv", "television"),
    ("couch", "sofa"),
)
BROADER_NAMES: dict[str, tuple[str, ...]] = {
    "person": ("man", "woman", "boy", "girl", "child", "kid", "lady", "guy", "player", "baby", "skier",
               "surfer", "skateboarder", "snowboarder",
               # people named by what they do (Visual Genome, GQA): "person" beside a rider
               "rider", "biker", "cyclist", "pedestrian", "driver", "passenger", "batter", "catcher",
               "umpire", "spectator", "tourist", "worker", "officer", "soldier", "student", "toddler",
               "teenager", "adult", "tennis player", "baseball player", "soccer player"),
}


@lru_cache(maxsize=4096)
def overlapping_kinds(kind: str) -> frozenset[str]:
    """The kinds that may name an object of kind `kind`: itself, its synonyms (`NAME_SYNONYMS`),
    the broader name over it and the names under it (`BROADER_NAMES`): 'man' -> man, person;
    'person' -> person, man, woman, ...; 'plane' -> plane, airplane."""
    found = {kind}
    for words in NAME_SYNONYMS:
        if kind in words:
            found.update(words)
    for broad, narrow in BROADER_NAMES.items():
        if kind == broad:
            found.update(narrow)
        elif kind in narrow:
            found.add(broad)
    return frozenset(found)


def naming_same(vocab: Vocabulary, answer: str) -> list[str]:
    """The vocabulary's names that may name an object named `answer` (`overlapping_kinds` of its
    `name_kind`: "man", "men", "person" beside "man"), `answer` among them: never a wrong option of
    a question answered `answer`. Names grouped by kind once per vocabulary."""
    by_kind: dict[str, list[str]] = vocab.view("names by kind", lambda: _names_by_kind(vocab.name_list()))
    return [answer, *(n for k in sorted(overlapping_kinds(name_kind(answer))) for n in by_kind.get(k, ()) if n != answer)]


def _names_by_kind(names: Iterable[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for n in names:
        out.setdefault(name_kind(n), []).append(n)
    return out


def likely_wrong_names(rng: np.random.Generator, vocab: Vocabulary, answer: str, k: int,
                       index: "SceneIndex | None" = None) -> list[str]:
    """Up to k names other than `answer` for a question answered by an object's name, drawn
    without replacement, each with the weight of its number of objects in the data set (how often
    a name is the answer of "What is the leftmost object?"), one per kind (`name_kind`) and none
    that may name the answer's object (`overlapping_kinds`: not "person" beside "man"). The
    scene's other names may be drawn: its leftmost object is not named by them. Given the scene's
    `index`, only names of its closed category list where it has one (`option_names`)."""
    if k <= 0:
        return []
    names, key = option_names(vocab, index)
    positions, weights, cum = vocab.view(("object weights", key), lambda: _object_weights(vocab, names))
    excluded = [positions[answer]] if answer in positions else []
    right = overlapping_kinds(name_kind(answer))
    kinds: set[str] = set()
    found: list[str] = []
    while len(found) < k:
        drawn = _weighted_draws(rng, names, weights, cum, excluded, 1)
        if not drawn:
            break
        insort(excluded, positions[drawn[0]])
        kind = name_kind(drawn[0])
        if kind not in kinds and kind not in right:
            kinds.add(kind)
            found.append(drawn[0])
    return found


def weighted_sample(rng: np.random.Generator, words: Sequence[str], weights: Sequence[float], k: int) -> list[str]:
    """Up to k of `words` drawn without replacement, each with probability proportional to its
    weight (all positive)."""
    if k <= 0 or not words:
        return []
    weights = list(weights)
    return _weighted_draws(rng, words, weights, list(accumulate(weights)), [], k)


def _image_weights(vocab: Vocabulary) -> tuple[dict[str, int], list[float], list[float]]:
    """(position of each name in `name_list`, its number of scenes in the data set (at least 1),
    the running sums)."""
    names = vocab.name_list()
    weights = [float(max(vocab.images[n], 1)) for n in names]
    return {n: i for i, n in enumerate(names)}, weights, list(accumulate(weights))


def likely_set_names(rng: np.random.Generator, vocab: Vocabulary, k: int, excluded: Iterable[str] = (),
                     among: Sequence[str] | None = None, power: float = 1.0) -> list[str]:
    """Up to k names to add to or swap into a wrong set of names (a near miss of "which kinds
    of objects ...?"), drawn without replacement, each with the weight of the number of the data
    set's scenes that hold it (how often a name is in an answer set) to the power `power` (from
    `among`, the images' other names, if given), else of the whole vocabulary less `excluded`
    with the weight of that number."""
    if among is not None:
        return weighted_sample(rng, among, [max(vocab.images[n], 1) ** power for n in among], k)
    positions, weights, cum = vocab.view("image weights", lambda: _image_weights(vocab))
    gaps = sorted({positions[n] for n in excluded if n in positions})
    return _weighted_draws(rng, vocab.name_list(), weights, cum, gaps, k)


def likely_set_attributes(rng: np.random.Generator, vocab: Vocabulary, kind: str, words: Sequence[str],
                          k: int) -> list[str]:
    """Up to k of attribute `words` of type `kind` to add to or swap into a wrong set of values,
    drawn without replacement, each with its weight as a wrong option (`_attribute_weights`)."""
    every, weights, _ = vocab.view(("attribute weights", kind, attribute_types_version()),
                                   lambda: _attribute_weights(vocab, kind))
    at = _positions(every, words)
    if len(at) != len(words):  # a word of another type: counts alone
        return weighted_sample(rng, words, [max(vocab.attributes[w], 1) for w in words], k)
    return weighted_sample(rng, [every[i] for i in at], [weights[i] for i in at], k)
