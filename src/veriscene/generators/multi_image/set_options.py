"""Wrong options of set questions (`multi_image.sets`): sets of the answer's size or near misses of
it, and the names of one kind that make a set answer disputable."""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable, Sequence
from itertools import combinations
from math import comb

import numpy as np

from veriscene.generators.common import sample_up_to, shuffled as shuffled_list
from veriscene.generators.vocabulary_draws import name_kind, overlapping_kinds

# Words a wrong set may add or swap in (`set_distractors`'s `extra`): this many, drawn from the
# images' other words (or the vocabulary's where they have none) with the weight of how often the
# data set holds each. Every such word used to be taken, most of them rare (a dense Visual
# Genome-shaped group has dozens): a frequent set ("man, shirt") was then offered only where it
# was right, and the options alone told the answer.
EXTRA_WORDS = 3
# How far the words drawn lean to frequent names (`likely_set_names`' power of the number of
# scenes holding a name), for common objects. A lone answer name is the anchor's, drawn evenly
# among its names, and the names that are near (in some images only) lean to frequent ones
# already: the square root (with the count itself "person" was a wrong option in 61% of COCO-shaped
# questions, right in 16%). The other names of a longer answer are names every image holds,
# frequent ones by far: the square ("man, shirt" was right 19 times of the 30 it was offered in a
# Zipf-named world, now 19 of 40).
LONE_POWER, MEMBER_POWER = 0.5, 2.0


def set_distractors(rng: np.random.Generator, answer: Sequence[str], extra: Sequence[str]) -> list[list[str]]:
    """Wrong sets near `answer` (sorted lists): answer + one of `extra`, answer minus one member,
    answer with one member swapped for one of `extra`. `extra` must be disjoint from answer.

    Each set is the sorted answer with one member left out and a word inserted in place, not a
    set operation and a sort: a dense scene's answer has tens of names, which makes hundreds of
    wrong sets, of which a question shows three."""
    base = sorted(set(answer))
    where = {word: i for i, word in enumerate(base)}

    def changed(members: list[str], word: str) -> list[str]:
        """`members` (sorted) with `word` added, unless it is in the answer (then as they are)."""
        out = members.copy()
        if word not in where:
            insort(out, word)
        return out

    without = {x: base[:i] + base[i + 1:] for x, i in where.items()}  # sorted(set(answer) - {x})
    out: list[list[str]] = [changed(base, y) for y in extra]
    if len(base) > 1:
        out += [without[x].copy() for x in answer]
    out += [base.copy() if y == x else changed(without[x], y) for x in answer for y in extra]
    return shuffled_list(rng, out)


def same_size_sets(rng: np.random.Generator, answer: Sequence[str], extra: Sequence[str], k: int) -> list[list[str]]:
    """Up to k distinct wrong sets (sorted lists) of as many words as `answer`, each drawn at
    random from the answer's words and `extra` (disjoint from them): "cat" beside "person",
    "dog"; "man, shirt" beside "man, tree", "shirt, sky". Where no such set differs from the
    answer (no `extra`), the answer less one word (`set_distractors`).

    Answers and wrong sets of one size: sets near the answer by adding and leaving out a word
    (`set_distractors`) made the answer the one set of the middle size, and on COCO-shaped
    scenes, whose common objects are mostly one name, a lone name was right three times in four
    where it was offered."""
    base = sorted(set(answer))
    if not extra:
        return set_distractors(rng, base, ())[:k]
    pool = sorted(set(base).union(extra))
    size = len(base)
    if comb(len(pool), size) <= 4 * k:  # few such sets (a lone answer beside 3 words): made, then drawn
        every = [list(c) for c in combinations(pool, size) if list(c) != base]
        return every if len(every) <= k else sample_up_to(rng, every, k)
    found: list[list[str]] = []
    for _ in range(4 * k):  # a few tries: the sets drawn may repeat
        if len(found) == k:
            break
        drawn = sorted(sample_up_to(rng, pool, size))
        if drawn != base and drawn not in found:
            found.append(drawn)
    return found


def common_kinds_disputed(common: Sequence[str], near: Sequence[str], sets: Sequence[set[str]]) -> bool:
    """Whether names of one kind (`name_kind`: 'man', 'men' and 'group of men') make an answer
    of the names every image holds disputable: two of them in it ("man, men": one kind listed
    twice), or a kind every image holds under names none of which is in it ("man" in one image,
    "group of men" in the other: both hold men). Readers of Visual Genome name such groups by
    what they hold; scene files written with raw names do not."""
    kinds = [name_kind(n) for n in common]
    if len(set(kinds)) < len(kinds):
        return True
    if not near:
        return False
    # the kinds every image holds, less the answer's: the first image's, narrowed image by image
    # (`map`: no Python step per name; stops once none is left)
    unlisted = set(map(name_kind, sets[0])).difference(kinds)
    for names in sets[1:]:
        if not unlisted:
            break
        unlisted.intersection_update(map(name_kind, names))
    return bool(unlisted)


def kinds_of(names: Iterable[str]) -> set[str]:
    """The kinds (`name_kind`) of `names` and those that may name the same objects
    (`overlapping_kinds`: "person" beside "man")."""
    return {k for n in names for k in overlapping_kinds(name_kind(n))}


def only_kinds_disputed(only: Sequence[str], elsewhere: Iterable[str]) -> bool:
    """Whether names of one kind make an answer of the names only one image holds disputable:
    two of them in it, or one whose kind another image holds ("men" in Image 1 only, "man" in
    Image 2)."""
    kinds = [name_kind(n) for n in only]
    if len(set(kinds)) < len(kinds):
        return True
    return not set(kinds).isdisjoint(map(name_kind, elsewhere))


def listed_names(rng: np.random.Generator, only: Sequence[str], shared: Sequence[str], foreign: Sequence[str],
                 size: int) -> tuple[list[str], list[str]]:
    """(the names a listed question offers, in the question's order; the answer among them, sorted).

    `only`: the answer names (Image k's alone); `shared`: Image k's names another image has too;
    `foreign`: names of the other images that Image k lacks. `size` names (fewer if the three
    hold fewer) with 0 to all of them answers, the count drawn uniformly; the others are half
    shared names (in Image k, but not only there) and half foreign ones (elsewhere, not in Image
    k), one kind topped up from the other when it runs short."""
    size = min(size, len(only) + len(shared) + len(foreign))
    low, high = max(0, size - len(shared) - len(foreign)), min(size, len(only))
    answers = sample_up_to(rng, only, int(rng.integers(low, high + 1)))
    rest = size - len(answers)
    near = sample_up_to(rng, shared, min(len(shared), max((rest + 1) // 2, rest - len(foreign))))
    far = sample_up_to(rng, foreign, rest - len(near))
    return shuffled_list(rng, answers + near + far), sorted(answers)


def none_offered(rng: np.random.Generator, size: int, elsewhere: int, k: int) -> bool:
    """Whether a listed question (`size` names) whose answer is not none offers "none" among its
    k options. Its answer count is drawn uniformly from 0 to `size` where the other images hold
    at least `size` names (`listed_names`), so none is the answer of 1 in size + 1 such questions:
    offered in a share (k - 1) / size of the others, it is right in 1 of k questions offering it.
    Never where the count cannot be 0."""
    return elsewhere >= size > 0 and bool(rng.random() < (k - 1) / size)
