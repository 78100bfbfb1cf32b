"""The core ops: selection, filtering and queries (comparison, set algebra and booleans:
`veriscene.program.ops_logic`). Each op is a pure function of (context, input values, args).

An op that has no answer on this scene (e.g. `unique` on two objects) raises ExecutionFailure via
`fail`; the executor adds the node index. Set-valued results are sorted tuples, so every result is
deterministic.

Crowd regions (``scene.meta["crowd"]``: several instances annotated as one object, COCO's
`iscrowd`) and stuff regions (``scene.meta["stuff"]``: amorphous areas such as sky, grass or a
merged region of trees, COCO panoptic's ``isthing: 0``) make some answers unknown, and the ops
that would give one fail instead: `count`, `extreme` and `frequent_name` on a set holding such a
region, `unique` on an object whose name has one ("the person" beside a crowd of people), and the
ops that take one for one object (its box, its description, its relative position, points on
it). `exists` and names are unaffected: a crowd region of people shows that there are people.

Scenes that annotate every instance of only some names (``scene.meta["exhaustive"]``, e.g. LVIS)
make sets that may miss objects (`Objs.complete` False): `scene`, `relate`, and `filter_name` of a
name outside the list, unless the set filtered was complete. On such a set `count`, `unique`,
`extreme`, `frequent_name`, `names_in`, `attribute_values` and an empty `exists` fail; a
non-empty `exists` is true. Sets built from complete ones stay complete (`intersect` needs one,
`union` and `filter_relation` both, `difference` the first).

Scenes of a closed category list (``scene.meta["category_set"]``: COCO, Objects365, COCO
panoptic annotate every instance of their categories and nothing else) are such scenes, whose
list is the set's names (`SceneIndex.in_full`, `veriscene.category_sets.names_in_full`): on a
COCO image `filter_name` "window" gives a set that may miss objects, so its `exists` and `count`
fail as unknown, while "dog" is counted as before. The names come from the context
(`ExecutionContext(..., categories={set id: names})`: generation passes its run's
`Vocabulary.category_sets`, `verify` the lists of the scene files and the run's vocabulary.json),
else from the list the scene carries (``meta["categories"]``, in the first scene of a COCO file),
else from the names the scene itself shows (a name it annotates is one of its set's): fewer
answers then, never a wrong one. `names_among` over every object of such an image leaves the
listed names outside its list open (`types.OpenNames`: "window" may be there); the set ops
(`set_union`, `set_intersect`, `set_difference`) carry them, and an answer they could change fails
("Which of window, dog are only in Image 2?" is known where Image 1, of Visual Genome, shows a
window). `describe_images` of a group holding such a scene fails unless every name of the group
is one of each such scene's.

Scenes that record attributes or relations only in part (``scene.meta["sparse"]``, e.g. Visual
Genome) make sets that may miss objects as well: `filter_attribute` under sparse attributes
(unless every object filtered has the attribute), `filter_relation` and `relate` under sparse
relations (unless the predicate has a geometric reading, "left of", "to the left of" or "near",
and no other object's box could be read into it: `SceneIndex.could_hold`, which reads a box
shifted left of another as left of it, as the generators do). On such a scene no set becomes
complete again (`filter_name` and `intersect` above rely on the missing objects being unannotated
ones). The ops that take an unannotated attribute or relation for absent fail there:
`query_attributes` and `attribute_values` (all of an object's attributes, or all values of a set),
`differing_attribute_type`, `query_relations`, a false `has_relation` (unless the boxes or the
annotated opposite rule it out), and `difference` by an incomplete set ("the cars that are not
red"). What is annotated stays true: a non-empty `exists`, `query_attribute` of an object annotated
with one value of the type, `query_relation` of the one annotated predicate.

Attribute words are read by what they say, not how they are spelt: an object has an attribute
when it is annotated with it, a synonym of it or a word of a narrower class (`vocab.
implied_attributes`; `SceneIndex.having_attribute`), so `filter_attribute` "big" keeps a dog
annotated "large" or "huge", and counts, existence and `unique` read attributes by meaning.
The ops that return annotated words (`query_attribute`, `query_attributes`, `attribute_values`)
return them as annotated; `differing_attribute_type` and `same_attribute` compare them up to
synonyms, and `query_attribute` answers an object annotated with two synonyms of the type ("big"
and "large": one size) by the first of them.
"""

