"""Ops over groups of images: per-image values combined into one answer.

Conventions. A multi-image program runs on an ExecutionContext of N scenes (N = 2-4 in the built-in
generators); `scene(i)` selects image i, 0-based, which questions call "Image i+1". Per-image
values (a Bool, an Int or a StrSet per image) are computed by ordinary single-image sub-programs
and then combined here.

Arity. The checker requires a fixed number of inputs per op, so:
- associative combinations are binary and chained left to right: `add_int`, `set_intersect`,
  `set_union`, `set_difference` (and the core `and` / `or`), e.g. the total count over three
  images is `add_int(add_int(c0, c1), c2)`;
- selections that must see every image at once (which single image is true / has the most) are
  registered once per group size, `select_image2` ... `select_image{MAX_IMAGES}` (and likewise
  `argmax_image{n}`, `argmin_image{n}`): one function, one signature per arity, input k being the
  value of image k. A selection fails unless its answer is unique, so an ambiguous question
  ("which image has a dog?" when two do) can never be emitted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from veriscene.program.context import ExecutionContext
from veriscene.program.ops import fail, incomplete, sparse
from veriscene.program.registry import op
from veriscene.program.types import (
    BOOL, IMAGE, INT, OBJECT, OBJECTS, STR, STR_SET, TEXT, Obj, Objs, OpenNames, open_words,
)
from veriscene.text import capitalise, counted, is_mass, join_words, number_word, plural, region_noun, unit_phrase
from veriscene.vocab import UNTYPED, attribute_class, attribute_type

MAX_IMAGES = 4  # largest group the arity-specific selection ops are registered for
_ARITIES = range(2, MAX_IMAGES + 1)


# ---- per-image sets of words -------------------------------------------------------------------


@op("names_in", inputs=[OBJECTS], out=STR_SET)
def names_in(ctx: ExecutionContext, objs: Objs) -> tuple[str, ...]:
    """The distinct object names of the set, sorted."""
    if not objs.complete:
        incomplete(objs, "which names the set holds")
    names = ctx.scene(objs.image).names
    return tuple(sorted({names[i] for i in objs.idx}))


@op("attribute_values", inputs=[OBJECTS], args=[str], out=STR_SET)
def attribute_values(ctx: ExecutionContext, objs: Objs, kind: str) -> tuple[str, ...]:
    """The distinct attributes of type `kind` ("color", ...) held by any object of the set, sorted."""
    if not objs.complete:
        incomplete(objs, f"which {kind} values the set holds")
    if ctx.index(objs.image).sparse_attributes:
        sparse(objs.image, "attributes", f"which {kind} values the set holds")
    attributes = ctx.scene(objs.image).attributes
    return tuple(sorted({a for i in objs.idx for a in attributes[i] if attribute_type(a) == kind}))


@op("set_intersect", inputs=[STR_SET, STR_SET], out=STR_SET)
def set_intersect(ctx: ExecutionContext, a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    """Words in both sets (chain it for more than two images)."""
    if a.__class__ is OpenNames or b.__class__ is OpenNames:  # words that may be in both stay open
        sure = set(a) & set(b)
        return _open(sure, (set(a) | open_words(a)) & (set(b) | open_words(b)))
    return tuple(sorted(set(a) & set(b)))


@op("set_union", inputs=[STR_SET, STR_SET], out=STR_SET)
def set_union(ctx: ExecutionContext, a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    """Words in either set."""
    if a.__class__ is OpenNames or b.__class__ is OpenNames:
        sure = set(a) | set(b)
        return _open(sure, open_words(a) | open_words(b))
    return tuple(sorted(set(a) | set(b)))


@op("set_difference", inputs=[STR_SET, STR_SET], out=STR_SET)
def set_difference(ctx: ExecutionContext, a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    """Words of the first set not in the second."""
    if a.__class__ is OpenNames or b.__class__ is OpenNames:  # a word that may be in the second is not sure
        sure = set(a) - set(b) - open_words(b)
        return _open(sure, (set(a) | open_words(a)) - set(b))
    drop = set(b)
    return tuple(w for w in a if w not in drop)


def _open(sure: set[str], maybe: Iterable[str]) -> tuple[str, ...]:
    """The set of words `sure`, sorted, with the words of `maybe` not among them left open
    (`OpenNames`; a plain tuple where none is)."""
    unknown = frozenset(maybe).difference(sure)
    return OpenNames(sorted(sure), unknown) if unknown else tuple(sorted(sure))


# ---- integers ----------------------------------------------------------------------------------


@op("add_int", inputs=[INT, INT], out=INT)
def add_int(ctx: ExecutionContext, a: int, b: int) -> int:
    """a + b (chain it to total per-image counts)."""
    return a + b


@op("bool_to_int", inputs=[BOOL], out=INT)
def bool_to_int(ctx: ExecutionContext, a: bool) -> int:
    """1 for true, 0 for false (to count the images where something holds)."""
    return int(bool(a))


# ---- comparing two objects or two values across images ------------------------------------------


@op("differing_attribute_type", inputs=[OBJECT, OBJECT], out=STR)
def differing_attribute_type(ctx: ExecutionContext, a: Obj, b: Obj) -> str:
    """The one attribute type ("color", ...) whose values differ between two objects (usually of
    different images), up to synonyms ("big" and "large" are one size). Both objects must have
    the same typed attribute kinds, else the comparison is not well posed; fails unless exactly
    one kind differs, and where attributes are sparse (an unannotated kind may differ as well)."""
    for obj in (a, b):
        if ctx.index(obj.image).sparse_attributes:
            sparse(obj.image, "attributes", "which attribute type differs")
    kinds_a = _typed(ctx, a)
    kinds_b = _typed(ctx, b)
    if set(kinds_a) != set(kinds_b):
        fail(f"the objects have different attribute kinds ({sorted(kinds_a)} and {sorted(kinds_b)})")
    differing = sorted(k for k in kinds_a if kinds_a[k] != kinds_b[k])
    if len(differing) != 1:
        fail(f"{len(differing)} attribute kinds differ ({differing})")
    return differing[0]


def _typed(ctx: ExecutionContext, obj: Obj) -> dict[str, frozenset[str]]:
    """kind -> the synonym classes of the object's attribute values of that kind (`vocab.
    attribute_class`: "large" is "big"), untyped attributes ignored."""
    out: dict[str, set[str]] = {}
    for word in ctx.scene(obj.image).attributes[obj.index]:
        kind = attribute_type(word)
        if kind != UNTYPED:
            out.setdefault(kind, set()).add(attribute_class(word))
    return {k: frozenset(v) for k, v in out.items()}


@op("differ_str", inputs=[STR, STR], out=STR)
def differ_str(ctx: ExecutionContext, before: str, after: str) -> str:
    """`after`, provided it differs from `before` (fails when they are equal): the value in the
    second image of something the question says has changed."""
    if before == after:
        fail(f"'{before}' is the same in both images")
    return after


# ---- selecting one image -----------------------------------------------------------------------


def _select_image(ctx: ExecutionContext, *flags: bool) -> int:
    """The index of the only image whose flag is true; fails unless exactly one is."""
    hits = [i for i, f in enumerate(flags) if f]
    if len(hits) != 1:
        fail(f"{len(hits)} images qualify, expected exactly one")
    return hits[0]


def _argbest(pick_max: bool) -> Callable[..., int]:
    def argbest(ctx: ExecutionContext, *values: int) -> int:
        best = max(values) if pick_max else min(values)
        hits = [i for i, v in enumerate(values) if v == best]
        if len(hits) != 1:
            fail(f"{len(hits)} images tie with {best}")
        return hits[0]

    return argbest


_argmax = _argbest(True)
_argmax.__doc__ = "The index of the image with the largest value; fails on a tie."
_argmin = _argbest(False)
_argmin.__doc__ = "The index of the image with the smallest value; fails on a tie."

# One signature per group size: input k is image k's value (see the module docstring).
for _n in _ARITIES:
    op(f"select_image{_n}", inputs=[BOOL] * _n, out=IMAGE)(_select_image)
    op(f"argmax_image{_n}", inputs=[INT] * _n, out=IMAGE)(_argmax)
    op(f"argmin_image{_n}", inputs=[INT] * _n, out=IMAGE)(_argmin)


# ---- describing a group ------------------------------------------------------------------------


def _caption_kinds(names: Iterable[str]) -> dict[str, list[str]]:
    """The names of a group that a caption says alike, under the first of them in sorted order:
    'men' (one box around several men) and 'group of men' are both "a group of men", 'grass' and
    'patch of grass' both "a patch of grass", 'glasses' and 'pair of glasses' both "a pair of
    glasses" (`text.unit_phrase`). Said apart they would read as two kinds, one denying the other:
    "Both images contain groups of men: ..." beside "Only Image 1 contains a group of men."."""
    kinds: dict[str, list[str]] = {}
    for name in sorted(names):
        kinds.setdefault(unit_phrase(name), []).append(name)
    return {same[0]: same for same in kinds.values()}


def _within_sets(ctx: ExecutionContext) -> None:
    """Fail unless every name of the group is annotated in full in every image
    (`SceneIndex.complete`): an image of a closed category list (COCO) cannot say it has no
    window."""
    for i, index in enumerate(ctx.indexes):
        if index.in_full is None:
            continue
        for other in ctx.indexes:
            for name in other.by_name:
                if not index.complete(name):
                    fail(f"what the images hold is unknown: image {i} does not annotate {name!r} "
                         "(not one of its category list, meta.category_set)")


@op("describe_images", inputs=[], out=TEXT)
def describe_images(ctx: ExecutionContext) -> str:
    """What all images of the group have in common and how they differ, object kind by object kind:
    "Every image contains circles: two in Image 1, ... Only Image 2 contains a star." ("Both images
    contain" for two; one sentence per kind, kinds in alphabetical order, names that read alike
    one kind (`_caption_kinds`); counts in words per 'Image k' (1-based), "(one in each)" where
    they are equal; "many" where an image has a crowd region of the kind, "some" where it has a
    stuff region: "Every image contains sky.")."""
    if ctx.partial:  # "Only Image 2 contains a cup" would claim that the others have none
        fail("what the images hold is unknown: an image does not annotate every name in full (meta.exhaustive)")
    if ctx.closed:  # a COCO image with a window beside it: it may show one, unannotated
        _within_sets(ctx)
    n = len(ctx.scenes)
    every = "Both images contain" if n == 2 else "Every image contains"
    by_name: dict[str, list[int]] = {}
    # (name, image) with a crowd region, and with a stuff region (an area): the count is unknown
    crowd_names: set[tuple[str, int]] = set()
    stuff_names: set[tuple[str, int]] = set()
    for i in range(n):
        index = ctx.index(i)
        for name, members in index.by_name.items():
            by_name.setdefault(name, [0] * n)[i] = len(members)
        if index.regions:
            names = index.scene.names
            crowd_names.update((names[k], i) for k in index.crowd)
            stuff_names.update((names[k], i) for k in index.stuff)
    # per kind (`_caption_kinds`, keyed by its first name): counts summed, regions of any of its names
    kinds = _caption_kinds(by_name)
    counts = {kind: [sum(c) for c in zip(*(by_name[m] for m in same))] for kind, same in kinds.items()}
    of_kind = {m: kind for kind, same in kinds.items() for m in same}
    crowds = {(of_kind[m], i) for m, i in crowd_names}
    stuff = {(of_kind[m], i) for m, i in stuff_names}

    def amount(name: str, i: int) -> str:
        return "many" if (name, i) in crowds else "some" if (name, i) in stuff else number_word(counts[name][i])

    def some(name: str, i: int) -> str:
        if (name, i) in crowds:
            return f"many {plural(name)}"
        return region_noun(name) if (name, i) in stuff else counted(counts[name][i], name)

    def listed(name: str, holders: list[int]) -> str:
        # "(one in Image 2 and three in Image 3)"; the same amount in each: "(one in each)"
        amounts = [amount(name, i) for i in holders]
        if len(set(amounts)) == 1:
            return f"{amounts[0]} in each"
        return join_words([f"{a} in Image {i + 1}" for a, i in zip(amounts, holders)])

    def mass_kind(name: str, holders: list[int]) -> tuple[bool, str]:
        mass = any((name, i) in stuff for i in holders) and is_mass(name)  # "sky appears", not "skies appear"
        return mass, name if mass else plural(name)

    # (the list, `mass` and the plural are phrased only for the sentences that say them: most kinds
    # of a dense group are in one image, once, "Only Image 2 contains a star.")
    sentences: list[str] = []
    for name in sorted(counts):
        per = counts[name]
        holders = [i for i, c in enumerate(per) if c]
        if len(holders) == n:
            if len({amount(name, i) for i in holders}) == 1:
                # the same count in every image: "exactly two hexagons", not "two hexagons"
                # (which reads as "at least two"); a crowd or stuff region has no count
                if any((name, i) in crowds or (name, i) in stuff for i in holders):
                    sentences.append(f"{every} {some(name, 0)}.")
                else:
                    c = counts[name][0]
                    exact = f"one {unit_phrase(name)}" if c == 1 else counted(c, name)
                    sentences.append(f"{every} exactly {exact}.")
            else:
                sentences.append(f"{every} {mass_kind(name, holders)[1]}: {listed(name, holders)}.")
        elif len(holders) == 1:
            k = holders[0]
            if (name, k) in stuff or (name, k) in crowds or counts[name][k] == 1:
                # "Only Image 2 contains a star" (or "many people"): no other image has one
                sentences.append(f"Only Image {k + 1} contains {some(name, k)}.")
            else:
                # "Only Image 2 contains three diamonds" reads as if Image 1 might hold four: the
                # program says that no other image holds any, and how many this one holds
                mass, kind = mass_kind(name, holders)
                sentences.append(f"{capitalise(kind)} appear{'s' if mass else ''} only in Image {k + 1}, "
                                 f"which contains {some(name, k)}.")
        else:
            mass, kind = mass_kind(name, holders)
            images = join_words([f"Image {i + 1}" for i in holders])
            sentences.append(f"{capitalise(kind)} appear{'s' if mass else ''} in {images} ({listed(name, holders)}).")
    if not sentences:
        return "None of the images contains any object."
    return " ".join(sentences)