from __future__ import annotations

from typing import NoReturn, Sequence

from veriscene.program.context import ExecutionContext, geometric_reading
from veriscene.program.registry import op
from veriscene.program.types import (
    BOOL, BOX, INT, OBJECT, OBJECTS, STR, STR_SET, TEXT, Obj, Objs,
)
from veriscene.vocab import ATTRIBUTE_TYPES, CONVERSE_PREDICATES, UNTYPED, attribute_class

EXTREMES = ("leftmost", "rightmost", "topmost", "bottommost", "largest", "smallest", "closest", "farthest")
COMPARISONS = ("greater", "less", "equal")
SIDES = ("subject", "object")


class _Fail(Exception):
    """Raised by ops; the executor turns it into ExecutionFailure with the node index."""


def fail(reason: str) -> NoReturn:
    raise _Fail(reason)


def no_region(ctx: ExecutionContext, image: int, idx: tuple[int, ...] | list[int], what: str) -> None:
    """Fail when one of the objects `idx` of image `image` is a crowd or stuff region: `what`
    (e.g. "the count") is then unknown. Call it only when ``ctx.has_regions``."""
    index = ctx.index(image)
    regions = index.regions
    if regions and not regions.isdisjoint(idx):
        i = min(regions.intersection(idx))
        name = index.scene.names[i]
        if i in index.crowd:
            fail(f"{what} is unknown: object {i} is a crowd region (several {name!r} as one)")
        fail(f"{what} is unknown: object {i} is a stuff region (an area of {name!r}, not one object)")


def incomplete(objs: Objs, what: str) -> NoReturn:
    """Fail: `what` of a set that may miss objects is unknown (call it when ``not objs.complete``)."""
    fail(f"{what} is unknown: image {objs.image} does not annotate every object this set describes "
         "(a name outside its meta.exhaustive or its category list, meta.category_set, or an attribute or "
         "relation its meta.sparse leaves open)")


def sparse(image: int, kind: str, what: str) -> NoReturn:
    """Fail: `what` is unknown because image `image` records `kind` ("attributes", "relations")
    only in part (``scene.meta["sparse"]``): one not annotated may hold."""
    fail(f"{what} is unknown: image {image} annotates only some {kind} (meta.sparse)")


def _same_image(a: Objs, b: Objs) -> None:
    if a.image != b.image:
        fail(f"object sets come from different images ({a.image} and {b.image})")


# ---- selection and filtering -------------------------------------------------------------------


@op("scene", inputs=[], args=[int], out=OBJECTS)
def scene(ctx: ExecutionContext, image: int) -> Objs:
    """All objects of image `image` (0 for single-image programs)."""
    if not 0 <= image < len(ctx.scenes):
        fail(f"image index {image} out of range for {len(ctx.scenes)} images")
    index = ctx.indexes[image]
    found = index.selections.get(image)
    if found is None:
        found = index.selections[image] = Objs(image, index.all, index.in_full is None)
    return found


@op("filter_name", inputs=[OBJECTS], args=[str], out=OBJECTS)
def filter_name(ctx: ExecutionContext, objs: Objs, name: str) -> Objs:
    """Objects whose name is `name`."""
    index = ctx.indexes[objs.image]
    if len(objs.idx) == index.n:  # all objects (straight after `scene`): the table's sorted tuple;
        # complete when every object of the name is annotated (a set of every annotated object
        # can miss only unannotated ones, whatever attributes or relations are sparse)
        key = (objs.image, name, objs.complete)
        selected = index.selections.get(key)
        if selected is None:
            selected = index.selections[key] = Objs(objs.image, index.by_name.get(name, ()),
                                                    objs.complete or index.complete(name))
        return selected
    found = index.by_name.get(name, ())
    # the set was complete already, or every object of the name is annotated (and the set misses
    # only unannotated objects: not a set filtered by sparse attributes or relations)
    complete = objs.complete or (index.complete(name) and not index.sparse)
    keep = set(found)
    return Objs(objs.image, tuple(i for i in objs.idx if i in keep), complete)


@op("filter_attribute", inputs=[OBJECTS], args=[str], out=OBJECTS)
def filter_attribute(ctx: ExecutionContext, objs: Objs, attribute: str) -> Objs:
    """Objects that have attribute `attribute`: annotated with it, a synonym of it or a word of a
    narrower class ("big": big, large, huge or giant; `SceneIndex.having_attribute`)."""
    index = ctx.indexes[objs.image]
    found = index.having_attribute.get(attribute, ())
    if len(objs.idx) != index.n:  # else all objects: the table's sorted tuple
        keep = set(found)
        found = tuple(i for i in objs.idx if i in keep)
    # under sparse attributes an object without `attribute` annotated may have it (so the set is
    # complete only when every object filtered has it, or there was none)
    complete = objs.complete and (not index.sparse_attributes or len(found) == len(objs.idx))
    return Objs(objs.image, found, complete)


@op("filter_relation", inputs=[OBJECTS, OBJECTS], args=[str, SIDES], out=OBJECTS)
def filter_relation(ctx: ExecutionContext, objs: Objs, others: Objs, predicate: str, side: str) -> Objs:
    """Objects x of the first set related to some y of the second: (x, predicate, y) when side is
    "subject" ("the cup on the table"), (y, predicate, x) when side is "object"."""
    _same_image(objs, others)
    index = ctx.index(objs.image)
    table = index.outgoing if side == "subject" else index.incoming
    targets = set(others.idx)
    found = tuple(i for i in objs.idx if targets.intersection(table.get((i, predicate), ())))
    complete = objs.complete and others.complete
    if complete and index.sparse_relations:
        # complete only if no other object of the set could be read in that relation to one of
        # the others ("the cup left of the plate": no other cup lies left of it)
        hold = index.could_hold
        rest = set(objs.idx).difference(found)
        complete = not any(hold(x, predicate, y) if side == "subject" else hold(y, predicate, x)
                           for x in rest for y in others.idx)
    return Objs(objs.image, found, complete)


@op("relate", inputs=[OBJECT], args=[str, SIDES], out=OBJECTS)
def relate(ctx: ExecutionContext, obj: Obj, predicate: str, side: str) -> Objs:
    """Objects y with (obj, predicate, y) when side is "subject", (y, predicate, obj) otherwise."""
    index = ctx.index(obj.image)
    table = index.outgoing if side == "subject" else index.incoming
    found = table.get((obj.index, predicate), ())
    complete = index.in_full is None
    if complete and index.sparse_relations:  # as in `filter_relation`: no other object could hold it
        hold, o = index.could_hold, obj.index
        complete = not any(hold(o, predicate, x) if side == "subject" else hold(x, predicate, o)
                           for x in range(index.n) if x not in found)
    return Objs(obj.image, found, complete)


@op("unique", inputs=[OBJECTS], out=OBJECT)
def unique(ctx: ExecutionContext, objs: Objs) -> Obj:
    """The single object of the set; fails unless there is exactly one."""
    if len(objs.idx) != 1:
        fail(f"expected exactly one object, found {len(objs.idx)}")
    if not objs.complete:
        incomplete(objs, "whether there is only one")
    if ctx.has_regions:
        index = ctx.index(objs.image)
        name = index.scene.names[objs.idx[0]]
        if name in index.region_names:
            kind = "crowd" if any(index.scene.names[i] == name for i in index.crowd) else "stuff"
            fail(f"no single {name!r}: the image has a {kind} region of them")
    return Obj(objs.image, objs.idx[0])


@op("extreme", inputs=[OBJECTS], args=[EXTREMES], out=OBJECT)
def extreme(ctx: ExecutionContext, objs: Objs, which: str) -> Obj:
    """The left-/right-/top-/bottom-most (by box centre), largest/smallest (mask or box area) or
    closest/farthest (depth, smaller = closer) object; fails on an empty set or a tie."""
    if not objs.idx:
        fail("no objects to compare")
    if not objs.complete:
        incomplete(objs, f"the {which} object")
    if ctx.has_regions:
        no_region(ctx, objs.image, objs.idx, f"the {which} object")
    index = ctx.index(objs.image)
    # plain Python floats (float64): faster than numpy on the few objects of a set
    if which in ("leftmost", "rightmost"):
        keys = [index.center_list[i][0] for i in objs.idx]
    elif which in ("topmost", "bottommost"):
        keys = [index.center_list[i][1] for i in objs.idx]
    elif which in ("largest", "smallest"):
        keys = [index.area_list[i] for i in objs.idx]
    else:
        depth = ctx.scene(objs.image).depth
        if depth is None:
            fail("the scene has no depth")
        keys = [float(depth[i]) for i in objs.idx]
    best = max(keys) if which in ("rightmost", "bottommost", "largest", "farthest") else min(keys)
    winners = [i for i, key in zip(objs.idx, keys) if key == best]
    if len(winners) != 1:
        fail(f"{len(winners)} objects tie for {which}")
    return Obj(objs.image, winners[0])


# ---- queries -----------------------------------------------------------------------------------


@op("count", inputs=[OBJECTS], out=INT)
def count(ctx: ExecutionContext, objs: Objs) -> int:
    """Number of objects in the set."""
    if not objs.complete:
        incomplete(objs, "the count")
    if ctx.has_regions:
        no_region(ctx, objs.image, objs.idx, "the count")
    return len(objs.idx)


@op("exists", inputs=[OBJECTS], out=BOOL)
def exists(ctx: ExecutionContext, objs: Objs) -> bool:
    """Whether the set is non-empty (an empty set that may miss objects fails)."""
    if objs.idx:
        return True
    if not objs.complete:
        incomplete(objs, "absence")
    return False


@op("query_name", inputs=[OBJECT], out=STR)
def query_name(ctx: ExecutionContext, obj: Obj) -> str:
    """The object's name."""
    return ctx.scene(obj.image).names[obj.index]


def _of_one_class(found: list[str]) -> str | None:
    """The first of `found` when all of them are of one synonym class (`vocab.attribute_class`:
    "big" and "large"), else None (also when there are none)."""
    if not found:
        return None
    first = attribute_class(found[0])
    for a in found[1:]:
        if attribute_class(a) != first:
            return None
    return found[0]


def one_value(attributes: Sequence[str], kind: str) -> str | None:
    """An object's one value of type `kind` as `query_attribute` answers it: its only word of the
    type, or the first (attributes are kept sorted) when all its words of the type are synonyms
    ("big" and "large" are one size; answer matching reads either as the other). None when it
    has no word of the type or two values ("red" and "blue"; "big" and "huge", whose classes
    overlap; "big" and "tall", a size and a height)."""
    found = _of_type(attributes, kind)
    return found[0] if len(found) == 1 else _of_one_class(found)


def _of_type(attributes: Sequence[str], kind: str) -> list[str]:
    """The words of `attributes` of type `kind` (`vocab.attribute_type`), in order. (Read from the
    table in a loop: generators ask this of every object's words, and a call per word costs
    more than the rest.)"""
    found: list[str] = []
    for a in attributes:
        if ATTRIBUTE_TYPES.get(a, UNTYPED) == kind:
            found.append(a)
    return found


@op("query_attribute", inputs=[OBJECT], args=[str], out=STR)
def query_attribute(ctx: ExecutionContext, obj: Obj, kind: str) -> str:
    """The object's attribute of type `kind` ("color", ...): its only value (`one_value`: one
    word, or synonyms, answered by the first); fails when it has none or two values."""
    found = _of_type(ctx.scene(obj.image).attributes[obj.index], kind)
    if len(found) == 1:  # the common case
        return found[0]
    value = _of_one_class(found)
    if value is None:
        fail(f"object has {len(found)} attributes of type '{kind}'" + (" that are not synonyms" if found else ""))
    return value


@op("query_attributes", inputs=[OBJECT], out=STR_SET)
def query_attributes(ctx: ExecutionContext, obj: Obj) -> tuple[str, ...]:
    """All attributes of the object."""
    if ctx.index(obj.image).sparse_attributes:
        sparse(obj.image, "attributes", "every attribute of the object")
    return ctx.scene(obj.image).attributes[obj.index]


@op("query_box", inputs=[OBJECT], out=BOX)
def query_box(ctx: ExecutionContext, obj: Obj) -> tuple[float, ...]:
    """The object's box, xyxy absolute pixels."""
    if ctx.has_regions:
        no_region(ctx, obj.image, (obj.index,), "the box of one object")
    return tuple(float(v) for v in ctx.scene(obj.image).boxes[obj.index])


@op("query_relation", inputs=[OBJECT, OBJECT], out=STR)
def query_relation(ctx: ExecutionContext, a: Obj, b: Obj) -> str:
    """The predicate p with (a, p, b); fails unless exactly one holds."""
    if a.image != b.image:
        fail("objects come from different images")
    found = ctx.index(a.image).predicates_between.get((a.index, b.index), ())
    if len(found) != 1:
        fail(f"{len(found)} relations hold from object {a.index} to {b.index}")
    return found[0]


@op("query_relations", inputs=[OBJECT, OBJECT], out=STR_SET)
def query_relations(ctx: ExecutionContext, a: Obj, b: Obj) -> tuple[str, ...]:
    """All predicates p with (a, p, b)."""
    if a.image != b.image:
        fail("objects come from different images")
    index = ctx.index(a.image)
    if index.sparse_relations:
        sparse(a.image, "relations", "every relation between the objects")
    return index.predicates_between.get((a.index, b.index), ())


@op("has_relation", inputs=[OBJECT, OBJECT], args=[str], out=BOOL)
def has_relation(ctx: ExecutionContext, a: Obj, b: Obj, predicate: str) -> bool:
    """Whether (a, predicate, b) holds. Where relations are sparse, false only when the boxes rule
    the predicate out (`SceneIndex.could_hold`: "left of", "to the left of", "next to" of boxes
    that no viewer would read so) or, for one the boxes do not decide, the opposite predicate is
    annotated ("behind" when a is in front of b); else it fails: it may hold (a box shifted left
    of another may be read left of it, whatever is annotated)."""
    if a.image != b.image:
        return False
    index = ctx.index(a.image)
    relations = index.relation_set
    if (a.index, predicate, b.index) in relations:
        return True
    if index.sparse_relations and index.could_hold(a.index, predicate, b.index):
        opposite = CONVERSE_PREDICATES.get(predicate, predicate)
        if opposite == predicate or (a.index, opposite, b.index) not in relations or geometric_reading(predicate):
            sparse(a.image, "relations", f"whether {predicate!r} does not hold")
    return False


@op("describe_scene", inputs=[], args=[int], out=TEXT)
def describe_scene(ctx: ExecutionContext, image: int) -> str:
    """Dense scene-graph caption of image `image`: objects, attributes and relations."""
    if not 0 <= image < len(ctx.scenes):
        fail(f"image index {image} out of range for {len(ctx.scenes)} images")
    from veriscene.scene.caption import scene_caption  # (here: scene.caption imports program.context)

    return scene_caption(ctx.scene(image), index=ctx.index(image))
